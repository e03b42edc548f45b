/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes what a client's TerminalData goes through and what the output
 * path decides on bytes a shell prints: term__unpack (bounded zstd of a
 * compressed TerminalData, 64 KiB cap), term__utf8_split (where a chunk
 * may end) and term__pack (must round-trip). Checks the contracts, not
 * only "no crash": documented results only, nothing returned on failure,
 * a split that only ever holds back the start of one character.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "core/err.h"
#include "term/term-internal.h"

#define UNPACK_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_split(const uint8_t *b, size_t len)
{
	size_t s = term__utf8_split(b, len);

	if (s > len || len - s > 3)
		__builtin_trap();
	if (s == len)
		return;
	/* What is held back is one lead byte and its continuations. */
	if (b[s] < 0xc0 || b[s] > 0xf7)
		__builtin_trap();
	for (size_t i = s + 1; i < len; i++)
		if ((b[i] & 0xc0) != 0x80)
			__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ZSTD_CCtx *cc;
	static uint8_t z[TERM_CHUNK + 1024];
	uint8_t *out = (uint8_t *)"sentinel";
	size_t out_len = 7;
	size_t n;
	int r;

	if (cc == NULL && ((cc = ZSTD_createCCtx()) == NULL ||
			      term__pack_setup(cc) != 0))
		__builtin_trap();
	r = term__unpack(data, size, UNPACK_MAX, &out, &out_len);
	if (r == 0) {
		if (out == NULL || out_len > UNPACK_MAX)
			__builtin_trap();
		check_split(out, out_len);
		free(out);
	} else if (r != OP_ERR_PROTO && r != OP_ERR_TOO_LARGE &&
		r != OP_ERR_NOMEM) {
		__builtin_trap();
	} else if (out != NULL || out_len != 0) {
		__builtin_trap();
	}
	check_split(data, size);
	if (size > TERM_CHUNK)
		size = TERM_CHUNK;
	if ((n = term__pack(cc, data, size, z, sizeof(z))) > 0) {
		if (n >= size || size <= TERM_COMPRESS_MIN ||
			term__unpack(z, n, size, &out, &out_len) != 0 ||
			out_len != size || memcmp(out, data, size) != 0)
			__builtin_trap();
		free(out);
	}
	return 0;
}
