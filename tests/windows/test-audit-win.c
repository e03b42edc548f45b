/* SPDX-License-Identifier: MIT */
/*
 * The audit trail under wine, in a real sqlite file: sessions written
 * through the libuv thread pool, the chain verified, listed, shown and
 * exported (JSON lines, CSV); a row edited behind the writer's back and a
 * deleted one are reported; a second writer is refused by the lock; a
 * database file that lets Everyone in is refused with the icacls fix;
 * with the mirror on, each record's line reaches the log file (the
 * Windows log sink; the Event Log beside it is not readable back under
 * wine); pruning by age removes the old rows and the chain still
 * verifies from the prune record's anchor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <uv.h>

#include "core/err.h"
#include "core/log.h"
#include "platform/securefile.h"
#include "th-audit.h"
#include "th-wfs.h"
#include "th.h"

static char base[MAX_PATH];

#define VERIFY (-1) /* capture: audit_verify */

struct tctx {
	uv_loop_t loop;
	char dir[MAX_PATH + 64];
	struct audit *a;
	unsigned commits;
	unsigned failures;
};

static void
on_commit(void *arg, int status, int64_t seq)
{
	struct tctx *t = arg;

	(void)seq;
	if (status == 0)
		t->commits++;
	else
		t->failures++;
}

static void
tctx_init(struct tctx *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	uv_loop_init(&t->loop);
	snprintf(t->dir, sizeof(t->dir), "%s\\%s", base, name);
}

static void
on_closed(void *arg)
{
	(void)arg;
}

static void
tctx_close(struct tctx *t)
{
	if (t->a == NULL)
		return;
	audit_close(t->a, on_closed, t);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	t->a = NULL;
}

static void
tctx_done(struct tctx *t)
{
	tctx_close(t);
	uv_loop_close(&t->loop);
}

static int
one_session(struct tctx *t, int i, bool denied)
{
	struct sockaddr_in sin;
	struct audit_session_info si = { .path = AUDIT_PATH_RELAY,
		.encrypted = true };
	int64_t sid = 0;
	int r;

	uv_ip4_addr("192.0.2.10", 40000 + i, &sin);
	si.source = (const struct sockaddr *)&sin;
	if ((r = audit_session_open(t->a, &si, &sid, on_commit, t)) != 0)
		return r;
	if (denied) {
		struct audit_denial d = { .reason = "wrong-password",
			.peer_id = "555000111", .peer_name = "mallory",
			.method = AUDIT_AUTH_PERMANENT_PASSWORD };

		r = audit_denied(t->a, sid, &d, on_commit, t);
	} else {
		struct audit_auth au = { .peer_id = "555000111",
			.peer_name = "alice", .kind = AUDIT_CONN_DESKTOP,
			.method = AUDIT_AUTH_PERMANENT_PASSWORD,
			.permissions = AUDIT_PERM_KEYBOARD,
			.encrypted = true };

		r = audit_authorized(t->a, sid, &au, on_commit, t);
	}
	return r != 0 ? r :
			audit_session_close(t->a, sid, "peer closed", 1000,
				2000, on_commit, t);
}

/* audit.open, 2 sessions x 3, audit.close: 8 rows. */
static int
make_trail(struct tctx *t, const char *name)
{
	struct audit_opts o;
	int r;

	tctx_init(t, name);
	th_audit_opts(&o, t->dir);
	if ((r = audit_open(&t->loop, &o, &t->a, NULL, 0)) != 0 ||
		(r = one_session(t, 1, false)) != 0 ||
		(r = one_session(t, 2, true)) != 0)
		return r;
	uv_run(&t->loop, UV_RUN_DEFAULT);
	tctx_close(t);
	return 0;
}

/* What a reader call (th-audit.h's, or verify into *res when what is
 * -1) writes, read back from a file (no open_memstream here); NULL when
 * the call failed. */
static char *
capture(const struct tctx *t, int what, int64_t arg,
	struct audit_verify_result *res)
{
	static unsigned seq;
	struct audit_reader *r = NULL;
	char path[MAX_PATH + 64], *out = NULL;
	FILE *f;
	long n;
	int e;

	snprintf(path, sizeof(path), "%s\\out-%u.txt", base, seq++);
	if ((f = fopen(path, "w+b")) == NULL)
		return NULL;
	if (what >= 0) {
		e = th_audit_read(t->dir, (enum th_audit_read)what, arg, f);
	} else if ((e = audit_reader_open(t->dir, &r, NULL, 0)) == 0) {
		e = audit_verify(r, f, res);
		audit_reader_free(r);
	}
	if (e == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
		(out = calloc(1, (size_t)n + 1)) != NULL &&
		fread(out, 1, (size_t)n, f) != (size_t)n) {
		free(out);
		out = NULL;
	}
	fclose(f);
	return out;
}

static int
raw_exec(const struct tctx *t, const char *sql)
{
	char path[MAX_PATH + 80];
	sqlite3 *db = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s\\audit.db", t->dir);
	if ((rc = sqlite3_open(path, &db)) == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static void
test_chain_and_queries(void)
{
	struct audit_verify_result res;
	struct tctx t;
	char *s;

	ASSERT_INT_EQ(make_trail(&t, "chain"), 0);
	ASSERT_INT_EQ(t.commits, 6);
	ASSERT_INT_EQ(t.failures, 0);
	s = capture(&t, VERIFY, 0, &res);
	ASSERT(s != NULL);
	free(s);
	ASSERT_U64_EQ(res.problems, 0);
	ASSERT_U64_EQ(res.rows, 8);
	ASSERT_INT_EQ(res.last_id, 8);
	ASSERT_INT_EQ(strlen(res.head_hash), 64);
	s = capture(&t, TH_AUDIT_LIST, 0, NULL);
	ASSERT_STR_CONTAINS(s, "alice");
	ASSERT_STR_CONTAINS(s, "denied:wrong-password");
	ASSERT_STR_CONTAINS(s, "192.0.2.10:40002");
	free(s);
	s = capture(&t, TH_AUDIT_LIST_JSON, 0, NULL);
	ASSERT_STR_CONTAINS(s, "\"permissions\":[\"keyboard\"]");
	free(s);
	s = capture(&t, TH_AUDIT_SHOW, 1, NULL);
	ASSERT_STR_CONTAINS(s, "session.authorized");
	free(s);
	ASSERT(capture(&t, TH_AUDIT_SHOW, 99, NULL) == NULL);
	s = capture(&t, TH_AUDIT_JSONL, 0, NULL);
	ASSERT_STR_CONTAINS(s, "\"type\":\"audit.open\"");
	ASSERT_STR_CONTAINS(s, "\"type\":\"session.close\"");
	free(s);
	s = capture(&t, TH_AUDIT_CSV, 0, NULL);
	ASSERT(s != NULL && strncmp(s, "id,time,time_us,session,type,", 29) ==
		0);
	free(s);
	tctx_done(&t);
}

static void
test_tamper_detected(void)
{
	struct audit_verify_result res;
	struct tctx t;
	char *s;

	ASSERT_INT_EQ(make_trail(&t, "tamper"), 0);
	ASSERT_INT_EQ(raw_exec(&t, "UPDATE events SET fields = "
				   "'{\"reason\":\"nothing to see\"}' "
				   "WHERE id = 5"),
		SQLITE_OK);
	s = capture(&t, VERIFY, 0, &res);
	ASSERT_STR_CONTAINS(s, "row events#5: hash mismatch (edited)\n");
	free(s);
	ASSERT_U64_EQ(res.problems, 1);
	ASSERT_STR_EQ(res.first_problem,
		"row events#5: hash mismatch (edited)");
	ASSERT_INT_EQ(raw_exec(&t, "DELETE FROM events WHERE id IN (2, 3)"),
		SQLITE_OK);
	free(capture(&t, VERIFY, 0, &res));
	ASSERT_STR_EQ(res.first_problem, "rows 2-3 missing (deleted)");
	tctx_done(&t);
}

static void
test_lock_and_acl(void)
{
	struct audit_opts o;
	struct audit *second = NULL;
	struct tctx t, u;
	char why[512], f[MAX_PATH + 80];

	ASSERT_INT_EQ(make_trail(&t, "lock"), 0);
	th_audit_opts(&o, t.dir);
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	/* One writer at a time: the byte-range lock. */
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &second, why, sizeof(why)),
		OP_ERR_STATE);
	ASSERT_STR_CONTAINS(why, "another outpost process");
	tctx_close(&t);
	/* Released with the handle: a writer may open it again. */
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	tctx_done(&t);

	/* A database made by someone else that Everyone may read. */
	tctx_init(&u, "foreign");
	th_audit_opts(&o, u.dir);
	ASSERT_INT_EQ(sfile_ensure_dir(u.dir, why), 0);
	snprintf(f, sizeof(f), "%s\\audit.db", u.dir);
	ASSERT(thw_make_file(f, L"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;WD)",
		false, ""));
	ASSERT_INT_EQ(audit_open(&u.loop, &o, &u.a, why, sizeof(why)),
		OP_ERR_PERM);
	printf("  refused: %s\n", why);
	ASSERT_STR_CONTAINS(why, "S-1-1-0");
	ASSERT_STR_CONTAINS(why, "icacls");
	tctx_done(&u);
}

static void
test_mirror_to_log_file(void)
{
	struct audit_opts o;
	struct tctx t;
	char log[MAX_PATH + 64];
	char *s = NULL;
	FILE *f;
	long n;

	snprintf(log, sizeof(log), "%s\\outpost.log", base);
	op_log_init("outpost-test", OP_LOG_WARNING, OP_LOG_STDERR);
	ASSERT_INT_EQ(op_log_file(log), 0);
	tctx_init(&t, "mirror");
	th_audit_opts(&o, t.dir);
	o.mirror = AUDIT_MIRROR_AUTO; /* the Event Log and the log file */
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	ASSERT_INT_EQ(one_session(&t, 7, false), 0);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	tctx_done(&t);
	ASSERT_INT_EQ(op_log_file(NULL), 0);
	ASSERT((f = fopen(log, "rb")) != NULL);
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
		fseek(f, 0, SEEK_SET) == 0 &&
		(s = calloc(1, (size_t)n + 1)) != NULL)
		(void)!fread(s, 1, (size_t)n, f);
	fclose(f);
	/* Written whatever the log level (warning here). */
	ASSERT_STR_CONTAINS(s, "audit audit.open seq=1 ");
	ASSERT_STR_CONTAINS(s, "audit session.authorized seq=3 session=1 "
			       "peer=555000111 source=192.0.2.10:40007");
	ASSERT_STR_CONTAINS(s, "audit audit.close seq=5 ");
	free(s);
}

static void
test_prune_by_age(void)
{
	struct audit_verify_result res;
	struct audit_opts o;
	struct tctx t;
	char *s;

	ASSERT_INT_EQ(make_trail(&t, "prune"), 0);
	/* Rows 1-4 written two days ago. */
	ASSERT_INT_EQ(raw_exec(&t, "UPDATE events SET time_us = time_us - "
				   "172800000000 WHERE id <= 4"),
		SQLITE_OK);
	th_audit_opts(&o, t.dir);
	o.max_age_s = 86400;
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	tctx_done(&t);
	s = capture(&t, TH_AUDIT_JSONL, 0, NULL);
	ASSERT_STR_CONTAINS(s, "\"type\":\"audit.prune\"");
	ASSERT(strstr(s, "\"id\":1,") == NULL);
	free(s);
	free(capture(&t, VERIFY, 0, &res));
	ASSERT_U64_EQ(res.problems, 0);
	ASSERT_INT_EQ(res.first_id, 5);
}

int
main(void)
{
	if (!thw_tempdir("audit", base, sizeof(base)))
		return 1;
	RUN(test_chain_and_queries);
	RUN(test_tamper_detected);
	RUN(test_lock_and_acl);
	RUN(test_mirror_to_log_file);
	RUN(test_prune_by_age);
	return th_done();
}
