/* SPDX-License-Identifier: MIT */
/*
 * The monitor's request handling (monitor_serve) on arbitrary datagrams
 * from a hostile network process. The first input byte picks whether a
 * new network process starts first (resetting hello/once), so requests
 * after hello are reached too, or whether the last one ended first (its
 * audit sessions are closed). The audit requests write to a real trail
 * (its loop is run between inputs). A reply must fit and start with the
 * request's type; a refused request must leave no reply. Terminals are
 * configured without a user, so term-open is parsed, rate-limited and
 * refused but never forks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "audit/audit.h"
#include "monitor/monitor.h"
#include "store/state.h"

static struct monitor *m;
static uv_loop_t loop;
static struct audit *trail;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
init(void)
{
	char dir[] = "/tmp/op-fuzz-monitor-XXXXXX";
	char why[SFILE_WHY_LEN];
	struct state *st = NULL;
	struct monitor_opts o = { .otp_charset = OTP_SAFE32, .otp_len = 8,
		.loop = &loop };
	struct monitor_term_conf tc = { .user = "", .max_live = 4 };

	struct audit_opts ao = { .mirror = AUDIT_MIRROR_NONE, .host_id = "1",
		.host_uuid = "u" };

	if (mkdtemp(dir) == NULL || state_open(dir, "auto", &st, why) != 0 ||
		uv_loop_init(&loop) != 0 || monitor_new(st, &o, &m) != 0)
		abort();
	ao.state_dir = dir;
	if (audit_open(&loop, &ao, &trail, why, sizeof(why)) != 0)
		abort();
	monitor_set_audit(m, trail);
	monitor_set_terminal(m, &tc);
	monitor_child_started(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct monitor_reply reply;
	char why[128];

	if (m == NULL)
		init();
	if (size == 0)
		return 0;
	(void)uv_run(&loop, UV_RUN_NOWAIT);
	if (data[0] & 8)
		monitor_child_ended(m, "killed by signal 9");
	if (data[0] & 1)
		monitor_child_started(m);
	if (data[0] & 2) { /* say hello first */
		static const uint8_t hello[] = { MON_HELLO };

		(void)monitor_serve(m, hello, 1, &reply, why, sizeof(why));
	}
	/* Reload requests re-read the state dir; they are served, but not
	 * thousands of times a second. */
	if (size > 1 && (data[1] == MON_RELOAD_IDENTITY ||
			    data[1] == MON_RELOAD_PASSWORD) && (data[0] & 4))
		return 0;
	if (monitor_serve(m, data + 1, size - 1, &reply, why,
		    sizeof(why)) == 0) {
		if (reply.len < 5 || reply.len > MON_MSG_MAX ||
			reply.b[0] != data[1] || reply.nfds < 0 ||
			reply.nfds > MONITOR_FDS_MAX)
			__builtin_trap();
		for (int i = 0; i < reply.nfds; i++)
			close(reply.fds[i]);
	} else if (reply.len != 0 || reply.nfds != 0) {
		__builtin_trap();
	}
	return 0;
}
