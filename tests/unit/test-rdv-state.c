/* SPDX-License-Identifier: MIT */
/* The hbbs registration state machine, driven with a fake clock. */
#include <stdlib.h>

#include "core/err.h"
#include "core/netaddr.h"
#include "net/rdv-state.h"
#include "th.h"
#include "wire/addr.h"
#include "wire/msg.h"

static size_t
pack(Hbb__RendezvousMessage *m, uint8_t *buf)
{
	size_t len = 0;

	if (wire_rdv_pack(m, buf, 2048, &len) != 0)
		abort();
	return len;
}

static size_t
pk_response(int result, uint8_t *buf)
{
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__RegisterPkResponse r = HBB__REGISTER_PK_RESPONSE__INIT;

	r.result = (Hbb__RegisterPkResponse__Result)result;
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PK_RESPONSE;
	m.register_pk_response = &r;
	return pack(&m, buf);
}

static size_t
peer_response(bool request_pk, uint8_t *buf)
{
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__RegisterPeerResponse r = HBB__REGISTER_PEER_RESPONSE__INIT;

	r.request_pk = request_pk;
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PEER_RESPONSE;
	m.register_peer_response = &r;
	return pack(&m, buf);
}

/* Runs the clock until the next action; returns it and its time. */
static enum rdv_action
run_until_action(struct rdv_state *s, uint64_t *now, uint64_t limit)
{
	while (*now <= limit) {
		enum rdv_action a = rdv_tick(s, *now, 32768);

		if (a != RDV_ACT_NONE)
			return a;
		*now += 10;
	}
	return RDV_ACT_NONE;
}

static void
test_register_and_keepalive(void)
{
	struct rdv_state s;
	struct rdv_push p;
	uint8_t buf[2048];
	uint64_t now = 1000;

	rdv_state_init(&s, 3);
	ASSERT_INT_EQ(rdv_tick(&s, now, 0), RDV_ACT_SEND_PK);
	rdv_sent(&s, RDV_ACT_SEND_PK, now);
	ASSERT(!rdv_registered(&s, now));
	now += 40;
	ASSERT_INT_EQ(rdv_on_datagram(&s, buf, pk_response(0, buf), now, &p), 0);
	ASSERT_INT_EQ(p.kind, RDV_PUSH_NONE);
	ASSERT(rdv_registered(&s, now));
	/* A RegisterPeer at once, so hbbs refreshes our address. */
	ASSERT_INT_EQ(rdv_tick(&s, now, 0), RDV_ACT_SEND_PEER);
	rdv_sent(&s, RDV_ACT_SEND_PEER, now);
	ASSERT_INT_EQ(rdv_on_datagram(&s, buf, peer_response(false, buf), now,
			      &p),
		0);
	/* Then nothing until 15 s after the answer. */
	uint64_t t = now;
	ASSERT_INT_EQ(run_until_action(&s, &t, now + 20000), RDV_ACT_SEND_PEER);
	ASSERT_U64_EQ(t - now, RDV_REG_INTERVAL_MS);
	rdv_sent(&s, RDV_ACT_SEND_PEER, t);
	ASSERT_INT_EQ(rdv_on_datagram(&s, buf, peer_response(false, buf), t + 5,
			      &p),
		0);
	ASSERT(rdv_registered(&s, t + 5));
	ASSERT_U64_EQ(s.sent_pk, 1);
	ASSERT_U64_EQ(s.sent_peer, 2);
}

static void
test_server_down_backoff_and_return(void)
{
	struct rdv_state s;
	struct rdv_push p;
	uint8_t buf[2048];
	uint64_t now = 1000, last = 0, max_gap = 0;
	int resolves = 0;

	rdv_state_init(&s, 0);
	/* No answers for two minutes: gaps grow, stay under 3.85 s. */
	while (now < 121000) {
		enum rdv_action a = rdv_tick(&s, now, (uint32_t)(now * 7919));

		if (a == RDV_ACT_RESOLVE) {
			resolves++;
			rdv_resolved(&s, now);
			continue;
		}
		if (a != RDV_ACT_NONE) {
			if (last != 0 && now - last > max_gap)
				max_gap = now - last;
			last = now;
			rdv_sent(&s, a, now);
		}
		now += 10;
	}
	ASSERT(max_gap <= 3850);
	ASSERT(max_gap >= 3000);
	ASSERT(s.fails >= 4);
	/* Re-resolved after 4 failures, then at most once a minute. */
	ASSERT(resolves >= 1 && resolves <= 3);
	/* Server back: the next attempt is within 3.85 s and succeeds. */
	uint64_t back = now;
	enum rdv_action a = run_until_action(&s, &now, back + 5000);
	ASSERT(a == RDV_ACT_SEND_PK);
	ASSERT(now - back <= 3850);
	rdv_sent(&s, a, now);
	rdv_on_datagram(&s, buf, pk_response(0, buf), now + 1, &p);
	ASSERT(rdv_registered(&s, now + 1));
	ASSERT_INT_EQ(s.fails, 0);
}

static void
test_request_pk_after_hbbs_restart(void)
{
	struct rdv_state s;
	struct rdv_push p;
	uint8_t buf[2048];
	uint64_t now = 1000;

	rdv_state_init(&s, 0);
	rdv_sent(&s, rdv_tick(&s, now, 0), now);
	rdv_on_datagram(&s, buf, pk_response(0, buf), now + 1, &p);
	rdv_sent(&s, rdv_tick(&s, now + 1, 0), now + 1);
	rdv_on_datagram(&s, buf, peer_response(false, buf), now + 2, &p);
	now += 15002;
	ASSERT_INT_EQ(rdv_tick(&s, now, 0), RDV_ACT_SEND_PEER);
	rdv_sent(&s, RDV_ACT_SEND_PEER, now);
	rdv_on_datagram(&s, buf, peer_response(true, buf), now + 1, &p);
	ASSERT(!rdv_registered(&s, now + 1));
	ASSERT_INT_EQ(rdv_tick(&s, now + 2, 0), RDV_ACT_SEND_PK);
}

static void
test_refusals_keep_id_and_retry(void)
{
	struct rdv_state s;
	struct rdv_push p;
	uint8_t buf[2048];
	uint64_t now = 1000, t;

	rdv_state_init(&s, 0);
	rdv_sent(&s, rdv_tick(&s, now, 0), now);
	rdv_on_datagram(&s, buf, pk_response(2, buf), now + 1, &p);
	ASSERT_INT_EQ(s.last_pk_result, 2);
	ASSERT(!rdv_registered(&s, now + 1));
	t = now + 1;
	ASSERT_INT_EQ(run_until_action(&s, &t, now + 70000), RDV_ACT_SEND_PK);
	ASSERT(t - now >= RDV_RETRY_REJECTED_MS);
	rdv_sent(&s, RDV_ACT_SEND_PK, t);
	rdv_on_datagram(&s, buf, pk_response(4, buf), t + 1, &p);
	ASSERT_INT_EQ(s.last_pk_result, 4);
	now = t + 1;
	ASSERT_INT_EQ(run_until_action(&s, &t, now + 20000), RDV_ACT_SEND_PK);
	ASSERT(t - now >= RDV_RETRY_TOO_FREQUENT_MS - 10);
	ASSERT_STR_EQ(rdv_result_name(3), "ID_EXISTS");
	ASSERT_STR_CONTAINS(rdv_result_advice(2), "keeps its ID");
}

static size_t
punch_hole(const char *relay, uint8_t *addr, size_t alen, uint8_t *buf)
{
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__PunchHole ph = HBB__PUNCH_HOLE__INIT;

	ph.socket_addr.data = addr;
	ph.socket_addr.len = alen;
	ph.relay_server = (char *)relay;
	ph.nat_type = HBB__NAT_TYPE__SYMMETRIC;
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE;
	m.punch_hole = &ph;
	return pack(&m, buf);
}

static void
test_pushes(void)
{
	struct rdv_state s;
	struct rdv_push p;
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	uint8_t addr[ADDR_MANGLE_MAX], buf[2048];
	size_t alen, n;
	char big[400];

	rdv_state_init(&s, 0);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(40000);
	inet_pton(AF_INET, "192.0.2.7", &sin->sin_addr);
	ASSERT_INT_EQ(addr_encode_at(&ss, 123456789, addr, &alen), 0);
	n = punch_hole("relay.example:21117", addr, alen, buf);
	ASSERT_INT_EQ(rdv_on_datagram(&s, buf, n, 5000, &p), 0);
	ASSERT_INT_EQ(p.kind, RDV_PUSH_PUNCH_HOLE);
	ASSERT_INT_EQ(p.socket_addr_len, alen);
	ASSERT_MEM_EQ(p.socket_addr, addr, alen);
	ASSERT_STR_EQ(p.relay_server, "relay.example:21117");
	ASSERT_INT_EQ(p.nat_type, 2);
	ASSERT_INT_EQ(((struct sockaddr_in *)&p.peer)->sin_port, htons(40000));
	/* The same push again within 100 ms is a duplicate; later it is not. */
	ASSERT_INT_EQ(rdv_on_datagram(&s, buf, n, 5050, &p), 0);
	ASSERT_INT_EQ(p.kind, RDV_PUSH_NONE);
	ASSERT_INT_EQ(rdv_on_datagram(&s, buf, n, 5300, &p), 0);
	ASSERT_INT_EQ(p.kind, RDV_PUSH_PUNCH_HOLE);
	/* An over-long relay name is dropped, state untouched. */
	memset(big, 'r', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n = punch_hole(big, addr, alen, buf);
	ASSERT(rdv_on_datagram(&s, buf, n, 9000, &p) != 0);
	ASSERT_INT_EQ(p.kind, RDV_PUSH_NONE);
	ASSERT_U64_EQ(s.dropped, 1);
}

static void
test_request_relay_needs_uuid(void)
{
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__RequestRelay rr = HBB__REQUEST_RELAY__INIT;
	struct rdv_state s;
	struct rdv_push p;
	uint8_t buf[2048];
	size_t n;

	rdv_state_init(&s, 0);
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REQUEST_RELAY;
	m.request_relay = &rr;
	rr.relay_server = "r:21117";
	n = pack(&m, buf);
	ASSERT_INT_EQ(rdv_on_datagram(&s, buf, n, 1, &p), OP_ERR_PROTO);
	rr.uuid = "0f5c2b0e-6b2a-4a53-8b79-2ad0e2f0a1c4";
	rr.secure = true;
	n = pack(&m, buf);
	ASSERT_INT_EQ(rdv_on_datagram(&s, buf, n, 2, &p), 0);
	ASSERT_INT_EQ(p.kind, RDV_PUSH_REQUEST_RELAY);
	ASSERT(p.secure);
	ASSERT_STR_EQ(p.uuid, rr.uuid);
}

static void
test_garbage_keeps_registration(void)
{
	struct rdv_state s;
	struct rdv_push p;
	uint8_t buf[4096];

	rdv_state_init(&s, 0);
	rdv_sent(&s, rdv_tick(&s, 1000, 0), 1000);
	rdv_on_datagram(&s, buf, pk_response(0, buf), 1001, &p);
	memset(buf, 0xff, sizeof(buf));
	ASSERT(rdv_on_datagram(&s, buf, 50, 1002, &p) != 0);
	ASSERT_INT_EQ(rdv_on_datagram(&s, buf, sizeof(buf), 1003, &p),
		OP_ERR_TOO_LARGE);
	ASSERT(rdv_on_datagram(&s, buf, 0, 1004, &p) != 0);
	ASSERT(rdv_registered(&s, 1005));
	ASSERT_U64_EQ(s.dropped, 3);
}

int
main(void)
{
	RUN(test_register_and_keepalive);
	RUN(test_server_down_backoff_and_return);
	RUN(test_request_pk_after_hbbs_restart);
	RUN(test_refusals_keep_id_and_retry);
	RUN(test_pushes);
	RUN(test_request_relay_needs_uuid);
	RUN(test_garbage_keeps_registration);
	return th_done();
}
