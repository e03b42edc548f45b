/* SPDX-License-Identifier: MIT */
/* Socket-address helpers shared by the unit tests. */
#ifndef OP_TESTS_TH_NET_H
#define OP_TESTS_TH_NET_H

#include <string.h>

#include "core/netaddr.h"

/* Parses a numeric IPv4/IPv6 address into *ss (port 0); NULL if s is not
 * one. */
static inline const struct sockaddr *
th_addr(const char *s, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &((struct sockaddr_in *)ss)->sin_addr) == 1)
		ss->ss_family = AF_INET;
	else if (inet_pton(AF_INET6, s,
			 &((struct sockaddr_in6 *)ss)->sin6_addr) == 1)
		ss->ss_family = AF_INET6;
	else
		return NULL;
	return (const struct sockaddr *)ss;
}

#endif
