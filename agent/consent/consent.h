/* SPDX-License-Identifier: MIT */
/*
 * Consent ("click" approval, issue 4, field notes S1/S8/S13): finding the
 * user who sits at the machine, and asking them in a real window on their
 * own display whether a technician may connect.
 *
 * The window is drawn by `outpost consent-prompt` (consent-ui.c), a child
 * process that the daemon starts with fork+execve as that user, never
 * through a shell. It answers with one line on stdout. Only the line
 * "allow", printed after a real (non-synthetic) click on Allow, yields
 * CONSENT_ALLOW; silence, a closed window, a timeout, a dead X server or a
 * crashed child all deny. Consent is never assumed.
 */
#ifndef OP_CONSENT_CONSENT_H
#define OP_CONSENT_CONSENT_H

#include <stddef.h>
#include <sys/types.h>

#include <uv.h>

#include "core/compat.h"

#define CONSENT_MAX_GROUPS 64

/* Bounds (in characters) for the request texts the window shows. Longer
 * values are cut and end in "...". */
#define CONSENT_MAX_PEER_ID 64
#define CONSENT_MAX_PEER_NAME 96
#define CONSENT_MAX_SOURCE 64
#define CONSENT_MAX_KIND 32
#define CONSENT_MAX_PERMISSIONS 160

/* The person at the machine and where to show them a window. */
struct consent_user {
	uid_t uid;
	gid_t gid;
	int ngroups; /* supplementary groups, as initgroups(3) would set */
	gid_t groups[CONSENT_MAX_GROUPS];
	char name[64];
	char home[512];
	char display[64];      /* local X display, ":N" or ":N.S" */
	char xauthority[4096]; /* "" = let the prompt look (as the user) */
	char session_id[64];   /* logind session ID; "test" under the hook */
	char session_type[16]; /* logind's: "x11", "wayland"; "" unknown */
};

/*
 * Finds the user of the active local graphical session: a logind session
 * of class "user", state "active", not remote, of type x11 (its display)
 * or wayland (with an Xwayland DISPLAY found in the environment of that
 * user's processes). Reads logind's state through sd-login (the files
 * logind keeps in /run/systemd; no D-Bus round trip, no process spawned),
 * then /proc/PID/environ of the user's processes for XAUTHORITY, then the
 * password and group databases (getpwuid_r, getgrouplist).
 *
 * Returns 0 and *out; OP_ERR_NOT_FOUND when nobody is logged in
 * graphically (also when logind is not running); OP_ERR_UNSUPPORTED when
 * a user IS present but has no X display we can show a window on (a
 * wayland session without Xwayland). The caller must treat
 * OP_ERR_UNSUPPORTED as "present, cannot ask" (deny), never as absent;
 * *out then still says who (uid, gid, name, home, session_id and
 * session_type; display ""), for the desktop provider to find their
 * Wayland compositor (uid 0 and name "" if even that failed).
 * Thread-safe; may block briefly on NSS, so a host with network NSS should
 * call it from a uv_queue_work job. *out is zeroed on entry.
 *
 * Test hook: in builds with the test suite (OP_BUILD_TESTS, never the
 * release packages), OUTPOST_CONSENT_TEST_DISPLAY=":N" in the environment
 * makes it return the CURRENT user (getuid) on display :N, with
 * XAUTHORITY taken from the environment. It only ever names the caller
 * itself, so it cannot be used to switch to another user, and it logs a
 * warning each time it is honoured. OUTPOST_CONSENT_TEST_WAYLAND_USER=name
 * (same builds) reports that user in a Wayland session without Xwayland
 * (OP_ERR_UNSUPPORTED, session_type "wayland"), to test the desktop
 * provider's logind Wayland path without logind. It names another user,
 * but only the daemon's own environment can set it, and whoever sets
 * that can set display.wayland as well.
 */
int consent_find_user(struct consent_user *out);

/*
 * Fills *out for uid (name, home, primary and supplementary groups) with
 * the given display and xauthority (may be NULL or ""). Returns 0,
 * OP_ERR_NOT_FOUND (no such user), OP_ERR_CONFIG (display is not a local
 * ":N[.S]", or xauthority not an absolute path) or a negative errno.
 */
int consent_user_from_uid(uid_t uid, const char *display,
	const char *xauthority, struct consent_user *out);

/* What the window shows. Strings may be NULL (shown as "") and may hold
 * anything a peer sent: they are sanitized and bounded here. */
struct consent_request {
	const char *peer_id;
	const char *peer_name;
	const char *source;      /* "203.0.113.5:41234" */
	const char *kind;        /* "desktop", "file transfer", ... */
	const char *permissions; /* "keyboard, clipboard" */
	unsigned timeout_ms;     /* 0 = 30000; at most 600000 */
};

enum consent_result {
	CONSENT_ALLOW,     /* the user clicked Allow */
	CONSENT_DENY,      /* Deny, Escape, or the window was closed */
	CONSENT_TIMEOUT,   /* no answer in time: deny */
	CONSENT_ERROR,     /* the prompt could not be shown or died: deny */
	CONSENT_CANCELLED, /* consent_cancel(): deny */
};

/* "allow", "deny", "timeout", "error", "cancelled". */
const char *consent_result_name(enum consent_result r);

/* detail: a short human sentence for the log and the audit trail ("denied
 * by alice", "prompt could not open display :0: ..."); valid during the
 * call only. */
typedef void (*consent_done_fn)(void *arg, enum consent_result r,
	const char *detail);

struct consent;

/*
 * Asks user about req: starts `self_exe consent-prompt --stdin
 * --timeout=SECONDS` as the user (fork + execve; setgroups to the user's
 * groups, setresgid, setresuid, each checked, then PR_SET_NO_NEW_PRIVS and
 * a parent-death signal; every other fd closed; environment only DISPLAY,
 * XAUTHORITY, HOME, PATH=/usr/bin:/bin, LANG). The request goes to the
 * child's stdin as key=value lines, never through argv or a shell. The
 * child's one-line answer on stdout decides. The prompt counts down
 * timeout_ms itself; the daemon gives it 2 s of grace, then kills it and
 * reports CONSENT_TIMEOUT.
 *
 * Returns 0 and *out, or a negative code (then done is never called):
 * OP_ERR_CONFIG for a bad user/display, a negative errno or libuv code
 * when the process cannot be started. On success done(arg, ...) is called
 * exactly once, from loop, never from inside consent_ask. *out stays valid
 * until done is called; do not touch it afterwards (the module reaps the
 * child and frees itself). self_exe must be an absolute path.
 */
int consent_ask(uv_loop_t *loop, const char *self_exe,
	const struct consent_user *user, const struct consent_request *req,
	consent_done_fn done, void *arg, struct consent **out);

/*
 * Withdraws a pending request (the client left, shutdown): kills the
 * prompt and calls done(arg, CONSENT_CANCELLED, ...) before returning.
 * Only valid before done has been called. The loop must still run for a
 * moment afterwards so the child is reaped.
 */
void consent_cancel(struct consent *c);

/* The prompt's process ID (for logs, audit and tests). */
pid_t consent_pid(const struct consent *c);

/*
 * Copies src into dst (dst_size bytes, always NUL-terminated, valid
 * UTF-8): C0/C1 control characters, DEL, bidirectional overrides and
 * invisible format characters, and invalid UTF-8 become '?'; at most
 * max_chars characters are kept, the last three replaced by "..." when
 * cut. NULL src gives "". Returns strlen(dst).
 */
size_t consent_sanitize(char *dst, size_t dst_size, const char *src,
	size_t max_chars);

#endif
