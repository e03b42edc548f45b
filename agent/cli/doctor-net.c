/* SPDX-License-Identifier: MIT */
/*
 * The measuring half of `outpost doctor` (see doctor-internal.h): on one
 * loop, under one deadline,
 *
 *   resolve the rendezvous and relay names (uv_getaddrinfo, 4 s) →
 *   in parallel: TCP to R, R-1 and the relay (net_connect, through the
 *   proxy when one is configured), a RequestRelay to hbbr to see whether
 *   it keeps or drops us (its licence check), one RegisterPeer round trip
 *   over UDP to R, and the NAT type test (nat_test_start). Through a
 *   proxy, the connection to R listens for hbbs' first frame: a Pro
 *   server's KeyExchange, or nothing from OSS hbbs.
 *
 * With a proxy the TCP probes start at once with the names (the proxy
 * resolves them), and neither R-1 nor the NAT test is tried: the agent
 * does not run the NAT test behind a proxy (spec §3.5).
 *
 * Must not: send RegisterPk (hbbs rate-limits it and binds IDs, §3.4),
 * accept a UDP answer from any address but the server's (the socket is
 * connected to it, and the source is checked again), trust a datagram's
 * content (budgeted unpack, wire_rdv_check), or let a stuck resolver
 * thread hold the command: after the deadline the run is given up and
 * the caller exits without waiting for it.
 */
#include "cli/doctor-internal.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "net/framer.h"
#include "net/nat.h"
#include "net/sockaddr.h"
#include "net/stream.h"
#include "wire/msg.h"

/* After the last probe, how long streams may take to close before the
 * run is declared over anyway; shorter when a resolver thread that timed
 * out is known to hold the loop. */
#define DOCTOR_GRACE_MS 2000
#define DOCTOR_GRACE_DNS_MS 100

static void tcp_start(struct doctor *d, int which, const char *host,
	uint16_t port);
static void udp_start(struct doctor *d);
static void nat_start(struct doctor *d);

double
doctor_ms_since(uint64_t t0_ns)
{
	return (double)(uv_hrtime() - t0_ns) / 1e6;
}

static void
on_grace(uv_timer_t *t)
{
	struct doctor *d = t->data;

	/* Something (a resolver thread, a stream that will not close)
	 * still holds the loop: the results are complete, stop here. */
	d->abandoned = true;
	uv_stop(&d->loop);
}

static void
maybe_finish(struct doctor *d)
{
	if (d->running > 0 || d->finishing || d->starting)
		return;
	d->finishing = true;
	uv_close((uv_handle_t *)&d->dns_timer, NULL);
	uv_close((uv_handle_t *)&d->deadline, NULL);
	for (int i = 0; i < DOC_TCP_COUNT; i++)
		uv_close((uv_handle_t *)&d->tcp[i].timer, NULL);
	uv_timer_start(&d->grace, on_grace,
		d->dns[DOC_DNS_RDV].req_busy || d->dns[DOC_DNS_RELAY].req_busy ?
			DOCTOR_GRACE_DNS_MS :
			DOCTOR_GRACE_MS,
		0);
	uv_unref((uv_handle_t *)&d->grace);
}

static void
probe_end(struct doctor *d)
{
	d->running--;
	maybe_finish(d);
}

/* ---- DNS ---- */

static void
addr_ip_text(const struct sockaddr *sa, char *out, size_t n)
{
	if (sa->sa_family == AF_INET6)
		uv_ip6_name((const struct sockaddr_in6 *)(const void *)sa, out,
			n);
	else if (sa->sa_family == AF_INET)
		uv_ip4_name((const struct sockaddr_in *)(const void *)sa, out,
			n);
	else
		snprintf(out, n, "?");
}

static void
set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)ss)->sin6_port = htons(port);
}

static void
dns_fill(struct doctor_dns *x, const struct addrinfo *res)
{
	const struct addrinfo *pick = NULL;
	size_t used = 0;
	char ip[INET6_ADDRSTRLEN];

	x->addrs[0] = '\0';
	for (const struct addrinfo *a = res; a != NULL; a = a->ai_next) {
		if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
			continue;
		/* Prefer IPv4, as the agent does (rendezvous.c). */
		if (pick == NULL ||
			(pick->ai_family != AF_INET && a->ai_family == AF_INET))
			pick = a;
		addr_ip_text(a->ai_addr, ip, sizeof(ip));
		if (strstr(x->addrs, ip) != NULL)
			continue; /* one line per protocol/socktype */
		if (used + strlen(ip) + 3 >= sizeof(x->addrs))
			break;
		used += (size_t)snprintf(x->addrs + used,
			sizeof(x->addrs) - used, "%s%s", used ? ", " : "", ip);
	}
	if (pick == NULL) {
		x->status = UV_EAI_ADDRFAMILY;
		return;
	}
	memset(&x->pick, 0, sizeof(x->pick));
	memcpy(&x->pick, pick->ai_addr, pick->ai_addrlen);
	addr_ip_text(pick->ai_addr, x->pick_text, sizeof(x->pick_text));
}

static void
dns_done(struct doctor *d, int which, int status)
{
	struct doctor_dns *x = &d->dns[which];
	bool ok;

	if (x->done)
		return;
	x->done = true;
	if (x->status == 0)
		x->status = status;
	ok = x->status == 0;
	if (which == DOC_DNS_RDV) {
		if (d->relay_same_host) {
			struct doctor_dns *y = &d->dns[DOC_DNS_RELAY];

			y->started = y->done = true;
			y->status = x->status;
			y->literal = x->literal;
			y->ms = x->ms;
			memcpy(y->addrs, x->addrs, sizeof(y->addrs));
			y->pick = x->pick;
			set_port(&y->pick, d->relay_port);
			memcpy(y->pick_text, x->pick_text,
				sizeof(y->pick_text));
		}
		if (ok && !d->have_proxy && !d->deadline_hit) {
			tcp_start(d, DOC_TCP_RDV, x->pick_text, d->rdv_port);
			if (d->rdv_port > 1)
				tcp_start(d, DOC_TCP_NAT, x->pick_text,
					(uint16_t)(d->rdv_port - 1));
			nat_start(d);
		}
		if (ok && !d->deadline_hit)
			udp_start(d);
	}
	if ((which == DOC_DNS_RELAY || d->relay_same_host) &&
		d->dns[DOC_DNS_RELAY].status == 0 && !d->have_proxy &&
		!d->deadline_hit)
		tcp_start(d, DOC_TCP_RELAY, d->dns[DOC_DNS_RELAY].pick_text,
			d->relay_port);
	probe_end(d);
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct doctor_dns *x = req->data;

	x->req_busy = false;
	if (!x->done) {
		x->ms = doctor_ms_since(x->d->dns_t0);
		if (status == 0 && res != NULL)
			dns_fill(x, res);
		dns_done(x->d, x == &x->d->dns[DOC_DNS_RDV] ? DOC_DNS_RDV :
							      DOC_DNS_RELAY,
			status != 0 ? status : res == NULL ? UV_EAI_NONAME : 0);
	}
	uv_freeaddrinfo(res);
}

static void
dns_start(struct doctor *d, int which, const char *host, uint16_t port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct doctor_dns *x = &d->dns[which];
	unsigned char tmp[16];
	char service[8];
	int r;

	x->d = d;
	x->host = host;
	x->started = true;
	x->literal = uv_inet_pton(AF_INET, host, tmp) == 0 ||
		uv_inet_pton(AF_INET6, host, tmp) == 0;
	if (x->literal)
		hints.ai_flags = AI_NUMERICHOST;
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	x->req.data = x;
	d->running++;
	r = uv_getaddrinfo(&d->loop, &x->req, on_resolved, host, service,
		&hints);
	if (r != 0) {
		dns_done(d, which, r);
		return;
	}
	x->req_busy = true;
}

static void
on_dns_timer(uv_timer_t *t)
{
	struct doctor *d = t->data;

	/* The lookup cannot be cancelled once a thread runs it; its late
	 * answer is dropped (on_resolved sees done). */
	for (int i = 0; i < DOC_DNS_COUNT; i++) {
		if (d->dns[i].started && !d->dns[i].done) {
			d->dns[i].ms = doctor_ms_since(d->dns_t0);
			dns_done(d, i, UV_ETIMEDOUT);
		}
	}
}

/* ---- TCP, and hbbr's reaction to a RequestRelay ---- */

static void
hold_end(struct doctor_tcp *x)
{
	struct doctor *d = x->d;

	if (!x->holding)
		return;
	x->holding = false;
	x->hold_done = true;
	uv_timer_stop(&x->timer);
	stream_close(x->s, NULL);
	x->s = NULL;
	x->done = true;
	probe_end(d);
}

static void
on_hold_timer(uv_timer_t *t)
{
	hold_end(t->data);
}

static void
on_hold_end(struct stream *s, void *arg, int status)
{
	struct doctor_tcp *x = arg;

	(void)s;
	if (!x->holding)
		return;
	x->dropped = true;
	x->drop_status = status;
	x->hold_ms = doctor_ms_since(x->hold_t0);
	hold_end(x);
}

static int
hold_start(struct doctor_tcp *x, struct stream *s, stream_read_fn on_read,
	unsigned ms)
{
	int r;

	if ((r = stream_start(s, on_read, on_hold_end, x)) != 0)
		return r;
	x->s = s;
	x->holding = true;
	x->hold_t0 = uv_hrtime();
	uv_timer_start(&x->timer, on_hold_timer, ms, 0);
	return 0;
}

static void
on_relay_read(struct stream *s, void *arg, const uint8_t *data, size_t len)
{
	/* hbbr never answers a RequestRelay (§17 item 25); a partner's
	 * bytes cannot come either (the uuid is ours alone). Ignore. */
	(void)s;
	(void)arg;
	(void)data;
	(void)len;
}

/* A RequestRelay as the agent sends it for a host-initiated relay (§4.4):
 * a fresh uuid and the licence key; hbbr parks it and waits for a partner
 * that will never come, or drops it at once when the key is wrong. */
static int
relay_probe(struct doctor_tcp *x, struct stream *s)
{
	struct doctor *d = x->d;
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__RequestRelay rq = HBB__REQUEST_RELAY__INIT;
	uint8_t u[16];
	char uuid[40];
	struct opbuf *b;
	int r;

	randombytes_buf(u, sizeof(u));
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	snprintf(uuid, sizeof(uuid),
		"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		"%02x%02x%02x%02x%02x%02x",
		u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		u[10], u[11], u[12], u[13], u[14], u[15]);
	rq.uuid = uuid;
	rq.licence_key = (char *)d->licence_key;
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REQUEST_RELAY;
	m.request_relay = &rq;
	if ((b = opbuf_new(1024)) == NULL)
		return OP_ERR_NOMEM;
	if ((r = wire_rdv_put_framed(b, &m)) == 0)
		r = stream_write(s, opbuf_ptr(b), opbuf_len(b));
	opbuf_free(b);
	if (r != 0)
		return r;
	return hold_start(x, s, on_relay_read, DOCTOR_RELAY_HOLD_MS);
}

/* hbbs' first frame through the proxy; one is enough. */
static int
on_kex_frame(void *arg, const uint8_t *p, size_t len)
{
	struct doctor_tcp *x = arg;
	Hbb__RendezvousMessage *m = NULL;

	if (wire_rdv_unpack(p, len, WIRE_BUDGET_FOR(len), &m) != 0 ||
		wire_rdv_check(m) != 0) {
		x->first_case = -1;
	} else {
		x->first_case = (int)m->union_case;
		if (m->union_case ==
			HBB__RENDEZVOUS_MESSAGE__UNION_KEY_EXCHANGE) {
			const Hbb__KeyExchange *kx = m->key_exchange;

			x->kex_seen = true;
			x->kex_n_keys = kx->n_keys;
			if (kx->n_keys >= 1 &&
				kx->keys[0].len <= sizeof(x->kex_key0)) {
				memcpy(x->kex_key0, kx->keys[0].data,
					kx->keys[0].len);
				x->kex_key0_len = kx->keys[0].len;
			}
		}
	}
	wire_rdv_free(m);
	x->hold_ms = doctor_ms_since(x->hold_t0);
	hold_end(x);
	return 1;
}

static void
on_kex_read(struct stream *s, void *arg, const uint8_t *data, size_t len)
{
	struct doctor_tcp *x = arg;

	(void)s;
	if (x->holding &&
		framer_feed(x->fr, data, len, on_kex_frame, x) ==
			OP_ERR_TOO_LARGE) {
		x->first_case = -1;
		hold_end(x);
	}
}

/* Through a proxy the agent registers over TCP (§3.7): a Pro server opens
 * every connection with a signed KeyExchange, OSS hbbs never does (and
 * answers the RegisterPk that follows with NOT_SUPPORT). Listen only. */
static int
kex_probe(struct doctor_tcp *x, struct stream *s)
{
	if ((x->fr = framer_new(DOCTOR_KEX_MAX_FRAME)) == NULL)
		return OP_ERR_NOMEM;
	return hold_start(x, s, on_kex_read, DOCTOR_KEX_WAIT_MS);
}

static void
on_tcp(void *arg, int status, struct stream *s)
{
	struct doctor_tcp *x = arg;
	struct doctor *d = x->d;

	x->conn = NULL;
	x->ms = doctor_ms_since(x->t0);
	if (status == UV_ECANCELED && d->deadline_hit) {
		status = UV_ETIMEDOUT;
		snprintf(x->report.message, sizeof(x->report.message),
			"no answer before the doctor's deadline");
	}
	x->status = status;
	if (status == 0 && !d->deadline_hit &&
		(x->which == DOC_TCP_RELAY ||
			(x->which == DOC_TCP_RDV && x->via_proxy))) {
		int r = x->which == DOC_TCP_RELAY ? relay_probe(x, s) :
						    kex_probe(x, s);

		if (r == 0)
			return; /* done when the server drops us or the
				 * hold ends */
		x->dropped = true;
		x->drop_status = r;
		stream_close(s, NULL);
	} else if (status == 0) {
		stream_close(s, NULL);
	}
	x->done = true;
	probe_end(d);
}

static void
tcp_start(struct doctor *d, int which, const char *host, uint16_t port)
{
	struct doctor_tcp *x = &d->tcp[which];
	struct net_connect_opts o = {
		.proxy = d->have_proxy ? &d->proxy : NULL,
		.timeout_ms = DOCTOR_TCP_TIMEOUT_MS,
		.report = &x->report,
	};
	int r;

	if (x->started)
		return;
	x->d = d;
	x->which = which;
	x->host = host;
	x->port = port;
	x->started = true;
	x->via_proxy = d->have_proxy;
	x->t0 = uv_hrtime();
	r = net_connect_start(&d->loop, host, port, &o, on_tcp, x, &x->conn);
	if (r != 0) {
		x->done = true;
		x->status = r;
		snprintf(x->report.message, sizeof(x->report.message),
			"cannot start connecting: %s", op_strerror(r));
		return;
	}
	d->running++;
}

/* ---- UDP RegisterPeer round trip ---- */

static void
udp_finish(struct doctor *d, int status)
{
	struct doctor_udp *u = &d->udp;

	if (u->done)
		return;
	u->done = true;
	u->status = status;
	if (u->h_open) {
		uv_udp_recv_stop(&u->h);
		uv_close((uv_handle_t *)&u->h, NULL);
		u->h_open = false;
	}
	if (u->timer_open) {
		uv_close((uv_handle_t *)&u->timer, NULL);
		u->timer_open = false;
	}
	probe_end(d);
}

static void
udp_send(struct doctor *d)
{
	struct doctor_udp *u = &d->udp;
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__RegisterPeer rp = HBB__REGISTER_PEER__INIT;
	uint8_t buf[256];
	size_t len = 0;
	uv_buf_t b;
	int r;

	rp.id = d->probe_id;
	rp.serial = 3; /* as RustDesk: max(stored serial, 3) */
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PEER;
	m.register_peer = &rp;
	if ((r = wire_rdv_pack(&m, buf, sizeof(buf), &len)) != 0) {
		udp_finish(d, r);
		return;
	}
	b = uv_buf_init((char *)buf, (unsigned)len);
	r = uv_udp_try_send(&u->h, &b, 1, NULL); /* connected */
	u->t_last = uv_hrtime();
	if (u->sends++ == 0)
		u->t_first = u->t_last;
	/* A refusal here is the ICMP error of an earlier send. EAGAIN and
	 * the like: the next resend or the timeout decides. */
	if (r == UV_ECONNREFUSED || r == UV_ENETUNREACH ||
		r == UV_EHOSTUNREACH || r == UV_EACCES || r == UV_EPERM) {
		u->ms = doctor_ms_since(u->t_first);
		udp_finish(d, r);
	}
}

static void
on_udp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct doctor *d = h->data;

	(void)hint;
	buf->base = d->udp.rx;
	buf->len = sizeof(d->udp.rx);
}

static void
on_udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
	const struct sockaddr *from, unsigned flags)
{
	struct doctor *d = h->data;
	struct doctor_udp *u = &d->udp;
	Hbb__RendezvousMessage *m = NULL;
	size_t len;

	if (u->done)
		return;
	if (nread < 0) {
		/* Connected socket: an ICMP port unreachable shows up here. */
		u->ms = doctor_ms_since(u->t_first);
		udp_finish(d, (int)nread);
		return;
	}
	if (from == NULL)
		return; /* nothing more to read this round */
	if (!sockaddr_equal(&d->dns[DOC_DNS_RDV].pick, from)) {
		u->foreign++;
		return;
	}
	len = (size_t)nread;
	if ((flags & UV_UDP_PARTIAL) || len > RDV_MAX_DATAGRAM ||
		wire_rdv_unpack((const uint8_t *)buf->base, len,
			WIRE_BUDGET_FOR(len), &m) != 0 ||
		wire_rdv_check(m) != 0) {
		wire_rdv_free(m);
		u->garbage++;
		return;
	}
	switch (m->union_case) {
	case HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PEER_RESPONSE:
		u->request_pk = m->register_peer_response->request_pk;
		/* After a resend the answer may belong to any of them; the
		 * latest send gives the conservative (lower) figure. */
		u->ms = doctor_ms_since(u->sends > 1 ? u->t_last : u->t_first);
		wire_rdv_free(m);
		udp_finish(d, 0);
		return;
	case HBB__RENDEZVOUS_MESSAGE__UNION_CONFIGURE_UPDATE:
		u->config_update = true; /* hbbs' serial > ours: harmless */
		break;
	default:
		u->unexpected++;
		u->last_unexpected_case = (int)m->union_case;
		break;
	}
	wire_rdv_free(m);
}

static void
on_udp_timer(uv_timer_t *t)
{
	struct doctor *d = t->data;
	struct doctor_udp *u = &d->udp;

	if (doctor_ms_since(u->t_first) + 50 < DOCTOR_UDP_TIMEOUT_MS) {
		udp_send(d); /* a lost datagram should not fail the check */
		return;
	}
	u->ms = doctor_ms_since(u->t_first);
	udp_finish(d, u->garbage > 0 || u->unexpected > 0 ? OP_ERR_PROTO :
							    UV_ETIMEDOUT);
}

static void
udp_start(struct doctor *d)
{
	struct doctor_udp *u = &d->udp;
	const struct sockaddr *srv =
		(const struct sockaddr *)&d->dns[DOC_DNS_RDV].pick;
	struct sockaddr_storage any = { .ss_family = srv->sa_family };
	char ip[INET6_ADDRSTRLEN];
	int r;

	if (u->started)
		return;
	u->started = true;
	addr_ip_text(srv, ip, sizeof(ip));
	snprintf(u->server, sizeof(u->server),
		srv->sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
		(unsigned)d->rdv_port);
	d->running++;
	if ((r = uv_udp_init(&d->loop, &u->h)) != 0) {
		udp_finish(d, r);
		return;
	}
	u->h.data = d;
	u->h_open = true;
	/* A fresh socket, never the agent's: answers to it cannot disturb
	 * the running agent's registration. */
	if ((r = uv_udp_bind(&u->h, (const struct sockaddr *)&any, 0)) != 0 ||
		(r = uv_udp_connect(&u->h, srv)) != 0 ||
		(r = uv_udp_recv_start(&u->h, on_udp_alloc, on_udp_recv)) !=
			0) {
		udp_finish(d, r);
		return;
	}
	if ((r = uv_timer_init(&d->loop, &u->timer)) != 0) {
		udp_finish(d, r);
		return;
	}
	u->timer.data = d;
	u->timer_open = true;
	uv_timer_start(&u->timer, on_udp_timer, DOCTOR_UDP_RESEND_MS,
		DOCTOR_UDP_RESEND_MS);
	udp_send(d);
}

/* ---- NAT type test ---- */

static void
on_nat(void *arg, int status, int nat_type, const uint16_t ports[2])
{
	struct doctor *d = arg;
	struct doctor_nat *n = &d->nat;

	n->t = NULL;
	if (status == UV_ECANCELED && d->deadline_hit)
		status = UV_ETIMEDOUT;
	n->status = status;
	n->type = nat_type;
	n->ports[0] = ports[0];
	n->ports[1] = ports[1];
	n->ms = doctor_ms_since(n->t0);
	n->done = true;
	probe_end(d);
}

static void
nat_start(struct doctor *d)
{
	struct doctor_nat *n = &d->nat;
	int r;

	if (n->started)
		return;
	n->started = true;
	n->t0 = uv_hrtime();
	r = nat_test_start(&d->loop, d->dns[DOC_DNS_RDV].pick_text,
		d->rdv_port, DOCTOR_NAT_STEP_TIMEOUT_MS, on_nat, d, &n->t);
	if (r != 0) {
		n->done = true;
		n->status = r;
		return;
	}
	d->running++;
}

/* ---- the run ---- */

static void
on_deadline(uv_timer_t *t)
{
	struct doctor *d = t->data;

	d->deadline_hit = true;
	on_dns_timer(&d->dns_timer);
	for (int i = 0; i < DOC_TCP_COUNT; i++) {
		if (d->tcp[i].conn != NULL)
			net_connect_cancel(d->tcp[i].conn); /* cb follows */
		else if (d->tcp[i].holding)
			hold_end(&d->tcp[i]);
	}
	if (d->udp.started && !d->udp.done) {
		d->udp.ms = doctor_ms_since(d->udp.t_first);
		udp_finish(d, UV_ETIMEDOUT);
	}
	if (d->nat.t != NULL)
		nat_test_cancel(d->nat.t); /* calls on_nat */
}

int
doctor_net_run(struct doctor *d)
{
	int r;

	if ((r = uv_loop_init(&d->loop)) != 0)
		return r;
	uv_timer_init(&d->loop, &d->dns_timer);
	uv_timer_init(&d->loop, &d->deadline);
	uv_timer_init(&d->loop, &d->grace);
	d->dns_timer.data = d->deadline.data = d->grace.data = d;
	for (int i = 0; i < DOC_TCP_COUNT; i++) {
		d->tcp[i].d = d;
		uv_timer_init(&d->loop, &d->tcp[i].timer);
		d->tcp[i].timer.data = &d->tcp[i];
	}
	d->dns_t0 = uv_hrtime();

	d->starting = true;
	uv_timer_start(&d->deadline, on_deadline, DOCTOR_DEADLINE_MS, 0);
	uv_timer_start(&d->dns_timer, on_dns_timer, DOCTOR_DNS_TIMEOUT_MS, 0);
	if (d->have_proxy) {
		/* The proxy resolves the names; the agent never runs the NAT
		 * test behind a proxy, so R-1 is not tried either. */
		tcp_start(d, DOC_TCP_RDV, d->rdv_host, d->rdv_port);
		tcp_start(d, DOC_TCP_RELAY, d->relay_host, d->relay_port);
	}
	dns_start(d, DOC_DNS_RDV, d->rdv_host, d->rdv_port);
	if (!d->relay_same_host)
		dns_start(d, DOC_DNS_RELAY, d->relay_host, d->relay_port);
	d->starting = false;
	maybe_finish(d);

	uv_run(&d->loop, UV_RUN_DEFAULT);
	if (d->abandoned)
		return 0;
	uv_close((uv_handle_t *)&d->grace, NULL);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	(void)uv_loop_close(&d->loop);
	/* Not earlier: the last frame handler may end the run from inside
	 * framer_feed. */
	for (int i = 0; i < DOC_TCP_COUNT; i++) {
		framer_free(d->tcp[i].fr);
		d->tcp[i].fr = NULL;
	}
	return 0;
}
