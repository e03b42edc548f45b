/* SPDX-License-Identifier: MIT */
/*
 * GNOME's clipboard (backend "mutter"): a RemoteDesktop session of our
 * own on the user's session bus (mutter/mutter-session.c, as the input
 * backend has) with Mutter's clipboard enabled. target: the user's
 * runtime directory holding the bus socket; as root we connect as the
 * socket's owner.
 *
 * Mutter tells us who owns the clipboard and with which types
 * (SelectionOwnerChanged); reading asks for the best text type, then
 * image/png, with SelectionRead, and clipboard-pipe.c reads the fd Mutter
 * returns. Setting offers our types (SetSelection); a paste arrives as
 * SelectionTransfer(mime, serial), answered by writing our copy into the
 * fd of SelectionWrite and SelectionWriteDone. The types Mutter reports
 * are bounded in number and length (mutter-session.c).
 *
 * Loop: a uv_poll on the bus fd. sd-bus reads signals that arrive during
 * our own (synchronous, time-limited) calls into its queue, where the
 * poll would not see them: the kick timer processes the bus after every
 * call.
 */
#include "clipboard/clipboard.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clipboard/clipboard-internal.h"
#include "clipboard/clipboard-pipe.h"
#include "core/err.h"
#include "mutter/mutter-session.h"
#include "platform/userbus.h"

#define OPEN_TIMEOUT_MS 5000

struct clipboard_mutter {
	struct clip_conn c; /* first: see clipboard-pipe.h */
	struct mutter_session *ms;
	uv_timer_t kick;
	/* the clipboard's owner (not us): its best text type, PNG */
	bool owned;
	bool mine; /* our SetSelection is the clipboard: Mutter will not
		    * let us read it back */
	int text; /* rank in clipboard__text_mimes, 0 = none */
	bool png;
	uint64_t gen, read_gen; /* owner changes; the read's */
};

static void process(struct clipboard_mutter *w);
static void on_poll(uv_poll_t *h, int status, int events);

static void
on_kick(uv_timer_t *t)
{
	process(t->data);
}

static void
kick(struct clipboard_mutter *w)
{
	if (!w->c.gone && !w->c.closing)
		uv_timer_start(&w->kick, on_kick, 0, 0);
}

static void
on_owner(void *arg, const char *const *mimes, int n, bool ours)
{
	struct clipboard_mutter *w = arg;

	if (ours)
		return; /* our own SetSelection */
	w->mine = false;
	w->gen++;
	w->text = 0;
	w->png = false;
	for (int i = 0; i < n; i++) {
		int rank = clipboard__text_mime_rank(mimes[i]);

		if (rank > 0 && (w->text == 0 || rank < w->text))
			w->text = rank;
		if (strcmp(mimes[i], CLIP_PNG_MIME) == 0)
			w->png = true;
	}
	w->owned = n > 0;
	if (w->owned && w->c.changed != NULL && !w->c.closing)
		w->c.changed(w->c.arg, w->c.pub);
}

static void
on_transfer(void *arg, const char *mime, uint32_t serial)
{
	struct clipboard_mutter *w = arg;
	bool png = strcmp(mime, CLIP_PNG_MIME) == 0;
	int rank = clipboard__text_mime_rank(mime);
	int fd = -1;

	if ((!png && (rank == 0 || rank > CLIP_TEXT_SERVED)) ||
		mutter_session_selection_write(w->ms, serial, &fd) != 0 ||
		clipboard__pipe_send(&w->c.pipe, png ? CLIPBOARD_PNG :
			CLIPBOARD_TEXT, fd, serial) != 0)
		(void)mutter_session_selection_done(w->ms, serial, false);
	kick(w);
}

static void
on_sent(void *be, uint32_t serial, bool ok)
{
	struct clipboard_mutter *w = be;

	if (!w->c.gone)
		(void)mutter_session_selection_done(w->ms, serial, ok);
	kick(w);
}

static void
process(struct clipboard_mutter *w)
{
	int ev;

	if (w->c.gone || w->c.closing)
		return;
	if (userbus_rd_process(w->ms) != 0) {
		w->c.gone = true;
		uv_poll_stop(&w->c.poll);
		return;
	}
	ev = mutter_session_events(w->ms);
	uv_poll_start(&w->c.poll, UV_READABLE |
		((ev & POLLOUT) ? UV_WRITABLE : 0), on_poll);
}

static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct clipboard_mutter *w = h->data;

	(void)events;
	if (status < 0) {
		w->c.gone = true;
		uv_poll_stop(h);
		return;
	}
	process(w);
}

/* ------------------------------------------------------------ reading */

static int
receive(void *be, enum clipboard_format format, int *fd)
{
	struct clipboard_mutter *w = be;
	const char *mime = NULL;
	int r;

	if (w->gen != w->read_gen)
		return OP_ERR_NOT_FOUND; /* changed meanwhile: what we have */
	if (format == CLIPBOARD_TEXT && w->text > 0)
		mime = clipboard__text_mimes[w->text - 1];
	else if (format == CLIPBOARD_PNG && w->png)
		mime = CLIP_PNG_MIME;
	if (mime == NULL)
		return OP_ERR_NOT_FOUND;
	r = mutter_session_selection_read(w->ms, mime, fd);
	kick(w);
	if (r == OP_ERR_GONE)
		w->c.gone = true;
	return r;
}

static int
mutter_read(void *be, clipboard_read_fn done, void *arg)
{
	struct clipboard_mutter *w = be;

	if (!w->c.pipe.reading)
		w->read_gen = w->gen;
	if (w->mine && !w->c.gone)
		return clipboard__pipe_read_own(&w->c.pipe, done, arg);
	return clipboard__pipe_read(&w->c.pipe, w->c.gone ? OP_ERR_GONE :
		!w->owned ? OP_ERR_NOT_FOUND : 0, done, arg);
}

/* ------------------------------------------------------------ setting */

static int
mutter_set(void *be, const struct clipboard_item *items, int n)
{
	struct clipboard_mutter *w = be;
	const char *mimes[CLIP_TEXT_SERVED + 1];
	int nm = 0, r;

	if (w->c.gone)
		return OP_ERR_GONE;
	if ((r = clipboard__pipe_keep(&w->c.pipe, items, n)) != 0)
		return r;
	if (clipboard__pipe_item(&w->c.pipe, CLIPBOARD_TEXT) != NULL)
		for (int k = 0; k < CLIP_TEXT_SERVED; k++)
			mimes[nm++] = clipboard__text_mimes[k];
	if (clipboard__pipe_item(&w->c.pipe, CLIPBOARD_PNG) != NULL)
		mimes[nm++] = CLIP_PNG_MIME;
	r = mutter_session_selection_set(w->ms, mimes, nm);
	w->mine = r == 0;
	kick(w);
	if (r == OP_ERR_GONE)
		w->c.gone = true;
	return r;
}

/* --------------------------------------------------- connection, loop */

static int
connect_session(struct clipboard_mutter *w, const char *dir, char *err,
	size_t errlen)
{
	int r;

	if ((r = mutter_session_open_user(dir, OPEN_TIMEOUT_MS, NULL, &w->ms,
		     err, errlen)) != 0)
		return r;
	if ((r = mutter_session_clipboard(w->ms, on_owner, on_transfer, w)) !=
		0) {
		snprintf(err, errlen, "mutter refused its clipboard (%s)",
			op_strerror(r));
		return r;
	}
	/* The owner before us, announced with EnableClipboard: noted, not
	 * reported (changed is still NULL). */
	return userbus_rd_process(w->ms);
}

static int
mutter_open(uv_loop_t *loop, const char *dir, const char *auth,
	size_t max_bytes, struct clipboard *pub, clipboard_changed_fn changed,
	void *arg, void **out, char *err, size_t errlen)
{
	struct clipboard_mutter *w = clipboard__conn_new(sizeof(*w), loop, pub,
		arg, out, err, errlen);
	int r;

	(void)auth;
	if (w == NULL)
		return OP_ERR_NOMEM;
	if ((r = connect_session(w, dir, err, errlen)) != 0) {
		mutter_session_close(w->ms);
		free(w);
		return r;
	}
	uv_timer_init(loop, &w->kick);
	w->kick.data = w;
	w->c.handles = 1;
	if ((r = clipboard__conn_start(&w->c, changed, max_bytes, receive,
		     on_sent, userbus_rd_fd(w->ms), on_poll, err,
		     errlen)) != 0) {
		uv_close((uv_handle_t *)&w->kick, clipboard__conn_closed);
		mutter_session_close(w->ms);
		w->ms = NULL;
		return r;
	}
	*out = w;
	return 0;
}

static void
mutter_close(void *be)
{
	struct clipboard_mutter *w = be;

	if (w == NULL)
		return;
	clipboard__conn_close(&w->c);
	uv_close((uv_handle_t *)&w->kick, clipboard__conn_closed);
	mutter_session_close(w->ms);
	w->ms = NULL;
}

const struct clipboard_ops clipboard__mutter_ops = {
	.name = "mutter",
	.open = mutter_open,
	.close = mutter_close,
	.read = mutter_read,
	.set = mutter_set,
};
