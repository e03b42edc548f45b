/* SPDX-License-Identifier: MIT */
/*
 * The wlroots clipboard (zwlr_data_control_v1), backend "wlr" of
 * clipboard.c. target: the compositor's socket (path or name in
 * $XDG_RUNTIME_DIR); as root we connect as the socket's owner. Reads take
 * text (text/plain;charset=utf-8, UTF8_STRING, text/plain; valid UTF-8
 * only) and, when offered, image/png; sets offer the same types. Every
 * size is capped by max_bytes; a read that takes more than 3 s fails with
 * -ETIMEDOUT.
 *
 * One connection on the loop (uv_poll on its fd). The device tells us of
 * every new offer (its mime types follow) and of the clipboard's current
 * offer (selection). Reading: offer.receive(mime, pipe), whose read end
 * clipboard-pipe.c reads; text first, then image/png when offered.
 * Setting: a data source offering our types plus a private marker type,
 * so the selection event for our own source is recognised and not
 * reported as a change; each send(mime, fd) request is answered by
 * clipboard-pipe.c writing the item into the fd.
 */
#include "clipboard/clipboard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clipboard/clipboard-internal.h"
#include "clipboard/clipboard-pipe.h"
#include "core/err.h"
#include "platform/userconn.h"
#include "wayland/wl-proto.h"
#include "wayland/wl-util.h"

#define OPEN_TIMEOUT_MS 2000
#define MAX_OFFERS 64
#define MARKER_MIME "application/x-outpost-source"


struct offer {
	struct zwlr_data_control_offer_v1 *o;
	int text; /* index in text_mimes + 1 of the best, 0 = none */
	bool png, self;
};

struct clipboard_wlr {
	struct clip_conn c; /* first: see clipboard-pipe.h */
	struct wl_display *dpy;
	struct wl_registry *reg;
	struct wl_seat *seat;
	struct zwlr_data_control_manager_v1 *mgr;
	struct zwlr_data_control_device_v1 *dev;
	struct offer *sel; /* the clipboard's offer, NULL = empty */
	struct zwlr_data_control_source_v1 *src; /* ours, serving pipe.items */
	struct offer *roff; /* being read; NULL once the clipboard changed */
	int noffers; /* live offer objects: a flood of them is refused */
};

static void flush(struct clipboard_wlr *w);

/* ------------------------------------------------------------- offers */

static void
offer_mime(void *data, struct zwlr_data_control_offer_v1 *o, const char *m)
{
	struct offer *of = data;

	int rank = clipboard__text_mime_rank(m);

	(void)o;
	if (rank > 0 && (of->text == 0 || rank < of->text))
		of->text = rank;
	if (strcmp(m, CLIP_PNG_MIME) == 0)
		of->png = true;
	if (strcmp(m, MARKER_MIME) == 0)
		of->self = true;
}

static const struct zwlr_data_control_offer_v1_listener offer_listener = {
	.offer = offer_mime,
};

static void
offer_free(struct clipboard_wlr *w, struct offer *of)
{
	if (of == NULL)
		return;
	if (w->roff == of)
		w->roff = NULL;
	wlp_data_control_offer_destroy(of->o);
	free(of);
	w->noffers--;
}

static void
dev_data_offer(void *data, struct zwlr_data_control_device_v1 *d,
	struct zwlr_data_control_offer_v1 *o)
{
	struct clipboard_wlr *w = data;
	struct offer *of;

	(void)d;
	if (w->noffers >= MAX_OFFERS || (of = calloc(1, sizeof(*of))) == NULL) {
		wlp_data_control_offer_destroy(o);
		return;
	}
	w->noffers++;
	of->o = o;
	wlp_data_control_offer_add_listener(o, &offer_listener, of);
}

/* Our state of an offer the device announced (NULL: none). */
static struct offer *
offer_of(struct zwlr_data_control_offer_v1 *o)
{
	return o != NULL ? wl_proxy_get_user_data((struct wl_proxy *)o) : NULL;
}

static void
dev_selection(void *data, struct zwlr_data_control_device_v1 *d,
	struct zwlr_data_control_offer_v1 *o)
{
	struct clipboard_wlr *w = data;
	struct offer *of = offer_of(o);

	(void)d;
	if (w->sel != of)
		offer_free(w, w->sel);
	w->sel = of;
	if (of != NULL && !of->self && w->c.changed != NULL && !w->c.closing)
		w->c.changed(w->c.arg, w->c.pub);
}

static void
dev_finished(void *data, struct zwlr_data_control_device_v1 *d)
{
	struct clipboard_wlr *w = data;

	(void)d;
	w->c.gone = true; /* the seat went away */
}

static void
dev_primary(void *data, struct zwlr_data_control_device_v1 *d,
	struct zwlr_data_control_offer_v1 *o)
{
	struct clipboard_wlr *w = data;
	struct offer *of = offer_of(o);

	(void)d;
	/* Not ours to track: the primary selection. */
	if (of != NULL && of != w->sel)
		offer_free(w, of);
}

static const struct zwlr_data_control_device_v1_listener dev_listener = {
	.data_offer = dev_data_offer,
	.selection = dev_selection,
	.finished = dev_finished,
	.primary_selection = dev_primary,
};

/* ------------------------------------------------------------ reading */

static int
receive(void *be, enum clipboard_format format, int *fd)
{
	struct clipboard_wlr *w = be;
	struct offer *of = w->roff;
	const char *mime = NULL;
	int p[2];

	if (of != NULL && format == CLIPBOARD_TEXT && of->text > 0)
		mime = clipboard__text_mimes[of->text - 1];
	else if (of != NULL && format == CLIPBOARD_PNG && of->png)
		mime = CLIP_PNG_MIME;
	if (mime == NULL)
		return OP_ERR_NOT_FOUND;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
		return -errno;
	wlp_data_control_offer_receive(of->o, mime, p[1]);
	flush(w);
	close(p[1]); /* libwayland sent a duplicate */
	*fd = p[0];
	return 0;
}

static int
wlr_read(void *be, clipboard_read_fn done, void *arg)
{
	struct clipboard_wlr *w = be;

	if (!w->c.pipe.reading)
		w->roff = w->sel;
	return clipboard__pipe_read(&w->c.pipe, w->c.gone ? OP_ERR_GONE :
		w->sel == NULL ? OP_ERR_NOT_FOUND : 0, done, arg);
}

/* ------------------------------------------------------------ setting */

static void
src_send(void *data, struct zwlr_data_control_source_v1 *s, const char *mime,
	int32_t fd)
{
	struct clipboard_wlr *w = data;
	bool png = strcmp(mime, CLIP_PNG_MIME) == 0;

	(void)s;
	(void)clipboard__pipe_send(&w->c.pipe,
		png ? CLIPBOARD_PNG : CLIPBOARD_TEXT, fd, 0);
}

static void
src_cancelled(void *data, struct zwlr_data_control_source_v1 *s)
{
	struct clipboard_wlr *w = data;

	wlp_data_control_source_destroy(s);
	if (w->src == s) {
		w->src = NULL;
		clipboard__pipe_drop(&w->c.pipe);
	}
}

static const struct zwlr_data_control_source_v1_listener src_listener = {
	.send = src_send,
	.cancelled = src_cancelled,
};

static int
wlr_set(void *be, const struct clipboard_item *items, int n)
{
	struct clipboard_wlr *w = be;
	struct zwlr_data_control_source_v1 *s;
	int r;

	if (w->c.gone)
		return OP_ERR_GONE;
	if ((r = clipboard__pipe_keep(&w->c.pipe, items, n)) != 0)
		return r;
	if ((s = wlp_data_control_create_source(w->mgr)) == NULL)
		return OP_ERR_NOMEM;
	if (w->src != NULL)
		wlp_data_control_source_destroy(w->src);
	for (int i = 0; i < w->c.pipe.nitems; i++) {
		if (w->c.pipe.items[i].format == CLIPBOARD_PNG) {
			wlp_data_control_source_offer(s, CLIP_PNG_MIME);
			continue;
		}
		for (int k = 0; k < CLIP_TEXT_SERVED; k++)
			wlp_data_control_source_offer(s,
				clipboard__text_mimes[k]);
	}
	wlp_data_control_source_offer(s, MARKER_MIME);
	wlp_data_control_source_add_listener(s, &src_listener, w);
	w->src = s;
	wlp_data_control_device_set_selection(w->dev, s);
	flush(w);
	return 0;
}

/* --------------------------------------------------- connection, loop */

static void
flush(struct clipboard_wlr *w)
{
	if (!w->c.gone && wl_display_flush(w->dpy) < 0 && errno != EAGAIN)
		w->c.gone = true;
}

static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct clipboard_wlr *w = h->data;

	(void)events;
	if (w->c.gone)
		return;
	if (status < 0 || (wl_display_prepare_read(w->dpy) == 0 &&
				  wl_display_read_events(w->dpy) < 0) ||
		wl_display_dispatch_pending(w->dpy) < 0) {
		w->c.gone = true;
		uv_poll_stop(&w->c.poll);
		return;
	}
	flush(w);
}

static void
reg_global(void *data, struct wl_registry *reg, uint32_t name,
	const char *iface, uint32_t version)
{
	struct clipboard_wlr *w = data;

	if (version == 0)
		return;
	if (strcmp(iface, "wl_seat") == 0 && w->seat == NULL)
		w->seat = wl_registry_bind(reg, name, &wl_seat_interface, 1);
	else if (strcmp(iface, "zwlr_data_control_manager_v1") == 0 &&
		w->mgr == NULL)
		w->mgr = wl_registry_bind(reg, name,
			&zwlr_data_control_manager_v1_interface,
			version < 2 ? version : 2);
}

static void
reg_global_remove(void *data, struct wl_registry *reg, uint32_t name)
{
	(void)data;
	(void)reg;
	(void)name;
}

static const struct wl_registry_listener reg_listener = {
	.global = reg_global,
	.global_remove = reg_global_remove,
};

static void
disconnect(struct clipboard_wlr *w)
{
	offer_free(w, w->sel);
	w->sel = NULL;
	if (w->src != NULL)
		wlp_data_control_source_destroy(w->src);
	w->src = NULL;
	clipboard__pipe_drop(&w->c.pipe);
	if (w->dev != NULL)
		wlp_data_control_device_destroy(w->dev);
	if (w->mgr != NULL)
		wlp_data_control_manager_destroy(w->mgr);
	if (w->seat != NULL)
		wl_seat_destroy(w->seat);
	if (w->reg != NULL)
		wl_registry_destroy(w->reg);
	if (w->dpy != NULL)
		wl_display_disconnect(w->dpy);
	w->dev = NULL;
	w->mgr = NULL;
	w->seat = NULL;
	w->reg = NULL;
	w->dpy = NULL;
}

static int
setup(struct clipboard_wlr *w, const char *display, char *err, size_t errlen)
{
	char path[108];
	struct wlu_target t = {path, 0, 0, platform_connect_user};
	int r;

	if ((r = wlu_socket_path(display, platform_user_socket, path,
		     sizeof(path), &t.uid, &t.gid,
		     err, errlen)) != 0 ||
		(r = wlu_open_registry(&t, &reg_listener, w, OPEN_TIMEOUT_MS,
			 &w->dpy, &w->reg, err, errlen)) != 0)
		return r;
	if (w->seat == NULL || w->mgr == NULL) {
		snprintf(err, errlen, "the compositor at %s has no %s", path,
			w->seat == NULL ? "seat" : "zwlr_data_control_manager_v1");
		return OP_ERR_UNSUPPORTED;
	}
	if ((w->dev = wlp_data_control_get_device(w->mgr, w->seat)) == NULL)
		return OP_ERR_NOMEM;
	wlp_data_control_device_add_listener(w->dev, &dev_listener, w);
	/* The current selection, before anyone asks for it. */
	return wlu_roundtrip_err(w->dpy, OPEN_TIMEOUT_MS, path, err, errlen);
}

static int
wlr_open(uv_loop_t *loop, const char *display, const char *auth,
	size_t max_bytes, struct clipboard *pub, clipboard_changed_fn changed,
	void *arg, void **out, char *err, size_t errlen)
{
	struct clipboard_wlr *w = clipboard__conn_new(sizeof(*w), loop, pub,
		arg, out, err, errlen);
	int r;

	(void)auth;
	if (w == NULL)
		return OP_ERR_NOMEM;
	/* No change reports for what was there before we opened. */
	if ((r = setup(w, display, err, errlen)) != 0) {
		disconnect(w);
		free(w);
		return r;
	}
	if ((r = clipboard__conn_start(&w->c, changed, max_bytes, receive,
		     NULL, wl_display_get_fd(w->dpy), on_poll, err,
		     errlen)) != 0) {
		disconnect(w);
		return r;
	}
	flush(w);
	*out = w;
	return 0;
}

static void
wlr_close(void *be)
{
	struct clipboard_wlr *w = be;

	if (w == NULL)
		return;
	clipboard__conn_close(&w->c);
	disconnect(w);
}

const struct clipboard_ops clipboard__wlr_ops = {
	.name = "wlr",
	.open = wlr_open,
	.close = wlr_close,
	.read = wlr_read,
	.set = wlr_set,
};
