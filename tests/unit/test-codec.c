/* SPDX-License-Identifier: MIT */
/* BytesCodec framing: known vectors, boundaries, round trips, hostile input. */
#include <stdlib.h>

#include "core/buf.h"
#include "core/err.h"
#include "th.h"
#include "wire/codec.h"

static void
test_known_vectors(void)
{
	uint8_t h[CODEC_MAX_HEADER];

	/* The examples in protocol reference 1.2. */
	ASSERT_INT_EQ(codec_header(5, h), 1);
	ASSERT_INT_EQ(h[0], 0x14);
	ASSERT_INT_EQ(codec_header(300, h), 2);
	ASSERT_INT_EQ(h[0], 0xB1);
	ASSERT_INT_EQ(h[1], 0x04);
	ASSERT_INT_EQ(codec_header(0, h), 1);
	ASSERT_INT_EQ(h[0], 0x00);
}

static void
test_boundaries(void)
{
	static const struct {
		size_t n;
		size_t hl;
		uint8_t h[4];
	} v[] = {
		{ 63, 1, { 0xFC } },
		{ 64, 2, { 0x01, 0x01 } },
		{ 16383, 2, { 0xFD, 0xFF } },
		{ 16384, 3, { 0x02, 0x00, 0x01 } },
		{ 0x3FFFFF, 3, { 0xFE, 0xFF, 0xFF } },
		{ 0x400000, 4, { 0x03, 0x00, 0x00, 0x01 } },
		{ 0x3FFFFFFF, 4, { 0xFF, 0xFF, 0xFF, 0xFF } },
	};
	uint8_t h[CODEC_MAX_HEADER];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(h, 0xAA, sizeof(h));
		ASSERT_INT_EQ(codec_header(v[i].n, h), v[i].hl);
		ASSERT_MEM_EQ(h, v[i].h, v[i].hl);
	}
	/* Too large: refused, out untouched. */
	memset(h, 0xAA, sizeof(h));
	ASSERT_INT_EQ(codec_header(0x40000000, h), 0);
	ASSERT_INT_EQ(codec_header((size_t)-1, h), 0);
	ASSERT_INT_EQ(h[0], 0xAA);
}

/* Encode a header, then decode header + exactly n dummy bytes. */
static void
test_round_trip_all_sizes(void)
{
	static const size_t lens[] = { 0, 1, 5, 62, 63, 64, 65, 300, 16383,
		16384, 16385, 70000, 0x3FFFFF, 0x400000, 0x400001 };
	uint8_t *buf = calloc(1, 0x400001 + CODEC_MAX_HEADER + 8);
	size_t hl;
	size_t dh;
	size_t dp;

	ASSERT(buf != NULL);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t n = lens[i];

		hl = codec_header(n, buf);
		ASSERT(hl >= 1 && hl <= 4);
		ASSERT_INT_EQ(codec_decode(buf, hl + n, 0x400001, &dh, &dp),
			0);
		ASSERT_INT_EQ(dh, hl);
		ASSERT_INT_EQ(dp, n);
		/* One byte short is incomplete, never an error. */
		ASSERT_INT_EQ(codec_decode(buf, hl + n - 1, 0x400001, &dh,
			&dp), OP_ERR_INCOMPLETE);
		ASSERT_INT_EQ(dh, 0);
		ASSERT_INT_EQ(dp, 0);
		/* Trailing bytes of the next frame are left alone. */
		ASSERT_INT_EQ(codec_decode(buf, hl + n + 3, 0x400001, &dh,
			&dp), 0);
		ASSERT_INT_EQ(dp, n);
	}
	/* The 4-byte maximum decodes without the payload being present:
	 * only the header is looked at for the size decision. */
	hl = codec_header(0x3FFFFFFF, buf);
	ASSERT_INT_EQ(codec_decode(buf, hl, CODEC_MAX_PAYLOAD, &dh, &dp),
		OP_ERR_INCOMPLETE);
	free(buf);
}

static void
test_non_shortest_headers(void)
{
	/* 5-byte payload with a 2-, 3- and 4-byte header. */
	uint8_t h2[] = { 0x15, 0x00, 'h', 'e', 'l', 'l', 'o' };
	uint8_t h3[] = { 0x16, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o' };
	uint8_t h4[] = { 0x17, 0x00, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o' };
	/* Empty payload with a 4-byte header. */
	uint8_t e4[] = { 0x03, 0x00, 0x00, 0x00 };
	size_t dh;
	size_t dp;

	ASSERT_INT_EQ(codec_decode(h2, sizeof(h2), 64, &dh, &dp), 0);
	ASSERT_INT_EQ(dh, 2);
	ASSERT_INT_EQ(dp, 5);
	ASSERT_INT_EQ(codec_decode(h3, sizeof(h3), 64, &dh, &dp), 0);
	ASSERT_INT_EQ(dh, 3);
	ASSERT_INT_EQ(dp, 5);
	ASSERT_INT_EQ(codec_decode(h4, sizeof(h4), 64, &dh, &dp), 0);
	ASSERT_INT_EQ(dh, 4);
	ASSERT_INT_EQ(dp, 5);
	ASSERT_MEM_EQ(h4 + dh, "hello", 5);
	ASSERT_INT_EQ(codec_decode(e4, sizeof(e4), 0, &dh, &dp), 0);
	ASSERT_INT_EQ(dh, 4);
	ASSERT_INT_EQ(dp, 0);
}

static void
test_hostile(void)
{
	uint8_t b[8];
	size_t dh = 99;
	size_t dp = 99;

	/* Nothing at all. */
	ASSERT_INT_EQ(codec_decode(NULL, 0, 100, &dh, &dp), OP_ERR_INCOMPLETE);
	ASSERT_INT_EQ(dh, 0);
	ASSERT_INT_EQ(dp, 0);
	/* Truncated headers, for every header size. */
	for (uint8_t t = 1; t <= 3; t++) {
		b[0] = t; /* header of t + 1 bytes */
		for (size_t have = 1; have <= t; have++)
			ASSERT_INT_EQ(codec_decode(b, have, 100, &dh, &dp),
				OP_ERR_INCOMPLETE);
	}
	/* Oversize declared length, for every header size, refused as soon
	 * as the header is complete (no payload present). */
	for (size_t hl = 1; hl <= 4; hl++) {
		memset(b, 0xFF, sizeof(b));
		b[0] = (uint8_t)(0xFC | (hl - 1));
		/* declared = (2^(8*hl) - 1) >> 2 */
		ASSERT_INT_EQ(codec_decode(b, hl, 10, &dh, &dp),
			OP_ERR_TOO_LARGE);
		ASSERT_INT_EQ(dh, 0);
		ASSERT_INT_EQ(dp, 0);
		/* The header alone is not enough to refuse before it is
		 * complete. */
		if (hl > 1)
			ASSERT_INT_EQ(codec_decode(b, hl - 1, 10, &dh, &dp),
				OP_ERR_INCOMPLETE);
	}
	/* Exactly max_payload is fine, one more is not. */
	b[0] = 10 << 2;
	ASSERT_INT_EQ(codec_decode(b, 1, 10, &dh, &dp), OP_ERR_INCOMPLETE);
	b[0] = 11 << 2;
	ASSERT_INT_EQ(codec_decode(b, 1, 10, &dh, &dp), OP_ERR_TOO_LARGE);
	/* A truncated payload. */
	b[0] = 5 << 2;
	ASSERT_INT_EQ(codec_decode(b, 5, 10, &dh, &dp), OP_ERR_INCOMPLETE);
	ASSERT_INT_EQ(codec_decode(b, 6, 10, &dh, &dp), 0);
	/* max_payload 0 allows only heartbeats. */
	b[0] = 0;
	ASSERT_INT_EQ(codec_decode(b, 1, 0, &dh, &dp), 0);
	b[0] = 1 << 2;
	ASSERT_INT_EQ(codec_decode(b, 1, 0, &dh, &dp), OP_ERR_TOO_LARGE);
}

static void
test_put_frame(void)
{
	struct opbuf *b = opbuf_new(80);
	uint8_t payload[80];
	size_t dh;
	size_t dp;

	ASSERT(b != NULL);
	memset(payload, 'x', sizeof(payload));
	ASSERT_INT_EQ(codec_put_frame(b, NULL, 0), 0);
	ASSERT_INT_EQ(opbuf_len(b), 1);
	ASSERT_INT_EQ(opbuf_ptr(b)[0], 0);
	ASSERT_INT_EQ(codec_put_frame(b, payload, 5), 0);
	ASSERT_INT_EQ(opbuf_len(b), 7);
	ASSERT_INT_EQ(opbuf_ptr(b)[1], 0x14);
	/* 7 + 2 + 75 bytes would exceed max_size 80: all or nothing. */
	ASSERT_INT_EQ(codec_put_frame(b, payload, 75), OP_ERR_TOO_LARGE);
	ASSERT_INT_EQ(opbuf_len(b), 7);
	ASSERT_INT_EQ(opbuf_consume(b, 1), 0);
	ASSERT_INT_EQ(codec_decode(opbuf_ptr(b), opbuf_len(b), 64, &dh, &dp),
		0);
	ASSERT_INT_EQ(dh, 1);
	ASSERT_INT_EQ(dp, 5);
	ASSERT_INT_EQ(codec_put_frame(b, payload, CODEC_MAX_PAYLOAD + 1),
		OP_ERR_TOO_LARGE);
	opbuf_free(b);

	b = opbuf_new(1 << 20);
	ASSERT_INT_EQ(codec_put_frame(b, payload, 64), 0);
	ASSERT_INT_EQ(opbuf_len(b), 66);
	ASSERT_INT_EQ(opbuf_ptr(b)[0], 0x01);
	ASSERT_INT_EQ(opbuf_ptr(b)[1], 0x01);
	opbuf_free(b);
}

int
main(void)
{
	RUN(test_known_vectors);
	RUN(test_boundaries);
	RUN(test_round_trip_all_sizes);
	RUN(test_non_shortest_headers);
	RUN(test_hostile);
	RUN(test_put_frame);
	return th_done();
}
