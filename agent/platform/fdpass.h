/* SPDX-License-Identifier: MIT */
/*
 * One message with descriptors attached (SCM_RIGHTS) over a Unix socket:
 * what the monitor and the connect-as-user helper hand over.
 */
#ifndef OP_PLATFORM_FDPASS_H
#define OP_PLATFORM_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

#define FDPASS_MAX 2

/* Sends len bytes with nfds (0..FDPASS_MAX) descriptors; flags as for
 * sendmsg (MSG_NOSIGNAL is added). Async-signal-safe. Returns 0 or
 * -errno. */
int fdpass_send(int sock, const void *buf, size_t len, const int *fds,
	int nfds, int flags);

/*
 * Receives one message of at most cap bytes and up to max descriptors
 * (close-on-exec), *nfds of them. Returns its length, or -errno;
 * -EPROTO when descriptors were cut off or of the wrong kind (every one
 * received is closed then).
 */
ssize_t fdpass_recv(int sock, void *buf, size_t cap, int *fds, int max,
	int *nfds, int flags);

#endif
