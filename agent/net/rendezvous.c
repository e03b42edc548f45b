/* SPDX-License-Identifier: MIT */
/*
 * UDP registration with hbbs: owns the socket, the timer and the DNS
 * lookups, and performs what rdv-state decides. Must not block, must not
 * trust a datagram's source (only the resolved server address is
 * accepted), and must log peer-triggered problems at most a few times a
 * minute.
 */
#include "net/rendezvous.h"
#include "core/netaddr.h"
#include "net/rendezvous-internal.h"
#include "net/sockaddr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "wire/msg.h"

#define RESOLVE_RETRY_MS 2000


void
rdv__maybe_free(struct rendezvous *r)
{
	if (!r->stopped || r->closing > 0 || r->resolving ||
		!rdv__tcp_idle(r))
		return;
	free(r->host);
	free(r->id);
	free(r->uuid);
	sodium_memzero(r, sizeof(*r));
	free(r);
}

static void
on_handle_closed(uv_handle_t *h)
{
	struct rendezvous *r = h->data;

	if (h->type == UV_UDP)
		free(h);
	r->closing--;
	rdv__maybe_free(r);
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	static char dgram[RDV_MAX_DATAGRAM + 1]; /* loop thread only */

	(void)h;
	(void)hint;
	buf->base = dgram;
	buf->len = sizeof(dgram);
}

void
rdv__note_transitions(struct rendezvous *r, uint64_t now)
{
	bool reg = rdv_registered(&r->st, now);

	if (reg && !r->was_registered)
		log_notice("registered with %s:%u as ID %s", r->host, r->port,
			r->id);
	else if (!reg && r->was_registered)
		log_warn("registration with %s:%u lapsed; retrying", r->host,
			r->port);
	r->was_registered = reg;
	if (r->st.last_pk_result > 0 &&
		r->st.last_pk_result != r->logged_result)
		log_error("%s:%u refused ID %s: %s: %s", r->host, r->port, r->id,
			rdv_result_name(r->st.last_pk_result),
			rdv_result_advice(r->st.last_pk_result));
	r->logged_result = r->st.last_pk_result;
}

static void
on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
	const struct sockaddr *from, unsigned flags)
{
	struct rendezvous *r = h->data;
	struct rdv_push push;
	uint64_t now = op_now_ms();
	unsigned suppressed;
	int rc;

	if (nread < 0) {
		if (op_ratelimit_allow(&r->rl_net, now, 3, 60000, &suppressed))
			log_warn("hbbs socket: %s", uv_strerror((int)nread));
		return;
	}
	if (from == NULL)
		return; /* nothing more to read this round */
	if (!sockaddr_equal(&r->server, from)) {
		r->spoofed++;
		if (op_ratelimit_allow(&r->rl_drop, now, 3, 60000, &suppressed))
			log_warn("dropped a datagram from an address that is not "
				 "the rendezvous server (%u more suppressed)",
				suppressed);
		return;
	}
	if (flags & UV_UDP_PARTIAL) {
		r->st.dropped++;
		return;
	}
	rc = rdv_on_datagram(&r->st, (const uint8_t *)buf->base,
		(size_t)nread, now, &push);
	if (rc != 0 &&
		op_ratelimit_allow(&r->rl_drop, now, 3, 60000, &suppressed))
		log_warn_r(rc, "dropped a malformed datagram from the "
			       "rendezvous server (%u more suppressed)",
			suppressed);
	rdv__note_transitions(r, now);
	if (push.kind != RDV_PUSH_NONE)
		r->cb(r->arg, &push);
	rdv__arm_timer(r);
}

static int
send_registration(struct rendezvous *r, enum rdv_action act)
{
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__RegisterPeer rp = HBB__REGISTER_PEER__INIT;
	Hbb__RegisterPk pk = HBB__REGISTER_PK__INIT;
	uint8_t buf[512];
	size_t len = 0;
	uv_buf_t b;
	int rc;

	if (act == RDV_ACT_SEND_PEER) {
		rp.id = r->id;
		/* hbbs answers an older serial with ConfigUpdate; RustDesk
		 * sends max(stored, 3). */
		rp.serial = r->st.serial > 3 ? r->st.serial : 3;
		m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PEER;
		m.register_peer = &rp;
	} else {
		pk.id = r->id;
		pk.uuid.data = (uint8_t *)r->uuid;
		pk.uuid.len = strlen(r->uuid);
		pk.pk.data = r->pk;
		pk.pk.len = sizeof(r->pk);
		m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PK;
		m.register_pk = &pk;
	}
	if ((rc = wire_rdv_pack(&m, buf, sizeof(buf), &len)) != 0)
		return rc;
	b = uv_buf_init((char *)buf, (unsigned)len);
	rc = uv_udp_try_send(r->udp, &b, 1, (const struct sockaddr *)&r->server);
	return rc < 0 ? rc : 0;
}

static void start_resolve(struct rendezvous *r);

static void
open_socket(struct rendezvous *r)
{
	struct sockaddr_storage any = { .ss_family = r->server.ss_family };
	int rc;

	if (r->udp != NULL) {
		r->closing++;
		uv_close((uv_handle_t *)r->udp, on_handle_closed);
		r->udp = NULL;
	}
	if ((r->udp = calloc(1, sizeof(*r->udp))) == NULL)
		return;
	uv_udp_init(r->loop, r->udp);
	r->udp->data = r;
	if ((rc = uv_udp_bind(r->udp, (const struct sockaddr *)&any, 0)) != 0 ||
		(rc = uv_udp_recv_start(r->udp, alloc_cb, on_recv)) != 0) {
		log_error("rendezvous UDP socket: %s", uv_strerror(rc));
		r->closing++;
		uv_close((uv_handle_t *)r->udp, on_handle_closed);
		r->udp = NULL;
	}
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct rendezvous *r = req->data;
	uint64_t now = op_now_ms();
	char text[64];

	r->resolving = false;
	if (r->stopped) {
		uv_freeaddrinfo(res);
		rdv__maybe_free(r);
		return;
	}
	if (status != 0 || res == NULL) {
		unsigned suppressed;

		if (op_ratelimit_allow(&r->rl_net, now, 3, 60000, &suppressed))
			log_warn("cannot resolve rendezvous server %s: %s", r->host,
				uv_strerror(status));
		uv_freeaddrinfo(res);
		rdv__arm_timer(r);
		return;
	}
	/* Prefer IPv4: OSS hbbs peers and AddrMangle work best with it. */
	struct addrinfo *pick = res;
	for (struct addrinfo *a = res; a != NULL; a = a->ai_next) {
		if (a->ai_family == AF_INET) {
			pick = a;
			break;
		}
	}
	if (!sockaddr_equal(&r->server, pick->ai_addr) || r->udp == NULL) {
		memset(&r->server, 0, sizeof(r->server));
		memcpy(&r->server, pick->ai_addr, pick->ai_addrlen);
		sockaddr_format(&r->server, text, sizeof(text));
		log_info("rendezvous server %s is %s", r->host, text);
		open_socket(r);
	}
	uv_freeaddrinfo(res);
	rdv_resolved(&r->st, now);
	rdv__arm_timer(r);
}

static void
start_resolve(struct rendezvous *r)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
		.ai_protocol = IPPROTO_UDP };
	char port[8];
	int rc;

	if (r->resolving)
		return;
	r->last_resolve_try_ms = op_now_ms();
	snprintf(port, sizeof(port), "%u", r->port);
	r->gai.data = r;
	rc = uv_getaddrinfo(r->loop, &r->gai, on_resolved, r->host, port,
		&hints);
	if (rc == 0)
		r->resolving = true;
	else
		log_warn("resolve %s: %s", r->host, uv_strerror(rc));
}

static void
on_timer(uv_timer_t *t)
{
	struct rendezvous *r = t->data;
	uint64_t now = op_now_ms();
	enum rdv_action act;
	int guard = 0;

	if (r->proxy != NULL) {
		rdv__tcp_timer(r, now);
		rdv__arm_timer(r);
		return;
	}

	while ((act = rdv_tick(&r->st, now, randombytes_uniform(65536))) !=
			RDV_ACT_NONE &&
		guard++ < 4) {
		if (act == RDV_ACT_RESOLVE || r->udp == NULL) {
			if (now - r->last_resolve_try_ms >= RESOLVE_RETRY_MS ||
				act == RDV_ACT_RESOLVE)
				start_resolve(r);
			if (act == RDV_ACT_RESOLVE)
				rdv_resolved(&r->st, now);
			else
				rdv_sent(&r->st, act, now); /* counts as tried */
			continue;
		}
		int rc = send_registration(r, act);
		if (rc != 0) {
			unsigned suppressed;

			if (op_ratelimit_allow(&r->rl_net, now, 3, 60000,
				    &suppressed))
				log_warn("send to rendezvous server: %s",
					op_strerror(rc));
		}
		rdv_sent(&r->st, act, now);
	}
	rdv__note_transitions(r, now);
	rdv__arm_timer(r);
}

void
rdv__arm_timer(struct rendezvous *r)
{
	uint64_t now = op_now_ms();
	uint64_t due = rdv_next_due(&r->st, now);

	/* Wake at least every second: registration expiry is time-based. */
	if (due > 1000)
		due = 1000;
	if (due < 5)
		due = 5;
	if (!r->stopped)
		uv_timer_start(&r->timer, on_timer, due, 0);
}

int
rendezvous_start(uv_loop_t *loop, const struct rendezvous_conf *conf,
	rendezvous_push_fn cb, void *arg, struct rendezvous **out)
{
	struct rendezvous *r;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return OP_ERR_NOMEM;
	r->loop = loop;
	r->port = conf->port;
	r->cb = cb;
	r->arg = arg;
	r->logged_result = -1;
	memcpy(r->pk, conf->pk, sizeof(r->pk));
	if ((r->host = strdup(conf->host)) == NULL ||
		(r->id = strdup(conf->id)) == NULL ||
		(r->uuid = strdup(conf->uuid)) == NULL) {
		free(r->host);
		free(r->id);
		free(r->uuid);
		free(r);
		return OP_ERR_NOMEM;
	}
	rdv_state_init(&r->st, conf->serial);
	uv_timer_init(loop, &r->timer);
	r->timer.data = r;
	r->proxy = conf->proxy;
	if (conf->server_key != NULL && conf->server_key[0] != '\0') {
		size_t n = 0;

		r->have_sign_pk = sodium_base642bin(r->sign_pk,
					  sizeof(r->sign_pk), conf->server_key,
					  strlen(conf->server_key), NULL, &n,
					  NULL,
					  sodium_base64_VARIANT_ORIGINAL) == 0 &&
			n == sizeof(r->sign_pk);
	}
	if (r->proxy != NULL)
		rdv__arm_timer(r); /* TCP mode connects from the timer */
	else
		start_resolve(r);
	*out = r;
	return 0;
}

void
rendezvous_stop(struct rendezvous *self)
{
	if (self == NULL)
		return;
	self->stopped = true;
	rdv__tcp_stop(self);
	if (self->resolving)
		uv_cancel((uv_req_t *)&self->gai);
	self->closing++;
	uv_close((uv_handle_t *)&self->timer, on_handle_closed);
	if (self->udp != NULL) {
		self->closing++;
		uv_close((uv_handle_t *)self->udp, on_handle_closed);
		self->udp = NULL;
	}
}

void
rendezvous_get_status(const struct rendezvous *self,
	struct rendezvous_status *out)
{
	uint64_t now = op_now_ms();

	memset(out, 0, sizeof(*out));
	out->registered = rdv_registered(&self->st, now);
	out->last_ack_age_ms = self->st.last_answer_ms == 0 ?
		-1 :
		(int64_t)(now - self->st.last_answer_ms);
	out->last_result = self->st.last_pk_result;
	out->fails = self->st.fails;
	if (self->udp != NULL)
		sockaddr_format(&self->server, out->server_addr,
			sizeof(out->server_addr));
	out->sent_peer = self->st.sent_peer;
	out->sent_pk = self->st.sent_pk;
	out->answers = self->st.answers;
	out->dropped = self->st.dropped;
	out->spoofed = self->spoofed;
	out->mode = self->proxy != NULL ? "tcp" : "udp";
	out->encrypted = self->encrypted;
}

void
rendezvous_republish_pk(struct rendezvous *self)
{
	self->st.key_confirmed = false;
	self->st.next_send_ms = op_now_ms();
	rdv__arm_timer(self);
}

const struct sockaddr_storage *
rendezvous_server_addr(const struct rendezvous *self)
{
	return &self->server;
}
