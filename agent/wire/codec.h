/* SPDX-License-Identifier: MIT */
/*
 * RustDesk "BytesCodec" TCP framing (protocol reference 1.2): every frame is
 * a 1-4 byte little-endian header followed by the payload. The low two bits
 * of the first header byte are the header length minus one; the rest of the
 * header value, shifted right by two, is the payload length. A zero-length
 * payload is a legal frame (hbbs heartbeat). The encryption layer works on
 * payloads only; headers are always clear.
 *
 * Pure functions: no I/O, no allocation except codec_put_frame's append to
 * the caller's bounded opbuf.
 */
#ifndef OP_WIRE_CODEC_H
#define OP_WIRE_CODEC_H

#include <stddef.h>
#include <stdint.h>

struct opbuf;

/* Largest payload any header can describe (4-byte header, 30 bits). */
#define CODEC_MAX_PAYLOAD ((size_t)0x3FFFFFFF)
/* Largest header the encoder or decoder ever handles. */
#define CODEC_MAX_HEADER 4

/*
 * Examines the front of buf[0..len) for one frame. Accepts every header
 * size, including non-shortest ones (stock peers never send those, but the
 * format allows them).
 *
 * Returns:
 *   0                 a whole frame is present: the header is *hdr_len
 *                     bytes, the payload the *payload_len bytes after it;
 *                     the frame occupies *hdr_len + *payload_len bytes.
 *   OP_ERR_INCOMPLETE more bytes are needed (header or payload cut short).
 *   OP_ERR_TOO_LARGE  the declared payload length exceeds max_payload. This
 *                     is decided as soon as the header is complete, before
 *                     any payload bytes arrive; the stream is then
 *                     unusable and the connection should be closed.
 * *hdr_len and *payload_len are zeroed on entry and written only on
 * success. buf may be NULL only when len is 0. Never reads past buf + len
 * and never allocates, so a peer-declared length costs nothing.
 */
int codec_decode(const uint8_t *buf, size_t len, size_t max_payload,
	size_t *hdr_len, size_t *payload_len);

/*
 * Writes the shortest header for a payload of payload_len bytes into out
 * and returns its length (1-4), or 0 if payload_len > CODEC_MAX_PAYLOAD
 * (out is then untouched).
 */
size_t codec_header(size_t payload_len, uint8_t out[static CODEC_MAX_HEADER]);

/*
 * Appends one frame (shortest header + len payload bytes) to buf. The
 * append is all-or-nothing: on failure buf is unchanged. payload may be
 * NULL only when len is 0 (an empty heartbeat frame).
 * Returns 0, OP_ERR_TOO_LARGE (len > CODEC_MAX_PAYLOAD or buf's max_size
 * would be exceeded) or OP_ERR_NOMEM.
 */
int codec_put_frame(struct opbuf *buf, const uint8_t *payload, size_t len);

#endif
