/* SPDX-License-Identifier: MIT */
/*
 * The Windows backend "win": the planners' actions (input-keys.c, in X
 * terms) as SendInput events.
 *
 * Keys: a keysym of a function key (arrows, F1, modifiers, ...) is its
 * virtual key; a character keysym is the key VkKeyScanW finds for it in
 * the current layout, or, when the layout has none, a KEYEVENTF_UNICODE
 * event (VK_PACKET: the character arrives as WM_CHAR, but shortcuts do
 * not see a key). Typing a character (INPUT_ACT_TYPE) adds the Shift it
 * needs; characters behind AltGr or absent from the layout are typed as
 * Unicode. An X keycode (Map mode: the physical key, evdev + 8) becomes
 * its set-1 scan code and the virtual key the layout gives that scan
 * code, as Windows does for a real keyboard.
 *
 * Mouse: absolute moves over the virtual desktop (normalised to 0-65535
 * so that wine's and Windows' scaling land on the same pixel), buttons
 * 1-3, 8 and 9 (XBUTTON1/2), wheel notches as WHEEL_DELTA.
 *
 * The input goes to the desktop that has input in this process's
 * session: each batch first attaches the thread to it (core/windesk.h),
 * so the log-on, lock and UAC screens ("Winlogon") get it too when we
 * run as SYSTEM (the service's network process). When we cannot open
 * that desktop or a window of higher integrity has the focus (UIPI),
 * Windows drops the events: SendInput fails and the event answers
 * -EACCES. Ctrl+Alt+Del typed this way is ignored by Windows (only
 * SendSAS makes the secure attention sequence).
 */
#include "input/input-internal.h" /* first: uv.h's winsock2.h before windows.h */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "core/desktop.h"
#include "core/err.h"
#include "core/windesk.h"

#define X_KEYCODE_MIN 8u
#define X_KEYCODE_MAX 255u
#define BATCH 64 /* INPUTs per SendInput call */

struct win {
	uint8_t held_vk[256 / 8]; /* virtual keys we pressed */
	uint16_t how[256];        /* ... and their E | S flags */
	unsigned held_buttons;    /* bit b: X button b */
	INPUT batch[BATCH];
	size_t nbatch;
	bool failed; /* a SendInput of this exec was refused */
};

static struct win *
W(const struct input *in)
{
	return input__backend(in);
}

/* Function keysyms and their virtual keys (E: an extended key: E0 scan
 * code prefix on a real keyboard). */
#define E 0x100u
#define S 0x200u /* send_vk: by scan code (Windows maps it, Num Lock too) */
static const struct {
	uint32_t keysym;
	uint16_t vk; /* | E */
} fkeys[] = {
	{ 0xff08, VK_BACK }, { 0xff09, VK_TAB }, { 0xff0b, VK_CLEAR },
	{ 0xff0d, VK_RETURN }, { 0xff13, VK_PAUSE }, { 0xff14, VK_SCROLL },
	{ 0xff1b, VK_ESCAPE }, { 0xff21, VK_KANJI }, { 0xff2e, VK_KANA },
	{ 0xff31, VK_HANGUL }, { 0xff34, VK_HANJA },
	{ 0xff50, VK_HOME | E }, { 0xff51, VK_LEFT | E }, { 0xff52, VK_UP | E },
	{ 0xff53, VK_RIGHT | E }, { 0xff54, VK_DOWN | E },
	{ 0xff55, VK_PRIOR | E }, { 0xff56, VK_NEXT | E },
	{ 0xff57, VK_END | E }, { 0xff60, VK_SELECT },
	{ 0xff61, VK_SNAPSHOT | E }, { 0xff62, VK_EXECUTE },
	{ 0xff63, VK_INSERT | E }, { 0xff67, VK_APPS | E },
	{ 0xff69, VK_CANCEL }, { 0xff6a, VK_HELP },
	{ 0xff7f, VK_NUMLOCK | E }, { 0xff8d, VK_RETURN | E },
	{ 0xffaa, VK_MULTIPLY }, { 0xffab, VK_ADD }, { 0xffac, VK_SEPARATOR },
	{ 0xffad, VK_SUBTRACT }, { 0xffae, VK_DECIMAL },
	{ 0xffaf, VK_DIVIDE | E },
	{ 0xffe1, VK_LSHIFT }, { 0xffe2, VK_RSHIFT },
	{ 0xffe3, VK_LCONTROL }, { 0xffe4, VK_RCONTROL | E },
	{ 0xffe5, VK_CAPITAL }, { 0xffe9, VK_LMENU }, { 0xffea, VK_RMENU | E },
	{ 0xffeb, VK_LWIN | E }, { 0xffec, VK_RWIN | E },
	{ 0xfe03, VK_RMENU | E }, /* ISO_Level3_Shift: AltGr */
	{ 0xffff, VK_DELETE | E },
	{ 0x1008ff2f, VK_SLEEP }, { 0x1008ff12, VK_VOLUME_MUTE | E },
	{ 0x1008ff13, VK_VOLUME_UP | E }, { 0x1008ff11, VK_VOLUME_DOWN | E },
};

static unsigned
fkey_vk(uint32_t keysym)
{
	if (keysym >= 0xffb0 && keysym <= 0xffb9)
		return VK_NUMPAD0 + (keysym - 0xffb0);
	if (keysym >= 0xffbe && keysym <= 0xffd5) /* F1-F24 */
		return VK_F1 + (keysym - 0xffbe);
	for (size_t i = 0; i < sizeof(fkeys) / sizeof(fkeys[0]); i++)
		if (fkeys[i].keysym == keysym)
			return fkeys[i].vk;
	return 0;
}

/* The code point a character keysym stands for, or 0. */
static uint32_t
keysym_char(uint32_t keysym)
{
	if ((keysym >= 0x20 && keysym <= 0x7e) ||
		(keysym >= 0xa0 && keysym <= 0xff))
		return keysym;
	if ((keysym & 0xff000000u) == 0x01000000u &&
		(keysym & 0xffffffu) <= 0x10ffff)
		return keysym & 0xffffffu;
	return 0;
}

/* evdev code (X keycode - 8) to set-1 scan code; E0-prefixed ones carry
 * E and their virtual key, which no layout moves. Codes 1-88 are the
 * scan codes themselves. */
static const struct {
	uint8_t evdev;
	uint8_t scan;
	uint16_t vk;
} ext_keys[] = {
	{ 96, 0x1c, VK_RETURN }, { 97, 0x1d, VK_RCONTROL },
	{ 98, 0x35, VK_DIVIDE }, { 99, 0x37, VK_SNAPSHOT },
	{ 100, 0x38, VK_RMENU }, { 102, 0x47, VK_HOME }, { 103, 0x48, VK_UP },
	{ 104, 0x49, VK_PRIOR }, { 105, 0x4b, VK_LEFT },
	{ 106, 0x4d, VK_RIGHT }, { 107, 0x4f, VK_END }, { 108, 0x50, VK_DOWN },
	{ 109, 0x51, VK_NEXT }, { 110, 0x52, VK_INSERT },
	{ 111, 0x53, VK_DELETE }, { 125, 0x5b, VK_LWIN },
	{ 126, 0x5c, VK_RWIN }, { 127, 0x5d, VK_APPS },
};

static void
flush(struct win *w)
{
	if (w->nbatch > 0 &&
		SendInput((UINT)w->nbatch, w->batch, sizeof(INPUT)) !=
			(UINT)w->nbatch)
		w->failed = true;
	w->nbatch = 0;
}

static INPUT *
next(struct win *w)
{
	INPUT *i;

	if (w->nbatch == BATCH)
		flush(w);
	i = &w->batch[w->nbatch++];
	memset(i, 0, sizeof(*i));
	return i;
}

/* A virtual key (| E) down or up, with its scan code; remembered so
 * release_all can let go. */
static void
send_vk(struct win *w, unsigned vk, unsigned scan, bool down)
{
	INPUT *i = next(w);
	unsigned v = vk & 0xffu;

	i->type = INPUT_KEYBOARD;
	i->ki.wVk = (WORD)v;
	i->ki.wScan = (WORD)(scan != 0 ? scan : MapVirtualKeyW(v, 0));
	i->ki.dwFlags = (vk & E ? KEYEVENTF_EXTENDEDKEY : 0) |
		(vk & S ? KEYEVENTF_SCANCODE : 0) | (down ? 0 : KEYEVENTF_KEYUP);
	if (down) {
		w->held_vk[v / 8] |= (uint8_t)(1u << (v % 8));
		w->how[v] = (uint16_t)(vk & (E | S));
	} else {
		w->held_vk[v / 8] &= (uint8_t)~(1u << (v % 8));
	}
}

/* A character as UTF-16 KEYEVENTF_UNICODE events (not remembered: a
 * VK_PACKET key holds nothing). */
static void
send_unicode(struct win *w, uint32_t cp, bool down)
{
	WCHAR u[2];
	int n = 1;

	if (cp >= 0x10000) {
		u[0] = (WCHAR)(0xd800 + ((cp - 0x10000) >> 10));
		u[1] = (WCHAR)(0xdc00 + ((cp - 0x10000) & 0x3ff));
		n = 2;
	} else {
		u[0] = (WCHAR)cp;
	}
	for (int k = 0; k < n; k++) {
		INPUT *i = next(w);

		i->type = INPUT_KEYBOARD;
		i->ki.wScan = u[k];
		i->ki.dwFlags = KEYEVENTF_UNICODE |
			(down ? 0 : KEYEVENTF_KEYUP);
	}
}

static bool
held(const struct win *w, unsigned vk)
{
	return (w->held_vk[vk / 8] >> (vk % 8)) & 1;
}

/* INPUT_ACT_KEYSYM: the key showing the keysym, Shift levels untouched;
 * a character the layout has no key for is typed on press. */
static int
key_keysym(struct win *w, uint32_t keysym, bool down)
{
	unsigned vk = fkey_vk(keysym);
	uint32_t cp;
	SHORT k;

	if (vk != 0) {
		send_vk(w, vk, 0, down);
		return 0;
	}
	if ((cp = keysym_char(keysym)) == 0)
		return OP_ERR_RANGE;
	if (cp < 0x10000 && (k = VkKeyScanW((WCHAR)cp)) != -1 &&
		(k & 0xff) != 0xff) {
		send_vk(w, (unsigned)(k & 0xff), 0, down);
		return 0;
	}
	if (down) {
		send_unicode(w, cp, true);
		send_unicode(w, cp, false);
	}
	return 0;
}

/* INPUT_ACT_TYPE: one click that produces the character. */
static int
key_type(struct win *w, uint32_t keysym)
{
	bool shift_held = held(w, VK_LSHIFT) || held(w, VK_RSHIFT);
	unsigned vk = fkey_vk(keysym);
	uint32_t cp;
	SHORT k;
	bool shift;

	if (vk != 0) {
		send_vk(w, vk, 0, true);
		send_vk(w, vk, 0, false);
		return 0;
	}
	if ((cp = keysym_char(keysym)) == 0)
		return OP_ERR_RANGE;
	k = cp < 0x10000 ? VkKeyScanW((WCHAR)cp) : -1;
	/* Only plain and Shift levels go through the key: Ctrl or Alt
	 * levels (AltGr) would turn into shortcuts. */
	if (k == -1 || (k & 0xff) == 0xff || (k & 0x600) != 0) {
		send_unicode(w, cp, true);
		send_unicode(w, cp, false);
		return 0;
	}
	vk = (unsigned)(k & 0xff);
	shift = (k & 0x100) != 0;
	/* VkKeyScan answers without Caps Lock, which flips letters. */
	if ((GetKeyState(VK_CAPITAL) & 1) && IsCharAlphaW((WCHAR)cp))
		shift = !shift;
	if (shift_held && !shift) {
		/* The key would give its Shift level: type the character. */
		send_unicode(w, cp, true);
		send_unicode(w, cp, false);
		return 0;
	}
	if (shift && !shift_held)
		send_vk(w, VK_LSHIFT, 0, true);
	send_vk(w, vk, 0, true);
	send_vk(w, vk, 0, false);
	if (shift && !shift_held)
		send_vk(w, VK_LSHIFT, 0, false);
	return 0;
}

/* INPUT_ACT_KEYCODE: X keycode (evdev + 8) as a scan code. */
static int
key_code(struct win *w, uint32_t code, bool down)
{
	uint32_t ev;
	unsigned vk;

	if (code < X_KEYCODE_MIN || code > X_KEYCODE_MAX)
		return OP_ERR_RANGE;
	ev = code - X_KEYCODE_MIN;
	for (size_t i = 0; i < sizeof(ext_keys) / sizeof(ext_keys[0]); i++)
		if (ext_keys[i].evdev == ev) {
			send_vk(w, ext_keys[i].vk | E, ext_keys[i].scan, down);
			return 0;
		}
	if (ev < 1 || ev > 88 || (vk = MapVirtualKeyW(ev, 3)) == 0)
		return 0; /* no key of a pc keyboard: nothing to press */
	/* By scan code, as a keyboard sends it: the layout and Num Lock
	 * decide what it means (keypad 7 or Home). vk is only our note of
	 * what is held. */
	send_vk(w, vk | S, ev, down);
	return 0;
}

static void
move(struct win *w, int32_t x, int32_t y)
{
	int64_t vx = GetSystemMetrics(SM_XVIRTUALSCREEN);
	int64_t vy = GetSystemMetrics(SM_YVIRTUALSCREEN);
	int64_t vw = GetSystemMetrics(SM_CXVIRTUALSCREEN);
	int64_t vh = GetSystemMetrics(SM_CYVIRTUALSCREEN);
	INPUT *i;

	if (vw <= 0 || vh <= 0 || x < vx || y < vy || x >= vx + vw ||
		y >= vy + vh)
		return; /* off every display */
	i = next(w);
	i->type = INPUT_MOUSE;
	/* The smallest n with floor(n * width / 65536) = pixel. */
	i->mi.dx = (LONG)(((x - vx) * 65536 + vw - 1) / vw);
	i->mi.dy = (LONG)(((y - vy) * 65536 + vh - 1) / vh);
	i->mi.dwFlags = MOUSEEVENTF_MOVE | MOUSEEVENTF_ABSOLUTE |
		MOUSEEVENTF_VIRTUALDESK;
}

/* X buttons: 1-3 left/middle/right, 4-7 wheel notches (on press only),
 * 8/9 back/forward. */
static int
button(struct win *w, uint32_t b, bool down)
{
	INPUT *i;

	if (b < 1 || b > 9)
		return OP_ERR_RANGE;
	if (b >= 4 && b <= 7 && !down)
		return 0;
	i = next(w);
	i->type = INPUT_MOUSE;
	switch (b) {
	case 1:
		i->mi.dwFlags = down ? MOUSEEVENTF_LEFTDOWN : MOUSEEVENTF_LEFTUP;
		break;
	case 2:
		i->mi.dwFlags = down ? MOUSEEVENTF_MIDDLEDOWN
				     : MOUSEEVENTF_MIDDLEUP;
		break;
	case 3:
		i->mi.dwFlags = down ? MOUSEEVENTF_RIGHTDOWN
				     : MOUSEEVENTF_RIGHTUP;
		break;
	case 4: /* up */
	case 5:
		i->mi.dwFlags = MOUSEEVENTF_WHEEL;
		i->mi.mouseData = (DWORD)(b == 4 ? WHEEL_DELTA : -WHEEL_DELTA);
		return 0;
	case 6: /* left: negative on Windows' horizontal wheel */
	case 7:
		i->mi.dwFlags = MOUSEEVENTF_HWHEEL;
		i->mi.mouseData = (DWORD)(b == 6 ? -WHEEL_DELTA : WHEEL_DELTA);
		return 0;
	default:
		i->mi.dwFlags = down ? MOUSEEVENTF_XDOWN : MOUSEEVENTF_XUP;
		i->mi.mouseData = b == 8 ? XBUTTON1 : XBUTTON2;
		break;
	}
	if (down)
		w->held_buttons |= 1u << b;
	else
		w->held_buttons &= ~(1u << b);
	return 0;
}

static int
win_open(struct input *in, const char *display, const char *xauthority,
	char *err, size_t errlen)
{
	struct win *w;

	(void)xauthority;
	if (desktop_this_session_only("win input backend",
		    "drives this session's desktop", display, err, errlen))
		return OP_ERR_UNSUPPORTED;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return OP_ERR_NOMEM;
	}
	SetProcessDPIAware(); /* coordinates in physical pixels */
	input__set_backend(in, w);
	return 0;
}

static void
win_close(struct input *in)
{
	free(W(in));
	input__set_backend(in, NULL);
}

static const struct {
	unsigned vk, mod;
} vk_mods[] = {
	{ VK_LSHIFT, INPUT_MOD_SHIFT_L }, { VK_RSHIFT, INPUT_MOD_SHIFT_R },
	{ VK_LCONTROL, INPUT_MOD_CTRL_L }, { VK_RCONTROL, INPUT_MOD_CTRL_R },
	{ VK_LMENU, INPUT_MOD_ALT_L }, { VK_RMENU, INPUT_MOD_ALT_R },
	{ VK_LWIN, INPUT_MOD_SUPER_L }, { VK_RWIN, INPUT_MOD_SUPER_R },
};

static int
win_state(struct input *in, bool locks, struct input_state *st)
{
	struct win *w = W(in);

	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < sizeof(vk_mods) / sizeof(vk_mods[0]); i++)
		if (held(w, vk_mods[i].vk))
			st->mods |= vk_mods[i].mod;
	if (locks) {
		st->caps = (GetKeyState(VK_CAPITAL) & 1) != 0;
		st->num = (GetKeyState(VK_NUMLOCK) & 1) != 0;
	}
	/* The planners take [0, width) x [0, height): displays left of or
	 * above the primary one (negative coordinates) are out of reach. */
	st->width = GetSystemMetrics(SM_XVIRTUALSCREEN) +
		GetSystemMetrics(SM_CXVIRTUALSCREEN);
	st->height = GetSystemMetrics(SM_YVIRTUALSCREEN) +
		GetSystemMetrics(SM_CYVIRTUALSCREEN);
	return 0;
}

static int
exec_one(struct win *w, const struct input_act *a)
{
	switch (a->kind) {
	case INPUT_ACT_KEYCODE:
		return key_code(w, a->v, a->down);
	case INPUT_ACT_KEYSYM:
		return key_keysym(w, a->v, a->down);
	case INPUT_ACT_TYPE:
		return key_type(w, a->v);
	case INPUT_ACT_MOVE:
		move(w, a->x, a->y);
		return 0;
	case INPUT_ACT_BUTTON:
		return button(w, a->v, a->down);
	default:
		return OP_ERR_INTERNAL;
	}
}

static int
win_exec(struct input *in, const struct input_act *a, size_t n)
{
	struct win *w = W(in);
	int r = 0;

	w->failed = false;
	(void)windesk_follow_input(NULL, 0); /* SendInput fails if we cannot */
	for (size_t i = 0; i < n && r == 0; i++)
		r = exec_one(w, &a[i]);
	flush(w);
	if (r == 0 && w->failed)
		r = -EACCES; /* another desktop or a higher integrity level */
	return r;
}

static void
win_release_all(struct input *in)
{
	struct win *w = W(in);

	(void)windesk_follow_input(NULL, 0);
	for (unsigned b = 1; b <= 9; b++)
		if ((w->held_buttons >> b) & 1)
			(void)button(w, b, false);
	for (unsigned vk = 1; vk < 256; vk++)
		if (held(w, vk))
			send_vk(w, vk | w->how[vk], 0, false);
	flush(w);
	memset(w->held_vk, 0, sizeof(w->held_vk));
	w->held_buttons = 0;
}

static unsigned
win_held(const struct input *in)
{
	const struct win *w = W(in);
	unsigned n = 0;

	for (unsigned vk = 1; vk < 256; vk++)
		n += held(w, vk);
	for (unsigned b = 1; b <= 9; b++)
		n += (w->held_buttons >> b) & 1;
	return n;
}

const struct input_ops input__win_ops = {
	.name = "win",
	.open = win_open,
	.close = win_close,
	.state = win_state,
	.exec = win_exec,
	.release_all = win_release_all,
	.held = win_held,
};
