/* SPDX-License-Identifier: MIT */
/*
 * core/utf8: the shared display filter (op_utf8_unsafe, op_utf8_sanitize)
 * with hostile strings: C0 and C1 controls (ESC, CSI as U+009B, NEL),
 * bidi embeddings, overrides and isolates, zero-width characters, invalid
 * and overlong UTF-8, and cuts that must land on a character boundary.
 */
#include <string.h>

#include "core/utf8.h"
#include "th.h"

static void
test_unsafe_table(void)
{
	static const uint32_t bad[] = { 0x00, 0x0a, 0x1b, 0x7f, 0x80, 0x85,
		0x9b, 0x9f, 0x200b, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a,
		0x202b, 0x202c, 0x202d, 0x202e, 0x2060, 0x2066, 0x2067, 0x2068,
		0x2069, 0xfeff, 0xfff9, 0xfffb };
	static const uint32_t good[] = { 0x20, 'A', 0x7e, 0xa0, 0xe9, 0x20ac,
		0x2030, 0x4e2d, 0xfffd, 0x1f600 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!op_utf8_unsafe(bad[i]))
			TH_FAIL("U+%04X should be unsafe", (unsigned)bad[i]);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (op_utf8_unsafe(good[i]))
			TH_FAIL("U+%04X should be shown", (unsigned)good[i]);
}

static void
check(const char *in, const char *want)
{
	char out[128];

	op_utf8_sanitize(out, sizeof(out), in, strlen(in));
	ASSERT_STR_EQ(out, want);
}

static void
test_sanitize_hostile(void)
{
	char out[16];

	/* C0: a forged log line and an ANSI colour. */
	check("id\n2026-01-01 outpost: ok", "id?2026-01-01 outpost: ok");
	check("\x1b[31mred", "?[31mred");
	/* C1 as UTF-8: CSI (U+009B), NEL (U+0085), APC (U+009F). */
	check("a\xc2\x9b" "2Jb", "a?2Jb");
	check("x\xc2\x85y\xc2\x9f" "z", "x?y?z");
	/* Bidi: RLO makes "exe.txt" read backwards; isolates too. */
	check("\xe2\x80\xae" "exe.txt", "?exe.txt");
	check("\xe2\x80\xaa" "a\xe2\x80\xab" "b\xe2\x80\xac" "c\xe2\x80\xad",
		"?a?b?c?");
	check("\xe2\x81\xa6" "d\xe2\x81\xa7" "e\xe2\x81\xa8" "f\xe2\x81\xa9",
		"?d?e?f?");
	/* Zero width and BOM. */
	check("ad\xe2\x80\x8bmin\xef\xbb\xbf", "ad?min?");
	/* Invalid: a lone continuation, an overlong '/', a surrogate,
	 * a truncated sequence. One '?' per bad byte. */
	check("\x80", "?");
	check("\xc0\xaf", "??");
	check("\xed\xa0\x80", "???");
	check("ok\xe2\x82", "ok??");
	/* What is fine stays: accents, CJK, emoji, the euro sign. */
	check("J\xc3\xbcrgen \xe6\x97\xa5 \xf0\x9f\x98\x80 \xe2\x82\xac",
		"J\xc3\xbcrgen \xe6\x97\xa5 \xf0\x9f\x98\x80 \xe2\x82\xac");
	/* A NUL in the middle is a control. */
	op_utf8_sanitize(out, sizeof(out), "a\0b", 3);
	ASSERT_STR_EQ(out, "a?b");
	/* Cut at a character boundary: "\xe6\x97\xa5" does not fit. */
	ASSERT_INT_EQ(op_utf8_sanitize(out, 5, "abc\xe6\x97\xa5", 6), 3);
	ASSERT_STR_EQ(out, "abc");
	ASSERT_INT_EQ(op_utf8_sanitize(out, 1, "abc", 3), 0);
	ASSERT_STR_EQ(out, "");
	ASSERT_INT_EQ(op_utf8_sanitize(out, sizeof(out), NULL, 5), 0);
	ASSERT_STR_EQ(out, "");
}

static void
test_next_safe(void)
{
	size_t adv = 99;

	ASSERT_INT_EQ(op_utf8_next_safe((const uint8_t *)"\xc2\x9b", 2, &adv),
		0);
	ASSERT_INT_EQ(adv, 2);
	ASSERT_INT_EQ(op_utf8_next_safe((const uint8_t *)"\xff", 1, &adv), 0);
	ASSERT_INT_EQ(adv, 1);
	ASSERT_INT_EQ(op_utf8_next_safe((const uint8_t *)"\xc3\xa9", 2, &adv),
		2);
	ASSERT_INT_EQ(adv, 2);
}

int
main(void)
{
	RUN(test_unsafe_table);
	RUN(test_sanitize_hostile);
	RUN(test_next_safe);
	return th_done();
}
