/* SPDX-License-Identifier: MIT */
/*
 * video/vscroll.h: scrolls found in I420 pictures made from a "tape" of
 * distinct rows (up, down, inside a band between a fixed header and
 * footer), the pictures in between equal to the tape at that offset,
 * and what must not count as a scroll (a new picture, flat pictures,
 * too few rows, nothing remembered, another size).
 */
#include <stdlib.h>
#include <string.h>

#include "th.h"
#include "video/vscroll.h"

#define W 64u
#define H 240u
#define TAPE 800u

static uint8_t tape[TAPE][W];

struct pic {
	uint8_t y[H][W], u[H / 2][W / 2], v[H / 2][W / 2];
	struct vscroll_pic p;
};

static void
tape_init(unsigned seed)
{
	srand(seed);
	for (unsigned r = 0; r < TAPE; r++)
		for (unsigned x = 0; x < W; x++)
			tape[r][x] = (uint8_t)(rand() & 0xff);
}

static void
pic_wrap(struct pic *p)
{
	p->p = (struct vscroll_pic){ .plane = { &p->y[0][0], &p->u[0][0],
					     &p->v[0][0] },
		.stride = { W, W / 2, W / 2 }, .w = W, .h = H };
}

/* Rows [top, bot) from the tape at offset off (row y = tape[off + y]),
 * the rest from the tape's end (fixed); chroma from the luma row. */
static void
pic_at(struct pic *p, unsigned off, unsigned top, unsigned bot)
{
	for (unsigned y = 0; y < H; y++) {
		unsigned r = y >= top && y < bot ? off + y : TAPE - H + y;

		memcpy(p->y[y], tape[r], W);
		if ((y & 1) == 0)
			for (unsigned x = 0; x < W / 2; x++)
				p->u[y / 2][x] = p->v[y / 2][x] = tape[r][x];
	}
	pic_wrap(p);
}

static void
test_up_and_between(void)
{
	static struct pic a, b, mid, want;
	struct vscroll *s = vscroll_new(W, H);
	struct vscroll_move m;

	ASSERT(s != NULL);
	tape_init(1);
	pic_at(&a, 100, 0, H);
	pic_at(&b, 230, 0, H); /* 130 rows further */
	ASSERT(!vscroll_detect(s, &a.p, &m)); /* nothing remembered */
	vscroll_remember(s, &a.p, false);
	ASSERT(vscroll_detect(s, &b.p, &m));
	ASSERT_INT_EQ(m.d, 130);
	ASSERT_INT_EQ(m.top, 0);
	ASSERT_INT_EQ(m.bot, H);
	ASSERT_INT_EQ(m.rows, H - 130);
	pic_wrap(&mid);
	vscroll_between(s, &b.p, &m, 48, &mid.p);
	pic_at(&want, 148, 0, H);
	ASSERT_MEM_EQ(mid.y, want.y, sizeof(want.y));
	ASSERT_MEM_EQ(mid.u, want.u, sizeof(want.u));
	/* A step past the old picture's end takes the new one's rows. */
	vscroll_between(s, &b.p, &m, 120, &mid.p);
	pic_at(&want, 220, 0, H);
	ASSERT_MEM_EQ(mid.y, want.y, sizeof(want.y));
	/* Remembered with the hashes detect made: the next compares. */
	vscroll_remember(s, &b.p, true);
	pic_at(&a, 270, 0, H);
	ASSERT(vscroll_detect(s, &a.p, &m));
	ASSERT_INT_EQ(m.d, 40);
	vscroll_free(s);
}

static void
test_down(void)
{
	static struct pic a, b, mid, want;
	struct vscroll *s = vscroll_new(W, H);
	struct vscroll_move m;

	tape_init(2);
	pic_at(&a, 300, 0, H);
	pic_at(&b, 210, 0, H); /* 90 rows back */
	vscroll_remember(s, &a.p, false);
	ASSERT(vscroll_detect(s, &b.p, &m));
	ASSERT_INT_EQ(m.d, -90);
	pic_wrap(&mid);
	vscroll_between(s, &b.p, &m, -40, &mid.p);
	pic_at(&want, 260, 0, H);
	ASSERT_MEM_EQ(mid.y, want.y, sizeof(want.y));
	vscroll_free(s);
}

/* A terminal under a fixed header and over a fixed footer. */
static void
test_band(void)
{
	static struct pic a, b, mid, want;
	struct vscroll *s = vscroll_new(W, H);
	struct vscroll_move m;

	tape_init(3);
	pic_at(&a, 0, 20, H - 10);
	pic_at(&b, 60, 20, H - 10);
	vscroll_remember(s, &a.p, false);
	ASSERT(vscroll_detect(s, &b.p, &m));
	ASSERT_INT_EQ(m.d, 60);
	ASSERT_INT_EQ(m.top, 20);
	ASSERT_INT_EQ(m.bot, H - 10);
	pic_wrap(&mid);
	vscroll_between(s, &b.p, &m, 30, &mid.p);
	pic_at(&want, 30, 20, H - 10);
	ASSERT_MEM_EQ(mid.y, want.y, sizeof(want.y));
	vscroll_free(s);
}

static void
test_not_a_scroll(void)
{
	static struct pic a, b;
	struct vscroll *s = vscroll_new(W, H);
	struct vscroll *other = vscroll_new(W, H + 2);
	struct vscroll_move m;

	tape_init(4);
	pic_at(&a, 0, 0, H);
	vscroll_remember(s, &a.p, false);
	/* The same picture: nothing moved. */
	ASSERT(!vscroll_detect(s, &a.p, &m));
	/* Another page altogether. */
	tape_init(5);
	pic_at(&b, 0, 0, H);
	ASSERT(!vscroll_detect(s, &b.p, &m));
	ASSERT_INT_EQ(m.d, 0);
	/* Flat pictures match everywhere and prove nothing. */
	memset(a.y, 7, sizeof(a.y));
	memset(b.y, 9, sizeof(b.y));
	vscroll_remember(s, &a.p, false);
	ASSERT(!vscroll_detect(s, &b.p, &m));
	/* Too few moved rows (8) among a new page. */
	tape_init(6);
	pic_at(&a, 0, 0, H);
	vscroll_remember(s, &a.p, false);
	tape_init(7);
	pic_at(&b, 0, 0, H);
	memcpy(b.y[100], a.y[50], 8 * W);
	ASSERT(!vscroll_detect(s, &b.p, &m));
	/* Another size. */
	ASSERT(!vscroll_detect(other, &b.p, &m));
	vscroll_remember(other, &b.p, false);
	ASSERT(!vscroll_detect(other, &b.p, &m));
	ASSERT(vscroll_new(1, 100) == NULL);
	ASSERT(vscroll_new(100, 8193) == NULL);
	vscroll_free(other);
	vscroll_free(s);
	vscroll_free(NULL);
}

int
main(void)
{
	RUN(test_up_and_between);
	RUN(test_down);
	RUN(test_band);
	RUN(test_not_a_scroll);
	return th_done();
}
