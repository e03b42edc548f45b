/* SPDX-License-Identifier: MIT */
/*
 * The wlroots capture backend (sway, and other compositors with
 * zwlr_screencopy_manager_v1). Display name: the compositor's socket, a
 * path ("/run/user/1000/wayland-1") or a name in $XDG_RUNTIME_DIR
 * ("wayland-1"; NULL = $WAYLAND_DISPLAY or wayland-0).
 *
 * The loop connection (this file): wl_outputs (+ xdg-output for the
 * logical position and name) make the display list, and per output a
 * screencopy frame with copy_with_damage is always pending; its damage
 * events bump the display's damage counter. The compositor copies the
 * whole output into our buffer each time, so watchers are re-armed at
 * most every WLR_PACE_MS. The fd is watched with a uv_poll_t
 * (prepare_read / read_events / dispatch_pending / flush).
 *
 * Grabs (capture-wlr-grab.c) run on worker threads with a connection of
 * their own per grabber: libwayland's queues are per connection, so a
 * grab never touches this one.
 *
 * Connecting: when we are root and the socket belongs to a user, the
 * connection is made by a child running as that user (the socket's owner
 * and group), fd passed back: platform_connect_user. The compositor sees
 * its own user, never root.
 *
 * Everything from the compositor is bounded: at most CAPTURE_MAX_DISPLAYS
 * outputs, sizes <= CAPTURE_MAX_DIM, strides checked, only 8-bit RGB shm
 * formats, names made printable; a compositor that stops answering costs
 * at most WLR_TIMEOUT_MS on open. No cursor shape or pointer position:
 * screencopy has none (frames are taken without the cursor).
 */
#include "capture/capture-wlr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "platform/userconn.h"
#include "wayland/wl-util.h"

#define WLR_PACE_MS 30
#define WLR_RETRY_MS 1000

static void out_free(struct wlr_out *o);
static void watch_start(struct wlr_out *o);

bool
capture_wlr__format_ok(uint32_t fmt)
{
	return fmt == WL_SHM_FORMAT_XRGB8888 || fmt == WL_SHM_FORMAT_ARGB8888 ||
		fmt == WL_SHM_FORMAT_XBGR8888 || fmt == WL_SHM_FORMAT_ABGR8888;
}

bool
capture_wlr__offer_ok(uint32_t width, uint32_t height, uint32_t stride)
{
	return width > 0 && height > 0 && width <= CAPTURE_MAX_DIM &&
		height <= CAPTURE_MAX_DIM && stride % 4 == 0 &&
		stride >= (uint64_t)width * 4 &&
		stride <= (uint64_t)width * 4 + 4096;
}

int
capture_wlr__open(const struct wlr *w, const struct wl_registry_listener *l,
	void *data, struct wl_display **dpy, struct wl_registry **reg,
	char *err, size_t errlen)
{
	const struct wlu_target t = {
		w->path, w->uid, w->gid, platform_connect_user};

	return wlu_open_registry(&t, l, data, WLR_TIMEOUT_MS, dpy, reg, err,
		errlen);
}

bool
capture_wlr__bind(struct wl_registry *reg, uint32_t name, const char *iface,
	uint32_t version, struct wl_shm **shm,
	struct zwlr_screencopy_manager_v1 **sc, uint32_t *sc_version)
{
	if (strcmp(iface, "wl_shm") == 0 && *shm == NULL) {
		*shm = wl_registry_bind(reg, name, &wl_shm_interface, 1);
	} else if (strcmp(iface, "zwlr_screencopy_manager_v1") == 0 &&
		*sc == NULL) {
		*sc_version = version < 3 ? version : 3;
		*sc = wl_registry_bind(reg, name,
			&zwlr_screencopy_manager_v1_interface, *sc_version);
	} else {
		return false;
	}
	return true;
}

void
capture_wlr__offer(struct wlr_shm_frame *b, uint32_t format, uint32_t width,
	uint32_t height, uint32_t stride)
{
	if (!b->offer && capture_wlr__format_ok(format) &&
		capture_wlr__offer_ok(width, height, stride)) {
		b->offer = true;
		b->ffmt = format;
		b->fw = width;
		b->fh = height;
		b->fstride = stride;
	}
}

void
capture_wlr__no_dmabuf(void *data, struct zwlr_screencopy_frame_v1 *f,
	uint32_t format, uint32_t width, uint32_t height)
{
	(void)data;
	(void)f;
	(void)format;
	(void)width;
	(void)height;
}

int
capture_wlr__fit_buffer(struct wlr_shm_frame *b, struct wl_shm *shm)
{
	if (b->buf != NULL && b->bw == b->fw && b->bh == b->fh &&
		b->bstride == b->fstride && b->bfmt == b->ffmt)
		return 0;
	wlu_shm_buffer_free(b->buf, b->mem, b->memsize);
	b->buf = wlu_shm_buffer(shm, b->fw, b->fh, b->fstride, b->ffmt,
		&b->mem, &b->memsize);
	if (b->buf == NULL) {
		b->mem = NULL;
		return errno == ENOMEM ? OP_ERR_NOMEM : -errno;
	}
	b->bw = b->fw;
	b->bh = b->fh;
	b->bstride = b->fstride;
	b->bfmt = b->ffmt;
	return 0;
}

/* ------------------------------------------------------------- events */

static void
go_gone(struct wlr *w)
{
	if (w->stopped)
		return;
	w->stopped = true;
	uv_poll_stop(&w->poll);
	uv_timer_stop(&w->pace);
	w->mask = CAPTURE_EV_GONE;
}

static void on_poll(uv_poll_t *h, int status, int events);

/* Sends what we asked; a full socket means watching for writable too. */
static void
flush(struct wlr *w)
{
	bool want;
	int r;

	if (w->stopped || !w->running)
		return;
	if ((r = wl_display_flush(w->dpy)) < 0 && errno != EAGAIN) {
		go_gone(w);
		return;
	}
	want = r < 0;
	if (want != w->writable) {
		w->writable = want;
		uv_poll_start(&w->poll,
			UV_READABLE | (want ? UV_WRITABLE : 0), on_poll);
	}
}

/* After a dispatch: the layout, flushing, then the owner hears of it. */
static void
finish(struct wlr *w)
{
	unsigned m;

	if (!w->stopped && w->layout_dirty) {
		w->layout_dirty = false;
		if (capture__relayout(w->c))
			w->mask |= CAPTURE_EV_LAYOUT | CAPTURE_EV_DAMAGE;
	}
	flush(w);
	m = w->mask;
	w->mask = 0;
	capture__emit(w->c, m); /* may close; nothing after this */
}

static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct wlr *w = h->data;

	if (w->stopped)
		return;
	if (status < 0) {
		go_gone(w);
	} else if (events & (UV_READABLE | UV_DISCONNECT)) {
		if (wl_display_prepare_read(w->dpy) == 0 &&
			wl_display_read_events(w->dpy) < 0)
			go_gone(w);
		else if (wl_display_dispatch_pending(w->dpy) < 0)
			go_gone(w);
	}
	finish(w);
}

static void on_pace(uv_timer_t *h);

static void
schedule_pace(struct wlr *w)
{
	uint64_t now = uv_now(w->c->loop), first = UINT64_MAX;

	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++) {
		struct wlr_out *o = w->outs[i];

		if (o != NULL && o->rearm && o->next_ms < first)
			first = o->next_ms;
	}
	if (first != UINT64_MAX)
		uv_timer_start(&w->pace, on_pace, first > now ? first - now : 0,
			0);
}

static void
on_pace(uv_timer_t *h)
{
	struct wlr *w = h->data;
	uint64_t now = uv_now(w->c->loop);

	if (w->stopped)
		return;
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++) {
		struct wlr_out *o = w->outs[i];

		if (o != NULL && o->rearm && o->next_ms <= now) {
			o->rearm = false;
			watch_start(o);
		}
	}
	schedule_pace(w);
	finish(w);
}

/* --------------------------------------------------- damage watchers */

static void
watch_end(struct wlr_out *o, uint64_t delay_ms)
{
	struct wlr *w = o->w;

	if (o->frame != NULL)
		wlp_screencopy_frame_destroy(o->frame);
	o->frame = NULL;
	o->rearm = true;
	o->next_ms = uv_now(w->c->loop) + delay_ms;
	schedule_pace(w); /* the earliest of all outputs' next watch */
}

static int
display_of(const struct wlr *w, uint32_t global)
{
	for (int i = 0; i < w->c->ndisp; i++)
		if (w->idx_global[i] == global)
			return i;
	return -1;
}

static void
watch_copy(struct wlr_out *o)
{
	struct wlr *w = o->w;

	if (!o->fb.offer) {
		if (!o->warned)
			log_warn("wlr capture: output %s offers no shm format "
				 "we read",
				o->wo.name);
		o->warned = true;
		watch_end(o, WLR_RETRY_MS);
		return;
	}
	if (capture_wlr__fit_buffer(&o->fb, w->shm) != 0) {
		watch_end(o, WLR_RETRY_MS);
		return;
	}
	if (w->sc_version >= 2)
		wlp_screencopy_frame_copy_with_damage(o->frame, o->fb.buf);
	else
		wlp_screencopy_frame_copy(o->frame, o->fb.buf);
}

static void
wf_buffer(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t format,
	uint32_t width, uint32_t height, uint32_t stride)
{
	struct wlr_out *o = data;

	(void)f;
	capture_wlr__offer(&o->fb, format, width, height, stride);
	if (o->w->sc_version < 3)
		watch_copy(o); /* no buffer_done before version 3 */
}

static void
wf_flags(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t flags)
{
	(void)data;
	(void)f;
	(void)flags;
}

static void
bump(struct wlr_out *o)
{
	struct wlr *w = o->w;
	int i = display_of(w, o->wo.global);

	if (i >= 0) {
		w->c->seq[i]++;
		w->mask |= CAPTURE_EV_DAMAGE;
	}
}

static void
wf_ready(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t hi,
	uint32_t lo, uint32_t ns)
{
	struct wlr_out *o = data;

	(void)f;
	(void)hi;
	(void)lo;
	(void)ns;
	if (o->w->sc_version < 2)
		bump(o); /* no damage events: every frame counts */
	watch_end(o, WLR_PACE_MS);
}

static void
wf_failed(void *data, struct zwlr_screencopy_frame_v1 *f)
{
	(void)f;
	watch_end(data, WLR_RETRY_MS);
}

static void
wf_damage(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t x,
	uint32_t y, uint32_t width, uint32_t height)
{
	(void)f;
	(void)x;
	(void)y;
	(void)width;
	(void)height;
	bump(data);
}

static void
wf_buffer_done(void *data, struct zwlr_screencopy_frame_v1 *f)
{
	(void)f;
	watch_copy(data);
}

static const struct zwlr_screencopy_frame_v1_listener watch_listener = {
	.buffer = wf_buffer,
	.flags = wf_flags,
	.ready = wf_ready,
	.failed = wf_failed,
	.damage = wf_damage,
	.linux_dmabuf = capture_wlr__no_dmabuf,
	.buffer_done = wf_buffer_done,
};

static void
watch_start(struct wlr_out *o)
{
	struct wlr *w = o->w;

	if (w->sc == NULL || o->frame != NULL || w->stopped || !w->running)
		return;
	o->fb.offer = false;
	o->frame = wlp_screencopy_capture_output(w->sc, 0, o->wo.out);
	if (o->frame == NULL) {
		watch_end(o, WLR_RETRY_MS);
		return;
	}
	wlp_screencopy_frame_add_listener(o->frame, &watch_listener, o);
}

/* ------------------------------------------------------------ outputs */

static void
out_changed(void *arg)
{
	struct wlr *w = arg;

	w->layout_dirty = true;
}

static void
out_free(struct wlr_out *o)
{
	if (o->frame != NULL)
		wlp_screencopy_frame_destroy(o->frame);
	wlu_shm_buffer_free(o->fb.buf, o->fb.mem, o->fb.memsize);
	wlo_destroy(&o->wo);
	free(o);
}

static void
reg_global(void *data, struct wl_registry *reg, uint32_t name,
	const char *iface, uint32_t version)
{
	struct wlr *w = data;

	if (version == 0 || capture_wlr__bind(reg, name, iface, version,
				    &w->shm, &w->sc, &w->sc_version))
		return;
	if (strcmp(iface, "zxdg_output_manager_v1") == 0 &&
		w->xom == NULL && version >= 2) {
		w->xom = wl_registry_bind(reg, name,
			&zxdg_output_manager_v1_interface,
			version < 3 ? version : 3);
	} else if (strcmp(iface, "wl_output") == 0) {
		struct wlr_out *o;
		int i = 0;

		while (i < CAPTURE_MAX_DISPLAYS && w->outs[i] != NULL)
			i++;
		if (i == CAPTURE_MAX_DISPLAYS) {
			log_warn("more than %d outputs; only the first are "
				 "offered",
				CAPTURE_MAX_DISPLAYS);
			return;
		}
		if ((o = calloc(1, sizeof(*o))) == NULL)
			return;
		o->w = w;
		o->wo.changed = out_changed;
		o->wo.arg = w;
		if (wlo_bind(&o->wo, reg, name, version, w->xom) != 0) {
			free(o);
			return;
		}
		w->outs[i] = o;
		watch_start(o); /* no-op during open: no sc yet, or later */
	}
}

static void
reg_global_remove(void *data, struct wl_registry *reg, uint32_t name)
{
	struct wlr *w = data;

	(void)reg;
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++) {
		if (w->outs[i] != NULL && w->outs[i]->wo.global == name) {
			out_free(w->outs[i]);
			w->outs[i] = NULL;
			w->layout_dirty = true;
		}
	}
}

static const struct wl_registry_listener registry_listener = {
	.global = reg_global,
	.global_remove = reg_global_remove,
};

static int
wlr_displays(struct capture *c, struct capture_display *out, int max)
{
	struct wlr *w = c->impl;
	int n = 0;

	if (w->stopped)
		return OP_ERR_GONE;
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS && n < max; i++) {
		const struct wlr_out *o = w->outs[i];
		struct capture_display *d = &out[n];
		int32_t dw, dh;

		if (o == NULL || !o->wo.done || !o->wo.have_mode)
			continue;
		/* 90 and 270 degree transforms (odd values) swap sides. */
		dw = o->wo.transform & 1 ? o->wo.mode_h : o->wo.mode_w;
		dh = o->wo.transform & 1 ? o->wo.mode_w : o->wo.mode_h;
		if (dw <= 0 || dh <= 0 || dw > CAPTURE_MAX_DIM ||
			dh > CAPTURE_MAX_DIM) {
			log_warn("output %s %dx%d is empty or larger than %d; "
				 "not offered",
				o->wo.name, dw, dh, CAPTURE_MAX_DIM);
			continue;
		}
		memset(d, 0, sizeof(*d));
		d->x = o->wo.have_logical ? o->wo.lx : o->wo.gx;
		d->y = o->wo.have_logical ? o->wo.ly : o->wo.gy;
		d->width = (uint32_t)dw;
		d->height = (uint32_t)dh;
		d->primary = n == 0;
		memcpy(d->name, o->wo.name, sizeof(d->name));
		w->idx_global[n++] = o->wo.global;
	}
	return n;
}

/* ------------------------------------------------------ open / close */

static void
on_handle_closed(uv_handle_t *h)
{
	struct wlr *w = h->data;

	if (--w->handles > 0)
		return;
	if (w->free_capture)
		capture__free(w->c);
	free(w);
}

static void
disconnect(struct wlr *w)
{
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++) {
		if (w->outs[i] != NULL)
			out_free(w->outs[i]);
		w->outs[i] = NULL;
	}
	if (w->sc != NULL)
		wlp_screencopy_manager_destroy(w->sc);
	if (w->xom != NULL)
		wlp_xdg_output_manager_destroy(w->xom);
	if (w->shm != NULL)
		wl_shm_destroy(w->shm);
	if (w->reg != NULL)
		wl_registry_destroy(w->reg);
	if (w->dpy != NULL)
		wl_display_disconnect(w->dpy);
	w->sc = NULL;
	w->xom = NULL;
	w->shm = NULL;
	w->reg = NULL;
	w->dpy = NULL;
}

static int
wlr_setup(struct wlr *w, char *err, size_t errlen)
{
	int r;

	if ((r = capture_wlr__open(w, &registry_listener, w, &w->dpy, &w->reg,
		     err, errlen)) != 0)
		return r;
	if (w->shm == NULL || w->sc == NULL) {
		snprintf(err, errlen,
			"the compositor at %s has no %s (not wlroots?)",
			w->path,
			w->sc == NULL ? "zwlr_screencopy_manager_v1" : "wl_shm");
		return OP_ERR_UNSUPPORTED;
	}
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++)
		if (w->outs[i] != NULL)
			wlo_xdg(&w->outs[i]->wo, w->xom); /* xom came later */
	return wlu_roundtrip_err(w->dpy, WLR_TIMEOUT_MS, w->path, err, errlen);
}

static int
wlr_open(struct capture *c, const char *display, const char *xauthority,
	char *err, size_t errlen)
{
	struct wlr *w = calloc(1, sizeof(*w));
	int r;

	(void)xauthority;
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return OP_ERR_NOMEM;
	}
	w->c = c;
	c->impl = w;
	if ((r = wlu_socket_path(display, platform_user_socket, w->path,
		     sizeof(w->path), &w->uid,
		     &w->gid, err, errlen)) != 0 ||
		(r = wlr_setup(w, err, errlen)) != 0)
		goto fail;
	w->layout_dirty = false;
	(void)capture__relayout(c);
	if (c->ndisp == 0) {
		snprintf(err, errlen,
			"the compositor at %s has no usable output", w->path);
		r = OP_ERR_RANGE;
		goto fail;
	}
	w->poll.data = w;
	w->pace.data = w;
	uv_timer_init(c->loop, &w->pace); /* cannot fail */
	w->handles = 1;
	if ((r = uv_poll_init(c->loop, &w->poll, wl_display_get_fd(w->dpy))) ==
		0) {
		w->handles = 2;
		r = uv_poll_start(&w->poll, UV_READABLE, on_poll);
	}
	if (r != 0) {
		snprintf(err, errlen, "uv_poll: %s", uv_strerror(r));
		w->stopped = true;
		disconnect(w);
		if (w->handles == 2)
			uv_close((uv_handle_t *)&w->poll, on_handle_closed);
		uv_close((uv_handle_t *)&w->pace, on_handle_closed);
		c->impl = NULL;
		return r;
	}
	w->running = true;
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++)
		if (w->outs[i] != NULL)
			watch_start(w->outs[i]);
	flush(w);
	return 0;
fail:
	disconnect(w);
	free(w);
	c->impl = NULL;
	return r;
}

static void
wlr_close(struct capture *c)
{
	struct wlr *w = c->impl;

	w->stopped = true;
	w->free_capture = true;
	uv_close((uv_handle_t *)&w->poll, on_handle_closed);
	uv_close((uv_handle_t *)&w->pace, on_handle_closed);
	/* Safe now: closing a uv_poll_t stops watching the fd at once. */
	disconnect(w);
}

static int
wlr_cursor(struct capture *c, struct capture_cursor *out)
{
	(void)c;
	(void)out;
	return OP_ERR_UNSUPPORTED;
}

static int
wlr_pointer(struct capture *c, int32_t *x, int32_t *y)
{
	(void)c;
	(void)x;
	(void)y;
	return OP_ERR_UNSUPPORTED;
}

const struct capture_ops capture__wlr_ops = {
	.name = "wlr",
	.open = wlr_open,
	.close = wlr_close,
	.displays = wlr_displays,
	.grabber_new = capture_wlr_grabber_new,
	.grabber_free = capture_wlr_grabber_free,
	.grab = capture_wlr_grab,
	.cursor = wlr_cursor,
	.pointer = wlr_pointer,
};
