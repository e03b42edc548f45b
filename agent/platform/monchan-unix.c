/* SPDX-License-Identifier: MIT */
/*
 * monchan.h on Unix: a SOCK_SEQPACKET socketpair (one datagram per
 * message, never split or merged), descriptors as SCM_RIGHTS (fdpass.c).
 */
#include "platform/monchan.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include "core/time.h"
#include "platform/fdpass.h"

_Static_assert(MONCHAN_FDS_MAX <= FDPASS_MAX, "fdpass carries them all");

bool
monchan_is_end(int fd)
{
	int type = 0;
	socklen_t tl = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 &&
		type == SOCK_SEQPACKET;
}

int
monchan_pair(int ends[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) ==
			0 ?
		0 :
		-errno;
}

int
monchan_send(int ch, const void *buf, size_t len, const int *fds, int nfds,
	intptr_t peer)
{
	int r;

	(void)peer;
	if (len < 1 || len > MONCHAN_MSG_MAX)
		return -EMSGSIZE;
	if (nfds < 0 || nfds > MONCHAN_FDS_MAX)
		return -EINVAL;
	/* Never blocked for ever by a peer that does not read. */
	for (uint64_t end = op_now_ms() + MONCHAN_SEND_MS;;) {
		struct pollfd p = { .fd = ch, .events = POLLOUT };
		uint64_t now;

		r = fdpass_send(ch, buf, len, fds, nfds, MSG_DONTWAIT);
		if (r != -EAGAIN)
			break;
		if ((now = op_now_ms()) >= end)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)(end - now)) < 0 && errno != EINTR)
			return -errno;
	}
	return r == -EPIPE ? -ECONNRESET : r;
}

ssize_t
monchan_recv(int ch, void *buf, size_t cap, int *fds, int max, int *nfds,
	int timeout_ms)
{
	uint64_t deadline = op_now_ms() + (uint64_t)(timeout_ms < 0 ? 0 :
								  timeout_ms);

	*nfds = 0;
	if (max < 0 || max > MONCHAN_FDS_MAX)
		return -EINVAL;
	for (;;) {
		struct pollfd p = { .fd = ch, .events = POLLIN };
		uint64_t now = op_now_ms();
		int wait = -1;
		ssize_t n;
		int r;

		if (timeout_ms >= 0)
			wait = now >= deadline ? 0 : (int)(deadline - now);
		r = poll(&p, 1, wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		/* A message longer than cap is cut (MSG_TRUNC) and refused. */
		n = fdpass_recv(ch, buf, cap, fds, max, nfds, MSG_DONTWAIT);
		if (n == -EINTR || n == -EAGAIN)
			continue;
		if (n == -ECONNRESET)
			return 0;
		return n;
	}
}
