/* SPDX-License-Identifier: MIT */
/*
 * The few raw socket calls the network code makes outside libuv (sockets
 * that must be bound before libuv takes them over), with one meaning on
 * both systems: sock-unix.c (POSIX) and sock-win.c (Winsock).
 */
#ifndef OP_CORE_SOCK_H
#define OP_CORE_SOCK_H

#include "core/netaddr.h"

/* The same type as libuv's uv_os_sock_t: an int on POSIX, a SOCKET (a
 * pointer-sized handle, not an int) on Windows. */
#ifdef _WIN32
typedef SOCKET op_sock_t;
#define OP_SOCK_INVALID INVALID_SOCKET
#else
typedef int op_sock_t;
#define OP_SOCK_INVALID (-1)
#endif

/*
 * A socket that child processes do not inherit (SOCK_CLOEXEC; on Windows
 * WSA_FLAG_NO_HANDLE_INHERIT, after starting Winsock once per process).
 * OP_SOCK_INVALID on failure, with op_sock_error() telling why.
 */
op_sock_t op_sock_open(int family, int type, int protocol);
void op_sock_close(op_sock_t s);
/* The calling thread's last socket error: errno, or WSAGetLastError().
 * libuv's uv_translate_sys_error() maps either to a UV_E* code. */
int op_sock_error(void);

/*
 * Lets the socket bind to a local address that other sockets of ours
 * also bind (TCP hole punching: a listener and an outbound connection on
 * the port of a still-open rendezvous connection). 0 or -1 (see
 * op_sock_error()). Call before bind(); every socket sharing the address
 * needs it.
 */
int op_sock_share_addr(op_sock_t s);

#endif
