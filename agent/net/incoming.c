/* SPDX-License-Identifier: MIT */
/*
 * The incoming-connection flows of spec §4.2-§4.5. Each push becomes a
 * job that owns its connections, timers and listener, ends by handing one
 * stream to the owner (or by failing), and frees itself once every handle
 * it opened has closed. Jobs never outlive their deadline (18 s).
 * Must not trust the pushed relay name or client address beyond using
 * them as connect targets; both were bounded by rdv-state.
 */
#include "net/incoming.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "core/netaddr.h"
#include "core/sock.h"
#include "conf/conf.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/queue.h"
#include "net/connect.h"
#include "net/stream.h"
#include "wire/addr.h"
#include "wire/msg.h"

#define SYN_WAIT_MS 30
#define RELAY_ACK_DELAY_MS 50 /* join hbbr first (§17 item 29) */
#define MAX_JOBS 64

enum job_kind { JOB_PUNCH, JOB_LOCAL, JOB_RELAY_HOST, JOB_RELAY_CLIENT };

struct job {
	LIST_ENTRY(job) link;
	struct incoming *in;
	enum job_kind kind;
	struct rdv_push push;
	char relay_host[256];
	uint16_t relay_port;
	char relay_text[270];
	char uuid[37];
	struct net_connect *hbbs_conn;
	struct net_connect *relay_conn;
	struct stream *hbbs;
	uv_tcp_t *listener;
	uv_tcp_t *syn;
	uv_timer_t deadline;
	uv_timer_t aux; /* SYN wait, relay ack delay */
	int handles;    /* open uv handles and streams owned by the job */
	bool done;      /* outcome decided (success or failure) */
};

LIST_HEAD(job_list, job);

struct incoming {
	uv_loop_t *loop;
	char *rdv_host;
	uint16_t rdv_port;
	char *relay;
	char *licence_key;
	char *id;
	char *version;
	const struct proxy_conf *proxy;
	unsigned accept_timeout_ms;
	int nat_type;
	incoming_conn_fn cb;
	void *arg;
	struct job_list jobs;
	unsigned njobs;
	struct incoming_stats stats;
	struct op_ratelimit rl;
	bool freeing;
};

const char *
conn_path_name(enum conn_path p)
{
	static const char *const names[] = { "direct-ip", "punch", "local",
		"relay", "client-relay" };

	return (unsigned)p < 5 ? names[p] : "unknown";
}

static void job_maybe_free(struct job *j);

static void
incoming_destroy(struct incoming *in)
{
	free(in->rdv_host);
	free(in->relay);
	free(in->licence_key);
	free(in->id);
	free(in->version);
	free(in);
}

static void
free_handle_cb(uv_handle_t *h)
{
	free(h);
}

static void
job_handle_closed(uv_handle_t *h)
{
	struct job *j = h->data;

	if (h != (uv_handle_t *)&j->deadline && h != (uv_handle_t *)&j->aux)
		free(h);
	j->handles--;
	job_maybe_free(j);
}

static void
job_stream_closed(void *arg)
{
	struct job *j = arg;

	j->handles--;
	job_maybe_free(j);
}

static void
job_maybe_free(struct job *j)
{
	struct incoming *in = j->in;

	if (!j->done || j->handles > 0 || j->hbbs_conn != NULL ||
		j->relay_conn != NULL)
		return;
	LIST_REMOVE(j, link);
	in->njobs--;
	free(j);
	if (in->freeing && in->njobs == 0)
		incoming_destroy(in);
}

static void
close_handle(uv_handle_t *h)
{
	if (h != NULL && !uv_is_closing(h))
		uv_close(h, job_handle_closed);
}

/* Ends the job: closes everything it still holds. */
static void
job_finish(struct job *j, bool ok, const char *why)
{
	struct incoming *in = j->in;

	if (j->done) {
		/* A cancelled connect reporting back: maybe the last thing
		 * the job was waiting for. */
		job_maybe_free(j);
		return;
	}
	j->done = true;
	if (ok) {
		in->stats.connected++;
	} else {
		unsigned suppressed;

		in->stats.failed++;
		if (op_ratelimit_allow(&in->rl, uv_now(in->loop), 5, 60000,
			    &suppressed))
			log_warn("incoming connection (%s) failed: %s",
				j->kind == JOB_PUNCH ?
					"punch" :
					j->kind == JOB_LOCAL ?
					"local" :
					j->kind == JOB_RELAY_HOST ? "relay" :
								    "client-relay",
				why);
	}
	if (j->hbbs_conn != NULL)
		net_connect_cancel(j->hbbs_conn);
	if (j->relay_conn != NULL)
		net_connect_cancel(j->relay_conn);
	if (j->hbbs != NULL) {
		stream_close(j->hbbs, job_stream_closed);
		j->hbbs = NULL;
	}
	close_handle((uv_handle_t *)j->listener);
	j->listener = NULL;
	close_handle((uv_handle_t *)j->syn);
	j->syn = NULL;
	close_handle((uv_handle_t *)&j->deadline);
	close_handle((uv_handle_t *)&j->aux);
	job_maybe_free(j);
}

static void
on_deadline(uv_timer_t *t)
{
	job_finish(t->data, false, "timed out");
}

/* Sends one framed RendezvousMessage on s. */
static int
send_rdv(struct stream *s, const Hbb__RendezvousMessage *m)
{
	struct opbuf *b = opbuf_new(4096);
	int r;

	if (b == NULL)
		return OP_ERR_NOMEM;
	if ((r = wire_rdv_put_framed(b, m)) == 0)
		r = stream_write(s, opbuf_ptr(b), opbuf_len(b));
	opbuf_free(b);
	return r;
}

static void
hbbs_end(struct stream *s, void *arg, int status)
{
	(void)s;
	(void)arg;
	(void)status; /* hbbs closes after our single message; fine */
}

static void
hbbs_read(struct stream *s, void *arg, const uint8_t *d, size_t n)
{
	(void)s;
	(void)arg;
	(void)d;
	(void)n; /* OSS hbbs sends nothing back on these connections */
}

/* Hands the connected stream to the owner. Over a relay the TCP peer is
 * the relay server; the technician is the address hbbs saw (socket_addr
 * of the PunchHole/RequestRelay), which is what lockouts, allow_from and
 * the audit trail must use. */
static void
job_deliver(struct job *j, struct stream *s, enum conn_path path,
	bool secure)
{
	struct sockaddr_storage tcp_peer = { 0 };
	struct sockaddr_storage client = { 0 };
	bool relay = path == CONN_PATH_RELAY_HOST ||
		path == CONN_PATH_RELAY_CLIENT;

	(void)stream_peer(s, &tcp_peer);
	log_info("incoming %s connection established", conn_path_name(path));
	if (!relay) {
		j->in->cb(j->in->arg, s, path, secure, &tcp_peer, NULL);
		return;
	}
	if (j->push.socket_addr_len == 0 ||
		addr_decode(j->push.socket_addr, j->push.socket_addr_len,
			&client) != 0 ||
		addr_is_unspecified(&client))
		memset(&client, 0, sizeof(client)); /* AF_UNSPEC: unknown */
	j->in->cb(j->in->arg, s, path, secure, &client, &tcp_peer);
}

/* --- relays (§4.4, §4.5) ------------------------------------------- */

static void gen_uuid(char out[37])
{
	uint8_t b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, 37,
		"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		"%02x%02x%02x%02x%02x%02x",
		b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void
on_ack_connected(void *arg, int status, struct stream *s)
{
	struct job *j = arg;
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__RelayResponse rr = HBB__RELAY_RESPONSE__INIT;
	int r;

	j->hbbs_conn = NULL;
	if (status != 0) {
		job_finish(j, false, "cannot reach the rendezvous server");
		return;
	}
	j->hbbs = s;
	j->handles++;
	stream_start(s, hbbs_read, hbbs_end, j);
	rr.socket_addr.data = j->push.socket_addr;
	rr.socket_addr.len = j->push.socket_addr_len;
	rr.version = j->in->version;
	if (j->kind == JOB_RELAY_HOST) {
		rr.uuid = j->uuid;
		rr.relay_server = j->relay_text;
		rr.union_case = HBB__RELAY_RESPONSE__UNION_ID;
		rr.id = j->in->id;
	}
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_RELAY_RESPONSE;
	m.relay_response = &rr;
	r = send_rdv(s, &m);
	job_finish(j, r == 0, "cannot send RelayResponse");
}

static void
on_ack_delay(uv_timer_t *t)
{
	struct job *j = t->data;
	struct net_connect_opts o = { .proxy = j->in->proxy,
		.timeout_ms = j->in->accept_timeout_ms };

	if (net_connect_start(j->in->loop, j->in->rdv_host, j->in->rdv_port,
		    &o, on_ack_connected, j, &j->hbbs_conn) != 0)
		job_finish(j, false, "cannot start connecting to hbbs");
}

static void
on_relay_connected(void *arg, int status, struct stream *s)
{
	struct job *j = arg;
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__RequestRelay rq = HBB__REQUEST_RELAY__INIT;
	bool client = j->kind == JOB_RELAY_CLIENT;

	j->relay_conn = NULL;
	if (status != 0) {
		job_finish(j, false, "cannot reach the relay server");
		return;
	}
	rq.uuid = j->uuid;
	rq.licence_key = j->in->licence_key;
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REQUEST_RELAY;
	m.request_relay = &rq;
	if (send_rdv(s, &m) != 0) {
		stream_close(s, NULL);
		job_finish(j, false, "cannot send RequestRelay");
		return;
	}
	/* hbbr never answers (§17 item 25): the session starts now, and the
	 * acknowledgement to hbbs follows a moment later. */
	job_deliver(j, s,
		client ? CONN_PATH_RELAY_CLIENT : CONN_PATH_RELAY_HOST,
		client ? j->push.secure : true);
	uv_timer_start(&j->aux, on_ack_delay, RELAY_ACK_DELAY_MS, 0);
}

static int
pick_relay(struct job *j)
{
	struct incoming *in = j->in;
	const char *src = in->relay;

	/* The configured relay, else what hbbs announced, else hbbs' port
	 * + 1. A client-initiated relay names its own; it is used only when
	 * no relay is configured and it is on the rendezvous host. */
	if (src[0] == '\0')
		src = j->push.relay_server;
	if (src[0] == '\0') {
		snprintf(j->relay_host, sizeof(j->relay_host), "%s",
			in->rdv_host);
		j->relay_port = (uint16_t)(in->rdv_port + 1);
	} else if (conf_hostport_split(src, 21117, j->relay_host,
			   sizeof(j->relay_host), &j->relay_port) != 0) {
		return OP_ERR_PROTO;
	}
	if (j->kind == JOB_RELAY_CLIENT && in->relay[0] == '\0' &&
		strcasecmp(j->relay_host, in->rdv_host) != 0) {
		log_warn("refused a client-chosen relay on another host than "
			 "the rendezvous server; set server.relay to allow "
			 "a separate relay host");
		return OP_ERR_DENIED;
	}
	if (j->kind == JOB_RELAY_CLIENT && in->relay[0] != '\0' &&
		j->push.relay_server[0] != '\0' &&
		strcasecmp(j->push.relay_server, in->relay) != 0)
		log_info("client-initiated relay: using the configured relay, "
			 "not the one the client named");
	snprintf(j->relay_text, sizeof(j->relay_text),
		strchr(j->relay_host, ':') ? "[%s]:%u" : "%s:%u", j->relay_host,
		j->relay_port);
	return 0;
}

static void
start_relay(struct job *j)
{
	struct net_connect_opts o = { .proxy = j->in->proxy,
		.timeout_ms = j->in->accept_timeout_ms };

	if (pick_relay(j) != 0) {
		job_finish(j, false, "unusable relay server name");
		return;
	}
	if (j->kind == JOB_RELAY_HOST)
		gen_uuid(j->uuid);
	else
		snprintf(j->uuid, sizeof(j->uuid), "%.36s", j->push.uuid);
	if (net_connect_start(j->in->loop, j->relay_host, j->relay_port, &o,
		    on_relay_connected, j, &j->relay_conn) != 0)
		job_finish(j, false, "cannot start connecting to the relay");
}

/* --- TCP punch and local address (§4.2, §4.3) ----------------------- */

static void
on_accept(uv_stream_t *server, int status)
{
	struct job *j = server->data;
	uv_tcp_t *c;
	struct stream *s;

	if (status != 0 || j->done)
		return;
	if ((c = malloc(sizeof(*c))) == NULL)
		return;
	uv_tcp_init(j->in->loop, c);
	if (uv_accept(server, (uv_stream_t *)c) != 0) {
		uv_close((uv_handle_t *)c, free_handle_cb);
		return;
	}
	uv_tcp_nodelay(c, 1);
	if ((s = stream_tcp_take(j->in->loop, c)) == NULL) {
		job_finish(j, false, "out of memory");
		return;
	}
	job_deliver(j, s, j->kind == JOB_PUNCH ? CONN_PATH_PUNCH :
						 CONN_PATH_LOCAL,
		true);
	job_finish(j, true, NULL);
}

static void
on_syn_wait(uv_timer_t *t)
{
	struct job *j = t->data;

	close_handle((uv_handle_t *)j->syn);
	j->syn = NULL;
}

static void
on_syn(uv_connect_t *req, int status)
{
	(void)status; /* only opens our NAT mapping; the result is unused */
	free(req);
}

/* Opens a socket on our side of the punched port: a listener, or the
 * outbound SYN that opens our NAT for the client's SYN. */
static uv_tcp_t *
reuse_handle(struct job *j, const struct sockaddr_storage *local)
{
	uv_tcp_t *h;
	uv_os_sock_t fd;

	if (net_reuse_socket((const struct sockaddr *)local, &fd) != 0)
		return NULL;
	if ((h = malloc(sizeof(*h))) == NULL) {
		op_sock_close(fd);
		return NULL;
	}
	uv_tcp_init(j->in->loop, h);
	h->data = j;
	j->handles++;
	if (uv_tcp_open(h, fd) != 0) {
		op_sock_close(fd);
		close_handle((uv_handle_t *)h);
		return NULL;
	}
	return h;
}

static void
set_port_any(struct sockaddr_storage *ss, const struct sockaddr_storage *from)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = from->ss_family;
	if (from->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port =
			((const struct sockaddr_in6 *)from)->sin6_port;
	else
		((struct sockaddr_in *)ss)->sin_port =
			((const struct sockaddr_in *)from)->sin_port;
}

static void
on_hbbs_connected(void *arg, int status, struct stream *s)
{
	struct job *j = arg;
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__PunchHoleSent ps = HBB__PUNCH_HOLE_SENT__INIT;
	Hbb__LocalAddr la = HBB__LOCAL_ADDR__INIT;
	struct sockaddr_storage local, any;
	uint8_t mangled[ADDR_MANGLE_MAX];
	size_t mlen = 0;

	j->hbbs_conn = NULL;
	if (status != 0) {
		/* Can't punch: the relay still works (§4.3 last sentence). */
		j->kind = JOB_RELAY_HOST;
		start_relay(j);
		return;
	}
	j->hbbs = s;
	j->handles++;
	stream_start(s, hbbs_read, hbbs_end, j);
	if (stream_local(s, &local) != 0) {
		job_finish(j, false, "no local address");
		return;
	}
	/* Listen on L before telling hbbs, so the client's SYN cannot
	 * arrive first; op_sock_share_addr lets the listener share L with the
	 * still-open hbbs connection. */
	set_port_any(&any, &local);
	if ((j->listener = reuse_handle(j, &any)) == NULL ||
		uv_listen((uv_stream_t *)j->listener, 1, on_accept) != 0) {
		job_finish(j, false, "cannot listen on the punched port");
		return;
	}
	if (j->kind == JOB_PUNCH && !addr_is_unspecified(&j->push.peer) &&
		(j->syn = reuse_handle(j, &any)) != NULL) {
		uv_connect_t *req = malloc(sizeof(*req));

		if (req == NULL ||
			uv_tcp_connect(req, j->syn,
				(const struct sockaddr *)&j->push.peer,
				on_syn) != 0)
			free(req);
		uv_timer_start(&j->aux, on_syn_wait, SYN_WAIT_MS, 0);
	}
	if (j->kind == JOB_PUNCH) {
		ps.socket_addr.data = j->push.socket_addr;
		ps.socket_addr.len = j->push.socket_addr_len;
		ps.id = j->in->id;
		ps.relay_server = j->relay_text;
		ps.nat_type = (Hbb__NatType)j->in->nat_type;
		ps.version = j->in->version;
		m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE_SENT;
		m.punch_hole_sent = &ps;
	} else {
		if (addr_encode(&local, mangled, &mlen) != 0) {
			job_finish(j, false, "cannot encode local address");
			return;
		}
		la.socket_addr.data = j->push.socket_addr;
		la.socket_addr.len = j->push.socket_addr_len;
		la.local_addr.data = mangled;
		la.local_addr.len = mlen;
		la.relay_server = j->relay_text;
		la.id = j->in->id;
		la.version = j->in->version;
		m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_LOCAL_ADDR;
		m.local_addr = &la;
	}
	if (send_rdv(s, &m) != 0) {
		job_finish(j, false, "cannot send to hbbs");
		return;
	}
	stream_close(s, job_stream_closed);
	j->hbbs = NULL;
}

static void
start_punch(struct job *j)
{
	static const struct sockaddr_in any4 = { .sin_family = AF_INET };
	struct net_connect_opts o = {
		.bind_local = (const struct sockaddr *)&any4,
		.timeout_ms = j->in->accept_timeout_ms,
	};

	/* The relay we name in PunchHoleSent/LocalAddr, for the client's
	 * fallback. */
	if (pick_relay(j) != 0)
		j->relay_text[0] = '\0';
	if (net_connect_start(j->in->loop, j->in->rdv_host, j->in->rdv_port,
		    &o, on_hbbs_connected, j, &j->hbbs_conn) != 0)
		job_finish(j, false, "cannot start connecting to hbbs");
}

/* --- entry points -------------------------------------------------- */

void
incoming_handle_push(struct incoming *in, const struct rdv_push *p)
{
	bool relay_mode = in->proxy != NULL;
	struct job *j;

	if (in->freeing)
		return;
	if (in->njobs >= MAX_JOBS) {
		log_warn("too many connection attempts in progress; ignoring "
			 "a request from the rendezvous server");
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->in = in;
	j->push = *p;
	LIST_INSERT_HEAD(&in->jobs, j, link);
	in->njobs++;
	in->stats.started++;
	uv_timer_init(in->loop, &j->deadline);
	uv_timer_init(in->loop, &j->aux);
	j->deadline.data = j->aux.data = j;
	j->handles += 2;
	uv_timer_start(&j->deadline, on_deadline, in->accept_timeout_ms + 2000,
		0);

	switch (p->kind) {
	case RDV_PUSH_PUNCH_HOLE:
		/* §4.1: relay when either side is symmetric, when asked, or
		 * when a proxy is in the way. UDP punching (udp_port > 0) is
		 * not offered by OSS servers; the TCP path serves instead. */
		if (relay_mode || p->force_relay || p->nat_type == 2 ||
			in->nat_type == 2) {
			j->kind = JOB_RELAY_HOST;
			start_relay(j);
		} else {
			j->kind = JOB_PUNCH;
			start_punch(j);
		}
		break;
	case RDV_PUSH_FETCH_LOCAL_ADDR:
		j->kind = relay_mode ? JOB_RELAY_HOST : JOB_LOCAL;
		if (relay_mode)
			start_relay(j);
		else
			start_punch(j);
		break;
	case RDV_PUSH_REQUEST_RELAY:
		j->kind = JOB_RELAY_CLIENT;
		start_relay(j);
		break;
	default:
		job_finish(j, false, "unknown request");
		break;
	}
}

int
incoming_new(uv_loop_t *loop, const struct incoming_conf *conf,
	incoming_conn_fn cb, void *arg, struct incoming **out)
{
	struct incoming *in;

	*out = NULL;
	if ((in = calloc(1, sizeof(*in))) == NULL)
		return OP_ERR_NOMEM;
	in->loop = loop;
	in->rdv_port = conf->rdv_port;
	in->proxy = conf->proxy;
	in->accept_timeout_ms = conf->accept_timeout_ms ?
		conf->accept_timeout_ms :
		18000;
	in->cb = cb;
	in->arg = arg;
	LIST_INIT(&in->jobs);
	if ((in->rdv_host = strdup(conf->rdv_host)) == NULL ||
		(in->relay = strdup(conf->relay ? conf->relay : "")) == NULL ||
		(in->licence_key = strdup(conf->licence_key ? conf->licence_key :
							      "")) == NULL ||
		(in->id = strdup(conf->id)) == NULL ||
		(in->version = strdup(conf->version)) == NULL) {
		incoming_destroy(in);
		return OP_ERR_NOMEM;
	}
	*out = in;
	return 0;
}

void
incoming_free(struct incoming *in)
{
	struct job *j, *next;

	if (in == NULL)
		return;
	in->freeing = true;
	if (in->njobs == 0) {
		incoming_destroy(in);
		return;
	}
	for (j = LIST_FIRST(&in->jobs); j != NULL; j = next) {
		next = LIST_NEXT(j, link);
		job_finish(j, false, "shutting down");
	}
}

void
incoming_set_nat_type(struct incoming *self, int nat_type)
{
	self->nat_type = nat_type;
}

void
incoming_get_stats(const struct incoming *self, struct incoming_stats *out)
{
	*out = self->stats;
}
