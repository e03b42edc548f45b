/* SPDX-License-Identifier: MIT */
/* Shared by the term module's .c files (and its unit test) only. */
#ifndef OP_TERM_TERM_INTERNAL_H
#define OP_TERM_TERM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "core/log.h"
#include "core/queue.h"
#include "term/term.h"

struct ZSTD_CCtx_s;

enum term_state {
	TS_RUNNING,  /* the shell runs; output flows while can_send allows */
	TS_DRAINING, /* the shell was reaped; reading what it left */
	TS_HANGUP,   /* closing on request; waiting for the reap */
	TS_DONE,     /* TerminalClosed sent; handles closing */
};

#ifndef _WIN32
/* A started shell on its pty (term-spawn.c), as term_direct keeps it. */
struct term__child {
	pid_t pid;
	int pidfd;  /* readable once the child exited */
	int master; /* non-blocking, close-on-exec */
	char tty[64];
	bool tty_chowned; /* the tty belongs to the shell's user */
};
#endif

struct term {
	TAILQ_ENTRY(term) link;
	struct term_host *h;
	int32_t id;
	enum term_state state;
	struct term_shell c; /* from the spawner; its pty ends are ours */
#ifdef _WIN32
	uv_pipe_t out;       /* ConPTY's output; closing it closes c.master */
	uv_pipe_t in;        /* ConPTY's input; closing it closes c.input */
	size_t writing;      /* input bytes in uv_write requests */
	bool reading;
	bool in_gone;        /* a write failed: conhost stopped reading */
#else
	uv_poll_t io;        /* the pty master; closing it closes the fd */
	int io_mask;
#endif
	uv_timer_t timer;    /* drain quiet time */
	int handles;         /* initialised and not yet closed */
	bool io_inited;
	bool master_eof;
	bool reaped;         /* the spawner reported the exit */
	int32_t exit_code;
	uint64_t drain_start_ms;
	uint64_t drained;
	int record_fd;
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint8_t *inq; /* input not yet taken by the pty: [inq_off, +inq_len) */
	size_t inq_off;
	size_t inq_len;
	size_t inq_cap;
	bool drop_told; /* the client heard of dropped input since it drained */
	size_t carry; /* start of a UTF-8 character, kept for the next read */
	uint8_t rbuf[TERM_CHUNK];
};

TAILQ_HEAD(term_list, term);

struct term_host {
	struct term_host_cfg cfg;
	struct term_spawner *sp;  /* cfg.spawner, or own_sp */
	/* Without cfg.spawner: our own direct spawner and its policy. */
	struct term_spawner own_sp;
	struct term_direct *direct;
	struct term_account account;
	bool has_account;
	char user[64];
	char lang[64];
	char *record_dir;
	char service_id[64];
	struct term_list terms;
	unsigned nterms;
	unsigned dying; /* finished, handles still closing */
	uv_timer_t retry;
	bool retry_open;
	bool paused;
	bool closing;
	term_closed_fn done;
	void *done_arg;
	struct ZSTD_CCtx_s *cc;
	uint8_t *zbuf;
	size_t zcap;
	struct term_stats st;
	struct op_ratelimit refusals;
};

#ifndef _WIN32
/*
 * Opens a pty of rows x cols and starts a's login shell on it (fork,
 * then in the child only async-signal-safe calls). Returns 0 and *out;
 * -errno of posix_openpt / fork / pidfd_open. The caller checked that the
 * switch to a is allowed (term__may_switch). *out is -1/0 on failure.
 */
int term__spawn(const struct term_account *a, const char *lang,
	uint16_t rows, uint16_t cols, struct term__child *out);

/*
 * Sends sig to every process of session sid (the shell's pid: its
 * children, foreground and background jobs, unless they left with
 * setsid), found in /proc; with SIGHUP also SIGCONT, as the kernel's
 * hangup does. Only while the shell is unreaped: its pid then cannot name
 * another session. Returns how many were signalled; what /proc hides or
 * kill(2) refuses (no CAP_KILL) is skipped.
 */
int term__signal_session(pid_t sid, int sig);

/* 0 when this process may start a shell as a (root: any; otherwise only
 * its own uid and gid); OP_ERR_DENIED for uid 0 without allow_root;
 * OP_ERR_PERM when the ids cannot be switched. */
int term__may_switch(const struct term_account *a, bool allow_root);

/* The exit_code of TerminalClosed for a waitpid status: the exit status,
 * or 128 + the signal. */
int32_t term__exit_code(int status);
#endif

/*
 * How many of buf[0..len) to send now so that no UTF-8 character is cut
 * in two (the stock client decodes every TerminalData on its own): len,
 * or less when the last 1-3 bytes start a character the next read
 * completes. Bytes that are not UTF-8 are never held back.
 */
size_t term__utf8_split(const uint8_t *buf, size_t len);

#ifdef _WIN32
/* ResizePseudoConsole (term-direct-win.c): 0, OP_ERR_UNSUPPORTED (wine's
 * E_NOTIMPL) or OP_ERR_INTERNAL. */
int term__conpty_resize(void *pcon, uint16_t rows, uint16_t cols);
#endif

/*
 * The shells a term_direct started, as both systems keep them
 * (term-direct.c, term-direct-win.c): each one's struct proc starts with
 * a struct term__proc.
 */
struct term__proc {
	TAILQ_ENTRY(term__proc) link;
	uint32_t handle;      /* never 0 */
	term_exit_fn on_exit; /* NULL: forgotten */
	void *arg;
};
TAILQ_HEAD(term__proc_list, term__proc);
struct term__procs {
	struct term__proc_list list;
	uint32_t next_handle;
	unsigned live; /* listed */
};
void term__procs_init(struct term__procs *ps);
/* Lists p under a new handle, reporting its exit to on_exit(arg). */
void term__procs_add(struct term__procs *ps, struct term__proc *p,
	term_exit_fn on_exit, void *arg);
/* Unlists p (reaped); returns whom to tell (NULL: forgotten). */
term_exit_fn term__procs_remove(struct term__procs *ps, struct term__proc *p);
/* The shell of handle (its exit forgotten if forget), or NULL. */
struct term__proc *term__procs_find(struct term__procs *ps, uint32_t handle,
	bool forget);
/* Forgets every listed shell's exit and hands each to fn (which must not
 * unlist it). */
void term__procs_forget_all(struct term__procs *ps,
	void (*fn)(struct term__proc *p));

/* A spawner's answer before anything is started: no pty ends, no
 * typescript, the account's name (or the configured one), msg "". */
void term__shell_init(struct term_shell *out, const struct term_who *who,
	char *msg);

/* Why who has no account (term_account_lookup failed): 0, or the error
 * and the text the client is shown in msg. */
int term__account_refusal(const struct term_who *who, char *msg,
	size_t cap);

/* "RxC" within 1..TERM_MAX_DIM (0 on open means the default). */
bool term__dim_ok(uint32_t rows, uint32_t cols);

/* A random "ts_" + 32 hex service id (RustDesk uses "ts_<uuid>"). */
void term__service_id(char *out, size_t cap);

/* Parameters of the one compression context a host keeps; 0 or
 * OP_ERR_INTERNAL. */
int term__pack_setup(struct ZSTD_CCtx_s *cc);

/*
 * RustDesk's TerminalData compression: zstd level 3 of src when len is
 * above TERM_COMPRESS_MIN and the result is smaller. Returns the
 * compressed length in dst (cap >= ZSTD_compressBound(len)), or 0: send
 * src as it is. cc NULL: never compress.
 */
size_t term__pack(struct ZSTD_CCtx_s *cc, const uint8_t *src, size_t len,
	uint8_t *dst, size_t cap);

/*
 * Decompresses a TerminalData the client marked compressed, refusing
 * frames without a content size (OP_ERR_PROTO) or above max bytes
 * (OP_ERR_TOO_LARGE) before allocating. Returns 0 and *out (free()) or an
 * error; OP_ERR_NOMEM.
 */
int term__unpack(const uint8_t *src, size_t len, size_t max, uint8_t **out,
	size_t *out_len);

/* term.c, for term-host.c */
void term__emit(struct term_host *h, const struct term_event *ev);
struct term *term__find(struct term_host *h, int32_t id);
void term__maybe_free_host(struct term_host *h);
void term__record_line(struct term *t, const char *what,
	const char *detail);
void term__on_retry(uv_timer_t *tm);
int term__queue_input(struct term *t, const uint8_t *data, size_t len);
/* Tells the system layer (term-os.h) what t wants of its pty now. */
void term__update_io(struct term *t);
void term__hangup(struct term *t);
/* Kills and frees a terminal whose start failed (t not listed). */
void term__abandon(struct term *t);
int term__start_handles(struct term_host *h, struct term *t);
/* The spawner's exit report for t (term_exit_fn). */
void term__on_exit(void *arg, uint32_t handle, int32_t exit_code);

#endif
