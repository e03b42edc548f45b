/* SPDX-License-Identifier: MIT */
/*
 * Turns each connection request hbbs pushes into a connected byte stream
 * to the technician's client (spec §4): TCP hole punch, same-LAN local
 * address, host-initiated relay and client-initiated relay. Every reply to
 * hbbs goes over a new TCP connection to hbbs:21116 and carries a
 * non-empty version (else hbbs omits the signed key and sessions would be
 * unencrypted, §17 item 3).
 */
#ifndef OP_NET_INCOMING_H
#define OP_NET_INCOMING_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "core/netaddr.h"
#include "net/rdv-state.h"

struct stream;
struct proxy_conf;

enum conn_path {
	CONN_PATH_DIRECT_IP,
	CONN_PATH_PUNCH,
	CONN_PATH_LOCAL,
	CONN_PATH_RELAY_HOST,   /* host-initiated relay (§4.4) */
	CONN_PATH_RELAY_CLIENT, /* client-initiated relay (§4.5) */
};

const char *conn_path_name(enum conn_path p);

struct incoming_conf {
	const char *rdv_host; /* hbbs */
	uint16_t rdv_port;
	/* server.relay ("" = hbbs' or rdv port + 1). A client-initiated
	 * relay may only use this one, or, when it is "", one on the
	 * rendezvous server's host: a pushed RequestRelay must not make us
	 * connect wherever a client names. */
	const char *relay;
	const char *licence_key; /* server.key, sent to hbbr */
	const char *id;
	const char *version;  /* non-empty */
	const struct proxy_conf *proxy; /* NULL: direct */
	unsigned accept_timeout_ms;     /* 18000 per §1.6 */
};

/* A connected stream (owned by the callee from now on). secure tells
 * whether the §5 handshake applies (false for direct IP and for a client
 * relay with RequestRelay.secure = false). peer is the technician's
 * address: the TCP peer, or on a relay path the client address hbbs
 * reported (socket_addr; AF_UNSPEC when hbbs gave none). via is the
 * relay server's address on relay paths, NULL otherwise. */
typedef void (*incoming_conn_fn)(void *arg, struct stream *s,
	enum conn_path path, bool secure, const struct sockaddr_storage *peer,
	const struct sockaddr_storage *via);

struct incoming;

/* Strings in conf are copied; proxy must outlive the object. */
int incoming_new(uv_loop_t *loop, const struct incoming_conf *conf,
	incoming_conn_fn cb, void *arg, struct incoming **out);
/* Cancels pending jobs and frees. NULL ok. */
void incoming_free(struct incoming *self);

/* Our own NAT type (§3.5) for the relay decision and PunchHoleSent. */
void incoming_set_nat_type(struct incoming *self, int nat_type);

/* Starts the right flow for a push. Failures are logged, not returned:
 * the client falls back to relay on its own. */
void incoming_handle_push(struct incoming *self, const struct rdv_push *p);

/* Counters for status: jobs started / succeeded / failed per path. */
struct incoming_stats {
	uint64_t started;
	uint64_t connected;
	uint64_t failed;
};
void incoming_get_stats(const struct incoming *self,
	struct incoming_stats *out);

#endif
