/* SPDX-License-Identifier: MIT */
/*
 * The network code over real loopback TCP, on Linux and (the Windows
 * port) under wine: listener_start accepts, net_connect_start connects
 * with a bound local address (net_reuse_socket), frames go both ways
 * through stream, codec and framer. A second connection binds the first
 * one's local port while it is still open, as TCP hole punching does with
 * the rendezvous connection's port, and must share it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "core/buf.h"
#include "core/err.h"
#include "net/connect.h"
#include "net/framer.h"
#include "net/listener.h"
#include "net/stream.h"
#include "th-net.h"
#include "th.h"
#include "wire/codec.h"

#define N_FRAMES 5
#define MAX_PAYLOAD (300u << 10)

/* Payload sizes: empty, one-byte header, two- and three-byte headers, and
 * one large enough to arrive in several reads. */
static const size_t sizes[N_FRAMES] = { 0, 1, 100, 20000, 260000 };

struct side {
	struct stream *s;
	framer_frame_fn on_frame;
	struct framer *f;
	unsigned frames;     /* received */
	bool bad;            /* a frame differed from what was sent */
	bool ended;
	uint16_t local_port; /* client: the port it is bound to */
	uint16_t peer_port;  /* server: the peer's port as accepted */
	int status;          /* client: connect status, 1 while pending */
	bool hold;           /* client: stay connected after the echoes */
};

struct pair {
	struct listener *l;
	struct side srv, cli;
	struct net_connect_report rep;
};

#define WATCHDOG_S 60

static uv_loop_t loop;
static unsigned open_streams;
static unsigned pending; /* connects not called back yet */

static void
fill(uint8_t *p, size_t n, size_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed);
}

static int
send_frame(struct stream *s, size_t n, size_t seed)
{
	struct opbuf *b = opbuf_new(MAX_PAYLOAD + CODEC_MAX_HEADER);
	uint8_t *p = malloc(n + 1);
	int r = OP_ERR_NOMEM;

	if (b != NULL && p != NULL) {
		fill(p, n, seed);
		if ((r = codec_put_frame(b, p, n)) == 0)
			r = stream_write(s, opbuf_ptr(b), opbuf_len(b));
	}
	free(p);
	opbuf_free(b);
	return r;
}

static uint16_t
port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ?
			((const struct sockaddr_in *)ss)->sin_port :
			((const struct sockaddr_in6 *)ss)->sin6_port);
}

static void
on_closed(void *arg)
{
	(void)arg;
	open_streams--;
}

/* The server echoes each frame; the client checks each echo. */
static int
srv_frame(void *arg, const uint8_t *payload, size_t len)
{
	struct side *sd = arg;
	struct opbuf *b = opbuf_new(MAX_PAYLOAD + CODEC_MAX_HEADER);
	int r = b != NULL ? codec_put_frame(b, payload, len) : OP_ERR_NOMEM;

	if (r == 0)
		r = stream_write(sd->s, opbuf_ptr(b), opbuf_len(b));
	opbuf_free(b);
	sd->frames++;
	return r;
}

static int
cli_frame(void *arg, const uint8_t *payload, size_t len)
{
	struct side *sd = arg;
	uint8_t *want;

	if (sd->frames >= N_FRAMES || len != sizes[sd->frames]) {
		sd->bad = true;
		return 1;
	}
	if ((want = malloc(len + 1)) == NULL)
		return 1;
	fill(want, len, sd->frames);
	if (len > 0 && memcmp(want, payload, len) != 0)
		sd->bad = true;
	free(want);
	sd->frames++;
	if (sd->frames == N_FRAMES && !sd->hold)
		stream_close(sd->s, on_closed); /* the server sees EOF */
	return sd->bad ? 1 : 0;
}

static void
on_read(struct stream *s, void *arg, const uint8_t *data, size_t len)
{
	struct side *sd = arg;

	if (framer_feed(sd->f, data, len, sd->on_frame, sd) != 0 &&
		!sd->ended) {
		sd->bad = true;
		sd->ended = true;
		stream_close(s, on_closed);
	}
}

static void
on_end(struct stream *s, void *arg, int status)
{
	struct side *sd = arg;

	(void)status;
	sd->ended = true;
	stream_close(s, on_closed);
}

static void
on_accept(void *arg, struct stream *s, enum conn_path path, bool secure,
	const struct sockaddr_storage *peer,
	const struct sockaddr_storage *via)
{
	struct pair *p = arg;

	(void)path;
	(void)secure;
	(void)via;
	p->srv.s = s;
	p->srv.peer_port = port_of(peer);
	open_streams++;
	stream_start(s, on_read, on_end, &p->srv);
}

static void
on_connected(void *arg, int status, struct stream *s)
{
	struct pair *p = arg;
	struct sockaddr_storage local;

	pending--;
	p->cli.status = status;
	if (status != 0)
		return;
	p->cli.s = s;
	open_streams++;
	if (stream_local(s, &local) == 0)
		p->cli.local_port = port_of(&local);
	stream_start(s, on_read, on_end, &p->cli);
	for (size_t i = 0; i < N_FRAMES; i++)
		if (send_frame(s, sizes[i], i) != 0)
			p->cli.bad = true;
}

static int
pair_start(struct pair *p, uint16_t bind_port)
{
	struct sockaddr_storage bind;
	struct net_connect_opts o = { .timeout_ms = 10000 };
	int r;

	memset(p, 0, sizeof(*p));
	o.report = &p->rep;
	p->cli.status = 1;
	p->srv.on_frame = srv_frame;
	p->cli.on_frame = cli_frame;
	p->srv.f = framer_new(MAX_PAYLOAD);
	p->cli.f = framer_new(MAX_PAYLOAD);
	if ((r = listener_start(&loop, "127.0.0.1", 0, on_accept, p, &p->l)) !=
		0)
		return r;
	th_addr("127.0.0.1", &bind);
	((struct sockaddr_in *)&bind)->sin_port = htons(bind_port);
	o.bind_local = (const struct sockaddr *)&bind;
	if ((r = net_connect_start(&loop, "127.0.0.1", listener_port(p->l), &o,
		     on_connected, p, NULL)) == 0)
		pending++;
	return r;
}

static void
pair_free(struct pair *p)
{
	listener_stop(p->l);
	framer_free(p->srv.f);
	framer_free(p->cli.f);
}

/* Runs the loop until every stream opened so far is closed (the
 * listeners keep the loop alive, so it never runs dry by itself). */
static void
run_until_closed(void)
{
	while (open_streams > 0 || pending > 0)
		uv_run(&loop, UV_RUN_ONCE);
}

/* A test that hangs fails instead of hanging ctest. */
static void
on_watchdog(uv_timer_t *t)
{
	(void)t;
	fprintf(stderr, "test-net-loopback: no progress in %d s\n",
		WATCHDOG_S);
	exit(1);
}

static void
check_pair(const struct pair *p)
{
	ASSERT_INT_EQ(p->cli.status, 0);
	ASSERT(!p->cli.bad);
	ASSERT_INT_EQ(p->cli.frames, N_FRAMES);
	ASSERT_INT_EQ(p->srv.frames, N_FRAMES);
	ASSERT(p->srv.ended); /* the client's close arrived as EOF */
	ASSERT(p->cli.local_port != 0);
	ASSERT_INT_EQ(p->srv.peer_port, p->cli.local_port);
}

/* One connection from an any-port bind: five frames there and back. */
static void
test_echo(void)
{
	struct pair p;

	ASSERT_INT_EQ(pair_start(&p, 0), 0);
	run_until_closed();
	pair_free(&p);
	check_pair(&p);
}

/* The second connection binds the first one's local port while the
 * first is still connected (hole punching reuses the rendezvous port). */
static void
test_shared_port(void)
{
	struct pair a, b;

	ASSERT_INT_EQ(pair_start(&a, 0), 0);
	a.cli.hold = true;
	while (a.cli.status == 1 || (a.cli.status == 0 &&
					    a.cli.frames < N_FRAMES &&
					    !a.cli.ended))
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT_INT_EQ(a.cli.status, 0);
	ASSERT(a.cli.local_port != 0);
	ASSERT_INT_EQ(pair_start(&b, a.cli.local_port), 0);
	/* b runs to its end while a stays connected on the same port. */
	while (b.cli.s == NULL ? b.cli.status == 1 : !b.srv.ended)
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT(!a.cli.ended);
	stream_close(a.cli.s, on_closed);
	run_until_closed();
	pair_free(&a);
	pair_free(&b);
	check_pair(&a);
	check_pair(&b);
	ASSERT_INT_EQ(b.cli.local_port, a.cli.local_port);
}

int
main(void)
{
	uv_timer_t watchdog;

	if (uv_loop_init(&loop) != 0)
		return 2;
	uv_timer_init(&loop, &watchdog);
	uv_timer_start(&watchdog, on_watchdog, WATCHDOG_S * 1000, 0);
	uv_unref((uv_handle_t *)&watchdog);
	RUN(test_echo);
	RUN(test_shared_port);
	run_until_closed();
	uv_close((uv_handle_t *)&watchdog, NULL);
	uv_run(&loop, UV_RUN_DEFAULT); /* the listeners' and streams' closes */
	uv_loop_close(&loop);
	return th_done();
}
