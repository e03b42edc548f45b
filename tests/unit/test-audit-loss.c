/* SPDX-License-Identifier: MIT */
/*
 * audit, when things go wrong (issue 11 item 8): another process holds
 * the database locked longer than the busy timeout, then lets go: nothing
 * is lost (only the authorization fails at once, as write-ahead demands);
 * a record that cannot be written through all its retries is lost, and an
 * audit.discontinuity record says so, which verify reports; a flood of
 * connections that never try to log in grows the trail by a bounded
 * number of summary rows; the size warning comes before size pruning
 * deletes anything.
 */
#include <errno.h>
#include <inttypes.h>
#include <time.h>

#include "core/time.h"
#include "test-audit-util.h"
#include "th.h"

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct auth_result {
	int status;
	unsigned calls;
};

static void
on_auth(void *arg, int status, int64_t seq)
{
	struct auth_result *a = arg;

	(void)seq;
	a->status = status;
	a->calls++;
}

/* A python3 process holding an EXCLUSIVE lock on the trail for ms. */
static FILE *
lock_from_other_process(const struct tctx *t, unsigned ms)
{
	char cmd[1024];
	char line[32] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		"/usr/bin/python3 -c \"import sqlite3,time,sys;"
		"c=sqlite3.connect('%s/audit.db',isolation_level=None);"
		"c.execute('BEGIN EXCLUSIVE');print('locked',flush=True);"
		"time.sleep(%u/1000);c.execute('ROLLBACK')\"",
		t->dir, ms);
	if ((p = popen(cmd, "r")) == NULL)
		return NULL;
	if (fgets(line, sizeof(line), p) == NULL ||
		strncmp(line, "locked", 6) != 0) {
		pclose(p);
		return NULL;
	}
	return p;
}

static void
test_lock_outlasts_busy_timeout(void)
{
	struct audit_denial den = { .reason = "wrong-password",
		.peer_id = "111222333", .method = AUDIT_AUTH_ONE_TIME_PASSWORD };
	struct audit_session_info si = { .path = AUDIT_PATH_DIRECT_IP };
	struct audit_verify_result res;
	struct audit_opts o;
	struct sockaddr_in sin;
	struct tctx t;
	struct audit_status st;
	int64_t s1 = 0, s2 = 0;
	uint64_t t0;
	char *rep = NULL;
	FILE *lock;

	tctx_init(&t);
	tctx_opts(&t, &o);
	uv_ip4_addr("192.0.2.7", 5000, &sin);
	si.source = (const struct sockaddr *)&sin;
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	ASSERT_INT_EQ(audit_session_open(t.a, &si, &s2, NULL, NULL), 0);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	/* 6.5 s: longer than the 5 s busy timeout of the first attempt. */
	ASSERT((lock = lock_from_other_process(&t, 6500)) != NULL);
	t0 = mono_ms();
	/* The first write is alone in the transaction that fails after
	 * the busy timeout; the rest queue behind it. */
	ASSERT_INT_EQ(audit_event(t.a, 0, "test.locked", "{\"n\":1}",
			      on_commit, &t), 0);
	ASSERT_INT_EQ(audit_session_open(t.a, &si, &s1, on_commit, &t), 0);
	ASSERT_INT_EQ(audit_denied(t.a, s1, &den, on_commit, &t), 0);
	ASSERT_INT_EQ(audit_session_close(t.a, s1, "bye", 1, 2, on_commit,
			      &t), 0);
	ASSERT_INT_EQ(audit_session_close(t.a, s2, "gone", 0, 0, on_commit,
			      &t), 0);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(pclose(lock), 0);
	/* Everything arrived, after the lock went away. */
	ASSERT(mono_ms() - t0 >= 6000);
	ASSERT_INT_EQ(t.failures, 0);
	ASSERT_INT_EQ(t.commits, 5);
	audit_status(t.a, &st);
	ASSERT_U64_EQ(st.lost, 0);
	ASSERT(!st.retrying);
	tctx_close(&t);
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM events WHERE type "
				    "= 'test.locked'"),
		1);
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM events WHERE type "
				    "LIKE 'session.%'"),
		5);
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM events WHERE type "
				    "= 'audit.discontinuity'"),
		0);
	ASSERT_INT_EQ(tctx_verify(&t, &res, &rep), 0);
	ASSERT_INT_EQ(res.problems, 0);
	free(rep);
	tctx_rm(&t);
}

static const struct audit_knobs fast = { .retry_max = 3,
	.retry_base_ms = 20, .retry_cap_ms = 40, .busy_timeout_ms = 30,
	.preauth_window_ms = 300 };

static void
test_lost_forever(void)
{
	struct audit_auth au = { .peer_id = "111222333",
		.kind = AUDIT_CONN_DESKTOP,
		.method = AUDIT_AUTH_PERMANENT_PASSWORD };
	struct audit_session_info si = { .path = AUDIT_PATH_RELAY };
	struct auth_result ar = { 0 };
	struct audit_verify_result res;
	struct audit_status st;
	struct audit_opts o;
	struct tctx t;
	int64_t sid = 0;
	char *rep = NULL;
	sqlite3 *hold;

	tctx_init(&t);
	tctx_opts(&t, &o);
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	audit__set_knobs(t.a, &fast);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	/* Locked for longer than every attempt together. */
	hold = raw_open(&t);
	ASSERT_INT_EQ(sqlite3_exec(hold, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
		SQLITE_OK);
	ASSERT_INT_EQ(audit_event(t.a, 0, "test.lost", NULL, on_commit, &t),
		0);
	ASSERT_INT_EQ(audit_session_open(t.a, &si, &sid, on_commit, &t), 0);
	ASSERT_INT_EQ(audit_event(t.a, 0, "test.lost", NULL, on_commit, &t),
		0);
	ASSERT_INT_EQ(audit_authorized(t.a, sid, &au, on_auth, &ar), 0);
	while (t.failures < 3)
		uv_run(&t.loop, UV_RUN_ONCE);
	ASSERT_INT_EQ(t.last_status, -EBUSY);
	/* The authorization was not retried: failed at its first failed
	 * transaction (its session is refused), and is no loss. */
	ASSERT_INT_EQ(ar.calls, 1);
	ASSERT_INT_EQ(ar.status, -EBUSY);
	audit_status(t.a, &st);
	ASSERT_U64_EQ(st.lost, 3);
	ASSERT(st.retrying); /* the discontinuity record waits its turn */
	sqlite3_exec(hold, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(hold);
	ASSERT_INT_EQ(audit_event(t.a, 0, "test.after", NULL, on_commit, &t),
		0);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(t.commits, 1);
	tctx_close(&t);
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM events WHERE type "
				    "= 'test.lost'"),
		0);
	ASSERT_INT_EQ(raw_count(&t, "SELECT json_extract(fields, '$.lost') "
				    "FROM events WHERE type = "
				    "'audit.discontinuity'"),
		3);
	ASSERT_INT_EQ(raw_count(&t, "SELECT json_extract(fields, "
				    "'$.types.\"test.lost\"') FROM events "
				    "WHERE type = 'audit.discontinuity'"),
		2);
	/* Written before anything that came after the loss. */
	ASSERT_INT_EQ(raw_count(&t, "SELECT (SELECT id FROM events WHERE type "
				    "= 'audit.discontinuity') < (SELECT id "
				    "FROM events WHERE type = 'test.after')"),
		1);
	ASSERT_INT_EQ(tctx_verify(&t, &res, &rep), 0);
	ASSERT_U64_EQ(res.problems, 1);
	ASSERT_U64_EQ(res.discontinuities, 1);
	ASSERT_U64_EQ(res.lost, 3);
	ASSERT_STR_CONTAINS(rep, "3 records lost (never written) between 20");
	ASSERT_STR_CONTAINS(rep, "database is locked");
	free(rep);
	tctx_rm(&t);
}

/* ---- Connections that never log in ---- */

static void
on_tick(uv_timer_t *h)
{
	(void)h;
}

/* Runs the loop for ms (a referenced timer keeps it alive). */
static void
run_for(struct tctx *t, unsigned ms)
{
	uv_timer_t tm;

	uv_timer_init(&t->loop, &tm);
	uv_timer_start(&tm, on_tick, ms, 0);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&tm, NULL);
	uv_run(&t->loop, UV_RUN_DEFAULT);
}

static long long
db_bytes(const struct tctx *t)
{
	return raw_count(t, "SELECT (page_count - freelist_count) * "
			    "page_size FROM pragma_page_count, "
			    "pragma_freelist_count, pragma_page_size");
}

/* n connections from 40 sources that open and close without logging in;
 * begin: the deferred API, else audit_session_open (today's daemon). */
static void
flood(struct tctx *t, unsigned n, bool begin)
{
	for (unsigned i = 0; i < n; i++) {
		struct sockaddr_in sin;
		struct audit_session_info si = { .path = AUDIT_PATH_DIRECT_IP };
		char ip[32];
		int64_t sid = 0;
		int e;

		snprintf(ip, sizeof(ip), "198.51.100.%u", i % 40);
		uv_ip4_addr(ip, (int)(20000 + i % 1000), &sin);
		si.source = (const struct sockaddr *)&sin;
		e = begin ? audit_session_begin(t->a, &si, &sid) :
			    audit_session_open(t->a, &si, &sid, NULL, NULL);
		if (e != 0 ||
			audit_session_close(t->a, sid,
				i % 3 ? "handshake timeout" : "protocol error",
				64, 0, NULL, NULL) != 0)
			abort();
	}
}

static void
test_preauth_flood_bounded(void)
{
	struct audit_session_info si = { .path = AUDIT_PATH_RELAY };
	struct audit_denial den = { .reason = "wrong-password",
		.peer_id = "999", .method = AUDIT_AUTH_PERMANENT_PASSWORD };
	struct audit_verify_result res;
	struct sockaddr_in sin;
	struct audit_opts o;
	struct tctx t, old;
	long long base, after1, after2, old_bytes;
	int64_t a = 0, b = 0, c = 0, d = 0;
	char *rep = NULL;
	char sql[256];

	/* Today's daemon: audit_session_open + close per connection. */
	tctx_init(&old);
	tctx_opts(&old, &o);
	ASSERT_INT_EQ(audit_open(&old.loop, &o, &old.a, NULL, 0), 0);
	uv_run(&old.loop, UV_RUN_DEFAULT);
	base = db_bytes(&old);
	flood(&old, 2000, false);
	uv_run(&old.loop, UV_RUN_DEFAULT);
	old_bytes = db_bytes(&old) - base;
	ASSERT_INT_EQ(raw_count(&old, "SELECT count(*) FROM events WHERE "
				      "type LIKE 'session.%'"),
		4000);
	tctx_close(&old);
	tctx_rm(&old);

	tctx_init(&t);
	tctx_opts(&t, &o);
	uv_ip4_addr("203.0.113.5", 7000, &sin);
	si.source = (const struct sockaddr *)&sin;
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	audit__set_knobs(t.a, &fast);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	base = db_bytes(&t);
	/* Four that reach a login attempt, in the middle of the flood. */
	ASSERT_INT_EQ(audit_session_begin(t.a, &si, &a), 0);
	ASSERT_INT_EQ(audit_session_begin(t.a, &si, &b), 0);
	ASSERT_INT_EQ(audit_session_begin(t.a, &si, &c), 0);
	ASSERT_INT_EQ(audit_session_begin(t.a, &si, &d), 0);
	ASSERT(!audit_session_recorded(t.a, a));
	flood(&t, 1000, true);
	ASSERT_INT_EQ(audit_session_login(t.a, a), 0);
	ASSERT(audit_session_recorded(t.a, a));
	ASSERT_INT_EQ(audit_denied(t.a, b, &den, NULL, NULL), 0);
	ASSERT_INT_EQ(audit_event(t.a, c, "session.blocked", NULL, NULL, NULL),
		0);
	flood(&t, 1000, true);
	ASSERT_INT_EQ(audit_session_close(t.a, a, "done", 1, 1, NULL, NULL), 0);
	ASSERT_INT_EQ(audit_session_close(t.a, b, "done", 1, 1, NULL, NULL), 0);
	ASSERT_INT_EQ(audit_session_close(t.a, c, "done", 1, 1, NULL, NULL), 0);
	/* A close with a callback is written in full. */
	ASSERT_INT_EQ(audit_session_close(t.a, d, "done", 1, 1, on_commit, &t),
		0);
	ASSERT_INT_EQ(audit_session_login(t.a, 424242), OP_ERR_NOT_FOUND);
	run_for(&t, 500); /* past the 300 ms window */
	after1 = db_bytes(&t) - base;
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM events WHERE type "
				    "= 'session.preauth'"),
		33); /* 32 sources, and one for the rest */
	ASSERT_INT_EQ(raw_count(&t, "SELECT sum(json_extract(fields, "
				    "'$.connections')) FROM events WHERE "
				    "type = 'session.preauth'"),
		2000);
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM events WHERE type "
				    "IN ('session.open', 'session.close')"),
		8);
	/* The session.open of a deferred session keeps its time: before
	 * the denial it precedes. */
	snprintf(sql, sizeof(sql),
		"SELECT (SELECT time_us FROM events WHERE type = "
		"'session.open' AND session = %lld) < (SELECT time_us FROM "
		"events WHERE type = 'session.denied' AND session = %lld)",
		(long long)b, (long long)b);
	ASSERT_INT_EQ(raw_count(&t, sql), 1);
	/* A second minute of flood: the same bounded growth. */
	flood(&t, 2000, true);
	run_for(&t, 500);
	after2 = db_bytes(&t) - base;
	ASSERT(raw_count(&t, "SELECT count(*) FROM events WHERE type = "
			     "'session.preauth'") <= 66);
	fprintf(stderr,
		"2000 connections that never log in: %lld bytes with "
		"audit_session_open (%.0f per connection), %lld with "
		"audit_session_begin (%lld after 4000 in two windows)\n",
		old_bytes, (double)old_bytes / 2000, after1, after2);
	ASSERT(after1 * 10 < old_bytes);
	tctx_close(&t);
	ASSERT_INT_EQ(tctx_verify(&t, &res, &rep), 0);
	ASSERT_INT_EQ(res.problems, 0);
	free(rep);
	tctx_rm(&t);
}

/* ---- The size warning comes before size pruning deletes anything ---- */

static void
test_size_warning_first(void)
{
	struct audit_status st;
	struct audit_opts o;
	struct tctx t;
	char big[600];
	bool warned = false;
	int rounds = 0;

	tctx_init(&t);
	tctx_opts(&t, &o);
	o.max_size_bytes = 256u << 10;
	memset(big, 'x', sizeof(big));
	memcpy(big, "{\"pad\":\"", 8);
	memcpy(big + sizeof(big) - 3, "\"}", 3);
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	while (rounds++ < 200) {
		for (int i = 0; i < 20; i++)
			ASSERT_INT_EQ(audit_event(t.a, 0, "test.big", big, NULL,
					      NULL), 0);
		ASSERT_INT_EQ(audit_prune(t.a, NULL, NULL), 0);
		uv_run(&t.loop, UV_RUN_DEFAULT);
		audit_status(t.a, &st);
		ASSERT_U64_EQ(st.max_size_bytes, 256u << 10);
		ASSERT(st.size_warning ==
			(st.size_bytes * 100 >= st.max_size_bytes * 80));
		if (raw_count(&t, "SELECT count(*) FROM events WHERE type = "
				  "'audit.prune'") > 0)
			break;
		warned = warned || st.size_warning;
	}
	ASSERT(rounds < 200);
	/* Seen at 80 % while nothing had been deleted yet. */
	ASSERT(warned);
	tctx_close(&t);
	tctx_rm(&t);
}

int
main(void)
{
	RUN(test_lost_forever);
	RUN(test_preauth_flood_bounded);
	RUN(test_size_warning_first);
	RUN(test_lock_outlasts_busy_timeout);
	return th_done();
}
