/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the clipboard's bounded zstd decompression (clipboard_zstd_unpack)
 * with a 64 KiB cap: the input is what a client would send as compressed
 * Clipboard content. Beyond "no crash and no allocation beyond the cap",
 * the checks are the contracts: only the documented results, nothing
 * written on failure, and what comes out packs and unpacks back to
 * itself. The input is also packed and unpacked as plain content.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clipboard/clipboard.h"
#include "core/err.h"

#define UNPACK_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* pack(in) then unpack with a cap of exactly len gives in back. */
static void
round_trip(const uint8_t *in, size_t len)
{
	uint8_t *p = NULL, *u = NULL;
	size_t plen = 0, ulen = 0;
	int r = clipboard_zstd_pack(in, len, &p, &plen);

	if (r == 0) {
		if (p != NULL || plen != 0)
			__builtin_trap();
		return;
	}
	if (r != 1 || p == NULL || plen == 0 || plen >= len)
		__builtin_trap();
	if (clipboard_zstd_unpack(p, plen, len, &u, &ulen) != 0 ||
		ulen != len || memcmp(u, in, len) != 0)
		__builtin_trap();
	free(u);
	u = NULL;
	if (clipboard_zstd_unpack(p, plen, len - 1, &u, &ulen) !=
			OP_ERR_TOO_LARGE ||
		u != NULL || ulen != 0)
		__builtin_trap();
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out = (uint8_t *)&size; /* must be cleared */
	size_t out_len = 1;
	int r = clipboard_zstd_unpack(data, size, UNPACK_MAX, &out, &out_len);

	if (r == 0) {
		if (out == NULL || out_len > UNPACK_MAX)
			__builtin_trap();
		round_trip(out, out_len);
		free(out);
	} else if (r == OP_ERR_PROTO || r == OP_ERR_TOO_LARGE ||
		r == OP_ERR_NOMEM) {
		if (out != NULL || out_len != 0)
			__builtin_trap();
	} else {
		__builtin_trap();
	}
	if (size <= UNPACK_MAX)
		round_trip(data, size);
	return 0;
}
