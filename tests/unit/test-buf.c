/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "th.h"

static void
test_bounded(void)
{
	struct opbuf *b = opbuf_new(8);
	uint8_t big[9] = { 0 };
	uint32_t v;

	ASSERT(b != NULL);
	ASSERT_INT_EQ(opbuf_put(b, big, 9), OP_ERR_TOO_LARGE);
	ASSERT_INT_EQ(opbuf_len(b), 0);
	ASSERT_INT_EQ(opbuf_put(b, "\x01\x02\x03\x04", 4), 0);
	ASSERT_INT_EQ(opbuf_put(b, "abcde", 5), OP_ERR_TOO_LARGE);
	ASSERT_INT_EQ(opbuf_get_u32le(b, &v), 0);
	ASSERT_U64_EQ(v, 0x04030201u);
	/* Consumed space is reused, still within max_size. */
	ASSERT_INT_EQ(opbuf_put(b, "12345678", 8), 0);
	ASSERT_INT_EQ(opbuf_len(b), 8);
	opbuf_free(b);
}

static void
test_get_fails_cleanly(void)
{
	struct opbuf *b = opbuf_new(64);
	uint32_t v = 77;
	uint16_t w = 5;

	ASSERT_INT_EQ(opbuf_put(b, "\x01\x02\x03", 3), 0);
	ASSERT_INT_EQ(opbuf_get_u32le(b, &v), OP_ERR_INCOMPLETE);
	ASSERT_U64_EQ(v, 0);
	ASSERT_INT_EQ(opbuf_len(b), 3);
	ASSERT_INT_EQ(opbuf_get_u16le(b, &w), 0);
	ASSERT_U64_EQ(w, 0x0201);
	ASSERT_INT_EQ(opbuf_consume(b, 2), OP_ERR_INCOMPLETE);
	ASSERT_INT_EQ(opbuf_consume(b, 1), 0);
	ASSERT_INT_EQ(opbuf_len(b), 0);
	opbuf_free(b);
	opbuf_free(NULL);
}

static void
test_reserve_commit(void)
{
	struct opbuf *b = opbuf_new(1 << 20);
	uint8_t *dst;

	for (int i = 0; i < 100; i++) {
		ASSERT_INT_EQ(opbuf_reserve(b, 1000, &dst), 0);
		memset(dst, i, 1000);
		opbuf_commit(b, 1000);
	}
	ASSERT_INT_EQ(opbuf_len(b), 100000);
	ASSERT_INT_EQ(opbuf_ptr(b)[99999], 99);
	ASSERT_INT_EQ(opbuf_reserve(b, (size_t)-1, &dst), OP_ERR_TOO_LARGE);
	ASSERT(dst == NULL);
	opbuf_free(b);
}

/* core/json.h's string literal into a buffer: escapes, the length it
 * needs, cut short but terminated, stopping at n or a NUL. */
static void
test_json_str_buf(void)
{
	char out[64];

	ASSERT_U64_EQ(op_json_str_buf(out, sizeof(out), "a\"b\\c\n\x7f", 7),
		21);
	ASSERT_STR_EQ(out, "\"a\\\"b\\\\c\\u000a\\u007f\"");
	ASSERT_U64_EQ(op_json_str_buf(NULL, 0, "abc", 3), 5);
	memset(out, 'x', sizeof(out));
	ASSERT_U64_EQ(op_json_str_buf(out, 4, "abcdef", 6), 8);
	ASSERT_STR_EQ(out, "\"ab");
	ASSERT_U64_EQ(op_json_str_buf(out, sizeof(out), "ab\0cd", 5), 4);
	ASSERT_STR_EQ(out, "\"ab\"");
	ASSERT_U64_EQ(op_json_str_buf(out, sizeof(out), "abcdef", 2), 4);
	ASSERT_STR_EQ(out, "\"ab\"");
}

int
main(void)
{
	RUN(test_bounded);
	RUN(test_get_fails_cleanly);
	RUN(test_reserve_commit);
	RUN(test_json_str_buf);
	return th_done();
}
