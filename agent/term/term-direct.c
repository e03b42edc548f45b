/* SPDX-License-Identifier: MIT */
/*
 * The direct spawner (term.h): shells forked by this process for whoever
 * holds their masters: a term_host of this process, or, in the monitor,
 * the network process (monitor-term.c). It decides who a shell runs as
 * from the policy it is handed (the refusals the technician reads come
 * from here), opens the typescript, starts the shell (term-spawn.c) and
 * watches it until it is reaped.
 *
 * A hangup sends SIGHUP and SIGCONT to the shell's process group and its
 * foreground job, closes our master copy and tells the rest of the
 * shell's session too (a job being started at that instant misses the
 * group signals); SIGKILL follows after the grace period. A hung-up
 * shell that exits is kept a zombie for 250 ms while its session is told
 * again, so its pid names only that session. A reaped pid is never
 * signalled.
 *
 * It must not report a shell twice, nor after term_direct_close or a
 * forgetting hangup; nothing is freed from inside a callback.
 */
#include "term/term.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/err.h"
#include "core/log.h"
#include "core/queue.h"
#include "term/term-internal.h"

#define GRACE_DEFAULT_MS 3000
#define REAP_TICK_MS 50 /* hung up: the session told again every... */
#define REAP_TICKS 5    /* ...this many times before the reap */

struct proc {
	struct term__proc b;  /* first: the registry's part */
	struct term_direct *d;
	struct term__child c; /* c.master is our copy (-1 once hung up) */
	uv_poll_t exit_poll;  /* the pidfd */
	uv_timer_t timer;     /* the SIGKILL deadline, or the reap ticks */
	int handles;
	bool hung_up;
	bool exited; /* hung up and a zombie, reaped after REAP_TICKS */
	unsigned exit_ticks;
	bool done;
};

struct term_direct {
	uv_loop_t *loop;
	unsigned grace_ms;
	struct term__procs ps;
	unsigned dying; /* done, handles closing */
	bool closing;
};

int
term_direct_new(uv_loop_t *loop, unsigned hangup_grace_ms,
	struct term_direct **out)
{
	struct term_direct *d;

	*out = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return OP_ERR_NOMEM;
	d->loop = loop;
	d->grace_ms = hangup_grace_ms ? hangup_grace_ms : GRACE_DEFAULT_MS;
	term__procs_init(&d->ps);
	*out = d;
	return 0;
}

static void
maybe_free(struct term_direct *d)
{
	if (d->closing && d->ps.live == 0 && d->dying == 0)
		free(d);
}

static void
on_proc_closed(uv_handle_t *hd)
{
	struct proc *p = hd->data;
	struct term_direct *d = p->d;

	if (--p->handles > 0)
		return;
	if (p->c.pidfd >= 0)
		close(p->c.pidfd);
	free(p);
	d->dying--;
	maybe_free(d);
}

/* waitpid on the shell alone; false while it still runs. */
static bool
reap(struct proc *p, int *status)
{
	int st = 0;
	pid_t r;

	do
		r = waitpid(p->c.pid, &st, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return false;
	*status = r == p->c.pid ? st : 255 << 8;
	return true;
}

/* Reaped: reports it (unless forgotten) and lets go of p. */
static void
finish(struct proc *p, int status)
{
	struct term_direct *d = p->d;
	term_exit_fn fn = term__procs_remove(&d->ps, &p->b);

	p->done = true;
	d->dying++;
	if (p->c.master >= 0)
		close(p->c.master);
	p->c.master = -1;
	uv_close((uv_handle_t *)&p->exit_poll, on_proc_closed);
	uv_close((uv_handle_t *)&p->timer, on_proc_closed);
	if (fn != NULL && !d->closing)
		fn(p->b.arg, p->b.handle, term__exit_code(status));
}

static void
on_timer(uv_timer_t *tm)
{
	struct proc *p = tm->data;
	int status = 0;

	if (p->exited) {
		(void)term__signal_session(p->c.pid, SIGHUP);
		if (++p->exit_ticks < REAP_TICKS)
			return;
		uv_timer_stop(&p->timer);
		(void)reap(p, &status); /* a zombie: immediate */
		finish(p, status);
	} else {
		int e_group = kill(-p->c.pid, SIGKILL) == 0 ? 0 : errno;
		int e_pid = kill(p->c.pid, SIGKILL) == 0 ? 0 : errno;

		(void)term__signal_session(p->c.pid, SIGKILL);
		if (e_group == EPERM || e_pid == EPERM)
			/* Root without CAP_KILL cannot signal another uid; the
			 * tty is hung up, as after an ssh logout. */
			log_error("shell %d ignores SIGHUP and cannot be killed "
				  "(the agent lacks CAP_KILL); it is left "
				  "running", (int)p->c.pid);
		else
			log_notice("shell %d ignored SIGHUP, killed",
				(int)p->c.pid);
	}
}

static void
on_exit_poll(uv_poll_t *hd, int status, int events)
{
	struct proc *p = hd->data;
	int st = 0;

	(void)status;
	(void)events;
	if (p->hung_up) {
		/* A job forked in the instant of the SIGHUP can catch it with
		 * the shell's handler, still installed before its exec, and
		 * live on. While the shell is an unreaped zombie its pid names
		 * only its session: tell the rest again for a moment, then
		 * reap (on_timer). */
		uv_poll_stop(hd);
		p->exited = true;
		p->exit_ticks = 0;
		(void)term__signal_session(p->c.pid, SIGHUP);
		uv_timer_start(&p->timer, on_timer, REAP_TICK_MS, REAP_TICK_MS);
		return;
	}
	if (!reap(p, &st))
		return;
	uv_poll_stop(hd);
	finish(p, st);
}

static void
hangup(struct proc *p)
{
	pid_t fg = -1;

	if (p->hung_up || p->done)
		return;
	p->hung_up = true;
	if (p->c.master >= 0) {
		fg = tcgetpgrp(p->c.master);
		close(p->c.master);
		p->c.master = -1;
	}
	/* SIGCONT too, for stopped jobs, as the kernel's hangup does. */
	(void)kill(-p->c.pid, SIGHUP);
	(void)kill(-p->c.pid, SIGCONT);
	if (fg > 0 && fg != p->c.pid) {
		(void)kill(-fg, SIGHUP);
		(void)kill(-fg, SIGCONT);
	}
	(void)kill(p->c.pid, SIGHUP); /* should it have left its group */
	/* A job the shell was just starting is in neither group yet. */
	(void)term__signal_session(p->c.pid, SIGHUP);
	if (!p->exited)
		uv_timer_start(&p->timer, on_timer, p->d->grace_ms, 0);
}

static void
hangup_base(struct term__proc *p)
{
	hangup((struct proc *)p);
}

int
term_direct_hangup(struct term_direct *d, uint32_t handle, bool forget)
{
	struct term__proc *p = term__procs_find(&d->ps, handle, forget);

	if (p == NULL)
		return OP_ERR_NOT_FOUND;
	hangup((struct proc *)p);
	return 0;
}

unsigned
term_direct_live(const struct term_direct *d)
{
	return d->ps.live;
}

void
term_direct_close(struct term_direct *d)
{
	if (d == NULL)
		return;
	d->closing = true;
	term__procs_forget_all(&d->ps, hangup_base);
	maybe_free(d);
}

int
term_record_open(const char *dir, int64_t tag, int32_t id, char *path,
	size_t path_size, int *fd)
{
	char stamp[32];
	uint8_t rnd[4];
	time_t now = time(NULL);
	struct tm tm;
	int f;

	*fd = -1;
	path[0] = '\0';
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -errno;
	randombytes_buf(rnd, sizeof(rnd));
	if (gmtime_r(&now, &tm) == NULL ||
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
	if ((size_t)snprintf(path, path_size,
		    "%s/session-%lld-terminal-%d-%s-%02x%02x%02x%02x.typescript",
		    dir, (long long)tag, (int)id, stamp, rnd[0], rnd[1], rnd[2],
		    rnd[3]) >= path_size) {
		path[0] = '\0';
		return OP_ERR_TOO_LARGE;
	}
	f = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		0600);
	if (f < 0) {
		path[0] = '\0';
		return -errno;
	}
	*fd = f;
	return 0;
}

/* Why who's account cannot have a terminal: 0, or an error and the
 * text the client is shown. */
static int
refusal(const struct term_who *who, char *msg, size_t cap)
{
	int r = term__account_refusal(who, msg, cap);

	if (r != 0)
		return r;
	if ((r = term__may_switch(who->account, who->allow_root)) != 0)
		snprintf(msg, cap, "%s",
			r == OP_ERR_DENIED ?
				"Refusing a root terminal: the terminal user "
				"has uid 0 and root terminals are not allowed" :
				"The agent cannot start a shell as another "
				"user (it does not run as root)");
	return r;
}

/* Watches p's pidfd; 0 or a libuv error (p's handles closed then). */
static int
watch(struct term_direct *d, struct proc *p)
{
	int r;

	if ((r = uv_timer_init(d->loop, &p->timer)) != 0)
		return r;
	p->timer.data = p;
	p->handles++;
	if ((r = uv_poll_init(d->loop, &p->exit_poll, p->c.pidfd)) != 0)
		return r;
	p->exit_poll.data = p;
	p->handles++;
	return uv_poll_start(&p->exit_poll, UV_READABLE, on_exit_poll);
}

/* Kills a shell that cannot be watched. */
static void
abandon(struct term_direct *d, struct proc *p)
{
	(void)kill(-p->c.pid, SIGKILL);
	(void)kill(p->c.pid, SIGKILL);
	(void)waitpid(p->c.pid, NULL, 0); /* killed: immediate */
	close(p->c.master);
	p->c.master = -1;
	if (p->handles == 0) {
		close(p->c.pidfd);
		free(p);
		return;
	}
	d->dying++;
	p->done = true;
	if (p->handles == 2)
		uv_close((uv_handle_t *)&p->exit_poll, on_proc_closed);
	uv_close((uv_handle_t *)&p->timer, on_proc_closed);
}

int
term_direct_open(struct term_direct *d, const struct term_who *who,
	const struct term_open_req *req, term_exit_fn on_exit, void *arg,
	struct term_shell *out, char *msg, size_t msg_size)
{
	const struct term_account *a = who->account;
	struct proc *p = NULL;
	int r;

	term__shell_init(out, who, msg);
	if (d->closing)
		return OP_ERR_STATE;
	if ((r = refusal(who, msg, msg_size)) != 0)
		return r;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(msg, msg_size, "Out of memory");
		return OP_ERR_NOMEM;
	}
	p->d = d;
	p->c.pidfd = -1;
	p->c.master = -1;
	if (who->record_dir != NULL &&
		(r = term_record_open(who->record_dir, req->session_tag,
			 req->terminal_id, out->typescript,
			 sizeof(out->typescript), &out->record_fd)) != 0) {
		snprintf(msg, msg_size, "The session recording could not be "
					"started (%s)", op_strerror(r));
		goto fail;
	}
	if ((r = term__spawn(a, who->lang, req->rows, req->cols, &p->c)) !=
		0) {
		snprintf(msg, msg_size, "Could not start a shell on a new pty: "
					"%s", op_strerror(r));
		goto fail;
	}
	if ((out->master = fcntl(p->c.master, F_DUPFD_CLOEXEC, 3)) < 0 ||
		(r = watch(d, p)) != 0) {
		r = out->master < 0 ? -errno : r;
		snprintf(msg, msg_size, "Could not watch the shell: %s",
			op_strerror(r));
		abandon(d, p);
		p = NULL;
		goto fail;
	}
	term__procs_add(&d->ps, &p->b, on_exit, arg);
	out->handle = p->b.handle;
	out->pid = (uint32_t)p->c.pid;
	out->tty_chowned = p->c.tty_chowned;
	snprintf(out->tty, sizeof(out->tty), "%s", p->c.tty);
	log_info("terminal %d: %s as %s on %s (pid %d)", req->terminal_id,
		a->shell, a->name, p->c.tty, (int)p->c.pid);
	if (!p->c.tty_chowned)
		log_notice("terminal %d: %s stays root's (no CAP_CHOWN)",
			req->terminal_id, p->c.tty);
	return 0;
fail:
	if (out->master >= 0)
		close(out->master);
	out->master = -1;
	if (out->record_fd >= 0) {
		close(out->record_fd);
		(void)unlink(out->typescript); /* a typescript of nothing */
	}
	out->record_fd = -1;
	out->typescript[0] = '\0';
	free(p);
	return r;
}
