/* SPDX-License-Identifier: MIT */
/*
 * net_connect: one outgoing TCP connection, directly or through a proxy,
 * as a chain of asynchronous steps under one deadline:
 *
 *   resolve (uv_getaddrinfo, off the loop) → TCP connect, trying each
 *   address in turn → [TLS handshake with an HTTPS proxy] → [CONNECT or
 *   SOCKS5 exchange, driven through proxy_hs_*] → callback.
 *
 * A single timer carries both the overall deadline and the per-address
 * budget (the time left shared among the addresses left), so one dead
 * address cannot eat the whole deadline. Every step that ends (success,
 * error, timeout, cancel) goes through finish(), which closes whatever is
 * still open and the timer; the callback runs from the timer's close
 * callback, so it is prompt (a resolver thread that cannot be cancelled
 * does not delay it) and never re-entrant, and c is freed once the last
 * handle and request are done, so nothing is left behind.
 *
 * Must not: call the callback twice or from inside net_connect_start or
 * net_connect_cancel, lose the bytes a proxy sent after its reply (they
 * go back into the stream with stream__unread), put the proxy password in
 * a message or log, or share a local address except when asked to.
 */
#include "net/connect.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "core/netaddr.h"
#include "core/sock.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/time.h"
#include "net/proxy-internal.h"
#include "net/stream-internal.h"

/* A proxy reply head plus one read of tunnel bytes after it. */
#define CONNECT_RX_MAX (PROXY_HTTP_MAX_HEAD + (128u << 10))
#define CONNECT_TX_MAX 4096
/* No address gets less than this of the time left, unless it is the
 * last one (then it gets everything). */
#define CONNECT_MIN_ATTEMPT_MS 500

struct attempt {
	uv_tcp_t tcp; /* first: stream_tcp_take frees the block with free() */
	uv_connect_t req;
	struct net_connect *c;
};

struct net_connect {
	uv_loop_t *loop;
	net_connect_fn cb;
	void *arg;
	struct net_connect_report *report;
	struct net_connect_report own_report;
	char host[256];
	uint16_t port;
	struct proxy_conf proxy; /* a copy; wiped on free */
	bool use_proxy;
	bool bind;
	struct sockaddr_storage bind_addr;
	uint64_t start_ms;
	uint64_t deadline_ms;
	uint64_t tcp_start_ms;
	uv_timer_t timer;
	uv_getaddrinfo_t gai;
	bool gai_active;
	struct addrinfo *ai_list;
	struct addrinfo *ai_next;
	unsigned ai_left;
	struct attempt *att; /* the TCP connect in progress */
	int last_err;
	struct stream *s; /* being set up: TCP, or TLS over it */
	struct opbuf *rx;
	struct opbuf *tx;
	struct proxy_hs hs;
	int refs; /* timer, resolver, attempt, stream: each until closed */
	bool finishing;
	int status;
	struct stream *result;
};

static void try_next(struct net_connect *c);

static void
unref(struct net_connect *c)
{
	if (--c->refs > 0)
		return;
	uv_freeaddrinfo(c->ai_list);
	opbuf_free(c->rx);
	opbuf_free(c->tx);
	sodium_memzero(&c->proxy, sizeof(c->proxy));
	sodium_memzero(&c->hs, sizeof(c->hs));
	free(c);
}

/*
 * The timer is closed by finish(), so its close callback runs at the end
 * of the loop iteration in which the connect ended: the one place the
 * callback is called. A resolver thread or a stream still closing only
 * delays freeing c, never the callback.
 */
static void
on_timer_closed(uv_handle_t *h)
{
	struct net_connect *c = h->data;
	struct stream *result = c->result;

	c->result = NULL;
	/* Until its owner calls stream_start, a stream_close on it passes
	 * the owner's own arg to on_closed, not ours or NULL. */
	if (result != NULL)
		result->arg = c->arg;
	c->report->total_ms = (unsigned)(op_now_ms() - c->start_ms);
	if (c->status == 0)
		c->report->stage = NET_STAGE_DONE;
	c->cb(c->arg, c->status, result);
	unref(c);
}

static void
on_attempt_closed(uv_handle_t *h)
{
	struct attempt *a = h->data;
	struct net_connect *c = a->c;

	free(a);
	unref(c);
}

static void
on_stream_closed(void *arg)
{
	unref(arg);
}

/* Closes a stream we own and waits for it (its on_closed arg is c). */
static void
close_stream(struct net_connect *c, struct stream *s)
{
	s->arg = c;
	c->refs++;
	stream_close(s, on_stream_closed);
}

static void
abort_attempt(struct net_connect *c)
{
	struct attempt *a = c->att;

	if (a == NULL)
		return;
	c->att = NULL;
	/* Closing cancels the connect request (UV_ECANCELED) before the
	 * close callback, which releases the reference. */
	uv_close((uv_handle_t *)&a->tcp, on_attempt_closed);
}

static void
finish(struct net_connect *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
finish(struct net_connect *c, int status, const char *fmt, ...)
{
	va_list ap;

	if (c->finishing)
		return;
	c->finishing = true;
	c->status = status;
	if (status != 0) {
		va_start(ap, fmt);
		vsnprintf(c->report->message, sizeof(c->report->message), fmt,
			ap);
		va_end(ap);
	}
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_timer_closed);
	if (c->gai_active)
		(void)uv_cancel((uv_req_t *)&c->gai); /* cb still runs */
	abort_attempt(c);
	if (c->s != NULL) {
		struct stream *s = c->s;

		c->s = NULL;
		c->refs--; /* the stream's reference moves to close_stream */
		if (status == 0)
			c->result = s;
		else
			close_stream(c, s);
	}
}

static uint64_t
time_left(const struct net_connect *c)
{
	uint64_t now = op_now_ms();

	return now >= c->deadline_ms ? 0 : c->deadline_ms - now;
}

static const char *
stage_text(enum net_stage st)
{
	switch (st) {
	case NET_STAGE_RESOLVE:
		return "resolving the name";
	case NET_STAGE_TCP:
		return "connecting";
	case NET_STAGE_TLS:
		return "in the TLS handshake with the proxy";
	case NET_STAGE_PROXY:
		return "waiting for the proxy's reply";
	case NET_STAGE_DONE:
		break;
	}
	return "finishing";
}

static const char *
what(const struct net_connect *c)
{
	return c->use_proxy ? "proxy" : "server";
}

static void
on_timer(uv_timer_t *t)
{
	struct net_connect *c = t->data;

	if (c->finishing)
		return;
	if (c->att != NULL && time_left(c) > 0) {
		/* This address used up its share; try the next one. */
		c->last_err = UV_ETIMEDOUT;
		abort_attempt(c);
		try_next(c);
		return;
	}
	finish(c, UV_ETIMEDOUT, "timed out after %u ms %s (%s %s)",
		(unsigned)(op_now_ms() - c->start_ms),
		stage_text(c->report->stage), what(c),
		c->report->peer[0] ? c->report->peer :
		c->use_proxy ? c->proxy.host : c->host);
}

static void
arm_timer(struct net_connect *c, uint64_t ms)
{
	uv_timer_start(&c->timer, on_timer, ms > 0 ? ms : 1, 0);
}

static void
flush_tx(struct net_connect *c)
{
	int r;

	if (opbuf_len(c->tx) == 0)
		return;
	r = stream_write(c->s, opbuf_ptr(c->tx), opbuf_len(c->tx));
	opbuf_reset(c->tx); /* wipes: it may hold the password */
	if (r != 0)
		finish(c, r, "cannot send to the proxy: %s", op_strerror(r));
}

static void
on_proxy_read(struct stream *s, void *arg, const uint8_t *data, size_t len)
{
	struct net_connect *c = arg;
	size_t used = 0;
	int r;

	if (c->finishing)
		return;
	if (opbuf_put(c->rx, data, len) != 0) {
		finish(c, OP_ERR_TOO_LARGE, "the proxy sent too much data");
		return;
	}
	r = proxy_hs_feed(&c->hs, opbuf_ptr(c->rx), opbuf_len(c->rx), &used,
		c->tx);
	c->report->http_status = c->hs.http_status;
	c->report->socks_reply = c->hs.socks_reply;
	if (r != 0 && r != OP_ERR_INCOMPLETE) {
		finish(c, r, "%s", c->hs.msg);
		return;
	}
	(void)opbuf_consume(c->rx, used);
	flush_tx(c);
	if (c->finishing || r == OP_ERR_INCOMPLETE)
		return;
	/* Tunnel open. Whatever followed the reply is the far end's first
	 * bytes: hand them back to the stream so its owner reads them. */
	stream__detach(s);
	if (stream__unread(s, opbuf_ptr(c->rx), opbuf_len(c->rx)) != 0) {
		finish(c, OP_ERR_NOMEM, "out of memory");
		return;
	}
	opbuf_reset(c->rx);
	finish(c, 0, "%s", "");
}

static void
on_proxy_end(struct stream *s, void *arg, int status)
{
	struct net_connect *c = arg;

	(void)s;
	if (c->finishing)
		return;
	finish(c, status != 0 ? status : UV_ECONNRESET,
		"the %s proxy closed the connection %s%s%s",
		proxy_scheme_name(c->proxy.scheme),
		stage_text(c->report->stage), status != 0 ? ": " : "",
		status != 0 ? op_strerror(status) : "");
}

static void
proxy_begin(struct net_connect *c)
{
	int r;

	c->report->stage = NET_STAGE_PROXY;
	if ((c->rx = opbuf_new(CONNECT_RX_MAX)) == NULL ||
		(c->tx = opbuf_new(CONNECT_TX_MAX)) == NULL) {
		finish(c, OP_ERR_NOMEM, "out of memory");
		return;
	}
	if ((r = proxy_hs_begin(&c->hs, &c->proxy, c->host, c->port, c->tx)) !=
		0) {
		finish(c, r, "%s", c->hs.msg);
		return;
	}
	flush_tx(c);
	if (c->finishing)
		return;
	if ((r = stream_start(c->s, on_proxy_read, on_proxy_end, c)) != 0)
		finish(c, r, "cannot read from the proxy: %s", op_strerror(r));
}

static void
on_tls_done(void *arg, int status)
{
	struct net_connect *c = arg;

	if (status == UV_ECANCELED || c->finishing)
		return;
	if (stream_tls_peer_cert_info(c->s, &c->report->tls_cert) == 0)
		c->report->tls_seen = true;
	if (status != 0) {
		finish(c, status, "%s", stream_tls_error(c->s));
		return;
	}
	proxy_begin(c);
}

static void
tls_begin(struct net_connect *c)
{
	struct stream_tls_opts o = {
		.hostname = c->proxy.host,
		.ca_file = c->proxy.ca_file,
	};
	struct stream *tls;
	int r;

	c->report->stage = NET_STAGE_TLS;
	r = stream_tls_new(c->s, &o, on_tls_done, c, &tls);
	if (r != 0) {
		c->s = NULL; /* closed by stream_tls_new */
		c->refs--;
		finish(c, r, r == OP_ERR_CONFIG ?
			"TLS to the proxy: cannot load CA certificates from "
			"%s (server.proxy_ca)" :
			"TLS to the proxy: cannot set up (%s)",
			r == OP_ERR_CONFIG ?
				(c->proxy.ca_file[0] ? c->proxy.ca_file :
					"the system store") :
				op_strerror(r));
		return;
	}
	c->s = tls;
	/* Installs our callbacks (and our arg for the close callback);
	 * nothing is delivered before the handshake succeeded. */
	if ((r = stream_start(tls, on_proxy_read, on_proxy_end, c)) != 0)
		finish(c, r, "TLS to the proxy: %s", op_strerror(r));
}

static void
on_connected(uv_connect_t *req, int status)
{
	struct attempt *a = req->data;
	struct net_connect *c = a->c;
	struct stream *s;

	if (c->att != a || c->finishing)
		return; /* aborted: on_attempt_closed cleans up */
	if (status < 0) {
		c->last_err = status;
		abort_attempt(c);
		try_next(c);
		return;
	}
	c->att = NULL;
	c->report->tcp_ms = (unsigned)(op_now_ms() - c->tcp_start_ms);
	uv_freeaddrinfo(c->ai_list);
	c->ai_list = c->ai_next = NULL;
	/* The attempt block becomes the stream's handle (or is closed and
	 * freed by stream_tcp_take); either way its reference ends here and
	 * the stream's begins. */
	s = stream_tcp_take(c->loop, &a->tcp);
	c->refs--;
	if (s == NULL) {
		finish(c, OP_ERR_NOMEM, "out of memory");
		return;
	}
	c->s = s;
	c->refs++;
	if (!c->use_proxy) {
		finish(c, 0, "%s", "");
		return;
	}
	arm_timer(c, time_left(c));
	if (c->proxy.scheme == PROXY_HTTPS)
		tls_begin(c);
	else
		proxy_begin(c);
}

static void
format_addr(const struct sockaddr *sa, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		uv_ip6_name(s6, ip, sizeof(ip));
		snprintf(out, n, "[%s]:%u", ip, (unsigned)ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		uv_ip4_name(s4, ip, sizeof(ip));
		snprintf(out, n, "%s:%u", ip, (unsigned)ntohs(s4->sin_port));
	} else {
		snprintf(out, n, "?");
	}
}

static int
start_attempt(struct net_connect *c, const struct addrinfo *ai)
{
	struct attempt *a;
	uint64_t left;
	uint64_t budget;
	uv_os_sock_t fd = OP_SOCK_INVALID;
	int r;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return OP_ERR_NOMEM;
	a->c = c;
	a->req.data = a;
	if (c->bind &&
		(r = net_reuse_socket((struct sockaddr *)&c->bind_addr, &fd)) !=
			0) {
		free(a);
		return r;
	}
	if ((r = uv_tcp_init(c->loop, &a->tcp)) != 0) {
		if (fd != OP_SOCK_INVALID)
			op_sock_close(fd);
		free(a);
		return r;
	}
	a->tcp.data = a;
	c->att = a;
	c->refs++;
	if (fd != OP_SOCK_INVALID && (r = uv_tcp_open(&a->tcp, fd)) != 0) {
		op_sock_close(fd);
		abort_attempt(c);
		return r;
	}
	format_addr(ai->ai_addr, c->report->peer, sizeof(c->report->peer));
	c->tcp_start_ms = op_now_ms();
	if ((r = uv_tcp_connect(&a->req, &a->tcp, ai->ai_addr,
		     on_connected)) != 0) {
		abort_attempt(c);
		return r;
	}
	left = time_left(c);
	budget = c->ai_left > 0 ? left / (c->ai_left + 1) : left;
	if (c->ai_left > 0 && budget < CONNECT_MIN_ATTEMPT_MS)
		budget = left < CONNECT_MIN_ATTEMPT_MS ? left :
							CONNECT_MIN_ATTEMPT_MS;
	arm_timer(c, budget);
	return 0;
}

static void
try_next(struct net_connect *c)
{
	struct addrinfo *ai;
	int r;

	while ((ai = c->ai_next) != NULL) {
		c->ai_next = ai->ai_next;
		if (c->ai_left > 0)
			c->ai_left--;
		if (c->bind && ai->ai_family != c->bind_addr.ss_family)
			continue;
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if ((r = start_attempt(c, ai)) == 0)
			return;
		c->last_err = r;
	}
	r = c->last_err != 0 ? c->last_err : UV_EAFNOSUPPORT;
	finish(c, r, "cannot connect to %s %s: %s", what(c),
		c->report->peer[0] ? c->report->peer :
		c->use_proxy ? c->proxy.host : c->host, op_strerror(r));
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct net_connect *c = req->data;

	c->gai_active = false;
	if (c->finishing) {
		uv_freeaddrinfo(res);
	} else if (status < 0) {
		finish(c, status, "cannot resolve %s %s: %s", what(c),
			c->use_proxy ? c->proxy.host : c->host,
			uv_strerror(status));
	} else {
		c->ai_list = c->ai_next = res;
		c->ai_left = 0;
		for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
			c->ai_left++;
		c->report->stage = NET_STAGE_TCP;
		try_next(c);
	}
	unref(c);
}

static void
on_timer_freed(uv_handle_t *h)
{
	free(h->data);
}

static int
check_args(const char *host, uint16_t port,
	const struct net_connect_opts *opts)
{
	const struct proxy_conf *p = opts->proxy;

	if (host == NULL || !proxy_host_valid(host) || port == 0)
		return UV_EINVAL;
	if (p != NULL && p->scheme != PROXY_NONE) {
		if (opts->bind_local != NULL || !proxy_host_valid(p->host) ||
			p->port == 0 || p->scheme > PROXY_SOCKS5)
			return UV_EINVAL;
	}
	if (opts->bind_local != NULL &&
		opts->bind_local->sa_family != AF_INET &&
		opts->bind_local->sa_family != AF_INET6)
		return UV_EINVAL;
	return 0;
}

static const struct net_connect_opts default_opts;

int
net_connect_start(uv_loop_t *loop, const char *host, uint16_t port,
	const struct net_connect_opts *opts, net_connect_fn cb, void *arg,
	struct net_connect **out)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_protocol = IPPROTO_TCP,
	};
	char service[8];
	struct net_connect *c;
	unsigned timeout;
	int r;

	if (out != NULL)
		*out = NULL;
	if (opts == NULL)
		opts = &default_opts;
	if ((r = check_args(host, port, opts)) != 0)
		return r;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return OP_ERR_NOMEM;
	c->loop = loop;
	c->cb = cb;
	c->arg = arg;
	c->report = opts->report != NULL ? opts->report : &c->own_report;
	memset(c->report, 0, sizeof(*c->report));
	c->report->socks_reply = -1;
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->port = port;
	if (opts->proxy != NULL && opts->proxy->scheme != PROXY_NONE) {
		c->proxy = *opts->proxy;
		c->use_proxy = true;
	}
	if (opts->bind_local != NULL) {
		c->bind = true;
		memcpy(&c->bind_addr, opts->bind_local,
			opts->bind_local->sa_family == AF_INET ?
				sizeof(struct sockaddr_in) :
				sizeof(struct sockaddr_in6));
		hints.ai_family = opts->bind_local->sa_family;
	}
	timeout = opts->timeout_ms != 0 ? opts->timeout_ms :
					  NET_CONNECT_DEFAULT_TIMEOUT_MS;
	c->start_ms = op_now_ms();
	c->deadline_ms = c->start_ms + timeout;
	snprintf(service, sizeof(service), "%u",
		(unsigned)(c->use_proxy ? c->proxy.port : port));
	if ((r = uv_timer_init(loop, &c->timer)) != 0) {
		free(c);
		return r;
	}
	c->timer.data = c;
	c->gai.data = c;
	c->refs = 1; /* the timer */
	r = uv_getaddrinfo(loop, &c->gai, on_resolved,
		c->use_proxy ? c->proxy.host : c->host, service, &hints);
	if (r != 0) {
		/* Never call back: close the timer and free quietly. */
		sodium_memzero(&c->proxy, sizeof(c->proxy));
		uv_close((uv_handle_t *)&c->timer, on_timer_freed);
		return r;
	}
	c->gai_active = true;
	c->refs++;
	arm_timer(c, timeout);
	if (out != NULL)
		*out = c;
	return 0;
}

void
net_connect_cancel(struct net_connect *c)
{
	struct stream *s;

	if (c == NULL)
		return;
	if (!c->finishing) {
		finish(c, UV_ECANCELED, "cancelled");
		return;
	}
	/* Succeeded, but the callback has not run yet: cancel wins. */
	if ((s = c->result) != NULL) {
		c->result = NULL;
		c->status = UV_ECANCELED;
		snprintf(c->report->message, sizeof(c->report->message),
			"cancelled");
		close_stream(c, s);
	}
}

int
net_reuse_socket(const struct sockaddr *local, uv_os_sock_t *out)
{
	socklen_t len;
	op_sock_t fd;
	int one = 1;
	int r;

	*out = OP_SOCK_INVALID;
	if (local->sa_family == AF_INET)
		len = sizeof(struct sockaddr_in);
	else if (local->sa_family == AF_INET6)
		len = sizeof(struct sockaddr_in6);
	else
		return UV_EAFNOSUPPORT;
	if ((fd = op_sock_open(local->sa_family, SOCK_STREAM, IPPROTO_TCP)) ==
		OP_SOCK_INVALID)
		return uv_translate_sys_error(op_sock_error());
	if (op_sock_share_addr(fd) != 0 || bind(fd, local, len) != 0) {
		r = uv_translate_sys_error(op_sock_error());
		op_sock_close(fd);
		return r;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, (const void *)&one,
		sizeof(one));
	*out = fd;
	return 0;
}
