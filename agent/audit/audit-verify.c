/* SPDX-License-Identifier: MIT */
/*
 * Opening the trail for reading, and `audit verify`: walks every row of
 * the events table in id order, recomputes each hash from the stored
 * content and checks that it links to the row before it (or, for the
 * first row kept after pruning, to the anchor the newest audit.prune
 * event recorded). It names the first row that does not verify and keeps
 * going (resynchronising on the stored hashes) to count the rest:
 *   row events#17: hash mismatch (edited)
 *   rows 12-13 missing (deleted)
 *   row events#8: edited and re-hashed (events#9 no longer links to it)
 * The file is untrusted: every column's type is checked before use and a
 * row whose values have the wrong type is reported, never trusted. What a
 * hash chain cannot show — rows cut off the end, or the whole chain
 * recomputed by someone who can write the file — needs an outside copy of
 * the head (the journal mirror), which is why the head is reported. Nor
 * can it show records that were never written: the writer records those
 * as audit.discontinuity events, and each is reported here as a problem.
 */
#include "audit/audit-internal.h"
#include "audit/audit-query.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "core/err.h"
#include "core/time.h"
#include "platform/securefile.h"

#define MAX_REPORTED 50

struct audit_reader {
	sqlite3 *db;
};

struct sqlite3 *
audit__reader_db(struct audit_reader *r)
{
	return r->db;
}

/*
 * A read-only sqlite connection to a WAL database creates the -wal and
 * -shm files it reads through and cannot remove them (that takes a
 * checkpoint, which is a write), so reading a trail the agent had closed
 * cleanly would leave both behind. When there is no -wal (no writer has
 * it open), the reader opens read-write with query_only, so that it can
 * change nothing yet removes what it created when it closes as the last
 * connection; a writer that starts meanwhile keeps them (sqlite's own
 * locks decide). With a -wal, or when the file is not writable, it opens
 * read-only as before.
 */
static int
open_reader_db(const char *path, sqlite3 **db)
{
	int rc;

	*db = NULL;
	if (audit__reader_may_write(path)) {
		rc = sqlite3_open_v2(path, db,
			SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
		if (rc == SQLITE_OK &&
			sqlite3_exec(*db, "PRAGMA query_only=ON", NULL, NULL,
				NULL) == SQLITE_OK)
			return SQLITE_OK;
		sqlite3_close_v2(*db);
		*db = NULL;
	}
	return sqlite3_open_v2(path, db,
		SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL);
}

int
audit_reader_open(const char *state_dir, struct audit_reader **out,
	char *why, size_t why_size)
{
	char path[4200];
	char w[512] = "";
	struct audit_reader *r = NULL;
	sqlite3_stmt *q = NULL;
	int rc, e = 0;

	*out = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s" SFILE_SEP "%s",
		    state_dir, AUDIT_DB_NAME) >= sizeof(path)) {
		e = OP_ERR_RANGE;
		snprintf(w, sizeof(w), "state directory path too long");
		goto out;
	}
	if ((e = audit__file_exists(path)) != 0) {
		snprintf(w, sizeof(w), "%s: %s%s", path, strerror(-e),
			e == -ENOENT ? " (nothing recorded yet)" : "");
		goto out;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		e = OP_ERR_NOMEM;
		goto out;
	}
	rc = open_reader_db(path, &r->db);
	if (rc != SQLITE_OK) {
		e = audit__sqlite_err(rc);
		snprintf(w, sizeof(w), "%s: %s", path,
			r->db != NULL ? sqlite3_errmsg(r->db) :
					sqlite3_errstr(rc));
		goto out;
	}
	(void)sqlite3_db_config(r->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	(void)sqlite3_db_config(r->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	(void)sqlite3_db_config(r->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	(void)sqlite3_limit(r->db, SQLITE_LIMIT_LENGTH, 1 << 20);
	(void)sqlite3_exec(r->db, "PRAGMA cell_size_check=ON", NULL, NULL,
		NULL);
	sqlite3_busy_timeout(r->db, 5000);
	rc = sqlite3_prepare_v2(r->db,
		"SELECT id, time_us, session, type, fields, prev_hash, hash "
		"FROM events LIMIT 0",
		-1, &q, NULL);
	sqlite3_finalize(q);
	if (rc != SQLITE_OK) {
		int prim = rc & 0xff;

		e = OP_ERR_PROTO;
		if (prim == SQLITE_CANTOPEN || prim == SQLITE_PERM)
			e = -EACCES;
		snprintf(w, sizeof(w),
			"%s: damaged, or not an outpost audit database (%s)",
			path, sqlite3_errmsg(r->db));
		goto out;
	}
	*out = r;
	r = NULL;
out:
	if (why != NULL && why_size > 0)
		snprintf(why, why_size, "%s", w[0] ? w : op_strerror(e));
	audit_reader_free(r);
	return e;
}

void
audit_reader_free(struct audit_reader *r)
{
	if (r == NULL)
		return;
	sqlite3_close_v2(r->db);
	free(r);
}

struct vstate {
	FILE *report;
	struct audit_verify_result *res;
};

__attribute__((format(printf, 2, 3))) static void
problem(struct vstate *v, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (v->res->problems == 0)
		snprintf(v->res->first_problem, sizeof(v->res->first_problem),
			"%s", line);
	v->res->problems++;
	if (v->report == NULL)
		return;
	if (v->res->problems <= MAX_REPORTED)
		fprintf(v->report, "%s\n", line);
	else if (v->res->problems == MAX_REPORTED + 1)
		fprintf(v->report, "(more problems not listed)\n");
}

static void
missing(struct vstate *v, int64_t from, int64_t to, const char *why)
{
	if (from == to)
		problem(v, "row %" PRId64 " missing (%s)", from, why);
	else
		problem(v, "rows %" PRId64 "-%" PRId64 " missing (%s)", from,
			to, why);
}

static int
quick_check(sqlite3 *db, struct vstate *v)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(20)", -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		char clean[120];

		rc = SQLITE_OK;
		if (t != NULL && strcmp(t, "ok") == 0)
			continue;
		audit__sanitize(clean, sizeof(clean), t, t ? strlen(t) : 0);
		problem(v, "database file damaged: %s", clean);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_OK) {
		problem(v, "database file damaged: %s", sqlite3_errstr(rc));
		return audit__sqlite_err(rc);
	}
	return 0;
}

/* The newest audit.prune event: first_kept and anchor. */
struct anchor {
	int64_t prune_id; /* 0 = none */
	int64_t first_kept;
	char hash[130];
};

static void
read_anchor(sqlite3 *db, struct anchor *a)
{
	sqlite3_stmt *st = NULL;

	memset(a, 0, sizeof(*a));
	if (sqlite3_prepare_v2(db,
		    "SELECT id, CASE WHEN json_valid(fields) THEN "
		    "json_extract(fields, '$.first_kept') END, "
		    "CASE WHEN json_valid(fields) THEN "
		    "json_extract(fields, '$.anchor') END FROM events "
		    "WHERE type = 'audit.prune' ORDER BY id DESC LIMIT 1",
		    -1, &st, NULL) == SQLITE_OK &&
		sqlite3_step(st) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 2);

		a->prune_id = sqlite3_column_int64(st, 0);
		if (sqlite3_column_type(st, 1) == SQLITE_INTEGER)
			a->first_kept = sqlite3_column_int64(st, 1);
		if (h != NULL)
			snprintf(a->hash, sizeof(a->hash), "%s", h);
	}
	sqlite3_finalize(st);
}

/* A column as bytes, or NULL when it is not TEXT (or BLOB if allowed). */
static const char *
col_text(sqlite3_stmt *st, int i, size_t *n)
{
	int t = sqlite3_column_type(st, i);
	const char *p;

	*n = 0;
	if (t != SQLITE_TEXT && t != SQLITE_BLOB)
		return NULL;
	p = t == SQLITE_TEXT ? (const char *)sqlite3_column_text(st, i) :
			       (const char *)sqlite3_column_blob(st, i);
	*n = (size_t)sqlite3_column_bytes(st, i);
	return p != NULL ? p : "";
}

/* "2026-12-05T13:00:00.123456Z" for a time in microseconds. */
static void
iso_us(int64_t us, char *out, size_t size)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (us <= 0 || op_gmtime(&t, &tm) == NULL) {
		snprintf(out, size, "an unknown time");
		return;
	}
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec, (int)(us % 1000000));
}

static int64_t
col_i64(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_INTEGER ?
		sqlite3_column_int64(st, i) :
		0;
}

/*
 * The audit.discontinuity records: each says that the trail is not
 * whole, which the chain cannot show. Written by the agent when records
 * could not be written (reason write-failed: how many, made when, why) or
 * when the chain's tail changed under the writer (tail-changed).
 */
static void
discontinuities(sqlite3 *db, struct vstate *v)
{
	sqlite3_stmt *st = NULL;

#define J(k) "CASE WHEN json_valid(fields) THEN json_extract(fields, '$." k \
	     "') END"
	if (sqlite3_prepare_v2(db,
		    "SELECT id, " J("reason") ", " J("lost") ", " J("refused")
		    ", " J("first_us") ", " J("last_us") ", " J("error") ", "
		    J("expected_id") ", " J("found_id") " FROM events WHERE "
		    "type = 'audit.discontinuity' ORDER BY id",
		    -1, &st, NULL) != SQLITE_OK) {
		problem(v, "reading the discontinuity records failed");
		return;
	}
#undef J
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *reason = (const char *)sqlite3_column_text(st, 1);
		const char *err = (const char *)sqlite3_column_text(st, 6);
		int64_t id = col_i64(st, 0);
		int64_t lost = col_i64(st, 2) + col_i64(st, 3);
		char from[40], to[40], clean[100];

		v->res->discontinuities++;
		if (reason != NULL && strcmp(reason, "write-failed") == 0) {
			v->res->lost += lost > 0 ? (uint64_t)lost : 0;
			iso_us(col_i64(st, 4), from, sizeof(from));
			iso_us(col_i64(st, 5), to, sizeof(to));
			audit__sanitize(clean, sizeof(clean), err,
				err != NULL ? strlen(err) : 0);
			problem(v,
				"events#%" PRId64 ": %" PRId64 " record%s lost "
				"(never written) between %s and %s: %s",
				id, lost, lost == 1 ? "" : "s", from, to,
				clean[0] ? clean : "write failed");
		} else {
			problem(v,
				"events#%" PRId64 ": the writer found the "
				"chain's tail changed under it (expected "
				"events#%" PRId64 ", found events#%" PRId64 ")",
				id, col_i64(st, 7), col_i64(st, 8));
		}
	}
	sqlite3_finalize(st);
}

int
audit_verify(struct audit_reader *r, FILE *report,
	struct audit_verify_result *res)
{
	struct vstate v = { report, res };
	char expect[130] = ""; /* stored hash of the previous row */
	bool have_expect = false;
	struct anchor an;
	sqlite3_stmt *st = NULL;
	int64_t prev_id = 0;
	int rc, e;

	memset(res, 0, sizeof(*res));
	if ((e = quick_check(r->db, &v)) != 0)
		return 0; /* reported; the walk would not be meaningful */
	read_anchor(r->db, &an);
	rc = sqlite3_prepare_v2(r->db,
		"SELECT id, time_us, session, type, fields, prev_hash, hash "
		"FROM events ORDER BY id",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return audit__sqlite_err(rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct audit_row row = { 0 };
		char h[AUDIT_HASH_HEX + 1];
		const char *hash;
		size_t hash_len;
		int ts = sqlite3_column_type(st, 2);
		bool first = res->rows == 0;

		row.id = sqlite3_column_int64(st, 0);
		res->rows++;
		if (first) {
			res->first_id = row.id;
			if (row.id == 1) {
				snprintf(expect, sizeof(expect), "%s",
					AUDIT_GENESIS);
				have_expect = true;
			} else if (an.prune_id != 0 &&
				an.first_kept == row.id) {
				snprintf(expect, sizeof(expect), "%s", an.hash);
				have_expect = true;
			} else if (an.prune_id != 0 && an.first_kept < row.id &&
				an.first_kept > 0) {
				missing(&v, an.first_kept, row.id - 1,
					"deleted");
			} else if (an.prune_id != 0) {
				problem(&v,
					"row events#%" PRId64
					": older than the first row the "
					"pruning in events#%" PRId64
					" kept (inserted, or the prune record "
					"edited)",
					row.id, an.prune_id);
			} else {
				missing(&v, 1, row.id - 1, "deleted");
			}
		} else if (row.id != prev_id + 1) {
			missing(&v, prev_id + 1, row.id - 1, "deleted");
			have_expect = false;
		}
		prev_id = row.id;
		row.prev_hash = col_text(st, 5, &row.prev_len);
		row.type = col_text(st, 3, &row.type_len);
		row.fields = col_text(st, 4, &row.fields_len);
		hash = col_text(st, 6, &hash_len);
		if (sqlite3_column_type(st, 1) != SQLITE_INTEGER ||
			(ts != SQLITE_NULL && ts != SQLITE_INTEGER) ||
			row.type == NULL || row.fields == NULL ||
			!audit__hash_text_valid(row.prev_hash, row.prev_len) ||
			!audit__hash_text_valid(hash, hash_len)) {
			problem(&v,
				"row events#%" PRId64
				": malformed values (edited)",
				row.id);
			have_expect = hash != NULL && hash_len < sizeof(expect);
			if (have_expect)
				snprintf(expect, sizeof(expect), "%.*s",
					(int)hash_len, hash);
			continue;
		}
		row.time_us = sqlite3_column_int64(st, 1);
		row.has_session = ts == SQLITE_INTEGER;
		row.session = sqlite3_column_int64(st, 2);
		audit__chain_hash(&row, h);
		if (memcmp(h, hash, AUDIT_HASH_HEX) != 0) {
			problem(&v, "row events#%" PRId64 ": hash mismatch "
				    "(edited)",
				row.id);
		} else if (have_expect &&
			(strlen(expect) != AUDIT_HASH_HEX ||
				memcmp(expect, row.prev_hash,
					AUDIT_HASH_HEX) != 0)) {
			if (first && row.id == 1)
				problem(&v, "row events#1: does not start "
					    "from the genesis hash (edited)");
			else if (first)
				problem(&v,
					"row events#%" PRId64
					": does not link to the anchor "
					"recorded by the pruning in "
					"events#%" PRId64 " (edited)",
					row.id, an.prune_id);
			else
				problem(&v,
					"row events#%" PRId64
					": edited and re-hashed "
					"(events#%" PRId64
					" no longer links to it)",
					row.id - 1, row.id);
		}
		memcpy(expect, hash, AUDIT_HASH_HEX);
		expect[AUDIT_HASH_HEX] = '\0';
		have_expect = true;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		problem(&v, "reading the events failed: %s",
			sqlite3_errstr(rc));
		return 0;
	}
	res->last_id = prev_id;
	if (have_expect && audit__hash_text_valid(expect, strlen(expect)))
		snprintf(res->head_hash, sizeof(res->head_hash), "%s", expect);
	discontinuities(r->db, &v);
	return 0;
}
