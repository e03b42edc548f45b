/* SPDX-License-Identifier: MIT */
/*
 * Synthetic text: screen text for the encoder tests and the encoder bench
 * (the same picture in both, so their figures can be compared), and
 * compressible UTF-8 for the clipboard tests. Header-only.
 */
#ifndef OP_TESTS_TH_TEXT_H
#define OP_TESTS_TH_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define TH_TEXT_LINE_H 18
#define TH_TEXT_CELL_W 9

static inline uint32_t
hash32(uint32_t a, uint32_t b)
{
	uint32_t h = a * 0x9e3779b1u ^ (b + 0x7f4a7c15u) * 0x85ebca6bu;

	h ^= h >> 15;
	h *= 0xc2b2ae35u;
	h ^= h >> 13;
	return h;
}

/*
 * Renders `rows` rows of pseudo text into a BGRA buffer: lines of glyphs
 * built from 2x2 blocks (96 shapes, so they repeat like letters do), dark
 * on white, some lines coloured like syntax highlighting.
 */
static inline void
render_text(uint8_t *buf, uint32_t w, uint32_t rows, size_t stride,
	uint32_t seed)
{
	uint32_t x;
	uint32_t y;

	for (y = 0; y < rows; y++) {
		uint32_t line = y / TH_TEXT_LINE_H + seed;
		uint32_t gy = y % TH_TEXT_LINE_H;
		uint32_t len = hash32(line, 1) % (w / TH_TEXT_CELL_W + 1);
		uint32_t hue = hash32(line, 2);
		uint8_t *p = buf + (size_t)y * stride;

		for (x = 0; x < w; x++, p += 4) {
			uint32_t col = x / TH_TEXT_CELL_W;
			uint32_t gx = x % TH_TEXT_CELL_W;
			uint32_t ch = hash32(line, col + 3);
			bool on = false;

			if (col < len && gy >= 2 && gy < 16 && gx < 8 &&
				ch % 6 != 0) {
				uint32_t bits = hash32(ch % 96, 0);

				on = (bits >> ((gy - 2) / 2 * 4 + gx / 2) &
					     1) != 0;
			}
			if (on && hue % 4 == 0) {
				p[0] = 160, p[1] = 40, p[2] = 20;
			} else if (on) {
				p[0] = p[1] = p[2] = 30;
			} else {
				p[0] = p[1] = p[2] = 250;
			}
			p[3] = 255;
		}
	}
}

/* n bytes of compressible UTF-8: ASCII with an "é" (2 bytes) every 1000
 * bytes. Aborts when out of memory; the caller frees it. */
static inline uint8_t *
th_utf8_text(size_t n)
{
	uint8_t *b = malloc(n);
	size_t i;

	if (b == NULL)
		abort();
	for (i = 0; i < n; i++)
		b[i] = (uint8_t)('a' + i % 26);
	for (i = 0; i + 2 <= n; i += 1000) {
		b[i] = 0xc3;
		b[i + 1] = 0xa9;
	}
	return b;
}

#endif
