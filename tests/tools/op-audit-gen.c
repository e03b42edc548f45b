/* SPDX-License-Identifier: MIT */
/*
 * op-audit-gen: writes a realistic audit trail through the real audit
 * module (writer thread, chain, forwarding queue) for the integration
 * tests, which then drive `outpost audit ...` on it while the session
 * code that emits these records in the daemon is written in parallel.
 *
 *   op-audit-gen STATE_DIR [--sessions N] [--forward] [--weird]
 *
 * Session i comes from 192.0.2.<i>:<40000+i>; every third one is denied
 * (wrong password), the others are authorized for peer 1000000<i> and
 * closed. --forward queues the §15 records (nothing is sent: no
 * transport). --weird adds a session whose peer name holds a terminal
 * escape, invalid UTF-8 and a spreadsheet formula. Prints each session id
 * on its own line; exits non-zero if any record failed to commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "audit/audit.h"

static unsigned failures;

static void
on_commit(void *arg, int status, int64_t seq)
{
	(void)arg;
	(void)seq;
	if (status != 0)
		failures++;
}

static void
session(struct audit *a, int i, const char *name)
{
	struct sockaddr_in sin;
	struct audit_session_info si = { .path = (enum audit_path)(i % 5),
		.encrypted = i % 5 != AUDIT_PATH_DIRECT_IP };
	char ip[32], peer[32];
	int64_t sid = 0;

	snprintf(ip, sizeof(ip), "192.0.2.%d", i % 250);
	snprintf(peer, sizeof(peer), "1000000%d", i);
	uv_ip4_addr(ip, 40000 + i, &sin);
	si.source = (const struct sockaddr *)&sin;
	if (audit_session_open(a, &si, &sid, on_commit, NULL) != 0) {
		failures++;
		return;
	}
	if (i % 3 == 2) {
		struct audit_denial d = { .reason = "wrong-password",
			.message = "Wrong Password", .peer_id = peer,
			.peer_name = name,
			.method = AUDIT_AUTH_ONE_TIME_PASSWORD };

		(void)audit_denied(a, sid, &d, on_commit, NULL);
		(void)audit_session_close(a, sid, "login failed", 300, 200,
			on_commit, NULL);
	} else {
		struct audit_auth au = { .peer_id = peer, .peer_name = name,
			.kind = AUDIT_CONN_DESKTOP,
			.method = AUDIT_AUTH_PERMANENT_PASSWORD,
			.consent = AUDIT_CONSENT_ALLOWED,
			.permissions = AUDIT_PERM_KEYBOARD |
				AUDIT_PERM_CLIPBOARD,
			.encrypted = si.encrypted,
			.client_session_id = 7000u + (unsigned)i };

		(void)audit_authorized(a, sid, &au, on_commit, NULL);
		(void)audit_event(a, sid, "session.blocked",
			"{\"feature\":\"file_transfer\"}", on_commit, NULL);
		(void)audit_session_close(a, sid, "peer closed",
			100000u * (unsigned)i, 2000u * (unsigned)i, on_commit,
			NULL);
	}
	printf("%lld\n", (long long)sid);
}

static void
on_closed(void *arg)
{
	(void)arg;
}

int
main(int argc, char **argv)
{
	struct audit_opts o = { .host_id = "123456789",
		.host_uuid = "0123456789abcdef0123456789abcdef",
		.mirror = AUDIT_MIRROR_NONE,
		.forward_url = "http://127.0.0.1:9" };
	struct audit_lockout_info l = { .scope = "source",
		.key = "192.0.2.66", .failures = 5, .duration_s = 600 };
	struct audit *a = NULL;
	uv_loop_t loop;
	char why[512];
	int n = 3;
	bool weird = false;

	if (argc < 2) {
		fprintf(stderr, "usage: op-audit-gen STATE_DIR [--sessions N] "
				"[--forward] [--weird]\n");
		return 64;
	}
	o.state_dir = argv[1];
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--sessions") == 0 && i + 1 < argc)
			n = atoi(argv[++i]);
		else if (strcmp(argv[i], "--forward") == 0)
			o.forward = true;
		else if (strcmp(argv[i], "--weird") == 0)
			weird = true;
		else
			return 64;
	}
	uv_loop_init(&loop);
	if (audit_open(&loop, &o, &a, why, sizeof(why)) != 0) {
		fprintf(stderr, "op-audit-gen: %s\n", why);
		return 1;
	}
	for (int i = 1; i <= n; i++)
		session(a, i, "tech");
	if (weird)
		session(a, n + 1, "=cmd|' /C calc'!A0\x1b[2J\xff\xfe\"x");
	(void)audit_lockout(a, 0, &l, on_commit, NULL);
	(void)audit_config_reload(a, "/etc/outpost/outpost.yaml", true, NULL,
		on_commit, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	audit_close(a, on_closed, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return failures == 0 ? 0 : 1;
}
