/* SPDX-License-Identifier: MIT */
/*
 * The privileged monitor's side of privilege separation (OpenSSH's
 * monitor model): the one process that holds the identity key, the
 * permanent password's hash and the one-time password. The network
 * process, which parses every byte peers send, holds none of them and
 * asks for results through a fixed request set (monitor-msg.h):
 *
 *   hello            the public identity (ID, UUID, public key, salt),
 *                    once per network process, before anything else
 *   sign-id          our IdPk for a session's key exchange, signed
 *   check-proof      a LoginRequest's password proof checked; an
 *                    accepted one-time password is replaced at once
 *   new-otp          a new one-time password (after failures, after a
 *                    session)
 *   reload-password  re-read password.h1 and salt (`outpost password set`)
 *   reload-identity  re-read the identity (`outpost id --reset`)
 *   print-otp        the banner's one-time password line, once
 *   connect-user     a connection to a desktop user's compositor, sound
 *                    server or session bus, made as that user, passed
 *                    as a descriptor (monitor-user.c says which sockets)
 *   x11-cookie       a display's MIT-MAGIC-COOKIE copied out of a user's
 *                    Xauthority (owned by that user; any owner only for
 *                    the configured display.xauthority) into the
 *                    network process's cookie file, with an error text
 *   reload-config    re-read the config for display.xauthority (reload:
 *                    monitor_set_xauthority)
 *   find-user        who sits at the machine: logind's active graphical
 *                    session, its display and the user's XAUTHORITY from
 *                    the environment of their processes
 *   lock-session     logind locks the active graphical session (the
 *                    monitor looks it up: the network process cannot
 *                    name another)
 *   ctl-listen       the control socket (state dir, 0600), listening,
 *                    once per network process
 *   notify           READY=1, RELOADING=1, STOPPING=1 or WATCHDOG=1 to
 *                    the service manager, which hears only the main PID
 *   events           once: the socket answers that come later arrive on
 *   consent-ask      the local user's consent prompt, started by the
 *                    monitor as the user it finds at the machine, one at
 *                    a time; the answer comes as an event
 *   consent-cancel   that prompt goes away (its answer: cancelled)
 *   vd-start         the virtual display, as the config says (the
 *                    network process chooses neither the user nor the
 *                    command); ready and lost come as events
 *   vd-stop          it stops
 *   term-open        a terminal's login shell on a new pty, started by
 *                    the monitor as policy.terminal.user of its own config
 *                    (the network process chooses neither the user, the
 *                    shell, allow_root nor LANG): the pty master comes
 *                    back as a descriptor, with the typescript's when
 *                    policy.terminal.record is on; the shell's exit comes
 *                    as an event (monitor-term.c)
 *   term-hangup      that shell is hung up (only shells started for the
 *                    current network process)
 *   audit-*          the audit trail's calls (audit.h): the monitor owns
 *                    audit.db and builds the records; open, login,
 *                    recorded, authorized, denied, lockout, close, event,
 *                    config, prune, flush, status; commits come as events
 *                    (monitor-audit.h says what is checked and limited)
 *
 * With require_grant, the user's desktop (connect-user, x11-cookie,
 * term-open, vd-start) is served only while a session is authorized, and
 * audit-authorized needs a grant: a login the monitor saw succeed
 * (check-proof accepted, monitor_grant for its consent prompt's Allow).
 *
 * Anything else, a malformed request or one out of turn is a protocol
 * error: the caller ends that network process (monitor_serve's return).
 * Proof checks are rate-limited here too (MONITOR_PROOF_BURST,
 * MONITOR_PROOF_PER_S), so a network process that was taken over cannot
 * guess passwords faster than that; so are shells (MONITOR_TERM_BURST,
 * MONITOR_TERM_PER_S), and at most policy.limits.max_sessions x
 * policy.terminal.max_per_session of them (never above MONITOR_TERM_MAX)
 * live at once. A network process's shells are hung up when it ends; audit records likewise
 * (MONITOR_AUDIT_BURST, MONITOR_AUDIT_PER_S), so it cannot flood the
 * disk or push old evidence out through size-based pruning faster.
 */
#ifndef OP_MONITOR_MONITOR_H
#define OP_MONITOR_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/compat.h"
#include "crypto/password.h"
#include "monitor/monitor-msg.h"


#define MONITOR_PROOF_BURST 40
#define MONITOR_PROOF_PER_S 20
#define MONITOR_TERM_BURST 16
#define MONITOR_TERM_PER_S 2
#define MONITOR_TERM_MAX 256

struct state;
struct monitor;
struct uv_loop_s;

/* What term-open takes from the monitor's config (policy.terminal.*). */
struct monitor_term_conf {
	char user[64];        /* "" = every terminal refused */
	char shell[256];      /* "" = the account's login shell */
	bool allow_root;
	char record_dir[4096]; /* "" = no typescripts */
	unsigned max_live;    /* shells at once (capped at MONITOR_TERM_MAX) */
};

struct monitor_opts {
	enum otp_charset otp_charset;
	size_t otp_len;
	/* print-otp: writes the line (NULL = the request is refused). */
	void (*print_otp)(void *arg, const char *otp);
	/* reload-config, find-user, lock-session, ctl-listen, events,
	 * consent-cancel, vd-start and vd-stop are the
	 * daemon's to answer (NULL: refused): fields into out, maybe a
	 * descriptor into *fd (sent, then closed); returns the reply
	 * status (find-user and lock-session keep their fields with an
	 * error status). */
	int (*hook)(void *arg, enum mon_type type, struct mon_buf *out,
		int *fd);
	/* consent-ask: shows the prompt (NULL: refused); returns 0 or an
	 * error with a reason in out. */
	int (*consent_ask)(void *arg, const struct mon_consent *c,
		struct mon_buf *out);
	/* notify: tells the service manager (NULL: ignored). */
	void (*notify)(void *arg, enum mon_notify what);
	/* Sends an event to the network process (MON_EV_TERM_EXIT, audit
	 * commits; NULL: dropped). */
	void (*event)(void *arg, const struct mon_buf *ev);
	void *arg; /* of print_otp, hook, notify and event */
	/* The loop shells are watched on (NULL: term-open is refused). */
	struct uv_loop_s *loop;
	/* x11-cookie: where the copy goes (NULL: the request is refused),
	 * and the one file any owner may have (display.xauthority; NULL or
	 * "" = none). The caller keeps both alive; see
	 * monitor_set_xauthority. */
	const char *cookie_copy;
	const char *xauthority_any;
	uid_t cookie_uid; /* the copy's owner: the network process's */
	gid_t cookie_gid;
	/* The user's desktop (connect-user, x11-cookie, term-open,
	 * vd-start) only while a session is authorized, and a session is
	 * authorized (audit-authorized) only after a login the monitor saw
	 * succeed: an accepted proof or monitor_grant. The daemon sets it;
	 * tests of other requests may leave it off. */
	bool require_grant;
	/* Clock for the proof rate limit (NULL = monotonic ms). */
	uint64_t (*now_ms)(void);
};

/*
 * Takes the open state (its key and password; freed with the monitor)
 * and makes the first one-time password. Returns 0 or an OP_ERR_* code
 * (*out NULL).
 */
int monitor_new(struct state *st, const struct monitor_opts *o,
	struct monitor **out);
void monitor_free(struct monitor *m);

/* A new network process starts: hello is due again, the once-only
 * requests are allowed again. */
void monitor_child_started(struct monitor *m);
/* After a reload: the configured display.xauthority (copied). */
void monitor_set_xauthority(struct monitor *m, const char *path);
/* At start and after a reload: how terminals are started (copied). */
void monitor_set_terminal(struct monitor *m, const struct monitor_term_conf *c);
/* The network process ended: its shells are hung up (SIGKILL after the
 * grace period) and reaped on the loop; no event reports them. */
void monitor_terms_end(struct monitor *m);
/* The network process ended (how: "killed by signal 11"); the next
 * one's hello says so, and it records agent.restarted. Its sessions
 * still open are closed on the audit trail. */
void monitor_child_ended(struct monitor *m, const char *how);
/* The audit trail the MON_AUDIT_* requests write to (monitor-audit.h;
 * NULL: they are refused). The caller keeps it open until the monitor is
 * freed, and closes it first. */
struct audit;
void monitor_set_audit(struct monitor *m, struct audit *trail);
/* The local user allowed a login on the monitor's consent prompt: one
 * session may be authorized for it (monitor_opts.require_grant). */
void monitor_grant(struct monitor *m);
/* How many network processes were started. */
uint32_t monitor_generation(const struct monitor *m);
/* The state (for its directory and ID, in the monitor's log). */
const struct state *monitor_state(const struct monitor *m);

#define MONITOR_FDS_MAX 2

struct monitor_reply {
	uint8_t b[MON_MSG_MAX];
	size_t len;
	int fds[MONITOR_FDS_MAX]; /* the caller sends, then closes them */
	int nfds;
};

/*
 * Answers one request datagram (req, len) into *out. Returns 0 (a reply
 * to send, maybe with an error status: the request was valid but
 * failed), or OP_ERR_PROTO with why filled: the request was malformed,
 * unknown or out of turn, no reply is made (out->len and nfds 0) and the
 * network process must be ended.
 */
int monitor_serve(struct monitor *m, const uint8_t *req, size_t len,
	struct monitor_reply *out, char *why, size_t why_size);

#endif
