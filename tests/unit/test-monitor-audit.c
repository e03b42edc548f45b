/* SPDX-License-Identifier: MIT */
/*
 * The audit trail under privilege separation (monitor/monitor-audit.h):
 * the network process's remote trail over a real SOCK_SEQPACKET pair to
 * a monitor on its own thread and loop, which writes a real audit.db;
 * commit callbacks come back as events on a second pair. Then hostile
 * requests straight to monitor_serve: malformed ones are protocol errors,
 * sessions of another network process, forged types and floods are
 * refused; a network process that ends gets its sessions closed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>
#include <uv.h>

#include "audit/audit.h"
#include "core/err.h"
#include "core/netaddr.h"
#include "monitor/monitor-audit.h"
#include "monitor/monitor.h"
#include "platform/monchan.h"
#include "store/state.h"
#include "th-fs.h"
#include "th-monitor.h"
#include "th.h"

static char root[256];
static uint64_t fake_ms = 1000;

static uint64_t
now_ms(void)
{
	return fake_ms;
}

/* The monitor's side: its loop, its trail, its channels. */
struct mon_side {
	char dir[512];
	uv_loop_t loop;
	struct monitor *m;
	struct audit *trail;
	int fd;     /* requests */
	int ev_fd;  /* events out */
	int refused;
};

static void
send_event(void *arg, const struct mon_buf *ev)
{
	struct mon_side *s = arg;

	if (s->ev_fd >= 0)
		(void)monchan_send(s->ev_fd, ev->b, ev->len, NULL, 0,
			MONCHAN_SELF);
}

static void
mon_side_open_as(struct mon_side *s, const char *sub, bool require_grant)
{
	char why[SFILE_WHY_LEN];
	struct state *st = NULL;
	struct monitor_opts o = { .otp_charset = OTP_SAFE32, .otp_len = 10,
		.now_ms = now_ms, .event = send_event, .arg = s,
		.require_grant = require_grant };
	struct audit_opts ao = { .mirror = AUDIT_MIRROR_NONE,
		.host_id = "123456789", .host_uuid = "uuid" };

	snprintf(s->dir, sizeof(s->dir), "%s/%s", root, sub);
	ASSERT_INT_EQ(state_open(s->dir, "auto", &st, why), 0);
	ASSERT_INT_EQ(monitor_new(st, &o, &s->m), 0);
	ASSERT_INT_EQ(uv_loop_init(&s->loop), 0);
	ao.state_dir = s->dir;
	ASSERT_INT_EQ(audit_open(&s->loop, &ao, &s->trail, why, sizeof(why)),
		0);
	monitor_set_audit(s->m, s->trail);
	monitor_child_started(s->m);
	ASSERT_INT_EQ(monitor_serve(s->m, (uint8_t[]){ MON_HELLO }, 1,
			      &(struct monitor_reply){ 0 }, why, sizeof(why)),
		0);
}

static void
mon_side_open(struct mon_side *s, const char *sub)
{
	mon_side_open_as(s, sub, false);
}

static void
mon_side_close(struct mon_side *s)
{
	audit_close(s->trail, NULL, NULL);
	uv_run(&s->loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(uv_loop_close(&s->loop), 0);
	monitor_free(s->m);
}

/* The monitor's loop (the trail's commits come on it). */
static void *
mon_thread(void *arg)
{
	struct mon_side *s = arg;

	/* A reply that could not be sent counts as refused too. */
	if (serve_polled(s->m, &s->loop, s->fd) != 0)
		s->refused++;
	/* Hung up, or ended as daemon-monitor.c ends a bad one. */
	monitor_child_ended(s->m, "exited with 0");
	close(s->fd);
	close(s->ev_fd);
	s->ev_fd = -1;
	uv_run(&s->loop, UV_RUN_DEFAULT);
	return NULL;
}

/* The network process's side. */
struct net_side {
	uv_loop_t loop;
	struct monclient_audit *c;
	struct audit *a;
	int ev_fd;
	int commits, failures;
	int64_t last_seq;
	size_t waiting;
};

/* The events waiting on the channel (for up to ms), as the daemon's
 * loop would read them. */
static void
read_events(struct net_side *n, int ms)
{
	uint8_t buf[MON_MSG_MAX];
	ssize_t len;
	int nfds;

	while (n->ev_fd >= 0 && (len = monchan_recv(n->ev_fd, buf,
					 sizeof(buf), NULL, 0, &nfds, ms)) !=
			-ETIMEDOUT) {
		if (len <= 0) {
			monclient_audit_fail_all(n->c, -ECONNRESET);
			return;
		}
		ASSERT_INT_EQ(monclient_audit_on_event(n->c, buf, (size_t)len),
			1);
		ms = 0;
	}
}

static void
on_waiting(void *arg, size_t waiting)
{
	struct net_side *n = arg;

	n->waiting = waiting;
}

static void
on_commit(void *arg, int status, int64_t seq)
{
	struct net_side *n = arg;

	if (status == 0) {
		n->commits++;
		ASSERT(seq > n->last_seq);
		n->last_seq = seq;
	} else {
		n->failures++;
	}
}

static void
on_flushed(void *arg, int status, uint64_t sent)
{
	(void)arg;
	(void)status;
	(void)sent;
	ASSERT(!"a refused flush reported");
}

/* Runs the network process's loop until no commit is owed. */
static void
drain(struct net_side *n)
{
	while (n->waiting > 0) {
		read_events(n, 10);
		(void)uv_run(&n->loop, UV_RUN_NOWAIT);
	}
}

/* Counts the rows of type (and with fields containing like, if not
 * NULL) in dir's audit.db. */
static int
rows(const char *dir, const char *type, const char *like)
{
	char path[600];
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, AUDIT_DB_NAME);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
		SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db,
		    "SELECT count(*) FROM events WHERE type = ?1 "
		    "AND (?2 IS NULL OR instr(fields, ?2) > 0)",
		    -1, &st, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	if (like != NULL)
		sqlite3_bind_text(st, 2, like, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void
test_remote_trail(void)
{
	struct mon_side ms = { .refused = 0 };
	struct net_side ns = { .ev_fd = -1 };
	struct monclient_audit_hooks h = { .waiting = on_waiting, .arg = &ns };
	struct sockaddr_in sin = { .sin_family = AF_INET,
		.sin_port = htons(4242),
		.sin_addr.s_addr = htonl(0x7f000001) };
	struct audit_session_info info = { .peer_name = "tech",
		.source = (const struct sockaddr *)&sin,
		.path = AUDIT_PATH_RELAY, .encrypted = true };
	struct audit_auth auth = { .peer_id = "987654321",
		.peer_name = "tech", .kind = AUDIT_CONN_DESKTOP,
		.method = AUDIT_AUTH_PERMANENT_PASSWORD,
		.consent = AUDIT_CONSENT_ALLOWED,
		.permissions = AUDIT_PERM_KEYBOARD | AUDIT_PERM_CLIPBOARD,
		.encrypted = true, .client_session_id = 77 };
	struct audit_status st;
	char *big;
	int64_t id = 0, id2 = 0, id3 = 0;
	int sv[2], ev[2];
	pthread_t t;

	mon_side_open(&ms, "remote");
	ASSERT_INT_EQ(monchan_pair(sv), 0);
	ASSERT_INT_EQ(monchan_pair(ev), 0);
	ms.fd = sv[0];
	ms.ev_fd = ev[0];
	ns.ev_fd = ev[1];
	ASSERT_INT_EQ(uv_loop_init(&ns.loop), 0);
	ASSERT_INT_EQ(monclient_audit_new(sv[1], &h, &ns.c), 0);
	ASSERT_INT_EQ(audit_open_remote(&ns.loop, &monclient_audit_ops, ns.c,
			      &ns.a),
		0);
	ASSERT_INT_EQ(pthread_create(&t, NULL, mon_thread, &ms), 0);

	/* Write-ahead: the open and the authorization are confirmed by
	 * their commits, in order. */
	ASSERT_INT_EQ(audit_session_open(ns.a, &info, &id, on_commit, &ns), 0);
	ASSERT(id > 0);
	ASSERT(audit_session_recorded(ns.a, id));
	ASSERT_INT_EQ(audit_authorized(ns.a, id, &auth, on_commit, &ns), 0);
	ASSERT_INT_EQ(audit_event(ns.a, id, "file.transfer",
			      "{\"op\":\"send\",\"path\":\"/tmp/x\"}",
			      on_commit, &ns),
		0);
	drain(&ns);
	ASSERT_INT_EQ(ns.commits, 3);
	/* A connection that never logs in: an id, no row, summarised. */
	ASSERT_INT_EQ(audit_session_begin(ns.a, &info, &id2), 0);
	ASSERT(id2 > id);
	ASSERT(!audit_session_recorded(ns.a, id2));
	ASSERT_INT_EQ(audit_session_close(ns.a, id2, "scan", 10, 0, NULL,
			      NULL),
		0);
	/* One that does log in, denied. */
	ASSERT_INT_EQ(audit_session_begin(ns.a, &info, &id3), 0);
	ASSERT_INT_EQ(audit_session_login(ns.a, id3), 0);
	ASSERT(audit_session_recorded(ns.a, id3));
	ASSERT_INT_EQ(audit_denied(ns.a, id3,
			      &(struct audit_denial){
				      .reason = "wrong-password",
				      .method = AUDIT_AUTH_PERMANENT_PASSWORD },
			      on_commit, &ns),
		0);
	ASSERT_INT_EQ(audit_lockout(ns.a, 0,
			      &(struct audit_lockout_info){ .scope = "source",
				      .key = "127.0.0.1", .failures = 5,
				      .duration_s = 60 },
			      NULL, NULL),
		0);
	ASSERT_INT_EQ(audit_config_reload(ns.a, "/etc/outpost.yaml", true,
			      "applied", on_commit, &ns),
		0);
	/* Not the network process's to make: refused by its own checks
	 * (the type), or the monitor's (below, straight). */
	ASSERT_INT_EQ(audit_event(ns.a, 0, "agent.restarted",
			      "{\"network_starts\":2}", NULL, NULL),
		0);
	/* Fields too long for a request arrive as a marked excerpt. */
	big = malloc(20001);
	memset(big, 'a', 20000);
	memcpy(big, "{\"path\":\"", 9);
	memcpy(big + 19998, "\"}", 3);
	ASSERT_INT_EQ(audit_event(ns.a, id, "file.transfer", big, on_commit,
			      &ns),
		0);
	free(big);
	drain(&ns);
	ASSERT_INT_EQ(ns.commits, 6);
	ASSERT_INT_EQ(ns.failures, 0);
	/* No forwarding configured: the flush is refused, nothing owed. */
	ASSERT_INT_EQ(audit_forward_flush(ns.a, on_flushed, &ns),
		OP_ERR_STATE);
	ASSERT_INT_EQ(ns.waiting, 0);
	audit_status(ns.a, &st);
	ASSERT_U64_EQ(st.preauth_folded, 1);
	ASSERT_U64_EQ(st.lost, 0);
	ASSERT_INT_EQ(audit_session_close(ns.a, id, "client left", 100, 200,
			      on_commit, &ns),
		0);
	drain(&ns);
	ASSERT_INT_EQ(ns.commits, 7);
	/* id3 is still open when the network process ends. */
	audit_close(ns.a, NULL, NULL);
	uv_run(&ns.loop, UV_RUN_NOWAIT);
	close(sv[1]);
	pthread_join(t, NULL);
	read_events(&ns, 0);
	uv_run(&ns.loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(uv_loop_close(&ns.loop), 0);
	monclient_audit_free(ns.c);
	close(ns.ev_fd);
	ASSERT_INT_EQ(ms.refused, 0);
	mon_side_close(&ms);

	ASSERT_INT_EQ(rows(ms.dir, "session.open", NULL), 2);
	ASSERT_INT_EQ(rows(ms.dir, "session.authorized",
			      "\"client_session_id\":77"),
		1);
	ASSERT_INT_EQ(rows(ms.dir, "session.denied", "wrong-password"), 1);
	ASSERT_INT_EQ(rows(ms.dir, "session.lockout", "127.0.0.1"), 1);
	ASSERT_INT_EQ(rows(ms.dir, "session.preauth", "scan"), 1);
	ASSERT_INT_EQ(rows(ms.dir, "config.reload", "outpost.yaml"), 1);
	ASSERT_INT_EQ(rows(ms.dir, "agent.restarted", NULL), 1);
	ASSERT_INT_EQ(rows(ms.dir, "file.transfer", "\"truncated\":true"), 1);
	ASSERT_INT_EQ(rows(ms.dir, "file.transfer", "\"bytes\":20000"), 1);
	ASSERT_INT_EQ(rows(ms.dir, "session.close", "client left"), 1);
	ASSERT_INT_EQ(rows(ms.dir, "session.close",
			      "network process ended: exited with 0"),
		1);
}

/* One request straight to monitor_serve: its status, or OP_ERR_PROTO
 * when refused as malformed (without a reply). */
static int
serve(struct monitor *m, const struct mon_buf *w, struct mon_rd *rd,
	struct monitor_reply *reply)
{
	char why[128];
	int r = monitor_serve(m, w->b, w->len, reply, why, sizeof(why));

	if (r != 0) /* refused: no reply at all */
		return reply->len == 0 ? r : OP_ERR_INTERNAL;
	mon_rd_init(rd, reply->b, reply->len);
	if (mon_get_u8(rd) != w->b[0])
		return OP_ERR_INTERNAL;
	return (int32_t)mon_get_u32(rd);
}

static void
req(struct mon_buf *w, enum mon_type t)
{
	w->len = 0;
	w->overflow = false;
	mon_put_u8(w, (uint8_t)t);
}

static int64_t
open_one(struct monitor *m, bool defer)
{
	struct audit_session_info info = { .path = AUDIT_PATH_DIRECT_IP };
	struct monitor_reply reply;
	struct mon_buf w;
	struct mon_rd rd;

	req(&w, MON_AUDIT_OPEN);
	mon_put_audit_info(&w, &info);
	mon_put_u8(&w, defer);
	mon_put_u32(&w, 0);
	if (serve(m, &w, &rd, &reply) != 0)
		return -1;
	return (int64_t)mon_get_u64(&rd);
}

static int
event(struct monitor *m, int64_t session, const char *type,
	const char *fields)
{
	struct monitor_reply reply;
	struct mon_buf w;
	struct mon_rd rd;

	req(&w, MON_AUDIT_EVENT);
	mon_put_u64(&w, (uint64_t)session);
	mon_put_str(&w, type);
	mon_put_bytes(&w, fields, strlen(fields));
	mon_put_u32(&w, 0);
	return serve(m, &w, &rd, &reply);
}

static void
test_hostile(void)
{
	struct mon_side ms = { .ev_fd = -1 };
	struct monitor_reply reply;
	struct audit_status st;
	struct mon_buf w;
	struct mon_rd rd;
	int64_t mine, old;
	int ok = 0;

	mon_side_open(&ms, "hostile");
	old = open_one(ms.m, false);
	ASSERT(old > 0);
	/* A new network process may not touch the old one's sessions. */
	monitor_child_ended(ms.m, "killed by signal 9");
	monitor_child_started(ms.m);
	ASSERT_INT_EQ(monitor_serve(ms.m, (uint8_t[]){ MON_HELLO }, 1, &reply,
			      (char[64]){ 0 }, 64),
		0);
	mine = open_one(ms.m, true);
	ASSERT(mine > old);
	ASSERT_INT_EQ(event(ms.m, old, "file.transfer", "{}"), OP_ERR_PERM);
	ASSERT_INT_EQ(event(ms.m, mine + 1, "file.transfer", "{}"),
		OP_ERR_PERM);
	req(&w, MON_AUDIT_AUTHORIZED);
	mon_put_u64(&w, (uint64_t)old);
	mon_put_audit_auth(&w, &(struct audit_auth){ .kind = 0 });
	mon_put_u32(&w, 0);
	ASSERT_INT_EQ(serve(ms.m, &w, &rd, &reply), OP_ERR_PERM);
	req(&w, MON_AUDIT_CLOSE);
	mon_put_u64(&w, (uint64_t)old);
	mon_put_audit_text(&w, "forged");
	mon_put_u64(&w, 0);
	mon_put_u64(&w, 0);
	mon_put_u32(&w, 0);
	ASSERT_INT_EQ(serve(ms.m, &w, &rd, &reply), OP_ERR_PERM);
	/* Refused: types the network process does not make (a forged
	 * authorization, the trail's own); the JSON checked. Malformed: a
	 * NUL, enums out of range, unknown permission bits, a text too
	 * long, trailing bytes, a short message. */
	ASSERT_INT_EQ(event(ms.m, mine, "session.authorized", "{}"),
		OP_ERR_PERM);
	ASSERT_INT_EQ(event(ms.m, mine, "audit.prune", "{}"), OP_ERR_PERM);
	ASSERT_INT_EQ(event(ms.m, mine, "Bad\x1b[0m", "{}"), OP_ERR_PERM);
	ASSERT_INT_EQ(event(ms.m, mine, "file.transfer", "[1]"), OP_ERR_RANGE);
	ASSERT_INT_EQ(event(ms.m, mine, "file.transfer", "{\"a\":\"\xff\"}"),
		OP_ERR_RANGE);
	req(&w, MON_AUDIT_EVENT);
	mon_put_u64(&w, (uint64_t)mine);
	mon_put_str(&w, "file.transfer");
	mon_put_bytes(&w, "{}\0{}", 5);
	mon_put_u32(&w, 0);
	ASSERT_INT_EQ(serve(ms.m, &w, &rd, &reply), OP_ERR_PROTO);
	req(&w, MON_AUDIT_AUTHORIZED);
	mon_put_u64(&w, (uint64_t)mine);
	mon_put_audit_auth(&w, &(struct audit_auth){ .kind = 9 });
	mon_put_u32(&w, 0);
	ASSERT_INT_EQ(serve(ms.m, &w, &rd, &reply), OP_ERR_PROTO);
	req(&w, MON_AUDIT_AUTHORIZED);
	mon_put_u64(&w, (uint64_t)mine);
	mon_put_audit_auth(&w, &(struct audit_auth){ .permissions = 1u << 8 });
	mon_put_u32(&w, 0);
	ASSERT_INT_EQ(serve(ms.m, &w, &rd, &reply), OP_ERR_PROTO);
	{
		char text[AUDIT_TEXT_MAX + 2];

		memset(text, 'x', sizeof(text) - 1);
		text[sizeof(text) - 1] = '\0';
		req(&w, MON_AUDIT_CONFIG);
		mon_put_u8(&w, 1);
		mon_put_str(&w, text); /* 257 bytes: past the limit */
		mon_put_u8(&w, 1);
		mon_put_audit_text(&w, NULL);
		mon_put_u32(&w, 0);
		ASSERT_INT_EQ(serve(ms.m, &w, &rd, &reply), OP_ERR_PROTO);
	}
	req(&w, MON_AUDIT_OPEN);
	mon_put_u8(&w, 0);
	mon_put_u8(&w, 0);
	mon_put_u8(&w, 5); /* no such address family */
	ASSERT_INT_EQ(serve(ms.m, &w, &rd, &reply), OP_ERR_PROTO);
	req(&w, MON_AUDIT_STATUS);
	mon_put_u8(&w, 0);
	ASSERT_INT_EQ(serve(ms.m, &w, &rd, &reply), OP_ERR_PROTO);
	req(&w, MON_AUDIT_LOGIN);
	mon_put_u32(&w, 1);
	ASSERT_INT_EQ(serve(ms.m, &w, &rd, &reply), OP_ERR_PROTO);
	/* A flood: the burst passes, then records are refused and counted
	 * as lost, until the clock lets more through. */
	for (int i = 0; i < MONITOR_AUDIT_BURST + 50; i++)
		if (event(ms.m, mine, "session.blocked", "{}") == 0)
			ok++;
	ASSERT(ok <= MONITOR_AUDIT_BURST && ok >= MONITOR_AUDIT_BURST - 5);
	req(&w, MON_AUDIT_STATUS);
	ASSERT_INT_EQ(serve(ms.m, &w, &rd, &reply), 0);
	{
		struct audit_fwd_stats fwd;

		mon_get_audit_status(&rd, &st, &fwd);
		ASSERT(mon_rd_done(&rd));
	}
	ASSERT(st.lost >= 50);
	fake_ms += 1000;
	ASSERT_INT_EQ(event(ms.m, mine, "session.blocked", "{}"), 0);
	/* The one close of an open session is never refused. */
	req(&w, MON_AUDIT_CLOSE);
	mon_put_u64(&w, (uint64_t)mine);
	mon_put_audit_text(&w, "done");
	mon_put_u64(&w, 1);
	mon_put_u64(&w, 2);
	mon_put_u32(&w, 0);
	for (int i = 0; i < 200; i++)
		(void)event(ms.m, mine, "session.blocked", "{}");
	ASSERT_INT_EQ(serve(ms.m, &w, &rd, &reply), 0);
	/* ... but closing it again costs like any record. */
	ASSERT_INT_EQ(serve(ms.m, &w, &rd, &reply), OP_ERR_TOO_LARGE);
	mon_side_close(&ms);
	ASSERT_INT_EQ(rows(ms.dir, "session.close",
			      "network process ended: killed by signal 9"),
		1);
	ASSERT_INT_EQ(rows(ms.dir, "audit.discontinuity", NULL) >= 1, 1);
	ASSERT_INT_EQ(rows(ms.dir, "session.close", "forged"), 0);
	ASSERT_INT_EQ(rows(ms.dir, "session.close", "done"), 1);
}

static int
authorize(struct monitor *m, int64_t session)
{
	struct monitor_reply reply;
	struct mon_buf w;
	struct mon_rd rd;

	req(&w, MON_AUDIT_AUTHORIZED);
	mon_put_u64(&w, (uint64_t)session);
	mon_put_audit_auth(&w, &(struct audit_auth){ .peer_id = "1",
		.method = AUDIT_AUTH_PERMANENT_PASSWORD });
	mon_put_u32(&w, 0);
	return serve(m, &w, &rd, &reply);
}

/* connect-user to a socket that does not exist: OP_ERR_DENIED when the
 * gate refuses, another error when the request got past it. */
static int
desktop(struct monitor *m)
{
	struct monitor_reply reply;
	struct mon_buf w;
	struct mon_rd rd;

	req(&w, MON_CONNECT_USER);
	mon_put_str(&w, "/run/user/65534/wayland-9");
	mon_put_u32(&w, 65534);
	mon_put_u8(&w, 0);
	return serve(m, &w, &rd, &reply);
}

/* secure-attention (Windows' Ctrl+Alt+Del): OP_ERR_DENIED when the gate
 * refuses; past it this test's monitor has no hook (unsupported). */
static int
secure_attention(struct monitor *m)
{
	struct monitor_reply reply;
	struct mon_buf w;
	struct mon_rd rd;

	req(&w, MON_SECURE_ATTENTION);
	return serve(m, &w, &rd, &reply);
}

/*
 * require_grant: a session is authorized only for a login the monitor saw
 * succeed (here monitor_grant, as the consent prompt's Allow does; an
 * accepted proof is the other way), one session per grant, within its
 * lifetime; the user's desktop and Ctrl+Alt+Del only while one is
 * authorized.
 */
static void
test_grants(void)
{
	struct mon_side ms = { .ev_fd = -1 };
	struct monitor_reply reply;
	struct mon_buf w;
	struct mon_rd rd;
	int64_t s1, s2;

	mon_side_open_as(&ms, "grants", true);
	ASSERT_INT_EQ(desktop(ms.m), OP_ERR_DENIED);
	ASSERT_INT_EQ(secure_attention(ms.m), OP_ERR_DENIED);
	s1 = open_one(ms.m, false);
	s2 = open_one(ms.m, false);
	ASSERT(s1 > 0 && s2 > s1);
	ASSERT_INT_EQ(authorize(ms.m, s1), OP_ERR_DENIED);
	ASSERT_INT_EQ(desktop(ms.m), OP_ERR_DENIED);
	monitor_grant(ms.m);
	ASSERT_INT_EQ(authorize(ms.m, s1), 0);
	ASSERT(desktop(ms.m) != OP_ERR_DENIED);
	ASSERT_INT_EQ(secure_attention(ms.m), OP_ERR_UNSUPPORTED);
	/* Spent: the second session gets nothing from it. */
	ASSERT_INT_EQ(authorize(ms.m, s2), OP_ERR_DENIED);
	/* A grant older than MONITOR_GRANT_MS (10 min) is no grant. */
	monitor_grant(ms.m);
	fake_ms += 10 * 60 * 1000 + 1;
	ASSERT_INT_EQ(authorize(ms.m, s2), OP_ERR_DENIED);
	/* The authorized session ends: the desktop is closed again. */
	req(&w, MON_AUDIT_CLOSE);
	mon_put_u64(&w, (uint64_t)s1);
	mon_put_audit_text(&w, "done");
	mon_put_u64(&w, 0);
	mon_put_u64(&w, 0);
	mon_put_u32(&w, 0);
	ASSERT_INT_EQ(serve(ms.m, &w, &rd, &reply), 0);
	ASSERT_INT_EQ(desktop(ms.m), OP_ERR_DENIED);
	ASSERT_INT_EQ(secure_attention(ms.m), OP_ERR_DENIED);
	/* So is a new network process's, whatever the old one had. */
	monitor_grant(ms.m);
	ASSERT_INT_EQ(authorize(ms.m, s2), 0);
	ASSERT(desktop(ms.m) != OP_ERR_DENIED);
	monitor_child_ended(ms.m, "killed by signal 9");
	monitor_child_started(ms.m);
	ASSERT_INT_EQ(monitor_serve(ms.m, (uint8_t[]){ MON_HELLO }, 1,
			      &reply, (char[64]){ 0 }, 64), 0);
	ASSERT_INT_EQ(desktop(ms.m), OP_ERR_DENIED);
	mon_side_close(&ms);
}

int
main(void)
{
	if (th_tempdir("monaudit", root, sizeof(root)) != 0 ||
		sodium_init() < 0)
		return 1;
	RUN(test_remote_trail);
	RUN(test_hostile);
	RUN(test_grants);
	th_rm_tree(root);
	return th_done();
}
