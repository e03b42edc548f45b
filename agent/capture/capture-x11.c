/* SPDX-License-Identifier: MIT */
/*
 * The X11 capture backend, over xcb: MIT-SHM GetImage into one shared
 * segment per grabber, DAMAGE for change tracking, RandR 1.5 monitors for
 * the display list, XFixes for the cursor shape. The connection's fd is
 * watched with a uv_poll_t on the loop thread; capture_grab() may run on
 * a worker thread at the same time (xcb is thread-safe), so a grab uses
 * only its grabber and the connection, never the loop's state.
 *
 * A wait for a reply (in a grab, or in a loop-thread request) may read
 * events into xcb's queue, after which the fd is no longer readable; so
 * every such wait is followed by uv_async_send() and the loop drains the
 * queue from the async callback too.
 *
 * It must not change the screen. Grabbers, the cursor and the pointer
 * are in capture-x11-grab.c.
 */
#include "capture/capture.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xcb/damage.h>
#include <xcb/randr.h>
#include <xcb/shm.h>
#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include "capture/capture-internal.h"
#include "capture/capture-x11.h"
#include "core/err.h"
#include "core/log.h"
#include "xconn/xconn.h"

/* RRSetMonitor/RRDeleteMonitor send no event (X.Org, as of 21.1), so the
 * monitor list is also re-read this often: one small round trip. */
#define X11_MONITOR_POLL_MS 1000

bool
capture_x11__broken(struct x11 *x)
{
	return xcb_connection_has_error(x->conn) != 0;
}

/* A reply wait may have queued events (see the top comment). */
void
capture_x11__nudge(struct x11 *x)
{
	if (!x->stopped)
		uv_async_send(&x->wake);
}

/* Keeps the name printable: it may end up in a peer's display list. */
static void
copy_name(char *dst, size_t cap, const char *src, size_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	dst[n] = '\0';
}

/* Clips (x, y, w, h) to the root window and checks the bounds; false when
 * nothing usable is left. */
static bool
clip_display(struct capture_display *d, int32_t x0, int32_t y0, int64_t w,
	int64_t h, uint32_t rw, uint32_t rh)
{
	int64_t x1 = x0 + w, y1 = y0 + h;

	if (x0 < 0)
		x0 = 0;
	if (y0 < 0)
		y0 = 0;
	if (x1 > rw)
		x1 = rw;
	if (y1 > rh)
		y1 = rh;
	if (x1 <= x0 || y1 <= y0)
		return false;
	if (x1 - x0 > CAPTURE_MAX_DIM || y1 - y0 > CAPTURE_MAX_DIM) {
		log_warn("display %s %" PRId64 "x%" PRId64
			 " is larger than %d; not offered",
			d->name, x1 - x0, y1 - y0, CAPTURE_MAX_DIM);
		return false;
	}
	d->x = x0;
	d->y = y0;
	d->width = (uint32_t)(x1 - x0);
	d->height = (uint32_t)(y1 - y0);
	return true;
}

static int
read_monitors(struct x11 *x, struct capture_display *out, int max,
	uint32_t rw, uint32_t rh)
{
	xcb_get_atom_name_cookie_t ck[CAPTURE_MAX_DISPLAYS];
	xcb_randr_get_monitors_reply_t *rep;
	size_t off = sizeof(*rep);
	uint32_t i;
	int n = 0;

	rep = xcb_randr_get_monitors_reply(x->conn,
		xcb_randr_get_monitors(x->conn, x->root, 1), NULL);
	if (rep == NULL)
		return 0;
	/* Walked by hand: xcb's iterator trusts nMonitors and each
	 * nOutput, the reply's length is what arrived. */
	for (i = 0; i < rep->nMonitors && n < max; i++) {
		const xcb_randr_monitor_info_t *m;
		struct capture_display *d = &out[n];
		uint64_t size;

		if (!xconn_reply_fits(rep, off, sizeof(*m)))
			break;
		m = (const void *)((const uint8_t *)rep + off);
		size = sizeof(*m) + (uint64_t)m->nOutput * 4;
		if (!xconn_reply_fits(rep, off, size))
			break;
		off += (size_t)size;
		memset(d, 0, sizeof(*d));
		snprintf(d->name, sizeof(d->name), "monitor-%d", n);
		if (!clip_display(d, m->x, m->y, m->width, m->height, rw, rh))
			continue;
		d->primary = m->primary != 0;
		ck[n++] = xcb_get_atom_name(x->conn, m->name);
	}
	if (i < rep->nMonitors && n < max)
		log_warn("the X server's monitor list is malformed; only "
			 "the first %d are offered", n);
	else if (i < rep->nMonitors)
		log_warn("more than %d monitors; only the first are offered",
			max);
	free(rep);
	for (int k = 0; k < n; k++) {
		xcb_get_atom_name_reply_t *an =
			xcb_get_atom_name_reply(x->conn, ck[k], NULL);

		if (an == NULL)
			continue;
		if (xconn_reply_fits(an, sizeof(*an), an->name_len))
			copy_name(out[k].name, sizeof(out[k].name),
				xcb_get_atom_name_name(an), an->name_len);
		free(an);
	}
	return n;
}

static int
x11_displays(struct capture *c, struct capture_display *out, int max)
{
	struct x11 *x = c->impl;
	xcb_get_geometry_reply_t *geo;
	uint32_t rw, rh;
	int n = 0;

	/* The setup's screen size is stale after a RandR resize. */
	geo = xcb_get_geometry_reply(x->conn,
		xcb_get_geometry(x->conn, x->root), NULL);
	capture_x11__nudge(x);
	if (geo == NULL)
		return capture_x11__broken(x) ? OP_ERR_GONE : OP_ERR_PROTO;
	rw = geo->width;
	rh = geo->height;
	free(geo);
	if (x->monitors)
		n = read_monitors(x, out, max, rw, rh);
	if (capture_x11__broken(x))
		return OP_ERR_GONE;
	if (n == 0 && max > 0) {
		memset(&out[0], 0, sizeof(out[0]));
		snprintf(out[0].name, sizeof(out[0].name), "screen");
		out[0].primary = true;
		if (clip_display(&out[0], 0, 0, rw, rh, rw, rh))
			n = 1;
	}
	return n;
}

/* Drains the event queue; one callback per batch. */
static void
x11_drain(struct x11 *x)
{
	xcb_generic_event_t *ev;
	unsigned mask = 0;
	bool damaged = false;
	bool relayout = false;

	if (x->stopped)
		return;
	while ((ev = xcb_poll_for_event(x->conn)) != NULL) {
		uint8_t type = ev->response_type & 0x7f;

		if (type == 0) {
			xcb_generic_error_t *e = (xcb_generic_error_t *)ev;

			log_debug("X error %u (request %u.%u)", e->error_code,
				e->major_code, e->minor_code);
		} else if (type == x->damage_ev + XCB_DAMAGE_NOTIFY) {
			xcb_damage_notify_event_t *dn =
				(xcb_damage_notify_event_t *)ev;

			damaged = true;
			if (capture__damage(x->c, dn->area.x, dn->area.y,
				    dn->area.width, dn->area.height))
				mask |= CAPTURE_EV_DAMAGE;
		} else if (type == x->xfixes_ev + XCB_XFIXES_CURSOR_NOTIFY) {
			mask |= CAPTURE_EV_CURSOR;
		} else if (x->randr &&
			(type == x->randr_ev + XCB_RANDR_SCREEN_CHANGE_NOTIFY ||
				type == x->randr_ev + XCB_RANDR_NOTIFY)) {
			relayout = true;
		}
		free(ev);
	}
	if (capture_x11__broken(x)) {
		x->stopped = true;
		uv_poll_stop(&x->poll);
		uv_timer_stop(&x->recheck);
		capture__emit(x->c, CAPTURE_EV_GONE);
		return;
	}
	if (relayout && capture__relayout(x->c))
		mask |= CAPTURE_EV_LAYOUT | CAPTURE_EV_DAMAGE;
	if (damaged) {
		/*
		 * Subtract, then let the owner grab. In BoundingBox mode the
		 * server reports again only once the region is non-empty, so
		 * emptying it now means: any change after this request raises
		 * a new DamageNotify, and any change before it is in the
		 * area we just counted, which the owner grabs after this
		 * request (one connection, so the server sees the grab
		 * after the subtract). Nothing is missed; at worst a change
		 * is counted twice.
		 */
		xcb_damage_subtract(x->conn, x->damage, XCB_NONE, XCB_NONE);
		xcb_flush(x->conn);
	}
	capture__emit(x->c, mask); /* may close; nothing after this */
}

static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct x11 *x = h->data;

	(void)events;
	if (status < 0 && !x->stopped) {
		/* The fd is unusable: treat it as a broken connection. */
		x->stopped = true;
		uv_poll_stop(&x->poll);
		uv_timer_stop(&x->recheck);
		capture__emit(x->c, CAPTURE_EV_GONE);
		return;
	}
	x11_drain(x);
}

static void
on_recheck(uv_timer_t *h)
{
	struct x11 *x = h->data;

	if (x->stopped)
		return;
	if (capture__relayout(x->c))
		capture__emit(x->c, CAPTURE_EV_LAYOUT | CAPTURE_EV_DAMAGE);
	else if (capture_x11__broken(x))
		uv_async_send(&x->wake); /* the drain reports GONE */
}

static void
on_wake(uv_async_t *h)
{
	x11_drain(h->data);
}

static void
on_handle_closed(uv_handle_t *h)
{
	struct x11 *x = h->data;

	if (--x->handles > 0)
		return;
	if (x->free_capture)
		capture__free(x->c);
	free(x);
}

static int
need_ext(struct x11 *x, xcb_extension_t *ext, const char *name,
	uint8_t *first_event, char *err, size_t errlen)
{
	const xcb_query_extension_reply_t *q =
		xcb_get_extension_data(x->conn, ext);

	if (q == NULL || !q->present) {
		snprintf(err, errlen, "the X server has no %s extension", name);
		return OP_ERR_UNSUPPORTED;
	}
	*first_event = q->first_event;
	return 0;
}

/* Root depth 24/32 stored as 32 bits per pixel: what BGRA callers get. */
static int
check_format(struct x11 *x, char *err, size_t errlen)
{
	const xcb_setup_t *setup = xcb_get_setup(x->conn);
	xcb_format_iterator_t it = xcb_setup_pixmap_formats_iterator(setup);

	for (; it.rem > 0; xcb_format_next(&it)) {
		if (it.data->depth != x->root_depth)
			continue;
		if ((x->root_depth == 24 || x->root_depth == 32) &&
			it.data->bits_per_pixel == 32)
			return 0;
		break;
	}
	snprintf(err, errlen,
		"screen depth %u is not supported (need 24 or 32 bits "
		"stored in 32 bits per pixel)",
		x->root_depth);
	return OP_ERR_UNSUPPORTED;
}

static int
x11_setup(struct x11 *x, int screen, char *err, size_t errlen)
{
	xcb_screen_iterator_t si =
		xcb_setup_roots_iterator(xcb_get_setup(x->conn));
	xcb_randr_query_version_reply_t *rv;
	xcb_generic_error_t *e;
	void *rep;
	int r;

	for (int i = 0; i < screen && si.rem > 0; i++)
		xcb_screen_next(&si);
	if (si.rem == 0) {
		snprintf(err, errlen, "the X server has no screen %d", screen);
		return OP_ERR_NOT_FOUND;
	}
	x->root = si.data->root;
	x->root_depth = si.data->root_depth;
	if ((r = check_format(x, err, errlen)) != 0)
		return r;
	xcb_prefetch_extension_data(x->conn, &xcb_shm_id);
	xcb_prefetch_extension_data(x->conn, &xcb_damage_id);
	xcb_prefetch_extension_data(x->conn, &xcb_xfixes_id);
	xcb_prefetch_extension_data(x->conn, &xcb_randr_id);
	{
		uint8_t unused;

		if ((r = need_ext(x, &xcb_shm_id, "MIT-SHM", &unused, err,
			     errlen)) != 0)
			return r;
	}
	if ((r = need_ext(x, &xcb_damage_id, "DAMAGE", &x->damage_ev, err,
		     errlen)) != 0 ||
		(r = need_ext(x, &xcb_xfixes_id, "XFIXES", &x->xfixes_ev,
			 err, errlen)) != 0)
		return r;
	/* Both must be told our version before any other request. */
	rep = xcb_damage_query_version_reply(x->conn,
		xcb_damage_query_version(x->conn, 1, 1), NULL);
	free(rep);
	rep = xcb_xfixes_query_version_reply(x->conn,
		xcb_xfixes_query_version(x->conn, 4, 0), NULL);
	free(rep);
	x->damage = xcb_generate_id(x->conn);
	e = xcb_request_check(x->conn,
		xcb_damage_create_checked(x->conn, x->damage, x->root,
			XCB_DAMAGE_REPORT_LEVEL_BOUNDING_BOX));
	if (e != NULL) {
		free(e);
		snprintf(err, errlen, "cannot create a DAMAGE object");
		return OP_ERR_UNSUPPORTED;
	}
	xcb_xfixes_select_cursor_input(x->conn, x->root,
		XCB_XFIXES_CURSOR_NOTIFY_MASK_DISPLAY_CURSOR);
	if (need_ext(x, &xcb_randr_id, "RANDR", &x->randr_ev, err,
		    errlen) == 0 &&
		(rv = xcb_randr_query_version_reply(x->conn,
			 xcb_randr_query_version(x->conn, 1, 5), NULL)) !=
			NULL) {
		uint16_t m = XCB_RANDR_NOTIFY_MASK_SCREEN_CHANGE;

		if (rv->major_version > 1 || rv->minor_version >= 2)
			m |= XCB_RANDR_NOTIFY_MASK_CRTC_CHANGE |
				XCB_RANDR_NOTIFY_MASK_OUTPUT_CHANGE;
		if (rv->major_version > 1 || rv->minor_version >= 4)
			m |= XCB_RANDR_NOTIFY_MASK_RESOURCE_CHANGE;
		x->monitors = rv->major_version > 1 || rv->minor_version >= 5;
		x->randr = true;
		free(rv);
		xcb_randr_select_input(x->conn, x->root, m);
	}
	err[0] = '\0';
	if (capture_x11__broken(x)) {
		snprintf(err, errlen, "the X server closed the connection");
		return OP_ERR_GONE;
	}
	return 0;
}

static int
x11_open(struct capture *c, const char *display, const char *xauthority,
	char *err, size_t errlen)
{
	struct x11 *x = calloc(1, sizeof(*x));
	int screen = 0;
	int r;

	if (x == NULL) {
		snprintf(err, errlen, "out of memory");
		return OP_ERR_NOMEM;
	}
	x->c = c;
	x->stopped = true; /* no uv handles yet */
	c->impl = x;
	if ((r = xconn_open(display, xauthority, &x->conn, &screen, err,
		     errlen)) != 0 ||
		(r = x11_setup(x, screen, err, errlen)) != 0)
		goto fail;
	(void)capture__relayout(c);
	if (c->ndisp == 0) {
		snprintf(err, errlen,
			"no usable display (empty, or larger than %d pixels)",
			CAPTURE_MAX_DIM);
		r = capture_x11__broken(x) ? OP_ERR_GONE : OP_ERR_RANGE;
		goto fail;
	}
	x->poll.data = x;
	x->wake.data = x;
	x->recheck.data = x;
	if ((r = uv_async_init(c->loop, &x->wake, on_wake)) != 0) {
		snprintf(err, errlen, "uv_async_init: %s", uv_strerror(r));
		goto fail;
	}
	uv_timer_init(c->loop, &x->recheck); /* cannot fail */
	x->handles = 2;
	if ((r = uv_poll_init(c->loop, &x->poll,
		     xcb_get_file_descriptor(x->conn))) == 0) {
		x->handles = 3;
		r = uv_poll_start(&x->poll, UV_READABLE, on_poll);
	}
	if (r != 0) {
		snprintf(err, errlen, "uv_poll: %s", uv_strerror(r));
		/* The caller frees c at once; only x waits for the close. */
		xcb_disconnect(x->conn);
		if (x->handles == 3)
			uv_close((uv_handle_t *)&x->poll, on_handle_closed);
		uv_close((uv_handle_t *)&x->wake, on_handle_closed);
		uv_close((uv_handle_t *)&x->recheck, on_handle_closed);
		c->impl = NULL;
		return r;
	}
	if (x->monitors) {
		uv_timer_start(&x->recheck, on_recheck, X11_MONITOR_POLL_MS,
			X11_MONITOR_POLL_MS);
		uv_unref((uv_handle_t *)&x->recheck);
	}
	x->stopped = false;
	xcb_flush(x->conn);
	/* Anything queued during setup. */
	uv_async_send(&x->wake);
	return 0;
fail:
	if (x->conn != NULL)
		xcb_disconnect(x->conn);
	free(x);
	c->impl = NULL;
	return r;
}

static void
x11_close(struct capture *c)
{
	struct x11 *x = c->impl;

	x->stopped = true;
	x->free_capture = true;
	uv_close((uv_handle_t *)&x->poll, on_handle_closed);
	uv_close((uv_handle_t *)&x->wake, on_handle_closed);
	uv_close((uv_handle_t *)&x->recheck, on_handle_closed);
	if (!capture_x11__broken(x)) {
		xcb_damage_destroy(x->conn, x->damage);
		xcb_flush(x->conn);
	}
	/* Safe now: closing a uv_poll_t stops watching the fd at once. */
	xcb_disconnect(x->conn);
	x->conn = NULL;
}

const struct capture_ops capture__x11_ops = {
	.name = "x11",
	.open = x11_open,
	.close = x11_close,
	.displays = x11_displays,
	.grabber_new = capture_x11_grabber_new,
	.grabber_free = capture_x11_grabber_free,
	.grab = capture_x11_grab,
	.grab_rows = capture_x11_grab_rows,
	.cursor = capture_x11_cursor,
	.pointer = capture_x11_pointer,
};
