/* SPDX-License-Identifier: MIT */
/*
 * core/tzif: the TZif and POSIX TZ string parsers and the conversion.
 * Known instants around real DST changes, compared with what `TZ=zone
 * date -d @T` printed (Berlin, New York, Sydney, Dublin's negative DST,
 * Chatham's 45-minute offset, Tokyo and Kolkata without DST, UTC, and
 * 2100, past the transitions stored in the file, where the footer rule
 * decides); every zone on the system compared with glibc's localtime_r
 * (under $TZ: this test is single-threaded); and hostile files: every
 * truncation, bad counts, unsorted times, indexes, offsets, flags and
 * designations out of range, leap seconds, trailing bytes, bad footers.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "core/tzif.h"
#include "th.h"

#define ZONEINFO "/usr/share/zoneinfo"

/* A failure that lets the loop go on (TH_FAIL returns). */
#define NOTE_FAIL(...)                                          \
	do {                                                    \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);                   \
		fputc('\n', stderr);                            \
		th_cur_failed = 1;                              \
	} while (0)

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(OP_TZIF_MAX_FILE + 1);

	*len = 0;
	if (f == NULL || buf == NULL) {
		if (f != NULL)
			fclose(f);
		free(buf);
		return NULL;
	}
	*len = fread(buf, 1, OP_TZIF_MAX_FILE + 1, f);
	fclose(f);
	return buf;
}

static struct op_tzif *
load(const char *zone)
{
	char path[512];
	struct op_tzif *tz = NULL;
	size_t len;
	uint8_t *buf;
	int r;

	snprintf(path, sizeof(path), ZONEINFO "/%s", zone);
	if ((buf = slurp(path, &len)) == NULL)
		return NULL;
	r = op_tzif_parse(buf, len, &tz);
	free(buf);
	if (r != 0)
		NOTE_FAIL("%s: %s", zone, op_strerror(r));
	return tz;
}

/* Reference values from `TZ=zone date -d @epoch '+%F %T %z'`. */
static const struct {
	const char *zone;
	int64_t t;
	const char *wall;
	long gmtoff;
	int isdst;
} known[] = {
	{ "Europe/Berlin", 1743296399, "2025-03-30 01:59:59", 3600, 0 },
	{ "Europe/Berlin", 1743296400, "2025-03-30 03:00:00", 7200, 1 },
	{ "Europe/Berlin", 1761440399, "2025-10-26 02:59:59", 7200, 1 },
	{ "Europe/Berlin", 1761440400, "2025-10-26 02:00:00", 3600, 0 },
	{ "Europe/Berlin", 4118126400, "2100-07-01 14:00:00", 7200, 1 },
	{ "Europe/Berlin", 4102488000, "2100-01-01 13:00:00", 3600, 0 },
	{ "Europe/Berlin", -315619200, "1960-01-01 01:00:00", 3600, 0 },
	{ "America/New_York", 1741503599, "2025-03-09 01:59:59", -18000, 0 },
	{ "America/New_York", 1741503600, "2025-03-09 03:00:00", -14400, 1 },
	{ "America/New_York", 1762063199, "2025-11-02 01:59:59", -14400, 1 },
	{ "America/New_York", 1762063200, "2025-11-02 01:00:00", -18000, 0 },
	{ "America/New_York", 4118126400, "2100-07-01 08:00:00", -14400, 1 },
	{ "UTC", 1743296400, "2025-03-30 01:00:00", 0, 0 },
	{ "UTC", 4118126400, "2100-07-01 12:00:00", 0, 0 },
	{ "Asia/Tokyo", 1751371200, "2025-07-01 21:00:00", 32400, 0 },
	{ "Asia/Tokyo", 4102488000, "2100-01-01 21:00:00", 32400, 0 },
	{ "Asia/Kolkata", 1751371200, "2025-07-01 17:30:00", 19800, 0 },
	{ "Australia/Sydney", 1743868799, "2025-04-06 02:59:59", 39600, 1 },
	{ "Australia/Sydney", 1743868800, "2025-04-06 02:00:00", 36000, 0 },
	{ "Australia/Sydney", 1759593599, "2025-10-05 01:59:59", 36000, 0 },
	{ "Australia/Sydney", 1759593600, "2025-10-05 03:00:00", 39600, 1 },
	{ "Australia/Sydney", 4102488000, "2100-01-01 23:00:00", 39600, 1 },
	{ "Australia/Sydney", 4118126400, "2100-07-01 22:00:00", 36000, 0 },
	{ "Europe/Dublin", 1743296399, "2025-03-30 00:59:59", 0, 1 },
	{ "Europe/Dublin", 1743296400, "2025-03-30 02:00:00", 3600, 0 },
	{ "Europe/Dublin", 1761440399, "2025-10-26 01:59:59", 3600, 0 },
	{ "Europe/Dublin", 1761440400, "2025-10-26 01:00:00", 0, 1 },
	{ "Europe/Dublin", 4118126400, "2100-07-01 13:00:00", 3600, 0 },
	{ "Europe/Dublin", 4102488000, "2100-01-01 12:00:00", 0, 1 },
	{ "Pacific/Chatham", 4118126400, "2100-07-02 00:45:00", 45900, 0 },
	{ "Pacific/Chatham", 4102488000, "2100-01-02 01:45:00", 49500, 1 },
};

static void
test_known_instants(void)
{
	struct stat st;

	if (stat(ZONEINFO "/Europe/Berlin", &st) != 0) {
		fprintf(stderr, "no tzdata: skipped\n");
		return;
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		struct op_tzif *tz = load(known[i].zone);
		struct tm tm;
		char wall[32];

		if (tz == NULL)
			continue;
		ASSERT_INT_EQ(op_tzif_localtime(tz, known[i].t, &tm), 0);
		strftime(wall, sizeof(wall), "%Y-%m-%d %H:%M:%S", &tm);
		if (strcmp(wall, known[i].wall) != 0 ||
			tm.tm_gmtoff != known[i].gmtoff ||
			tm.tm_isdst != known[i].isdst)
			NOTE_FAIL("%s @%lld: %s %+ld dst %d, date says %s %+ld "
				"dst %d",
				known[i].zone, (long long)known[i].t, wall,
				tm.tm_gmtoff, tm.tm_isdst, known[i].wall,
				known[i].gmtoff, known[i].isdst);
		op_tzif_free(tz);
	}
}

/* One zone against glibc over 1960-2150 (every 5 days and 37 minutes,
 * so the samples walk through the hours of the day). */
static unsigned
compare_zone(const char *zone, const struct op_tzif *tz)
{
	unsigned bad = 0;

	setenv("TZ", zone, 1);
	tzset();
	for (int64_t t = -315619200; t < 5680281600 && bad < 3;
		t += 5 * 86400 + 37 * 60) {
		time_t tt = (time_t)t;
		struct tm a;
		struct tm b;

		if (localtime_r(&tt, &a) == NULL ||
			op_tzif_localtime(tz, t, &b) != 0)
			continue;
		if (a.tm_year != b.tm_year || a.tm_yday != b.tm_yday ||
			a.tm_hour != b.tm_hour || a.tm_min != b.tm_min ||
			a.tm_sec != b.tm_sec || a.tm_gmtoff != b.tm_gmtoff ||
			a.tm_isdst != b.tm_isdst || a.tm_wday != b.tm_wday) {
			NOTE_FAIL("%s @%lld: glibc %+ld dst %d, ours %+ld dst %d",
				zone, (long long)t, a.tm_gmtoff, a.tm_isdst,
				b.tm_gmtoff, b.tm_isdst);
			bad++;
		}
	}
	return bad;
}

static void
walk(const char *rel, unsigned *zones)
{
	char path[600];
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), ZONEINFO "/%s", rel);
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char sub[600];
		struct stat st;
		struct op_tzif *tz = NULL;
		uint8_t *buf;
		size_t len;

		if (de->d_name[0] == '.' || strcmp(de->d_name, "right") == 0 ||
			strcmp(de->d_name, "posix") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "",
			de->d_name);
		snprintf(path, sizeof(path), ZONEINFO "/%s", sub);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(sub, zones);
			continue;
		}
		if ((buf = slurp(path, &len)) == NULL)
			continue;
		if (len >= 4 && memcmp(buf, "TZif", 4) == 0) {
			int r = op_tzif_parse(buf, len, &tz);

			if (r != 0)
				NOTE_FAIL("%s: %s", sub, op_strerror(r));
			else
				(*zones)++, compare_zone(sub, tz);
			op_tzif_free(tz);
		}
		free(buf);
	}
	closedir(d);
}

static void
test_every_zone_like_glibc(void)
{
	const char *saved = getenv("TZ");
	char *keep = saved != NULL ? strdup(saved) : NULL;
	unsigned zones = 0;

	walk("", &zones);
	if (keep != NULL)
		setenv("TZ", keep, 1);
	else
		unsetenv("TZ");
	tzset();
	free(keep);
	fprintf(stderr, "%u zones compared with glibc\n", zones);
	if (zones == 0)
		fprintf(stderr, "no tzdata: skipped\n");
}

/* ---- Hostile files, built here so they do not need tzdata ---- */

struct tb {
	uint8_t b[2048];
	size_t n;
};

static void
put(struct tb *t, const void *p, size_t n)
{
	memcpy(t->b + t->n, p, n);
	t->n += n;
}

static void
put_u32(struct tb *t, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
		(uint8_t)(v >> 8), (uint8_t)v };

	put(t, b, 4);
}

static void
put_i64(struct tb *t, int64_t v)
{
	put_u32(t, (uint32_t)((uint64_t)v >> 32));
	put_u32(t, (uint32_t)v);
}

struct spec {
	char version;
	uint32_t leap;
	size_t ntrans;
	int64_t trans[4];
	uint8_t idx[4];
	size_t ntypes;
	int32_t utoff[3];
	uint8_t isdst[3];
	uint8_t desig[3];
	const char *chars; /* with its NULs, charslen bytes */
	size_t charslen;
	const char *footer;
};

/* A v2 file: "CET-1CEST" with two transitions. */
static struct spec
good_spec(void)
{
	struct spec s = { .version = '2', .ntrans = 2,
		.trans = { 1743296400, 1761440400 }, .idx = { 1, 0 },
		.ntypes = 2, .utoff = { 3600, 7200 }, .isdst = { 0, 1 },
		.desig = { 0, 4 }, .chars = "CET\0CEST", .charslen = 9,
		.footer = "\nCET-1CEST,M3.5.0,M10.5.0/3\n" };

	return s;
}

static void
block(struct tb *t, const struct spec *s, bool v1)
{
	static const uint8_t zeros[15];

	put(t, "TZif", 4);
	put(t, &s->version, 1);
	put(t, zeros, 15);
	put_u32(t, 0);
	put_u32(t, 0);
	put_u32(t, s->leap);
	put_u32(t, (uint32_t)s->ntrans);
	put_u32(t, (uint32_t)s->ntypes);
	put_u32(t, (uint32_t)s->charslen);
	for (size_t i = 0; i < s->ntrans; i++) {
		if (v1)
			put_u32(t, (uint32_t)s->trans[i]);
		else
			put_i64(t, s->trans[i]);
	}
	put(t, s->idx, s->ntrans);
	for (size_t i = 0; i < s->ntypes; i++) {
		put_u32(t, (uint32_t)s->utoff[i]);
		put(t, &s->isdst[i], 1);
		put(t, &s->desig[i], 1);
	}
	put(t, s->chars, s->charslen);
	for (uint32_t i = 0; i < s->leap; i++) {
		put_u32(t, 0);
		if (!v1)
			put_u32(t, 0);
		put_u32(t, 1);
	}
}

static size_t
build(const struct spec *s, struct tb *t)
{
	t->n = 0;
	block(t, s, true);
	if (s->version != 0) {
		block(t, s, false);
		put(t, s->footer, strlen(s->footer));
	}
	return t->n;
}

static int
parse_spec(const struct spec *s)
{
	struct op_tzif *tz = NULL;
	struct tb t;
	int r;

	build(s, &t);
	r = op_tzif_parse(t.b, t.n, &tz);
	if ((r == 0) != (tz != NULL))
		NOTE_FAIL("result %d with tz %p", r, (void *)tz);
	op_tzif_free(tz);
	return r;
}

static void
test_hostile_files(void)
{
	struct op_tzif *tz = NULL;
	struct spec s = good_spec();
	struct tb t;
	struct tm tm;
	size_t n;
	uint8_t *big;

	/* The good one works, before, between and after its transitions. */
	n = build(&s, &t);
	ASSERT_INT_EQ(op_tzif_parse(t.b, n, &tz), 0);
	ASSERT_INT_EQ(op_tzif_localtime(tz, 1743296399, &tm), 0);
	ASSERT_INT_EQ(tm.tm_gmtoff, 3600);
	ASSERT_INT_EQ(op_tzif_localtime(tz, 1743296400, &tm), 0);
	ASSERT_INT_EQ(tm.tm_gmtoff, 7200);
	ASSERT_INT_EQ(op_tzif_localtime(tz, 4118126400, &tm), 0);
	ASSERT_INT_EQ(tm.tm_hour, 14); /* footer rule: CEST in July 2100 */
	ASSERT_INT_EQ(op_tzif_localtime(tz, INT64_MAX, &tm), OP_ERR_RANGE);
	op_tzif_free(tz);
	/* Every truncation fails cleanly (ASan watches the reads). */
	for (size_t k = 0; k < n; k++) {
		uint8_t *cut = malloc(k > 0 ? k : 1);

		memcpy(cut, t.b, k);
		tz = NULL;
		if (op_tzif_parse(cut, k, &tz) != OP_ERR_PROTO || tz != NULL)
			NOTE_FAIL("a %zu-byte prefix was not refused", k);
		free(cut);
	}
	/* One byte too many after the footer. */
	t.b[n] = 'x';
	ASSERT_INT_EQ(op_tzif_parse(t.b, n + 1, &tz), OP_ERR_PROTO);
	/* A bad magic, an unknown version. */
	memcpy(t.b, "TZiF", 4);
	ASSERT_INT_EQ(op_tzif_parse(t.b, n, &tz), OP_ERR_PROTO);
	s.version = '9';
	ASSERT_INT_EQ(parse_spec(&s), OP_ERR_PROTO);
	s = good_spec();
	s.version = 0; /* version 1: no footer, also fine */
	ASSERT_INT_EQ(parse_spec(&s), 0);
	/* Field by field. */
	s = good_spec();
	s.trans[1] = s.trans[0]; /* not ascending */
	ASSERT_INT_EQ(parse_spec(&s), OP_ERR_PROTO);
	s = good_spec();
	s.idx[1] = 2; /* no such type */
	ASSERT_INT_EQ(parse_spec(&s), OP_ERR_PROTO);
	s = good_spec();
	s.utoff[0] = INT32_MIN;
	ASSERT_INT_EQ(parse_spec(&s), OP_ERR_PROTO);
	s.utoff[0] = 93600; /* beyond +25:59:59 */
	ASSERT_INT_EQ(parse_spec(&s), OP_ERR_PROTO);
	s = good_spec();
	s.isdst[0] = 2;
	ASSERT_INT_EQ(parse_spec(&s), OP_ERR_PROTO);
	s = good_spec();
	s.desig[1] = 9; /* past the designations */
	ASSERT_INT_EQ(parse_spec(&s), OP_ERR_PROTO);
	s = good_spec();
	s.charslen = 8; /* "CEST" not terminated */
	ASSERT_INT_EQ(parse_spec(&s), OP_ERR_PROTO);
	s = good_spec();
	s.ntypes = 0;
	s.ntrans = 0;
	ASSERT_INT_EQ(parse_spec(&s), OP_ERR_PROTO);
	s = good_spec();
	s.leap = 1; /* right/ zones */
	ASSERT_INT_EQ(parse_spec(&s), OP_ERR_UNSUPPORTED);
	s = good_spec();
	s.footer = "\nCET-1CEST,M3.5.0\n"; /* one rule date */
	ASSERT_INT_EQ(parse_spec(&s), OP_ERR_PROTO);
	s.footer = "CET-1\n"; /* no leading newline */
	ASSERT_INT_EQ(parse_spec(&s), OP_ERR_PROTO);
	s.footer = "\nCET-1"; /* no final newline */
	ASSERT_INT_EQ(parse_spec(&s), OP_ERR_PROTO);
	s.footer = "\n\n"; /* empty: no rule, the last type stays */
	ASSERT_INT_EQ(parse_spec(&s), 0);
	/* Counts that promise more than the file holds. */
	s = good_spec();
	n = build(&s, &t);
	t.b[20 + 12 + 3] = 0xff; /* v1 timecnt = 255 */
	ASSERT_INT_EQ(op_tzif_parse(t.b, n, &tz), OP_ERR_PROTO);
	n = build(&s, &t);
	memset(t.b + 20 + 12, 0xff, 4); /* v1 timecnt = 2^32 - 1 */
	ASSERT_INT_EQ(op_tzif_parse(t.b, n, &tz), OP_ERR_PROTO);
	/* Too large to be a zone. */
	big = calloc(1, OP_TZIF_MAX_FILE + 1);
	memcpy(big, t.b, n);
	ASSERT_INT_EQ(op_tzif_parse(big, OP_TZIF_MAX_FILE + 1, &tz),
		OP_ERR_TOO_LARGE);
	free(big);
}

static void
test_posix_strings(void)
{
	static const char *const good[] = { "UTC0", "JST-9", "<+0330>-3:30",
		"CET-1CEST,M3.5.0,M10.5.0/3", "EST5EDT", "EST5EDT,M3.2.0,M11.1.0",
		"IST-1GMT0,M10.5.0,M3.5.0/1", "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
		"EST5EDT,0/0,J365/25", "AAA3BBB,J60/167,300/-167",
		"NZST-12NZDT-13:45:59,M9.5.0,M4.1.0/3" };
	static const char *const bad[] = { "", "U", "UT0", "UTC", "UTC+",
		"UTC25", "<+03", "<+3>-3", "CET-1CEST,M13.1.0,M10.5.0",
		"CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0",
		"CET-1CEST,J0,J365", "CET-1CEST,366,0", "CET-1CEST,M3.5.0/168,J1",
		"CET-1CEST,M3.5.0,M10.5.0/3x", "CET-1:60", "CET-1:00:60",
		"CET-0001", "CET-1CEST,", "CET-1CEST,M3.5.0,", "CET-1 CEST" };
	struct op_tzif *tz = NULL;
	struct tm tm;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (op_tzif_parse_posix(good[i], strlen(good[i]), &tz) != 0)
			NOTE_FAIL("refused \"%s\"", good[i]);
		op_tzif_free(tz);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (op_tzif_parse_posix(bad[i], strlen(bad[i]), &tz) !=
			OP_ERR_PROTO)
			NOTE_FAIL("accepted \"%s\"", bad[i]);
		op_tzif_free(tz);
		tz = NULL;
	}
	/* Southern hemisphere from the string alone: Sydney in January
	 * and July 2030 (1893456000 = 2030-01-01 00:00 UTC). */
	ASSERT_INT_EQ(op_tzif_parse_posix("AEST-10AEDT,M10.1.0,M4.1.0/3", 28,
			      &tz), 0);
	ASSERT_INT_EQ(op_tzif_localtime(tz, 1893456000, &tm), 0);
	ASSERT_INT_EQ(tm.tm_gmtoff, 39600);
	ASSERT_INT_EQ(op_tzif_localtime(tz, 1893456000 + 181 * 86400, &tm),
		0);
	ASSERT_INT_EQ(tm.tm_gmtoff, 36000);
	op_tzif_free(tz);
}

int
main(void)
{
	RUN(test_known_instants);
	RUN(test_every_zone_like_glibc);
	RUN(test_hostile_files);
	RUN(test_posix_strings);
	return th_done();
}
