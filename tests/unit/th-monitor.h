/* SPDX-License-Identifier: MIT */
/* Shared by the monitor's unit tests (test-monitor*.c). */
#ifndef OP_TESTS_TH_MONITOR_H
#define OP_TESTS_TH_MONITOR_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "core/err.h"
#include "monitor/monitor.h"
#include "platform/monchan.h"

/* Serves one request; returns monitor_serve's result. */
static inline int
serve_one(struct monitor *m, const void *req, size_t len)
{
	struct monitor_reply reply = { .len = 99, .nfds = 9 };
	char why[128];
	int r = monitor_serve(m, req, len, &reply, why, sizeof(why));

	for (int i = 0; i < reply.nfds && r == 0; i++)
		close(reply.fds[i]);
	/* A refused request has no reply. */
	return r != 0 && (reply.len != 0 || reply.nfds != 0) ?
		OP_ERR_INTERNAL : r;
}

/* The status word of a reply (after its type byte). */
static inline int32_t
reply_status(const struct monitor_reply *r)
{
	return (int32_t)((uint32_t)r->b[1] << 24 | (uint32_t)r->b[2] << 16 |
		(uint32_t)r->b[3] << 8 | r->b[4]);
}

/* memmem, which Windows lacks. */
static inline bool
contains(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
	for (size_t i = 0; m <= n && i <= n - m; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return true;
	return false;
}

/* daemon-monitor.c's serving loop, with the channel fd polled every few
 * ms between turns of loop instead of watched (a channel is no socket on
 * Windows). Until the peer hangs up (0), a request is refused (1) or a
 * reply cannot be sent (-1). */
static inline int
serve_polled(struct monitor *m, uv_loop_t *loop, int fd)
{
	uint8_t req[MON_MSG_MAX + 1];
	struct monitor_reply reply;
	char why[128];
	ssize_t n;
	int nfds, r;

	for (;;) {
		uv_run(loop, UV_RUN_NOWAIT);
		n = monchan_recv(fd, req, sizeof(req), NULL, 0, &nfds, 5);
		if (n == -ETIMEDOUT)
			continue;
		if (n <= 0)
			return 0;
		if (monitor_serve(m, req, (size_t)n, &reply, why,
			    sizeof(why)) != 0)
			return 1;
		r = monchan_send(fd, reply.b, reply.len, reply.fds, reply.nfds,
			MONCHAN_SELF);
		for (int i = 0; i < reply.nfds; i++)
			close(reply.fds[i]);
		if (r != 0)
			return -1;
	}
}

#endif
