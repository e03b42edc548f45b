/* SPDX-License-Identifier: MIT */
/* Scroll detection and in-between pictures: see vscroll.h. */
#include "video/vscroll.h"

#include <stdlib.h>
#include <string.h>

/* Rows of the old picture with one hash that may vote for a new row:
 * repeated rows (a border, a rule) must not cost a frame's time. */
#define VSCROLL_MAX_SAME 8

struct row_key {
	uint64_t hash;
	uint32_t row;
};

struct vscroll {
	uint32_t w, h;
	bool have;
	uint64_t *old_hash, *cur_hash;
	uint8_t *old_flat, *cur_flat;
	struct row_key *sorted; /* the old picture's distinct rows by hash */
	uint32_t nsorted;
	uint32_t *votes; /* by d + h */
	struct vscroll_pic old;
	uint8_t *old_mem;
};

static uint32_t
chroma(uint32_t n)
{
	return (n + 1) / 2;
}

struct vscroll *
vscroll_new(uint32_t w, uint32_t h)
{
	struct vscroll *s;
	size_t ysz, csz;

	if (w < 2 || h < 2 || w > 8192 || h > 8192 ||
		(s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->w = w;
	s->h = h;
	ysz = (size_t)w * h;
	csz = (size_t)chroma(w) * chroma(h);
	s->old_hash = calloc(h, sizeof(*s->old_hash));
	s->cur_hash = calloc(h, sizeof(*s->cur_hash));
	s->old_flat = calloc(h, 1);
	s->cur_flat = calloc(h, 1);
	s->sorted = calloc(h, sizeof(*s->sorted));
	s->votes = calloc(2 * (size_t)h + 1, sizeof(*s->votes));
	s->old_mem = malloc(ysz + 2 * csz);
	if (s->old_hash == NULL || s->cur_hash == NULL || s->old_flat == NULL ||
		s->cur_flat == NULL || s->sorted == NULL || s->votes == NULL ||
		s->old_mem == NULL) {
		vscroll_free(s);
		return NULL;
	}
	s->old = (struct vscroll_pic){
		.plane = { s->old_mem, s->old_mem + ysz, s->old_mem + ysz + csz },
		.stride = { (int)w, (int)chroma(w), (int)chroma(w) },
		.w = w,
		.h = h,
	};
	return s;
}

void
vscroll_free(struct vscroll *s)
{
	if (s == NULL)
		return;
	free(s->old_hash);
	free(s->cur_hash);
	free(s->old_flat);
	free(s->cur_flat);
	free(s->sorted);
	free(s->votes);
	free(s->old_mem);
	free(s);
}

static const uint8_t *
row(const struct vscroll_pic *p, int plane, uint32_t y)
{
	return p->plane[plane] + (ptrdiff_t)y * p->stride[plane];
}

/* A row's hash, and whether it is one value throughout (a flat row
 * matches everywhere and proves nothing). */
static uint64_t
row_hash(const uint8_t *p, uint32_t w, uint8_t *flat)
{
	const uint64_t rep = 0x0101010101010101ull * p[0];
	uint64_t h = 0x9e3779b97f4a7c15ull ^ w;
	bool f = true;
	uint32_t i = 0;

	for (; i + 8 <= w; i += 8) {
		uint64_t v;

		memcpy(&v, p + i, 8);
		f = f && v == rep;
		h = (h ^ v) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; i < w; i++) {
		f = f && p[i] == p[0];
		h = (h ^ p[i]) * 0x100000001b3ull;
	}
	*flat = f;
	return h;
}

static void
hash_rows(const struct vscroll *s, const struct vscroll_pic *pic,
	uint64_t *hash, uint8_t *flat)
{
	for (uint32_t y = 0; y < s->h; y++)
		hash[y] = row_hash(row(pic, 0, y), s->w, &flat[y]);
}

static int
cmp_key(const void *a, const void *b)
{
	const struct row_key *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* The first entry of sorted with hash h, or nsorted. */
static uint32_t
lower_bound(const struct vscroll *s, uint64_t h)
{
	uint32_t lo = 0, hi = s->nsorted;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s->sorted[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* New row y changed, is not flat and shows old row y + d. */
static bool
moved(const struct vscroll *s, uint32_t y, int32_t d)
{
	int64_t oy = (int64_t)y + d;

	return !s->cur_flat[y] && s->cur_hash[y] != s->old_hash[y] &&
		oy >= 0 && oy < s->h && s->cur_hash[y] == s->old_hash[oy];
}

bool
vscroll_detect(struct vscroll *s, const struct vscroll_pic *pic,
	struct vscroll_move *m)
{
	uint32_t changed = 0, best_votes = 0, first = 0, last = 0, n = 0;
	int32_t best = 0;
	int64_t top, bot;

	memset(m, 0, sizeof(*m));
	if (pic->w != s->w || pic->h != s->h)
		return false;
	hash_rows(s, pic, s->cur_hash, s->cur_flat);
	if (!s->have)
		return false;
	memset(s->votes, 0, (2 * (size_t)s->h + 1) * sizeof(*s->votes));
	for (uint32_t y = 0; y < s->h; y++) {
		uint32_t i, k;

		if (s->cur_flat[y] || s->cur_hash[y] == s->old_hash[y])
			continue;
		changed++;
		i = lower_bound(s, s->cur_hash[y]);
		for (k = 0; i < s->nsorted && k < VSCROLL_MAX_SAME &&
			s->sorted[i].hash == s->cur_hash[y]; i++, k++)
			s->votes[(int64_t)s->sorted[i].row - y + s->h]++;
	}
	for (uint32_t i = 0; i <= 2 * s->h; i++)
		if (i != s->h && s->votes[i] > best_votes) {
			best_votes = s->votes[i];
			best = (int32_t)((int64_t)i - s->h);
		}
	if (best_votes < VSCROLL_MIN_ROWS || (uint64_t)best_votes * 4 < changed)
		return false;
	/* The band: from the first to the last row that moved, and the
	 * rows that came in on the side it moved away from. */
	for (uint32_t y = 0; y < s->h; y++)
		if (moved(s, y, best)) {
			if (n++ == 0)
				first = y;
			last = y;
		}
	if (n < VSCROLL_MIN_ROWS)
		return false;
	top = best > 0 ? first : (int64_t)first + best;
	bot = best > 0 ? (int64_t)last + 1 + best : (int64_t)last + 1;
	top = top < 0 ? 0 : top & ~(int64_t)1;
	bot = bot > s->h ? s->h : bot;
	if (bot - top <= (best < 0 ? -(int64_t)best : best))
		return false;
	*m = (struct vscroll_move){ .d = best, .top = (uint32_t)top,
		.bot = (uint32_t)bot, .rows = n };
	return true;
}

void
vscroll_remember(struct vscroll *s, const struct vscroll_pic *pic,
	bool detected)
{
	uint32_t cw = chroma(s->w), ch = chroma(s->h);

	if (pic->w != s->w || pic->h != s->h) {
		s->have = false;
		return;
	}
	for (uint32_t y = 0; y < s->h; y++)
		memcpy(s->old.plane[0] + (size_t)y * s->w, row(pic, 0, y), s->w);
	for (int p = 1; p < 3; p++)
		for (uint32_t y = 0; y < ch; y++)
			memcpy(s->old.plane[p] + (size_t)y * cw, row(pic, p, y),
				cw);
	if (detected) {
		memcpy(s->old_hash, s->cur_hash, s->h * sizeof(*s->old_hash));
		memcpy(s->old_flat, s->cur_flat, s->h);
	} else {
		hash_rows(s, pic, s->old_hash, s->old_flat);
	}
	s->nsorted = 0;
	for (uint32_t y = 0; y < s->h; y++)
		if (!s->old_flat[y])
			s->sorted[s->nsorted++] =
				(struct row_key){ s->old_hash[y], y };
	qsort(s->sorted, s->nsorted, sizeof(*s->sorted), cmp_key);
	s->have = true;
}

/* Row y of one plane of the in-between picture: [top, bot) is the band
 * in that plane's rows, d and sh the move and the offset in them. */
static const uint8_t *
between_row(const struct vscroll *s, const struct vscroll_pic *pic, int p,
	int64_t y, int64_t top, int64_t bot, int64_t d, int64_t sh, int64_t n)
{
	int64_t sy = y + sh, ny = sy - d;

	if (y < top || y >= bot)
		return row(pic, p, (uint32_t)y);
	if (sy >= top && sy < bot)
		return row(&s->old, p, (uint32_t)sy);
	if (ny >= 0 && ny < n)
		return row(pic, p, (uint32_t)ny);
	return row(pic, p, (uint32_t)y);
}

/* floor(a / 2) for negative a too. */
static int64_t
half_down(int64_t a)
{
	return a >= 0 ? a / 2 : -((-a + 1) / 2);
}

void
vscroll_between(const struct vscroll *s, const struct vscroll_pic *pic,
	const struct vscroll_move *m, int32_t sh, struct vscroll_pic *out)
{
	uint32_t cw = chroma(s->w), ch = chroma(s->h);
	int64_t top = m->top, bot = m->bot;

	if (bot > s->h)
		bot = s->h;
	for (uint32_t y = 0; y < s->h; y++)
		memcpy((uint8_t *)row(out, 0, y),
			between_row(s, pic, 0, y, top, bot, m->d, sh, s->h),
			s->w);
	/* Chroma rows are two luma rows: an odd d lands between two of
	 * them, taken from the upper one (the picture after is exact). */
	for (int p = 1; p < 3; p++)
		for (uint32_t y = 0; y < ch; y++)
			memcpy((uint8_t *)row(out, p, y),
				between_row(s, pic, p, y, top / 2,
					(bot + 1) / 2, half_down(m->d),
					half_down(sh), ch),
				cw);
}
