/* SPDX-License-Identifier: MIT */
/*
 * Shared by the files of agent/audit/ (and by its tests and fuzz
 * targets): the record and job structures, the writer context, the chain
 * encoding, the small JSON and HTTP helpers. Nothing outside audit/ and
 * tests includes this.
 */
#ifndef OP_AUDIT_AUDIT_INTERNAL_H
#define OP_AUDIT_AUDIT_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "audit/audit.h"
#include "core/log.h"
#include "core/queue.h"

struct sqlite3;
struct sqlite3_stmt;

#define AUDIT_HASH_HEX 64
#define AUDIT_GENESIS \
	"0000000000000000000000000000000000000000000000000000000000000000"
#define AUDIT_CHAIN_TAG "outpost-audit-1"
#define AUDIT_SCHEMA_VERSION 1
#define AUDIT_BATCH_MAX 256        /* records per transaction */
#define AUDIT_BACKLOG_MAX 100000   /* records waiting for the writer */
#define AUDIT_SESSIONS_MAX 4096    /* open sessions remembered */
#define AUDIT_FWD_PATH "/api/audit/conn"
#define AUDIT_HTTP_MAX_HEAD 8192   /* status line + headers */
#define AUDIT_HTTP_MAX_HEADERS 100
#define AUDIT_FWD_BODY_MAX (64u << 10)
/* A failed transaction is retried (issue 11 item 8): every record but an
 * authorization (its caller refuses the session at once) gets this many
 * attempts, with exponential backoff between them; then it is lost, and
 * an audit.discontinuity record says how many and when. */
#define AUDIT_RETRY_MAX 6
#define AUDIT_RETRY_BASE_MS 250
#define AUDIT_RETRY_CAP_MS 8000
#define AUDIT_BUSY_TIMEOUT_MS 5000
/* Connections closed before a login attempt: one session.preauth summary
 * per source and window, for at most this many sources (the rest share
 * one summary), so a flood adds a bounded number of rows. */
#define AUDIT_PREAUTH_WINDOW_MS 60000
#define AUDIT_PREAUTH_SOURCES 32
#define AUDIT_PREAUTH_REASONS 4
/* Warn when the file uses this much of audit.max_size_mb. */
#define AUDIT_SIZE_WARN_PCT 80

/* ---- A bounded, growable text buffer (audit-json.c) ---- */

struct audit_buf {
	char *p;     /* NUL-terminated while !failed */
	size_t len;
	size_t cap;
	size_t max;  /* hard limit on len */
	bool failed; /* an append did not fit or malloc failed */
};

void audit__buf_init(struct audit_buf *b, size_t max);
void audit__buf_free(struct audit_buf *b);
void audit__buf_reset(struct audit_buf *b);
void audit__buf_put(struct audit_buf *b, const void *p, size_t n);
void audit__buf_puts(struct audit_buf *b, const char *s);
void audit__buf_printf(struct audit_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A JSON string literal of s[0..n): quotes, backslashes, controls (C0
 * and C1) and bidi/invisible formatting (op_utf8_unsafe) escaped as
 * \uXXXX, invalid UTF-8 replaced by U+FFFD. NULL writes null. */
void audit__buf_json_str(struct audit_buf *b, const char *s, size_t n);
void audit__buf_json_cstr(struct audit_buf *b, const char *s);
/* Returns the text (caller frees) and empties b, or NULL if it failed. */
char *audit__buf_steal(struct audit_buf *b);

/* Strict RFC 8259 check of one JSON value that must be an object: UTF-8,
 * at most 16 levels of nesting, nothing after it but whitespace. */
bool audit__json_is_object(const char *s, size_t n);
/* The same for any JSON value (object, array, string, number...). */
bool audit__json_is_value(const char *s, size_t n);
/* True when s[0..n) is valid UTF-8 without NUL. */
bool audit__utf8_valid(const char *s, size_t n);
/* Copies s into dst (size > 0) for display: invalid UTF-8 and unsafe
 * characters (C0/C1 controls, bidi overrides and isolates, zero-width
 * formatting: op_utf8_unsafe, shared with the consent prompt) become '?',
 * cut at a character boundary. NULL gives "". */
void audit__sanitize(char *dst, size_t size, const char *s, size_t n);

/* ---- The chain (audit-chain.c) ---- */

/* The hashed content of one row, as stored. */
struct audit_row {
	const char *prev_hash; /* 64 hex digits */
	size_t prev_len;
	int64_t id;
	int64_t time_us;
	bool has_session;
	int64_t session;
	const char *type;
	size_t type_len;
	const char *fields;
	size_t fields_len;
};

/* hash = SHA-256 of the netstrings "len:bytes," of AUDIT_CHAIN_TAG,
 * prev_hash, id, time_us, session ("" for NULL), type, fields (decimal
 * numbers), as 64 lower-case hex digits. */
void audit__chain_hash(const struct audit_row *r,
	char out[static AUDIT_HASH_HEX + 1]);
bool audit__hash_text_valid(const char *s, size_t n);

/*
 * The sessions as one row each, derived from the session.* events (the
 * first of each type per session). Used for the `sessions` view in the
 * file and, verbatim, by the CLI queries (which never trust a view stored
 * in a file someone may have edited). JSON is only read when json_valid()
 * says it is JSON, so an edited row cannot make the query fail.
 */
#define AUDIT__J(col, key) \
	"NULLIF(CASE WHEN json_valid(" col ") THEN json_extract(" col \
	", '$." key "') END, '')"
#define AUDIT__FIRST(type) \
	"(SELECT min(x.id) FROM events x WHERE x.session = o.session " \
	"AND x.type = '" type "')"
#define AUDIT_SESSIONS_SQL \
	"SELECT s_id AS id, start_us, end_us, " \
	"coalesce(" AUDIT__J("a_f", "peer_id") ", " AUDIT__J("d_f", "peer_id") \
	", " AUDIT__J("o_f", "peer_id") ") AS peer_id, " \
	"coalesce(" AUDIT__J("a_f", "peer_name") ", " \
	AUDIT__J("d_f", "peer_name") ", " AUDIT__J("o_f", "peer_name") \
	") AS peer_name, " \
	AUDIT__J("o_f", "source") " AS source, " \
	AUDIT__J("o_f", "path") " AS path, " \
	"coalesce(" AUDIT__J("a_f", "encrypted") ", " \
	AUDIT__J("o_f", "encrypted") ") AS encrypted, " \
	AUDIT__J("a_f", "kind") " AS kind, " \
	"CASE WHEN a_f IS NOT NULL THEN 'authorized' WHEN d_f IS NOT NULL " \
	"THEN 'denied' END AS outcome, " \
	"coalesce(" AUDIT__J("a_f", "auth_method") ", " \
	AUDIT__J("d_f", "auth_method") ") AS auth_method, " \
	AUDIT__J("a_f", "consent") " AS consent, " \
	AUDIT__J("a_f", "permissions") " AS permissions, " \
	AUDIT__J("d_f", "reason") " AS denied_reason, " \
	AUDIT__J("c_f", "reason") " AS close_reason, " \
	AUDIT__J("c_f", "bytes_in") " AS bytes_in, " \
	AUDIT__J("c_f", "bytes_out") " AS bytes_out " \
	"FROM (SELECT o.session AS s_id, o.time_us AS start_us, " \
	"o.fields AS o_f, a.fields AS a_f, d.fields AS d_f, c.fields AS c_f, " \
	"c.time_us AS end_us FROM events o " \
	"LEFT JOIN events a ON a.id = " AUDIT__FIRST("session.authorized") \
	" LEFT JOIN events d ON d.id = " AUDIT__FIRST("session.denied") \
	" LEFT JOIN events c ON c.id = " AUDIT__FIRST("session.close") \
	" WHERE o.type = 'session.open' AND typeof(o.session) = 'integer' " \
	"AND o.id = " AUDIT__FIRST("session.open") ")"

/* ---- Records and jobs ---- */

enum audit_rec_kind {
	AUDIT_REC_EVENT,
	AUDIT_REC_PRUNE, /* the worker prunes, and fills it in if it did */
};

struct audit_rec {
	TAILQ_ENTRY(audit_rec) link;
	enum audit_rec_kind kind;
	int64_t id;      /* assigned by the writer; 0 = nothing written */
	int64_t time_us;
	int64_t session; /* 0 = NULL */
	char type[AUDIT_TYPE_MAX + 1];
	char *fields;    /* JSON object text */
	size_t fields_len;
	char *fwd_body;  /* §15 JSON to queue for forwarding, or NULL */
	char *message;   /* a sentence for journald/syslog */
	char peer[64];
	char source[64];
	int priority;    /* syslog priority of the mirror */
	char hash[AUDIT_HASH_HEX + 1];
	int status;
	audit_commit_fn cb;
	void *arg;
	unsigned attempts; /* failed transactions it was in */
	bool no_retry;     /* an authorization: fail it at once */
	bool internal;     /* made by the trail itself: rebuilt, not retried */
};
TAILQ_HEAD(audit_rec_list, audit_rec);

/* Records that could not be written and are not yet reported by a
 * committed audit.discontinuity (audit.c). */
#define AUDIT_LOSS_TYPES 8
struct audit_loss {
	uint64_t records;  /* given up after AUDIT_RETRY_MAX attempts */
	uint64_t refused;  /* refused: the backlog was full */
	int64_t first_us;  /* when the first and last of them were made */
	int64_t last_us;
	char why[160];     /* the last failure */
	unsigned n_types;
	struct {
		char type[AUDIT_TYPE_MAX + 1];
		uint64_t n;
	} types[AUDIT_LOSS_TYPES];
	uint64_t other_types;
};

/* Test knobs (audit__set_knobs); the defaults are the #defines above. */
struct audit_knobs {
	unsigned retry_max;
	unsigned retry_base_ms;
	unsigned retry_cap_ms;
	unsigned busy_timeout_ms;
	unsigned preauth_window_ms;
};

/* Frees a record and its strings. NULL is a no-op. */
void audit__rec_free(struct audit_rec *r);

/* The writer context: owned by the loop while idle and by the running
 * job while one runs, never both (architecture §3.7). */
struct audit_db {
	struct sqlite3 *db;
	intptr_t lock; /* audit__db_lock's */
	struct sqlite3_stmt *st_insert;
	struct sqlite3_stmt *st_tail;
	struct sqlite3_stmt *st_queue_add;
	struct sqlite3_stmt *st_queue_del;
	struct sqlite3_stmt *st_queue_head;
	struct sqlite3_stmt *st_meta_set;
	int64_t last_id;
	char last_hash[AUDIT_HASH_HEX + 1];
	int64_t last_session; /* highest session id handed out */
};

#define AUDIT_MAX_ACKS 16

struct audit_job {
	uv_work_t work;
	struct audit_db *db;
	/* in */
	struct audit_rec_list recs;
	int64_t acks[AUDIT_MAX_ACKS]; /* forward_queue rows to delete */
	size_t n_acks;
	bool fetch;                   /* read the queue head after */
	uint64_t max_age_s;
	uint64_t max_size_bytes;
	int64_t now_us;
	int64_t last_session;
	enum audit_mirror mirror;     /* resolved: journald/syslog/none */
	unsigned busy_timeout_ms;
	struct audit_loss reported;   /* what its discontinuity record says */
	bool measure;                 /* measure the file after the commit */
	/* out */
	int status;
	char why[256];
	bool pruned;
	int64_t size_used;            /* bytes in use, -1 = not measured */
	bool fetched;                 /* q_* valid (q_id 0 = empty) */
	int64_t q_id;
	char *q_body;
};

/* audit-sqlite.c. Opens and prepares; Returns 0 or an error with why. */
int audit__db_open(const char *state_dir, struct audit_db **out, char *why,
	size_t why_size);
void audit__db_close(struct audit_db *db);
/* Runs a job (worker thread): one transaction for everything in it. */
void audit__db_run(struct audit_db *db, struct audit_job *job);
/* audit-prune.c (worker, inside the job's transaction): deletes what the
 * job's limits say must go and fills r in as the audit.prune event, or
 * leaves r->fields NULL when nothing had to go. */
int audit__db_prune(struct audit_db *db, struct audit_job *job,
	struct audit_rec *r);
/* audit-prune.c: bytes in use (pages minus free pages). */
int audit__db_used(struct audit_db *db, int64_t *used);
/* Maps a sqlite result code to ours. */
int audit__sqlite_err(int rc);

/*
 * audit-file-unix.c, audit-file-win.c: the files beneath sqlite. The
 * writer's lock: opens (creating it private) the database file, checks
 * that it is a regular file only we can reach, and takes an exclusive
 * lock that sqlite's own locks do not touch, held until audit__db_unlock
 * (after sqlite3_close). *lock is a descriptor or a HANDLE. 0, or
 * OP_ERR_PERM / OP_ERR_STATE (another writer) / a negative errno with
 * why.
 */
#define AUDIT_NO_LOCK ((intptr_t)-1)
int audit__db_lock(const char *path, intptr_t *lock, char *why,
	size_t why_size);
void audit__db_unlock(intptr_t lock);
/* 0 when path exists, else a negative errno. */
int audit__file_exists(const char *path);
/* A reader may open path read-write (audit-verify.c says why): no
 * "<path>-wal" beside it and we may write it. */
bool audit__reader_may_write(const char *path);

/* audit-mirror.c: one line for a syslog-like sink ("audit <type> seq=N
 * session=N peer=P source=S hash=H: <message> fields=<json>"), control
 * characters escaped. */
#define AUDIT_MIRROR_LINE_MAX 2048
void audit__mirror_line(const struct audit_rec *r, char *out, size_t size);
/* audit-journald.c (Unix), audit-eventlog-win.c: mirrors committed
 * records (worker thread). */
void audit__mirror(enum audit_mirror m, const struct audit_rec *r);
enum audit_mirror audit__mirror_resolve(enum audit_mirror m);

/* ---- HTTP (audit-http.c; pure, fuzzed) ---- */

struct audit_url {
	bool tls;
	char host[256];      /* no brackets */
	uint16_t port;
	char path[512];      /* base path, "" or "/x/y" without a final '/' */
	char host_hdr[300];  /* Host header value */
};

/* "http(s)://host[:port][/base]"; no userinfo, query or fragment.
 * Returns 0 or OP_ERR_CONFIG; *out zeroed first. */
int audit__url_parse(const char *url, struct audit_url *out);

/*
 * Parses a response head from p[0..len): "HTTP/1.x NNN reason" CRLF,
 * header lines, an empty line (bare LF tolerated). Returns 0 with *status
 * (100..599) and *head_len, OP_ERR_INCOMPLETE, OP_ERR_PROTO or
 * OP_ERR_TOO_LARGE (head beyond AUDIT_HTTP_MAX_HEAD).
 */
int audit__http_parse_head(const uint8_t *p, size_t len, int *status,
	size_t *head_len);

/* Appends the POST request for body to b. */
void audit__http_request(struct audit_buf *b, const struct audit_url *u,
	const char *path, const char *body, size_t body_len);

/* audit-verify.c: the read-only connection, for audit-query.c. */
struct audit_reader;
struct sqlite3 *audit__reader_db(struct audit_reader *r);

/* ---- The loop side (audit.c, audit-forward.c) ---- */

struct audit_sess {
	TAILQ_ENTRY(audit_sess) link;
	int64_t id;
	uint64_t client_sid;
	char peer[64];
	char source[64];
	char ip[48];
	enum audit_path path;
	/* audit_session_begin: its session.open, not queued until the
	 * connection reaches a login attempt (NULL once queued). */
	struct audit_rec *deferred;
};

/* Connections from one source closed before a login attempt, in the
 * current window (audit-preauth.c). */
struct audit_preauth_src {
	char ip[48];       /* "*" for the sources beyond the table */
	uint64_t conns;
	uint64_t bytes_in;
	uint64_t bytes_out;
	int64_t first_us;
	int64_t last_us;
	uint32_t paths;    /* 1 << enum audit_path */
	unsigned n_reasons;
	struct {
		char text[64];
		uint64_t n;
	} reasons[AUDIT_PREAUTH_REASONS];
	uint64_t other_reasons;
};

struct audit_preauth {
	struct audit_preauth_src src[AUDIT_PREAUTH_SOURCES];
	size_t n;
	struct audit_preauth_src rest;
	uv_timer_t timer;  /* ends the window */
	bool timer_running;
	uint64_t folded;   /* connections summarised since open */
};

enum audit_fwd_state {
	AUDIT_FWD_OFF,     /* forwarding disabled or no transport */
	AUDIT_FWD_IDLE,    /* queue believed empty */
	AUDIT_FWD_FETCH,   /* waiting for the writer to read the head */
	AUDIT_FWD_POSTING, /* an exchange runs */
	AUDIT_FWD_WAIT,    /* backoff before the next try */
};

struct audit_fwd {
	enum audit_fwd_state state;
	bool inited;         /* timers initialised */
	bool queue_records;  /* opts.forward: queue §15 bodies */
	struct audit_url url;
	char *ca;
	unsigned timeout_ms;
	const struct audit_transport *tp;
	void *call;          /* running exchange */
	const struct audit_transport *call_tp; /* the one running it */
	bool cancelled;      /* cancel was called for it */
	uv_timer_t retry;
	uv_timer_t deadline;
	unsigned backoff_ms;
	bool want_fetch;
	int64_t ack[AUDIT_MAX_ACKS];
	size_t n_ack;
	int64_t cur_id;
	struct audit_buf req;
	uint8_t resp[AUDIT_HTTP_MAX_HEAD];
	size_t resp_len;
	int http_status;
	bool timed_out;
	audit_flush_fn flush_cb;
	void *flush_arg;
	struct audit_fwd_stats stats;
	struct op_ratelimit rl;
};

struct audit {
	uv_loop_t *loop;
	/* A remote trail (audit_open_remote): every call goes here, and
	 * nothing below but loop, closing and the close handles is used. */
	const struct audit_remote_ops *remote;
	void *remote_ctx;
	struct audit_db *db; /* NULL while the job owns it */
	struct audit_job job;
	bool in_flight;
	struct audit_rec_list pending;
	size_t n_pending;
	bool want_size_prune;
	uint64_t since_size_check;
	char *host_id;
	char *uuid_b64;
	uint64_t max_age_s;
	uint64_t max_size_bytes;
	enum audit_mirror mirror;
	bool quiet;
	int64_t next_session;
	TAILQ_HEAD(, audit_sess) sessions;
	size_t n_sessions;
	uv_timer_t prune_timer;
	struct audit_fwd fwd;
	int dispatching;
	bool closing;
	bool handles_closing;
	int handles_open;
	audit_closed_fn closed_cb;
	void *closed_arg;
	struct op_ratelimit err_rl;
	struct audit_knobs knobs;
	uv_timer_t retry_timer;
	bool retry_wait;         /* a failed batch waits for retry_timer */
	unsigned retry_delay_ms; /* the next backoff */
	struct audit_loss loss;  /* lost, not yet reported in the file */
	uint64_t lost_total;     /* records lost since open */
	int64_t size_used;       /* bytes at the last measure, -1 = none */
	uint64_t size_warned_ms; /* last warning about the size limit */
	struct audit_preauth preauth;
};

/* A public call on a remote trail returns the op's answer (OP_ERR_STATE
 * once closing). */
#define AUDIT_REMOTE(a, call)                                  \
	do {                                                   \
		if ((a) != NULL && (a)->remote != NULL)        \
			return (a)->closing ? OP_ERR_STATE :   \
					      (a)->remote->call; \
	} while (0)

/* audit.c: OP_ERR_STATE when closed or closing, OP_ERR_TOO_LARGE when
 * the backlog is full (counted as a loss of type), else 0. */
int audit__check_open(struct audit *a, const char *type);
/* audit-loss.c: counts a record of type made at time_us (failed with
 * why, or refused by a full backlog) into l. */
void audit__loss_add(struct audit_loss *l, const char *type,
	int64_t time_us, bool refused, const char *why);
/* audit-loss.c: tests shorten the retries and the pre-auth window. */
void audit__set_knobs(struct audit *a, const struct audit_knobs *k);
/* audit-loss.c: the audit.discontinuity record reporting l (NULL on
 * OOM). */
struct audit_rec *audit__loss_record(const struct audit_loss *l);
/* audit-loss.c: a failed job's records: requeued for a retry, or failed
 * (left in done for their callbacks) and counted as lost. */
void audit__requeue_failed(struct audit *a, struct audit_job *j,
	struct audit_rec_list *done);
/* audit-loss.c: warns when the file nears audit.max_size_mb. */
void audit__size_check(struct audit *a);
/* audit.c: a new event record stamped now (NULL on OOM). */
struct audit_rec *audit__rec_new(int64_t session, const char *type,
	int priority);
/* audit.c: takes the buffers' contents into r (fwd may be NULL) and
 * queues it; r is consumed either way. 0 or OP_ERR_NOMEM. */
int audit__rec_submit(struct audit *a, struct audit_rec *r,
	struct audit_buf *f, struct audit_buf *m, struct audit_buf *fwd,
	audit_commit_fn cb, void *arg);
/* audit.c: the first half of submit: takes the buffers into r without
 * queuing it (r is freed on failure). 0 or OP_ERR_NOMEM. */
int audit__rec_take(struct audit *a, struct audit_rec *r,
	struct audit_buf *f, struct audit_buf *m, struct audit_buf *fwd);
/* audit.c: the second half: queues a filled record. */
void audit__rec_queue(struct audit *a, struct audit_rec *r,
	audit_commit_fn cb, void *arg);

/* audit-preauth.c */
void audit__preauth_init_handles(struct audit *a);
void audit__preauth_close_handles(struct audit *a);
/* Counts a connection closed before a login attempt (s->deferred is
 * freed). */
void audit__preauth_fold(struct audit *a, struct audit_sess *s,
	const char *reason, uint64_t bytes_in, uint64_t bytes_out);
/* Queues the window's summaries now (window end, close). */
void audit__preauth_flush(struct audit *a);
/* audit.c: wakes the writer if it is idle and has work. */
void audit__kick(struct audit *a);
/* audit.c: true when nothing is queued or running (for close). */
void audit__maybe_finish(struct audit *a);
void audit__handle_closed(uv_handle_t *h);

/* audit-forward.c */
/* Takes the forwarding settings (URL parsed, CA copied); 0 or
 * OP_ERR_CONFIG / OP_ERR_NOMEM with the old settings kept. */
int audit__fwd_set(struct audit *a, const struct audit_opts *o);
/* Starts the timers (handles_open += 2) and a first look at the queue. */
void audit__fwd_init_handles(struct audit *a);
/* A committed batch queued bodies: start sending if idle. */
void audit__fwd_appended(struct audit *a);
/* The job read the queue head (after-work callback). */
void audit__fwd_fetched(struct audit *a, const struct audit_job *job);
/* The job failed: retry later. */
void audit__fwd_job_failed(struct audit *a, int status);
/* Stops: cancels an exchange (busy until its on_done), stops the timers,
 * fails a pending flush with UV_ECANCELED. */
void audit__fwd_stop(struct audit *a);
/* Closes the timers (audit__handle_closed counts them down). */
void audit__fwd_close_handles(struct audit *a);
bool audit__fwd_busy(const struct audit *a);
/* Starts a §15 body: {"id","uuid","conn_id","session_id","nonce" (a fresh
 * UUID v4), without the closing brace. */
void audit__fwd_body_start(const struct audit *a, struct audit_buf *b,
	int64_t conn_id, uint64_t session_id);

#endif
