/* SPDX-License-Identifier: MIT */
/*
 * Retention: deletes the oldest rows of the chain when they are older
 * than max_age or when the database uses more than max_size, inside the
 * writer's transaction, and turns the request into an audit.prune event
 * that records the first row kept and the hash of the last row deleted.
 * That hash is the new anchor: `audit verify` checks that the first
 * remaining row's prev_hash equals it, so pruning keeps the chain
 * verifiable and an unrecorded deletion of old rows is still caught. Only
 * whole prefixes of the chain are deleted, never rows in the middle.
 * Runs on the worker thread with the job's connection.
 */
#include "audit/audit-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/err.h"

/* One integer from sql with up to one bound integer (has_arg). */
static int
q_i64(sqlite3 *db, const char *sql, bool has_arg, int64_t arg, int64_t dflt,
	int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = dflt;
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		return audit__sqlite_err(rc);
	if (has_arg)
		sqlite3_bind_int64(st, 1, arg);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_INTEGER)
			*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : audit__sqlite_err(rc);
}

int
audit__db_used(struct audit_db *d, int64_t *used)
{
	int64_t pages = 0, free_pages = 0, page_size = 0;
	int e;

	*used = 0;
	if ((e = q_i64(d->db, "PRAGMA page_count", false, 0, 0, &pages)) !=
			0 ||
		(e = q_i64(d->db, "PRAGMA freelist_count", false, 0, 0,
			 &free_pages)) != 0 ||
		(e = q_i64(d->db, "PRAGMA page_size", false, 0, 0,
			 &page_size)) != 0)
		return e;
	if (pages > free_pages && page_size > 0)
		*used = (pages - free_pages) * page_size;
	return 0;
}

/* First id to keep under the size limit, or 0 when within it. */
static int
size_limit(struct audit_db *d, uint64_t max, int64_t *fk)
{
	int64_t count = 0, in_use = 0;
	uint64_t used, target, n_del;
	int e;

	*fk = 0;
	if ((e = audit__db_used(d, &in_use)) != 0 || in_use <= 0)
		return e;
	used = (uint64_t)in_use;
	if (used <= max)
		return 0;
	if ((e = q_i64(d->db, "SELECT count(*) FROM events", false, 0, 0,
		     &count)) != 0 ||
		count <= 0)
		return e;
	/* Go down to three quarters of the limit, so that pruning does not
	 * run again for every few records; rows are roughly equal in size. */
	target = max / 4 * 3;
	n_del = (uint64_t)((double)count * (double)(used - target) /
			(double)used) +
		1;
	if (n_del >= (uint64_t)count) {
		*fk = d->last_id + 1;
		return 0;
	}
	return q_i64(d->db,
		"SELECT id FROM events ORDER BY id LIMIT 1 OFFSET ?", true,
		(int64_t)n_del, 0, fk);
}

static int
read_anchor(struct audit_db *d, int64_t fk, struct audit_buf *f)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(d->db,
		"SELECT hash FROM events WHERE id < ? ORDER BY id DESC LIMIT 1",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return audit__sqlite_err(rc);
	sqlite3_bind_int64(st, 1, fk);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);

		/* Copied as stored (even if edited): verify compares the
		 * next row's prev_hash with exactly this. */
		audit__buf_json_str(f, h != NULL ? h : "",
			n > 128 ? 128 : n);
		rc = SQLITE_DONE;
	} else if (rc == SQLITE_DONE) {
		audit__buf_json_cstr(f, AUDIT_GENESIS);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : audit__sqlite_err(rc);
}

int
audit__db_prune(struct audit_db *d, struct audit_job *job,
	struct audit_rec *r)
{
	int64_t min_id = 0, fk_age = 0, fk_size = 0, fk, deleted;
	struct audit_buf f, m;
	const char *why;
	sqlite3_stmt *st = NULL;
	int rc, e;

	if ((e = q_i64(d->db, "SELECT min(id) FROM events", false, 0, 0,
		     &min_id)) != 0 ||
		min_id == 0)
		return e;
	if (job->max_age_s > 0) {
		uint64_t age_us = job->max_age_s > INT64_MAX / 1000000 ?
			(uint64_t)INT64_MAX :
			job->max_age_s * 1000000u;
		int64_t cutoff = (uint64_t)job->now_us > age_us ?
			job->now_us - (int64_t)age_us :
			INT64_MIN;

		if ((e = q_i64(d->db,
			     "SELECT min(id) FROM events WHERE time_us >= ?",
			     true, cutoff, d->last_id + 1, &fk_age)) != 0)
			return e;
	}
	if (job->max_size_bytes > 0 &&
		(e = size_limit(d, job->max_size_bytes, &fk_size)) != 0)
		return e;
	fk = fk_age > fk_size ? fk_age : fk_size;
	if (fk <= min_id)
		return 0;
	why = fk_age >= fk && fk_size >= fk ? "age+size" :
		fk_age >= fk		    ? "age" :
						"size";

	audit__buf_init(&f, 2048);
	audit__buf_printf(&f, "{\"first_kept\":%" PRId64 ",\"anchor\":", fk);
	if ((e = read_anchor(d, fk, &f)) != 0) {
		audit__buf_free(&f);
		return e;
	}
	rc = sqlite3_prepare_v2(d->db, "DELETE FROM events WHERE id < ?", -1,
		&st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, fk);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(job->why, sizeof(job->why), "prune: %s",
			sqlite3_errmsg(d->db));
		audit__buf_free(&f);
		return audit__sqlite_err(rc);
	}
	deleted = sqlite3_changes64(d->db);
	audit__buf_printf(&f,
		",\"deleted\":%" PRId64 ",\"reason\":\"%s\","
		"\"max_age_s\":%" PRIu64 ",\"max_size_bytes\":%" PRIu64 "}",
		deleted, why, job->max_age_s, job->max_size_bytes);
	audit__buf_init(&m, 512);
	audit__buf_printf(&m,
		"audit retention (%s): pruned %" PRId64
		" records; events#%" PRId64 " is the first kept",
		why, deleted, fk);
	snprintf(r->type, sizeof(r->type), "audit.prune");
	r->fields = audit__buf_steal(&f);
	r->message = audit__buf_steal(&m);
	r->priority = 5;
	if (r->fields == NULL || r->message == NULL) {
		free(r->fields);
		free(r->message);
		r->fields = r->message = NULL;
		return OP_ERR_NOMEM;
	}
	r->fields_len = strlen(r->fields);
	job->pruned = true;
	return 0;
}
