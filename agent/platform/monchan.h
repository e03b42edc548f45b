/* SPDX-License-Identifier: MIT */
/*
 * The monitor's channel (monitor.h): a pair of connected ends that keep
 * message boundaries, with descriptors handed over alongside a message.
 * On Unix a SOCK_SEQPACKET socketpair with SCM_RIGHTS (fdpass.h,
 * monchan-unix.c); on Windows a message-mode named pipe whose handles
 * are duplicated into the receiving process (monchan-win.c says how).
 * Channel ends and descriptors are ints on both systems: CRT descriptors
 * on Windows (_get_osfhandle), closed with close().
 *
 * The receiver of descriptors must trust the sender: only the monitor
 * sends them, to the network process. The monitor receives requests
 * with max 0, which refuses any message that claims descriptors.
 */
#ifndef OP_PLATFORM_MONCHAN_H
#define OP_PLATFORM_MONCHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MONCHAN_FDS_MAX 2
#define MONCHAN_MSG_MAX 16384 /* the longest message either end sends */
#define MONCHAN_SEND_MS 5000  /* how long a send waits for room */
/* The peer for monchan_send when it is this process (tests, and on Unix
 * always: the socket delivers to whoever holds the other end). */
#define MONCHAN_SELF ((intptr_t)0)

/*
 * Two connected ends, close-on-exec and not inheritable; ends[0] is the
 * monitor's. 0 or a negative code.
 */
int monchan_pair(int ends[2]);

/* Whether fd looks like a channel end (a SOCK_SEQPACKET socket; a pipe
 * on Windows): a check of what the environment named, not a proof. */
bool monchan_is_end(int fd);

/*
 * Sends one message of 1..MONCHAN_MSG_MAX bytes with nfds
 * (0..MONCHAN_FDS_MAX) descriptors, which stay the caller's. peer is the
 * receiving process on Windows (a HANDLE with PROCESS_DUP_HANDLE, or
 * MONCHAN_SELF), unused on Unix. Waits at most MONCHAN_SEND_MS for room.
 * Returns 0, -EMSGSIZE or -EINVAL (length, count), -ECONNRESET (the
 * other end is closed), -ETIMEDOUT, or another negative code; on failure
 * nothing reached the peer.
 */
int monchan_send(int ch, const void *buf, size_t len, const int *fds,
	int nfds, intptr_t peer);

/*
 * Receives one message of at most cap bytes and at most max descriptors
 * (*nfds of them, the caller's to close), waiting up to timeout_ms (< 0:
 * for ever). Returns its length (> 0), 0 when the other end is closed,
 * -ETIMEDOUT, -EPROTO when it is refused (longer than cap, more
 * descriptors than max, a malformed frame: nothing is kept, and the
 * message is consumed), or another negative code.
 */
ssize_t monchan_recv(int ch, void *buf, size_t cap, int *fds, int max,
	int *nfds, int timeout_ms);

#endif
