/* SPDX-License-Identifier: MIT */
/*
 * TZif and POSIX TZ string parsing, and UTC to wall clock conversion
 * (tzif.h). Layout of a TZif file (RFC 8536 section 3):
 *   header: "TZif", version, 15 reserved bytes, six u32be counts
 *           (isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt);
 *   data:   timecnt transition times (i32 in v1, i64 after), timecnt
 *           type indices (u8), typecnt records (i32 utoff, u8 isdst,
 *           u8 desigidx), charcnt designation bytes, leapcnt records,
 *           isstdcnt and isutcnt indicators (u8);
 *   v2+:    a second header and data block with 64-bit times, then the
 *           footer "\n" TZ-string "\n".
 * For instants after the last transition the footer's rule decides, the
 * way glibc's __tzfile_compute does (the rule's year is the UTC year), so
 * the answers match `TZ=zone date`.
 *
 * Must not: read past the buffer, trust a count before checking it
 * against the buffer, keep a pointer into the caller's buffer, or use the
 * process environment or any global state.
 */
#include "core/tzif.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/time.h"

#define HEADER_LEN 44
#define DAY 86400
#define UTOFF_MIN (-89999) /* RFC 8536 3.2: -25:59:59 */
#define UTOFF_MAX 93599    /* +25:59:59 */

struct tz_type {
	int32_t utoff; /* seconds east of UTC */
	bool isdst;
};

/* A POSIX rule date: Jn (1-365, no Feb 29), n (0-365), Mm.w.d. */
struct tz_date {
	char kind; /* 'J', 'D' or 'M' */
	int m;
	int w;
	int d;
	int32_t secs; /* local time of day of the change, -167h..167h */
};

struct op_tzif {
	size_t n_trans;
	int64_t *trans;
	uint8_t *trans_type;
	size_t n_types;
	struct tz_type *types;
	bool has_rule; /* a nonempty footer (or a bare TZ string) */
	bool has_dst;
	int32_t std_off;
	int32_t dst_off;
	struct tz_date start; /* to DST, in standard time */
	struct tz_date end;   /* back, in DST */
};

struct rd {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static bool
rd_get(struct rd *r, void *dst, size_t n)
{
	if (n > r->len - r->off)
		return false;
	memcpy(dst, r->p + r->off, n);
	r->off += n;
	return true;
}

static bool
rd_u32(struct rd *r, uint32_t *v)
{
	uint8_t b[4];

	if (!rd_get(r, b, sizeof(b)))
		return false;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		(uint32_t)b[2] << 8 | b[3];
	return true;
}

static bool
rd_i64(struct rd *r, int64_t *v)
{
	uint8_t b[8];
	uint64_t u = 0;

	if (!rd_get(r, b, sizeof(b)))
		return false;
	for (size_t i = 0; i < 8; i++)
		u = u << 8 | b[i];
	*v = (int64_t)u; /* two's complement, as on every target we have */
	return true;
}

void
op_tzif_free(struct op_tzif *tz)
{
	if (tz == NULL)
		return;
	free(tz->trans);
	free(tz->trans_type);
	free(tz->types);
	free(tz);
}

/* ---- POSIX TZ strings ---- */

struct ps {
	const char *s;
	size_t len;
	size_t i;
};

static int
ps_peek(const struct ps *p)
{
	return p->i < p->len ? (unsigned char)p->s[p->i] : -1;
}

static bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* "std" or "<+03>": at least three characters. */
static bool
ps_name(struct ps *p)
{
	size_t start;

	if (ps_peek(p) == '<') {
		p->i++;
		start = p->i;
		while (is_alpha(ps_peek(p)) || is_digit(ps_peek(p)) ||
			ps_peek(p) == '+' || ps_peek(p) == '-')
			p->i++;
		if (ps_peek(p) != '>' || p->i - start < 3)
			return false;
		p->i++;
		return true;
	}
	start = p->i;
	while (is_alpha(ps_peek(p)))
		p->i++;
	return p->i - start >= 3;
}

/* Up to max_digits decimal digits, at most max. */
static bool
ps_num(struct ps *p, int max_digits, int max, int *out)
{
	int v = 0;
	int n = 0;

	while (n < max_digits && is_digit(ps_peek(p))) {
		v = v * 10 + (ps_peek(p) - '0');
		p->i++;
		n++;
	}
	if (n == 0 || is_digit(ps_peek(p)) || v > max)
		return false;
	*out = v;
	return true;
}

/* [+-]hh[:mm[:ss]] with hh <= max_h, in seconds. */
static bool
ps_hms(struct ps *p, int max_h, int32_t *out)
{
	int sign = 1;
	int h = 0;
	int m = 0;
	int s = 0;

	if (ps_peek(p) == '+' || ps_peek(p) == '-') {
		sign = ps_peek(p) == '-' ? -1 : 1;
		p->i++;
	}
	if (!ps_num(p, 3, max_h, &h))
		return false;
	if (ps_peek(p) == ':') {
		p->i++;
		if (!ps_num(p, 2, 59, &m))
			return false;
		if (ps_peek(p) == ':') {
			p->i++;
			if (!ps_num(p, 2, 59, &s))
				return false;
		}
	}
	*out = (int32_t)(sign * (h * 3600 + m * 60 + s));
	return true;
}

static bool
ps_date(struct ps *p, struct tz_date *d)
{
	memset(d, 0, sizeof(*d));
	d->secs = 2 * 3600;
	if (ps_peek(p) == 'J') {
		p->i++;
		d->kind = 'J';
		if (!ps_num(p, 3, 365, &d->d) || d->d < 1)
			return false;
	} else if (ps_peek(p) == 'M') {
		p->i++;
		d->kind = 'M';
		if (!ps_num(p, 2, 12, &d->m) || d->m < 1 || ps_peek(p) != '.')
			return false;
		p->i++;
		if (!ps_num(p, 1, 5, &d->w) || d->w < 1 || ps_peek(p) != '.')
			return false;
		p->i++;
		if (!ps_num(p, 1, 6, &d->d))
			return false;
	} else {
		d->kind = 'D';
		if (!ps_num(p, 3, 365, &d->d))
			return false;
	}
	if (ps_peek(p) == '/') {
		p->i++;
		return ps_hms(p, 167, &d->secs);
	}
	return true;
}

/* Fills the rule part of tz from s[0..len) (not NUL-terminated). */
static int
parse_posix(struct op_tzif *tz, const char *s, size_t len)
{
	struct ps p = { s, len, 0 };
	int32_t off;

	if (!ps_name(&p) || !ps_hms(&p, 24, &off))
		return OP_ERR_PROTO;
	/* POSIX offsets count west; ours east. */
	tz->std_off = -off;
	tz->has_rule = true;
	if (p.i == len)
		return 0;
	if (!ps_name(&p))
		return OP_ERR_PROTO;
	tz->has_dst = true;
	tz->dst_off = tz->std_off + 3600;
	if (ps_peek(&p) != ',' && p.i < len) {
		if (!ps_hms(&p, 24, &off))
			return OP_ERR_PROTO;
		tz->dst_off = -off;
	}
	if (p.i == len) {
		/* No rule: POSIX leaves it to the implementation; glibc and
		 * the RFC use the US rules. */
		tz->start = (struct tz_date){ 'M', 3, 2, 0, 7200 };
		tz->end = (struct tz_date){ 'M', 11, 1, 0, 7200 };
		return 0;
	}
	if (ps_peek(&p) != ',')
		return OP_ERR_PROTO;
	p.i++;
	if (!ps_date(&p, &tz->start) || ps_peek(&p) != ',')
		return OP_ERR_PROTO;
	p.i++;
	if (!ps_date(&p, &tz->end) || p.i != len)
		return OP_ERR_PROTO;
	return 0;
}

int
op_tzif_parse_posix(const char *s, size_t len, struct op_tzif **out)
{
	struct op_tzif *tz;
	int r;

	*out = NULL;
	if (len > OP_TZIF_MAX_FILE)
		return OP_ERR_TOO_LARGE;
	if ((tz = calloc(1, sizeof(*tz))) == NULL)
		return OP_ERR_NOMEM;
	if ((r = parse_posix(tz, s, len)) != 0) {
		op_tzif_free(tz);
		return r;
	}
	*out = tz;
	return 0;
}

/* ---- TZif ---- */

struct counts {
	uint8_t version;
	uint32_t isut, isstd, leap, time, type, chars;
};

static int
read_header(struct rd *r, struct counts *c)
{
	uint8_t magic[4];
	uint8_t reserved[15];

	if (!rd_get(r, magic, 4) || memcmp(magic, "TZif", 4) != 0 ||
		!rd_get(r, &c->version, 1) || !rd_get(r, reserved, 15) ||
		!rd_u32(r, &c->isut) || !rd_u32(r, &c->isstd) ||
		!rd_u32(r, &c->leap) || !rd_u32(r, &c->time) ||
		!rd_u32(r, &c->type) || !rd_u32(r, &c->chars))
		return OP_ERR_PROTO;
	if (c->version != 0 && (c->version < '2' || c->version > '4'))
		return OP_ERR_PROTO;
	/* RFC 8536 3.1; type indices are one byte, so more than 256 types
	 * cannot be referenced. */
	if (c->type == 0 || c->type > 256 || c->chars == 0 ||
		(c->isut != 0 && c->isut != c->type) ||
		(c->isstd != 0 && c->isstd != c->type))
		return OP_ERR_PROTO;
	return 0;
}

/* Bytes of a data block; every count is below 2^32, so no overflow. */
static uint64_t
block_len(const struct counts *c, unsigned tsize)
{
	return (uint64_t)c->time * (tsize + 1) + (uint64_t)c->type * 6 +
		c->chars + (uint64_t)c->leap * (tsize + 4) + c->isstd + c->isut;
}

static int
read_block(struct rd *r, const struct counts *c, unsigned tsize,
	struct op_tzif *tz)
{
	uint8_t chars_last = 1;
	uint8_t flag;

	if (block_len(c, tsize) > r->len - r->off)
		return OP_ERR_PROTO;
	if (c->leap != 0)
		return OP_ERR_UNSUPPORTED;
	tz->n_trans = c->time;
	tz->n_types = c->type;
	tz->trans = calloc(c->time > 0 ? c->time : 1, sizeof(*tz->trans));
	tz->trans_type = calloc(c->time > 0 ? c->time : 1, 1);
	tz->types = calloc(c->type, sizeof(*tz->types));
	if (tz->trans == NULL || tz->trans_type == NULL || tz->types == NULL)
		return OP_ERR_NOMEM;
	for (size_t i = 0; i < c->time; i++) {
		int64_t t;

		if (tsize == 4) {
			uint32_t u;

			if (!rd_u32(r, &u))
				return OP_ERR_PROTO;
			t = (int32_t)u;
		} else if (!rd_i64(r, &t)) {
			return OP_ERR_PROTO;
		}
		if (i > 0 && t <= tz->trans[i - 1])
			return OP_ERR_PROTO;
		tz->trans[i] = t;
	}
	if (!rd_get(r, tz->trans_type, c->time))
		return OP_ERR_PROTO;
	for (size_t i = 0; i < c->time; i++)
		if (tz->trans_type[i] >= c->type)
			return OP_ERR_PROTO;
	for (size_t i = 0; i < c->type; i++) {
		uint32_t u;
		uint8_t isdst;
		uint8_t desig;
		int32_t off;

		if (!rd_u32(r, &u) || !rd_get(r, &isdst, 1) ||
			!rd_get(r, &desig, 1))
			return OP_ERR_PROTO;
		off = (int32_t)u;
		if (off < UTOFF_MIN || off > UTOFF_MAX || isdst > 1 ||
			desig >= c->chars)
			return OP_ERR_PROTO;
		tz->types[i].utoff = off;
		tz->types[i].isdst = isdst != 0;
	}
	/* Designations are NUL-terminated: the last byte must be NUL, so
	 * every index below charcnt finds its end inside the block. */
	r->off += c->chars - 1;
	if (!rd_get(r, &chars_last, 1) || chars_last != 0)
		return OP_ERR_PROTO;
	for (size_t i = 0; i < (size_t)c->isstd + c->isut; i++)
		if (!rd_get(r, &flag, 1) || flag > 1)
			return OP_ERR_PROTO;
	return 0;
}

static int
read_footer(struct rd *r, struct op_tzif *tz)
{
	const uint8_t *s = r->p + r->off;
	size_t left = r->len - r->off;
	const uint8_t *nl;

	if (left < 2 || s[0] != '\n')
		return OP_ERR_PROTO;
	nl = memchr(s + 1, '\n', left - 1);
	/* The footer ends the file: nothing may follow it. */
	if (nl == NULL || (size_t)(nl - s) != left - 1)
		return OP_ERR_PROTO;
	if (left == 2)
		return 0; /* empty: no rule */
	return parse_posix(tz, (const char *)s + 1, left - 2);
}

int
op_tzif_parse(const uint8_t *buf, size_t len, struct op_tzif **out)
{
	struct rd r = { buf, len, 0 };
	struct counts c1;
	struct counts c2;
	struct op_tzif *tz = NULL;
	int e;

	*out = NULL;
	if (len > OP_TZIF_MAX_FILE)
		return OP_ERR_TOO_LARGE;
	if ((e = read_header(&r, &c1)) != 0)
		return e;
	if ((tz = calloc(1, sizeof(*tz))) == NULL)
		return OP_ERR_NOMEM;
	if (c1.version == 0) {
		e = read_block(&r, &c1, 4, tz);
		if (e == 0 && r.off != len)
			e = OP_ERR_PROTO;
		goto out;
	}
	/* Skip the 32-bit block: the 64-bit one says the same and more. */
	if (block_len(&c1, 4) > len - r.off) {
		e = OP_ERR_PROTO;
		goto out;
	}
	r.off += (size_t)block_len(&c1, 4);
	if ((e = read_header(&r, &c2)) != 0)
		goto out;
	if (c2.version != c1.version) {
		e = OP_ERR_PROTO;
		goto out;
	}
	if ((e = read_block(&r, &c2, 8, tz)) != 0)
		goto out;
	e = read_footer(&r, tz);
out:
	if (e != 0) {
		op_tzif_free(tz);
		return e;
	}
	*out = tz;
	return 0;
}

/* ---- Conversion ---- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	int64_t yoe;
	int64_t doy;
	int64_t doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int64_t y, int m)
{
	static const int md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	return m == 2 && leap_year(y) ? 29 : md[m - 1];
}

/* The UTC instant of a rule date in year, given in local time at off. */
static int64_t
rule_change(const struct tz_date *r, int64_t year, int32_t off)
{
	int64_t day = days_from_civil(year, 1, 1);

	switch (r->kind) {
	case 'J':
		day += r->d - 1;
		if (r->d >= 60 && leap_year(year))
			day++;
		break;
	case 'D':
		day += r->d;
		break;
	default: {
		int64_t first = days_from_civil(year, r->m, 1);
		/* 1970-01-01 was a Thursday (4). */
		int dow = (int)(((first % 7) + 7 + 4) % 7);
		int dm = (r->d - dow + 7) % 7;

		for (int i = 1; i < r->w; i++) {
			if (dm + 7 >= month_days(year, r->m))
				break;
			dm += 7;
		}
		day = first + dm;
		break;
	}
	}
	return day * DAY + r->secs - off;
}

static int
from_rule(const struct op_tzif *tz, int64_t t, int32_t *off, bool *isdst)
{
	struct tm utc;
	time_t tt = (time_t)t;
	int64_t start;
	int64_t end;
	int64_t year;

	*off = tz->std_off;
	*isdst = false;
	if (!tz->has_dst)
		return 0;
	if (op_gmtime(&tt, &utc) == NULL)
		return OP_ERR_RANGE;
	year = (int64_t)utc.tm_year + 1900;
	start = rule_change(&tz->start, year, tz->std_off);
	end = rule_change(&tz->end, year, tz->dst_off);
	/* Southern hemisphere: DST spans the new year. */
	if (start > end)
		*isdst = t < end || t >= start;
	else
		*isdst = t >= start && t < end;
	if (*isdst)
		*off = tz->dst_off;
	return 0;
}

int
op_tzif_localtime(const struct op_tzif *tz, int64_t t, struct tm *out)
{
	int32_t off;
	bool isdst;
	time_t lt;
	size_t lo;
	size_t hi;

	memset(out, 0, sizeof(*out));
	/* Far enough from the ends that t + off and the rule's year fit. */
	if (t > INT64_MAX / 4 || t < INT64_MIN / 4)
		return OP_ERR_RANGE;
	if (tz->n_trans == 0 || t >= tz->trans[tz->n_trans - 1]) {
		if (tz->has_rule) {
			if (from_rule(tz, t, &off, &isdst) != 0)
				return OP_ERR_RANGE;
		} else {
			const struct tz_type *ty = tz->n_trans == 0 ?
				&tz->types[0] :
				&tz->types[tz->trans_type[tz->n_trans - 1]];

			off = ty->utoff;
			isdst = ty->isdst;
		}
	} else if (t < tz->trans[0]) {
		off = tz->types[0].utoff; /* RFC 8536: type 0 before */
		isdst = tz->types[0].isdst;
	} else {
		/* The last transition at or before t. */
		lo = 0;
		hi = tz->n_trans - 1;
		while (lo < hi) {
			size_t mid = lo + (hi - lo + 1) / 2;

			if (tz->trans[mid] <= t)
				lo = mid;
			else
				hi = mid - 1;
		}
		off = tz->types[tz->trans_type[lo]].utoff;
		isdst = tz->types[tz->trans_type[lo]].isdst;
	}
	lt = (time_t)(t + off);
	if (op_gmtime(&lt, out) == NULL) {
		memset(out, 0, sizeof(*out));
		return OP_ERR_RANGE;
	}
	out->tm_isdst = isdst ? 1 : 0;
#ifndef _WIN32 /* Windows' struct tm has neither */
	out->tm_gmtoff = off;
	out->tm_zone = NULL;
#endif
	return 0;
}
