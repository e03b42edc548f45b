/* SPDX-License-Identifier: MIT */
/* The daemon's state, shared by daemon.c and daemon-net.c only. */
#ifndef OP_CLI_DAEMON_INTERNAL_H
#define OP_CLI_DAEMON_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include <uv.h>

#include "core/log.h"
#include "monitor/monitor-msg.h"

#include "consent/consent.h"
#include "core/desktop.h"
#include "crypto/password.h"
#include "net/connect.h"
#include "session/session.h"

struct cli;
struct conf;
struct state;
struct ctl_server;
struct rendezvous;
struct incoming;
struct listener;
struct nat_test;
struct policy_rules;
struct lockout;
struct audit;
struct monclient_audit;
struct daemon_chan;

/* What this build really implements of the RustDesk protocol (§16): the
 * version announced to hbbs and, later, to clients in PeerInfo. */
#define DAEMON_PROTO_VERSION "1.3.0"

struct daemon_net {
	struct rendezvous *rdv;
	struct incoming *in;
	struct listener *direct;
	struct nat_test *nat;
	uv_timer_t nat_timer;
	bool nat_timer_init;
	unsigned nat_attempts;
	int nat_type;
	uint16_t nat_ports[2];
	struct proxy_conf proxy;
	bool have_proxy;
	unsigned sessions;
	unsigned slots;      /* sessions authorizing or authorized */
	uint64_t sessions_total;
	uint64_t input_dropped_closed; /* by sessions that have ended */
	uint64_t preauth_refused;      /* over the pre-login limits */
	struct op_ratelimit preauth_rl;
	struct session **live; /* open sessions, for shutdown */
	size_t live_cap;
	char direct_error[128];
};

struct capture;
struct input;
struct clipboard;
/* The virtual display the monitor runs for us (daemon-monitor-vd.c):
 * what its ready event said. */
struct daemon_vd {
	char name[32];          /* ":N" */
	char xauthority[4096];  /* its cookie file */
	uid_t owner;            /* who owns that file */
	int server_pid, session_pid;
	char error[160];
};
struct desktop_waiter;
struct daemon_terms;

/* daemon-desktop.c: the display sessions stream. */
struct daemon_desktop {
	struct capture *cap;   /* open while users > 0 */
	bool lost;             /* its display server went away */
	struct desktop_target target; /* what cap is on */
	unsigned users;        /* sessions holding it */
	struct desktop_waiter *waiters;
	struct daemon_vd *vd;  /* our virtual display, if running */
	bool vd_starting;
	uv_timer_t idle_timer; /* display.virtual.idle_exit */
	unsigned idle_exit_s;
	char error[192];       /* why there is no display, for status */
};

struct daemon {
	uv_loop_t loop;
	struct cli *cli;
	struct conf *conf;
	struct state *state;
	/* Identities replaced by a reload (`outpost id --reset --force`):
	 * open sessions still point at their ID and key, so they are freed
	 * only at exit. */
	struct state **retired;
	size_t nretired;
	/* The salt and the allowed methods; h1 and the one-time password
	 * are the monitor's (daemon-monitor.c), asked through mon_fd. */
	struct session_creds creds;
	bool has_password;          /* a permanent password is set */
	int mon_fd;
	uint32_t generation;        /* which network process this is */
	char previous[64];          /* how the one before it ended */
	int ev_fd;                  /* the monitor's events (consent) */
	struct daemon_chan *ev_chan; /* ... watched (daemon-chan.h) */
	struct session_secrets secrets;
	char hostname[256];
	uv_signal_t sig_int;
	uv_signal_t sig_term;
	uv_signal_t sig_hup;
	uv_timer_t watchdog;
	struct ctl_server *ctl;
	uint64_t started_ms;
	struct policy_rules *rules; /* access policy of the current config */
	struct lockout *lockout;    /* brute-force state, kept over reloads */
	struct audit *audit;        /* the trail: the monitor's, remote */
	struct monclient_audit *audit_client; /* its requests and events */
	uint32_t pending_perms;     /* admit -> authorize, same call chain */
	bool pending_ask;           /* ... and whether to ask the user */
	uint32_t pending_deadline_s; /* ... and when the session must end */
	uint32_t pending_ask_timeout_s;
	struct consent_user user;   /* from the last logind lookup */
	int user_found;             /* 0, OP_ERR_NOT_FOUND/UNSUPPORTED */
	struct daemon_consent *consent; /* prompts and the logind cache */
	struct daemon_net net;
	struct daemon_desktop desktop;
	struct daemon_terms *terms; /* the monitor's shells (daemon-term.c) */
};

/* cap NULL: there is no display, why says so (for the client). */
typedef void (*daemon_desktop_fn)(void *arg, struct capture *cap,
	const char *why);
void daemon_desktop_init(struct daemon *d);
/* Finds, opens or starts the display; cb runs once (maybe at once).
 * With cap != NULL the caller holds one use: daemon_desktop_release. */
void daemon_desktop_acquire(struct daemon *d, daemon_desktop_fn cb,
	void *arg);
void daemon_desktop_release(struct daemon *d);
/* The Wayland compositor sockets of uid (/run/user/UID/wayland-N, its
 * own, in name order): up to max paths; returns how many. */
int daemon_desktop_user_sockets(uid_t uid, char (*paths)[128], int max);
/* For a session granted the acquired desktop: opens its own input
 * (when keyboard) and clipboard (when clipboard) handles on the same
 * target; failures are logged and leave NULL. The caller hands them to
 * the session, which closes them. */
void daemon_desktop_open_controls(struct daemon *d, bool keyboard,
	bool clipboard, size_t clip_max, struct input **in,
	struct clipboard **cb);
/* Locks the logged-in user's session (lock_after_session_end). */
void daemon_desktop_lock(struct daemon *d);
/* Shutdown: stops the virtual display. */
void daemon_desktop_stop(struct daemon *d);
/* The "display", "video" and "audio" parts of the status JSON (leading
 * comma). */
void daemon_desktop_status(struct daemon *d, FILE *f);
/* Its end, shared by both systems: the display's "sessions" (closing
 * the "display" object), then "video" and "audio". */
void daemon_desktop_status_streams(struct daemon *d, FILE *f);

/* daemon-consent.c: the local user's consent, one prompt at a time. */
struct daemon_consent;
/* r: the prompt's answer (CONSENT_CANCELLED when the session ended). */
typedef void (*daemon_consent_fn)(void *arg, enum consent_result r,
	const char *detail);
int daemon_consent_init(struct daemon *d);
void daemon_consent_stop(struct daemon *d);
/*
 * Queues a prompt for s. Returns 0, then done runs exactly once (maybe
 * before this returns, when the prompt cannot be shown); or a negative
 * code without calling done: OP_ERR_DENIED (this source was refused
 * recently), -EBUSY (too many waiting), OP_ERR_NOMEM.
 */
int daemon_consent_request(struct daemon *d, struct session *s,
	const struct session_info *info, uint32_t perms, unsigned timeout_s,
	daemon_consent_fn done, void *arg);
/* s is ending: its prompt goes away (done gets CONSENT_CANCELLED). */
void daemon_consent_withdraw(struct daemon *d, struct session *s);
/* logind says a graphical user is present (cached; refreshes d->user). */
bool daemon_user_present(struct daemon *d);

/* Has the monitor re-read the password files; refreshes the salt and
 * has_password. Returns 0 or a negative code (logged). */
int daemon_load_creds(struct daemon *d);
/* Has the monitor make a new one-time password (after a session, after
 * failures). Returns 0 or a negative code (logged). */
int daemon_new_otp(struct daemon *d);
/* The network process's side of the monitor (daemon-secrets.c): HELLO
 * and the session secrets vtable in d->secrets. A monitor that fails to
 * answer stops the network process (fail closed; the monitor restarts
 * it). */
int daemon_secrets_init(struct daemon *d, int fd, struct state **st);
/* The identity re-read by the monitor (`outpost id --reset`), public
 * half; *fresh NULL on failure. */
int daemon_secrets_reload_identity(struct daemon *d, struct state **fresh);
void daemon_monitor_failed(struct daemon *d, int r, const char *what);
/* Has the monitor copy display's cookie from src (owned by owner, or
 * OP_XAUTH_ANY_OWNER for display.xauthority) into the private cookie
 * file (daemon-desktop.c's private_xauth). Returns 0 or an error with
 * err. */
int daemon_cookie_copy(struct daemon *d, const char *display,
	const char *src, uid_t owner, char *err, size_t errlen);
/* consent_find_user, asked of the monitor (daemon-user.c); a monitor
 * that fails to answer counts as nobody present. */
int daemon_find_user(struct daemon *d, struct consent_user *out);
struct mon_buf;
/* The monitor's side of it (daemon-monitor.c's hook). */
int daemon_user_encode(struct mon_buf *out);
/* The monitor's side of lock-session (daemon-desktop.c). */
int daemon_lock_encode(struct mon_buf *out);
/* The monitor's side of secure-attention (Windows, daemon-sas-win.c):
 * SendSAS, only as the service. */
int daemon_sas_encode(bool service, struct mon_buf *out);
/* The private cookie file's path (in the state directory). */
void daemon_private_xauth(const struct conf *conf, char *out, size_t size);

/* The monitor's events socket, watched on the loop (after uv_loop_init). */
int daemon_events_start(struct daemon *d);
/* MON_EV_STOP (stopping) or MON_EV_RELOAD: as SIGTERM or SIGHUP. */
void daemon_signalled(struct daemon *d, bool stopping);
/* The audit trail, which the monitor writes (monitor/monitor-audit.h):
 * d->audit is a remote trail. Returns 0 or an error (logged). */
int daemon_audit_open(struct daemon *d);
/* After audit_close(d->audit): frees the client. */
void daemon_audit_free(struct daemon *d);
/* The prompt, shown by the monitor as the user at the machine; its
 * answer comes as an event (daemon_consent_answered). Returns 0 or an
 * error with why. */
int daemon_consent_show(struct daemon *d, const struct consent_request *req,
	char *why, size_t why_size);
/* The prompt on screen goes away; the answer (cancelled) follows. */
void daemon_consent_cancel(struct daemon *d);
/* daemon-desktop.c: the monitor's virtual display events. */
void daemon_vd_ready(struct daemon *d, int status, const struct daemon_vd *v);
void daemon_vd_lost(struct daemon *d, const char *error);
/* daemon-term.c: terminal shells, started by the monitor. The spawner
 * sessions are given (term.h); NULL when out of memory at start. */
int daemon_terms_init(struct daemon *d);
void daemon_terms_free(struct daemon *d);
struct term_spawner *daemon_term_spawner(struct daemon *d);
/* MON_EV_TERM_EXIT: that shell was reaped. */
void daemon_term_exited(struct daemon *d, uint32_t handle, int32_t code);
/* daemon-consent.c: the answer of the prompt on screen. */
void daemon_consent_answered(struct daemon *d, enum consent_result r,
	const char *detail);
/* What the service manager is told goes through the monitor, the main
 * PID (the only one it listens to). */
void daemon_notify(struct daemon *d, enum mon_notify what);

/* Shared with the monitor (daemon-monitor.c). */
void daemon_apply_log_conf(const struct conf *conf);
/* True when stdout is the journal: the one-time password must not be
 * printed there (it would be stored in the log). */
bool daemon_stdout_is_journal(void);

/* Starts registration, incoming handling, NAT test and the direct-IP
 * listener as the config says. Failures are logged; the agent runs on. */
void daemon_net_start(struct daemon *d);
/* daemon-session.c: the session hooks and the policy they apply. */
extern const struct session_hooks daemon_session_hooks;
/* Builds the access policy from conf; on error the old one stays. */
int daemon_policy_load(struct daemon *d, const struct conf *conf);
void daemon_policy_free(struct daemon *d);
/* The CONNECT-stage decision (before Hash): source filters. */
bool daemon_policy_connect_ok(struct daemon *d,
	const struct session_info *info);
/* Records a new connection; closes s when that fails (fail closed). */
void daemon_audit_session_open(struct daemon *d, struct session *s,
	const struct session_info *info);
/* Drops s from the open-session list (it is closing). */
void daemon_net_forget(struct daemon *d, struct session *s);

/* Closes every open session with reason (shutdown). */
void daemon_net_close_sessions(struct daemon *d, const char *reason);
/* Stops them (sessions in progress continue). */
void daemon_net_stop(struct daemon *d);
/* Writes the network part of the status JSON (leading comma included). */
void daemon_net_status(struct daemon *d, FILE *f);
/* Whether a technician can reach this host at all: registration with a
 * rendezvous server started, or the direct-IP listener is bound. When
 * not, why says what is missing and what to set. */
bool daemon_net_way_in(const struct daemon *d, char *why, size_t why_size);

#endif
