/* SPDX-License-Identifier: MIT */
/*
 * core/memfile: JSON written with stdio comes back whole (open_memstream
 * on Unix, a private temporary file on Windows), longer than any stdio
 * buffer, NUL bytes included; copies into a fixed buffer are cut and
 * terminated; a failed open gives nothing back.
 */
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/memfile.h"
#include "th.h"

static void
test_round_trip(void)
{
	struct op_memfile m;
	FILE *f = op_memfile_open(&m);
	size_t len = 0;
	char *s;

	ASSERT(f != NULL);
	fputs("{\"path\":", f);
	op_json_cstr(f, "a\"b\\c\n");
	fputs("}", f);
	s = op_memfile_take(&m, &len);
	ASSERT(s != NULL);
	ASSERT_STR_EQ(s, "{\"path\":\"a\\\"b\\\\c\\u000a\"}");
	ASSERT_INT_EQ((long long)len, (long long)strlen(s));
	ASSERT(m.f == NULL);
	free(s);
}

static void
test_large_and_binary(void)
{
	struct op_memfile m;
	FILE *f = op_memfile_open(&m);
	size_t len = 0;
	char *s;

	ASSERT(f != NULL);
	for (int i = 0; i < 100000; i++)
		fputc('a' + i % 26, f);
	fputc('\0', f);
	fputc('z', f);
	s = op_memfile_take(&m, &len);
	ASSERT(s != NULL);
	ASSERT_INT_EQ((long long)len, 100002);
	ASSERT_INT_EQ(s[99999], 'a' + 99999 % 26);
	ASSERT_INT_EQ(s[100000], '\0');
	ASSERT_INT_EQ(s[100001], 'z');
	ASSERT_INT_EQ(s[100002], '\0');
	free(s);
}

static void
test_copy_cuts(void)
{
	struct op_memfile m;
	char out[8];

	ASSERT(op_memfile_open(&m) != NULL);
	fputs("0123456789", m.f);
	ASSERT_INT_EQ(op_memfile_copy(&m, out, sizeof(out)), 0);
	ASSERT_STR_EQ(out, "0123456");
	ASSERT(op_memfile_open(&m) != NULL);
	ASSERT_INT_EQ(op_memfile_copy(&m, out, sizeof(out)), 0);
	ASSERT_STR_EQ(out, "");
}

static void
test_never_opened(void)
{
	struct op_memfile m = { .f = NULL };
	size_t len = 7;
	char out[4] = "xyz";

	ASSERT(op_memfile_take(&m, &len) == NULL);
	ASSERT_INT_EQ((long long)len, 0);
	ASSERT_INT_EQ(op_memfile_copy(&m, out, sizeof(out)), -1);
	ASSERT_STR_EQ(out, "");
}

int
main(void)
{
	RUN(test_round_trip);
	RUN(test_large_and_binary);
	RUN(test_copy_cuts);
	RUN(test_never_opened);
	return th_done();
}
