/* SPDX-License-Identifier: MIT */
/*
 * The X11 CLIPBOARD selection over our own xcb connection, watched with a
 * uv_poll on the loop thread. A hidden 1x1 InputOnly window is both the
 * requestor when we read (ConvertSelection into one of our properties,
 * INCR followed through PropertyNotify) and the owner when we set (we
 * answer SelectionRequests, with INCR above a quarter of the maximum
 * request size). XFixes tells us when someone else takes the selection.
 * Everything the X server hands us is other clients' data: each property
 * is read with a length bound derived from max_bytes.
 */
#include "clipboard/clipboard.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include "clipboard/clipboard-x11.h"
#include "core/err.h"
#include "core/time.h"
#include "xconn/xconn.h"

#define READ_TIMEOUT_MS 3000

static const char *const atom_names[A_COUNT] = { "CLIPBOARD", "TARGETS",
	"TIMESTAMP", "MULTIPLE", "UTF8_STRING", "TEXT",
	"text/plain;charset=utf-8", "image/png", "INCR", "OUTPOST_CLIP0",
	"OUTPOST_CLIP1", "OUTPOST_CLIP2", "OUTPOST_CLIP3" };


/* ---- reading -----------------------------------------------------------*/

static void reader_abandon(struct clipboard_x11 *cb);

static void
reader_reset(struct clipboard_x11 *cb)
{
	struct reader *rd = &cb->rd;
	int i;

	free(rd->buf);
	for (i = 0; i < CLIPBOARD_MAX_ITEMS; i++)
		free(rd->item[i]);
	memset(rd, 0, sizeof(*rd));
	if (cb->handles > 0)
		uv_timer_stop(&cb->read_timer);
}

/* Ends the read: the items, or status when there are none. */
static void
reader_finish(struct clipboard_x11 *cb, int status)
{
	struct reader *rd = &cb->rd;
	struct clipboard_item items[CLIPBOARD_MAX_ITEMS];
	clipboard_read_fn done = rd->done;
	void *arg = rd->arg;
	int n = 0;
	int i;

	if (rd->stage != RS_IDLE && rd->incr)
		reader_abandon(cb);
	if (status == 0) {
		for (i = 0; i < CLIPBOARD_MAX_ITEMS; i++) {
			if (!rd->has[i])
				continue;
			items[n].format = (enum clipboard_format)i;
			items[n].data = rd->item[i];
			items[n].len = rd->item_len[i];
			n++;
		}
		if (n == 0)
			status = rd->too_large ? OP_ERR_TOO_LARGE :
						 OP_ERR_NOT_FOUND;
	}
	rd->stage = RS_IDLE;
	rd->done = NULL;
	uv_timer_stop(&cb->read_timer);
	/* The items stay valid during the call; a new read may start from
	 * it, so the buffers are taken out of the reader first. */
	{
		uint8_t *keep[CLIPBOARD_MAX_ITEMS];

		memcpy(keep, rd->item, sizeof(keep));
		memset(rd->item, 0, sizeof(rd->item));
		reader_reset(cb);
		done(arg, status, status == 0 ? items : NULL, n);
		for (i = 0; i < CLIPBOARD_MAX_ITEMS; i++)
			free(keep[i]);
	}
}

static void
reader_convert(struct clipboard_x11 *cb, xcb_atom_t target)
{
	struct reader *rd = &cb->rd;
	unsigned i = 0;
	int k;

	/* The next property no abandoned INCR owner may still write to
	 * (if all may, take the risk rather than stop reading). */
	for (k = 0; k < N_PROPS; k++) {
		i = cb->prop_seq++ % N_PROPS;
		if ((cb->poisoned & 1u << i) == 0)
			break;
	}
	if (k == N_PROPS)
		cb->poisoned = 0;
	rd->target = target;
	rd->prop = cb->atom[A_PROP0 + i];
	rd->incr = false;
	rd->len = 0;
	xcb_convert_selection(cb->conn, cb->win, cb->atom[A_CLIPBOARD],
		target, rd->prop, XCB_CURRENT_TIME);
}

/*
 * An INCR transfer we stop following: its owner waits for us to delete
 * the property and would write the next chunk when anyone does, so the
 * property is left alone and not used again (X has no way to cancel).
 */
static void
reader_abandon(struct clipboard_x11 *cb)
{
	int i;

	for (i = 0; i < N_PROPS; i++)
		if (cb->rd.prop == cb->atom[A_PROP0 + i])
			cb->poisoned |= 1u << i;
	cb->rd.incr = false;
}

/* Moves to the next format we want, or ends the read. */
static void
reader_next(struct clipboard_x11 *cb)
{
	struct reader *rd = &cb->rd;

	rd->incr = false;
	if (rd->stage == RS_TARGETS && rd->text_target != XCB_NONE) {
		rd->stage = RS_TEXT;
		reader_convert(cb, rd->text_target);
	} else if (rd->stage != RS_PNG && rd->want_png) {
		rd->stage = RS_PNG;
		reader_convert(cb, cb->atom[A_PNG]);
	} else {
		reader_finish(cb, 0);
	}
}

static void
reader_targets(struct clipboard_x11 *cb, const uint8_t *v, size_t len)
{
	struct reader *rd = &cb->rd;
	const xcb_atom_t pref[] = { cb->atom[A_UTF8_STRING],
		cb->atom[A_TEXT_PLAIN_UTF8], XCB_ATOM_STRING,
		cb->atom[A_TEXT] };
	size_t best = sizeof(pref) / sizeof(pref[0]);
	size_t i;
	size_t k;

	for (i = 0; i + 4 <= len && i / 4 < MAX_TARGETS; i += 4) {
		xcb_atom_t a;

		memcpy(&a, v + i, sizeof(a));
		if (a == cb->atom[A_PNG])
			rd->want_png = true;
		for (k = 0; k < best; k++)
			if (a == pref[k])
				best = k;
	}
	if (best < sizeof(pref) / sizeof(pref[0]))
		rd->text_target = pref[best];
}

/* A complete item (the whole property, or all INCR chunks). */
static void
reader_item(struct clipboard_x11 *cb, const uint8_t *v, size_t len,
	xcb_atom_t type)
{
	struct reader *rd = &cb->rd;
	int slot = rd->stage == RS_PNG ? CLIPBOARD_PNG : CLIPBOARD_TEXT;
	uint8_t *copy = NULL;
	size_t n = len;
	int r;

	if (rd->stage == RS_TARGETS) {
		reader_targets(cb, v, len);
		reader_next(cb);
		return;
	}
	if (slot == CLIPBOARD_TEXT && type == XCB_ATOM_STRING) {
		r = clipboard__latin1_to_utf8(v, len, cb->max_bytes, &copy, &n);
		if (r == OP_ERR_TOO_LARGE)
			rd->too_large = true;
		else if (r != 0)
			goto fail;
	} else if (slot == CLIPBOARD_TEXT && !clipboard__utf8_valid(v, len)) {
		/* Not UTF-8 (e.g. COMPOUND_TEXT for TEXT): unusable. */
	} else if ((copy = malloc(len > 0 ? len : 1)) == NULL) {
		goto fail;
	} else if (len > 0) {
		memcpy(copy, v, len);
	}
	if (copy != NULL) {
		rd->item[slot] = copy;
		rd->item_len[slot] = n;
		rd->has[slot] = true;
	}
	reader_next(cb);
	return;
fail:
	reader_finish(cb, OP_ERR_NOMEM);
}

/*
 * Reads and deletes our property, at most limit bytes: OP_ERR_TOO_LARGE
 * (and the property stays) beyond it, OP_ERR_PROTO for a reply whose
 * header claims more than it holds.
 */
static int
prop_get(struct clipboard_x11 *cb, xcb_atom_t prop, size_t limit,
	xcb_get_property_reply_t **out)
{
	size_t words = limit / 4 + 1;
	xcb_get_property_cookie_t ck;
	xcb_get_property_reply_t *rep;
	const uint8_t *value;
	size_t vlen;

	*out = NULL;
	if (words > UINT32_MAX)
		words = UINT32_MAX;
	ck = xcb_get_property(cb->conn, 1, cb->win, prop,
		XCB_GET_PROPERTY_TYPE_ANY, 0, (uint32_t)words);
	if ((rep = xcb_get_property_reply(cb->conn, ck, NULL)) == NULL)
		return OP_ERR_GONE;
	/* value_len and format are the owner's word; the reply's length
	 * is what arrived. Only a consistent reply gets past here, so the
	 * xcb accessors the callers use stay inside it. */
	if (xconn_property_value(rep, &value, &vlen) != 0) {
		free(rep);
		return OP_ERR_PROTO;
	}
	(void)value; /* the callers take it from rep */
	if (rep->bytes_after > 0 || vlen > limit) {
		free(rep);
		return OP_ERR_TOO_LARGE;
	}
	*out = rep;
	return 0;
}

/* The item in progress is over max_bytes: skip it. */
static void
reader_too_large(struct clipboard_x11 *cb)
{
	if (cb->rd.incr)
		reader_abandon(cb);
	else
		xcb_delete_property(cb->conn, cb->win, cb->rd.prop);
	/* TARGETS too long to be plausible: try UTF8_STRING. */
	if (cb->rd.stage == RS_TARGETS)
		cb->rd.text_target = cb->atom[A_UTF8_STRING];
	else
		cb->rd.too_large = true;
	reader_next(cb);
}

static void
on_selection_notify(struct clipboard_x11 *cb, xcb_selection_notify_event_t *e)
{
	struct reader *rd = &cb->rd;
	xcb_get_property_reply_t *rep = NULL;
	size_t limit = cb->max_bytes;
	const uint8_t *v;
	size_t vlen;
	int r;

	if (rd->stage == RS_IDLE || rd->incr || e->requestor != cb->win ||
		e->selection != cb->atom[A_CLIPBOARD] ||
		e->target != rd->target)
		return;
	if (e->property == XCB_NONE) {
		/* Refused. Without TARGETS (or without an owner) try
		 * UTF8_STRING itself once. */
		if (rd->stage == RS_TARGETS)
			rd->text_target = cb->atom[A_UTF8_STRING];
		reader_next(cb);
		return;
	}
	if (e->property != rd->prop)
		return;
	if (rd->stage == RS_TARGETS && limit > MAX_TARGETS * 4)
		limit = MAX_TARGETS * 4;
	r = prop_get(cb, rd->prop, limit, &rep);
	if (r == OP_ERR_TOO_LARGE) {
		reader_too_large(cb);
		return;
	}
	if (r != 0) {
		reader_finish(cb, r);
		return;
	}
	v = xcb_get_property_value(rep);
	vlen = (size_t)xcb_get_property_value_length(rep);
	if (rep->type == cb->atom[A_INCR]) {
		uint32_t hint = 0;

		if (rep->format == 32 && vlen >= 4)
			memcpy(&hint, v, sizeof(hint));
		free(rep);
		/* Our delete-on-read started the transfer; the hint is a
		 * lower bound, so a hint beyond the cap ends it now. */
		rd->incr = true;
		if (hint > cb->max_bytes) {
			reader_too_large(cb);
			return;
		}
		rd->len = 0;
		rd->type = XCB_NONE;
		return;
	}
	if ((rd->stage == RS_TARGETS && rep->format != 32) ||
		(rd->stage != RS_TARGETS && rep->format != 8)) {
		free(rep);
		reader_next(cb);
		return;
	}
	{
		xcb_atom_t type = rep->type;

		reader_item(cb, v, vlen, type);
	}
	free(rep);
}

/* One INCR chunk arrived in our property; zero length ends it. */
static void
reader_chunk(struct clipboard_x11 *cb)
{
	struct reader *rd = &cb->rd;
	xcb_get_property_reply_t *rep = NULL;
	size_t vlen;
	int r;

	r = prop_get(cb, rd->prop, cb->max_bytes - rd->len, &rep);
	if (r == OP_ERR_TOO_LARGE) {
		reader_too_large(cb);
		return;
	}
	if (r != 0) {
		reader_finish(cb, r);
		return;
	}
	vlen = (size_t)xcb_get_property_value_length(rep);
	if (vlen == 0) {
		uint8_t empty = 0;

		free(rep);
		rd->incr = false;
		if (rd->stage == RS_TARGETS && rd->len % 4 != 0)
			rd->len -= rd->len % 4;
		reader_item(cb, rd->buf != NULL ? rd->buf : &empty, rd->len,
			rd->type);
		return;
	}
	if (rd->type == XCB_NONE)
		rd->type = rep->type;
	if (rd->len + vlen > rd->cap) {
		size_t cap = rd->cap > 0 ? rd->cap : INCR_CHUNK;
		uint8_t *nb;

		while (cap < rd->len + vlen)
			cap = cap > cb->max_bytes / 2 ? cb->max_bytes : cap * 2;
		if ((nb = realloc(rd->buf, cap)) == NULL) {
			free(rep);
			reader_finish(cb, OP_ERR_NOMEM);
			return;
		}
		rd->buf = nb;
		rd->cap = cap;
	}
	memcpy(rd->buf + rd->len, xcb_get_property_value(rep), vlen);
	rd->len += vlen;
	free(rep);
}

static void
on_read_timeout(uv_timer_t *t)
{
	struct clipboard_x11 *cb = t->data;

	if (cb->rd.stage != RS_IDLE)
		reader_finish(cb, -ETIMEDOUT);
	if (!cb->closing && !cb->gone)
		xcb_flush(cb->conn);
}

/* ---- events ------------------------------------------------------------*/

static void
on_property(struct clipboard_x11 *cb, xcb_property_notify_event_t *e)
{
	if (e->state == XCB_PROPERTY_DELETE) {
		clipboard__property_deleted(cb, e);
		return;
	}
	if (e->window == cb->win && cb->rd.stage != RS_IDLE && cb->rd.incr &&
		e->atom == cb->rd.prop)
		reader_chunk(cb);
}

static void
on_xfixes(struct clipboard_x11 *cb, xcb_xfixes_selection_notify_event_t *e)
{
	if (e->selection != cb->atom[A_CLIPBOARD])
		return;
	if (e->owner == cb->win) {
		cb->own_time = e->selection_timestamp;
		return;
	}
	if (e->owner != XCB_NONE && cb->changed != NULL)
		cb->changed(cb->arg, cb->pub);
}

static void
dispatch(struct clipboard_x11 *cb, xcb_generic_event_t *ev)
{
	uint8_t type = ev->response_type & 0x7f;

	if (type == XCB_SELECTION_NOTIFY)
		on_selection_notify(cb, (xcb_selection_notify_event_t *)ev);
	else if (type == XCB_SELECTION_REQUEST)
		clipboard__selection_request(cb,
			(xcb_selection_request_event_t *)ev);
	else if (type == XCB_PROPERTY_NOTIFY)
		on_property(cb, (xcb_property_notify_event_t *)ev);
	else if (type == XCB_SELECTION_CLEAR)
		clipboard__selection_clear(cb,
			(xcb_selection_clear_event_t *)ev);
	else if (type == cb->xfixes_event + XCB_XFIXES_SELECTION_NOTIFY)
		on_xfixes(cb, (xcb_xfixes_selection_notify_event_t *)ev);
	/* Errors (0), e.g. BadWindow from a requestor that went away, and
	 * everything else are ignored. */
}

static void
lost(struct clipboard_x11 *cb)
{
	cb->gone = true;
	uv_poll_stop(&cb->poll);
	clipboard__release(cb);
	if (cb->rd.stage != RS_IDLE)
		reader_finish(cb, OP_ERR_GONE);
}

static void
drain(struct clipboard_x11 *cb)
{
	xcb_generic_event_t *ev;

	if (cb->closing || cb->gone)
		return;
	while ((ev = xcb_poll_for_event(cb->conn)) != NULL) {
		dispatch(cb, ev);
		free(ev);
		if (cb->closing || cb->gone)
			return;
	}
	if (xcb_connection_has_error(cb->conn) != 0) {
		lost(cb);
		return;
	}
	xcb_flush(cb->conn);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	drain(p->data);
}

/* Replies we waited for may have queued events that poll will not
 * report: drain on the next loop iteration. */
static void
on_wake(uv_async_t *a)
{
	drain(a->data);
}

void
clipboard__kick(struct clipboard_x11 *cb)
{
	xcb_flush(cb->conn);
	uv_async_send(&cb->wake);
}

/* ---- open / close ------------------------------------------------------*/

static int
intern_atoms(struct clipboard_x11 *cb)
{
	xcb_intern_atom_cookie_t ck[A_COUNT];
	int r = 0;
	int i;

	for (i = 0; i < A_COUNT; i++)
		ck[i] = xcb_intern_atom(cb->conn, 0,
			(uint16_t)strlen(atom_names[i]), atom_names[i]);
	for (i = 0; i < A_COUNT; i++) {
		xcb_intern_atom_reply_t *rep =
			xcb_intern_atom_reply(cb->conn, ck[i], NULL);

		if (rep == NULL)
			r = OP_ERR_GONE;
		else
			cb->atom[i] = rep->atom;
		free(rep);
	}
	return r;
}

/* XFixes (for owner changes) and our hidden window. */
static int
x11_setup(struct clipboard_x11 *cb, int screen, char *err, size_t errlen)
{
	const xcb_setup_t *setup = xcb_get_setup(cb->conn);
	xcb_screen_iterator_t it = xcb_setup_roots_iterator(setup);
	const xcb_query_extension_reply_t *q;
	xcb_xfixes_query_version_reply_t *ver;
	xcb_generic_error_t *e;
	uint32_t values[2] = { 1, XCB_EVENT_MASK_PROPERTY_CHANGE };
	size_t maxreq;

	for (; it.rem > 0 && screen > 0; screen--)
		xcb_screen_next(&it);
	if (it.rem == 0) {
		snprintf(err, errlen, "the display has no such screen");
		return OP_ERR_CONFIG;
	}
	q = xcb_get_extension_data(cb->conn, &xcb_xfixes_id);
	if (q == NULL || !q->present) {
		snprintf(err, errlen, "the X server has no XFIXES extension");
		return OP_ERR_UNSUPPORTED;
	}
	cb->xfixes_event = q->first_event;
	ver = xcb_xfixes_query_version_reply(cb->conn,
		xcb_xfixes_query_version(cb->conn, 5, 0), NULL);
	free(ver);
	if (ver == NULL || intern_atoms(cb) != 0) {
		snprintf(err, errlen, "the X server went away during setup");
		return OP_ERR_GONE;
	}
	cb->win = xcb_generate_id(cb->conn);
	e = xcb_request_check(cb->conn,
		xcb_create_window_checked(cb->conn, 0, cb->win, it.data->root,
			-10, -10, 1, 1, 0, XCB_WINDOW_CLASS_INPUT_ONLY,
			XCB_COPY_FROM_PARENT,
			XCB_CW_OVERRIDE_REDIRECT | XCB_CW_EVENT_MASK, values));
	if (e != NULL) {
		free(e);
		snprintf(err, errlen, "cannot create the clipboard window");
		return OP_ERR_INTERNAL;
	}
	xcb_xfixes_select_selection_input(cb->conn, cb->win,
		cb->atom[A_CLIPBOARD],
		XCB_XFIXES_SELECTION_EVENT_MASK_SET_SELECTION_OWNER);
	/* Above a quarter of the largest request, content goes by INCR. */
	maxreq = (size_t)xcb_get_maximum_request_length(cb->conn) * 4;
	cb->incr_threshold = maxreq / 4;
	if (cb->incr_threshold > INCR_MAX_THRESHOLD)
		cb->incr_threshold = INCR_MAX_THRESHOLD;
	if (cb->incr_threshold < INCR_CHUNK)
		cb->incr_threshold = INCR_CHUNK;
	return 0;
}

static void
on_closed(uv_handle_t *h)
{
	struct clipboard_x11 *cb = h->data;

	if (--cb->handles > 0)
		return;
	clipboard__release(cb);
	reader_reset(cb);
	if (cb->conn != NULL)
		xcb_disconnect(cb->conn);
	free(cb);
}

/* Closes what exists; the struct goes with the last handle. */
static void
clipboard_destroy(struct clipboard_x11 *cb, int inited)
{
	uv_handle_t *h[] = { (uv_handle_t *)&cb->poll,
		(uv_handle_t *)&cb->read_timer,
		(uv_handle_t *)&cb->sweep_timer, (uv_handle_t *)&cb->wake };
	int i;

	cb->closing = true;
	/* Let the window and its ownership go with the connection. */
	cb->gone = true;
	cb->handles = inited;
	if (inited == 0) {
		cb->handles = 1;
		on_closed((uv_handle_t *)&cb->poll);
		return;
	}
	for (i = 0; i < inited; i++)
		uv_close(h[i], on_closed);
}

static int
x11_open(uv_loop_t *loop, const char *display, const char *xauthority,
	size_t max_bytes, struct clipboard *pub, clipboard_changed_fn changed,
	void *arg, void **out, char *err, size_t errlen)
{
	struct clipboard_x11 *cb;
	int screen = 0;
	int inited = 0;
	int r;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (max_bytes == 0 || max_bytes > UINT32_MAX) {
		snprintf(err, errlen, "clipboard size limit out of range");
		return OP_ERR_RANGE;
	}
	if ((cb = calloc(1, sizeof(*cb))) == NULL)
		return OP_ERR_NOMEM;
	cb->loop = loop;
	cb->max_bytes = max_bytes;
	cb->pub = pub;
	cb->changed = changed;
	cb->arg = arg;
	cb->poll.data = cb->read_timer.data = cb->sweep_timer.data =
		cb->wake.data = cb;
	if ((r = xconn_open(display, xauthority, &cb->conn, &screen, err,
		     errlen)) != 0 ||
		(r = x11_setup(cb, screen, err, errlen)) != 0)
		goto fail;
	if ((r = uv_poll_init(loop, &cb->poll,
		     xcb_get_file_descriptor(cb->conn))) != 0)
		goto uvfail;
	inited++;
	if ((r = uv_timer_init(loop, &cb->read_timer)) != 0)
		goto uvfail;
	inited++;
	if ((r = uv_timer_init(loop, &cb->sweep_timer)) != 0)
		goto uvfail;
	inited++;
	if ((r = uv_async_init(loop, &cb->wake, on_wake)) != 0)
		goto uvfail;
	inited++;
	if ((r = uv_poll_start(&cb->poll, UV_READABLE, on_poll)) != 0)
		goto uvfail;
	cb->handles = inited;
	clipboard__kick(cb);
	*out = cb;
	return 0;
uvfail:
	snprintf(err, errlen, "event loop: %s", uv_strerror(r));
fail:
	clipboard_destroy(cb, inited);
	return r;
}

static void
x11_close(void *be)
{
	struct clipboard_x11 *cb = be;

	if (cb == NULL || cb->closing)
		return;
	clipboard_destroy(cb, 4);
}

static int
x11_read(void *be, clipboard_read_fn done, void *arg)
{
	struct clipboard_x11 *cb = be;
	struct reader *rd = &cb->rd;
	int r;

	if (done == NULL)
		return -EINVAL;
	if (cb->closing || cb->gone)
		return OP_ERR_GONE;
	if (rd->stage != RS_IDLE)
		return OP_ERR_STATE;
	reader_reset(cb);
	if ((r = uv_timer_start(&cb->read_timer, on_read_timeout,
		     READ_TIMEOUT_MS, 0)) != 0)
		return r;
	rd->done = done;
	rd->arg = arg;
	rd->stage = RS_TARGETS;
	reader_convert(cb, cb->atom[A_TARGETS]);
	xcb_flush(cb->conn);
	return 0;
}

const struct clipboard_ops clipboard__x11_ops = {
	.name = "x11",
	.open = x11_open,
	.close = x11_close,
	.read = x11_read,
	.set = clipboard__x11_set,
};
