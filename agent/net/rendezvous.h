/* SPDX-License-Identifier: MIT */
/*
 * Keeps the host registered with hbbs over UDP (spec §3) and hands every
 * connection request hbbs pushes (PunchHole, FetchLocalAddr, RequestRelay)
 * to the owner. One UDP socket for the whole registration, because hbbs
 * pushes to the address it last saw. Datagrams from any other source are
 * dropped. Runs on the loop thread.
 */
#ifndef OP_NET_RENDEZVOUS_H
#define OP_NET_RENDEZVOUS_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "core/netaddr.h"
#include "net/rdv-state.h"

struct rendezvous;
struct proxy_conf;

struct rendezvous_conf {
	const char *host; /* hbbs name or address */
	uint16_t port;    /* normally 21116 */
	const char *id;
	const char *uuid; /* sent as bytes of its text form (§2.2) */
	const uint8_t *pk; /* 32-byte Ed25519 public key */
	int32_t serial;
	/* With a proxy, register in TCP mode through it (§3.7; only
	 * RustDesk Server Pro supports that, OSS hbbs answers NOT_SUPPORT). */
	const struct proxy_conf *proxy;
	const char *server_key; /* base64 Ed25519 key of hbbs, "" = none */
};

typedef void (*rendezvous_push_fn)(void *arg, const struct rdv_push *push);

struct rendezvous_status {
	bool registered;
	int64_t last_ack_age_ms; /* -1 = never */
	int last_result;         /* RegisterPkResponse.Result, -1 none */
	unsigned fails;
	char server_addr[64];    /* resolved "ip:port", "" if unresolved */
	uint64_t sent_peer, sent_pk, answers, dropped, spoofed;
	const char *mode;        /* "udp" or "tcp" */
	bool encrypted;          /* TCP mode: KeyExchange done */
};

/* Starts registering. Strings in conf are copied. cb gets pushes. */
int rendezvous_start(uv_loop_t *loop, const struct rendezvous_conf *conf,
	rendezvous_push_fn cb, void *arg, struct rendezvous **out);
/* Stops and frees (asynchronously, after the handles close). NULL ok. */
void rendezvous_stop(struct rendezvous *self);

void rendezvous_get_status(const struct rendezvous *self,
	struct rendezvous_status *out);

/* The client could not verify our key (§5.3): publish it again. */
void rendezvous_republish_pk(struct rendezvous *self);

/* The resolved hbbs address (family 0 when not resolved yet). */
const struct sockaddr_storage *rendezvous_server_addr(
	const struct rendezvous *self);

#endif
