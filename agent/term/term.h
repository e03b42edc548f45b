/* SPDX-License-Identifier: MIT */
/*
 * The host side of RustDesk terminal sessions (spec §13.7, TerminalAction
 * 31 / TerminalResponse 32): login shells on pseudo-terminals, several per
 * session keyed by the client's terminal_id.
 *
 * One struct term_host belongs to one technician session. The session
 * turns TerminalAction messages into calls here (open, write, resize,
 * hangup) and every struct term_event it receives into one
 * TerminalResponse (opened, data, closed, error), field for field. No
 * protobuf here: the module depends on core and libuv (and libzstd) only.
 *
 * The shell runs as the configured account, never silently as root: a
 * terminal as uid 0 needs allow_root. The child gets a clean environment,
 * its own session with the pty as controlling terminal, a parent-death
 * signal and no other descriptor of the daemon. It is reaped through a
 * pidfd (waitpid on its own pid only), so other children of the daemon
 * and libuv's SIGCHLD handling are never disturbed. Who starts, hangs up
 * and reaps it is a spawner's business (struct term_spawner_impl): this
 * process (term_direct) or, in the daemon, the privileged monitor, which
 * runs a term_direct of its own; the host only holds the pty master.
 *
 * Flow control: output is read from a pty only while cfg.can_send says
 * the session may queue more, so a flood (`yes`) blocks the writer in the
 * kernel instead of growing memory. Input waits in a bounded queue per
 * terminal while the child does not read it.
 *
 * All calls run on the loop thread. Events are delivered from the loop
 * and, for term_host_open, from inside the call (the answer to the open).
 * The callback may call any term_host_* function, including
 * term_host_close.
 *
 * Windows (term-direct-win.c, term-io-win.c): shells on a pseudo
 * console (ConPTY) in a job object, as the service's own account only
 * (another configured account is refused); a hangup ends the job at
 * once and reports 129; no typescripts (recording refuses the open).
 */
#ifndef OP_TERM_TERM_H
#define OP_TERM_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "core/compat.h"

#define TERM_MAX_GROUPS 256
#define TERM_DEFAULT_MAX 8        /* terminals per session */
#define TERM_DEFAULT_ROWS 24      /* OpenTerminal with rows or cols 0 */
#define TERM_DEFAULT_COLS 80
#define TERM_MAX_DIM 4096         /* larger rows/cols are refused */
#define TERM_DEFAULT_INPUT_MAX (1u << 20) /* queued input per terminal */
#define TERM_CHUNK (32 * 1024)    /* most output bytes in one data event */
#define TERM_COMPRESS_MIN 512     /* RustDesk compresses data above this */

/* The account terminals run as, resolved once by term_account_lookup.
 * On Windows only name, home and shell are set, and only the service's
 * own account is accepted (CreateProcessAsUser is not done yet). */
struct term_account {
	uid_t uid;
	gid_t gid;
	int ngroups; /* supplementary groups, as initgroups(3) would set */
	gid_t groups[TERM_MAX_GROUPS];
	char name[64];
	char home[512];
	char shell[256]; /* absolute path */
};

/*
 * Resolves user name (getpwnam_r, getgrouplist). shell, when not NULL or
 * "", replaces the account's login shell (e.g. for `nobody`, whose shell
 * is nologin); an empty passwd shell means /bin/sh. Returns 0;
 * OP_ERR_CONFIG when name is NULL or "" (no user configured) or a shell
 * is not an absolute path; OP_ERR_NOT_FOUND when there is no such user;
 * OP_ERR_RANGE when the user is in more than TERM_MAX_GROUPS groups; a
 * negative errno when the lookup itself failed. May block on NSS. *out is
 * zeroed on entry.
 */
int term_account_lookup(const char *name, const char *shell,
	struct term_account *out);

enum term_event_type {
	TERM_EV_OPENED, /* TerminalResponse.opened */
	TERM_EV_DATA,   /* TerminalResponse.data */
	TERM_EV_CLOSED, /* TerminalResponse.closed */
	TERM_EV_ERROR,  /* TerminalResponse.error */
};

/* Everything is borrowed for the duration of the callback. */
struct term_event {
	enum term_event_type type;
	int32_t terminal_id;
	/* OPENED: success, and on success pid and service_id
	 * (TerminalOpened.persistent_sessions stays empty: terminals end with
	 * their session). user, tty and typescript (NULL = not recorded) are
	 * for the audit trail. */
	bool success;
	uint32_t pid;
	const char *service_id;
	const char *user;
	const char *tty;
	const char *typescript;
	/* OPENED (why it failed, or "Terminal opened"), ERROR */
	const char *message;
	/* DATA: TerminalData.data and .compressed (zstd, as RustDesk) */
	const uint8_t *data;
	size_t len;
	bool compressed;
	/* CLOSED: the shell's exit status, 128+N when killed by signal N */
	int32_t exit_code;
	/* CLOSED: bytes the client typed / the terminal printed (before
	 * compression), for the audit trail */
	uint64_t bytes_in;
	uint64_t bytes_out;
};

typedef void (*term_event_fn)(void *arg, const struct term_event *ev);
/* May the session queue another data event now? (e.g. its socket's send
 * queue is below a high-water mark). */
typedef bool (*term_can_send_fn)(void *arg);
typedef void (*term_closed_fn)(void *arg);

/*
 * A spawner starts and ends the shells of terminals: the direct one forks
 * them in this process (term_direct below; what a host uses without
 * cfg.spawner), the daemon's asks the privileged monitor, which runs a
 * term_direct of its own (monitor.h: term-open, term-hangup), so both
 * start, hang up and reap shells with the same code.
 */
struct term_open_req {
	int32_t terminal_id;
	int64_t session_tag; /* names the typescript */
	uint16_t rows;
	uint16_t cols;
};

/* A started shell. The caller owns master and record_fd. */
struct term_shell {
	uint32_t handle; /* the spawner's name for it, never 0 */
	uint32_t pid;
	int master;      /* the pty master: non-blocking, close-on-exec;
			  * Windows: a CRT fd of ConPTY's output pipe */
#ifdef _WIN32
	int input;       /* a CRT fd of ConPTY's input pipe */
	void *pcon;      /* the HPCON, the spawner's: for the resize only */
#endif
	int record_fd;   /* the typescript, open for writing; -1 = none */
	bool tty_chowned;
	char tty[64];
	char user[64];   /* the account (also set on a refusal) */
	char typescript[4352]; /* its path; "" = not recorded */
};

/* The shell handle was reaped: its exit status, 128+N when killed by
 * signal N. Called once per open shell, from the loop, never from inside
 * open or hangup. */
typedef void (*term_exit_fn)(void *arg, uint32_t handle, int32_t exit_code);

struct term_spawner;
struct term_spawner_impl {
	/* Starts the configured account's shell on a new pty of req's size.
	 * Returns 0 and *out (on_exit(arg) follows once it is reaped), or
	 * an error with the text the client is shown in msg (and the
	 * account in out->user). */
	int (*open)(struct term_spawner *sp, const struct term_open_req *req,
		term_exit_fn on_exit, void *arg, struct term_shell *out,
		char *msg, size_t msg_size);
	/* Hangs the shell up (the caller closes its master next); its exit
	 * is still reported, unless forget. 0 or OP_ERR_NOT_FOUND. */
	int (*hangup)(struct term_spawner *sp, uint32_t handle, bool forget);
};
struct term_spawner {
	const struct term_spawner_impl *impl;
};

struct term_host_cfg {
	uv_loop_t *loop;
	/* The account (copied); NULL refuses every open, and account_error
	 * (the term_account_lookup result: OP_ERR_CONFIG no user configured,
	 * OP_ERR_NOT_FOUND unknown user, ...) and user (the configured name)
	 * say why, to the client. */
	const struct term_account *account;
	int account_error;
	const char *user;
	bool allow_root;        /* policy allows a uid 0 shell */
	const char *lang;       /* LANG; NULL or "" = C.UTF-8 */
	const char *service_id; /* TerminalOpened.service_id; NULL = made up */
	unsigned max_terminals; /* 0 = TERM_DEFAULT_MAX */
	size_t input_max;       /* 0 = TERM_DEFAULT_INPUT_MAX */
	unsigned hangup_grace_ms; /* SIGHUP to SIGKILL; 0 = 3000 */
	bool no_compress;       /* never set TerminalData.compressed */
	term_event_fn on_event; /* required */
	term_can_send_fn can_send; /* NULL = always */
	/* Typescripts: a new 0600 file per terminal in record_dir (NULL =
	 * none), named after record_tag; a terminal whose typescript cannot
	 * be created is refused (recording fails closed). */
	const char *record_dir;
	int64_t record_tag;
	/* Who starts the shells (borrowed; it outlives the host). NULL: a
	 * term_direct of the host's own, with account ... record_dir and
	 * hangup_grace_ms; otherwise those are the spawner's business. */
	struct term_spawner *spawner;
	void *arg;
};

struct term_host;

/*
 * Creates the terminals of one session. Returns 0 and *out, OP_ERR_CONFIG
 * (no loop or on_event) or OP_ERR_NOMEM. Free with term_host_close.
 */
int term_host_new(const struct term_host_cfg *cfg, struct term_host **out);

/*
 * OpenTerminal: starts the account's login shell on a new pty of rows x
 * cols (0 = 24 x 80). Always answers with one TERM_EV_OPENED event from
 * inside the call, whose message says what failed; returns the same
 * outcome: 0, OP_ERR_CONFIG / OP_ERR_NOT_FOUND (no or unknown user),
 * OP_ERR_DENIED (root without allow_root), OP_ERR_PERM (the agent cannot
 * switch users), OP_ERR_RANGE (size), OP_ERR_TOO_LARGE (too many
 * terminals), OP_ERR_STATE (that id is still closing), or the errno of
 * the pty, fork or recording. An id already open answers success with the
 * same pid and starts nothing. After term_host_close: OP_ERR_STATE, no
 * event.
 */
int term_host_open(struct term_host *h, int32_t id, uint32_t rows,
	uint32_t cols);

/*
 * TerminalData from the client: queues len bytes (zstd-decompressed
 * first when compressed) for the terminal's pty. Returns 0;
 * OP_ERR_NOT_FOUND (no such terminal, or it is ending: dropped silently,
 * as RustDesk does); OP_ERR_PROTO (bad zstd); OP_ERR_TOO_LARGE (the
 * queue is full: the bytes are dropped and a TERM_EV_ERROR says so).
 */
int term_host_write(struct term_host *h, int32_t id, const uint8_t *data,
	size_t len, bool compressed);

/* ResizeTerminal: TIOCSWINSZ (the shell gets SIGWINCH); on Windows
 * ResizePseudoConsole. Returns 0, OP_ERR_NOT_FOUND, OP_ERR_RANGE (0 or
 * above TERM_MAX_DIM; a TERM_EV_ERROR says so), or the system's refusal
 * (OP_ERR_UNSUPPORTED: wine's E_NOTIMPL). */
int term_host_resize(struct term_host *h, int32_t id, uint32_t rows,
	uint32_t cols);

/*
 * CloseTerminal: hangs the terminal up (SIGHUP and SIGCONT to the
 * shell's process group, its foreground job and the rest of its session,
 * the pty closed), SIGKILL after the grace period; a TERM_EV_CLOSED with
 * the exit status (bash: 129, killed by SIGHUP) follows once the shell is
 * reaped, about 250 ms after it exits. No more output is sent for it.
 * Processes that left the session (setsid, daemons) are not touched;
 * nohup'd ones survive unless the grace period's SIGKILL is needed.
 * Returns 0 or OP_ERR_NOT_FOUND; a second call is a no-op.
 */
int term_host_hangup(struct term_host *h, int32_t id);

/* The session's queue drained: read output again now rather than at the
 * next poll of can_send (every few ms while paused). */
void term_host_kick(struct term_host *h);

/* Figures over the host's life. */
struct term_stats {
	unsigned open;          /* terminals not yet closed */
	unsigned opened;        /* successful opens */
	uint64_t bytes_in;      /* typed by the client */
	uint64_t bytes_out;     /* printed by terminals */
	uint64_t wire_out;      /* data bytes sent, after compression */
	uint64_t pauses;        /* times can_send stopped the output */
	uint64_t input_dropped; /* bytes refused by full input queues */
};
void term_host_stats(const struct term_host *h, struct term_stats *out);

/* Bytes typed into / printed by terminal id so far (for the audit
 * record of a terminal still open when its session ends). Returns 0 or
 * OP_ERR_NOT_FOUND (then both are 0). */
int term_host_bytes(const struct term_host *h, int32_t id, uint64_t *in,
	uint64_t *out);

/* The service_id sent in TerminalOpened. */
const char *term_host_service_id(const struct term_host *h);

/*
 * Ends every terminal (as term_host_hangup, without further events) and
 * frees the host once every shell is reaped; done(arg) (may be NULL) is
 * then called from the loop. h must not be used after this call, and
 * nothing calls into the caller but done, so a session may free itself
 * without waiting. A shell that ignores SIGHUP is killed after the grace
 * period; an agent without CAP_KILL cannot kill another user's process,
 * and then done waits for that process to exit by itself.
 */
void term_host_close(struct term_host *h, term_closed_fn done, void *arg);

/*
 * The direct spawner: shells forked by this process, each watched on the
 * loop through a pidfd and reaped by waitpid on its own pid only (other
 * children and libuv's SIGCHLD handling are never disturbed). It keeps a
 * copy of each master, for the hangup (the foreground job).
 */
struct term_direct;

/* Whom shells run as, and how: the policy (borrowed for the call). */
struct term_who {
	/* The account; NULL refuses with account_error (term_account_lookup's
	 * result) and user (the configured name) in the text. */
	const struct term_account *account;
	int account_error;
	const char *user;
	bool allow_root;
	const char *lang;       /* LANG; NULL or "" = C.UTF-8 */
	const char *record_dir; /* typescripts; NULL = none */
};

/* hangup_grace_ms: SIGHUP to SIGKILL (0 = 3000). Returns 0 and *out, or
 * OP_ERR_NOMEM. */
int term_direct_new(uv_loop_t *loop, unsigned hangup_grace_ms,
	struct term_direct **out);

/* As term_spawner_impl.open, as who says. */
int term_direct_open(struct term_direct *d, const struct term_who *who,
	const struct term_open_req *req, term_exit_fn on_exit, void *arg,
	struct term_shell *out, char *msg, size_t msg_size);

/* As term_spawner_impl.hangup: SIGHUP and SIGCONT to the shell's process
 * group, its foreground job and the rest of its session, our master
 * closed, SIGKILL after the grace period. */
int term_direct_hangup(struct term_direct *d, uint32_t handle, bool forget);

/* Shells started and not yet reaped. */
unsigned term_direct_live(const struct term_direct *d);

/* Hangs every shell up, reports none, and frees d (from the loop) once
 * all are reaped. d must not be used after this call. NULL: no-op. */
void term_direct_close(struct term_direct *d);

/*
 * A new 0600 typescript in dir (made 0700 when missing) named after tag
 * and id, never following a link, never reusing a name. Returns 0 with
 * *fd and path, or an error.
 */
int term_record_open(const char *dir, int64_t tag, int32_t id, char *path,
	size_t path_size, int *fd);

#endif
