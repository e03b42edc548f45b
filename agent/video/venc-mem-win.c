/* SPDX-License-Identifier: MIT */
/*
 * Windows: nothing is released. The Linux trick (venc-mem-unix.c) reads
 * glibc's chunk headers and /proc/self/maps; the CRT heap has neither,
 * and MEM_RESET pages read back undefined, not zero, so libvpx's buffers
 * stay resident as it allocated them. venc_mem_after finds no chunk, so
 * venc.c never asks to discard one.
 */
#include <string.h>

#include "video/venc-mem.h"

void
venc_mem_init(void)
{
}

void
venc_mem_before(struct venc_mem *m)
{
	memset(m, 0, sizeof(*m));
	m->n = -1;
}

size_t
venc_mem_after(const struct venc_mem *before, struct venc_mem_chunk *big)
{
	(void)before;
	(void)big;
	return 0;
}

void
venc_mem_trim(void)
{
}

void
venc_mem_discard(const struct venc_mem_chunk *c)
{
	(void)c;
}
