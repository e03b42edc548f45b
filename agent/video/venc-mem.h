/* SPDX-License-Identifier: MIT */
/*
 * Releases the resident-but-zero pages of the big buffers libvpx
 * allocates with calloc-by-memset while an encoder is created (see
 * venc-mem-unix.c; venc-mem-win.c does none of it). Video module only.
 */
#ifndef OP_VIDEO_VENC_MEM_H
#define OP_VIDEO_VENC_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VENC_MEM_MAX 64

/* The big anonymous mappings of the process at one moment. */
struct venc_mem {
	int n; /* -1: unknown */
	uintptr_t lo[VENC_MEM_MAX], hi[VENC_MEM_MAX];
};

/* Once per process: glibc's mmap threshold fixed at 1 MiB. */
void venc_mem_init(void);

struct venc_mem_chunk {
	void *addr; /* page-aligned */
	size_t len;
};
void venc_mem_before(struct venc_mem *m);
/* Gives back the pages (but the first) of every all-zero mapped chunk
 * of >= 4 MiB in the address ranges that are not in `before`. Returns
 * the bytes released; *big gets the largest such range if it is larger
 * than the one it holds. */
size_t venc_mem_after(const struct venc_mem *before,
	struct venc_mem_chunk *big);

/* Hands the malloc arenas' free memory back to the system. */
void venc_mem_trim(void);
/* Gives back the pages of a chunk venc_mem_after found; they read as
 * zeros afterwards. */
void venc_mem_discard(const struct venc_mem_chunk *c);

#endif
