/* SPDX-License-Identifier: MIT */
/*
 * The clipboard's zstd helpers (RustDesk's compression of Clipboard
 * content): round trip, incompressible input left raw, bombs with and
 * without a declared content size, several frames against the cap,
 * truncated frames, trailing junk and garbage. No X server needed.
 */
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "clipboard/clipboard.h"
#include "core/err.h"
#include "th.h"
#include "th-text.h"

static void
test_zstd_roundtrip(void)
{
	uint8_t *b = th_utf8_text(200 * 1024);
	uint8_t *p = NULL, *u = NULL;
	size_t plen = 0, ulen = 0;

	ASSERT_INT_EQ(clipboard_zstd_pack(b, 200 * 1024, &p, &plen), 1);
	ASSERT(plen > 0 && plen < 200 * 1024);
	ASSERT_INT_EQ(clipboard_zstd_unpack(p, plen, 200 * 1024, &u, &ulen),
		0);
	ASSERT_INT_EQ(ulen, 200 * 1024);
	ASSERT_MEM_EQ(u, b, ulen);
	free(u);
	/* One byte short of the cap. */
	ASSERT_INT_EQ(clipboard_zstd_unpack(p, plen, 200 * 1024 - 1, &u,
			      &ulen),
		OP_ERR_TOO_LARGE);
	ASSERT(u == NULL && ulen == 0);
	free(p);
	free(b);
	/* Nothing to pack. */
	ASSERT_INT_EQ(clipboard_zstd_pack((const uint8_t *)"", 0, &p, &plen),
		0);
	ASSERT(p == NULL);
}

static void
test_zstd_incompressible(void)
{
	uint8_t b[4096];
	uint8_t dummy = 0;
	uint8_t *p = &dummy; /* must be cleared */
	size_t plen = 7;
	uint32_t x = 0x12345678;
	size_t i;

	for (i = 0; i < sizeof(b); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (uint8_t)x;
	}
	ASSERT_INT_EQ(clipboard_zstd_pack(b, sizeof(b), &p, &plen), 0);
	ASSERT(p == NULL);
	ASSERT_INT_EQ(plen, 0);
	ASSERT_INT_EQ(clipboard_zstd_pack((const uint8_t *)"ab", 2, &p, &plen),
		0);
}

/* zstd frames of n zero bytes, with or without the content size. */
static size_t
make_frame(uint8_t *dst, size_t cap, size_t n, int with_size)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	uint8_t *src = calloc(1, n > 0 ? n : 1);
	ZSTD_inBuffer in = { src, n, 0 };
	ZSTD_outBuffer out = { dst, cap, 0 };
	size_t r;

	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, with_size);
	r = ZSTD_compressStream2(c, &out, &in, ZSTD_e_end);
	ZSTD_freeCCtx(c);
	free(src);
	return ZSTD_isError(r) || r != 0 ? 0 : out.pos;
}

static void
test_zstd_bombs(void)
{
	uint8_t f[4][4096];
	uint8_t cat[8192];
	size_t n[4];
	uint8_t *u = NULL;
	size_t ulen = 0;
	const size_t max = 64 * 1024;

	n[0] = make_frame(f[0], sizeof(f[0]), 16 << 20, 1); /* declares 16M */
	n[1] = make_frame(f[1], sizeof(f[1]), 16 << 20, 0); /* unknown */
	n[2] = make_frame(f[2], sizeof(f[2]), 40 * 1024, 1);
	n[3] = make_frame(f[3], sizeof(f[3]), 40 * 1024, 0);
	ASSERT(n[0] > 0 && n[1] > 0 && n[2] > 0 && n[3] > 0);
	ASSERT(n[0] < 2048 && n[1] < 2048); /* a real bomb: tiny frames */
	printf("16 MiB of zeros: %zu-byte frame\n", n[0]);
	ASSERT_INT_EQ(ZSTD_getFrameContentSize(f[1], n[1]),
		ZSTD_CONTENTSIZE_UNKNOWN);
	ASSERT_INT_EQ(clipboard_zstd_unpack(f[0], n[0], max, &u, &ulen),
		OP_ERR_TOO_LARGE);
	ASSERT_INT_EQ(clipboard_zstd_unpack(f[1], n[1], max, &u, &ulen),
		OP_ERR_TOO_LARGE);
	ASSERT(u == NULL && ulen == 0);
	/* One frame within the cap, either kind. */
	ASSERT_INT_EQ(clipboard_zstd_unpack(f[2], n[2], max, &u, &ulen), 0);
	ASSERT_INT_EQ(ulen, 40 * 1024);
	free(u);
	ASSERT_INT_EQ(clipboard_zstd_unpack(f[3], n[3], max, &u, &ulen), 0);
	ASSERT_INT_EQ(ulen, 40 * 1024);
	ASSERT(u[0] == 0 && u[ulen - 1] == 0);
	free(u);
	/* Two frames: 80 KiB together is above 64 KiB, in both modes. */
	memcpy(cat, f[2], n[2]);
	memcpy(cat + n[2], f[2], n[2]);
	ASSERT_INT_EQ(clipboard_zstd_unpack(cat, 2 * n[2], max, &u, &ulen),
		OP_ERR_TOO_LARGE);
	memcpy(cat + n[2], f[3], n[3]);
	ASSERT_INT_EQ(clipboard_zstd_unpack(cat, n[2] + n[3], max, &u, &ulen),
		OP_ERR_TOO_LARGE);
	/* ... and fine below a larger cap. */
	ASSERT_INT_EQ(clipboard_zstd_unpack(cat, n[2] + n[3], 80 * 1024, &u,
			      &ulen),
		0);
	ASSERT_INT_EQ(ulen, 80 * 1024);
	free(u);
}

static void
test_zstd_garbage(void)
{
	const uint8_t junk[] = "definitely not a zstd frame";
	uint8_t f[4096];
	uint8_t *p = NULL, *u = NULL;
	size_t n, plen = 0, ulen = 0;
	const char *s = "hello hello hello hello hello hello hello hello";

	ASSERT_INT_EQ(clipboard_zstd_unpack(junk, sizeof(junk), 1024, &u,
			      &ulen),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(clipboard_zstd_unpack(junk, 0, 1024, &u, &ulen),
		OP_ERR_PROTO);
	ASSERT(u == NULL && ulen == 0);
	/* Truncated, with and without a size. */
	n = make_frame(f, sizeof(f), 40 * 1024, 1);
	ASSERT_INT_EQ(clipboard_zstd_unpack(f, n - 3, 1 << 20, &u, &ulen),
		OP_ERR_PROTO);
	n = make_frame(f, sizeof(f), 40 * 1024, 0);
	ASSERT_INT_EQ(clipboard_zstd_unpack(f, n - 3, 1 << 20, &u, &ulen),
		OP_ERR_PROTO);
	/* A frame followed by junk. */
	ASSERT_INT_EQ(clipboard_zstd_pack((const uint8_t *)s, strlen(s), &p,
			      &plen),
		1);
	memcpy(f, p, plen);
	memcpy(f + plen, "xyz!", 4);
	ASSERT_INT_EQ(clipboard_zstd_unpack(f, plen + 4, 1024, &u, &ulen),
		OP_ERR_PROTO);
	/* A flipped bit in the compressed block. */
	memcpy(f, p, plen);
	f[plen - 2] ^= 0x40;
	{
		int r = clipboard_zstd_unpack(f, plen, 1024, &u, &ulen);

		if (r == 0) {
			/* Possible for a literal byte: then it differs. */
			ASSERT(ulen != strlen(s) || memcmp(u, s, ulen) != 0);
			free(u);
		} else {
			ASSERT_INT_EQ(r, OP_ERR_PROTO);
		}
	}
	free(p);
}


int
main(void)
{
	RUN(test_zstd_roundtrip);
	RUN(test_zstd_incompressible);
	RUN(test_zstd_bombs);
	RUN(test_zstd_garbage);
	return th_done();
}
