/* SPDX-License-Identifier: MIT */
/*
 * term-open and term-hangup (monitor.h): the network process's terminal
 * shells, started here because it may not run programs. The account,
 * its shell, allow_root, LANG and the typescripts all come from the
 * monitor's config (monitor_set_terminal); the request names only the
 * terminal (for the typescript's name) and its size. The shells are a
 * term_direct of the current network process: the same code that starts,
 * hangs up and reaps shells in-process (term-direct.c), so refusals read
 * as they always did. A network process can hang up only its own shells
 * (the table is replaced with each one), at most MONITOR_TERM_BURST at
 * once and MONITOR_TERM_PER_S a second after that, and never more than
 * the configured cap alive. On Windows the shell is on a pseudo console
 * (term-direct-win.c): its output and input pipes are the two
 * descriptors passed.
 */
#include "monitor/monitor-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "term/term.h"

static void
on_exit(void *arg, uint32_t handle, int32_t exit_code)
{
	struct monitor *m = arg;
	struct mon_buf ev = { .len = 0 };

	mon_put_u8(&ev, MON_EV_TERM_EXIT);
	mon_put_u32(&ev, handle);
	mon_put_u32(&ev, (uint32_t)exit_code);
	if (m->o.event != NULL)
		m->o.event(m->o.arg, &ev);
}

/* term-open's reply fields, on success and failure alike. */
static void
put_shell(struct mon_buf *out, const struct term_shell *sh, const char *msg)
{
	struct mon_term_shell s;

	memset(&s, 0, sizeof(s));
	s.handle = sh->handle;
	s.pid = sh->pid;
	s.tty_chowned = sh->tty_chowned;
	snprintf(s.tty, sizeof(s.tty), "%s", sh->tty);
	snprintf(s.user, sizeof(s.user), "%s", sh->user);
	snprintf(s.typescript, sizeof(s.typescript), "%s", sh->typescript);
	snprintf(s.msg, sizeof(s.msg), "%s", msg);
	mon_put_term_shell(out, &s);
}

/* Refusals before the spawner is asked: 0, or an error and msg. */
static int
admit(struct monitor *m, char *msg, size_t cap)
{
	int r;

	if (m->o.loop == NULL) {
		snprintf(msg, cap, "This host does not start terminals");
		return OP_ERR_UNSUPPORTED;
	}
	if (!monitor__granted(m, "term-open")) {
		snprintf(msg, cap, "No session is authorized");
		return OP_ERR_DENIED;
	}
	if (!monitor__limit(m, &m->term_opens, MONITOR_TERM_BURST,
		    MONITOR_TERM_PER_S, "terminals opened")) {
		snprintf(msg, cap, "Too many terminals were opened in a short "
				   "time on this host; try again in a moment");
		return -EAGAIN;
	}
	if (m->terms == NULL &&
		(r = term_direct_new(m->o.loop, 0, &m->terms)) != 0) {
		snprintf(msg, cap, "Out of memory");
		return r;
	}
	if (term_direct_live(m->terms) >= m->term.max_live) {
		snprintf(msg, cap, "Too many terminals are open on this host "
				   "(at most %u)", m->term.max_live);
		return OP_ERR_TOO_LARGE;
	}
	return 0;
}

int
monitor__on_term_open(struct monitor *m, struct mon_rd *in,
	struct mon_buf *out, struct monitor_reply *fds)
{
	struct mon_term_open q;
	struct term_open_req req;
	struct term_account acct;
	struct term_shell sh;
	struct term_who who = {
		.user = m->term.user,
		.allow_root = m->term.allow_root,
		.record_dir = m->term.record_dir[0] != '\0' ?
			m->term.record_dir :
			NULL,
	};
	char msg[256] = "";
	int r;

	mon_get_term_open(in, &q);
	/* The network process resolved 0 to the default size already. */
	if (!mon_rd_done(in) || q.terminal_id < 0 || q.rows < 1 ||
		q.rows > TERM_MAX_DIM || q.cols < 1 || q.cols > TERM_MAX_DIM)
		return monitor__malformed(in);
	memset(&sh, 0, sizeof(sh));
	snprintf(sh.user, sizeof(sh.user), "%s", m->term.user);
	if ((r = admit(m, msg, sizeof(msg))) != 0) {
		put_shell(out, &sh, msg);
		return r;
	}
	/* Looked up at each open: the account may change under a running
	 * agent (getpwnam may ask NSS, as it did per login before). */
	who.account_error = term_account_lookup(m->term.user, m->term.shell,
		&acct);
	who.account = who.account_error == 0 ? &acct : NULL;
	req = (struct term_open_req){ .terminal_id = q.terminal_id,
		.session_tag = q.session_tag, .rows = (uint16_t)q.rows,
		.cols = (uint16_t)q.cols };
	r = term_direct_open(m->terms, &who, &req, on_exit, m, &sh, msg,
		sizeof(msg));
	put_shell(out, &sh, msg);
	if (r != 0)
		return r;
	fds->fds[fds->nfds++] = sh.master;
#ifdef _WIN32
	/* ConPTY has an input pipe besides the output (no typescripts:
	 * term-direct-win.c refuses recording). */
	fds->fds[fds->nfds++] = sh.input;
#else
	if (sh.record_fd >= 0)
		fds->fds[fds->nfds++] = sh.record_fd;
#endif
	return 0;
}

int
monitor__on_term_hangup(struct monitor *m, struct mon_rd *in,
	struct mon_buf *out, struct monitor_reply *fds)
{
	uint32_t handle = mon_get_u32(in);

	(void)out;
	(void)fds;
	if (!mon_rd_done(in))
		return monitor__malformed(in);
	/* Not ours (any more): reaped, its exit event on the way, or
	 * another network process's. */
	if (m->terms == NULL)
		return OP_ERR_NOT_FOUND;
	return term_direct_hangup(m->terms, handle, false);
}

void
monitor_set_terminal(struct monitor *m, const struct monitor_term_conf *c)
{
	m->term = *c;
	if (m->term.max_live < 1)
		m->term.max_live = 1;
	if (m->term.max_live > MONITOR_TERM_MAX)
		m->term.max_live = MONITOR_TERM_MAX;
}

void
monitor_terms_end(struct monitor *m)
{
	term_direct_close(m->terms);
	m->terms = NULL;
}
