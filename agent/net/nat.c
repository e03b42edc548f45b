/* SPDX-License-Identifier: MIT */
/*
 * NAT type probe. Two short TCP exchanges with hbbs; the only peer input
 * is one TestNatResponse per connection, read through a small framer
 * limit and the budgeted unpack. KeyExchange frames (Pro servers) are
 * skipped, as RustDesk does.
 */
#include "net/nat.h"

#include <stdlib.h>
#include <string.h>

#include "core/netaddr.h"
#include "core/buf.h"
#include "core/err.h"
#include "net/connect.h"
#include "net/framer.h"
#include "net/stream.h"
#include "wire/msg.h"

#define NAT_MAX_FRAME 4096

struct nat_test {
	uv_loop_t *loop;
	char *host;
	uint16_t port;
	unsigned timeout_ms;
	nat_done_fn cb;
	void *arg;
	int step; /* 0: main port, 1: port - 1 */
	uint16_t local_port;
	uint16_t seen[2];
	struct net_connect *conn;
	struct stream *s;
	struct framer *fr;
	bool finished;
	int pending; /* streams still closing */
};

static int step_start(struct nat_test *t);

static void
maybe_free(struct nat_test *t)
{
	if (!t->finished || t->pending > 0 || t->conn != NULL)
		return;
	framer_free(t->fr);
	free(t->host);
	free(t);
}

static void
on_stream_closed(void *arg)
{
	struct nat_test *t = arg;

	t->pending--;
	maybe_free(t);
}

static void
close_stream(struct nat_test *t)
{
	if (t->s == NULL)
		return;
	t->pending++;
	stream_close(t->s, on_stream_closed);
	t->s = NULL;
}

static void
finish(struct nat_test *t, int status)
{
	int type = NAT_UNKNOWN;

	if (t->finished)
		return;
	t->finished = true;
	if (status == 0)
		type = t->seen[0] == t->seen[1] ? NAT_ASYMMETRIC :
						  NAT_SYMMETRIC;
	close_stream(t);
	if (t->conn != NULL)
		net_connect_cancel(t->conn); /* calls on_connected: ignored */
	t->cb(t->arg, status, type, t->seen);
	maybe_free(t);
}

static int
on_frame(void *arg, const uint8_t *p, size_t len)
{
	struct nat_test *t = arg;
	Hbb__RendezvousMessage *m = NULL;
	int port;
	int r;

	if (wire_rdv_unpack(p, len, WIRE_BUDGET_FOR(len), &m) != 0) {
		finish(t, OP_ERR_PROTO);
		return 1;
	}
	if (m->union_case == HBB__RENDEZVOUS_MESSAGE__UNION_KEY_EXCHANGE) {
		wire_rdv_free(m);
		return 0;
	}
	if (m->union_case != HBB__RENDEZVOUS_MESSAGE__UNION_TEST_NAT_RESPONSE ||
		m->test_nat_response->port <= 0 ||
		m->test_nat_response->port > 65535) {
		wire_rdv_free(m);
		finish(t, OP_ERR_PROTO);
		return 1;
	}
	port = m->test_nat_response->port;
	wire_rdv_free(m);
	t->seen[t->step] = (uint16_t)port;
	close_stream(t);
	if (t->step == 0) {
		t->step = 1;
		if ((r = step_start(t)) != 0)
			finish(t, r);
	} else {
		finish(t, 0);
	}
	return 1; /* this connection is done */
}

static void
on_read(struct stream *s, void *arg, const uint8_t *d, size_t n)
{
	struct nat_test *t = arg;
	int r;

	(void)s;
	r = framer_feed(t->fr, d, n, on_frame, t);
	if (r < 0)
		finish(t, r);
}

static void
on_end(struct stream *s, void *arg, int status)
{
	(void)s;
	finish(arg, status != 0 ? status : UV_EOF);
}

static void
on_connected(void *arg, int status, struct stream *s)
{
	struct nat_test *t = arg;
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__TestNatRequest req = HBB__TEST_NAT_REQUEST__INIT;
	struct sockaddr_storage local;
	struct opbuf *b;
	int r;

	t->conn = NULL;
	if (t->finished) {
		if (s != NULL) {
			t->pending++;
			stream_close(s, on_stream_closed);
		}
		maybe_free(t);
		return;
	}
	if (status != 0) {
		finish(t, status);
		return;
	}
	t->s = s;
	if (t->step == 0 && stream_local(s, &local) == 0)
		t->local_port = ntohs(((struct sockaddr_in *)&local)->sin_port);
	framer_free(t->fr);
	if ((t->fr = framer_new(NAT_MAX_FRAME)) == NULL ||
		(b = opbuf_new(256)) == NULL) {
		finish(t, OP_ERR_NOMEM);
		return;
	}
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_TEST_NAT_REQUEST;
	m.test_nat_request = &req;
	if ((r = wire_rdv_put_framed(b, &m)) == 0)
		r = stream_write(s, opbuf_ptr(b), opbuf_len(b));
	opbuf_free(b);
	if (r == 0)
		r = stream_start(s, on_read, on_end, t);
	if (r != 0)
		finish(t, r);
}

static int
step_start(struct nat_test *t)
{
	struct sockaddr_in local = { .sin_family = AF_INET };
	struct net_connect_opts o = {
		.bind_local = (const struct sockaddr *)&local,
		.timeout_ms = t->timeout_ms,
	};
	int r;

	/* The second probe must leave from the same local port. */
	local.sin_port = htons(t->step == 0 ? 0 : t->local_port);
	r = net_connect_start(t->loop, t->host,
		(uint16_t)(t->step == 0 ? t->port : t->port - 1), &o,
		on_connected, t, &t->conn);
	return r;
}

int
nat_test_start(uv_loop_t *loop, const char *host, uint16_t port,
	unsigned timeout_ms, nat_done_fn cb, void *arg, struct nat_test **out)
{
	struct nat_test *t;
	int r;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
		(t->host = strdup(host)) == NULL) {
		free(t);
		return OP_ERR_NOMEM;
	}
	t->loop = loop;
	t->port = port;
	t->timeout_ms = timeout_ms;
	t->cb = cb;
	t->arg = arg;
	if ((r = step_start(t)) != 0) {
		free(t->host);
		free(t);
		return r;
	}
	*out = t;
	return 0;
}

void
nat_test_cancel(struct nat_test *t)
{
	if (t != NULL)
		finish(t, UV_ECANCELED);
}

const char *
nat_type_name(int nat_type)
{
	switch (nat_type) {
	case NAT_ASYMMETRIC:
		return "asymmetric";
	case NAT_SYMMETRIC:
		return "symmetric";
	default:
		return "unknown";
	}
}
