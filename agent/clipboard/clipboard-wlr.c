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
 * offer (selection). Reading: offer.receive(mime, pipe) and the pipe's
 * read end is read on the loop up to max_bytes (+1 to detect more);
 * text first, then image/png when offered. Setting: a data source
 * offering our types plus a private marker type, so the selection event
 * for our own source is recognised and not reported as a change; each
 * send(mime, fd) request is answered by writing the item into the fd on
 * the loop (at most MAX_SENDS at once, each dropped after SEND_IDLE_MS).
 * The process ignores SIGPIPE (cli/main.c), so a reader that goes away
 * costs an EPIPE only.
 */
#include "clipboard/clipboard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clipboard/clipboard-internal.h"
#include "core/err.h"
#include "platform/userconn.h"
#include "wayland/wl-proto.h"
#include "wayland/wl-util.h"

#define READ_TIMEOUT_MS 3000
#define OPEN_TIMEOUT_MS 2000
#define SEND_IDLE_MS 10000
#define MAX_SENDS 8
#define MAX_OFFERS 64
#define MARKER_MIME "application/x-outpost-source"

static const char *const text_mimes[] = {
	"text/plain;charset=utf-8", "UTF8_STRING", "text/plain",
	"TEXT", "STRING",
};
#define N_TEXT_SERVED 4 /* STRING would be Latin-1: not served */
#define PNG_MIME "image/png"

struct offer {
	struct zwlr_data_control_offer_v1 *o;
	int text; /* index in text_mimes + 1 of the best, 0 = none */
	bool png, self;
};

struct send_job {
	uv_poll_t poll; /* first: the close callback frees the job */
	int fd;
	uint8_t *data;
	size_t len, off;
	uint64_t started;
};

struct clipboard_wlr {
	uv_loop_t *loop;
	struct wl_display *dpy;
	struct wl_registry *reg;
	struct wl_seat *seat;
	struct zwlr_data_control_manager_v1 *mgr;
	struct zwlr_data_control_device_v1 *dev;
	struct offer *sel; /* the clipboard's offer, NULL = empty */
	size_t max;
	struct clipboard *pub; /* what changed() is given */
	clipboard_changed_fn changed;
	void *arg;
	uv_poll_t poll;
	uv_timer_t timer; /* read timeout / deferred completion */
	int handles;
	bool gone, closing;
	/* our source and its items */
	struct zwlr_data_control_source_v1 *src;
	struct clipboard_item items[CLIPBOARD_MAX_ITEMS];
	int nitems;
	/* the read in progress */
	bool reading;
	clipboard_read_fn done;
	void *done_arg;
	struct offer *roff; /* NULL once the clipboard changed meanwhile */
	int stage;          /* 0 text, 1 png */
	uv_poll_t *rpoll;
	int rfd;
	uint8_t *rbuf;
	size_t rlen, rcap;
	struct clipboard_item got[CLIPBOARD_MAX_ITEMS];
	int ngot;
	int rstatus;
	struct send_job *sends[MAX_SENDS];
	int noffers; /* live offer objects: a flood of them is refused */
};

static void flush(struct clipboard_wlr *w);
static void read_stage(struct clipboard_wlr *w);

static void
free_handle(uv_handle_t *h)
{
	free(h);
}

/* ------------------------------------------------------------- offers */

static void
offer_mime(void *data, struct zwlr_data_control_offer_v1 *o, const char *m)
{
	struct offer *of = data;

	(void)o;
	for (int i = 0; i < (int)(sizeof(text_mimes) / sizeof(text_mimes[0]));
		i++)
		if (strcmp(m, text_mimes[i]) == 0 &&
			(of->text == 0 || i + 1 < of->text))
			of->text = i + 1;
	if (strcmp(m, PNG_MIME) == 0)
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

static void
dev_selection(void *data, struct zwlr_data_control_device_v1 *d,
	struct zwlr_data_control_offer_v1 *o)
{
	struct clipboard_wlr *w = data;
	struct offer *of = o != NULL ? wl_proxy_get_user_data(
					       (struct wl_proxy *)o)
				     : NULL;

	(void)d;
	if (w->sel != of)
		offer_free(w, w->sel);
	w->sel = of;
	if (of != NULL && !of->self && w->changed != NULL && !w->closing)
		w->changed(w->arg, w->pub);
}

static void
dev_finished(void *data, struct zwlr_data_control_device_v1 *d)
{
	struct clipboard_wlr *w = data;

	(void)d;
	w->gone = true; /* the seat went away */
}

static void
dev_primary(void *data, struct zwlr_data_control_device_v1 *d,
	struct zwlr_data_control_offer_v1 *o)
{
	struct clipboard_wlr *w = data;
	struct offer *of = o != NULL ? wl_proxy_get_user_data(
					       (struct wl_proxy *)o)
				     : NULL;

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

static void
read_finish(struct clipboard_wlr *w, int status)
{
	clipboard_read_fn done = w->done;
	struct clipboard_item items[CLIPBOARD_MAX_ITEMS];
	int n = w->ngot;

	uv_timer_stop(&w->timer);
	if (w->rpoll != NULL) {
		uv_close((uv_handle_t *)w->rpoll, free_handle);
		w->rpoll = NULL;
		close(w->rfd);
	}
	free(w->rbuf);
	w->rbuf = NULL;
	w->reading = false;
	memcpy(items, w->got, sizeof(items));
	w->ngot = 0;
	if (status == 0 && n == 0)
		status = OP_ERR_NOT_FOUND;
	done(w->done_arg, status, status == 0 ? items : NULL,
		status == 0 ? n : 0);
	for (int i = 0; i < n; i++)
		free((void *)items[i].data);
}

static void
stage_done(struct clipboard_wlr *w)
{
	bool text = w->stage == 0;

	if (w->rpoll != NULL) {
		uv_close((uv_handle_t *)w->rpoll, free_handle);
		w->rpoll = NULL;
		close(w->rfd);
	}
	if (!text || clipboard__utf8_valid(w->rbuf, w->rlen)) {
		w->got[w->ngot].format = text ? CLIPBOARD_TEXT : CLIPBOARD_PNG;
		w->got[w->ngot].data = w->rbuf;
		w->got[w->ngot].len = w->rlen;
		w->ngot++;
	} else {
		free(w->rbuf);
	}
	w->rbuf = NULL;
	w->stage++;
	read_stage(w);
}

static void
on_read_fd(uv_poll_t *h, int status, int events)
{
	struct clipboard_wlr *w = h->data;
	ssize_t n;

	(void)events;
	if (status < 0) {
		read_finish(w, OP_ERR_GONE);
		return;
	}
	for (;;) {
		if (w->rlen == w->rcap) {
			size_t cap = w->rcap * 2 > w->max + 1 ? w->max + 1
							      : w->rcap * 2;
			uint8_t *b;

			if (w->rlen == w->max + 1) {
				read_finish(w, OP_ERR_TOO_LARGE);
				return;
			}
			if ((b = realloc(w->rbuf, cap)) == NULL) {
				read_finish(w, OP_ERR_NOMEM);
				return;
			}
			w->rbuf = b;
			w->rcap = cap;
		}
		n = read(w->rfd, w->rbuf + w->rlen, w->rcap - w->rlen);
		if (n > 0) {
			w->rlen += (size_t)n;
			continue;
		}
		if (n == 0) {
			stage_done(w);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			read_finish(w, -errno);
		return;
	}
}

/* Starts reading the next type the offer has, or finishes. */
static void
read_stage(struct clipboard_wlr *w)
{
	struct offer *of = w->roff;
	const char *mime = NULL;
	int p[2];

	for (; mime == NULL && w->stage < 2 && of != NULL; ) {
		if (w->stage == 0 && of->text > 0)
			mime = text_mimes[of->text - 1];
		else if (w->stage == 1 && of->png)
			mime = PNG_MIME;
		else
			w->stage++;
	}
	if (mime == NULL) {
		read_finish(w, 0);
		return;
	}
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
		read_finish(w, -errno);
		return;
	}
	wlp_data_control_offer_receive(of->o, mime, p[1]);
	flush(w);
	close(p[1]); /* libwayland sent a duplicate */
	w->rfd = p[0];
	w->rlen = 0;
	w->rcap = w->max + 1 < 4096 ? w->max + 1 : 4096;
	if ((w->rbuf = malloc(w->rcap)) == NULL ||
		(w->rpoll = malloc(sizeof(*w->rpoll))) == NULL) {
		close(p[0]);
		read_finish(w, OP_ERR_NOMEM);
		return;
	}
	w->rpoll->data = w;
	if (uv_poll_init(w->loop, w->rpoll, p[0]) != 0) {
		free(w->rpoll);
		w->rpoll = NULL;
		close(p[0]);
		read_finish(w, OP_ERR_INTERNAL);
		return;
	}
	uv_poll_start(w->rpoll, UV_READABLE, on_read_fd);
}

static void
on_timer(uv_timer_t *h)
{
	struct clipboard_wlr *w = h->data;

	if (!w->reading)
		return;
	read_finish(w, w->rstatus != 0 ? w->rstatus : -ETIMEDOUT);
}

static int
wlr_read(void *be, clipboard_read_fn done, void *arg)
{
	struct clipboard_wlr *w = be;

	if (w->reading)
		return OP_ERR_STATE;
	w->reading = true;
	w->done = done;
	w->done_arg = arg;
	w->ngot = 0;
	w->stage = 0;
	w->rstatus = 0;
	w->roff = w->sel;
	if (w->gone || w->sel == NULL) {
		/* Later, once, as promised: from the timer. */
		w->rstatus = w->gone ? OP_ERR_GONE : OP_ERR_NOT_FOUND;
		uv_timer_start(&w->timer, on_timer, 0, 0);
		return 0;
	}
	uv_timer_start(&w->timer, on_timer, READ_TIMEOUT_MS, 0);
	read_stage(w);
	return 0;
}

/* ------------------------------------------------------------ setting */

static void
send_end(struct send_job **slot)
{
	struct send_job *j = *slot;

	if (j == NULL)
		return;
	*slot = NULL;
	uv_close((uv_handle_t *)&j->poll, free_handle);
	close(j->fd);
	free(j->data);
}

static void
on_send_fd(uv_poll_t *h, int status, int events)
{
	struct send_job **slot = h->data;
	struct send_job *j = *slot;

	(void)events;
	while (status == 0 && j->off < j->len) {
		ssize_t n = write(j->fd, j->data + j->off, j->len - j->off);

		if (n > 0)
			j->off += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN)
			return;
		else
			break;
	}
	send_end(slot);
}

static void
src_send(void *data, struct zwlr_data_control_source_v1 *s, const char *mime,
	int32_t fd)
{
	struct clipboard_wlr *w = data;
	const struct clipboard_item *it = NULL;
	struct send_job **slot = NULL, *j;
	uint64_t now = uv_now(w->loop);
	bool png = strcmp(mime, PNG_MIME) == 0;

	(void)s;
	for (int i = 0; i < w->nitems; i++)
		if ((w->items[i].format == CLIPBOARD_PNG) == png)
			it = &w->items[i];
	for (int i = 0; i < MAX_SENDS; i++) {
		if (w->sends[i] != NULL &&
			now - w->sends[i]->started > SEND_IDLE_MS)
			send_end(&w->sends[i]);
		if (w->sends[i] == NULL && slot == NULL)
			slot = &w->sends[i];
	}
	if (it == NULL || slot == NULL || fcntl(fd, F_SETFL, O_NONBLOCK) != 0 ||
		(j = calloc(1, sizeof(*j))) == NULL) {
		close(fd);
		return;
	}
	if ((j->data = malloc(it->len > 0 ? it->len : 1)) == NULL ||
		uv_poll_init(w->loop, &j->poll, fd) != 0) {
		free(j->data);
		free(j);
		close(fd);
		return;
	}
	memcpy(j->data, it->data, it->len);
	j->fd = fd;
	j->len = it->len;
	j->started = now;
	j->poll.data = slot;
	*slot = j;
	uv_poll_start(&j->poll, UV_WRITABLE, on_send_fd);
}

static void
drop_items(struct clipboard_wlr *w)
{
	for (int i = 0; i < w->nitems; i++)
		free((void *)w->items[i].data);
	w->nitems = 0;
}

static void
src_cancelled(void *data, struct zwlr_data_control_source_v1 *s)
{
	struct clipboard_wlr *w = data;

	wlp_data_control_source_destroy(s);
	if (w->src == s) {
		w->src = NULL;
		drop_items(w);
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

	if (w->gone)
		return OP_ERR_GONE;
	if (n < 1 || n > CLIPBOARD_MAX_ITEMS)
		return OP_ERR_RANGE;
	for (int i = 0; i < n; i++) {
		if (items[i].len > w->max)
			return OP_ERR_TOO_LARGE;
		if (items[i].format == CLIPBOARD_TEXT &&
			!clipboard__utf8_valid(items[i].data, items[i].len))
			return OP_ERR_RANGE;
	}
	if ((s = wlp_data_control_create_source(w->mgr)) == NULL)
		return OP_ERR_NOMEM;
	if (w->src != NULL)
		wlp_data_control_source_destroy(w->src);
	drop_items(w);
	for (int i = 0; i < n; i++) {
		uint8_t *d = malloc(items[i].len > 0 ? items[i].len : 1);

		if (d == NULL)
			break;
		memcpy(d, items[i].data, items[i].len);
		w->items[w->nitems] = items[i];
		w->items[w->nitems++].data = d;
		if (items[i].format == CLIPBOARD_PNG) {
			wlp_data_control_source_offer(s, PNG_MIME);
			continue;
		}
		for (int k = 0; k < N_TEXT_SERVED; k++)
			wlp_data_control_source_offer(s, text_mimes[k]);
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
	if (!w->gone && wl_display_flush(w->dpy) < 0 && errno != EAGAIN)
		w->gone = true;
}

static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct clipboard_wlr *w = h->data;

	(void)events;
	if (w->gone)
		return;
	if (status < 0 || (wl_display_prepare_read(w->dpy) == 0 &&
				  wl_display_read_events(w->dpy) < 0) ||
		wl_display_dispatch_pending(w->dpy) < 0) {
		w->gone = true;
		uv_poll_stop(&w->poll);
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
	drop_items(w);
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

	if ((r = wlu_socket_path(display, path, sizeof(path), &t.uid, &t.gid,
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

static void
on_closed(uv_handle_t *h)
{
	struct clipboard_wlr *w = h->data;

	if (--w->handles == 0)
		free(w);
}

static int
wlr_open(uv_loop_t *loop, const char *display, const char *auth,
	size_t max_bytes, struct clipboard *pub, clipboard_changed_fn changed,
	void *arg, void **out, char *err, size_t errlen)
{
	struct clipboard_wlr *w = calloc(1, sizeof(*w));
	int r;

	(void)auth;
	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (w == NULL)
		return OP_ERR_NOMEM;
	w->loop = loop;
	w->max = max_bytes;
	w->pub = pub;
	w->arg = arg;
	/* No change reports for what was there before we opened. */
	if ((r = setup(w, display, err, errlen)) != 0) {
		disconnect(w);
		free(w);
		return r;
	}
	w->changed = changed;
	w->poll.data = w;
	w->timer.data = w;
	uv_timer_init(loop, &w->timer);
	w->handles = 1;
	if ((r = uv_poll_init(loop, &w->poll, wl_display_get_fd(w->dpy))) ==
		0) {
		w->handles = 2;
		r = uv_poll_start(&w->poll, UV_READABLE, on_poll);
	}
	if (r != 0) {
		snprintf(err, errlen, "uv_poll: %s", uv_strerror(r));
		disconnect(w);
		if (w->handles == 2)
			uv_close((uv_handle_t *)&w->poll, on_closed);
		uv_close((uv_handle_t *)&w->timer, on_closed);
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
	w->closing = true;
	if (w->rpoll != NULL) {
		uv_close((uv_handle_t *)w->rpoll, free_handle);
		close(w->rfd);
		w->rpoll = NULL;
	}
	free(w->rbuf);
	for (int i = 0; i < w->ngot; i++)
		free((void *)w->got[i].data);
	for (int i = 0; i < MAX_SENDS; i++)
		send_end(&w->sends[i]);
	uv_close((uv_handle_t *)&w->poll, on_closed);
	uv_close((uv_handle_t *)&w->timer, on_closed);
	disconnect(w);
}

const struct clipboard_ops clipboard__wlr_ops = {
	.name = "wlr",
	.open = wlr_open,
	.close = wlr_close,
	.read = wlr_read,
	.set = wlr_set,
};
