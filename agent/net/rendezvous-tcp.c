/* SPDX-License-Identifier: MIT */
/*
 * TCP-mode registration (spec §3.7), used when a proxy is configured:
 * one long-lived connection to the rendezvous server through the proxy,
 * an optional KeyExchange (verified with server.key, fail closed when it
 * cannot be verified), RegisterPk until confirmed, empty frames as
 * keep-alives, and pushes arriving on the same connection. OSS hbbs does
 * not support this mode and answers NOT_SUPPORT, which status reports.
 * Must not block, and treats every frame from the server as untrusted.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/time.h"
#include "net/connect.h"
#include "net/framer.h"
#include "net/rendezvous-internal.h"
#include "net/stream.h"
#include "wire/codec.h"
#include "wire/msg.h"

#define TCP_KX_WAIT_MS 3000        /* a Pro server speaks first */
#define TCP_MAX_FRAME (64 * 1024)
#define TCP_DEAD_MS 90000          /* keep_alive (60 s) x 1.5 */
#define TCP_CONNECT_TIMEOUT_MS 18000

static void tcp_drop(struct rendezvous *r, const char *why);

static int
tcp_send(struct rendezvous *r, const uint8_t *p, size_t len)
{
	struct opbuf *b = opbuf_new(len + CHANNEL_MAC_LEN + 8);
	uint8_t *sealed = NULL;
	int rc;

	if (b == NULL)
		return OP_ERR_NOMEM;
	if (r->encrypted && len > 0) {
		if ((sealed = malloc(len + CHANNEL_MAC_LEN)) == NULL) {
			opbuf_free(b);
			return OP_ERR_NOMEM;
		}
		channel_seal(&r->ch, p, len, sealed);
		rc = codec_put_frame(b, sealed, len + CHANNEL_MAC_LEN);
		free(sealed);
	} else {
		rc = codec_put_frame(b, p, len);
	}
	if (rc == 0)
		rc = stream_write(r->ts, opbuf_ptr(b), opbuf_len(b));
	opbuf_free(b);
	return rc;
}

static int
tcp_send_rdv(struct rendezvous *r, const Hbb__RendezvousMessage *m)
{
	uint8_t buf[2048];
	size_t len = 0;
	int rc;

	if ((rc = wire_rdv_pack(m, buf, sizeof(buf), &len)) != 0)
		return rc;
	return tcp_send(r, buf, len);
}

static int
send_register_pk(struct rendezvous *r)
{
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__RegisterPk pk = HBB__REGISTER_PK__INIT;

	pk.id = r->id;
	pk.uuid.data = (uint8_t *)r->uuid;
	pk.uuid.len = strlen(r->uuid);
	pk.pk.data = r->pk;
	pk.pk.len = sizeof(r->pk);
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PK;
	m.register_pk = &pk;
	return tcp_send_rdv(r, &m);
}

/* A Pro server's KeyExchange{keys:[signed box pk]} (§3.7 step 2). */
static int
key_exchange(struct rendezvous *r, const Hbb__KeyExchange *kx)
{
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__KeyExchange reply = HBB__KEY_EXCHANGE__INIT;
	uint8_t our_pk[CHANNEL_BOX_PK_LEN];
	uint8_t sealed[CHANNEL_SEALED_KEY_LEN];
	uint8_t key[CHANNEL_KEY_LEN];
	ProtobufCBinaryData keys[2];
	int rc;

	if (kx->n_keys != 1)
		return OP_ERR_PROTO;
	if (!r->have_sign_pk) {
		log_error("the rendezvous server offers encryption but "
			  "server.key is not set, so it cannot be verified; "
			  "refusing (set server.key)");
		return OP_ERR_AUTH;
	}
	rc = channel_client_key_exchange(kx->keys[0].data, kx->keys[0].len,
		r->sign_pk, our_pk, sealed, key);
	if (rc != 0) {
		log_error_r(rc, "rendezvous server key exchange (does "
				"server.key match the server?)");
		return rc;
	}
	keys[0].data = our_pk;
	keys[0].len = sizeof(our_pk);
	keys[1].data = sealed;
	keys[1].len = sizeof(sealed);
	reply.n_keys = 2;
	reply.keys = keys;
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_KEY_EXCHANGE;
	m.key_exchange = &reply;
	rc = tcp_send_rdv(r, &m); /* the reply itself is not encrypted */
	if (rc == 0) {
		channel_init(&r->ch, key);
		r->encrypted = true;
		log_info("rendezvous connection encrypted");
	}
	sodium_memzero(key, sizeof(key));
	return rc;
}

static int
on_plain_frame(struct rendezvous *r, const uint8_t *p, size_t len)
{
	uint64_t now = op_now_ms();
	Hbb__RendezvousMessage *m = NULL;
	struct rdv_push push;
	bool first = !r->first_frame_seen;
	int rc;

	r->first_frame_seen = true;
	r->tcp_last_rx_ms = now;
	if (len == 0) {
		/* Our keep-alive echoed, or the server's to echo back. */
		if (r->st.outstanding && !r->st.outstanding_pk)
			rdv_on_heartbeat(&r->st, now);
		else
			(void)tcp_send(r, NULL, 0);
		return 0;
	}
	if ((rc = wire_rdv_unpack(p, len, WIRE_BUDGET_FOR(len), &m)) != 0) {
		r->st.dropped++;
		return rc;
	}
	if (m->union_case == HBB__RENDEZVOUS_MESSAGE__UNION_KEY_EXCHANGE) {
		rc = first ? key_exchange(r, m->key_exchange) : OP_ERR_PROTO;
		wire_rdv_free(m);
		if (rc == 0)
			r->st.next_send_ms = now; /* register now */
		return rc;
	}
	rc = rdv_on_message(&r->st, m, now, &push);
	wire_rdv_free(m);
	rdv__note_transitions(r, now);
	if (rc == 0 && push.kind != RDV_PUSH_NONE)
		r->cb(r->arg, &push);
	return 0; /* a bad message is counted and dropped, not fatal */
}

static int
on_frame(void *arg, const uint8_t *p, size_t len)
{
	struct rendezvous *r = arg;
	uint8_t *plain;
	size_t plen = 0;
	bool passthru;
	int rc;

	if (!r->encrypted)
		rc = on_plain_frame(r, p, len);
	else if ((plain = malloc(len + 1)) == NULL)
		rc = OP_ERR_NOMEM;
	else {
		rc = channel_open(&r->ch, p, len, plain, &plen, &passthru);
		if (rc == 0)
			rc = on_plain_frame(r, plain, plen);
		free(plain);
	}
	if (rc != 0 && rc != OP_ERR_PROTO) {
		tcp_drop(r, op_strerror(rc));
		return 1;
	}
	return 0;
}

static void
on_read(struct stream *s, void *arg, const uint8_t *d, size_t n)
{
	struct rendezvous *r = arg;
	int rc;

	(void)s;
	rc = framer_feed(r->tfr, d, n, on_frame, r);
	if (rc < 0)
		tcp_drop(r, op_strerror(rc));
	rdv__arm_timer(r);
}

static void
on_end(struct stream *s, void *arg, int status)
{
	(void)s;
	tcp_drop(arg, status == 0 ? "closed by the server" :
				    uv_strerror(status));
}

static void
on_stream_closed(void *arg)
{
	struct rendezvous *r = arg;

	r->tcp_closing--;
	rdv__maybe_free(r);
}

static void
tcp_drop(struct rendezvous *r, const char *why)
{
	uint64_t now = op_now_ms();
	unsigned shift;

	if (r->ts == NULL)
		return;
	log_warn("rendezvous connection via proxy lost: %s", why);
	r->tcp_closing++;
	stream_close(r->ts, on_stream_closed);
	r->ts = NULL;
	framer_free(r->tfr);
	r->tfr = NULL;
	channel_wipe(&r->ch);
	r->encrypted = false;
	r->st.key_confirmed = false;
	r->st.last_ok_ms = 0;
	r->st.outstanding = false;
	shift = r->tcp_fails < 3 ? r->tcp_fails : 3;
	r->tcp_fails++;
	r->tcp_next_connect_ms = now + ((uint64_t)RDV_BACKOFF_MIN_MS << shift);
	rdv__note_transitions(r, now);
}

static void
on_connected(void *arg, int status, struct stream *s)
{
	struct rendezvous *r = arg;
	uint64_t now = op_now_ms();

	r->tconn = NULL;
	if (r->stopped) {
		if (s != NULL) {
			r->tcp_closing++;
			stream_close(s, on_stream_closed);
		}
		rdv__maybe_free(r);
		return;
	}
	if (status != 0) {
		unsigned suppressed;
		unsigned shift = r->tcp_fails < 3 ? r->tcp_fails : 3;

		if (op_ratelimit_allow(&r->rl_net, now, 3, 60000, &suppressed))
			log_warn("cannot reach the rendezvous server via the "
				 "proxy: %s",
				op_strerror(status));
		r->tcp_fails++;
		r->tcp_next_connect_ms = now + ((uint64_t)RDV_BACKOFF_MIN_MS << shift);
		rdv__arm_timer(r);
		return;
	}
	if ((r->tfr = framer_new(TCP_MAX_FRAME)) == NULL) {
		r->tcp_closing++;
		stream_close(s, on_stream_closed);
		return;
	}
	r->ts = s;
	r->tcp_fails = 0;
	r->first_frame_seen = false;
	r->tcp_start_ms = r->tcp_last_rx_ms = now;
	r->st.key_confirmed = false;
	r->st.outstanding = false;
	/* Give a Pro server the chance to open with KeyExchange. */
	r->st.next_send_ms = now + TCP_KX_WAIT_MS;
	if (stream_start(s, on_read, on_end, r) != 0)
		tcp_drop(r, "cannot read");
	rdv__arm_timer(r);
}

void
rdv__tcp_timer(struct rendezvous *r, uint64_t now)
{
	struct net_connect_opts o = { .proxy = r->proxy,
		.timeout_ms = TCP_CONNECT_TIMEOUT_MS };
	enum rdv_action act;
	int guard = 0;

	if (r->ts == NULL) {
		if (r->tconn == NULL && now >= r->tcp_next_connect_ms &&
			net_connect_start(r->loop, r->host, r->port, &o,
				on_connected, r, &r->tconn) != 0)
			r->tcp_next_connect_ms = now + RDV_BACKOFF_MAX_MS;
		return;
	}
	if (now - r->tcp_last_rx_ms > TCP_DEAD_MS) {
		tcp_drop(r, "silent for 90 s");
		return;
	}
	while ((act = rdv_tick(&r->st, now, randombytes_uniform(65536))) !=
			RDV_ACT_NONE &&
		guard++ < 4 && r->ts != NULL) {
		int rc = 0;

		if (act == RDV_ACT_RESOLVE) {
			rdv_resolved(&r->st, now);
			tcp_drop(r, "no answers");
			return;
		}
		if (act == RDV_ACT_SEND_PK)
			rc = send_register_pk(r);
		else
			rc = tcp_send(r, NULL, 0); /* keep-alive */
		rdv_sent(&r->st, act, now);
		if (rc != 0) {
			tcp_drop(r, op_strerror(rc));
			return;
		}
	}
	rdv__note_transitions(r, now);
}

void
rdv__tcp_stop(struct rendezvous *r)
{
	if (r->tconn != NULL)
		net_connect_cancel(r->tconn);
	if (r->ts != NULL) {
		r->tcp_closing++;
		stream_close(r->ts, on_stream_closed);
		r->ts = NULL;
	}
	framer_free(r->tfr);
	r->tfr = NULL;
	channel_wipe(&r->ch);
}

bool
rdv__tcp_idle(const struct rendezvous *r)
{
	return r->tconn == NULL && r->ts == NULL && r->tcp_closing == 0;
}
