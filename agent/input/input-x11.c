/* SPDX-License-Identifier: MIT */
/*
 * The X11 input backend: runs plans with XTEST fake input over its own
 * xcb connection. It keeps a copy of the core keyboard mapping (reloaded
 * after MappingNotify) to find the key and Shift level that produce a
 * keysym; a keysym no key produces is given to a spare key (one with no
 * keysyms), like xdotool does. Spare keys stay mapped until
 * input_release_all() or input_close(), or until a spare is needed for
 * another keysym: restoring right after the click races with clients,
 * which look the keysym up only when they process the event.
 *
 * Every key and button pressed here is tracked, and a release of
 * something we do not hold is dropped, so the tracking is the truth and
 * release_all leaves nothing stuck. Only keyboard-mapping and lock-LED
 * queries wait for replies. It must not change anything on the server
 * beyond input events and spare-key mappings.
 */
#include "input/input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xcb/xcb.h>
#include <xcb/xtest.h>

#include "core/err.h"
#include "input/input-internal.h"
#include "xconn/xconn.h"

#define NO_SYMBOL 0u
#define LED_CAPS 0x1u
#define LED_NUM 0x2u

struct x11in {
	xcb_connection_t *conn;
	xcb_window_t root;
	int32_t width, height;
	bool map_dirty;
	uint8_t min_kc, max_kc;
	uint8_t per;          /* keysyms per keycode in syms */
	xcb_keysym_t *syms;   /* (max_kc - min_kc + 1) * per */
	uint8_t keys[32];     /* held keycodes, a bitmap */
	uint32_t buttons;     /* held X buttons, bit n = button n */
	uint32_t ours[256];   /* keysym we mapped a spare key to, or 0 */
	uint32_t ours_age[256];
	uint32_t age;
};

static struct x11in *
X(const struct input *in)
{
	return input__backend(in);
}

static bool
key_held(const struct x11in *x, uint8_t k)
{
	return (x->keys[k >> 3] >> (k & 7)) & 1;
}

static void
key_mark(struct x11in *x, uint8_t k, bool down)
{
	if (down)
		x->keys[k >> 3] = (uint8_t)(x->keys[k >> 3] | 1u << (k & 7));
	else
		x->keys[k >> 3] = (uint8_t)(x->keys[k >> 3] & ~(1u << (k & 7)));
}

static xcb_keysym_t
sym_at(const struct x11in *x, unsigned k, unsigned col)
{
	if (k < x->min_kc || k > x->max_kc || col >= x->per)
		return NO_SYMBOL;
	return x->syms[(size_t)(k - x->min_kc) * x->per + col];
}

static int
load_mapping(struct x11in *x)
{
	const xcb_setup_t *setup = xcb_get_setup(x->conn);
	uint8_t count = (uint8_t)(setup->max_keycode - setup->min_keycode + 1);
	xcb_get_keyboard_mapping_reply_t *rep;
	xcb_keysym_t *syms;
	size_t n;

	rep = xcb_get_keyboard_mapping_reply(x->conn,
		xcb_get_keyboard_mapping(x->conn, setup->min_keycode, count),
		NULL);
	if (rep == NULL)
		return OP_ERR_GONE;
	n = (size_t)count * rep->keysyms_per_keycode;
	if (rep->keysyms_per_keycode == 0 ||
		!xconn_reply_fits(rep, sizeof(*rep), (uint64_t)n * 4) ||
		(syms = malloc(n * sizeof(*syms))) == NULL) {
		free(rep);
		return OP_ERR_NOMEM;
	}
	memcpy(syms, xcb_get_keyboard_mapping_keysyms(rep),
		n * sizeof(*syms));
	free(x->syms);
	x->syms = syms;
	x->per = rep->keysyms_per_keycode;
	x->min_kc = setup->min_keycode;
	x->max_kc = setup->max_keycode;
	x->map_dirty = false;
	free(rep);
	return 0;
}

/* The key showing keysym in column 0 (preferred) or 1 (Shift). */
static bool
find_sym(const struct x11in *x, uint32_t sym, uint8_t *code, unsigned *col)
{
	for (unsigned c = 0; c < 2; c++)
		for (unsigned k = x->min_kc; k <= x->max_kc; k++)
			if (sym_at(x, k, c) == sym) {
				*code = (uint8_t)k;
				*col = c;
				return true;
			}
	return false;
}

static bool
key_empty(const struct x11in *x, unsigned k)
{
	for (unsigned c = 0; c < x->per; c++)
		if (sym_at(x, k, c) != NO_SYMBOL)
			return false;
	return true;
}

static void
set_key(struct x11in *x, uint8_t k, uint32_t sym)
{
	xcb_keysym_t two[2] = { sym, sym };

	xcb_change_keyboard_mapping(x->conn, 1, k, 2, two);
	/* Our copy follows at once, so the rest of a plan sees it. */
	for (unsigned c = 0; c < x->per; c++)
		x->syms[(size_t)(k - x->min_kc) * x->per + c] =
			c < 2 ? sym : NO_SYMBOL;
	x->ours[k] = sym;
	x->ours_age[k] = ++x->age;
}

/* A spare key for sym: a free one, else the least recently used of ours
 * that is not held. */
static int
remap(struct x11in *x, uint32_t sym, uint8_t *code)
{
	unsigned best = 0;

	for (unsigned k = x->min_kc; k <= x->max_kc; k++)
		if (x->ours[k] == 0 && key_empty(x, k) &&
			!key_held(x, (uint8_t)k)) {
			set_key(x, (uint8_t)k, sym);
			*code = (uint8_t)k;
			return 0;
		}
	for (unsigned k = x->min_kc; k <= x->max_kc; k++)
		if (x->ours[k] != 0 && !key_held(x, (uint8_t)k) &&
			(best == 0 || x->ours_age[k] < x->ours_age[best]))
			best = k;
	if (best == 0)
		return OP_ERR_UNSUPPORTED;
	set_key(x, (uint8_t)best, sym);
	*code = (uint8_t)best;
	return 0;
}

static void
restore_spares(struct x11in *x)
{
	xcb_keysym_t none[2] = { NO_SYMBOL, NO_SYMBOL };

	for (unsigned k = 0; k < 256; k++) {
		if (x->ours[k] == 0)
			continue;
		xcb_change_keyboard_mapping(x->conn, 1, (uint8_t)k, 2, none);
		if (k >= x->min_kc && k <= x->max_kc)
			for (unsigned c = 0; c < x->per; c++)
				x->syms[(size_t)(k - x->min_kc) * x->per + c] =
					NO_SYMBOL;
		x->ours[k] = 0;
	}
}

static void
fake_key(struct x11in *x, uint8_t k, bool down)
{
	if (key_held(x, k) == down)
		return; /* no double press, no release of what we lack */
	xcb_test_fake_input(x->conn,
		down ? XCB_KEY_PRESS : XCB_KEY_RELEASE, k, XCB_CURRENT_TIME,
		XCB_NONE, 0, 0, 0);
	key_mark(x, k, down);
}

static void
fake_button(struct x11in *x, uint32_t b, bool down)
{
	bool held = (x->buttons >> b) & 1;

	if (b == 0 || b > 31 || held == down)
		return;
	xcb_test_fake_input(x->conn,
		down ? XCB_BUTTON_PRESS : XCB_BUTTON_RELEASE, (uint8_t)b,
		XCB_CURRENT_TIME, XCB_NONE, 0, 0, 0);
	if (down)
		x->buttons |= 1u << b;
	else
		x->buttons &= ~(1u << b);
}

/* The key for a keysym, levels untouched; with a spare key when none has
 * it and the key goes down. */
static int
keysym_code(struct x11in *x, uint32_t sym, bool down, uint8_t *code)
{
	unsigned col;

	if (find_sym(x, sym, code, &col))
		return 0;
	/* RAlt: AltGr layouts put ISO_Level3_Shift there instead. */
	if (sym == INPUT_XK_ALT_R &&
		find_sym(x, INPUT_XK_ISO_LEVEL3_SHIFT, code, &col))
		return 0;
	if (!down)
		return OP_ERR_NOT_FOUND;
	return remap(x, sym, code);
}

/* Held Shift keys (either side). */
static void
held_shifts(const struct x11in *x, uint8_t *out, size_t *n)
{
	*n = 0;
	for (unsigned k = x->min_kc; k <= x->max_kc && *n < 4; k++) {
		xcb_keysym_t s = sym_at(x, k, 0);

		if (key_held(x, (uint8_t)k) &&
			(s == INPUT_XK_SHIFT_L || s == INPUT_XK_SHIFT_R))
			out[(*n)++] = (uint8_t)k;
	}
}

/* Types one keysym: the key and Shift level that produce it, Shift
 * pressed or lifted around it as the level needs (spec §9.2: the
 * intended glyph, whatever the user holds). */
static int
type_sym(struct x11in *x, uint32_t sym)
{
	uint8_t code, shift, held[4];
	unsigned col;
	size_t n;
	bool need_shift, cased;
	int r;

	if (!find_sym(x, sym, &code, &col)) {
		if ((r = remap(x, sym, &code)) != 0)
			return r;
		col = 0;
	}
	need_shift = col == 1;
	cased = sym_at(x, code, 0) != sym_at(x, code, 1) &&
		sym_at(x, code, 1) != NO_SYMBOL;
	held_shifts(x, held, &n);
	if (need_shift && n == 0) {
		if ((r = keysym_code(x, INPUT_XK_SHIFT_L, true, &shift)) != 0)
			return r;
		fake_key(x, shift, true);
		fake_key(x, code, true);
		fake_key(x, code, false);
		fake_key(x, shift, false);
		return 0;
	}
	if (!need_shift && n > 0 && cased) {
		for (size_t i = 0; i < n; i++)
			fake_key(x, held[i], false);
		fake_key(x, code, true);
		fake_key(x, code, false);
		for (size_t i = 0; i < n; i++)
			fake_key(x, held[i], true);
		return 0;
	}
	fake_key(x, code, true);
	fake_key(x, code, false);
	return 0;
}

static int
x11_exec(struct input *in, const struct input_act *a, size_t n)
{
	struct x11in *x = X(in);
	uint8_t code;
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		switch (a[i].kind) {
		case INPUT_ACT_KEYCODE:
			fake_key(x, (uint8_t)a[i].v, a[i].down);
			break;
		case INPUT_ACT_KEYSYM:
			r = keysym_code(x, a[i].v, a[i].down, &code);
			if (r == 0)
				fake_key(x, code, a[i].down);
			else if (r == OP_ERR_NOT_FOUND)
				r = 0; /* a release of a key nobody has */
			break;
		case INPUT_ACT_TYPE:
			r = type_sym(x, a[i].v);
			break;
		case INPUT_ACT_MOVE:
			xcb_test_fake_input(x->conn, XCB_MOTION_NOTIFY, 0,
				XCB_CURRENT_TIME, x->root, (int16_t)a[i].x,
				(int16_t)a[i].y, 0);
			break;
		case INPUT_ACT_BUTTON:
			fake_button(x, a[i].v, a[i].down);
			break;
		default:
			r = OP_ERR_INTERNAL;
			break;
		}
	}
	if (xcb_flush(x->conn) <= 0 || xcb_connection_has_error(x->conn))
		return OP_ERR_GONE;
	return r;
}

/* Reads what the server told us: keyboard mapping changes (ours too),
 * root size changes. */
static void
drain_events(struct x11in *x)
{
	xcb_generic_event_t *e;

	while ((e = xcb_poll_for_event(x->conn)) != NULL) {
		uint8_t type = e->response_type & 0x7f;

		if (type == XCB_MAPPING_NOTIFY &&
			((xcb_mapping_notify_event_t *)e)->request ==
				XCB_MAPPING_KEYBOARD)
			x->map_dirty = true;
		if (type == XCB_CONFIGURE_NOTIFY &&
			((xcb_configure_notify_event_t *)e)->window ==
				x->root) {
			xcb_configure_notify_event_t *c = (void *)e;

			x->width = c->width;
			x->height = c->height;
		}
		free(e);
	}
}

static int
x11_state(struct input *in, bool locks, struct input_state *st)
{
	struct x11in *x = X(in);
	int r;

	memset(st, 0, sizeof(*st));
	if (xcb_connection_has_error(x->conn))
		return OP_ERR_GONE;
	drain_events(x);
	if (x->map_dirty && (r = load_mapping(x)) != 0)
		return r;
	for (unsigned k = x->min_kc; k <= x->max_kc; k++)
		if (key_held(x, (uint8_t)k))
			st->mods |= input_keysym_mod(sym_at(x, k, 0));
	st->width = x->width;
	st->height = x->height;
	if (locks) {
		xcb_get_keyboard_control_reply_t *kc =
			xcb_get_keyboard_control_reply(x->conn,
				xcb_get_keyboard_control(x->conn), NULL);

		if (kc == NULL)
			return OP_ERR_GONE;
		/* 52 bytes: longer than a reply of length 0. */
		if (!xconn_reply_fits(kc, sizeof(*kc), 0)) {
			free(kc);
			return OP_ERR_PROTO;
		}
		st->caps = (kc->led_mask & LED_CAPS) != 0;
		st->num = (kc->led_mask & LED_NUM) != 0;
		free(kc);
	}
	return 0;
}

static void
x11_release_all(struct input *in)
{
	struct x11in *x = X(in);

	if (x == NULL || x->conn == NULL)
		return;
	for (unsigned b = 1; b < 32; b++)
		fake_button(x, b, false);
	for (unsigned k = 0; k < 256; k++)
		fake_key(x, (uint8_t)k, false);
	restore_spares(x);
	xcb_flush(x->conn);
}

static unsigned
x11_held(const struct input *in)
{
	const struct x11in *x = X(in);
	unsigned n = (unsigned)__builtin_popcount(x->buttons);

	for (size_t i = 0; i < sizeof(x->keys); i++)
		n += (unsigned)__builtin_popcount(x->keys[i]);
	return n;
}

static void
x11_close(struct input *in)
{
	struct x11in *x = X(in);

	if (x == NULL)
		return;
	if (x->conn != NULL && xcb_connection_has_error(x->conn) == 0)
		/* A round trip before hanging up: the server drops requests
		 * it has not read when the client is gone, and the releases
		 * just sent must not be among them (seen: stuck Ctrl). */
		free(xcb_get_input_focus_reply(x->conn,
			xcb_get_input_focus(x->conn), NULL));
	if (x->conn != NULL)
		xcb_disconnect(x->conn);
	free(x->syms);
	free(x);
	input__set_backend(in, NULL);
}

static int
x11_open(struct input *in, const char *display, const char *xauthority,
	char *err, size_t errlen)
{
	struct x11in *x = calloc(1, sizeof(*x));
	const xcb_query_extension_reply_t *q;
	xcb_screen_iterator_t it;
	uint32_t mask = XCB_EVENT_MASK_STRUCTURE_NOTIFY;
	int screen = 0, r;

	if (x == NULL) {
		snprintf(err, errlen, "out of memory");
		return OP_ERR_NOMEM;
	}
	input__set_backend(in, x);
	if ((r = xconn_open(display, xauthority, &x->conn, &screen, err,
		     errlen)) != 0)
		goto fail;
	q = xcb_get_extension_data(x->conn, &xcb_test_id);
	if (q == NULL || !q->present) {
		snprintf(err, errlen, "the X server has no XTEST extension");
		r = OP_ERR_UNSUPPORTED;
		goto fail;
	}
	it = xcb_setup_roots_iterator(xcb_get_setup(x->conn));
	for (int i = 0; i < screen && it.rem > 0; i++)
		xcb_screen_next(&it);
	if (it.rem == 0) {
		snprintf(err, errlen, "display has no screen %d", screen);
		r = OP_ERR_CONFIG;
		goto fail;
	}
	x->root = it.data->root;
	x->width = it.data->width_in_pixels;
	x->height = it.data->height_in_pixels;
	/* Root size changes (RandR) arrive as ConfigureNotify. */
	xcb_change_window_attributes(x->conn, x->root, XCB_CW_EVENT_MASK,
		&mask);
	if ((r = load_mapping(x)) != 0) {
		snprintf(err, errlen, "cannot read the keyboard mapping");
		goto fail;
	}
	return 0;
fail:
	x11_close(in);
	return r;
}

const struct input_ops input__x11_ops = {
	.name = "x11",
	.open = x11_open,
	.close = x11_close,
	.state = x11_state,
	.exec = x11_exec,
	.release_all = x11_release_all,
	.held = x11_held,
};
