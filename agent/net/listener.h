/* SPDX-License-Identifier: MIT */
/*
 * The direct-IP listener (spec §4.8, option direct_access): plain TCP on
 * a configured address, no rendezvous server involved. Sessions on it
 * are unencrypted by protocol, which is why the default address is
 * loopback and the session layer filters sources (direct_access
 * allow_from).
 */
#ifndef OP_NET_LISTENER_H
#define OP_NET_LISTENER_H

#include <stdint.h>

#include <uv.h>

#include "net/incoming.h"

struct listener;

/*
 * Listens on host:port; host must be a numeric IPv4/IPv6 address.
 * Accepted connections go to cb with CONN_PATH_DIRECT_IP, secure false.
 * Returns 0 or a negative code (e.g. UV_EADDRINUSE).
 */
int listener_start(uv_loop_t *loop, const char *host, uint16_t port,
	incoming_conn_fn cb, void *arg, struct listener **out);
/* The bound port (useful when port 0 was asked for). */
uint16_t listener_port(const struct listener *self);
/* Stops listening and frees. NULL ok. */
void listener_stop(struct listener *self);

#endif
