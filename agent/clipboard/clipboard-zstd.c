/* SPDX-License-Identifier: MIT */
/*
 * The pure half of the clipboard: RustDesk's zstd compression (level 3,
 * used only when it makes the content smaller) and its bounded inverse
 * for what clients send, plus the UTF-8 / Latin-1 helpers the X11
 * backend uses. Decompressed sizes are never trusted: a declared size
 * above the cap is refused before allocating, and frames without one are
 * streamed into a buffer that stops growing at the cap. No I/O, no loop.
 */
#include "clipboard/clipboard.h"

#include <stdlib.h>
#include <string.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "clipboard/clipboard-internal.h"
#include "core/err.h"
#include "core/utf8.h"

#define ZSTD_LEVEL 3
/* First buffer of a streamed decompression; it doubles up to the cap. */
#define UNPACK_START (64 * 1024)

bool
clipboard__utf8_valid(const uint8_t *s, size_t len)
{
	size_t off = 0;
	uint32_t cp;

	while (off < len) {
		size_t n = op_utf8_decode(s + off, len - off, &cp);

		if (n == 0)
			return false;
		off += n;
	}
	return true;
}

int
clipboard__latin1_to_utf8(const uint8_t *in, size_t len, size_t max,
	uint8_t **out, size_t *out_len)
{
	size_t need = len;
	size_t i;
	size_t o = 0;
	uint8_t *b;

	*out = NULL;
	*out_len = 0;
	for (i = 0; i < len; i++)
		if (in[i] >= 0x80)
			need++;
	if (need > max)
		return OP_ERR_TOO_LARGE;
	if ((b = malloc(need > 0 ? need : 1)) == NULL)
		return OP_ERR_NOMEM;
	for (i = 0; i < len; i++) {
		if (in[i] < 0x80) {
			b[o++] = in[i];
		} else {
			b[o++] = (uint8_t)(0xc0 | in[i] >> 6);
			b[o++] = (uint8_t)(0x80 | (in[i] & 0x3f));
		}
	}
	*out = b;
	*out_len = o;
	return 0;
}

int
clipboard__utf8_to_latin1(const uint8_t *in, size_t len, uint8_t **out,
	size_t *out_len)
{
	size_t off = 0;
	size_t o = 0;
	uint32_t cp;
	uint8_t *b;

	*out = NULL;
	*out_len = 0;
	if ((b = malloc(len > 0 ? len : 1)) == NULL)
		return OP_ERR_NOMEM;
	while (off < len) {
		size_t n = op_utf8_decode(in + off, len - off, &cp);

		if (n == 0 || cp > 0xff) {
			free(b);
			return OP_ERR_RANGE;
		}
		b[o++] = (uint8_t)cp;
		off += n;
	}
	*out = b;
	*out_len = o;
	return 0;
}

int
clipboard_zstd_pack(const uint8_t *in, size_t len, uint8_t **out,
	size_t *out_len)
{
	size_t bound;
	size_t n;
	uint8_t *b;

	*out = NULL;
	*out_len = 0;
	if (len == 0)
		return 0;
	bound = ZSTD_compressBound(len);
	if (ZSTD_isError(bound))
		return OP_ERR_TOO_LARGE;
	if ((b = malloc(bound)) == NULL)
		return OP_ERR_NOMEM;
	n = ZSTD_compress(b, bound, in, len, ZSTD_LEVEL);
	if (ZSTD_isError(n)) {
		free(b);
		return OP_ERR_INTERNAL;
	}
	if (n >= len) {
		free(b);
		return 0;
	}
	*out = b;
	*out_len = n;
	return 1;
}

/* zstd's errors on untrusted input: a window we refuse to allocate is a
 * size problem, everything else is malformed input. */
static int
zstd_err(size_t code)
{
	if (ZSTD_getErrorCode(code) == ZSTD_error_frameParameter_windowTooLarge)
		return OP_ERR_TOO_LARGE;
	if (ZSTD_getErrorCode(code) == ZSTD_error_memory_allocation)
		return OP_ERR_NOMEM;
	return OP_ERR_PROTO;
}

/*
 * Walks the frames: OP_ERR_PROTO when one is malformed or truncated,
 * OP_ERR_TOO_LARGE when the declared sizes add up beyond max. *known is
 * false when some frame does not declare its size.
 */
static int
scan_frames(const uint8_t *in, size_t len, size_t max, size_t *total,
	bool *known)
{
	size_t off = 0;

	*total = 0;
	*known = true;
	while (off < len) {
		unsigned long long fcs =
			ZSTD_getFrameContentSize(in + off, len - off);
		size_t csize = ZSTD_findFrameCompressedSize(in + off,
			len - off);

		if (fcs == ZSTD_CONTENTSIZE_ERROR || ZSTD_isError(csize) ||
			csize == 0 || csize > len - off)
			return OP_ERR_PROTO;
		if (fcs == ZSTD_CONTENTSIZE_UNKNOWN) {
			*known = false;
		} else {
			if (fcs > max - *total)
				return OP_ERR_TOO_LARGE;
			*total += (size_t)fcs;
		}
		off += csize;
	}
	return 0;
}

/* The window a frame may ask for: enough for max, at least what a
 * streaming level-3 compressor uses (2 MiB), at most 128 MiB. */
static int
window_log(size_t max)
{
	int lg = 21;

	while (lg < 27 && ((size_t)1 << lg) < max)
		lg++;
	return lg;
}

/* Frames without a declared size: stream into a buffer that grows to
 * max + 1 bytes at most, the extra byte proving the output too large. */
static int
unpack_stream(const uint8_t *in, size_t len, size_t max, uint8_t **out,
	size_t *out_len)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer src = { in, len, 0 };
	ZSTD_outBuffer dst = { NULL, 0, 0 };
	size_t limit = max < SIZE_MAX ? max + 1 : max;
	size_t ret = 1;
	int r = OP_ERR_INTERNAL;

	if (d == NULL)
		return OP_ERR_NOMEM;
	if (ZSTD_isError(ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax,
		    window_log(max))))
		goto out;
	for (;;) {
		size_t before_in = src.pos;
		size_t before_out = dst.pos;

		if (dst.pos == dst.size) {
			size_t cap = dst.size == 0 ? UNPACK_START : dst.size;
			void *nb;

			if (dst.size >= limit) {
				r = OP_ERR_TOO_LARGE;
				goto out;
			}
			if (dst.size != 0 && dst.size <= limit / 2)
				cap = dst.size * 2;
			else if (dst.size != 0)
				cap = limit;
			if (cap > limit)
				cap = limit;
			if ((nb = realloc(dst.dst, cap)) == NULL) {
				r = OP_ERR_NOMEM;
				goto out;
			}
			dst.dst = nb;
			dst.size = cap;
		}
		ret = ZSTD_decompressStream(d, &dst, &src);
		if (ZSTD_isError(ret)) {
			r = zstd_err(ret);
			goto out;
		}
		if (dst.pos > max) {
			r = OP_ERR_TOO_LARGE;
			goto out;
		}
		if (src.pos == src.size && ret == 0)
			break;
		/* Input used up, room left, frame unfinished: truncated. */
		if (src.pos == src.size && dst.pos < dst.size) {
			r = OP_ERR_PROTO;
			goto out;
		}
		if (src.pos == before_in && dst.pos == before_out &&
			dst.pos < dst.size) {
			r = OP_ERR_PROTO;
			goto out;
		}
	}
	*out = dst.dst;
	*out_len = dst.pos;
	dst.dst = NULL;
	r = 0;
out:
	free(dst.dst);
	ZSTD_freeDCtx(d);
	return r;
}

int
clipboard_zstd_unpack(const uint8_t *in, size_t len, size_t max,
	uint8_t **out, size_t *out_len)
{
	size_t total;
	size_t n;
	bool known;
	uint8_t *b;
	int r;

	*out = NULL;
	*out_len = 0;
	if (in == NULL || len == 0)
		return OP_ERR_PROTO;
	if ((r = scan_frames(in, len, max, &total, &known)) != 0)
		return r;
	if (!known)
		return unpack_stream(in, len, max, out, out_len);
	/* Every size declared and within max: one exact allocation; zstd
	 * itself refuses frames whose content does not match. */
	if ((b = malloc(total > 0 ? total : 1)) == NULL)
		return OP_ERR_NOMEM;
	n = ZSTD_decompress(b, total, in, len);
	if (ZSTD_isError(n) || n != total) {
		free(b);
		return ZSTD_isError(n) ? zstd_err(n) : OP_ERR_PROTO;
	}
	*out = b;
	*out_len = n;
	return 0;
}

int
clipboard__items_check(const struct clipboard_item *items, int n,
	size_t max)
{
	bool seen[CLIPBOARD_MAX_ITEMS] = { false };

	if (items == NULL || n < 1 || n > CLIPBOARD_MAX_ITEMS)
		return OP_ERR_RANGE;
	for (int i = 0; i < n; i++) {
		const struct clipboard_item *it = &items[i];
		int f = (int)it->format;

		if ((f != CLIPBOARD_TEXT && f != CLIPBOARD_PNG) || seen[f] ||
			(it->data == NULL && it->len > 0))
			return OP_ERR_RANGE;
		seen[f] = true;
		if (it->len > max)
			return OP_ERR_TOO_LARGE;
		if (f == CLIPBOARD_TEXT &&
			!clipboard__utf8_valid(it->data, it->len))
			return OP_ERR_RANGE;
	}
	return 0;
}
