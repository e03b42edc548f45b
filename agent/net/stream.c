/* SPDX-License-Identifier: MIT */
/*
 * The backend-independent half of struct stream: callback bookkeeping,
 * deferred start (so on_read never runs inside stream_start/resume),
 * read-ahead bytes that a proxy handshake hands back, the end reported
 * at most once, and the close sequence (kick handle + backend, then
 * on_closed, then destroy).
 *
 * Must not: call a user callback after stream_close, free anything
 * before every handle's close callback ran (libuv design: memory of a
 * handle lives until its close callback), or block.
 */
#include "net/stream.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "net/stream-internal.h"

static void on_kick(uv_idle_t *h);

int
stream__init(struct stream *s, const struct stream_impl *impl,
	uv_loop_t *loop)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->impl = impl;
	s->loop = loop;
	s->max_queue = STREAM_DEFAULT_MAX_QUEUE;
	if ((r = uv_idle_init(loop, &s->kick)) != 0)
		return r;
	s->kick.data = s;
	return 0;
}

static void
unref_closed(struct stream *s)
{
	stream_closed_fn cb;
	void *arg;

	if (--s->close_refs > 0)
		return;
	cb = s->on_closed;
	arg = s->arg;
	free(s->ahead);
	s->ahead = NULL;
	s->impl->destroy(s);
	if (cb != NULL)
		cb(arg);
}

static void
on_kick_closed(uv_handle_t *h)
{
	unref_closed(h->data);
}

void
stream__abort(struct stream *s)
{
	s->closing = 1;
	s->on_closed = NULL;
	s->close_refs = 1;
	uv_close((uv_handle_t *)&s->kick, on_kick_closed);
}

void
stream__closed(struct stream *s)
{
	unref_closed(s);
}

void
stream__deliver(struct stream *s, const uint8_t *data, size_t len)
{
	if (!s->closing && len > 0 && s->on_read != NULL)
		s->on_read(s, s->arg, data, len);
}

static void
report_end(struct stream *s)
{
	if (s->closing || s->end_reported || !s->ended || s->on_end == NULL)
		return;
	s->end_reported = true;
	s->on_end(s, s->arg, s->end_status);
}

void
stream__end(struct stream *s, int status)
{
	if (s->ended)
		return;
	s->ended = true;
	s->end_status = status;
	report_end(s);
}

int
stream__unread(struct stream *s, const uint8_t *data, size_t len)
{
	uint8_t *n;

	if (len == 0)
		return 0;
	if (s->ahead_len > SIZE_MAX - len ||
		(n = malloc(s->ahead_len + len)) == NULL)
		return OP_ERR_NOMEM;
	memcpy(n, data, len);
	if (s->ahead_len > 0)
		memcpy(n + len, s->ahead, s->ahead_len);
	free(s->ahead);
	s->ahead = n;
	s->ahead_len += len;
	return 0;
}

/*
 * Runs from the loop after stream_start/resume: first the read-ahead
 * bytes, then a remembered end, then the backend (which may itself
 * deliver data it had buffered, e.g. decrypted TLS records).
 */
static void
on_kick(uv_idle_t *h)
{
	struct stream *s = h->data;
	int r;

	uv_idle_stop(&s->kick);
	if (s->closing || !s->reading)
		return;
	if (s->ahead_len > 0) {
		uint8_t *a = s->ahead;
		size_t n = s->ahead_len;

		s->ahead = NULL;
		s->ahead_len = 0;
		stream__deliver(s, a, n);
		free(a);
		if (s->closing || !s->reading)
			return;
	}
	if (s->ended) {
		report_end(s);
		return;
	}
	if ((r = s->impl->read_start(s)) != 0)
		stream__end(s, r);
}

void
stream__detach(struct stream *s)
{
	stream_pause(s);
	s->on_read = NULL;
	s->on_end = NULL;
	s->arg = NULL;
}

int
stream_start(struct stream *s, stream_read_fn on_read, stream_end_fn on_end,
	void *arg)
{
	if (s->closing)
		return OP_ERR_STATE;
	s->on_read = on_read;
	s->on_end = on_end;
	s->arg = arg;
	return stream_resume(s);
}

void
stream_pause(struct stream *s)
{
	if (s->closing || !s->reading)
		return;
	s->reading = false;
	uv_idle_stop(&s->kick);
	s->impl->read_stop(s);
}

int
stream_resume(struct stream *s)
{
	if (s->closing)
		return OP_ERR_STATE;
	if (s->reading)
		return 0;
	s->reading = true;
	return uv_idle_start(&s->kick, on_kick);
}

int
stream_write(struct stream *s, const uint8_t *data, size_t len)
{
	if (s->closing)
		return OP_ERR_STATE;
	if (len == 0)
		return 0;
	return s->impl->write(s, data, len);
}

size_t
stream_queued(const struct stream *s)
{
	return s->impl->queued(s);
}

void
stream_set_max_queue(struct stream *s, size_t max)
{
	s->max_queue = max;
}

void
stream_close(struct stream *s, stream_closed_fn on_closed)
{
	if (s == NULL || s->closing)
		return;
	s->closing = 1;
	s->reading = false;
	s->on_closed = on_closed;
	s->close_refs = 2;
	uv_close((uv_handle_t *)&s->kick, on_kick_closed);
	s->impl->close(s);
}

int
stream_peer(const struct stream *s, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	return s->impl->peer(s, out);
}

int
stream_local(const struct stream *s, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	return s->impl->local(s, out);
}

const char *
stream_kind(const struct stream *s)
{
	return s->impl->name;
}
