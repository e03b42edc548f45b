/* SPDX-License-Identifier: MIT */
/*
 * Scroll detection and in-between pictures for VP8 (venc.c). libvpx's
 * VP8 finds a vertical scroll only when its motion search reaches it:
 * at speed 4 up to about 52 px, at its faster speeds not even 43 px
 * (tests/bench/video: a miss costs a 130 KB frame, ten times a found
 * one, and the rate budget then holds the stream at 3 fps, each picture
 * far from the last). So the encoder is told where the picture moved:
 * this module compares row hashes of the new picture with the last one
 * encoded, finds the rows that moved together by d, and, when d is
 * more than the search reaches, builds the pictures the screen showed in
 * between (the scrolled band taken from the old picture, what scrolled
 * in from the new one) so that each step is within reach.
 *
 * Pure computation over I420 planes, no libvpx types: tested alone
 * (test-vscroll) and fuzzed (fuzz-vscroll).
 */
#ifndef OP_VIDEO_VSCROLL_H
#define OP_VIDEO_VSCROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One I420 picture as planes; w, h as the encoder's (chroma (w+1)/2 x
 * (h+1)/2). */
struct vscroll_pic {
	uint8_t *plane[3];
	int stride[3];
	uint32_t w, h;
};

/* A scroll found: rows [top, bot) moved by d (positive: up, as text
 * scrolls when lines are added), i.e. new row y shows old row y + d. */
struct vscroll_move {
	int32_t d;
	uint32_t top, bot;
	uint32_t rows; /* rows that matched (the evidence) */
};

struct vscroll;

/* For pictures of w x h (2..8192). NULL when out of memory. */
struct vscroll *vscroll_new(uint32_t w, uint32_t h);
void vscroll_free(struct vscroll *s);

/*
 * Compares pic with the picture last remembered. true and *m when a
 * band of at least VSCROLL_MIN_ROWS distinct rows (not flat) moved
 * together by the same d != 0 and they are at least a quarter of the
 * rows that changed; false when nothing is remembered or no scroll
 * explains the change.
 */
#define VSCROLL_MIN_ROWS 16
bool vscroll_detect(struct vscroll *s, const struct vscroll_pic *pic,
	struct vscroll_move *m);

/* Keeps a copy of pic (and its row hashes) as the last picture;
 * detected: pic is the one vscroll_detect just hashed, unchanged. */
void vscroll_remember(struct vscroll *s, const struct vscroll_pic *pic,
	bool detected);

/*
 * Writes into out (same size) the picture between the remembered one
 * and pic after a scroll of m->d, at offset sh (strictly between 0 and
 * m->d, same sign, even): inside the band the rows at sh from the old
 * picture, or from pic where the old one ends; outside it pic.
 */
void vscroll_between(const struct vscroll *s, const struct vscroll_pic *pic,
	const struct vscroll_move *m, int32_t sh, struct vscroll_pic *out);

#endif
