/* SPDX-License-Identifier: MIT */
/*
 * The audit database writer: opens <state_dir>/audit.db (private and
 * exclusively locked so only one process writes the chain: audit__db_lock),
 * creates the schema, and runs the jobs that audit.c hands to the libuv
 * thread pool: one IMMEDIATE transaction per job that checks the chain's
 * tail, prunes if asked, appends the records with their hashes and their
 * forwarding bodies, deletes acknowledged queue rows, and commits with
 * synchronous=FULL; then mirrors the committed records and reads the
 * forwarding queue's head. A failed transaction is rolled back whole and
 * every record in it reports the error.
 *
 * It must not be called from two threads at once: struct audit_db is
 * owned by exactly one thread at a time (audit.c hands it over). It never
 * trusts the file: triggers are disabled, the schema is untrusted
 * (SQLITE_DBCONFIG_TRUSTED_SCHEMA off, DEFENSIVE on) and the chain's tail
 * is re-read in every transaction.
 */
#include "audit/audit-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/err.h"
#include "platform/securefile.h"

static const char schema_sql[] =
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"  /* consecutive from 1, never reused */
	" time_us INTEGER NOT NULL,"
	" session INTEGER,"
	" type TEXT NOT NULL,"
	" fields TEXT NOT NULL,"
	" prev_hash TEXT NOT NULL,"
	" hash TEXT NOT NULL);"
	"CREATE INDEX events_session ON events(session, type);"
	"CREATE INDEX events_time ON events(time_us);"
	"CREATE TABLE forward_queue ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" event_id INTEGER NOT NULL,"
	" path TEXT NOT NULL,"
	" body TEXT NOT NULL);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value);"
	"CREATE VIEW sessions AS " AUDIT_SESSIONS_SQL ";";

int
audit__sqlite_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return OP_ERR_NOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_IOERR:
		return -EIO;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_SCHEMA:
	case SQLITE_ERROR:
		return OP_ERR_PROTO;
	case SQLITE_TOOBIG:
		return OP_ERR_TOO_LARGE;
	case SQLITE_CONSTRAINT:
		return OP_ERR_STATE;
	default:
		return OP_ERR_INTERNAL;
	}
}

static int
fail(sqlite3 *db, int rc, char *why, size_t why_size, const char *what)
{
	if (why != NULL && why_size > 0)
		snprintf(why, why_size, "%s: %s", what,
			db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	return audit__sqlite_err(rc);
}

static int
exec(sqlite3 *db, const char *sql, char *why, size_t why_size)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail(db, rc, why, why_size, sql);
}

/* A single integer from sql; *out = dflt when it gives no row or NULL. */
static int
query_i64(sqlite3 *db, const char *sql, int64_t dflt, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = dflt;
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_INTEGER)
			*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return audit__sqlite_err(rc);
}

/* Hardening for a file that may have been edited by someone else. */
static void
harden(sqlite3 *db)
{
	(void)sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	(void)sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	(void)sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	(void)sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1 << 20);
	(void)sqlite3_exec(db, "PRAGMA cell_size_check=ON", NULL, NULL, NULL);
}

static int
create_schema(sqlite3 *db, char *why, size_t why_size)
{
	int r;

	if ((r = exec(db, "BEGIN IMMEDIATE", why, why_size)) != 0)
		return r;
	if ((r = exec(db, schema_sql, why, why_size)) != 0 ||
		(r = exec(db, "PRAGMA user_version=1", why, why_size)) != 0 ||
		(r = exec(db, "COMMIT", why, why_size)) != 0) {
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	return 0;
}

static int
prepare_all(struct audit_db *d, char *why, size_t why_size)
{
	static const struct {
		size_t off;
		const char *sql;
	} stmts[] = {
		{ offsetof(struct audit_db, st_insert),
			"INSERT INTO events(id, time_us, session, type, "
			"fields, prev_hash, hash) VALUES (?,?,?,?,?,?,?)" },
		{ offsetof(struct audit_db, st_tail),
			"SELECT id, hash FROM events ORDER BY id DESC "
			"LIMIT 1" },
		{ offsetof(struct audit_db, st_queue_add),
			"INSERT INTO forward_queue(event_id, path, body) "
			"VALUES (?,?,?)" },
		{ offsetof(struct audit_db, st_queue_del),
			"DELETE FROM forward_queue WHERE id = ?" },
		{ offsetof(struct audit_db, st_queue_head),
			"SELECT id, body FROM forward_queue ORDER BY id "
			"LIMIT 1" },
		{ offsetof(struct audit_db, st_meta_set),
			"INSERT OR REPLACE INTO meta(key, value) VALUES "
			"('last_session', ?)" },
	};

	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
		sqlite3_stmt **p =
			(sqlite3_stmt **)(void *)((char *)d + stmts[i].off);
		int rc = sqlite3_prepare_v3(d->db, stmts[i].sql, -1,
			SQLITE_PREPARE_PERSISTENT, p, NULL);

		if (rc != SQLITE_OK) {
			snprintf(why, why_size,
				"not an outpost audit database (%s)",
				sqlite3_errmsg(d->db));
			return OP_ERR_PROTO;
		}
	}
	return 0;
}

/* Reads the chain's tail into *id and hash ("" + id 0 when empty). */
static int
read_tail(struct audit_db *d, int64_t *id, char hash[AUDIT_HASH_HEX + 1])
{
	sqlite3_stmt *st = d->st_tail;
	int rc;

	*id = 0;
	snprintf(hash, AUDIT_HASH_HEX + 1, "%s", AUDIT_GENESIS);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 1);
		size_t n = (size_t)sqlite3_column_bytes(st, 1);

		*id = sqlite3_column_int64(st, 0);
		if (audit__hash_text_valid(h, n))
			memcpy(hash, h, AUDIT_HASH_HEX + 1);
		else
			hash[0] = '\0'; /* an edited tail: see check_tail */
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : audit__sqlite_err(rc);
}

int
audit__db_open(const char *state_dir, struct audit_db **out, char *why,
	size_t why_size)
{
	char path[4200];
	char swhy[SFILE_WHY_LEN];
	struct audit_db *d = NULL;
	int64_t v = 0;
	int r;

	*out = NULL;
	why[0] = '\0';
	if ((r = sfile_ensure_dir(state_dir, swhy)) != 0) {
		snprintf(why, why_size, "%s", swhy);
		return r;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s" SFILE_SEP "%s",
		    state_dir, AUDIT_DB_NAME) >= sizeof(path)) {
		snprintf(why, why_size, "state directory path too long");
		return OP_ERR_RANGE;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return OP_ERR_NOMEM;
	d->lock = AUDIT_NO_LOCK;
	if ((r = audit__db_lock(path, &d->lock, why, why_size)) != 0)
		goto out;
	r = sqlite3_open_v2(path, &d->db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW |
			SQLITE_OPEN_FULLMUTEX,
		NULL);
	if (r != SQLITE_OK) {
		r = fail(d->db, r, why, why_size, path);
		goto out;
	}
	harden(d->db);
	sqlite3_busy_timeout(d->db, 5000);
	if ((r = query_i64(d->db, "PRAGMA user_version", 0, &v)) != 0) {
		snprintf(why, why_size, "%s: not a database (%s)", path,
			sqlite3_errmsg(d->db));
		r = OP_ERR_PROTO;
		goto out;
	}
	if (v > AUDIT_SCHEMA_VERSION) {
		snprintf(why, why_size,
			"%s has schema version %" PRId64
			", written by a newer outpost",
			path, v);
		r = OP_ERR_UNSUPPORTED;
		goto out;
	}
	/* auto_vacuum takes effect only on a file nothing was written to,
	 * not even the WAL switch: so first (freed pages after pruning are
	 * then given back by incremental_vacuum). */
	if (v == 0 && (r = exec(d->db, "PRAGMA auto_vacuum=INCREMENTAL", why,
			       why_size)) != 0)
		goto out;
	if ((r = exec(d->db, "PRAGMA journal_mode=WAL", why, why_size)) !=
			0 ||
		(r = exec(d->db, "PRAGMA synchronous=FULL", why, why_size)) !=
			0)
		goto out;
	if (v == 0 && (r = create_schema(d->db, why, why_size)) != 0)
		goto out;
	if ((r = prepare_all(d, why, why_size)) != 0 ||
		(r = read_tail(d, &d->last_id, d->last_hash)) != 0)
		goto out;
	if ((r = query_i64(d->db,
		     "SELECT max(session) FROM events WHERE typeof(session) "
		     "= 'integer'",
		     0, &d->last_session)) != 0 ||
		(r = query_i64(d->db,
			 "SELECT value FROM meta WHERE key = 'last_session'",
			 0, &v)) != 0)
		goto out;
	if (v > d->last_session)
		d->last_session = v;
	if (d->last_session < 0)
		d->last_session = 0;
	*out = d;
	d = NULL;
	r = 0;
out:
	audit__db_close(d);
	return r;
}

void
audit__db_close(struct audit_db *d)
{
	if (d == NULL)
		return;
	sqlite3_finalize(d->st_insert);
	sqlite3_finalize(d->st_tail);
	sqlite3_finalize(d->st_queue_add);
	sqlite3_finalize(d->st_queue_del);
	sqlite3_finalize(d->st_queue_head);
	sqlite3_finalize(d->st_meta_set);
	if (d->db != NULL)
		sqlite3_close_v2(d->db);
	audit__db_unlock(d->lock);
	free(d);
}

/* Steps a prepared statement that returns no rows, then resets it. */
static int
step_done(struct audit_db *d, sqlite3_stmt *st, struct audit_job *job)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE)
		return 0;
	snprintf(job->why, sizeof(job->why), "%s", sqlite3_errmsg(d->db));
	return audit__sqlite_err(rc);
}

static struct audit_rec *
new_internal_rec(struct audit_job *job, const char *type, char *fields,
	char *message, int priority)
{
	struct audit_rec *r = calloc(1, sizeof(*r));

	if (r == NULL || fields == NULL || message == NULL) {
		free(r);
		free(fields);
		free(message);
		return NULL;
	}
	r->kind = AUDIT_REC_EVENT;
	r->time_us = job->now_us;
	snprintf(r->type, sizeof(r->type), "%s", type);
	r->fields = fields;
	r->fields_len = strlen(fields);
	r->message = message;
	r->priority = priority;
	r->internal = true;
	return r;
}

/*
 * The tail in the file is not the one this writer left (rows deleted or
 * edited under a running agent): record that, then continue the chain
 * from what is there so that later rows still verify.
 */
static int
check_tail(struct audit_db *d, struct audit_job *job)
{
	char hash[AUDIT_HASH_HEX + 1];
	struct audit_buf f, m;
	struct audit_rec *r;
	int64_t id;
	int e;

	if ((e = read_tail(d, &id, hash)) != 0)
		return e;
	if (id == d->last_id && hash[0] != '\0' && d->last_hash[0] != '\0' &&
		strcmp(hash, d->last_hash) == 0)
		return 0;
	audit__buf_init(&f, 1024);
	audit__buf_init(&m, 1024);
	audit__buf_printf(&f,
		"{\"reason\":\"tail-changed\",\"expected_id\":%" PRId64
		",\"expected_hash\":",
		d->last_id);
	audit__buf_json_cstr(&f, d->last_hash);
	audit__buf_printf(&f, ",\"found_id\":%" PRId64 ",\"found_hash\":", id);
	audit__buf_json_cstr(&f, hash[0] != '\0' ? hash : "(invalid)");
	audit__buf_puts(&f, "}");
	audit__buf_printf(&m,
		"audit chain tail changed under the writer: expected events#%"
		PRId64 ", found events#%" PRId64
		" (rows deleted or edited; run outpost audit verify)",
		d->last_id, id);
	r = new_internal_rec(job, "audit.discontinuity", audit__buf_steal(&f),
		audit__buf_steal(&m), 3);
	if (r == NULL)
		return OP_ERR_NOMEM;
	TAILQ_INSERT_HEAD(&job->recs, r, link);
	d->last_id = id;
	snprintf(d->last_hash, sizeof(d->last_hash), "%s",
		hash[0] != '\0' ? hash : AUDIT_GENESIS);
	return 0;
}

static int
append(struct audit_db *d, struct audit_job *job, struct audit_rec *r)
{
	sqlite3_stmt *st = d->st_insert;
	struct audit_row row = {
		.prev_hash = d->last_hash,
		.prev_len = strlen(d->last_hash),
		.id = d->last_id + 1,
		.time_us = r->time_us,
		.has_session = r->session > 0,
		.session = r->session,
		.type = r->type,
		.type_len = strlen(r->type),
		.fields = r->fields,
		.fields_len = r->fields_len,
	};
	int e;

	audit__chain_hash(&row, r->hash);
	sqlite3_bind_int64(st, 1, row.id);
	sqlite3_bind_int64(st, 2, row.time_us);
	if (row.has_session)
		sqlite3_bind_int64(st, 3, row.session);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_text(st, 4, row.type, (int)row.type_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, row.fields, (int)row.fields_len,
		SQLITE_STATIC);
	sqlite3_bind_text(st, 6, row.prev_hash, (int)row.prev_len,
		SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->hash, AUDIT_HASH_HEX, SQLITE_STATIC);
	if ((e = step_done(d, st, job)) != 0)
		return e;
	if (r->fwd_body != NULL) {
		st = d->st_queue_add;
		sqlite3_bind_int64(st, 1, row.id);
		sqlite3_bind_text(st, 2, AUDIT_FWD_PATH, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r->fwd_body, -1, SQLITE_STATIC);
		if ((e = step_done(d, st, job)) != 0)
			return e;
	}
	r->id = row.id;
	d->last_id = row.id;
	memcpy(d->last_hash, r->hash, sizeof(d->last_hash));
	return 0;
}

void
audit__db_run(struct audit_db *d, struct audit_job *job)
{
	int64_t saved_id = d->last_id;
	char saved_hash[AUDIT_HASH_HEX + 1];
	struct audit_rec *r;
	bool write = !TAILQ_EMPTY(&job->recs) || job->n_acks > 0 ||
		job->last_session > d->last_session;
	int e = 0;

	memcpy(saved_hash, d->last_hash, sizeof(saved_hash));
	job->status = 0;
	job->why[0] = '\0';
	job->size_used = -1;
	sqlite3_busy_timeout(d->db, (int)job->busy_timeout_ms);
	if (write) {
		int rc = sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL,
			NULL);

		if (rc != SQLITE_OK) {
			snprintf(job->why, sizeof(job->why), "begin: %s",
				sqlite3_errmsg(d->db));
			e = audit__sqlite_err(rc);
		}
		if (e == 0 && !TAILQ_EMPTY(&job->recs))
			e = check_tail(d, job);
		TAILQ_FOREACH(r, &job->recs, link) {
			if (e != 0)
				break;
			if (r->kind == AUDIT_REC_PRUNE &&
				((e = audit__db_prune(d, job, r)) != 0 ||
					r->fields == NULL))
				continue; /* nothing pruned: no row */
			e = append(d, job, r);
		}
		for (size_t i = 0; e == 0 && i < job->n_acks; i++) {
			sqlite3_bind_int64(d->st_queue_del, 1, job->acks[i]);
			e = step_done(d, d->st_queue_del, job);
		}
		if (e == 0 && job->last_session > d->last_session) {
			sqlite3_bind_int64(d->st_meta_set, 1,
				job->last_session);
			if ((e = step_done(d, d->st_meta_set, job)) == 0)
				d->last_session = job->last_session;
		}
		if (e == 0 &&
			(rc = sqlite3_exec(d->db, "COMMIT", NULL, NULL,
				 NULL)) != SQLITE_OK) {
			snprintf(job->why, sizeof(job->why), "commit: %s",
				sqlite3_errmsg(d->db));
			e = audit__sqlite_err(rc);
		}
		if (e != 0) {
			(void)sqlite3_exec(d->db, "ROLLBACK", NULL, NULL,
				NULL);
			d->last_id = saved_id;
			memcpy(d->last_hash, saved_hash, sizeof(saved_hash));
		}
	}
	job->status = e;
	TAILQ_FOREACH(r, &job->recs, link) {
		if (e != 0) {
			r->status = e;
			r->id = 0;
		} else if (r->id > 0) {
			audit__mirror(job->mirror, r);
		}
	}
	if (e == 0 && job->pruned) {
		(void)sqlite3_exec(d->db, "PRAGMA incremental_vacuum", NULL,
			NULL, NULL);
		(void)sqlite3_wal_checkpoint_v2(d->db, NULL,
			SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	}
	if (e == 0 && job->measure)
		(void)audit__db_used(d, &job->size_used);
	if (job->fetch) {
		sqlite3_stmt *st = d->st_queue_head;
		int rc = sqlite3_step(st);

		job->q_id = 0;
		job->q_body = NULL;
		if (rc == SQLITE_ROW) {
			const char *b =
				(const char *)sqlite3_column_text(st, 1);

			job->q_id = sqlite3_column_int64(st, 0);
			job->q_body = strdup(b != NULL ? b : "");
			job->fetched = job->q_body != NULL;
		} else {
			job->fetched = rc == SQLITE_DONE;
		}
		sqlite3_reset(st);
	}
}
