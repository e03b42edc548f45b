/* SPDX-License-Identifier: MIT */
/* Shared by the monitor's unit tests (test-monitor*.c). */
#ifndef OP_TESTS_TH_MONITOR_H
#define OP_TESTS_TH_MONITOR_H

#include <stdint.h>
#include <unistd.h>

#include "core/err.h"
#include "monitor/monitor.h"

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

#endif
