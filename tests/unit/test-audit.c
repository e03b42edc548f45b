/* SPDX-License-Identifier: MIT */
/*
 * audit: the hash chain end to end through the real writer (uv_queue_work
 * + sqlite) and the real verifier: a clean trail verifies; an edited, a
 * deleted, a re-hashed and a garbage row are each named; pruning by age
 * and by size keeps the chain verifiable and is itself recorded; many
 * records queued while the writer is busy all arrive, in order (failed
 * writes, retries and losses are in test-audit-loss.c); the writer lock,
 * file modes, reopening and close-with-pending behave; hostile values in
 * the file do not break list/show/export.
 */
#include <errno.h>
#include <sys/stat.h>

#include "test-audit-util.h"
#include "th.h"

static void
one_session(struct tctx *t, int i, bool denied)
{
	struct sockaddr_in sin;
	struct audit_session_info si = { .path = AUDIT_PATH_RELAY,
		.encrypted = true };
	int64_t sid = 0;

	uv_ip4_addr("192.0.2.10", 40000 + i, &sin);
	si.source = (const struct sockaddr *)&sin;
	if (audit_session_open(t->a, &si, &sid, on_commit, t) != 0 || sid <= 0)
		abort();
	if (denied) {
		struct audit_denial d = { .reason = "wrong-password",
			.message = "Wrong Password", .peer_id = "555000111",
			.peer_name = "mallory",
			.method = AUDIT_AUTH_PERMANENT_PASSWORD };

		if (audit_denied(t->a, sid, &d, on_commit, t) != 0)
			abort();
	} else {
		struct audit_auth au = { .peer_id = "555000111",
			.peer_name = "alice", .kind = AUDIT_CONN_DESKTOP,
			.method = AUDIT_AUTH_PERMANENT_PASSWORD,
			.consent = AUDIT_CONSENT_NOT_ASKED,
			.permissions = AUDIT_PERM_KEYBOARD |
				AUDIT_PERM_CLIPBOARD,
			.encrypted = true,
			.client_session_id = 42 + (uint64_t)i };

		if (audit_authorized(t->a, sid, &au, on_commit, t) != 0)
			abort();
	}
	if (audit_session_close(t->a, sid, "peer closed", 1000, 2000,
		    on_commit, t) != 0)
		abort();
}

/* 14 rows: audit.open, 3 sessions x 3, lockout, reload, custom, close. */
static void
make_trail(struct tctx *t)
{
	struct audit_opts o;
	struct audit_lockout_info l = { .scope = "source", .key = "192.0.2.66",
		.failures = 5, .duration_s = 600 };

	tctx_init(t);
	tctx_opts(t, &o);
	if (audit_open(&t->loop, &o, &t->a, NULL, 0) != 0)
		abort();
	one_session(t, 1, false);
	one_session(t, 2, true);
	one_session(t, 3, false);
	(void)audit_lockout(t->a, 0, &l, on_commit, t);
	(void)audit_config_reload(t->a, "/etc/outpost/outpost.yaml", true,
		NULL, on_commit, t);
	(void)audit_event(t->a, 1, "session.blocked",
		"{\"feature\":\"clipboard\"}", on_commit, t);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	tctx_close(t);
}

static char *
capture(struct tctx *t, int what, int64_t arg)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int e = th_audit_read(t->dir, (enum th_audit_read)what, arg, f);

	fclose(f);
	if (e != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Every line of a JSONL export is a JSON object. */
static bool
jsonl_valid(char *s, unsigned *lines)
{
	*lines = 0;
	for (char *l = strtok(s, "\n"); l != NULL; l = strtok(NULL, "\n")) {
		if (!audit__json_is_object(l, strlen(l)))
			return false;
		(*lines)++;
	}
	return true;
}

static void
test_chain_intact(void)
{
	struct audit_verify_result res;
	struct tctx t;
	char *rep = NULL, *s;
	unsigned lines;

	make_trail(&t);
	ASSERT_INT_EQ(t.commits, 12);
	ASSERT_INT_EQ(t.failures, 0);
	ASSERT_INT_EQ(tctx_verify(&t, &res, &rep), 0);
	ASSERT_INT_EQ(res.problems, 0);
	ASSERT_INT_EQ(res.rows, 14);
	ASSERT_INT_EQ(res.first_id, 1);
	ASSERT_INT_EQ(res.last_id, 14);
	ASSERT_INT_EQ(strlen(res.head_hash), 64);
	free(rep);
	s = capture(&t, 0, 0);
	ASSERT_STR_CONTAINS(s, "alice");
	ASSERT_STR_CONTAINS(s, "denied:wrong-password");
	ASSERT_STR_CONTAINS(s, "192.0.2.10:40003");
	free(s);
	s = capture(&t, 1, 0);
	ASSERT(s != NULL && audit__json_is_value(s, strlen(s)));
	ASSERT_STR_CONTAINS(s, "\"permissions\":[\"keyboard\",\"clipboard\"]");
	ASSERT_STR_CONTAINS(s, "\"outcome\":\"denied\"");
	free(s);
	s = capture(&t, 2, 1);
	ASSERT_STR_CONTAINS(s, "session.authorized");
	ASSERT_STR_CONTAINS(s, "session.blocked");
	free(s);
	ASSERT(capture(&t, 2, 99) == NULL);
	s = capture(&t, 3, 0);
	ASSERT(s != NULL && jsonl_valid(s, &lines));
	ASSERT_INT_EQ(lines, 14);
	free(s);
	s = capture(&t, 4, 0);
	ASSERT(s != NULL &&
		strncmp(s, "id,time,time_us,session,type,", 29) == 0);
	free(s);
	tctx_rm(&t);
}

static void
test_edit_detected(void)
{
	struct audit_verify_result res;
	struct tctx t;
	char *rep = NULL;

	make_trail(&t);
	ASSERT_INT_EQ(raw_exec(&t, "UPDATE events SET fields = "
				   "'{\"reason\":\"nothing to see\"}' "
				   "WHERE id = 5"),
		SQLITE_OK);
	ASSERT_INT_EQ(tctx_verify(&t, &res, &rep), 0);
	ASSERT_INT_EQ(res.problems, 1);
	ASSERT_STR_EQ(res.first_problem,
		"row events#5: hash mismatch (edited)");
	ASSERT_STR_CONTAINS(rep, "row events#5: hash mismatch (edited)\n");
	free(rep);
	tctx_rm(&t);
}

static void
test_delete_detected(void)
{
	struct audit_verify_result res;
	struct tctx t;
	char *rep = NULL;

	make_trail(&t);
	ASSERT_INT_EQ(raw_exec(&t, "DELETE FROM events WHERE id IN (6, 7)"),
		SQLITE_OK);
	ASSERT_INT_EQ(tctx_verify(&t, &res, &rep), 0);
	ASSERT(res.problems >= 1);
	ASSERT_STR_EQ(res.first_problem, "rows 6-7 missing (deleted)");
	free(rep);
	/* The first rows, without a prune record to explain it. */
	ASSERT_INT_EQ(raw_exec(&t, "DELETE FROM events WHERE id = 1"),
		SQLITE_OK);
	ASSERT_INT_EQ(tctx_verify(&t, &res, &rep), 0);
	ASSERT_STR_EQ(res.first_problem, "row 1 missing (deleted)");
	free(rep);
	tctx_rm(&t);
}

static void
test_rehash_detected(void)
{
	struct audit_verify_result res;
	struct audit_row row = { 0 };
	struct tctx t;
	char h[AUDIT_HASH_HEX + 1], sql[512], *rep = NULL;
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	const char *fields = "{\"reason\":\"forged\"}";

	make_trail(&t);
	db = raw_open(&t);
	ASSERT_INT_EQ(sqlite3_prepare_v2(db,
			      "SELECT time_us, session, type, prev_hash "
			      "FROM events WHERE id = 5",
			      -1, &st, NULL),
		SQLITE_OK);
	ASSERT_INT_EQ(sqlite3_step(st), SQLITE_ROW);
	row.id = 5;
	row.time_us = sqlite3_column_int64(st, 0);
	row.has_session = true;
	row.session = sqlite3_column_int64(st, 1);
	row.type = (const char *)sqlite3_column_text(st, 2);
	row.type_len = strlen(row.type);
	row.prev_hash = (const char *)sqlite3_column_text(st, 3);
	row.prev_len = 64;
	row.fields = fields;
	row.fields_len = strlen(fields);
	audit__chain_hash(&row, h);
	sqlite3_finalize(st);
	sqlite3_close(db);
	snprintf(sql, sizeof(sql),
		"UPDATE events SET fields = '%s', hash = '%s' WHERE id = 5",
		fields, h);
	ASSERT_INT_EQ(raw_exec(&t, sql), SQLITE_OK);
	ASSERT_INT_EQ(tctx_verify(&t, &res, &rep), 0);
	ASSERT_INT_EQ(res.problems, 1);
	ASSERT_STR_EQ(res.first_problem,
		"row events#5: edited and re-hashed (events#6 no longer "
		"links to it)");
	free(rep);
	tctx_rm(&t);
}

static void
test_hostile_values(void)
{
	struct audit_verify_result res;
	struct tctx t;
	char *rep = NULL, *s;
	unsigned lines;

	make_trail(&t);
	ASSERT_INT_EQ(raw_exec(&t,
			      "UPDATE events SET time_us = 'abc', "
			      "hash = x'00ff' WHERE id = 3;"
			      "UPDATE events SET fields = "
			      "CAST(x'7b2270656572223a2200ff1b5b324a227d' AS "
			      "TEXT), session = 'x' WHERE id = 4;"
			      "UPDATE events SET fields = '{\"peer_id\":' "
			      "WHERE id = 2;"
			      "DROP VIEW sessions;"
			      "CREATE VIEW sessions AS SELECT 1 AS id;"),
		SQLITE_OK);
	ASSERT_INT_EQ(tctx_verify(&t, &res, &rep), 0);
	ASSERT(res.problems >= 3);
	ASSERT_STR_EQ(res.first_problem,
		"row events#2: hash mismatch (edited)");
	ASSERT_STR_CONTAINS(rep, "row events#3: malformed values (edited)");
	free(rep);
	s = capture(&t, 0, 0);
	ASSERT(s != NULL && strchr(s, 0x1b) == NULL);
	free(s);
	s = capture(&t, 1, 0);
	ASSERT(s != NULL && audit__json_is_value(s, strlen(s)));
	free(s);
	s = capture(&t, 3, 0);
	ASSERT(s != NULL && jsonl_valid(s, &lines));
	ASSERT_INT_EQ(lines, 14);
	free(s);
	s = capture(&t, 4, 0);
	ASSERT(s != NULL);
	free(s);
	tctx_rm(&t);
}

/* Peer texts with C1 controls and bidi overrides: shown as '?' in every
 * text output, escaped (never raw) in JSON, as the consent prompt does. */
static void
test_hostile_text(void)
{
	static const char *const raw[] = { "\xc2\x9b", "\xc2\x85",
		"\xe2\x80\xae", "\xe2\x80\xaa", "\xe2\x81\xa6",
		"\xe2\x81\xa9", "\x1b" };
	struct audit_auth au = { .peer_id = "123\xc2\x9b" "2J\xe2\x80\xae" "987",
		.peer_name = "\xe2\x81\xa6mallory\xe2\x81\xa9\xc2\x85\x1b[1A",
		.kind = AUDIT_CONN_DESKTOP,
		.method = AUDIT_AUTH_PERMANENT_PASSWORD };
	struct audit_session_info si = { .path = AUDIT_PATH_DIRECT_IP };
	struct audit_opts o;
	struct tctx t;
	char clean[64];
	int64_t sid = 0;
	char *s;

	audit__sanitize(clean, sizeof(clean), au.peer_id, strlen(au.peer_id));
	ASSERT_STR_EQ(clean, "123?2J?987");
	tctx_init(&t);
	tctx_opts(&t, &o);
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	ASSERT_INT_EQ(audit_session_open(t.a, &si, &sid, NULL, NULL), 0);
	ASSERT_INT_EQ(audit_authorized(t.a, sid, &au, NULL, NULL), 0);
	ASSERT_INT_EQ(audit_session_close(t.a, sid, "\xe2\x80\xaeyb desolc",
			      0, 0, NULL, NULL), 0);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	tctx_close(&t);
	for (int what = 0; what <= 4; what++) {
		s = capture(&t, what, sid);
		ASSERT(s != NULL);
		for (size_t i = 0; s != NULL && i < sizeof(raw) / sizeof(raw[0]);
			i++)
			if (strstr(s, raw[i]) != NULL)
				TH_FAIL("output %d holds raw %s", what,
					i < 6 ? "C1/bidi" : "ESC");
		if (what == 3)
			ASSERT_STR_CONTAINS(s, "123\\u009b2J\\u202e987");
		if (what == 2)
			ASSERT_STR_CONTAINS(s, "123?2J?987");
		free(s);
	}
	tctx_rm(&t);
}

static void
test_prune_by_age(void)
{
	struct audit_verify_result res;
	struct audit_opts o;
	struct tctx t;
	char *rep = NULL;
	int64_t prune_seq;

	tctx_init(&t);
	tctx_opts(&t, &o);
	o.max_age_s = 1;
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	for (int i = 0; i < 10; i++)
		ASSERT_INT_EQ(audit_event(t.a, 0, "test.old", NULL, NULL, NULL),
			0);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	usleep(1200 * 1000);
	ASSERT_INT_EQ(audit_event(t.a, 0, "test.new", "{\"n\":1}", NULL, NULL),
		0);
	ASSERT_INT_EQ(audit_prune(t.a, on_commit, &t), 0);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(t.last_status, 0);
	ASSERT(t.last_seq > 0);
	prune_seq = t.last_seq;
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM events WHERE "
				    "type = 'test.old'"),
		0);
	ASSERT_INT_EQ(raw_count(&t, "SELECT min(id) FROM events"), 12);
	ASSERT_INT_EQ(tctx_verify(&t, &res, &rep), 0);
	ASSERT_INT_EQ(res.problems, 0);
	ASSERT_INT_EQ(res.first_id, 12);
	free(rep);
	/* Nothing more to prune: no new row. */
	ASSERT_INT_EQ(audit_prune(t.a, on_commit, &t), 0);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(t.last_seq, 0);
	tctx_close(&t);
	ASSERT_INT_EQ(tctx_verify(&t, &res, &rep), 0);
	ASSERT_INT_EQ(res.problems, 0);
	free(rep);
	/* Deleting what the prune kept is still caught. */
	ASSERT_INT_EQ(raw_exec(&t, "DELETE FROM events WHERE id = 12"),
		SQLITE_OK);
	ASSERT_INT_EQ(tctx_verify(&t, &res, &rep), 0);
	ASSERT_STR_EQ(res.first_problem, "row 12 missing (deleted)");
	free(rep);
	/* So is an edited anchor (the prune row no longer hashes). */
	{
		char sql[200];

		snprintf(sql, sizeof(sql),
			"UPDATE events SET fields = replace(fields, "
			"'\"first_kept\":12', '\"first_kept\":13') WHERE id = "
			"%lld",
			(long long)prune_seq);
		ASSERT_INT_EQ(raw_exec(&t, sql), SQLITE_OK);
	}
	ASSERT_INT_EQ(tctx_verify(&t, &res, &rep), 0);
	ASSERT(res.problems >= 1);
	ASSERT_STR_CONTAINS(rep, "hash mismatch (edited)");
	free(rep);
	tctx_rm(&t);
}

static void
test_prune_by_size(void)
{
	struct audit_verify_result res;
	struct audit_opts o;
	struct tctx t;
	char big[600], *rep = NULL;

	tctx_init(&t);
	tctx_opts(&t, &o);
	o.max_size_bytes = 256u << 10;
	memset(big, 'x', sizeof(big));
	memcpy(big, "{\"pad\":\"", 8);
	memcpy(big + sizeof(big) - 3, "\"}", 3);
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	for (int i = 0; i < 2500; i++)
		ASSERT_INT_EQ(audit_event(t.a, 0, "test.big", big, NULL, NULL),
			0);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(audit_prune(t.a, on_commit, &t), 0);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	tctx_close(&t);
	ASSERT(raw_count(&t, "SELECT count(*) FROM events WHERE type = "
			     "'audit.prune' AND fields LIKE "
			     "'%\"size\"%'") >= 1);
	ASSERT(raw_count(&t, "SELECT (page_count - freelist_count) * "
			     "page_size FROM pragma_page_count, "
			     "pragma_freelist_count, pragma_page_size") <=
		256 << 10);
	ASSERT_INT_EQ(tctx_verify(&t, &res, &rep), 0);
	ASSERT_INT_EQ(res.problems, 0);
	ASSERT(res.first_id > 1);
	free(rep);
	tctx_rm(&t);
}

struct burst {
	struct tctx *t;
	unsigned n;
	unsigned reentrant;
	int64_t last;
	bool in_order;
};

static void
on_burst(void *arg, int status, int64_t seq)
{
	struct burst *b = arg;

	if (status != 0)
		b->t->failures++;
	else
		b->t->commits++;
	if (seq <= b->last)
		b->in_order = false;
	b->last = seq;
	/* Enqueue from inside a completion callback, too. */
	if (b->reentrant < 10 && b->t->commits % 500 == 0) {
		b->reentrant++;
		(void)audit_event(b->t->a, 0, "test.reentrant", NULL, NULL,
			NULL);
	}
}

static void
test_concurrency(void)
{
	struct audit_verify_result res;
	struct audit_opts o;
	struct tctx t;
	struct burst b = { .t = &t, .in_order = true };
	char *rep = NULL;

	tctx_init(&t);
	tctx_opts(&t, &o);
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	b.n = 5000;
	for (unsigned i = 0; i < b.n; i++) {
		char f[64];

		snprintf(f, sizeof(f), "{\"i\":%u}", i);
		ASSERT_INT_EQ(audit_event(t.a, 0, "test.burst", f, on_burst,
				      &b),
			0);
	}
	/* All but the first are queued while the writer is busy. */
	ASSERT(t.a->n_pending > 4000);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(t.commits, b.n);
	ASSERT_INT_EQ(t.failures, 0);
	ASSERT(b.in_order);
	tctx_close(&t);
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM events WHERE type "
				    "= 'test.burst'"),
		b.n);
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM events WHERE type "
				    "= 'test.reentrant'"),
		b.reentrant);
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(DISTINCT fields) FROM "
				    "events WHERE type = 'test.burst'"),
		b.n);
	ASSERT_INT_EQ(tctx_verify(&t, &res, &rep), 0);
	ASSERT_INT_EQ(res.problems, 0);
	free(rep);
	tctx_rm(&t);
}

static void
test_lock_mode_reopen(void)
{
	struct audit_verify_result res;
	struct audit_opts o;
	struct audit *second = NULL;
	struct tctx t;
	struct stat st;
	char path[400], why[512], *rep = NULL;
	int64_t sid = 0;
	struct audit_session_info si = { .path = AUDIT_PATH_DIRECT_IP };

	make_trail(&t);
	snprintf(path, sizeof(path), "%s/audit.db", t.dir);
	ASSERT_INT_EQ(stat(path, &st), 0);
	ASSERT_INT_EQ(st.st_mode & 0777, 0600);
	tctx_opts(&t, &o);
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	/* One writer at a time. */
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &second, why, sizeof(why)),
		OP_ERR_STATE);
	ASSERT_STR_CONTAINS(why, "another outpost process");
	snprintf(path, sizeof(path), "%s/audit.db-wal", t.dir);
	ASSERT_INT_EQ(stat(path, &st), 0);
	ASSERT_INT_EQ(st.st_mode & 0777, 0600);
	/* Session ids continue after a reopen, never reused. */
	ASSERT_INT_EQ(audit_session_open(t.a, &si, &sid, NULL, NULL), 0);
	ASSERT_INT_EQ(sid, 4);
	/* A tail deleted under the running writer is recorded. */
	uv_run(&t.loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(raw_exec(&t, "DELETE FROM events WHERE id = "
				   "(SELECT max(id) FROM events)"),
		SQLITE_OK);
	ASSERT_INT_EQ(audit_event(t.a, 0, "test.after", NULL, NULL, NULL), 0);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	/* Pending records are written before the close completes. */
	for (int i = 0; i < 100; i++)
		ASSERT_INT_EQ(audit_event(t.a, 0, "test.late", NULL, on_commit,
				      &t),
			0);
	t.commits = 0;
	tctx_close(&t);
	ASSERT(t.closed);
	ASSERT_INT_EQ(t.commits, 100);
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM events WHERE type "
				    "= 'audit.discontinuity'"),
		1);
	/* The chain cannot show a deleted tail; the writer's record of it
	 * is reported. */
	ASSERT_INT_EQ(tctx_verify(&t, &res, &rep), 0);
	ASSERT_U64_EQ(res.problems, 1);
	ASSERT_U64_EQ(res.discontinuities, 1);
	ASSERT_STR_CONTAINS(rep, "tail changed under it");
	free(rep);
	/* Unsafe mode: refused with the fix. */
	snprintf(path, sizeof(path), "%s/audit.db", t.dir);
	ASSERT_INT_EQ(chmod(path, 0644), 0);
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &second, why, sizeof(why)),
		OP_ERR_PERM);
	ASSERT_STR_CONTAINS(why, "chmod 600");
	tctx_rm(&t);
}

static void
test_event_validation(void)
{
	struct audit_opts o;
	struct tctx t;

	tctx_init(&t);
	tctx_opts(&t, &o);
	o.quiet = true;
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	ASSERT_INT_EQ(audit_event(t.a, 0, "Bad", NULL, NULL, NULL),
		OP_ERR_RANGE);
	ASSERT_INT_EQ(audit_event(t.a, 0, "audit.prune", NULL, NULL, NULL),
		OP_ERR_RANGE);
	ASSERT_INT_EQ(audit_event(t.a, 0, "x.y", "[1]", NULL, NULL),
		OP_ERR_RANGE);
	ASSERT_INT_EQ(audit_event(t.a, 0, "x.y", "{\"a\":1} x", NULL, NULL),
		OP_ERR_RANGE);
	ASSERT_INT_EQ(audit_event(t.a, 0, "x.y", "{\"a\":\"\xff\"}", NULL,
			      NULL),
		OP_ERR_RANGE);
	ASSERT_INT_EQ(audit_event(t.a, 0, "x.y",
			      "{\"a\":[1,2.5e3,true,null,{\"b\":\"\\u00e9\"}]}",
			      on_commit, &t),
		0);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(t.commits, 1);
	tctx_close(&t);
	/* quiet: only the one event. */
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM events"), 1);
	ASSERT_INT_EQ(audit_event(NULL, 0, "x.y", NULL, NULL, NULL),
		OP_ERR_STATE);
	tctx_rm(&t);
}

static void
test_mirror_and_ids(void)
{
	static const char *const types[] = { "audit.open", "audit.close",
		"audit.prune", "audit.discontinuity", "session.open",
		"session.authorized", "session.denied", "session.lockout",
		"session.close", "session.preauth", "config.reload",
		"x.custom" };
	static const enum audit_mirror modes[] = { AUDIT_MIRROR_JOURNALD,
		AUDIT_MIRROR_SYSLOG, AUDIT_MIRROR_AUTO };
	struct audit_verify_result res;
	struct audit_opts o;
	struct tctx t;
	char *rep = NULL;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		const char *id = audit_message_id(types[i]);

		ASSERT_INT_EQ(strlen(id), 32);
		ASSERT_INT_EQ(strspn(id, "0123456789abcdef"), 32);
		for (size_t j = 0; j < i; j++)
			ASSERT(strcmp(id, audit_message_id(types[j])) != 0);
	}
	ASSERT_STR_EQ(audit_message_id("session.authorized"),
		AUDIT_MSGID_SESSION_AUTHORIZED);
	ASSERT_STR_EQ(audit_message_id("anything.else"), AUDIT_MSGID_OTHER);
	/* Every mirror, with hostile text (the daemons may be absent). */
	tctx_init(&t);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct audit_denial d = { .reason = "x\n\x1b[2J",
			.peer_id = "\xff\xfe",
			.peer_name = "a\r\nMESSAGE=forged",
			.message = "PRIORITY=0" };

		tctx_opts(&t, &o);
		o.mirror = modes[i];
		ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
		ASSERT_INT_EQ(audit_denied(t.a, 0, &d, on_commit, &t), 0);
		uv_run(&t.loop, UV_RUN_DEFAULT);
		tctx_close(&t);
	}
	ASSERT_INT_EQ(t.commits, 3);
	ASSERT_INT_EQ(tctx_verify(&t, &res, &rep), 0);
	ASSERT_INT_EQ(res.problems, 0);
	free(rep);
	tctx_rm(&t);
}

int
main(void)
{
	RUN(test_chain_intact);
	RUN(test_edit_detected);
	RUN(test_delete_detected);
	RUN(test_rehash_detected);
	RUN(test_hostile_values);
	RUN(test_hostile_text);
	RUN(test_prune_by_age);
	RUN(test_prune_by_size);
	RUN(test_concurrency);
	RUN(test_lock_mode_reopen);
	RUN(test_event_validation);
	RUN(test_mirror_and_ids);
	return th_done();
}
