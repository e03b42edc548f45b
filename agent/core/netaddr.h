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
#include <sys/socket.h>
#endif

#endif
