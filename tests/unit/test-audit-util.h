/* SPDX-License-Identifier: MIT */
/* Helpers shared by test-audit.c and test-audit-fwd.c. */
#ifndef OP_TESTS_TEST_AUDIT_UTIL_H
#define OP_TESTS_TEST_AUDIT_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <uv.h>

#include "audit/audit-internal.h"
#include "audit/audit-query.h"
#include "audit/audit.h"
#include "core/err.h"
#include "th-audit.h"

struct tctx {
	uv_loop_t loop;
	char dir[256];
	struct audit *a;
	unsigned commits;    /* callbacks with status 0 */
	unsigned failures;   /* callbacks with status < 0 */
	int last_status;
	int64_t last_seq;
	bool closed;
};

static inline void
tctx_init(struct tctx *t)
{
	memset(t, 0, sizeof(*t));
	uv_loop_init(&t->loop);
	snprintf(t->dir, sizeof(t->dir), "/tmp/op-audit-XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		abort();
}

static inline void
tctx_rm(struct tctx *t)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", t->dir);
	uv_loop_close(&t->loop);
}

static inline void
tctx_opts(struct tctx *t, struct audit_opts *o)
{
	th_audit_opts(o, t->dir);
}

static inline void
on_commit(void *arg, int status, int64_t seq)
{
	struct tctx *t = arg;

	if (status == 0)
		t->commits++;
	else
		t->failures++;
	t->last_status = status;
	t->last_seq = seq;
}

static inline void
on_closed(void *arg)
{
	((struct tctx *)arg)->closed = true;
}

/* Closes t->a and runs the loop until it is gone. */
static inline void
tctx_close(struct tctx *t)
{
	if (t->a == NULL)
		return;
	t->closed = false;
	audit_close(t->a, on_closed, t);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	t->a = NULL;
}

/* A raw read-write connection for tampering and counting. */
static inline sqlite3 *
raw_open(const struct tctx *t)
{
	char path[400];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/audit.db", t->dir);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		abort();
	return db;
}

static inline long long
raw_count(const struct tctx *t, const char *sql)
{
	sqlite3 *db = raw_open(t);
	sqlite3_stmt *st = NULL;
	long long n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
		sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static inline int
raw_exec(const struct tctx *t, const char *sql)
{
	sqlite3 *db = raw_open(t);
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	sqlite3_close(db);
	return rc;
}

/* Verifies the trail; res filled; the report text goes to *report
 * (caller frees). */
static inline int
tctx_verify(const struct tctx *t, struct audit_verify_result *res,
	char **report)
{
	struct audit_reader *r = NULL;
	size_t len = 0;
	FILE *f = open_memstream(report, &len);
	int e = audit_reader_open(t->dir, &r, NULL, 0);

	if (e == 0)
		e = audit_verify(r, f, res);
	fclose(f);
	audit_reader_free(r);
	return e;
}

#endif
