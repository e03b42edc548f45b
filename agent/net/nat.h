/* SPDX-License-Identifier: MIT */
/*
 * The NAT type test (spec §3.5): TestNatRequest to hbbs on the
 * rendezvous port and on port - 1 from the same local port; equal
 * observed ports mean a port-preserving NAT (ASYMMETRIC, 1), different
 * ones SYMMETRIC (2), which sends incoming sessions straight to relay.
 */
#ifndef OP_NET_NAT_H
#define OP_NET_NAT_H

#include <stdint.h>

#include <uv.h>

#define NAT_UNKNOWN 0
#define NAT_ASYMMETRIC 1
#define NAT_SYMMETRIC 2

/* status 0 with the type, or a negative code (type NAT_UNKNOWN).
 * ports[] are the two source ports hbbs saw (0 if not learned). */
typedef void (*nat_done_fn)(void *arg, int status, int nat_type,
	const uint16_t ports[2]);

struct nat_test;

/* Starts one test; cb is called exactly once unless this fails. */
int nat_test_start(uv_loop_t *loop, const char *host, uint16_t port,
	unsigned timeout_ms, nat_done_fn cb, void *arg,
	struct nat_test **out);
/* Cancels; cb is called with UV_ECANCELED. */
void nat_test_cancel(struct nat_test *t);

const char *nat_type_name(int nat_type);

#endif
