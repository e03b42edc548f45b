/* SPDX-License-Identifier: MIT */
/*
 * Terminal sessions (§13.7): the client's TerminalAction messages (open,
 * data, resize, close) go to the term module, and each of its events
 * goes back as one TerminalResponse (opened, data, closed, error). Every
 * open and close is reported to the daemon for the audit trail, with the
 * account, the tty, byte counts, the exit status and the typescript.
 *
 * Output is read from the ptys only while the connection's send queue is
 * below a high-water mark (the term module asks can_send before each
 * read), so a flood of output blocks the shell in the kernel instead of
 * growing the agent. A bad message from the client (a negative id, data
 * that is not zstd although flagged so) is answered with a
 * TerminalError and ends that terminal, never the session or the agent.
 *
 * This file must not parse anything itself beyond the TerminalAction
 * fields, and it never starts a shell: the term module's spawner does
 * (in the daemon, the privileged monitor), as the configured account
 * only, and names the typescript.
 */
#include "session/session-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "net/stream.h"
#include "term/term.h"

/* Bytes the connection may hold before terminal output waits. */
#define TERM_SEND_HIGH_WATER (1u << 20)
#define TERM_MAX_SLOTS 64 /* policy.terminal.max_per_session's bound */

/* What the audit trail needs of one open terminal. */
struct term_slot {
	bool used;
	int32_t id;
	uint32_t pid;
	char tty[64];
	char *typescript; /* NULL = not recorded */
};

struct session_term {
	struct session *ss;
	struct term_host *h;
	char user[64];
	struct term_slot slots[TERM_MAX_SLOTS];
};

static struct term_slot *
slot_find(struct session_term *t, int32_t id)
{
	for (size_t i = 0; i < TERM_MAX_SLOTS; i++)
		if (t->slots[i].used && t->slots[i].id == id)
			return &t->slots[i];
	return NULL;
}

static void
slot_free(struct term_slot *sl)
{
	free(sl->typescript);
	memset(sl, 0, sizeof(*sl));
}

static void
report(struct session_term *t, const struct session_term_record *rec)
{
	const struct session_hooks *hk = t->ss->env.hooks;

	if (hk != NULL && hk->terminal_result != NULL)
		hk->terminal_result(t->ss->env.arg, t->ss, rec);
}

static void
send_response(struct session *ss, Hbb__TerminalResponse *tr)
{
	Hbb__Message m = HBB__MESSAGE__INIT;

	m.union_case = HBB__MESSAGE__UNION_TERMINAL_RESPONSE;
	m.terminal_response = tr;
	(void)session__send(ss, &m);
}

static void
send_error(struct session *ss, int32_t id, const char *msg)
{
	Hbb__TerminalResponse tr = HBB__TERMINAL_RESPONSE__INIT;
	Hbb__TerminalError e = HBB__TERMINAL_ERROR__INIT;

	e.terminal_id = id;
	e.message = (char *)msg;
	tr.union_case = HBB__TERMINAL_RESPONSE__UNION_ERROR;
	tr.error = &e;
	send_response(ss, &tr);
}

static void
on_opened(struct session_term *t, const struct term_event *ev)
{
	Hbb__TerminalResponse tr = HBB__TERMINAL_RESPONSE__INIT;
	Hbb__TerminalOpened o = HBB__TERMINAL_OPENED__INIT;
	struct session_term_record rec = {
		.open = true,
		.terminal_id = ev->terminal_id,
		.success = ev->success,
		.message = ev->message,
		.user = ev->user != NULL ? ev->user : t->user,
		.tty = ev->tty,
		.pid = ev->pid,
	};
	struct term_slot *sl = slot_find(t, ev->terminal_id);
	char *ts = NULL;

	o.terminal_id = ev->terminal_id;
	o.success = ev->success;
	o.message = (char *)(ev->message != NULL ? ev->message : "");
	o.pid = ev->pid;
	o.service_id = (char *)(ev->service_id != NULL ? ev->service_id : "");
	tr.union_case = HBB__TERMINAL_RESPONSE__UNION_OPENED;
	tr.opened = &o;
	send_response(t->ss, &tr);
	if (ev->success && sl != NULL) {
		/* The same id again: the module answered with the running
		 * shell and started nothing; nothing new to record. */
		return;
	}
	if (ev->success && ev->typescript != NULL &&
		(ts = strdup(ev->typescript)) == NULL)
		log_warn("session %s: terminal %d: the typescript's name is "
			 "lost to the audit trail (out of memory)",
			t->ss->desc, (int)ev->terminal_id);
	if (ev->success) {
		for (size_t i = 0; i < TERM_MAX_SLOTS && sl == NULL; i++)
			if (!t->slots[i].used)
				sl = &t->slots[i];
		if (sl != NULL) {
			sl->used = true;
			sl->id = ev->terminal_id;
			sl->pid = ev->pid;
			snprintf(sl->tty, sizeof(sl->tty), "%s",
				ev->tty != NULL ? ev->tty : "");
			sl->typescript = ts;
			ts = NULL;
		}
		rec.typescript = sl != NULL ? sl->typescript : NULL;
		log_notice("session %s: terminal %d opened as %s on %s "
			   "(pid %u)%s%s",
			t->ss->desc, (int)ev->terminal_id, rec.user,
			ev->tty != NULL ? ev->tty : "?", (unsigned)ev->pid,
			rec.typescript != NULL ? ", recorded to " : "",
			rec.typescript != NULL ? rec.typescript : "");
	} else {
		log_notice("session %s: terminal %d refused: %s", t->ss->desc,
			(int)ev->terminal_id,
			ev->message != NULL ? ev->message : "?");
	}
	report(t, &rec);
	free(ts);
}

static void
on_closed(struct session_term *t, const struct term_event *ev)
{
	Hbb__TerminalResponse tr = HBB__TERMINAL_RESPONSE__INIT;
	Hbb__TerminalClosed c = HBB__TERMINAL_CLOSED__INIT;
	struct term_slot *sl = slot_find(t, ev->terminal_id);
	struct session_term_record rec = {
		.terminal_id = ev->terminal_id,
		.success = true,
		.user = t->user,
		.tty = sl != NULL ? sl->tty : NULL,
		.pid = sl != NULL ? sl->pid : 0,
		.typescript = sl != NULL ? sl->typescript : NULL,
		.exited = true,
		.exit_code = ev->exit_code,
		.bytes_in = ev->bytes_in,
		.bytes_out = ev->bytes_out,
		.reason = "the shell ended",
	};

	c.terminal_id = ev->terminal_id;
	c.exit_code = ev->exit_code;
	tr.union_case = HBB__TERMINAL_RESPONSE__UNION_CLOSED;
	tr.closed = &c;
	send_response(t->ss, &tr);
	log_notice("session %s: terminal %d closed, exit status %d, %llu "
		   "bytes in, %llu out",
		t->ss->desc, (int)ev->terminal_id, (int)ev->exit_code,
		(unsigned long long)ev->bytes_in,
		(unsigned long long)ev->bytes_out);
	report(t, &rec);
	if (sl != NULL)
		slot_free(sl);
}

static void
on_event(void *arg, const struct term_event *ev)
{
	struct session_term *t = arg;
	Hbb__TerminalResponse tr = HBB__TERMINAL_RESPONSE__INIT;
	Hbb__TerminalData d = HBB__TERMINAL_DATA__INIT;

	switch (ev->type) {
	case TERM_EV_OPENED:
		on_opened(t, ev);
		break;
	case TERM_EV_DATA:
		d.terminal_id = ev->terminal_id;
		d.data.data = (uint8_t *)ev->data;
		d.data.len = ev->len;
		d.compressed = ev->compressed;
		tr.union_case = HBB__TERMINAL_RESPONSE__UNION_DATA;
		tr.data = &d;
		send_response(t->ss, &tr);
		break;
	case TERM_EV_CLOSED:
		on_closed(t, ev);
		break;
	case TERM_EV_ERROR:
		send_error(t->ss, ev->terminal_id,
			ev->message != NULL ? ev->message : "error");
		break;
	}
}

static bool
can_send(void *arg)
{
	struct session_term *t = arg;

	return t->ss->state == SS_AUTHORIZED &&
		stream_queued(t->ss->s) < TERM_SEND_HIGH_WATER;
}

int
session__term_start(struct session *ss, const struct session_term_cfg *cfg)
{
	struct session_term *t = calloc(1, sizeof(*t));
	struct term_host_cfg hc = {
		.loop = ss->env.loop,
		.account = cfg->account,
		.account_error = cfg->account_error,
		.user = cfg->user,
		.allow_root = cfg->allow_root,
		.max_terminals = cfg->max_terminals > TERM_MAX_SLOTS ?
			TERM_MAX_SLOTS :
			cfg->max_terminals,
		.on_event = on_event,
		.can_send = can_send,
		.record_dir = cfg->record_dir,
		.record_tag = ss->tag,
		.spawner = cfg->spawner,
	};
	int r;

	if (t == NULL)
		return OP_ERR_NOMEM;
	t->ss = ss;
	snprintf(t->user, sizeof(t->user), "%s",
		cfg->user != NULL ? cfg->user : "");
	hc.arg = t;
	if ((r = term_host_new(&hc, &t->h)) != 0) {
		log_warn_r(r, "session %s: no terminals", ss->desc);
		free(t);
		return r;
	}
	ss->term = t;
	return 0;
}

/* One TerminalAction (Message field 31). Every outcome the client should
 * see comes back as a TerminalResponse; the return is always 0 (a bad
 * terminal message never ends the session). */
int
session__term_on_message(struct session *ss, Hbb__Message *m)
{
	const Hbb__TerminalAction *ta = m->terminal_action;
	struct session_term *t = ss->term;
	int32_t id;
	int r;

	if (t == NULL) {
		session__dropped(ss, "terminal action (no terminal service)",
			OP_ERR_STATE);
		return 0;
	}
	/* Typing in a terminal is activity for policy.limits.idle_timeout,
	 * as keys and the mouse are in a desktop session. */
	ss->last_input_ms = op_now_ms();
	switch (ta->union_case) {
	case HBB__TERMINAL_ACTION__UNION_OPEN:
		id = ta->open->terminal_id;
		if (id < 0) {
			send_error(ss, id, "invalid terminal id");
			return 0;
		}
		/* Answered from inside the call (TerminalOpened). */
		(void)term_host_open(t->h, id, ta->open->rows, ta->open->cols);
		return 0;
	case HBB__TERMINAL_ACTION__UNION_DATA:
		id = ta->data->terminal_id;
		r = term_host_write(t->h, id, ta->data->data.data,
			ta->data->data.len, ta->data->compressed);
		if (r == OP_ERR_PROTO) {
			/* Flagged compressed but not a zstd frame we accept:
			 * that terminal ends, the session goes on. */
			send_error(ss, id, "invalid compressed terminal data; "
					   "closing the terminal");
			session__dropped(ss, "terminal data (bad zstd)", r);
			(void)term_host_hangup(t->h, id);
		}
		return 0;
	case HBB__TERMINAL_ACTION__UNION_RESIZE:
		(void)term_host_resize(t->h, ta->resize->terminal_id,
			ta->resize->rows, ta->resize->cols);
		return 0;
	case HBB__TERMINAL_ACTION__UNION_CLOSE:
		(void)term_host_hangup(t->h, ta->close->terminal_id);
		return 0;
	default:
		/* An action this host does not know (a newer client's
		 * request_buffer): counted, nothing done. */
		session__dropped(ss, "terminal action (unknown kind)",
			OP_ERR_UNSUPPORTED);
		return 0;
	}
}

/* The terminals still open are hung up with the session (or the
 * permission): each gets its close record now, with the bytes so far
 * and no exit status (the shell is reaped after the record). */
static void
record_hangups(struct session_term *t, const char *why)
{
	for (size_t i = 0; i < TERM_MAX_SLOTS; i++) {
		struct term_slot *sl = &t->slots[i];
		struct session_term_record rec = {
			.terminal_id = sl->id,
			.success = true,
			.user = t->user,
			.tty = sl->tty,
			.pid = sl->pid,
			.typescript = sl->typescript,
			.exited = false,
			.reason = why,
		};

		if (!sl->used)
			continue;
		(void)term_host_bytes(t->h, sl->id, &rec.bytes_in,
			&rec.bytes_out);
		log_notice("session %s: terminal %d hung up (%s), %llu bytes "
			   "in, %llu out",
			t->ss->desc, (int)sl->id, why,
			(unsigned long long)rec.bytes_in,
			(unsigned long long)rec.bytes_out);
		report(t, &rec);
		slot_free(sl);
	}
}

void
session__term_stop(struct session *ss, const char *why)
{
	struct session_term *t = ss->term;

	if (t == NULL)
		return;
	ss->term = NULL;
	record_hangups(t, why);
	/* Nothing calls back into t after this but done (NULL): the shells
	 * are hung up and reaped by the module on its own. */
	term_host_close(t->h, NULL, NULL);
	free(t);
}

/*
 * A reload took the terminal permission away. RustDesk's PermissionInfo
 * has no terminal entry (§13.2: Keyboard 0 ... PrivacyMode 8), so the
 * client learns it per terminal (TerminalError) and, for a terminal
 * session, from the close reason.
 */
void
session_withdraw_terminal(struct session *ss)
{
	struct session_term *t = ss->term;
	bool had = (ss->perms & POLICY_PERM_TERMINAL) != 0;

	if (ss->state != SS_AUTHORIZED)
		return;
	ss->perms &= ~POLICY_PERM_TERMINAL;
	ss->term_offered = false;
	if (t != NULL)
		for (size_t i = 0; i < TERM_MAX_SLOTS; i++)
			if (t->slots[i].used)
				send_error(ss, t->slots[i].id,
					"Terminals are no longer allowed by "
					"the host's policy");
	session__term_stop(ss, "the policy no longer allows terminals");
	if (had || ss->kind == SESSION_TERMINAL) {
		log_notice("session %s: terminal permission withdrawn",
			ss->desc);
		if (ss->kind == SESSION_TERMINAL)
			session_close(ss, "No permission of terminal");
	}
}
