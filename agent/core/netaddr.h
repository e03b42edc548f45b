/* SPDX-License-Identifier: MIT */
/* The socket address types and byte-order helpers, from wherever this
 * system keeps them (Winsock links ws2_32). */
#ifndef OP_CORE_NETADDR_H
#define OP_CORE_NETADDR_H

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#endif

#include <stddef.h>

/* inet_ntop with a size_t length on both systems (POSIX takes a
 * socklen_t, Winsock a size_t). */
static inline const char *
op_inet_ntop(int af, const void *src, char *dst, size_t size)
{
#ifdef _WIN32
	return inet_ntop(af, src, dst, size);
#else
	return inet_ntop(af, src, dst, (socklen_t)size);
#endif
}

#endif
