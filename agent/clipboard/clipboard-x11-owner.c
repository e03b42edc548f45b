/* SPDX-License-Identifier: MIT */
/*
 * The owning side of the X11 CLIPBOARD: our copy of what clipboard_set
 * was given, the answers to SelectionRequests (TARGETS, TIMESTAMP, the
 * text targets, image/png; anything else, MULTIPLE included, is refused)
 * and the INCR transfers for content above the threshold, one chunk per
 * deletion of the requestor's property, dropped when a requestor stalls.
 */
#include "clipboard/clipboard.h"

#include <stdlib.h>
#include <string.h>

#include <xcb/xcb.h>

#include "clipboard/clipboard-x11.h"
#include "core/err.h"
#include "core/time.h"

static void on_sweep(uv_timer_t *t);

/* ---- owned content -----------------------------------------------------*/

static void
content_unref(struct content *c)
{
	int i;

	if (c == NULL || --c->refs > 0)
		return;
	for (i = 0; i < CLIPBOARD_MAX_ITEMS; i++)
		free(c->data[i]);
	free(c);
}

static void
xfer_end(struct clipboard_x11 *cb, struct xfer *x)
{
	bool watched = x->win == cb->win || cb->gone;
	int i;

	/* Stop watching a foreign requestor's properties, unless another
	 * transfer to the same window still runs. */
	for (i = 0; i < MAX_XFERS; i++)
		if (&cb->xfer[i] != x && cb->xfer[i].used &&
			cb->xfer[i].win == x->win)
			watched = true;
	if (!watched) {
		uint32_t none = XCB_EVENT_MASK_NO_EVENT;

		xcb_change_window_attributes(cb->conn, x->win,
			XCB_CW_EVENT_MASK, &none);
	}
	content_unref(x->ref);
	free(x->owned);
	memset(x, 0, sizeof(*x));
}

static void
drop_content(struct clipboard_x11 *cb)
{
	content_unref(cb->content);
	cb->content = NULL;
}

/* ---- serving -----------------------------------------------------------*/

static struct xfer *
xfer_find(struct clipboard_x11 *cb, xcb_window_t win, xcb_atom_t prop)
{
	int i;

	for (i = 0; i < MAX_XFERS; i++)
		if (cb->xfer[i].used && cb->xfer[i].win == win &&
			cb->xfer[i].prop == prop)
			return &cb->xfer[i];
	return NULL;
}

/* Puts data into the requestor's property, or starts INCR. Takes owned
 * (freed on failure too). */
static int
serve_data(struct clipboard_x11 *cb, xcb_window_t win, xcb_atom_t prop,
	xcb_atom_t type, const uint8_t *data, size_t len, uint8_t *owned)
{
	struct xfer *x = NULL;
	uint32_t mask = XCB_EVENT_MASK_PROPERTY_CHANGE;
	uint32_t total;
	int i;

	if (len <= cb->incr_threshold) {
		xcb_change_property(cb->conn, XCB_PROP_MODE_REPLACE, win, prop,
			type, 8, (uint32_t)len, data);
		free(owned);
		return 0;
	}
	if ((x = xfer_find(cb, win, prop)) != NULL)
		xfer_end(cb, x);
	for (i = 0; i < MAX_XFERS && x == NULL; i++)
		if (!cb->xfer[i].used)
			x = &cb->xfer[i];
	if (x == NULL) {
		free(owned);
		return OP_ERR_STATE;
	}
	x->used = true;
	x->win = win;
	x->prop = prop;
	x->type = type;
	x->owned = owned;
	x->data = data;
	x->len = len;
	x->off = 0;
	x->last_ms = op_now_ms();
	if (owned == NULL) {
		x->ref = cb->content;
		x->ref->refs++;
	}
	if (win != cb->win)
		xcb_change_window_attributes(cb->conn, win, XCB_CW_EVENT_MASK,
			&mask);
	total = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	xcb_change_property(cb->conn, XCB_PROP_MODE_REPLACE, win, prop,
		cb->atom[A_INCR], 32, 1, &total);
	if (!uv_is_active((uv_handle_t *)&cb->sweep_timer))
		uv_timer_start(&cb->sweep_timer, on_sweep, XFER_SWEEP_MS,
			XFER_SWEEP_MS);
	return 0;
}

/* The requestor deleted the property: the next chunk, or the end. */
static void
xfer_next(struct clipboard_x11 *cb, struct xfer *x)
{
	size_t n = x->len - x->off;

	if (n > INCR_CHUNK)
		n = INCR_CHUNK;
	xcb_change_property(cb->conn, XCB_PROP_MODE_REPLACE, x->win, x->prop,
		x->type, 8, (uint32_t)n, x->data + x->off);
	x->off += n;
	x->last_ms = op_now_ms();
	if (n == 0)
		xfer_end(cb, x);
}

/* Answers one target into the requestor's property; < 0 refuses. */
static int
serve(struct clipboard_x11 *cb, xcb_window_t win, xcb_atom_t prop,
	xcb_atom_t target)
{
	struct content *c = cb->content;
	const uint8_t *text = c->data[CLIPBOARD_TEXT];
	size_t tlen = c->len[CLIPBOARD_TEXT];
	bool t = c->has[CLIPBOARD_TEXT];
	bool png = c->has[CLIPBOARD_PNG];

	if (target == cb->atom[A_TARGETS]) {
		xcb_atom_t list[8];
		uint32_t n = 0;

		list[n++] = cb->atom[A_TARGETS];
		list[n++] = cb->atom[A_TIMESTAMP];
		if (t) {
			list[n++] = cb->atom[A_UTF8_STRING];
			list[n++] = cb->atom[A_TEXT_PLAIN_UTF8];
			list[n++] = XCB_ATOM_STRING;
			list[n++] = cb->atom[A_TEXT];
		}
		if (png)
			list[n++] = cb->atom[A_PNG];
		xcb_change_property(cb->conn, XCB_PROP_MODE_REPLACE, win, prop,
			XCB_ATOM_ATOM, 32, n, list);
		return 0;
	}
	if (target == cb->atom[A_TIMESTAMP]) {
		xcb_change_property(cb->conn, XCB_PROP_MODE_REPLACE, win, prop,
			XCB_ATOM_INTEGER, 32, 1, &cb->own_time);
		return 0;
	}
	if (t && (target == cb->atom[A_UTF8_STRING] ||
			 target == cb->atom[A_TEXT]))
		return serve_data(cb, win, prop, cb->atom[A_UTF8_STRING], text,
			tlen, NULL);
	if (t && target == cb->atom[A_TEXT_PLAIN_UTF8])
		return serve_data(cb, win, prop, target, text, tlen, NULL);
	if (t && target == XCB_ATOM_STRING) {
		uint8_t *l1 = NULL;
		size_t l1len = 0;

		/* Latin-1 when every character fits, else the UTF-8 bytes
		 * (what most toolkits accept from STRING today). */
		if (clipboard__utf8_to_latin1(text, tlen, &l1, &l1len) == 0)
			return serve_data(cb, win, prop, XCB_ATOM_STRING, l1,
				l1len, l1);
		return serve_data(cb, win, prop, XCB_ATOM_STRING, text, tlen,
			NULL);
	}
	if (png && target == cb->atom[A_PNG])
		return serve_data(cb, win, prop, target, c->data[CLIPBOARD_PNG],
			c->len[CLIPBOARD_PNG], NULL);
	return -1; /* MULTIPLE and anything else */
}

void
clipboard__selection_request(struct clipboard_x11 *cb,
	xcb_selection_request_event_t *e)
{
	union {
		xcb_selection_notify_event_t ev;
		char raw[32]; /* xcb_send_event sends 32 bytes */
	} n;
	xcb_atom_t prop = e->property != XCB_NONE ? e->property : e->target;

	memset(&n, 0, sizeof(n));
	n.ev.response_type = XCB_SELECTION_NOTIFY;
	n.ev.time = e->time;
	n.ev.requestor = e->requestor;
	n.ev.selection = e->selection;
	n.ev.target = e->target;
	n.ev.property = XCB_NONE;
	if (e->selection == cb->atom[A_CLIPBOARD] && e->owner == cb->win &&
		cb->content != NULL &&
		serve(cb, e->requestor, prop, e->target) == 0)
		n.ev.property = prop;
	xcb_send_event(cb->conn, 0, e->requestor, XCB_EVENT_MASK_NO_EVENT,
		n.raw);
}

static void
on_sweep(uv_timer_t *t)
{
	struct clipboard_x11 *cb = t->data;
	uint64_t now = op_now_ms();
	bool any = false;
	int i;

	for (i = 0; i < MAX_XFERS; i++) {
		if (!cb->xfer[i].used)
			continue;
		if (now - cb->xfer[i].last_ms > XFER_IDLE_MS)
			xfer_end(cb, &cb->xfer[i]);
		else
			any = true;
	}
	if (!any)
		uv_timer_stop(&cb->sweep_timer);
	if (!cb->gone)
		xcb_flush(cb->conn);
}

void
clipboard__selection_clear(struct clipboard_x11 *cb,
	xcb_selection_clear_event_t *e)
{
	xcb_get_selection_owner_reply_t *rep;
	bool still = false;

	if (e->selection != cb->atom[A_CLIPBOARD] || cb->content == NULL)
		return;
	/* A clear may predate a newer clipboard_set of ours. */
	rep = xcb_get_selection_owner_reply(cb->conn,
		xcb_get_selection_owner(cb->conn, cb->atom[A_CLIPBOARD]), NULL);
	if (rep != NULL) {
		still = rep->owner == cb->win;
		free(rep);
	}
	if (!still)
		drop_content(cb);
}

void
clipboard__property_deleted(struct clipboard_x11 *cb,
	xcb_property_notify_event_t *e)
{
	struct xfer *x = xfer_find(cb, e->window, e->atom);

	if (x != NULL)
		xfer_next(cb, x);
}

void
clipboard__release(struct clipboard_x11 *cb)
{
	int i;

	for (i = 0; i < MAX_XFERS; i++)
		if (cb->xfer[i].used)
			xfer_end(cb, &cb->xfer[i]);
	drop_content(cb);
}

/* Checks and copies the items. */
static int
content_new(const struct clipboard_x11 *cb, const struct clipboard_item *items,
	int n, struct content **out)
{
	struct content *c;
	int i;

	*out = NULL;
	if ((i = clipboard__items_check(items, n, cb->max_bytes)) != 0)
		return i;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return OP_ERR_NOMEM;
	c->refs = 1;
	for (i = 0; i < n; i++) {
		const struct clipboard_item *it = &items[i];
		int f = (int)it->format;

		if ((c->data[f] = malloc(it->len > 0 ? it->len : 1)) == NULL) {
			content_unref(c);
			return OP_ERR_NOMEM;
		}
		if (it->len > 0)
			memcpy(c->data[f], it->data, it->len);
		c->len[f] = it->len;
		c->has[f] = true;
	}
	*out = c;
	return 0;
}

int
clipboard__x11_set(void *be, const struct clipboard_item *items, int n)
{
	struct clipboard_x11 *cb = be;
	struct content *c = NULL;
	xcb_get_selection_owner_reply_t *rep;
	xcb_window_t owner;
	int r;

	if (cb->closing || cb->gone)
		return OP_ERR_GONE;
	if ((r = content_new(cb, items, n, &c)) != 0)
		return r;
	xcb_set_selection_owner(cb->conn, cb->win, cb->atom[A_CLIPBOARD],
		XCB_CURRENT_TIME);
	rep = xcb_get_selection_owner_reply(cb->conn,
		xcb_get_selection_owner(cb->conn, cb->atom[A_CLIPBOARD]), NULL);
	clipboard__kick(cb);
	if (rep == NULL) {
		content_unref(c);
		return OP_ERR_GONE;
	}
	owner = rep->owner;
	free(rep);
	if (owner != cb->win) {
		content_unref(c);
		return OP_ERR_STATE;
	}
	drop_content(cb);
	cb->content = c;
	return 0;
}

