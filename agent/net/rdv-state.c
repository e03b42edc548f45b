/* SPDX-License-Identifier: MIT */
/*
 * Registration state machine and hbbs message handler (see rdv-state.h).
 * Pure: everything it knows comes in through its arguments. It must never
 * change the host's ID: refusals are recorded and retried, and the
 * decision what to tell the admin belongs to the caller.
 */
#include "net/rdv-state.h"

#include <string.h>

#include "core/err.h"
#include "wire/addr.h"
#include "wire/msg.h"

void
rdv_state_init(struct rdv_state *s, int32_t serial)
{
	memset(s, 0, sizeof(*s));
	s->serial = serial;
	s->last_pk_result = -1;
}

static uint64_t
jittered(uint64_t ms, uint32_t rand16)
{
	/* +-10 %: ms * (0.9 + 0.2 * rand16 / 65536) */
	return ms * 9 / 10 + (ms / 5) * (rand16 & 0xffff) / 65536;
}

/* How long to wait for an answer before the next attempt: RustDesk's
 * 3 s while things are healthy, then the backoff ladder. */
static uint64_t
backoff_ms(unsigned fails)
{
	uint64_t ms = RDV_BACKOFF_MIN_MS;

	if (fails == 0)
		return RDV_ANSWER_TIMEOUT_MS;

	for (unsigned i = 1; i < fails && ms < RDV_BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms > RDV_BACKOFF_MAX_MS ? RDV_BACKOFF_MAX_MS : ms;
}

static bool
want_pk(const struct rdv_state *s)
{
	return !s->key_confirmed;
}

enum rdv_action
rdv_tick(struct rdv_state *s, uint64_t now, uint32_t rand16)
{
	/* The previous attempt was not answered before its retry was due. */
	if (s->outstanding && now >= s->next_send_ms) {
		s->outstanding = false;
		s->fails++;
		if (s->fails >= RDV_RESOLVE_AFTER_FAILS &&
			(s->last_resolve_ms == 0 ||
				now - s->last_resolve_ms >=
					RDV_RESOLVE_MIN_GAP_MS))
			return RDV_ACT_RESOLVE;
	}
	if (s->outstanding || now < s->next_send_ms)
		return RDV_ACT_NONE;
	if (want_pk(s)) {
		if (s->last_pk_sent_ms != 0 &&
			now - s->last_pk_sent_ms < RDV_PK_MIN_GAP_MS) {
			s->next_send_ms = s->last_pk_sent_ms + RDV_PK_MIN_GAP_MS;
			return RDV_ACT_NONE;
		}
		/* Until the server answers at all, retry with backoff. */
		s->next_send_ms = now + jittered(backoff_ms(s->fails), rand16);
		return RDV_ACT_SEND_PK;
	}
	s->next_send_ms = now + jittered(backoff_ms(s->fails), rand16);
	return RDV_ACT_SEND_PEER;
}

void
rdv_sent(struct rdv_state *s, enum rdv_action act, uint64_t now)
{
	if (act != RDV_ACT_SEND_PEER && act != RDV_ACT_SEND_PK)
		return;
	s->outstanding = true;
	s->outstanding_pk = act == RDV_ACT_SEND_PK;
	s->sent_ms = now;
	if (act == RDV_ACT_SEND_PK) {
		s->last_pk_sent_ms = now;
		s->sent_pk++;
	} else {
		s->sent_peer++;
	}
}

void
rdv_resolved(struct rdv_state *s, uint64_t now)
{
	s->last_resolve_ms = now;
	s->next_send_ms = now;
}

uint64_t
rdv_next_due(const struct rdv_state *s, uint64_t now)
{
	return s->next_send_ms > now ? s->next_send_ms - now : 0;
}

bool
rdv_registered(const struct rdv_state *s, uint64_t now)
{
	return s->key_confirmed && s->last_ok_ms != 0 &&
		now - s->last_ok_ms < RDV_REG_EXPIRE_MS;
}

static void
answered(struct rdv_state *s, uint64_t now)
{
	s->outstanding = false;
	s->fails = 0;
	s->last_answer_ms = now;
	s->answers++;
	s->next_send_ms = now + RDV_REG_INTERVAL_MS;
}

static void
on_pk_response(struct rdv_state *s, int result, int32_t keep_alive,
	uint64_t now)
{
	answered(s, now);
	s->last_pk_result = result;
	if (keep_alive > 0)
		s->keep_alive_s = keep_alive;
	switch (result) {
	case HBB__REGISTER_PK_RESPONSE__RESULT__OK:
		s->key_confirmed = true;
		s->last_ok_ms = now;
		/* hbbs refreshes a known peer's address only on RegisterPeer
		 * (after its restart our RegisterPk changes nothing), so one
		 * follows at once instead of 15 s later. */
		s->next_send_ms = now;
		break;
	case HBB__REGISTER_PK_RESPONSE__RESULT__TOO_FREQUENT:
		s->key_confirmed = false;
		s->next_send_ms = now + RDV_RETRY_TOO_FREQUENT_MS;
		break;
	default:
		/* UUID_MISMATCH, ID_EXISTS, ...: the admin has to act. */
		s->key_confirmed = false;
		s->last_ok_ms = 0;
		s->next_send_ms = now + RDV_RETRY_REJECTED_MS;
		break;
	}
}

void
rdv_on_heartbeat(struct rdv_state *s, uint64_t now)
{
	if (!s->outstanding || s->outstanding_pk)
		return;
	answered(s, now);
	if (s->key_confirmed)
		s->last_ok_ms = now;
}

static int
copy_str(char *dst, size_t n, const char *src)
{
	size_t len = src != NULL ? strlen(src) : 0;

	if (len >= n)
		return OP_ERR_TOO_LARGE;
	memcpy(dst, src != NULL ? src : "", len);
	dst[len] = '\0';
	return 0;
}

static int
copy_addr(struct rdv_push *p, const ProtobufCBinaryData *a)
{
	if (a->len > sizeof(p->socket_addr))
		return OP_ERR_PROTO;
	if (a->len > 0)
		memcpy(p->socket_addr, a->data, a->len);
	p->socket_addr_len = a->len;
	if (addr_decode(a->data, a->len, &p->peer) != 0)
		return OP_ERR_PROTO;
	return 0;
}

/* A repeated push for the same client within 100 ms is ignored (§4.0). */
static bool
duplicate_push(struct rdv_state *s, const struct rdv_push *p, uint64_t now)
{
	bool dup = s->last_push_ms != 0 && now - s->last_push_ms < RDV_DEDUP_MS &&
		s->last_push_addr_len == p->socket_addr_len &&
		memcmp(s->last_push_addr, p->socket_addr, p->socket_addr_len) ==
			0;

	memcpy(s->last_push_addr, p->socket_addr, p->socket_addr_len);
	s->last_push_addr_len = p->socket_addr_len;
	s->last_push_ms = now;
	return dup;
}

static int
convert_push(const Hbb__RendezvousMessage *m, struct rdv_push *p)
{
	int r = 0;

	switch (m->union_case) {
	case HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE:
		p->kind = RDV_PUSH_PUNCH_HOLE;
		if ((r = copy_addr(p, &m->punch_hole->socket_addr)) != 0 ||
			(r = copy_str(p->relay_server, sizeof(p->relay_server),
				 m->punch_hole->relay_server)) != 0)
			return r;
		p->nat_type = (int)m->punch_hole->nat_type;
		p->force_relay = m->punch_hole->force_relay;
		p->udp_port = m->punch_hole->udp_port;
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_FETCH_LOCAL_ADDR:
		p->kind = RDV_PUSH_FETCH_LOCAL_ADDR;
		if ((r = copy_addr(p, &m->fetch_local_addr->socket_addr)) != 0 ||
			(r = copy_str(p->relay_server, sizeof(p->relay_server),
				 m->fetch_local_addr->relay_server)) != 0)
			return r;
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_REQUEST_RELAY:
		p->kind = RDV_PUSH_REQUEST_RELAY;
		if ((r = copy_addr(p, &m->request_relay->socket_addr)) != 0 ||
			(r = copy_str(p->relay_server, sizeof(p->relay_server),
				 m->request_relay->relay_server)) != 0 ||
			(r = copy_str(p->uuid, sizeof(p->uuid),
				 m->request_relay->uuid)) != 0)
			return r;
		if (p->uuid[0] == '\0')
			return OP_ERR_PROTO; /* hbbr cannot pair without it */
		p->secure = m->request_relay->secure;
		p->conn_type = (int)m->request_relay->conn_type;
		break;
	default:
		return OP_ERR_PROTO;
	}
	return 0;
}

int
rdv_on_message(struct rdv_state *s, const Hbb__RendezvousMessage *m,
	uint64_t now, struct rdv_push *push)
{
	int r;

	memset(push, 0, sizeof(*push));
	if ((r = wire_rdv_check(m)) != 0) {
		s->dropped++;
		return r;
	}
	switch (m->union_case) {
	case HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PEER_RESPONSE:
		answered(s, now);
		if (m->register_peer_response->request_pk) {
			/* hbbs forgot us (restart) or our IP changed. */
			s->key_confirmed = false;
			s->next_send_ms = now;
		} else if (s->key_confirmed) {
			s->last_ok_ms = now;
		}
		return 0;
	case HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PK_RESPONSE:
		on_pk_response(s, (int)m->register_pk_response->result,
			m->register_pk_response->keep_alive, now);
		return 0;
	case HBB__RENDEZVOUS_MESSAGE__UNION_CONFIGURE_UPDATE:
		/* The admin's config names the servers; we only take the
		 * serial so hbbs stops resending. */
		if (m->configure_update->serial > s->serial)
			s->serial = m->configure_update->serial;
		return 0;
	case HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE:
	case HBB__RENDEZVOUS_MESSAGE__UNION_FETCH_LOCAL_ADDR:
	case HBB__RENDEZVOUS_MESSAGE__UNION_REQUEST_RELAY:
		if ((r = convert_push(m, push)) != 0) {
			memset(push, 0, sizeof(*push));
			s->dropped++;
			return r;
		}
		if (duplicate_push(s, push, now))
			push->kind = RDV_PUSH_NONE;
		return 0;
	default:
		s->dropped++;
		return OP_ERR_PROTO;
	}
}

int
rdv_on_datagram(struct rdv_state *s, const uint8_t *buf, size_t len,
	uint64_t now, struct rdv_push *push)
{
	Hbb__RendezvousMessage *m = NULL;
	int r;

	memset(push, 0, sizeof(*push));
	if (len > RDV_MAX_DATAGRAM) {
		s->dropped++;
		return OP_ERR_TOO_LARGE;
	}
	if ((r = wire_rdv_unpack(buf, len, WIRE_BUDGET_FOR(len), &m)) != 0) {
		s->dropped++;
		return r;
	}
	r = rdv_on_message(s, m, now, push);
	wire_rdv_free(m);
	return r;
}

const char *
rdv_result_name(int result)
{
	switch (result) {
	case 0:
		return "OK";
	case 2:
		return "UUID_MISMATCH";
	case 3:
		return "ID_EXISTS";
	case 4:
		return "TOO_FREQUENT";
	case 5:
		return "INVALID_ID_FORMAT";
	case 6:
		return "NOT_SUPPORT";
	case 7:
		return "SERVER_ERROR";
	case 8:
		return "NOT_DEPLOYED";
	default:
		return "UNKNOWN";
	}
}

const char *
rdv_result_advice(int result)
{
	switch (result) {
	case 2:
		return "the rendezvous server has this ID bound to another "
		       "device (or our key and IP both changed); this agent "
		       "keeps its ID: free the ID on the server, or give this "
		       "host another with `outpost id --reset` or identity.id";
	case 3:
		return "the ID is taken on the server; choose another "
		       "identity.id or run `outpost id --reset`";
	case 4:
		return "the server rate-limits registrations from this "
		       "address; retrying later";
	case 5:
		return "the server refuses the ID's format; use 6-16 "
		       "characters [A-Za-z0-9_-] starting with a letter";
	case 6:
		return "the server does not support this registration mode "
		       "(OSS hbbs accepts UDP registration only)";
	case 8:
		return "the server requires deployment (RustDesk Server Pro)";
	default:
		return "the server refused the registration";
	}
}
