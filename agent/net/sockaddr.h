/* SPDX-License-Identifier: MIT */
/* Small helpers for socket addresses shared by the network code. */
#ifndef OP_NET_SOCKADDR_H
#define OP_NET_SOCKADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* True when b is the same IPv4/IPv6 address and port as a. */
bool sockaddr_equal(const struct sockaddr_storage *a, const struct sockaddr *b);

/* "1.2.3.4:5" or "[v6]:5" into out; "" for other families. */
void sockaddr_format(const struct sockaddr_storage *ss, char *out, size_t n);

#endif
