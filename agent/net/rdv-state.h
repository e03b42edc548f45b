/* SPDX-License-Identifier: MIT */
/*
 * The registration state machine for hbbs (spec §3.3) and the parser of
 * what hbbs sends the host, as a pure module: no sockets, no clock, no
 * randomness of its own. The owner (rendezvous.c) feeds it time, datagram
 * bytes and random jitter, and performs the actions it returns. This is
 * what the rdv fuzz target drives.
 *
 * Timing, in our words:
 *  - registered and healthy: RegisterPeer every REG_INTERVAL (15 s) after
 *    the last answer, from the same socket (hbbs pushes arrive on it);
 *  - an answer not received within 3 s counts as a failure; attempts then
 *    repeat with exponential backoff from 0.5 s, capped at 3.5 s, with
 *    +-10 % jitter, so a returning server sees us within 4 s;
 *  - a RegisterPeer right after every accepted RegisterPk: hbbs only
 *    refreshes a known peer's address on RegisterPeer, so after its
 *    restart we would otherwise look offline for up to 15 s;
 *  - RegisterPk (key not confirmed, or request_pk) at most once per 3 s,
 *    because hbbs answers a third one within 6 s with TOO_FREQUENT;
 *  - UUID_MISMATCH / ID_EXISTS are surfaced, never "fixed" by choosing a
 *    new ID (S16); they are retried every 60 s, TOO_FREQUENT after 10 s.
 */
#ifndef OP_NET_RDV_STATE_H
#define OP_NET_RDV_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/netaddr.h"

#define RDV_REG_INTERVAL_MS 15000
#define RDV_REG_EXPIRE_MS 30000   /* hbbs' offline threshold */
#define RDV_ANSWER_TIMEOUT_MS 3000
#define RDV_BACKOFF_MIN_MS 500
#define RDV_BACKOFF_MAX_MS 3500
#define RDV_PK_MIN_GAP_MS 3000
#define RDV_RETRY_REJECTED_MS 60000
#define RDV_RETRY_TOO_FREQUENT_MS 10000
#define RDV_RESOLVE_AFTER_FAILS 4
#define RDV_RESOLVE_MIN_GAP_MS 60000
#define RDV_DEDUP_MS 100
#define RDV_MAX_DATAGRAM 2048

enum rdv_action {
	RDV_ACT_NONE,
	RDV_ACT_SEND_PEER, /* send RegisterPeer{id, serial} */
	RDV_ACT_SEND_PK,   /* send RegisterPk{id, uuid, pk} */
	RDV_ACT_RESOLVE,   /* re-resolve the server name, new socket */
};

enum rdv_push_kind {
	RDV_PUSH_NONE,
	RDV_PUSH_PUNCH_HOLE,
	RDV_PUSH_FETCH_LOCAL_ADDR,
	RDV_PUSH_REQUEST_RELAY,
};

/* A connection request pushed by hbbs, copied out of the protobuf. */
struct rdv_push {
	enum rdv_push_kind kind;
	uint8_t socket_addr[18]; /* echoed back verbatim (§17 item 2) */
	size_t socket_addr_len;
	struct sockaddr_storage peer; /* socket_addr decoded */
	char relay_server[256];
	int nat_type; /* 0 unknown, 1 asymmetric, 2 symmetric */
	bool force_relay;
	int udp_port;
	/* RequestRelay only */
	char uuid[128];
	bool secure;
	int conn_type;
};

struct rdv_state {
	/* inputs, set by the owner */
	int32_t serial;
	/* registration */
	bool key_confirmed;      /* hbbs accepted our RegisterPk */
	bool outstanding;        /* a request awaits its answer */
	bool outstanding_pk;
	uint64_t sent_ms;
	uint64_t next_send_ms;
	uint64_t last_answer_ms; /* 0 = never */
	uint64_t last_ok_ms;     /* last answer meaning "online" */
	uint64_t last_pk_sent_ms;
	uint64_t last_resolve_ms;
	unsigned fails;          /* consecutive unanswered attempts */
	int last_pk_result;      /* -1 none, else RegisterPkResponse.Result */
	int32_t keep_alive_s;    /* from RegisterPkResponse (TCP mode) */
	/* de-duplication of pushes */
	uint8_t last_push_addr[18];
	size_t last_push_addr_len;
	uint64_t last_push_ms;
	/* counters for status and tests */
	uint64_t sent_peer;
	uint64_t sent_pk;
	uint64_t answers;
	uint64_t dropped;        /* malformed or unexpected datagrams */
};

/* Starts unregistered; the first tick sends RegisterPk. */
void rdv_state_init(struct rdv_state *s, int32_t serial);

/*
 * Advances time. rand16 is a fresh random number (0..65535) for jitter.
 * Returns the action to perform now (at most one per call; call again
 * after performing it, until RDV_ACT_NONE).
 */
enum rdv_action rdv_tick(struct rdv_state *s, uint64_t now_ms,
	uint32_t rand16);

/* Records that the owner sent what rdv_tick asked for. */
void rdv_sent(struct rdv_state *s, enum rdv_action act, uint64_t now_ms);

/* Records a completed re-resolve (the owner made a new socket). */
void rdv_resolved(struct rdv_state *s, uint64_t now_ms);

/* Milliseconds until rdv_tick has something to do (for a timer). */
uint64_t rdv_next_due(const struct rdv_state *s, uint64_t now_ms);

/*
 * Handles one datagram from the server (the owner has already checked
 * the source address). Fills *push when it carries a connection request
 * (kind RDV_PUSH_NONE otherwise). Returns 0, or OP_ERR_PROTO /
 * OP_ERR_TOO_LARGE for garbage (counted in s->dropped; registration state
 * is unchanged).
 */
int rdv_on_datagram(struct rdv_state *s, const uint8_t *buf, size_t len,
	uint64_t now_ms, struct rdv_push *push);

/* Same for an already unpacked message (TCP mode reuses it). */
struct Hbb__RendezvousMessage;
int rdv_on_message(struct rdv_state *s, const struct Hbb__RendezvousMessage *m,
	uint64_t now_ms, struct rdv_push *push);

/* TCP mode: our keep-alive (an empty frame, sent for RDV_ACT_SEND_PEER)
 * was echoed by the server; counts as the answer. */
void rdv_on_heartbeat(struct rdv_state *s, uint64_t now_ms);

/* True while hbbs would consider us online. */
bool rdv_registered(const struct rdv_state *s, uint64_t now_ms);

/* Text of a RegisterPkResponse.Result, e.g. "UUID_MISMATCH". */
const char *rdv_result_name(int result);

/* An admin-facing explanation of a refusal, with what to do. */
const char *rdv_result_advice(int result);

#endif
