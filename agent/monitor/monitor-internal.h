/* SPDX-License-Identifier: MIT */
/* Shared by the monitor's files. */
#ifndef OP_MONITOR_MONITOR_INTERNAL_H
#define OP_MONITOR_MONITOR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "monitor/monitor.h"
#include "monitor/monitor-msg.h"
#include "monitor/secrets.h"

struct audit;
struct term_direct;

/* Unspent grants kept, and for how long (a login completes well within
 * security.login_timeout's maximum of 10 min; most within seconds). */
#define MONITOR_GRANTS_MAX 8
#define MONITOR_GRANT_MS (10 * 60 * 1000)

/* A token bucket: refills per_s a second up to burst; a use costs one. */
struct mon_bucket {
	double tokens;
	uint64_t ms;
	uint64_t refused; /* uses refused so far */
};

void monitor__bucket_init(struct mon_bucket *b, double burst, uint64_t now);
/* Takes a token if there is one (else counts the refusal). */
bool monitor__bucket_take(struct mon_bucket *b, uint64_t now, double per_s,
	double burst);

/* The audit requests' state (monitor-audit.c), per monitor. */
struct mon_audit_srv {
	struct audit *trail;  /* NULL: audit requests are refused */
	void (*event)(void *arg, const struct mon_buf *ev);
	void *arg;
	uint64_t (*now_ms)(void);
	uint32_t generation;  /* whose commit events are owed */
	size_t waiting;       /* commit events owed to it */
	int64_t first, last;  /* the session ids it opened, 0 = none yet */
	int64_t *open;        /* its sessions not closed yet */
	bool *authorized;     /* open[i] was authorized (with a grant) */
	size_t n_open;
	/* Logins the monitor itself saw succeed (an accepted proof, an
	 * Allow on its prompt), not yet spent on a session.authorized:
	 * when each was given, oldest first. */
	uint64_t grants[MONITOR_GRANTS_MAX];
	size_t n_grants;
	bool require_grant;   /* monitor_opts.require_grant */
	struct mon_bucket bucket;
	uint64_t forbidden;   /* events of a type not allowed */
};

struct monitor {
	struct state *st;
	struct monitor_opts o;
	struct secrets_creds creds;
	uint32_t generation;
	bool hello_done;
	uint32_t once_done; /* bit per type: MON_ONCE requests answered */
	struct mon_bucket proofs;
	char xauthority_any[4096];
	char previous[64]; /* how the last network process ended */
	/* terminals (monitor-term.c) */
	struct monitor_term_conf term;
	struct term_direct *terms; /* this network process's shells */
	struct mon_bucket term_opens;
	struct mon_audit_srv audit;
};

/* The signature of a request's handler (monitor.c's table). */
typedef int (*mon_handler)(struct monitor *m, struct mon_rd *in,
	struct mon_buf *out, struct monitor_reply *fds);

/* May one more use of b happen now (monitor_opts.now_ms)? A refusal is
 * logged (what: "password checks"), once per hundred. */
bool monitor__limit(struct monitor *m, struct mon_bucket *b, unsigned burst,
	unsigned per_s, const char *what);

/* Does an authorized session of this network process exist (always true
 * without monitor_opts.require_grant)? A refusal is logged (what: the
 * request). Gates the user's desktop: connect-user, x11-cookie,
 * term-open, vd-start. */
bool monitor__granted(struct monitor *m, const char *what);

/* A malformed request: marks it so (monitor_serve ends the network
 * process); a handler's own failures are reply statuses instead. */
int monitor__malformed(struct mon_rd *in);

/* monitor-term.c: term-open and term-hangup. */
int monitor__on_term_open(struct monitor *m, struct mon_rd *in,
	struct mon_buf *out, struct monitor_reply *fds);
int monitor__on_term_hangup(struct monitor *m, struct mon_rd *in,
	struct mon_buf *out, struct monitor_reply *fds);

/* monitor-client.c: sends req and reads the reply into *rd, after its
 * status; returns the status or a transport error. */
int monclient__call(int fd, const struct mon_buf *req,
	uint8_t reply[static MON_MSG_MAX], struct mon_rd *rd);
/* monitor-client.c: empties w and puts the request's type. */
void monclient__begin(struct mon_buf *w, enum mon_type t);

/* monitor_serve's handler for MON_AUDIT_* (type); fields in, reply out.
 * A reply status, or OP_ERR_PROTO with in->bad set for a malformed one. */
int monitor__audit_serve(struct mon_audit_srv *s, unsigned type,
	struct mon_rd *in, struct mon_buf *out);
/* A login the monitor saw succeed: one session.authorized may follow. */
void monitor__audit_grant(struct mon_audit_srv *s);
/* Is any open session of this network process authorized? */
bool monitor__audit_any_authorized(const struct mon_audit_srv *s);
/* A new network process: nothing owed to the old one any more. */
void monitor__audit_started(struct mon_audit_srv *s, uint32_t generation);
/* The network process ended (how): its open sessions are closed on the
 * trail. */
void monitor__audit_ended(struct mon_audit_srv *s, const char *how);
void monitor__audit_free(struct mon_audit_srv *s);

/* connect-user, user-socket and x11-cookie: a desktop user's sockets
 * and X cookies (monitor-user.c; refused on Windows: monitor-user-win.c). */
int monitor__on_connect_user(struct monitor *m, struct mon_rd *in,
	struct mon_buf *out, struct monitor_reply *fds);
int monitor__on_user_socket(struct monitor *m, struct mon_rd *in,
	struct mon_buf *out, struct monitor_reply *fds);
int monitor__on_x11_cookie(struct monitor *m, struct mon_rd *in,
	struct mon_buf *out, struct monitor_reply *fds);

#ifndef _WIN32
/*
 * connect-user's check: path is a wayland-*, pipewire-0, bus or
 * pulse/native socket of uid (an existing user) in a directory of uid's
 * that no one else can write. Returns 0 with uid's primary group in *gid,
 * -ENOENT (no such socket), or -EPERM with why filled.
 */
int monitor__user_socket(const char *path, uint32_t uid, gid_t *gid,
	char *why, size_t why_size);
#endif

#endif
