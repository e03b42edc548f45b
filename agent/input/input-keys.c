/* SPDX-License-Identifier: MIT */
/*
 * RustDesk input semantics as pure functions (spec §9): the ControlKey
 * to keysym table, code point to keysym, strict UTF-8, and the planners
 * that turn a MouseEvent or KeyEvent into primitive actions given the
 * host state (held modifiers, lock LEDs, screen size). Everything here
 * validates network values before emitting a single action, so a refused
 * event injects nothing. No X, no I/O, no globals: the fuzz target and
 * the unit test call these directly.
 */
#include "input/input-internal.h"

#include "core/err.h"
#include "core/utf8.h"

/* Spec §9.2 table, normalised to valid keysyms. Zero: no key (Junja,
 * Final, Convert) or handled specially (CtrlAltDel, LockScreen). */
static const uint32_t ck_keysyms[] = {
	[1] = INPUT_XK_ALT_L,          /* Alt */
	[2] = 0xff08,                  /* Backspace */
	[3] = INPUT_XK_CAPS_LOCK,      /* CapsLock */
	[4] = INPUT_XK_CONTROL_L,      /* Control */
	[5] = INPUT_XK_DELETE,         /* Delete */
	[6] = 0xff54,                  /* DownArrow: Down */
	[7] = 0xff57,                  /* End */
	[8] = 0xff1b,                  /* Escape */
	[9] = 0xffbe,                  /* F1 */
	[10] = 0xffc7,                 /* F10 */
	[11] = 0xffc8,                 /* F11 */
	[12] = 0xffc9,                 /* F12 */
	[13] = 0xffbf,                 /* F2 */
	[14] = 0xffc0,                 /* F3 */
	[15] = 0xffc1,                 /* F4 */
	[16] = 0xffc2,                 /* F5 */
	[17] = 0xffc3,                 /* F6 */
	[18] = 0xffc4,                 /* F7 */
	[19] = 0xffc5,                 /* F8 */
	[20] = 0xffc6,                 /* F9 */
	[21] = 0xff50,                 /* Home */
	[22] = 0xff51,                 /* LeftArrow: Left */
	[23] = INPUT_XK_SUPER_L,       /* Meta */
	[24] = INPUT_XK_ALT_L,         /* Option */
	[25] = 0xff56,                 /* PageDown: Next */
	[26] = 0xff55,                 /* PageUp: Prior */
	[27] = 0xff0d,                 /* Return */
	[28] = 0xff53,                 /* RightArrow: Right */
	[29] = INPUT_XK_SHIFT_L,       /* Shift */
	[30] = 0x0020,                 /* Space: space */
	[31] = 0xff09,                 /* Tab */
	[32] = 0xff52,                 /* UpArrow: Up */
	[33] = 0xffb0, [34] = 0xffb1, [35] = 0xffb2, [36] = 0xffb3,
	[37] = 0xffb4, [38] = 0xffb5, [39] = 0xffb6, [40] = 0xffb7,
	[41] = 0xffb8, [42] = 0xffb9,  /* Numpad0-9: KP_0-KP_9 */
	[43] = 0xff69,                 /* Cancel */
	[44] = 0xff0b,                 /* Clear */
	[45] = INPUT_XK_ALT_L,         /* Menu: RustDesk's Alt */
	[46] = 0xff13,                 /* Pause */
	[47] = 0xff2e,                 /* Kana: Kana_Shift */
	[48] = 0xff31,                 /* Hangul */
	[51] = 0xff34,                 /* Hanja: Hangul_Hanja */
	[52] = 0xff21,                 /* Kanji */
	[54] = 0xff60,                 /* Select */
	[55] = 0xff61,                 /* Print */
	[56] = 0xff62,                 /* Execute */
	[57] = 0xff61,                 /* Snapshot: Print */
	[58] = 0xff63,                 /* Insert */
	[59] = 0xff6a,                 /* Help */
	[60] = 0x1008ff2f,             /* Sleep: XF86Sleep */
	[61] = 0xffac,                 /* Separator: KP_Separator */
	[62] = 0xff14,                 /* Scroll: Scroll_Lock */
	[63] = INPUT_XK_NUM_LOCK,      /* NumLock */
	[64] = INPUT_XK_SUPER_R,       /* RWin */
	[65] = 0xff67,                 /* Apps: Menu */
	[66] = 0xffaa,                 /* Multiply: KP_Multiply */
	[67] = 0xffab,                 /* Add: KP_Add */
	[68] = 0xffad,                 /* Subtract: KP_Subtract */
	[69] = 0xffae,                 /* Decimal: KP_Decimal */
	[70] = 0xffaf,                 /* Divide: KP_Divide */
	[71] = 0xffbd,                 /* Equals: KP_Equal */
	[72] = 0xff8d,                 /* NumpadEnter: KP_Enter */
	[73] = INPUT_XK_SHIFT_R,       /* RShift */
	[74] = INPUT_XK_CONTROL_R,     /* RControl */
	[75] = INPUT_XK_ALT_R,         /* RAlt */
	[76] = 0x1008ff12,             /* VolumeMute: XF86AudioMute */
	[77] = 0x1008ff13,             /* VolumeUp: XF86AudioRaiseVolume */
	[78] = 0x1008ff11,             /* VolumeDown: XF86AudioLowerVolume */
	[79] = 0x1008ff2a,             /* Power: XF86PowerOff */
};

#define N_CK (sizeof(ck_keysyms) / sizeof(ck_keysyms[0]))
#define XK_SCROLL_LOCK 0xff14u
#define XK_TAB 0xff09u
#define XK_RETURN 0xff0du
#define XK_KP_ENTER 0xff8du

/* The modifier keys by X keycode (evdev + 8), for Map mode. */
static const struct {
	uint8_t code;
	uint8_t mod;
} map_mods[] = {
	{ 50, INPUT_MOD_SHIFT_L }, { 62, INPUT_MOD_SHIFT_R },
	{ 37, INPUT_MOD_CTRL_L }, { 105, INPUT_MOD_CTRL_R },
	{ 64, INPUT_MOD_ALT_L }, { 108, INPUT_MOD_ALT_R },
	{ 133, INPUT_MOD_SUPER_L }, { 134, INPUT_MOD_SUPER_R },
};

static const uint32_t mod_keysyms[INPUT_MOD_COUNT] = {
	INPUT_XK_SHIFT_L, INPUT_XK_SHIFT_R, INPUT_XK_CONTROL_L,
	INPUT_XK_CONTROL_R, INPUT_XK_ALT_L, INPUT_XK_ALT_R,
	INPUT_XK_SUPER_L, INPUT_XK_SUPER_R,
};

uint32_t
input_control_keysym(int32_t ck)
{
	if (ck < 0 || (size_t)ck >= N_CK)
		return 0;
	return ck_keysyms[ck];
}

uint32_t
input_char_keysym(uint32_t cp)
{
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	switch (cp) {
	case 0x08:
		return 0xff08; /* BackSpace */
	case 0x09:
		return XK_TAB;
	case 0x0a:
	case 0x0d:
		return XK_RETURN;
	case 0x1b:
		return 0xff1b; /* Escape */
	case 0x7f:
		return INPUT_XK_DELETE;
	default:
		break;
	}
	if (cp < 0x20 || (cp >= 0x80 && cp < 0xa0))
		return 0; /* other C0 and C1 controls: nothing to type */
	if (cp <= 0xff)
		return cp; /* Latin-1 keysyms are the code points */
	return 0x01000000u | cp;
}

unsigned
input_keysym_mod(uint32_t keysym)
{
	for (unsigned i = 0; i < INPUT_MOD_COUNT; i++)
		if (mod_keysyms[i] == keysym)
			return 1u << i;
	return 0;
}

/* Both sides of a modifier: RustDesk treats Shift and RShift alike when
 * deciding whether "Shift" is held. */
static unsigned
mod_family(unsigned mod)
{
	unsigned m = 0;

	if (mod & (INPUT_MOD_SHIFT_L | INPUT_MOD_SHIFT_R))
		m |= INPUT_MOD_SHIFT_L | INPUT_MOD_SHIFT_R;
	if (mod & (INPUT_MOD_CTRL_L | INPUT_MOD_CTRL_R))
		m |= INPUT_MOD_CTRL_L | INPUT_MOD_CTRL_R;
	if (mod & (INPUT_MOD_ALT_L | INPUT_MOD_ALT_R))
		m |= INPUT_MOD_ALT_L | INPUT_MOD_ALT_R;
	if (mod & (INPUT_MOD_SUPER_L | INPUT_MOD_SUPER_R))
		m |= INPUT_MOD_SUPER_L | INPUT_MOD_SUPER_R;
	return m;
}

int
input_utf8_next(const char *s, size_t len, size_t *off, uint32_t *cp)
{
	size_t n;

	if (*off >= len ||
		(n = op_utf8_decode((const uint8_t *)s + *off, len - *off,
			 cp)) == 0)
		return OP_ERR_RANGE;
	*off += n;
	return 0;
}

/* ---- plans --------------------------------------------------------------*/

struct plan {
	struct input_act *a;
	size_t n, max;
	bool full;
};

static void
put(struct plan *p, enum input_act_kind kind, bool down, uint32_t v)
{
	if (p->n == p->max) {
		p->full = true;
		return;
	}
	p->a[p->n++] = (struct input_act){ .kind = (uint8_t)kind,
		.down = down, .v = v };
}

static void
put_click(struct plan *p, enum input_act_kind kind, uint32_t v)
{
	put(p, kind, true, v);
	put(p, kind, false, v);
}

static int
finish(struct plan *p, size_t *n)
{
	if (p->full)
		return OP_ERR_RANGE; /* cannot happen with max >= PLAN_MAX */
	*n = p->n;
	return 0;
}

/* A ControlKey that can appear in an event (spec §9.2 enum). */
static bool
ck_known(int32_t ck)
{
	return (ck >= 1 && ck <= 79) || ck == INPUT_CK_CTRL_ALT_DEL ||
		ck == INPUT_CK_LOCK_SCREEN;
}

static int
check_modifiers(const int32_t *m, size_t n)
{
	if (n > INPUT_MAX_MODIFIERS || (n > 0 && m == NULL))
		return OP_ERR_RANGE;
	for (size_t i = 0; i < n; i++)
		if (!ck_known(m[i]))
			return OP_ERR_RANGE;
	return 0;
}

/* What Caps Lock does to a letter (ASCII and Latin-1). */
static uint32_t
caps_swap(uint32_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 0xe0 && c <= 0xfe && c != 0xf7))
		return c - 0x20;
	if ((c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7))
		return c + 0x20;
	return c;
}

static bool
has_ck(const int32_t *m, size_t n, int32_t ck)
{
	for (size_t i = 0; i < n; i++)
		if (m[i] == ck)
			return true;
	return false;
}

/* Presses the listed modifiers whose family nobody holds (skip: a family
 * left alone); *mods is updated, the pressed ones are returned. */
static unsigned
press_listed(struct plan *p, const int32_t *m, size_t n, unsigned *mods,
	unsigned skip)
{
	unsigned pressed = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned b = input_keysym_mod(input_control_keysym(m[i]));

		if (b == 0 || (mod_family(b) & (*mods | skip)) != 0)
			continue;
		put(p, INPUT_ACT_KEYSYM, true, input_control_keysym(m[i]));
		*mods |= b;
		pressed |= b;
	}
	return pressed;
}

static void
release_mods(struct plan *p, unsigned mods)
{
	for (unsigned i = 0; i < INPUT_MOD_COUNT; i++)
		if (mods & (1u << i))
			put(p, INPUT_ACT_KEYSYM, false, mod_keysyms[i]);
}

/* Map-mode keycode classes (evdev + 8 on a Linux host). */
static unsigned
keycode_mod(uint32_t code)
{
	for (size_t i = 0; i < sizeof(map_mods) / sizeof(map_mods[0]); i++)
		if (map_mods[i].code == code)
			return map_mods[i].mod;
	return 0;
}

static bool
keycode_numpad(uint32_t code)
{
	return code == 63 || (code >= 79 && code <= 91) || code == 106 ||
		code == 125 || code == 129;
}

/* The main key of a KeyEvent, classified. */
struct key_main {
	enum { MAIN_NONE, MAIN_KEY, MAIN_TYPE, MAIN_SEQ, MAIN_COMBO } what;
	enum input_act_kind kind; /* MAIN_KEY: KEYCODE or KEYSYM */
	uint32_t v;
	unsigned mod;  /* a modifier key: held, not clicked */
	bool lock;     /* a lock key itself: clicked, no lock sync */
	bool nosync;   /* Tab, Return: no lock sync (spec) */
	bool numpad;   /* Num Lock matters */
};

static int
classify_control(int32_t ck, struct key_main *k)
{
	uint32_t ks;

	if (ck == INPUT_CK_CTRL_ALT_DEL || ck == INPUT_CK_LOCK_SCREEN) {
		k->what = MAIN_COMBO;
		k->v = (uint32_t)ck;
		return 0;
	}
	if ((ks = input_control_keysym(ck)) == 0)
		return OP_ERR_RANGE;
	if (ck >= 33 && ck <= 42) {
		/* Numpad digits type the digit, as RustDesk does: KP_n is
		 * a second level that depends on Num Lock. */
		k->what = MAIN_TYPE;
		k->v = '0' + (uint32_t)(ck - 33);
		return 0;
	}
	if (ck == 69) { /* Decimal: same reason */
		k->what = MAIN_TYPE;
		k->v = '.';
		return 0;
	}
	k->what = MAIN_KEY;
	k->kind = INPUT_ACT_KEYSYM;
	k->v = ks;
	k->mod = input_keysym_mod(ks);
	k->lock = ks == INPUT_XK_CAPS_LOCK || ks == INPUT_XK_NUM_LOCK ||
		ks == XK_SCROLL_LOCK;
	k->nosync = ks == XK_TAB || ks == XK_RETURN || ks == XK_KP_ENTER;
	k->numpad = ks >= 0xff80 && ks <= 0xffbd;
	return 0;
}

/* Legacy chr, and unicode: a code point to type. */
static int
classify_char(const struct input_key_event *ev, enum input_kmode mode,
	struct key_main *k)
{
	if ((k->v = input_char_keysym(ev->chr)) == 0)
		return OP_ERR_RANGE;
	/* RustDesk ignores unicode in Translate mode. */
	if (ev->kind == INPUT_KEY_UNICODE && mode == INPUT_KMODE_TRANSLATE)
		k->what = MAIN_NONE;
	else
		k->what = MAIN_TYPE;
	return 0;
}

static int
classify(const struct input_key_event *ev, enum input_kmode mode,
	struct key_main *k)
{
	*k = (struct key_main){ .what = MAIN_NONE };
	switch (ev->kind) {
	case INPUT_KEY_NONE:
		return 0;
	case INPUT_KEY_CONTROL:
		return classify_control(ev->control_key, k);
	case INPUT_KEY_CHR:
		if (mode == INPUT_KMODE_LEGACY)
			return classify_char(ev, mode, k);
		if (ev->chr < 8 || ev->chr > 255)
			return OP_ERR_RANGE;
		k->what = MAIN_KEY;
		k->kind = INPUT_ACT_KEYCODE;
		k->v = ev->chr;
		k->mod = keycode_mod(ev->chr);
		k->lock = ev->chr == 66 || ev->chr == 77 || ev->chr == 78;
		k->nosync = ev->chr == 23 || ev->chr == 36 || ev->chr == 104;
		k->numpad = keycode_numpad(ev->chr);
		return 0;
	case INPUT_KEY_UNICODE:
		return classify_char(ev, mode, k);
	case INPUT_KEY_SEQ: {
		size_t off = 0;
		uint32_t cp;

		if (ev->seq_len > INPUT_MAX_SEQ ||
			(ev->seq_len > 0 && ev->seq == NULL))
			return OP_ERR_RANGE;
		while (off < ev->seq_len)
			if (input_utf8_next(ev->seq, ev->seq_len, &off, &cp) !=
					0 ||
				input_char_keysym(cp) == 0)
				return OP_ERR_RANGE;
		k->what = MAIN_SEQ;
		return 0;
	}
	}
	return OP_ERR_RANGE;
}

static void
put_seq(struct plan *p, const char *s, size_t len)
{
	size_t off = 0;
	uint32_t cp = 0;

	while (off < len && input_utf8_next(s, len, &off, &cp) == 0)
		put(p, INPUT_ACT_TYPE, true, input_char_keysym(cp));
}

/* Ctrl+Alt+Del (to a Linux host RustDesk sends Delete with modifiers;
 * accept the Windows form too) and LockScreen (Super+L, what RustDesk
 * injects on Linux). */
static void
put_combo(struct plan *p, uint32_t ck, unsigned mods)
{
	int32_t ctrl_alt[] = { INPUT_CK_CONTROL, INPUT_CK_ALT };
	int32_t meta[] = { INPUT_CK_META };
	unsigned pressed;

	if (ck == INPUT_CK_CTRL_ALT_DEL) {
		pressed = press_listed(p, ctrl_alt, 2, &mods, 0);
		put_click(p, INPUT_ACT_KEYSYM, INPUT_XK_DELETE);
	} else {
		pressed = press_listed(p, meta, 1, &mods, 0);
		put(p, INPUT_ACT_TYPE, true, 'l');
	}
	release_mods(p, pressed);
}

int
input_plan_key(const struct input_key_event *ev,
	const struct input_state *st, struct input_act *out, size_t max,
	size_t *n)
{
	struct plan p = { .a = out, .max = max };
	struct key_main k;
	enum input_kmode mode;
	unsigned mods = st->mods, pressed = 0;
	bool click = ev->down || ev->press;
	bool caps_click = false, num_click = false;
	int r;

	*n = 0;
	if ((unsigned)ev->mode > INPUT_KMODE_AUTO)
		return OP_ERR_RANGE;
	mode = ev->mode == INPUT_KMODE_AUTO ? INPUT_KMODE_MAP : ev->mode;
	if ((r = check_modifiers(ev->modifiers, ev->n_modifiers)) != 0 ||
		(r = classify(ev, mode, &k)) != 0)
		return r;
	if (k.what == MAIN_NONE)
		return 0;
	/* A Legacy character is typed as the exact code point, with Caps
	 * Lock off; the client's Caps Lock still counts (§9.2 lock sync in
	 * every mode), so a letter's case is swapped as the lock would. */
	if (k.what == MAIN_TYPE && mode == INPUT_KMODE_LEGACY &&
		(ev->kind == INPUT_KEY_CHR || ev->kind == INPUT_KEY_UNICODE) &&
		has_ck(ev->modifiers, ev->n_modifiers, INPUT_CK_CAPSLOCK))
		k.v = input_char_keysym(caps_swap(ev->chr));
	if (k.what == MAIN_COMBO) {
		if (click)
			put_combo(&p, k.v, mods);
		return finish(&p, n);
	}
	/* A modifier is held and released faithfully; any other key is
	 * clicked on down (RustDesk's Linux quirk against auto-repeat when
	 * the release is late), and its release is a no-op. */
	if (k.what == MAIN_KEY && k.mod != 0 && !ev->press) {
		if (!ev->down) {
			put(&p, k.kind, false, k.v);
			return finish(&p, n);
		}
	} else if (!click) {
		return 0;
	}

	/* Legacy: held modifiers follow the event's list (spec §9.2). The
	 * key itself is left alone: it may be the modifier going down. */
	if (mode == INPUT_KMODE_LEGACY) {
		unsigned listed = 0, drop = 0;

		for (size_t i = 0; i < ev->n_modifiers; i++)
			listed |= mod_family(input_keysym_mod(
				input_control_keysym(ev->modifiers[i])));
		for (unsigned i = 0; i < INPUT_MOD_COUNT; i++) {
			unsigned b = 1u << i;

			if ((mods & b) && !(listed & b) && b != k.mod)
				drop |= b;
		}
		release_mods(&p, drop);
		mods &= ~drop;
	}

	/* Lock states: typed text is exact code points, so it wants Caps
	 * Lock off; a key wants the client's state. */
	if (k.mod == 0 && !k.lock && !k.nosync) {
		bool want_caps = k.what == MAIN_KEY &&
			has_ck(ev->modifiers, ev->n_modifiers,
				INPUT_CK_CAPSLOCK);

		caps_click = want_caps != st->caps;
		num_click = k.numpad &&
			has_ck(ev->modifiers, ev->n_modifiers,
				INPUT_CK_NUMLOCK) != st->num;
	}
	if (caps_click)
		put_click(&p, INPUT_ACT_KEYSYM, INPUT_XK_CAPS_LOCK);
	if (num_click)
		put_click(&p, INPUT_ACT_KEYSYM, INPUT_XK_NUM_LOCK);

	if (mode == INPUT_KMODE_LEGACY)
		pressed = press_listed(&p, ev->modifiers, ev->n_modifiers,
			&mods, mod_family(k.mod));

	switch (k.what) {
	case MAIN_KEY:
		if (k.mod != 0 && !ev->press)
			put(&p, k.kind, true, k.v);
		else
			put_click(&p, k.kind, k.v);
		break;
	case MAIN_TYPE:
		put(&p, INPUT_ACT_TYPE, true, k.v);
		break;
	case MAIN_SEQ:
		put_seq(&p, ev->seq, ev->seq_len);
		break;
	default:
		break;
	}

	release_mods(&p, pressed);
	if (num_click)
		put_click(&p, INPUT_ACT_KEYSYM, INPUT_XK_NUM_LOCK);
	if (caps_click)
		put_click(&p, INPUT_ACT_KEYSYM, INPUT_XK_CAPS_LOCK);
	return finish(&p, n);
}

/* ---- mouse ---------------------------------------------------------------*/

enum {
	MOUSE_MOVE = 0,
	MOUSE_DOWN = 1,
	MOUSE_UP = 2,
	MOUSE_WHEEL = 3,
	MOUSE_TRACKPAD = 4,
};

/* RustDesk button bit to X button. */
static uint32_t
x_button(uint32_t bits)
{
	switch (bits) {
	case 0x01:
		return 1; /* left */
	case 0x02:
		return 3; /* right */
	case 0x04:
		return 2; /* middle */
	case 0x08:
		return 8; /* back */
	case 0x10:
		return 9; /* forward */
	default:
		return 0;
	}
}

static void
put_wheel(struct plan *p, int32_t d, uint32_t pos, uint32_t neg)
{
	uint32_t b = d > 0 ? pos : neg;
	int32_t k = d > 0 ? d : -d;

	for (int32_t i = 0; i < k; i++)
		put_click(p, INPUT_ACT_BUTTON, b);
}

int
input_plan_mouse(const struct input_mouse_event *ev,
	const struct input_state *st, struct input_act *out, size_t max,
	size_t *n)
{
	struct plan p = { .a = out, .max = max };
	uint32_t type, button;
	unsigned mods = st->mods, pressed;

	*n = 0;
	if (ev->mask < 0 ||
		check_modifiers(ev->modifiers, ev->n_modifiers) != 0)
		return OP_ERR_RANGE;
	type = (uint32_t)ev->mask & 7;
	button = x_button((uint32_t)ev->mask >> 3);
	switch (type) {
	case MOUSE_MOVE:
		if (ev->x < 0 || ev->y < 0 || ev->x >= st->width ||
			ev->y >= st->height)
			return OP_ERR_RANGE;
		if (p.max > 0) {
			p.a[0] = (struct input_act){ .kind = INPUT_ACT_MOVE,
				.x = ev->x, .y = ev->y };
			p.n = 1;
		}
		return finish(&p, n);
	case MOUSE_DOWN:
		/* A press names where it happens: outside every display it
		 * is refused. A release always goes through (it only ever
		 * frees a button we hold; refusing it could leave one
		 * stuck). */
		if (button == 0 || ev->x < 0 || ev->y < 0 ||
			ev->x >= st->width || ev->y >= st->height)
			return OP_ERR_RANGE;
		/* ctrl-click and friends: press what is listed and not
		 * held, release it after the button went down. */
		pressed = press_listed(&p, ev->modifiers, ev->n_modifiers,
			&mods, 0);
		put(&p, INPUT_ACT_BUTTON, true, button);
		release_mods(&p, pressed);
		return finish(&p, n);
	case MOUSE_UP:
		if (button == 0)
			return OP_ERR_RANGE;
		put(&p, INPUT_ACT_BUTTON, false, button);
		return finish(&p, n);
	case MOUSE_WHEEL:
	case MOUSE_TRACKPAD:
		/* Spec §17 item 20: wire y > 0 scrolls up (4), x > 0 left
		 * (6). */
		if (ev->x < -INPUT_MAX_WHEEL || ev->x > INPUT_MAX_WHEEL ||
			ev->y < -INPUT_MAX_WHEEL || ev->y > INPUT_MAX_WHEEL)
			return OP_ERR_RANGE;
		put_wheel(&p, ev->y, 4, 5);
		put_wheel(&p, ev->x, 6, 7);
		return finish(&p, n);
	default:
		/* 5 (MOVE_RELATIVE) is only sent to hosts claiming >= 1.4.5,
		 * which we do not; 6 and 7 are reserved. */
		return OP_ERR_RANGE;
	}
}
