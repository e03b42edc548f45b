/* SPDX-License-Identifier: MIT */
/* Small helpers for socket addresses shared by the network code. */
#ifndef OP_NET_SOCKADDR_H
#define OP_NET_SOCKADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/netaddr.h"

/* True when b is the same IPv4/IPv6 address and port as a. */
bool sockaddr_equal(const struct sockaddr_storage *a, const struct sockaddr *b);

/* "1.2.3.4:5" or "[v6]:5" into out; "" for other families. */
/* Whether a and b are the same source for per-source limits: the same
 * IPv4 address, or the same IPv6 /64 (one subscriber's prefix); ports
 * are ignored. An unknown (AF_UNSPEC) address matches only another. */
bool sockaddr_same_source(const struct sockaddr_storage *a,
	const struct sockaddr_storage *b);
void sockaddr_format(const struct sockaddr_storage *ss, char *out, size_t n);

#endif
