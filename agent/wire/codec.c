/* SPDX-License-Identifier: MIT */
/*
 * RustDesk BytesCodec framing (hbb_common src/bytes_codec.rs, protocol
 * reference 1.2). This file, with core/buf.c, is one of the two places that
 * index into raw peer bytes, so every read is checked against len first.
 *
 * It must not allocate on behalf of a peer-declared length (the decoder only
 * reports lengths; the caller keeps reading into its bounded opbuf), must
 * not do I/O, and must not know about encryption or protobuf.
 */
#include "wire/codec.h"

#include <string.h>

#include "core/buf.h"
#include "core/err.h"

_Static_assert(CODEC_MAX_PAYLOAD == 0x3FFFFFFF,
	"a 4-byte header carries 30 bits of length");

int
codec_decode(const uint8_t *buf, size_t len, size_t max_payload,
	size_t *hdr_len, size_t *payload_len)
{
	size_t hl;
	uint32_t v = 0;

	*hdr_len = 0;
	*payload_len = 0;
	if (len == 0)
		return OP_ERR_INCOMPLETE;
	hl = (size_t)(buf[0] & 3) + 1;
	if (len < hl)
		return OP_ERR_INCOMPLETE;
	/* Little-endian, whatever the header size. */
	for (size_t i = hl; i > 0; i--)
		v = (v << 8) | buf[i - 1];
	v >>= 2;
	/* Decided on the header alone: never wait for a body we refuse. */
	if (v > max_payload)
		return OP_ERR_TOO_LARGE;
	if (len - hl < v)
		return OP_ERR_INCOMPLETE;
	*hdr_len = hl;
	*payload_len = v;
	return 0;
}

size_t
codec_header(size_t payload_len, uint8_t out[static CODEC_MAX_HEADER])
{
	uint32_t h;
	size_t hl;

	if (payload_len <= 0x3F)
		hl = 1;
	else if (payload_len <= 0x3FFF)
		hl = 2;
	else if (payload_len <= 0x3FFFFF)
		hl = 3;
	else if (payload_len <= CODEC_MAX_PAYLOAD)
		hl = 4;
	else
		return 0;
	h = ((uint32_t)payload_len << 2) | (uint32_t)(hl - 1);
	for (size_t i = 0; i < hl; i++)
		out[i] = (uint8_t)(h >> (8 * i));
	return hl;
}

int
codec_put_frame(struct opbuf *buf, const uint8_t *payload, size_t len)
{
	uint8_t hdr[CODEC_MAX_HEADER];
	uint8_t *dst = NULL;
	size_t hl;
	int r;

	if ((hl = codec_header(len, hdr)) == 0)
		return OP_ERR_TOO_LARGE;
	/* hl + len cannot overflow: len <= CODEC_MAX_PAYLOAD. */
	if ((r = opbuf_reserve(buf, hl + len, &dst)) != 0)
		return r;
	memcpy(dst, hdr, hl);
	if (len > 0)
		memcpy(dst + hl, payload, len);
	opbuf_commit(buf, hl + len);
	return 0;
}
