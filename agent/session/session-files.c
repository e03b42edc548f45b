/* SPDX-License-Identifier: MIT */
/*
 * File transfer in a session (§11): the client's FileAction and
 * FileResponse messages go to the xfer module's runner, which does every
 * filesystem call off the loop, one at a time, confined to the granted
 * roots; what it answers is sent from the loop, and each finished file is
 * reported to the daemon for the audit trail. Downloads advance only
 * while the connection's send queue has room, so a slow client costs
 * memory in proportion to nothing but that queue.
 */
#include "session/session-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "net/stream.h"
#include "xfer/xfer-uv.h"
#include "xfer/xfer.h"

/* Bytes the connection may hold before downloads wait. */
#define FILES_SEND_HIGH_WATER (2u << 20)
/* Received file messages (upload blocks of up to 128 KiB) waiting for
 * the disk: above the high mark the session stops reading the socket,
 * below the low mark it reads again. Bounds an upload's memory to a few
 * MiB whatever the client sends. */
#define FILES_QUEUE_HIGH 32
#define FILES_QUEUE_LOW 8
/* While waiting for room: how often to look again. */
#define FILES_ROOM_POLL_MS 5

struct session_files {
	struct session *ss;
	struct xfer_runner *run;
	uv_timer_t room_timer;
	bool waiting;
	bool gone;      /* the session closed: nothing more is sent */
	int closing;    /* runner + timer still closing */
};

static int
files_send(void *arg, const Hbb__Message *m)
{
	struct session_files *f = arg;

	if (f->gone || f->ss->state != SS_AUTHORIZED)
		return OP_ERR_STATE;
	return session__send(f->ss, m);
}

static void
on_room_timer(uv_timer_t *t)
{
	struct session_files *f = t->data;

	if (f->gone || stream_queued(f->ss->s) >= FILES_SEND_HIGH_WATER)
		return;
	uv_timer_stop(t);
	f->waiting = false;
	xfer_runner_kick(f->run);
}

static bool
files_room(void *arg)
{
	struct session_files *f = arg;

	if (f->gone)
		return false;
	if (stream_queued(f->ss->s) < FILES_SEND_HIGH_WATER)
		return true;
	if (!f->waiting) {
		f->waiting = true;
		uv_timer_start(&f->room_timer, on_room_timer,
			FILES_ROOM_POLL_MS, FILES_ROOM_POLL_MS);
	}
	return false;
}

static void
files_progress(void *arg, unsigned queued)
{
	struct session_files *f = arg;

	if (!f->gone && queued <= FILES_QUEUE_LOW)
		session__hold_reading(f->ss, SESSION_HOLD_FILES, false);
}

static void
files_result(void *arg, const struct xfer_result *r)
{
	struct session_files *f = arg;
	const struct session_hooks *hk = f->ss->env.hooks;

	log_info("session %s: file %s %s: %s%s%s", f->ss->desc,
		xfer_op_name(r->op), r->path != NULL ? r->path : "",
		xfer_outcome_name(r->outcome), r->error != NULL ? ": " : "",
		r->error != NULL ? r->error : "");
	if (hk != NULL && hk->file_result != NULL)
		hk->file_result(f->ss->env.arg, f->ss, r);
}

int
session__files_start(struct session *ss, const struct xfer_config *cfg)
{
	struct session_files *f = calloc(1, sizeof(*f));
	struct xfer_runner_cbs cbs = {
		.send = files_send,
		.result = files_result,
		.room = files_room,
		.progress = files_progress,
	};
	struct xfer *x = NULL;
	char err[256];
	int r;

	struct xfer_config c = *cfg;
	unsigned a = 0, b = 0, p = 0;

	if (f == NULL)
		return OP_ERR_NOMEM;
	/* §11.4: clients from 1.1.10 exchange a digest before each file. */
	c.overwrite_detection =
		sscanf(ss->client_version, "%u.%u.%u", &a, &b, &p) == 3 &&
		(a > 1 || (a == 1 && (b > 1 || (b == 1 && p >= 10))));
	if ((r = xfer_new(&c, &x, err, sizeof(err))) != 0) {
		log_warn("session %s: no file transfer: %s", ss->desc, err);
		free(f);
		return r;
	}
	f->ss = ss;
	cbs.arg = f;
	if ((r = xfer_runner_new(ss->env.loop, x, &cbs, &f->run)) != 0) {
		xfer_free(x);
		free(f);
		return r;
	}
	uv_timer_init(ss->env.loop, &f->room_timer);
	f->room_timer.data = f;
	ss->files = f;
	return 0;
}

/* Hands the message over to the runner: 1 (taken), or an error that
 * ends the session (a client that floods requests beyond the queue). */
int
session__files_on_message(struct session *ss, Hbb__Message *m)
{
	int r;

	if (ss->files == NULL) {
		session__dropped(ss, "file message (file transfer is not set "
				     "up)",
			OP_ERR_STATE);
		return 0;
	}
	/* Directions are the xfer config's: a refused upload or download
	 * gets an error the client shows, not silence. */
	if ((r = xfer_runner_push(ss->files->run, m)) != 0) {
		/* m is freed already: say why here, not by its kind. */
		session__abort(ss, "file transfer: %s", op_strerror(r));
		return SESSION_MSG_TAKEN;
	}
	if (xfer_runner_queued(ss->files->run) >= FILES_QUEUE_HIGH)
		session__hold_reading(ss, SESSION_HOLD_FILES, true);
	return SESSION_MSG_TAKEN;
}

/* The runner reports interrupted jobs while it closes, so f (its
 * callbacks' argument) and the session live until both parts are done. */
static void
part_closed(struct session_files *f)
{
	struct session *ss = f->ss;

	if (--f->closing > 0)
		return;
	free(f);
	session__unref(ss);
}

static void
on_runner_closed(void *arg)
{
	part_closed(arg);
}

static void
on_timer_closed(uv_handle_t *h)
{
	part_closed(h->data);
}

void
session__files_stop(struct session *ss)
{
	struct session_files *f = ss->files;

	if (f == NULL)
		return;
	ss->files = NULL;
	f->gone = true;
	f->closing = 2;
	ss->pending++; /* released when both parts are closed */
	xfer_runner_close(f->run, on_runner_closed, f);
	uv_close((uv_handle_t *)&f->room_timer, on_timer_closed);
}

/*
 * A file-transfer session starts in the folder the client asked for
 * (LoginRequest.file_transfer.dir; the roots when it names none), as
 * RustDesk's host lists it right after the login. The request goes
 * through the runner like the client's own, built with the wire helpers
 * so the runner owns an ordinary unpacked message.
 */
int
session__files_open_dir(struct session *ss, const char *dir, bool hidden)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__FileAction fa = HBB__FILE_ACTION__INIT;
	Hbb__ReadDir rd = HBB__READ_DIR__INIT;
	struct opbuf *b;
	Hbb__Message *owned = NULL;
	int r;

	if (ss->files == NULL)
		return OP_ERR_STATE;
	rd.path = (char *)(dir != NULL && dir[0] != '\0' ? dir : "/");
	rd.include_hidden = hidden;
	fa.union_case = HBB__FILE_ACTION__UNION_READ_DIR;
	fa.read_dir = &rd;
	m.union_case = HBB__MESSAGE__UNION_FILE_ACTION;
	m.file_action = &fa;
	if ((b = opbuf_new(8192)) == NULL)
		return OP_ERR_NOMEM;
	r = wire_msg_put(b, &m);
	if (r == 0)
		r = wire_msg_unpack(opbuf_ptr(b), opbuf_len(b),
			WIRE_BUDGET_FOR(opbuf_len(b)), &owned);
	opbuf_free(b);
	if (r != 0)
		return r;
	return xfer_runner_push(ss->files->run, owned);
}
