/* SPDX-License-Identifier: MIT */
/*
 * The daemon side of a consent prompt: starts `outpost consent-prompt` as
 * the desktop user, feeds it the request on stdin, and turns its one-line
 * answer into a consent_result on the daemon's loop.
 *
 * Privilege drop (field notes S1): fork, then in the child only
 * async-signal-safe system calls: signals reset, stdio from our pipes,
 * every other fd closed, a new session, setgroups (the user's groups,
 * computed before fork because getgrouplist is not fork-safe), setresgid,
 * setresuid, each checked, a check that root cannot be regained,
 * PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, then execve with an argv array
 * and a five-variable environment. No shell, ever (S13).
 *
 * Fail closed (S8): only the exact line "allow" gives CONSENT_ALLOW. The
 * child is watched through a pidfd (so libuv's own SIGCHLD reaping, which
 * waits only for its uv_process_t pids, never races us) and reaped here.
 * It must not block the loop: the request is at most ~1.7 KiB and goes
 * into an empty pipe, so that write cannot block.
 */
#include "consent/consent.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "consent/consent-internal.h"
#include "consent/consent-prompt.h"
#include "core/child.h"
#include "core/err.h"
#include "core/log.h"

#define GRACE_MS 2000     /* the prompt's own countdown ends first */
#define REAP_MS 2000      /* after an answer, before SIGKILL */
#define LINE_MAX_ 16
#define ERR_MAX 200
#define CHILD_EXIT_SETUP 126
#define CHILD_EXIT_EXEC 127

struct consent {
	uv_loop_t *loop;
	consent_done_fn done;
	void *arg;
	pid_t pid;
	int pidfd;
	uv_poll_t exit_poll;
	uv_timer_t timer;
	uv_pipe_t out;
	uv_pipe_t err;
	int handles; /* initialised handles not yet closed */
	bool decided;
	bool exited;
	bool out_eof;
	bool err_eof;
	bool closing;
	int status;
	unsigned timeout_s;
	char line[LINE_MAX_ + 1];
	size_t line_len;
	char errbuf[ERR_MAX + 1];
	size_t err_len;
	char rbuf[256];
	char user[64];
	char display[64];
};

/* Everything the child needs, prepared before fork. */
struct child_plan {
	int in_fd;
	int out_fd;
	int err_fd;
	pid_t parent;
	bool change_ids;
	uid_t uid;
	gid_t gid;
	size_t ngroups;
	const gid_t *groups;
	const char *home;
	const char *exe;
	char *const *argv;
	char *const *envp;
};

/* Runs in the forked child: async-signal-safe calls only. */
static void __attribute__((noreturn))
child_exec(const struct child_plan *p)
{
	static const struct child_say_as how = { .prefix = "consent prompt: ",
		.eol = "\n", .code = CHILD_EXIT_SETUP };
	static const struct child_say_as how_exec = {
		.prefix = "consent prompt: ", .eol = "\n",
		.code = CHILD_EXIT_EXEC };
	const struct child_who who = { .change_ids = p->change_ids,
		.uid = p->uid, .gid = p->gid, .ngroups = p->ngroups,
		.groups = p->groups };

	child_default_signals(); /* SIGPIPE was ignored */
	if (dup2(p->in_fd, 0) < 0 || dup2(p->out_fd, 1) < 0 ||
		dup2(p->err_fd, 2) < 0)
		_exit(CHILD_EXIT_SETUP);
	child_close_from(3);
	(void)setsid();
	child_become(&who, &how);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0)
		child_fail(&how, "PR_SET_NO_NEW_PRIVS");
	/* After setresuid, which clears it: die with the daemon. */
	child_die_with(p->parent, &how);
	if (chdir(p->home) != 0 && chdir("/") != 0)
		child_fail(&how, "chdir");
	execve(p->exe, p->argv, p->envp);
	child_fail(&how_exec, "execve");
}

/* Moves a pipe end above stdio so the child's dup2 calls cannot clash. */
static int
above_stdio(int *fd)
{
	int nfd;

	if (*fd > 2)
		return 0;
	if ((nfd = fcntl(*fd, F_DUPFD_CLOEXEC, 3)) < 0)
		return -errno;
	close(*fd);
	*fd = nfd;
	return 0;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void
on_handle_closed(uv_handle_t *h)
{
	struct consent *c = h->data;

	if (--c->handles == 0) {
		close_fd(&c->pidfd);
		free(c);
	}
}

static void
close_handle(struct consent *c, uv_handle_t *h)
{
	if (h->data != NULL && !uv_is_closing(h))
		uv_close(h, on_handle_closed);
	(void)c;
}

/* Frees c once the answer is given and the child reaped. */
static void
maybe_teardown(struct consent *c)
{
	if (!c->decided || !c->exited || c->closing)
		return;
	c->closing = true;
	close_handle(c, (uv_handle_t *)&c->exit_poll);
	close_handle(c, (uv_handle_t *)&c->timer);
	close_handle(c, (uv_handle_t *)&c->out);
	close_handle(c, (uv_handle_t *)&c->err);
}

static void
kill_child(struct consent *c)
{
	if (c->exited)
		return;
	(void)kill(-c->pid, SIGKILL); /* its session, after setsid */
	(void)kill(c->pid, SIGKILL);
}

static void
on_timer(uv_timer_t *t);

static void
decide(struct consent *c, enum consent_result r, const char *detail)
{
	if (c->decided)
		return;
	c->decided = true;
	uv_timer_stop(&c->timer);
	if (r != CONSENT_ALLOW && r != CONSENT_DENY)
		kill_child(c); /* the prompt may still be on screen */
	else if (!c->exited)
		uv_timer_start(&c->timer, on_timer, REAP_MS, 0);
	c->done(c->arg, r, detail);
}

/* The child exited without an answer: say why, as well as we can. */
static void
decide_from_status(struct consent *c)
{
	char why[128];
	char detail[400];
	char err[ERR_MAX + 1];
	int st = c->status;

	if (c->decided || !c->exited || !c->out_eof || !c->err_eof)
		return;
	if (WIFSIGNALED(st))
		snprintf(why, sizeof(why), "the prompt was killed by signal %d",
			WTERMSIG(st));
	else if (WEXITSTATUS(st) == CONSENT_EXIT_NODISPLAY)
		snprintf(why, sizeof(why),
			"the prompt could not open display %s", c->display);
	else if (WEXITSTATUS(st) == CONSENT_EXIT_XLOST)
		snprintf(why, sizeof(why), "the X connection to %s broke",
			c->display);
	else if (WEXITSTATUS(st) == CHILD_EXIT_SETUP)
		snprintf(why, sizeof(why), "could not start the prompt as %s",
			c->user);
	else if (WEXITSTATUS(st) == CHILD_EXIT_EXEC)
		snprintf(why, sizeof(why), "could not execute the prompt");
	else
		snprintf(why, sizeof(why), "the prompt exited with status %d "
					   "and no answer",
			WEXITSTATUS(st));
	c->errbuf[c->err_len] = '\0';
	c->errbuf[strcspn(c->errbuf, "\n")] = '\0';
	consent_sanitize(err, sizeof(err), c->errbuf, 120);
	snprintf(detail, sizeof(detail), "%s%s%s", why, err[0] ? ": " : "",
		err);
	decide(c, CONSENT_ERROR, detail);
}

static void
on_line(struct consent *c)
{
	char detail[160];

	if (strcmp(c->line, "allow") == 0) {
		snprintf(detail, sizeof(detail), "allowed by %s on %s", c->user,
			c->display);
		decide(c, CONSENT_ALLOW, detail);
	} else if (strcmp(c->line, "deny") == 0) {
		snprintf(detail, sizeof(detail), "denied by %s on %s", c->user,
			c->display);
		decide(c, CONSENT_DENY, detail);
	} else if (strcmp(c->line, "timeout") == 0) {
		snprintf(detail, sizeof(detail),
			"no answer from %s within %u s", c->user, c->timeout_s);
		decide(c, CONSENT_TIMEOUT, detail);
	} else {
		decide(c, CONSENT_ERROR, "the prompt gave no valid answer");
	}
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct consent *c = h->data;

	(void)suggested;
	buf->base = c->rbuf;
	buf->len = sizeof(c->rbuf);
}

static void
on_out_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct consent *c = s->data;

	if (n < 0) {
		uv_read_stop(s);
		c->out_eof = true;
		decide_from_status(c);
		maybe_teardown(c);
		return;
	}
	for (ssize_t i = 0; i < n && !c->decided; i++) {
		char ch = buf->base[i];

		if (ch == '\n') {
			c->line[c->line_len] = '\0';
			on_line(c);
		} else if (c->line_len < LINE_MAX_) {
			c->line[c->line_len++] = ch;
		} else {
			decide(c, CONSENT_ERROR,
				"the prompt's answer is too long");
		}
	}
}

static void
on_err_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct consent *c = s->data;

	if (n < 0) {
		uv_read_stop(s);
		c->err_eof = true;
		decide_from_status(c);
		maybe_teardown(c);
		return;
	}
	size_t room = ERR_MAX - c->err_len;
	size_t take = (size_t)n < room ? (size_t)n : room;

	memcpy(c->errbuf + c->err_len, buf->base, take);
	c->err_len += take;
}

static void
on_exit_poll(uv_poll_t *p, int status, int events)
{
	struct consent *c = p->data;
	int st = 0;
	pid_t r;

	(void)status;
	(void)events;
	do
		r = waitpid(c->pid, &st, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return;
	uv_poll_stop(p);
	c->exited = true;
	c->status = r == c->pid ? st : (1 << 8);
	decide_from_status(c);
	maybe_teardown(c);
}

static void
on_timer(uv_timer_t *t)
{
	struct consent *c = t->data;
	char detail[160];

	if (!c->decided) {
		snprintf(detail, sizeof(detail),
			"no answer from %s within %u s", c->user, c->timeout_s);
		decide(c, CONSENT_TIMEOUT, detail);
	} else {
		kill_child(c); /* answered but did not exit */
	}
}

/* LANG for the child: the daemon's, when it looks like a locale name. */
static const char *
child_lang(void)
{
	const char *l = getenv("LANG");

	if (l == NULL || l[0] == '\0' || strlen(l) > 48)
		return "C.UTF-8";
	for (const char *p = l; *p; p++)
		if (!(*p >= 'A' && *p <= 'Z') && !(*p >= 'a' && *p <= 'z') &&
			!(*p >= '0' && *p <= '9') && !strchr("_.@-", *p))
			return "C.UTF-8";
	return l;
}

/* Sets *out_fd / *err_fd to -1 once a pipe handle owns them. */
static int
start_pipes(struct consent *c, int *out_fd, int *err_fd)
{
	int r;

	if ((r = uv_pipe_init(c->loop, &c->out, 0)) != 0)
		return r;
	c->out.data = c;
	c->handles++;
	if ((r = uv_pipe_init(c->loop, &c->err, 0)) != 0)
		return r;
	c->err.data = c;
	c->handles++;
	if ((r = uv_timer_init(c->loop, &c->timer)) != 0)
		return r;
	c->timer.data = c;
	c->handles++;
	if ((r = uv_pipe_open(&c->out, *out_fd)) != 0)
		return r;
	*out_fd = -1;
	if ((r = uv_pipe_open(&c->err, *err_fd)) != 0)
		return r;
	*err_fd = -1;
	return 0;
}

int
consent_ask(uv_loop_t *loop, const char *self_exe,
	const struct consent_user *user, const struct consent_request *req,
	consent_done_fn done, void *arg, struct consent **out)
{
	int in[2] = { -1, -1 };
	int op[2] = { -1, -1 };
	int ep[2] = { -1, -1 };
	char request[CONSENT_REQUEST_MAX];
	char e_display[80];
	char e_xauth[4200];
	char e_home[530];
	char e_lang[64];
	char a_timeout[32];
	char *envp[6];
	char *argv[5];
	struct child_plan plan;
	struct consent *c = NULL;
	unsigned secs;
	size_t reqlen;
	int n = 0;
	int r = OP_ERR_INTERNAL;

	if (out != NULL)
		*out = NULL;
	if (loop == NULL || self_exe == NULL || self_exe[0] != '/' ||
		user == NULL || req == NULL || done == NULL || out == NULL ||
		!consent__display_valid(user->display) || user->ngroups < 0 ||
		user->ngroups > CONSENT_MAX_GROUPS)
		return OP_ERR_CONFIG;
	if ((r = consent__request_prepare(req, request, sizeof(request),
		     &reqlen, &secs)) != 0)
		return r;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return OP_ERR_NOMEM;
	c->loop = loop;
	c->done = done;
	c->arg = arg;
	c->pidfd = -1;
	c->timeout_s = secs;
	snprintf(c->user, sizeof(c->user), "%s", user->name);
	snprintf(c->display, sizeof(c->display), "%s", user->display);

	snprintf(a_timeout, sizeof(a_timeout), "--timeout=%u", c->timeout_s);
	argv[0] = (char *)self_exe;
	argv[1] = (char *)"consent-prompt";
	argv[2] = (char *)"--stdin";
	argv[3] = a_timeout;
	argv[4] = NULL;
	snprintf(e_display, sizeof(e_display), "DISPLAY=%s", user->display);
	snprintf(e_home, sizeof(e_home), "HOME=%s",
		user->home[0] == '/' ? user->home : "/");
	snprintf(e_lang, sizeof(e_lang), "LANG=%s", child_lang());
	envp[n++] = e_display;
	if (user->xauthority[0] == '/') {
		snprintf(e_xauth, sizeof(e_xauth), "XAUTHORITY=%s",
			user->xauthority);
		envp[n++] = e_xauth;
	}
	envp[n++] = e_home;
	envp[n++] = (char *)"PATH=/usr/bin:/bin";
	envp[n++] = e_lang;
	envp[n] = NULL;

	if (pipe2(in, O_CLOEXEC | O_NONBLOCK) != 0 ||
		pipe2(op, O_CLOEXEC) != 0 || pipe2(ep, O_CLOEXEC) != 0) {
		r = -errno;
		goto fail;
	}
	for (int i = 0; i < 2; i++)
		if ((r = above_stdio(&in[i])) != 0 ||
			(r = above_stdio(&op[i])) != 0 ||
			(r = above_stdio(&ep[i])) != 0)
			goto fail;
	/* The whole request fits an empty pipe (>= one page): no block. */
	if (write(in[1], request, reqlen) != (ssize_t)reqlen) {
		r = OP_ERR_INTERNAL;
		goto fail;
	}
	close_fd(&in[1]);

	plan = (struct child_plan){
		.in_fd = in[0],
		.out_fd = op[1],
		.err_fd = ep[1],
		.parent = getpid(),
		.change_ids = getuid() != user->uid || geteuid() != user->uid ||
			getgid() != user->gid || getegid() != user->gid,
		.uid = user->uid,
		.gid = user->gid,
		.ngroups = (size_t)user->ngroups,
		.groups = user->groups,
		.home = user->home[0] == '/' ? user->home : "/",
		.exe = self_exe,
		.argv = argv,
		.envp = envp,
	};
	c->pid = fork();
	if (c->pid < 0) {
		r = -errno;
		goto fail;
	}
	if (c->pid == 0)
		child_exec(&plan);
	close_fd(&in[0]);
	close_fd(&op[1]);
	close_fd(&ep[1]);

	/* From here the child exists: errors kill it and tear down. */
	c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0U);
	if (c->pidfd < 0) {
		r = -errno;
		(void)kill(c->pid, SIGKILL);
		(void)waitpid(c->pid, NULL, 0); /* just killed: immediate */
		goto fail;
	}
	if ((r = start_pipes(c, &op[0], &ep[0])) != 0)
		goto fail_started;
	if ((r = uv_poll_init(loop, &c->exit_poll, c->pidfd)) != 0)
		goto fail_started;
	c->exit_poll.data = c;
	c->handles++;
	if ((r = uv_poll_start(&c->exit_poll, UV_READABLE, on_exit_poll)) !=
			0 ||
		(r = uv_read_start((uv_stream_t *)&c->out, on_alloc,
			 on_out_read)) != 0 ||
		(r = uv_read_start((uv_stream_t *)&c->err, on_alloc,
			 on_err_read)) != 0 ||
		(r = uv_timer_start(&c->timer, on_timer,
			 (uint64_t)c->timeout_s * 1000 + GRACE_MS, 0)) != 0)
		goto fail_started;
	*out = c;
	return 0;

fail_started:
	/* done must never be called now; reap, then free via close. */
	c->decided = true;
	kill_child(c);
	(void)waitpid(c->pid, NULL, 0);
	c->exited = true;
	close_fd(&op[0]);
	close_fd(&ep[0]);
	if (c->handles > 0) {
		maybe_teardown(c);
		return r;
	}
	close_fd(&c->pidfd);
	free(c);
	return r;
fail:
	for (int i = 0; i < 2; i++) {
		close_fd(&in[i]);
		close_fd(&op[i]);
		close_fd(&ep[i]);
	}
	free(c);
	return r;
}

void
consent_cancel(struct consent *c)
{
	if (c == NULL || c->decided)
		return;
	decide(c, CONSENT_CANCELLED, "the request was withdrawn");
	maybe_teardown(c);
}

pid_t
consent_pid(const struct consent *c)
{
	return c != NULL ? c->pid : -1;
}
