/* SPDX-License-Identifier: MIT */
/*
 * The TCP backend of struct stream: a uv_tcp_t with TCP_NODELAY, reads
 * into one per-stream buffer, writes tried directly (uv_try_write) and
 * otherwise copied into a queue bounded by max_queue, and a close that
 * flushes the queue (uv_shutdown) for at most STREAM_TCP_LINGER_MS.
 *
 * Must not: let the write queue grow past max_queue, free the handle or
 * a write request before libuv's callbacks for them ran, or call back
 * into the owner after stream_close (stream.c filters that).
 */
#include "net/stream.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "core/err.h"
#include "net/stream-internal.h"

#define STREAM_TCP_READ_SIZE (64u << 10)
#define STREAM_TCP_LINGER_MS 3000

struct stream_tcp {
	struct stream base;
	uv_tcp_t *tcp; /* malloc'd by the creator, freed in its close cb */
	uv_timer_t linger;
	uv_shutdown_t shutdown;
	size_t queued;
	int refs; /* tcp + linger handles still open while closing */
	uint8_t rbuf[STREAM_TCP_READ_SIZE];
};

struct tcp_write {
	uv_write_t req;
	struct stream_tcp *t;
	size_t len;
	uint8_t data[];
};

static struct stream_tcp *
tcp_of(const struct stream *s)
{
	return (struct stream_tcp *)s;
}

static void
on_write(uv_write_t *req, int status)
{
	struct tcp_write *w = req->data;
	struct stream_tcp *t = w->t;

	t->queued -= w->len;
	/* A queued copy may hold a proxy's Basic credentials. */
	sodium_memzero(w->data, w->len);
	free(w);
	if (status < 0 && status != UV_ECANCELED)
		stream__end(&t->base, status);
}

static int
tcp_write(struct stream *s, const uint8_t *data, size_t len)
{
	struct stream_tcp *t = tcp_of(s);
	struct tcp_write *w;
	uv_buf_t b;
	int n;
	int r;

	if (s->ended && s->end_status != 0)
		return s->end_status;
	if (len > s->max_queue || t->queued > s->max_queue - len)
		return OP_ERR_TOO_LARGE;
	if (len > INT_MAX)
		return OP_ERR_TOO_LARGE; /* uv_try_write returns an int */
	/* Nothing queued: try to send at once and copy only the rest. libuv
	 * refuses try_write (UV_EAGAIN) while writes are queued, so the
	 * byte order is kept. */
	b = uv_buf_init((char *)(uintptr_t)data, (unsigned)len);
	n = uv_try_write((uv_stream_t *)t->tcp, &b, 1);
	if (n == (int)len)
		return 0;
	if (n < 0 && n != UV_EAGAIN)
		return n;
	if (n > 0) {
		data += n;
		len -= (size_t)n;
	}
	if ((w = malloc(sizeof(*w) + len)) == NULL) {
		r = OP_ERR_NOMEM;
		goto fail;
	}
	memcpy(w->data, data, len);
	w->t = t;
	w->len = len;
	w->req.data = w;
	b = uv_buf_init((char *)w->data, (unsigned)len);
	if ((r = uv_write(&w->req, (uv_stream_t *)t->tcp, &b, 1, on_write)) !=
		0) {
		free(w);
		goto fail;
	}
	t->queued += len;
	return 0;
fail:
	/* Part of the data may be on the wire already: the byte stream is
	 * broken, so the stream ends. */
	if (n > 0)
		stream__end(s, r);
	return r;
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct stream_tcp *t = h->data;

	(void)hint;
	*buf = uv_buf_init((char *)t->rbuf, sizeof(t->rbuf));
}

static void
on_read(uv_stream_t *h, ssize_t n, const uv_buf_t *buf)
{
	struct stream_tcp *t = h->data;

	(void)buf;
	if (n > 0) {
		stream__deliver(&t->base, t->rbuf, (size_t)n);
		return;
	}
	if (n == 0)
		return; /* EAGAIN */
	uv_read_stop(h);
	stream__end(&t->base, n == UV_EOF ? 0 : (int)n);
}

static int
tcp_read_start(struct stream *s)
{
	struct stream_tcp *t = tcp_of(s);
	int r;

	r = uv_read_start((uv_stream_t *)t->tcp, on_alloc, on_read);
	return r == UV_EALREADY ? 0 : r;
}

static void
tcp_read_stop(struct stream *s)
{
	uv_read_stop((uv_stream_t *)tcp_of(s)->tcp);
}

static void
on_handle_closed(uv_handle_t *h)
{
	struct stream_tcp *t = h->data;

	if (--t->refs == 0)
		stream__closed(&t->base);
}

static void
close_tcp(struct stream_tcp *t)
{
	if (!uv_is_closing((uv_handle_t *)t->tcp))
		uv_close((uv_handle_t *)t->tcp, on_handle_closed);
	if (!uv_is_closing((uv_handle_t *)&t->linger))
		uv_close((uv_handle_t *)&t->linger, on_handle_closed);
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
	(void)status;
	close_tcp(req->data);
}

static void
on_linger(uv_timer_t *timer)
{
	close_tcp(timer->data);
}

static void
tcp_close(struct stream *s)
{
	struct stream_tcp *t = tcp_of(s);

	t->refs = 2;
	uv_read_stop((uv_stream_t *)t->tcp);
	/* Flush what is queued, but only for a while: a peer that does not
	 * read must not keep the handle (and us) forever. */
	if (t->queued > 0 && !(s->ended && s->end_status != 0)) {
		t->shutdown.data = t;
		if (uv_shutdown(&t->shutdown, (uv_stream_t *)t->tcp,
			    on_shutdown) == 0) {
			uv_timer_start(&t->linger, on_linger,
				STREAM_TCP_LINGER_MS, 0);
			return;
		}
	}
	close_tcp(t);
}

static size_t
tcp_queued(const struct stream *s)
{
	return tcp_of(s)->queued;
}

static int
tcp_peer(const struct stream *s, struct sockaddr_storage *out)
{
	int len = sizeof(*out);

	return uv_tcp_getpeername(tcp_of(s)->tcp, (struct sockaddr *)out,
		&len);
}

static int
tcp_local(const struct stream *s, struct sockaddr_storage *out)
{
	int len = sizeof(*out);

	return uv_tcp_getsockname(tcp_of(s)->tcp, (struct sockaddr *)out,
		&len);
}

static void
tcp_destroy(struct stream *s)
{
	struct stream_tcp *t = tcp_of(s);

	free(t->tcp);
	free(t);
}

static const struct stream_impl stream_tcp_impl = {
	.name = "tcp",
	.write = tcp_write,
	.read_start = tcp_read_start,
	.read_stop = tcp_read_stop,
	.close = tcp_close,
	.queued = tcp_queued,
	.peer = tcp_peer,
	.local = tcp_local,
	.destroy = tcp_destroy,
};

static void
on_orphan_closed(uv_handle_t *h)
{
	free(h);
}

struct stream *
stream_tcp_take(uv_loop_t *loop, uv_tcp_t *tcp)
{
	struct stream_tcp *t;

	if ((t = malloc(sizeof(*t))) == NULL)
		goto fail;
	if (stream__init(&t->base, &stream_tcp_impl, loop) != 0) {
		free(t);
		goto fail;
	}
	t->tcp = tcp;
	t->queued = 0;
	t->refs = 0;
	if (uv_timer_init(loop, &t->linger) != 0) {
		t->tcp = NULL;
		/* destroy frees t->tcp; keep the caller's handle out of it */
		stream__abort(&t->base);
		goto fail;
	}
	tcp->data = t;
	t->linger.data = t;
	(void)uv_tcp_nodelay(tcp, 1);
	return &t->base;
fail:
	uv_close((uv_handle_t *)tcp, on_orphan_closed);
	return NULL;
}
