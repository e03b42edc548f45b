/* SPDX-License-Identifier: MIT */
/*
 * The input logic shared by the D-Bus remote-desktop backends, "mutter"
 * (input-mutter.c: Mutter's RemoteDesktop API) and "portal"
 * (input-portal.c: xdg-desktop-portal RemoteDesktop): both take keysyms,
 * evdev keycodes and buttons, wheel notches and absolute motion in the
 * coordinates of a recorded monitor, each event as one time-limited
 * D-Bus call on the loop thread. The backend opens its session and
 * hands it here with the monitor's global rectangle (input__rd_start).
 *
 * The compositor does the keymap work: keysyms go as
 * NotifyKeyboardKeysym (it finds the key and level in its own keymap), X
 * keycodes (Map mode) as NotifyKeyboardKeycode with the evdev code (X
 * keycode - 8). Buttons are evdev codes, wheel notches
 * NotifyPointerAxisDiscrete. Global coordinates are mapped into the
 * monitor's.
 *
 * Lock states (Caps/Num) cannot be read through these APIs: the planners
 * see them off.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "input/input-rd.h"
#include "platform/userbus.h"

#define MAX_HELD_SYMS 64
#define X_KEYCODE_MIN 8u
#define X_KEYCODE_MAX 255u

/* linux/input-event-codes.h, without depending on kernel headers. */
enum {
	EV_BTN_LEFT = 0x110,
	EV_BTN_RIGHT = 0x111,
	EV_BTN_MIDDLE = 0x112,
	EV_BTN_SIDE = 0x113,
	EV_BTN_EXTRA = 0x114,
};

struct rdin {
	const struct userbus_rd_ops *src;
	void *session; /* src's */
	int32_t mx, my, mw, mh; /* the monitor, global coordinates */
	unsigned mods;          /* INPUT_MOD_* held by us */
	uint8_t held_codes[(X_KEYCODE_MAX + 1) / 8];
	uint32_t held_syms[MAX_HELD_SYMS];
	size_t nsyms;
	unsigned held_buttons; /* bit b: X button b */
	bool gone;
};

static struct rdin *
M(const struct input *in)
{
	return input__backend(in);
}

/* The modifier bit of an X keycode (evdev + 8) on a pc keyboard. */
static unsigned
keycode_mod(uint32_t code)
{
	switch (code) {
	case 50: return INPUT_MOD_SHIFT_L;
	case 62: return INPUT_MOD_SHIFT_R;
	case 37: return INPUT_MOD_CTRL_L;
	case 105: return INPUT_MOD_CTRL_R;
	case 64: return INPUT_MOD_ALT_L;
	case 108: return INPUT_MOD_ALT_R;
	case 133: return INPUT_MOD_SUPER_L;
	case 134: return INPUT_MOD_SUPER_R;
	default: return 0;
	}
}

int
input__rd_start(struct input *in, const struct userbus_rd_ops *src,
	void *session, int32_t x, int32_t y, int32_t w, int32_t h)
{
	struct rdin *m;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		src->close(session);
		return OP_ERR_NOMEM;
	}
	m->src = src;
	m->session = session;
	m->mx = x;
	m->my = y;
	m->mw = w;
	m->mh = h;
	input__set_backend(in, m);
	return 0;
}

void
input__rd_close(struct input *in)
{
	struct rdin *m = M(in);

	m->src->close(m->session);
	free(m);
	input__set_backend(in, NULL);
}

int
input__rd_state(struct input *in, bool locks, struct input_state *st)
{
	struct rdin *m = M(in);

	(void)locks;
	if (m->gone || m->src->process(m->session) != 0) {
		m->gone = true;
		return OP_ERR_GONE;
	}
	memset(st, 0, sizeof(*st));
	st->mods = m->mods;
	st->width = m->mx + m->mw;
	st->height = m->my + m->mh;
	return 0;
}

static void
note_sym(struct rdin *m, uint32_t sym, bool down)
{
	size_t i;

	for (i = 0; i < m->nsyms && m->held_syms[i] != sym; i++)
		;
	if (down && i == m->nsyms && m->nsyms < MAX_HELD_SYMS)
		m->held_syms[m->nsyms++] = sym;
	else if (!down && i < m->nsyms)
		m->held_syms[i] = m->held_syms[--m->nsyms];
	if (down)
		m->mods |= input_keysym_mod(sym);
	else
		m->mods &= ~input_keysym_mod(sym);
}

static int
send_keycode(struct rdin *m, uint32_t code, bool down)
{
	int r;

	if (code < X_KEYCODE_MIN || code > X_KEYCODE_MAX)
		return OP_ERR_RANGE;
	if ((r = m->src->keycode(m->session, code - X_KEYCODE_MIN,
		     down)) != 0)
		return r;
	if (down) {
		m->held_codes[code / 8] |= (uint8_t)(1u << (code % 8));
		m->mods |= keycode_mod(code);
	} else {
		m->held_codes[code / 8] &= (uint8_t)~(1u << (code % 8));
		m->mods &= ~keycode_mod(code);
	}
	return 0;
}

static int
send_keysym(struct rdin *m, uint32_t sym, bool down)
{
	int r = m->src->keysym(m->session, sym, down);

	if (r == 0)
		note_sym(m, sym, down);
	return r;
}

/* X buttons: 1-3 left/middle/right, 4-7 wheel notches (on press only),
 * 8/9 back/forward. */
static int
send_button(struct rdin *m, uint32_t b, bool down)
{
	static const int32_t codes[10] = { 0, EV_BTN_LEFT, EV_BTN_MIDDLE,
		EV_BTN_RIGHT, 0, 0, 0, 0, EV_BTN_SIDE, EV_BTN_EXTRA };
	int r;

	if (b < 1 || b > 9)
		return OP_ERR_RANGE;
	if (b >= 4 && b <= 7) {
		if (!down)
			return 0;
		return m->src->axis_discrete(m->session, b >= 6 ? 1u : 0u,
			(b == 4 || b == 6) ? -1 : 1);
	}
	if ((r = m->src->button(m->session, codes[b], down)) != 0)
		return r;
	if (down)
		m->held_buttons |= 1u << b;
	else
		m->held_buttons &= ~(1u << b);
	return 0;
}

static int
exec_one(struct rdin *m, const struct input_act *a)
{
	int r;

	switch (a->kind) {
	case INPUT_ACT_KEYCODE:
		return send_keycode(m, a->v, a->down);
	case INPUT_ACT_KEYSYM:
		return send_keysym(m, a->v, a->down);
	case INPUT_ACT_TYPE:
		if ((r = send_keysym(m, a->v, true)) != 0)
			return r;
		return send_keysym(m, a->v, false);
	case INPUT_ACT_MOVE:
		if (a->x < m->mx || a->y < m->my || a->x >= m->mx + m->mw ||
			a->y >= m->my + m->mh)
			return 0; /* off the recorded monitor */
		return m->src->pointer_abs(m->session,
			(double)(a->x - m->mx), (double)(a->y - m->my));
	case INPUT_ACT_BUTTON:
		return send_button(m, a->v, a->down);
	default:
		return OP_ERR_INTERNAL;
	}
}

int
input__rd_exec(struct input *in, const struct input_act *a, size_t n)
{
	struct rdin *m = M(in);

	if (m->gone)
		return OP_ERR_GONE;
	for (size_t i = 0; i < n; i++) {
		int r = exec_one(m, &a[i]);

		if (r == OP_ERR_GONE || r == -ETIMEDOUT) {
			m->gone = true;
			return OP_ERR_GONE;
		}
		if (r != 0)
			return r;
	}
	return 0;
}

void
input__rd_release_all(struct input *in)
{
	struct rdin *m = M(in);

	if (m->gone)
		return;
	while (m->nsyms > 0 &&
		send_keysym(m, m->held_syms[m->nsyms - 1], false) == 0)
		;
	for (uint32_t c = X_KEYCODE_MIN; c <= X_KEYCODE_MAX; c++)
		if ((m->held_codes[c / 8] >> (c % 8)) & 1)
			(void)send_keycode(m, c, false);
	for (uint32_t b = 1; b <= 9; b++)
		if ((m->held_buttons >> b) & 1)
			(void)send_button(m, b, false);
	m->nsyms = 0;
	memset(m->held_codes, 0, sizeof(m->held_codes));
	m->held_buttons = 0;
	m->mods = 0;
}

unsigned
input__rd_held(const struct input *in)
{
	const struct rdin *m = M(in);
	unsigned n = (unsigned)m->nsyms;

	for (uint32_t c = X_KEYCODE_MIN; c <= X_KEYCODE_MAX; c++)
		n += (m->held_codes[c / 8] >> (c % 8)) & 1;
	for (uint32_t b = 1; b <= 9; b++)
		n += (m->held_buttons >> b) & 1;
	return n;
}
