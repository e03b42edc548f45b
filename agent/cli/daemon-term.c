/* SPDX-License-Identifier: MIT */
/*
 * The network process's terminal spawner (term.h): the monitor starts
 * and hangs up the shells (term-open, term-hangup; monitor-term.c), this
 * process only gets each pty master (and typescript) as a descriptor,
 * and hears of the reap as an event (MON_EV_TERM_EXIT), which goes to
 * whichever terminal of whichever session asked for that shell.
 *
 * It must not choose the account, the shell or whether a typescript is
 * kept: the monitor's config does. An exit for a handle we do not know
 * (a forgotten shell) is ignored. While a shell is awaited the events
 * socket keeps the loop alive (it does not otherwise), so shutdown waits
 * for the reaps as it did for shells of our own.
 */
#include "cli/daemon-internal.h"
#include "cli/daemon-chan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "monitor/monitor-client.h"
#include "monitor/monitor.h"
#include "term/term.h"

/* A shell the monitor started for us, until its exit event. */
struct shell_slot {
	uint32_t handle; /* 0 = free */
	term_exit_fn on_exit;
	void *arg;
};

struct daemon_terms {
	struct term_spawner sp; /* first: sp is the object */
	struct daemon *d;
	unsigned live;
	struct shell_slot slots[MONITOR_TERM_MAX];
};

/* One more (+1) or one less (-1) shell awaited. */
static void
count(struct daemon_terms *t, int delta)
{
	t->live = (unsigned)((int)t->live + delta);
	if (t->live == 1 && delta > 0)
		daemon_chan_ref(t->d->ev_chan, true);
	else if (t->live == 0)
		daemon_chan_ref(t->d->ev_chan, false);
}

static struct shell_slot *
slot_of(struct daemon_terms *t, uint32_t handle)
{
	for (size_t i = 0; i < MONITOR_TERM_MAX; i++)
		if (t->slots[i].handle == handle)
			return &t->slots[i];
	return NULL;
}

static int
open_shell(struct term_spawner *sp, const struct term_open_req *req,
	term_exit_fn on_exit, void *arg, struct term_shell *out, char *msg,
	size_t msg_size)
{
	struct daemon_terms *t = (struct daemon_terms *)sp;
	struct mon_term_open q = { .terminal_id = req->terminal_id,
		.session_tag = req->session_tag, .rows = req->rows,
		.cols = req->cols };
	struct mon_term_shell sh;
	struct shell_slot *sl = slot_of(t, 0);
	int r;

	memset(out, 0, sizeof(*out));
	out->master = -1;
	out->record_fd = -1;
	if (sl == NULL) { /* the monitor's cap is lower: not reached */
		snprintf(msg, msg_size, "Too many terminals are open");
		return OP_ERR_TOO_LARGE;
	}
	/* The second descriptor: ConPTY's input pipe on Windows, the
	 * typescript elsewhere (monitor-term.c). */
#ifdef _WIN32
	out->input = -1;
	r = monclient_term_open(t->d->mon_fd, &q, &sh, &out->master,
		&out->input);
#else
	r = monclient_term_open(t->d->mon_fd, &q, &sh, &out->master,
		&out->record_fd);
#endif
	snprintf(out->user, sizeof(out->user), "%s", sh.user);
	if (r != 0) {
		snprintf(msg, msg_size, "%s", sh.msg[0] != '\0' ? sh.msg :
			"The host's monitor did not start the shell");
		daemon_monitor_failed(t->d, r, "term-open");
		return r;
	}
	sl->handle = sh.handle;
	sl->on_exit = on_exit;
	sl->arg = arg;
	count(t, 1);
	out->handle = sh.handle;
	out->pid = sh.pid;
	out->tty_chowned = sh.tty_chowned;
	snprintf(out->tty, sizeof(out->tty), "%s", sh.tty);
	snprintf(out->typescript, sizeof(out->typescript), "%s",
		sh.typescript);
	return 0;
}

static int
hangup_shell(struct term_spawner *sp, uint32_t handle, bool forget)
{
	struct daemon_terms *t = (struct daemon_terms *)sp;
	struct shell_slot *sl = handle != 0 ? slot_of(t, handle) : NULL;
	int r;

	if (sl == NULL)
		return OP_ERR_NOT_FOUND;
	if (forget) {
		memset(sl, 0, sizeof(*sl));
		count(t, -1);
	}
	/* Not found there: reaped already, its exit event on the way. */
	r = monclient_term_hangup(t->d->mon_fd, handle);
	if (r != 0 && r != OP_ERR_NOT_FOUND)
		daemon_monitor_failed(t->d, r, "term-hangup");
	return 0;
}

static const struct term_spawner_impl monitor_impl = {
	.open = open_shell,
	.hangup = hangup_shell,
};

void
daemon_term_exited(struct daemon *d, uint32_t handle, int32_t code)
{
	struct shell_slot *sl = handle != 0 && d->terms != NULL ?
		slot_of(d->terms, handle) :
		NULL;
	struct shell_slot was;

	if (sl == NULL)
		return; /* forgotten */
	was = *sl;
	memset(sl, 0, sizeof(*sl));
	count(d->terms, -1);
	was.on_exit(was.arg, handle, code);
}

int
daemon_terms_init(struct daemon *d)
{
	if ((d->terms = calloc(1, sizeof(*d->terms))) == NULL)
		return OP_ERR_NOMEM;
	d->terms->sp.impl = &monitor_impl;
	d->terms->d = d;
	return 0;
}

void
daemon_terms_free(struct daemon *d)
{
	free(d->terms);
	d->terms = NULL;
}

struct term_spawner *
daemon_term_spawner(struct daemon *d)
{
	return d->terms != NULL ? &d->terms->sp : NULL;
}
