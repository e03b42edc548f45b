/* SPDX-License-Identifier: MIT */
/*
 * The audit trail (issue 4, field notes S17): typed, tamper-evident
 * records of every access decision, written to audit.db (sqlite, WAL,
 * synchronous=FULL) in the state directory, mirrored to journald or
 * syslog (on Windows: the daemon's Event Log and log file) and
 * optionally forwarded to a RustDesk-Pro-compatible API server
 * (spec §15) through a durable queue.
 *
 * Storage and chain. One table, `events`, holds every record; its rows
 * are never updated. Row ids are consecutive from 1; each row carries
 * prev_hash (the hash of the row before it, 64 zero digits for row 1) and
 * hash = SHA-256 over a length-prefixed encoding of
 *   ("outpost-audit-1", prev_hash, id, time_us, session, type, fields)
 * (see audit-chain.c), so an edited row no longer matches its hash and a
 * deleted row leaves a gap in the ids and a broken link. Session state that
 * changes (authorization, end, bytes, close reason) is recorded as further
 * events of that session; `sessions` is a view over them, not a table, so
 * nothing is ever rewritten. Pruning deletes the oldest rows and appends an
 * `audit.prune` event naming the first row kept and the hash of the last
 * deleted one (the new anchor), so the chain still verifies afterwards.
 * The chain is unkeyed: someone who can write the file and recomputes
 * every later hash is caught only by comparing the head with an outside
 * copy (the journal mirror carries OUTPOST_SEQ and OUTPOST_HASH of every
 * record; `outpost audit verify` prints the head).
 *
 * Threads. Everything here is called on the loop thread. Writes run as
 * uv_queue_work jobs, one at a time: the job owns the sqlite connection
 * while it runs (the loop does not touch it), appends everything queued
 * since the last job in one transaction (group commit) and mirrors the
 * committed records; completion callbacks run in the after-work callback
 * on the loop thread. Enqueuing never blocks on the disk.
 *
 * Write-ahead. Every record call takes an optional audit_commit_fn. When
 * the call returns 0 the callback is called exactly once, on the loop
 * thread, after the COMMIT that made the record durable (status 0) or
 * after that transaction failed (status < 0, nothing of it was written).
 * A session must wait for the callback of audit_authorized() with status
 * 0 before it lets screen data or input flow, and refuse the session on
 * any error (fail closed). A callback rather than a blocking call: an
 * fsync under synchronous=FULL takes milliseconds to seconds on a busy
 * disk, and blocking the loop for it would stall every other session.
 * When a call returns an error, the callback is never called and nothing
 * was recorded.
 *
 * Losses. A failed transaction (e.g. "database is locked" longer than
 * the busy timeout) is retried with backoff, its records first and in
 * order; only session.authorized fails at once (write-ahead: the session
 * is refused). A record still failing after AUDIT_RETRY_MAX attempts, or
 * refused because 100000 records wait, is lost: the next transaction
 * that commits starts with an audit.discontinuity record (how many, of
 * which types, made when, the error), which `outpost audit verify`
 * reports as a problem.
 *
 * Connections that never try to log in. audit_session_begin() defers a
 * connection's session.open until it reaches a login attempt; one closed
 * before that is only counted into a session.preauth summary per source
 * address and minute, so a flood of such connections (port scanners,
 * hostile peers) adds at most 33 rows a minute instead of two rows and
 * two fsyncs per connection, and cannot push old evidence out through
 * size-based pruning.
 *
 * Nothing here logs secrets: callers never pass passwords, and the peer
 * names and free texts they pass are stored as given (escaped on output).
 */
#ifndef OP_AUDIT_AUDIT_H
#define OP_AUDIT_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <uv.h>

#include "core/netaddr.h"

struct audit;
struct conf;

#define AUDIT_DB_NAME "audit.db"
#define AUDIT_TYPE_MAX 64            /* bytes of an event type */
#define AUDIT_FIELDS_MAX (16u << 10) /* bytes of an event's JSON fields */
#define AUDIT_TEXT_MAX 256           /* bytes kept of any caller text */

/* How the connection reached us; same order and names as net's enum
 * conn_path ("direct-ip", "punch", "local", "relay", "client-relay"). */
enum audit_path {
	AUDIT_PATH_DIRECT_IP,
	AUDIT_PATH_PUNCH,
	AUDIT_PATH_LOCAL,
	AUDIT_PATH_RELAY,
	AUDIT_PATH_CLIENT_RELAY,
};

/* The requested session kind; the values are §15's `type`. */
enum audit_conn_type {
	AUDIT_CONN_DESKTOP = 0,
	AUDIT_CONN_FILE_TRANSFER = 1,
	AUDIT_CONN_PORT_FORWARD = 2,
	AUDIT_CONN_VIEW_CAMERA = 3,
	AUDIT_CONN_TERMINAL = 4,
};

/* What proved the technician may come in. */
enum audit_auth_method {
	AUDIT_AUTH_NONE,               /* nothing (e.g. denied before login) */
	AUDIT_AUTH_CLICK,              /* consent only, no password */
	AUDIT_AUTH_ONE_TIME_PASSWORD,  /* §15 primary_auth 2 "temporary" */
	AUDIT_AUTH_PERMANENT_PASSWORD, /* §15 primary_auth 3 */
	AUDIT_AUTH_SWITCH_SIDES,       /* §15 primary_auth 4 */
};

/* The local user's consent decision. */
enum audit_consent {
	AUDIT_CONSENT_NOT_ASKED,  /* policy did not require it */
	AUDIT_CONSENT_AUTO_ALLOW, /* policy allowed without asking */
	AUDIT_CONSENT_ALLOWED,    /* the user clicked Allow */
	AUDIT_CONSENT_DENIED,     /* the user clicked Deny, or policy deny */
	AUDIT_CONSENT_TIMEOUT,    /* nobody answered: denied */
};

/* Permissions granted (policy.allow.*), as a bit set. */
enum audit_perm {
	AUDIT_PERM_KEYBOARD = 1u << 0,
	AUDIT_PERM_CLIPBOARD = 1u << 1,
	AUDIT_PERM_FILE_TRANSFER = 1u << 2,
	AUDIT_PERM_AUDIO = 1u << 3,
	AUDIT_PERM_TERMINAL = 1u << 4,
	AUDIT_PERM_RESTART = 1u << 5,
	AUDIT_PERM_BLOCK_INPUT = 1u << 6,
	AUDIT_PERM_RECORDING = 1u << 7,
};
#define AUDIT_PERM_COUNT 8

/* Static names for the enums above ("?" when out of range). */
const char *audit_path_name(enum audit_path p);
const char *audit_conn_type_name(enum audit_conn_type t);
const char *audit_auth_method_name(enum audit_auth_method m);
const char *audit_consent_name(enum audit_consent c);
const char *audit_perm_name(unsigned bit_index);

/*
 * journald MESSAGE_IDs, one per event type, stable across versions (find
 * them with `journalctl MESSAGE_ID=<id>`). Types without their own ID
 * (audit_event) use AUDIT_MSGID_OTHER.
 */
#define AUDIT_MSGID_AUDIT_OPEN "cd763a8cc4414ccab3837dd4e3d0d2cc"
#define AUDIT_MSGID_AUDIT_CLOSE "11764bc5288245c3adf6ea123bcded2b"
#define AUDIT_MSGID_AUDIT_PRUNE "539aab79b8bb433c946d7ad3168d946d"
#define AUDIT_MSGID_AUDIT_DISCONTINUITY "6367f2267faa4e0d8bac1454321c77bb"
#define AUDIT_MSGID_SESSION_OPEN "1cc6b3e928e845b9a70b7f58ce308a0c"
#define AUDIT_MSGID_SESSION_AUTHORIZED "44fa272b07224760b0ff350f00b03d88"
#define AUDIT_MSGID_SESSION_DENIED "a7583c1049ba4bc1b336683c7905c9a0"
#define AUDIT_MSGID_SESSION_LOCKOUT "8ad4054f516a430199e0839d4ffca433"
#define AUDIT_MSGID_SESSION_CLOSE "64243c390bf94dc88d442f57931225d2"
#define AUDIT_MSGID_SESSION_PREAUTH "efa2962c1e58490a9fa6c4ef50d2c221"
#define AUDIT_MSGID_CONFIG_RELOAD "2f741aeab97646a2896cad2f64b31820"
#define AUDIT_MSGID_OTHER "847f1eaef33e483ea33b7d3a25df9d89"

/* The MESSAGE_ID for an event type (AUDIT_MSGID_OTHER if none). */
const char *audit_message_id(const char *type);

enum audit_mirror {
	AUDIT_MIRROR_AUTO,     /* journald if its socket exists, else syslog */
	AUDIT_MIRROR_JOURNALD, /* sd_journal_send, structured fields */
	AUDIT_MIRROR_SYSLOG,   /* syslog(3), LOG_AUTHPRIV, one line */
	AUDIT_MIRROR_NONE,
};

/* ---- Forwarding transport ---- */

/*
 * The forwarder builds HTTP/1.1 requests and parses the answers itself,
 * but opens no sockets: the byte pipe comes from whoever opens the trail
 * (the CLI layer, over net/connect.h and net/stream.h: TCP, or TLS with
 * mbedTLS), which keeps audit/ independent of net/.
 */
struct audit_http_req {
	const char *host;    /* name or IP literal, no brackets */
	uint16_t port;
	bool tls;            /* https: verify the chain and the name */
	const char *ca_file; /* PEM bundle; "" = the system store */
	const uint8_t *data; /* the whole request, borrowed until on_done */
	size_t len;
};

/* Bytes received (borrowed for the call). Return OP_ERR_INCOMPLETE to get
 * more, 0 when the answer is complete, another negative code to abort;
 * the transport then ends with on_done(that code, or 0). */
typedef int (*audit_http_read_fn)(void *arg, const uint8_t *p, size_t n);
/* The exchange ended: 0 after on_read returned 0, else an error (the
 * connection ended first: UV_EOF; UV_ECANCELED after cancel; connect and
 * TLS errors). why (may be "") explains failures for the log. Called
 * exactly once, from the loop, never from inside exchange() or cancel(). */
typedef void (*audit_http_done_fn)(void *arg, int status, const char *why);

struct audit_transport {
	/*
	 * Connects, sends req->data and feeds what comes back to on_read.
	 * Returns 0 and *handle (for cancel), or an error (then on_done is
	 * never called).
	 */
	int (*exchange)(void *ctx, uv_loop_t *loop,
		const struct audit_http_req *req, audit_http_read_fn on_read,
		audit_http_done_fn on_done, void *arg, void **handle);
	/* Aborts a running exchange; on_done(UV_ECANCELED) follows. Called
	 * at most once per exchange, only before its on_done. */
	void (*cancel)(void *handle);
	void *ctx;
};

/* ---- Opening ---- */

struct audit_opts {
	const char *state_dir;   /* audit.db lives here (created 0700) */
	const char *host_id;     /* our ID (§15 "id"); may be "" */
	const char *host_uuid;   /* state uuid text, sent base64 (§2.2) */
	uint64_t max_age_s;      /* prune older records; 0 = keep */
	uint64_t max_size_bytes; /* prune the oldest beyond; 0 = unlimited */
	enum audit_mirror mirror;
	bool forward;            /* queue §15 records for the API server */
	const char *forward_url; /* http(s)://host[:port][/base] */
	const char *forward_ca;  /* "" = the system store */
	unsigned forward_timeout_ms; /* per POST; 0 = 12000 (§15) */
	/* The pipe for forwarding; NULL = records are queued, not sent. */
	const struct audit_transport *transport;
	/* Record no audit.open / audit.close events (maintenance commands
	 * such as `outpost audit forward`, which add nothing to the trail). */
	bool quiet;
};

/*
 * Fills *out from the audit.* keys of conf (strings borrowed from conf,
 * which must outlive their use); state_dir, host_id, host_uuid and
 * transport are left for the caller. Returns 0 or OP_ERR_CONFIG with err
 * (may be NULL) filled: forwarding enabled with a missing or bad URL.
 */
int audit_opts_from_conf(const struct conf *conf, struct audit_opts *out,
	char *err, size_t err_size);

/*
 * Opens (creating on first use) <state_dir>/audit.db, mode 0600, and
 * takes the writer lock on it; records an audit.open event unless quiet,
 * and prunes in the background as opts say. Strings in opts are copied;
 * the transport must outlive the trail. Blocks briefly (schema, WAL
 * setup): call it at start-up. Returns 0 and *out, or OP_ERR_PERM (unsafe
 * mode or owner), OP_ERR_STATE (another process holds the writer lock),
 * OP_ERR_UNSUPPORTED (a newer schema), OP_ERR_CONFIG (bad forward URL),
 * OP_ERR_NOMEM, or a negative errno; why (may be NULL) gets a sentence.
 */
int audit_open(uv_loop_t *loop, const struct audit_opts *opts,
	struct audit **out, char *why, size_t why_size);

/* Called once when the trail is closed and freed. */
typedef void (*audit_closed_fn)(void *arg);

/*
 * Records audit.close (unless quiet), writes everything still queued
 * (their callbacks run as usual), cancels a POST in flight (the record
 * stays queued), closes the database and frees the trail; then calls cb
 * (may be NULL) from the loop. The loop must run until then. Calls made
 * after this fail with OP_ERR_STATE. NULL is a no-op.
 */
void audit_close(struct audit *self, audit_closed_fn cb, void *arg);

/*
 * Applies new settings (retention, mirror, forwarding; state_dir is
 * ignored) to records from now on. Returns 0 or OP_ERR_CONFIG / NOMEM,
 * keeping the old settings then.
 */
int audit_set_opts(struct audit *self, const struct audit_opts *opts);

/* ---- Records ----
 *
 * Every call below returns 0 (cb, if not NULL, follows as described at
 * the top), OP_ERR_STATE (closing), OP_ERR_TOO_LARGE (100000 records are
 * already waiting for the disk: treat it as a failed write and refuse the
 * session), OP_ERR_NOMEM, or OP_ERR_RANGE where noted. Texts are copied
 * and cut at AUDIT_TEXT_MAX bytes; NULL means "not known".
 */

/* status 0: committed (seq is the row id); < 0: the transaction failed. */
typedef void (*audit_commit_fn)(void *arg, int status, int64_t seq);

/* What is known when a connection is handed to the session code. */
struct audit_session_info {
	const char *peer_id;   /* may be NULL: often unknown before login */
	const char *peer_name;
	const struct sockaddr *source; /* the client's address; may be NULL */
	enum audit_path path;
	bool encrypted;        /* the secure channel is up */
};

/*
 * Records session.open (§15 "new") and returns the new session id (> 0,
 * never reused, also across restarts) in *id; the later calls for this
 * session take it.
 */
int audit_session_open(struct audit *self,
	const struct audit_session_info *info, int64_t *id,
	audit_commit_fn cb, void *arg);

/*
 * For a connection that has not tried to log in yet: hands out the
 * session id like audit_session_open but writes nothing. The session.open
 * record (with this moment's time and these facts) is queued when the
 * connection reaches a login attempt: audit_session_login(), or any
 * audit_authorized / audit_denied / audit_lockout / audit_event for the
 * session; from then on the session is recorded in full. Closed before
 * that (audit_session_close without a callback), it is only counted into
 * the session.preauth summary of its source address for the current
 * minute (connections, bytes, paths, close reasons, first and last time;
 * at most 32 sources a minute, the rest in one more summary). No
 * callback: nothing is written now. Falls back to audit_session_open's
 * behaviour when 4096 sessions are already open.
 */
int audit_session_begin(struct audit *self,
	const struct audit_session_info *info, int64_t *id);

/*
 * The connection of a session from audit_session_begin reached a login
 * attempt (a LoginRequest arrived): its session.open is queued now.
 * Returns 0 (also when it was already queued), OP_ERR_NOT_FOUND (unknown
 * session), or OP_ERR_STATE.
 */
int audit_session_login(struct audit *self, int64_t session);

/* True when session's records are written in full (it came from
 * audit_session_open, or reached a login attempt). */
bool audit_session_recorded(const struct audit *self, int64_t session);

struct audit_auth {
	const char *peer_id;   /* LoginRequest.my_id */
	const char *peer_name; /* LoginRequest.my_name */
	enum audit_conn_type kind;
	enum audit_auth_method method;
	enum audit_consent consent;
	uint32_t permissions;  /* AUDIT_PERM_* granted */
	bool encrypted;
	uint64_t client_session_id; /* LoginRequest.session_id (§15) */
};

/*
 * Records session.authorized (§15 authorization record). The write-ahead
 * record: let nothing flow before cb reports 0.
 */
int audit_authorized(struct audit *self, int64_t session,
	const struct audit_auth *auth, audit_commit_fn cb, void *arg);

struct audit_denial {
	const char *reason;  /* short code: "wrong-password", "policy",
				"consent-denied", "encryption-required"... */
	const char *message; /* what the client was told; may be NULL */
	const char *peer_id; /* may be NULL */
	const char *peer_name;
	enum audit_auth_method method; /* what was tried */
};

/* Records session.denied. session may be 0 (no session object). */
int audit_denied(struct audit *self, int64_t session,
	const struct audit_denial *d, audit_commit_fn cb, void *arg);

struct audit_lockout_info {
	const char *scope;   /* "source", "peer" or "global" */
	const char *key;     /* the address or peer ID locked out */
	unsigned failures;   /* failures that triggered it */
	unsigned duration_s; /* lockout length */
};

/* Records session.lockout (session may be 0). */
int audit_lockout(struct audit *self, int64_t session,
	const struct audit_lockout_info *l, audit_commit_fn cb, void *arg);

/*
 * Records session.close (§15 "close") with the byte counts and reason
 * (may be NULL) and forgets the session. A session from
 * audit_session_begin that never reached a login attempt is counted into
 * its source's session.preauth summary instead, unless cb is given
 * (then it is written in full, so that cb can report the commit).
 */
int audit_session_close(struct audit *self, int64_t session,
	const char *reason, uint64_t bytes_in, uint64_t bytes_out,
	audit_commit_fn cb, void *arg);

/*
 * Records any other event: type is 1..AUDIT_TYPE_MAX bytes of
 * [a-z0-9._-] starting with a letter, not "audit." (reserved); fields is
 * NULL (= {}) or a JSON object (strict RFC 8259, UTF-8, at most
 * AUDIT_FIELDS_MAX bytes and 16 levels). session may be 0. OP_ERR_RANGE
 * for a bad type or fields.
 * Examples: "session.blocked" {"feature":"clipboard"}, "file.send".
 */
int audit_event(struct audit *self, int64_t session, const char *type,
	const char *fields, audit_commit_fn cb, void *arg);

/* Records config.reload: ok or not, the file, and a short detail. */
int audit_config_reload(struct audit *self, const char *source, bool ok,
	const char *detail, audit_commit_fn cb, void *arg);

/*
 * Prunes now by the configured age and size (this also happens at open
 * and every hour). cb's seq is the audit.prune row, or 0 when nothing
 * had to go.
 */
int audit_prune(struct audit *self, audit_commit_fn cb, void *arg);

/* ---- Forwarding status ---- */

/* status 0 when the queue is empty; otherwise the error of the failed
 * attempt (the record stays queued and is retried with backoff). */
typedef void (*audit_flush_fn)(void *arg, int status, uint64_t sent);

/*
 * Calls cb once, from the loop, when the forwarding queue is empty or
 * after the next failed attempt (for `outpost audit forward`). Returns 0,
 * OP_ERR_STATE (no forwarding configured, no transport, closing, or a
 * flush already pending).
 */
int audit_forward_flush(struct audit *self, audit_flush_fn cb, void *arg);

/* Records sent and failed attempts since open, and the last error. */
struct audit_fwd_stats {
	uint64_t sent;
	uint64_t failures;
	char last_error[160];
};
void audit_forward_stats(const struct audit *self,
	struct audit_fwd_stats *out);

/* ---- Health (for `outpost status`) ---- */

struct audit_status {
	uint64_t size_bytes;     /* in use at the last check (0 = none yet) */
	uint64_t max_size_bytes; /* audit.max_size_mb; 0 = unlimited */
	/* At or above 80 % of the limit: size pruning will soon delete the
	 * oldest rows (also logged, hourly while it lasts). */
	bool size_warning;
	uint64_t pending;        /* records waiting for the disk */
	bool retrying;           /* a failed write waits for its retry */
	uint64_t lost;           /* records lost since open */
	uint64_t preauth_folded; /* connections summarised (no login) */
};

void audit_status(const struct audit *self, struct audit_status *out);

/* Writes ,"audit":{...} (the fields above) for the status JSON. NULL
 * writes nothing. */
void audit_status_json(const struct audit *self, FILE *f);

/* ---- A trail written by another process ----
 *
 * Under privilege separation (issue 11) the network process cannot open
 * audit.db: the monitor owns the trail and makes the calls above on it.
 * The network process's trail is a remote one: every call goes to these
 * ops (monitor/monitor-audit.h sends them to the monitor), so the
 * callers, and the record building, stay as they are. The ops return
 * what the calls above return; commit and flush callbacks come later,
 * from the loop, once each, as above. A remote trail has no settings
 * (audit_set_opts returns 0: the owner applies its own config).
 */
struct audit_remote_ops {
	/* audit_session_open (defer false) and audit_session_begin. */
	int (*open)(void *ctx, const struct audit_session_info *info,
		bool defer, int64_t *id, audit_commit_fn cb, void *arg);
	int (*login)(void *ctx, int64_t session);
	bool (*recorded)(void *ctx, int64_t session);
	int (*authorized)(void *ctx, int64_t session,
		const struct audit_auth *auth, audit_commit_fn cb, void *arg);
	int (*denied)(void *ctx, int64_t session,
		const struct audit_denial *d, audit_commit_fn cb, void *arg);
	int (*lockout)(void *ctx, int64_t session,
		const struct audit_lockout_info *l, audit_commit_fn cb,
		void *arg);
	int (*close)(void *ctx, int64_t session, const char *reason,
		uint64_t bytes_in, uint64_t bytes_out, audit_commit_fn cb,
		void *arg);
	int (*event)(void *ctx, int64_t session, const char *type,
		const char *fields, audit_commit_fn cb, void *arg);
	int (*config_reload)(void *ctx, const char *source, bool ok,
		const char *detail, audit_commit_fn cb, void *arg);
	int (*prune)(void *ctx, audit_commit_fn cb, void *arg);
	int (*forward_flush)(void *ctx, audit_flush_fn cb, void *arg);
	/* audit_status and audit_forward_stats (zeros when unknown). */
	void (*status)(void *ctx, struct audit_status *st,
		struct audit_fwd_stats *fwd);
	/* The trail closes: callbacks still waiting are called now with
	 * OP_ERR_STATE, none after; ctx may be freed. */
	void (*shut)(void *ctx);
};

/* A trail whose calls go to ops (kept by the caller) with ctx; audit_close
 * calls ops->shut. Returns 0 or OP_ERR_NOMEM. */
int audit_open_remote(uv_loop_t *loop, const struct audit_remote_ops *ops,
	void *ctx, struct audit **out);

/*
 * For the owner of a remote trail: a record it refused to make (a
 * sender over its rate) is counted as lost, so the next commit writes an
 * audit.discontinuity saying how many, of which type (why: a sentence).
 */
void audit_note_refused(struct audit *self, const char *type,
	const char *why);

#endif
