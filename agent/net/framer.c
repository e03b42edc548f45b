/* SPDX-License-Identifier: MIT */
/*
 * Frame reassembly over an opbuf. Never allocates a peer-declared length
 * up front: the buffer grows only as bytes actually arrive, and a header
 * that declares more than the limit is refused at once.
 */
#include "net/framer.h"

#include <stdlib.h>

#include "core/buf.h"
#include "core/err.h"
#include "wire/codec.h"

struct framer {
	struct opbuf *buf;
	size_t max_payload;
};

struct framer *
framer_new(size_t max_payload)
{
	struct framer *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->max_payload = max_payload;
	if ((f->buf = opbuf_new(CODEC_MAX_PAYLOAD + CODEC_MAX_HEADER)) ==
		NULL) {
		free(f);
		return NULL;
	}
	return f;
}

void
framer_free(struct framer *f)
{
	if (f == NULL)
		return;
	opbuf_free(f->buf);
	free(f);
}

void
framer_set_max(struct framer *f, size_t max_payload)
{
	f->max_payload = max_payload;
}

int
framer_feed_some(struct framer *f, const uint8_t *data, size_t len,
	size_t max_frames, framer_frame_fn fn, void *arg, bool *more)
{
	size_t hdr, payload, n = 0;
	int r;

	*more = false;
	/* The buffer holds at most the unfinished frame plus one read: each
	 * header is checked against the limit as soon as it is complete. */
	if (len > 0 && (r = opbuf_put(f->buf, data, len)) != 0)
		return r;
	for (;;) {
		r = codec_decode(opbuf_ptr(f->buf), opbuf_len(f->buf),
			f->max_payload, &hdr, &payload);
		if (r == OP_ERR_INCOMPLETE)
			return 0;
		if (r != 0)
			return r;
		if (max_frames > 0 && n == max_frames) {
			*more = true;
			return 0;
		}
		/* A non-zero return may mean the handler freed us. */
		if ((r = fn(arg, opbuf_ptr(f->buf) + hdr, payload)) != 0)
			return r;
		opbuf_consume(f->buf, hdr + payload);
		n++;
	}
}

int
framer_feed(struct framer *f, const uint8_t *data, size_t len,
	framer_frame_fn fn, void *arg)
{
	bool more;

	return framer_feed_some(f, data, len, 0, fn, arg, &more);
}
