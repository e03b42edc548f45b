/* SPDX-License-Identifier: MIT */
/* Shared between rendezvous.c (UDP) and rendezvous-tcp.c (TCP mode). */
#ifndef OP_NET_RENDEZVOUS_INTERNAL_H
#define OP_NET_RENDEZVOUS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "core/log.h"
#include "crypto/channel.h"
#include "net/rdv-state.h"
#include "net/rendezvous.h"

struct net_connect;
struct stream;
struct framer;
struct proxy_conf;

struct rendezvous {
	uv_loop_t *loop;
	char *host;
	uint16_t port;
	char *id;
	char *uuid;
	uint8_t pk[32];
	rendezvous_push_fn cb;
	void *arg;

	struct rdv_state st;
	uv_timer_t timer;
	uv_udp_t *udp; /* NULL until resolved */
	struct sockaddr_storage server;
	bool resolving;
	uint64_t last_resolve_try_ms;
	uv_getaddrinfo_t gai;
	bool was_registered;
	int logged_result;
	uint64_t spoofed;
	struct op_ratelimit rl_drop;
	struct op_ratelimit rl_net;
	int closing; /* handles still closing */
	bool stopped;

	/* TCP mode, used when a proxy is configured (§3.7) */
	const struct proxy_conf *proxy;
	uint8_t sign_pk[32]; /* server.key, verifies KeyExchange */
	bool have_sign_pk;
	struct net_connect *tconn;
	struct stream *ts;
	struct framer *tfr;
	struct channel ch;
	bool encrypted;
	bool first_frame_seen;
	uint64_t tcp_start_ms;     /* connect finished */
	uint64_t tcp_last_rx_ms;
	uint64_t tcp_next_connect_ms;
	unsigned tcp_fails;
	int tcp_closing;
};


void rdv__arm_timer(struct rendezvous *r);
void rdv__note_transitions(struct rendezvous *r, uint64_t now);
void rdv__maybe_free(struct rendezvous *r);

/* TCP mode (rendezvous-tcp.c) */
void rdv__tcp_timer(struct rendezvous *r, uint64_t now);
void rdv__tcp_stop(struct rendezvous *r);
bool rdv__tcp_idle(const struct rendezvous *r);

#endif
