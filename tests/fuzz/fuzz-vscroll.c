/* SPDX-License-Identifier: MIT */
/*
 * video/vscroll.h on hostile pictures (a program on the screen draws
 * what it likes): the size from the first two bytes, two I420 pictures
 * from the rest (repeated as needed); detect, then every even step of
 * the move found. Nothing may read or write out of the planes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "video/vscroll.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fill(struct vscroll_pic *p, uint8_t *mem, uint32_t w, uint32_t h,
	const uint8_t *data, size_t size, size_t *pos)
{
	uint32_t cw = (w + 1) / 2, ch = (h + 1) / 2;
	size_t n = (size_t)w * h + 2 * (size_t)cw * ch;

	for (size_t i = 0; i < n; i++)
		mem[i] = size ? data[(*pos)++ % size] : 0;
	*p = (struct vscroll_pic){ .plane = { mem, mem + (size_t)w * h,
					   mem + (size_t)w * h + (size_t)cw * ch },
		.stride = { (int)w, (int)cw, (int)cw }, .w = w, .h = h };
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t w, h;
	size_t pos = 2, n;
	struct vscroll *s;
	struct vscroll_pic a, b, mid;
	struct vscroll_move m;
	uint8_t *ma, *mb, *mm;

	if (size < 2)
		return 0;
	w = 2 + data[0] % 63;
	h = 2 + data[1] % 127;
	n = (size_t)w * h + 2 * (size_t)((w + 1) / 2) * ((h + 1) / 2);
	s = vscroll_new(w, h);
	ma = malloc(n);
	mb = malloc(n);
	mm = malloc(n);
	if (s == NULL || ma == NULL || mb == NULL || mm == NULL)
		abort();
	fill(&a, ma, w, h, data + 2, size - 2, &pos);
	fill(&b, mb, w, h, data + 2, size - 2, &pos);
	fill(&mid, mm, w, h, NULL, 0, &pos);
	vscroll_remember(s, &a, false);
	if (vscroll_detect(s, &b, &m)) {
		int32_t ad = m.d < 0 ? -m.d : m.d;

		if (m.top >= m.bot || m.bot > h || ad == 0 || (uint32_t)ad >= h)
			abort();
		for (int32_t sh = 2; sh < ad; sh += 2)
			vscroll_between(s, &b, &m, m.d < 0 ? -sh : sh, &mid);
	}
	vscroll_free(s);
	free(ma);
	free(mb);
	free(mm);
	return 0;
}
