/* SPDX-License-Identifier: MIT */
/*
 * The wlroots input backend: a zwlr_virtual_pointer_v1 and a
 * zwp_virtual_keyboard_v1 on the compositor's default seat, created at
 * open and kept (events sent before the seat has the capability would
 * be lost). Display name: the compositor's socket, as for capture; as
 * root we connect as the socket's owner (platform_connect_user).
 *
 * The keyboard's keymap is ours: evdev rules, pc105, us, compiled with
 * libxkbcommon. X keycodes (Map/Translate modes) are evdev codes + 8, as
 * on X. A keysym the keymap lacks is put on a key that has no symbols
 * (like the X11 backend's spare keys, and the way wtype types anything):
 * the keymap is extended, recompiled and uploaded again. Modifier state
 * is sent explicitly (wlroots does not derive it from a virtual
 * keyboard's keys): an xkb_state of ours follows every key we send.
 *
 * Pointer positions are global (layout) coordinates; the layout's extent
 * comes from wl_output + xdg-output. Wheel notches are discrete axis
 * events. Loop thread only; nothing blocks: requests are flushed, and the
 * compositor's few events are read when the next event is planned.
 */
#include "input/input-wlr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>

#include "core/err.h"
#include "wayland/wl-util.h"

static struct wlrin *
W(const struct input *in)
{
	return input__backend(in);
}

static uint32_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)((uint64_t)ts.tv_sec * 1000 +
		(uint64_t)ts.tv_nsec / 1000000);
}

static bool
key_held(const struct wlrin *w, uint32_t k)
{
	return k <= MAX_KEYCODE && (w->held[k / 8] >> (k % 8)) & 1;
}

/* ------------------------------------------------------------- keymap */

/* Our keymap as xkb text: the us layout plus the extra keysyms. */
static char *
keymap_text(const struct wlrin *w, const struct xkb_keymap *names_from)
{
	size_t cap = 512 + MAX_SPARE * 96, len;
	char *t = malloc(cap);

	if (t == NULL)
		return NULL;
	len = (size_t)snprintf(t, cap,
		"xkb_keymap {\n"
		"xkb_keycodes { include \"evdev+aliases(qwerty)\" };\n"
		"xkb_types { include \"complete\" };\n"
		"xkb_compat { include \"complete\" };\n"
		"xkb_symbols { include \"pc+us+inet(evdev)\"\n");
	for (size_t i = 0; names_from != NULL && i < w->nspare; i++) {
		char sym[64];
		const char *name;

		if (w->extra[i] == 0)
			continue;
		name = xkb_keymap_key_get_name(
			(struct xkb_keymap *)names_from, w->spare[i]);
		if (name == NULL ||
			xkb_keysym_get_name(w->extra[i], sym, sizeof(sym)) <= 0)
			continue;
		len += (size_t)snprintf(t + len, cap - len,
			"key <%s> { [ %s ] };\n", name, sym);
	}
	snprintf(t + len, cap - len, "};\n};\n");
	return t;
}

/* Sends w->km to the compositor in a sealed memfd. */
static int
upload_keymap(struct wlrin *w)
{
	char *s = xkb_keymap_get_as_string(w->km, XKB_KEYMAP_FORMAT_TEXT_V1);
	size_t len;
	int fd, r = 0;

	if (s == NULL)
		return OP_ERR_NOMEM;
	len = strlen(s) + 1;
	fd = memfd_create("outpost-keymap", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || write(fd, s, len) != (ssize_t)len ||
		fcntl(fd, F_ADD_SEALS,
			F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
				F_SEAL_SEAL) != 0)
		r = fd < 0 ? -errno : OP_ERR_INTERNAL;
	else
		wlp_virtual_keyboard_keymap(w->vk, XKB_KEYMAP_FORMAT_TEXT_V1,
			fd, (uint32_t)len);
	if (fd >= 0)
		close(fd); /* libwayland sent a duplicate */
	free(s);
	return r;
}

static void send_mods(struct wlrin *w, bool force);
static void index_syms(struct wlrin *w);

/* Compiles our keymap (with the extras), makes it current, replays the
 * keys we hold into a fresh state, uploads it. */
int
input_wlr__load_keymap(struct wlrin *w)
{
	char *text = keymap_text(w, w->km);
	struct xkb_keymap *km;
	struct xkb_state *st;
	int r;

	if (text == NULL)
		return OP_ERR_NOMEM;
	km = xkb_keymap_new_from_string(w->ctx, text,
		XKB_KEYMAP_FORMAT_TEXT_V1, XKB_KEYMAP_COMPILE_NO_FLAGS);
	free(text);
	if (km == NULL)
		return OP_ERR_UNSUPPORTED;
	if ((st = xkb_state_new(km)) == NULL) {
		xkb_keymap_unref(km);
		return OP_ERR_NOMEM;
	}
	for (uint32_t k = 8; k <= MAX_KEYCODE; k++)
		if (key_held(w, k))
			xkb_state_update_key(st, k, XKB_KEY_DOWN);
	xkb_state_unref(w->st);
	xkb_keymap_unref(w->km);
	w->km = km;
	w->st = st;
	index_syms(w);
	if ((r = upload_keymap(w)) != 0)
		return r;
	send_mods(w, true);
	return 0;
}

/* Keys the keymap names but gives no symbols: where extras go. */
void
input_wlr__find_spares(struct wlrin *w)
{
	xkb_keycode_t lo = xkb_keymap_min_keycode(w->km);
	xkb_keycode_t hi = xkb_keymap_max_keycode(w->km);

	w->nspare = 0;
	for (xkb_keycode_t k = hi; k >= lo && k >= 8 && w->nspare < MAX_SPARE;
		k--) {
		if (k > MAX_KEYCODE)
			continue;
		if (xkb_keymap_key_get_name(w->km, k) != NULL &&
			xkb_keymap_num_layouts_for_key(w->km, k) == 0)
			w->spare[w->nspare++] = k;
	}
}

static int
symkey_cmp(const void *pa, const void *pb)
{
	const struct wlr_symkey *a = pa, *b = pb;

	if (a->sym != b->sym)
		return a->sym < b->sym ? -1 : 1;
	if (a->level != b->level)
		return a->level < b->level ? -1 : 1;
	return a->code < b->code ? -1 : a->code > b->code;
}

/* Indexes the current keymap's level 0 and 1 symbols (after a load). */
static void
index_syms(struct wlrin *w)
{
	xkb_keycode_t lo = xkb_keymap_min_keycode(w->km);
	xkb_keycode_t hi = xkb_keymap_max_keycode(w->km);

	w->nsyms = 0;
	for (xkb_keycode_t k = lo; k <= hi && k <= MAX_KEYCODE; k++) {
		for (unsigned l = 0; l < 2; l++) {
			const xkb_keysym_t *syms;

			if (xkb_keymap_num_levels_for_key(w->km, k, 0) <= l ||
				xkb_keymap_key_get_syms_by_level(w->km, k, 0, l,
					&syms) != 1 ||
				w->nsyms == MAX_SYMKEYS)
				continue;
			w->syms[w->nsyms++] = (struct wlr_symkey){
				.sym = syms[0],
				.code = (uint16_t)k,
				.level = (uint8_t)l,
			};
		}
	}
	qsort(w->syms, w->nsyms, sizeof(w->syms[0]), symkey_cmp);
}

/* The key and level (0 or 1: plain or Shift) showing sym; level 0 and
 * then the lowest keycode first. */
static bool
find_sym(const struct wlrin *w, uint32_t sym, uint32_t *code,
	unsigned *level)
{
	size_t lo = 0, hi = w->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->syms[mid].sym < sym)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == w->nsyms || w->syms[lo].sym != sym)
		return false;
	*code = w->syms[lo].code;
	*level = w->syms[lo].level;
	return true;
}

/* Puts sym on a spare key (round robin, skipping held ones). */
static int
remap(struct wlrin *w, uint32_t sym, uint32_t *code)
{
	for (size_t tries = 0; tries < w->nspare; tries++) {
		size_t i = w->next_spare++ % w->nspare;
		int r;

		if (key_held(w, w->spare[i]))
			continue;
		w->extra[i] = sym;
		if ((r = input_wlr__load_keymap(w)) != 0) {
			w->extra[i] = 0;
			return r;
		}
		*code = w->spare[i];
		return 0;
	}
	return OP_ERR_RANGE;
}

/* ----------------------------------------------------------- sending */

static void
send_mods(struct wlrin *w, bool force)
{
	uint32_t m[4] = {
		xkb_state_serialize_mods(w->st, XKB_STATE_MODS_DEPRESSED),
		xkb_state_serialize_mods(w->st, XKB_STATE_MODS_LATCHED),
		xkb_state_serialize_mods(w->st, XKB_STATE_MODS_LOCKED),
		xkb_state_serialize_layout(w->st, XKB_STATE_LAYOUT_EFFECTIVE),
	};

	if (!force && memcmp(m, w->mods, sizeof(m)) == 0)
		return;
	memcpy(w->mods, m, sizeof(m));
	wlp_virtual_keyboard_modifiers(w->vk, m[0], m[1], m[2], m[3]);
}

static void
send_key(struct wlrin *w, uint32_t k, bool down)
{
	if (k < 8 || k > MAX_KEYCODE)
		return;
	if (down)
		w->held[k / 8] |= (uint8_t)(1u << (k % 8));
	else if (key_held(w, k))
		w->held[k / 8] &= (uint8_t)~(1u << (k % 8));
	else
		return; /* not ours to release */
	wlp_virtual_keyboard_key(w->vk, now_ms(), k - 8, down ? 1 : 0);
	xkb_state_update_key(w->st, k, down ? XKB_KEY_DOWN : XKB_KEY_UP);
	send_mods(w, false);
}

/* The keymap has sym (RAlt also as ISO_Level3_Shift). */
static bool
have_sym(const struct wlrin *w, uint32_t sym)
{
	uint32_t code;
	unsigned level;

	return find_sym(w, sym, &code, &level) ||
		(sym == INPUT_XK_ALT_R &&
			find_sym(w, INPUT_XK_ISO_LEVEL3_SHIFT, &code, &level));
}

/*
 * Puts the keysyms the plan ahead needs and the keymap lacks on spare
 * keys, up to half of them at once, with one keymap upload: typing a
 * line of CJK costs a few uploads, not one per character (each is a
 * compile and a ~64 KiB keymap for the compositor).
 */
static int
prepare(struct wlrin *w, const struct input_act *a, size_t n)
{
	size_t added = 0;

	for (size_t i = 0; i < n && added < w->nspare / 2; i++) {
		uint32_t sym = a[i].v;
		bool dup = false;

		if (a[i].kind != INPUT_ACT_TYPE &&
			(a[i].kind != INPUT_ACT_KEYSYM || !a[i].down))
			continue;
		for (size_t k = 0; k < w->nspare && !dup; k++)
			dup = w->extra[k] == sym;
		if (dup || have_sym(w, sym))
			continue;
		for (size_t tries = 0; tries < w->nspare; tries++) {
			size_t k = w->next_spare++ % w->nspare;

			if (!key_held(w, w->spare[k])) {
				w->extra[k] = sym;
				added++;
				break;
			}
		}
	}
	return added > 0 ? input_wlr__load_keymap(w) : 0;
}

static int
keysym_code(struct wlrin *w, uint32_t sym, bool down, uint32_t *code)
{
	unsigned level;

	if (find_sym(w, sym, code, &level))
		return 0;
	if (sym == INPUT_XK_ALT_R &&
		find_sym(w, INPUT_XK_ISO_LEVEL3_SHIFT, code, &level))
		return 0;
	if (!down)
		return OP_ERR_NOT_FOUND;
	return remap(w, sym, code);
}

static size_t
held_shifts(const struct wlrin *w, uint32_t *out)
{
	size_t n = 0;

	for (uint32_t k = 8; k <= MAX_KEYCODE && n < 4; k++) {
		const xkb_keysym_t *syms;

		if (key_held(w, k) &&
			xkb_keymap_key_get_syms_by_level(w->km, k, 0, 0,
				&syms) == 1 &&
			(syms[0] == INPUT_XK_SHIFT_L ||
				syms[0] == INPUT_XK_SHIFT_R))
			out[n++] = k;
	}
	return n;
}

/* Types one keysym with the Shift level it needs (as the X11 backend). */
static int
type_sym(struct wlrin *w, uint32_t sym)
{
	uint32_t code, shift, held[4];
	const xkb_keysym_t *s0, *s1;
	unsigned level;
	size_t n;
	bool cased;
	int r;

	if (!find_sym(w, sym, &code, &level)) {
		if ((r = remap(w, sym, &code)) != 0)
			return r;
		level = 0;
	}
	cased = xkb_keymap_key_get_syms_by_level(w->km, code, 0, 0, &s0) ==
			1 &&
		xkb_keymap_key_get_syms_by_level(w->km, code, 0, 1, &s1) == 1 &&
		s0[0] != s1[0];
	n = held_shifts(w, held);
	if (level == 1 && n == 0) {
		if ((r = keysym_code(w, INPUT_XK_SHIFT_L, true, &shift)) != 0)
			return r;
		send_key(w, shift, true);
		send_key(w, code, true);
		send_key(w, code, false);
		send_key(w, shift, false);
		return 0;
	}
	if (level == 0 && n > 0 && cased) {
		for (size_t i = 0; i < n; i++)
			send_key(w, held[i], false);
		send_key(w, code, true);
		send_key(w, code, false);
		for (size_t i = 0; i < n; i++)
			send_key(w, held[i], true);
		return 0;
	}
	send_key(w, code, true);
	send_key(w, code, false);
	return 0;
}

/* An output side from the compositor: 1..32767, else 0. */
static int64_t
side(int32_t v)
{
	return v > 0 && v <= 32767 ? v : 0;
}

static void
extent(const struct wlrin *w, int32_t *ew, int32_t *eh)
{
	int64_t x1 = 0, y1 = 0;

	for (int i = 0; i < MAX_OUTPUTS; i++) {
		const struct wlo_output *o = &w->outs[i];
		int64_t r, b;

		if (o->out == NULL)
			continue;
		r = o->have_logical ? (int64_t)o->lx + side(o->lw)
				    : (int64_t)o->gx + side(o->mode_w);
		b = o->have_logical ? (int64_t)o->ly + side(o->lh)
				    : (int64_t)o->gy + side(o->mode_h);
		x1 = r > x1 ? r : x1;
		y1 = b > y1 ? b : y1;
	}
	*ew = (int32_t)(x1 > 32767 ? 32767 : x1);
	*eh = (int32_t)(y1 > 32767 ? 32767 : y1);
}

static void
send_button(struct wlrin *w, uint32_t b, bool down)
{
	static const uint32_t codes[10] = { 0, BTN_LEFT, BTN_MIDDLE,
		BTN_RIGHT, 0, 0, 0, 0, BTN_SIDE, BTN_EXTRA };
	uint32_t t = now_ms();

	if (b < 1 || b > 9)
		return;
	if (b >= 4 && b <= 7) {
		/* A wheel notch per press; releases mean nothing. */
		uint32_t axis = b <= 5 ? 0 : 1;
		int32_t dir = b == 4 || b == 6 ? -1 : 1;

		if (!down)
			return;
		wlp_virtual_pointer_axis_source(w->vp, 0);
		wlp_virtual_pointer_axis_discrete(w->vp, t, axis,
			wl_fixed_from_int(15 * dir), dir);
		wlp_virtual_pointer_frame(w->vp);
		return;
	}
	if (down)
		w->buttons |= 1u << b;
	else if (w->buttons & (1u << b))
		w->buttons &= ~(1u << b);
	else
		return;
	wlp_virtual_pointer_button(w->vp, t, codes[b], down ? 1 : 0);
	wlp_virtual_pointer_frame(w->vp);
}

static int
flush_or_gone(struct wlrin *w)
{
	if (wl_display_flush(w->dpy) < 0 && errno != EAGAIN)
		w->gone = true;
	return w->gone ? OP_ERR_GONE : 0;
}

int
input_wlr__exec(struct input *in, const struct input_act *a, size_t n)
{
	struct wlrin *w = W(in);
	uint32_t code;
	int32_t ew, eh;
	int r = 0;

	if (w->gone)
		return OP_ERR_GONE;
	for (size_t i = 0; i < n && r == 0; i++) {
		if ((a[i].kind == INPUT_ACT_TYPE ||
			    (a[i].kind == INPUT_ACT_KEYSYM && a[i].down)) &&
			w->nspare > 1 && !have_sym(w, a[i].v) &&
			(r = prepare(w, a + i, n - i)) != 0)
			break;
		switch (a[i].kind) {
		case INPUT_ACT_KEYCODE:
			send_key(w, a[i].v, a[i].down);
			break;
		case INPUT_ACT_KEYSYM:
			r = keysym_code(w, a[i].v, a[i].down, &code);
			if (r == 0)
				send_key(w, code, a[i].down);
			else if (r == OP_ERR_NOT_FOUND)
				r = 0;
			break;
		case INPUT_ACT_TYPE:
			r = type_sym(w, a[i].v);
			break;
		case INPUT_ACT_MOVE:
			extent(w, &ew, &eh);
			if (a[i].x < 0 || a[i].y < 0 || a[i].x >= ew ||
				a[i].y >= eh)
				break;
			wlp_virtual_pointer_motion_absolute(w->vp, now_ms(),
				(uint32_t)a[i].x, (uint32_t)a[i].y,
				(uint32_t)ew, (uint32_t)eh);
			wlp_virtual_pointer_frame(w->vp);
			break;
		case INPUT_ACT_BUTTON:
			send_button(w, a[i].v, a[i].down);
			break;
		default:
			r = OP_ERR_INTERNAL;
			break;
		}
	}
	if (flush_or_gone(w) != 0)
		return OP_ERR_GONE;
	return r;
}

int
input_wlr__state(struct input *in, bool locks, struct input_state *st)
{
	struct wlrin *w = W(in);
	int r;

	memset(st, 0, sizeof(*st));
	if (w->gone)
		return OP_ERR_GONE;
	/* Whatever the compositor said (output changes), without waiting. */
	r = wlu_dispatch_timeout(w->dpy, 0);
	if (r < 0 && r != -ETIMEDOUT) {
		w->gone = true;
		return OP_ERR_GONE;
	}
	for (uint32_t k = 8; k <= MAX_KEYCODE; k++) {
		const xkb_keysym_t *syms;

		if (key_held(w, k) &&
			xkb_keymap_key_get_syms_by_level(w->km, k, 0, 0,
				&syms) == 1)
			st->mods |= input_keysym_mod(syms[0]);
	}
	extent(w, &st->width, &st->height);
	if (locks) {
		st->caps = xkb_state_mod_name_is_active(w->st, XKB_MOD_NAME_CAPS,
				   XKB_STATE_MODS_LOCKED) > 0;
		st->num = xkb_state_mod_name_is_active(w->st, XKB_MOD_NAME_NUM,
				  XKB_STATE_MODS_LOCKED) > 0;
	}
	return 0;
}

void
input_wlr__release_all(struct input *in)
{
	struct wlrin *w = W(in);

	if (w->gone)
		return;
	for (uint32_t k = 8; k <= MAX_KEYCODE; k++)
		if (key_held(w, k))
			send_key(w, k, false);
	for (uint32_t b = 1; b <= 9; b++)
		if (w->buttons & (1u << b))
			send_button(w, b, false);
	(void)flush_or_gone(w);
}

unsigned
input_wlr__held(const struct input *in)
{
	const struct wlrin *w = W(in);
	unsigned n = 0;

	for (uint32_t k = 8; k <= MAX_KEYCODE; k++)
		n += key_held(w, k);
	for (uint32_t b = 1; b <= 9; b++)
		n += (w->buttons >> b) & 1;
	return n;
}

