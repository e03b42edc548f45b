/* SPDX-License-Identifier: MIT */
/* The wlroots input backend's state, shared by input-wlr.c (keymap, keys,
 * pointer) and input-wlr-conn.c (connection, seat, outputs, open/close). */
#ifndef OP_INPUT_INPUT_WLR_H
#define OP_INPUT_INPUT_WLR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xkbcommon/xkbcommon.h>

#include "input/input-internal.h"
#include "wayland/wl-output.h"
#include "wayland/wl-proto.h"

#define WLR_IN_TIMEOUT_MS 2000
#define MAX_OUTPUTS 16
#define MAX_SPARE 64
#define MAX_KEYCODE 255 /* X keycodes are one byte */

/* linux/input-event-codes.h */
#define BTN_LEFT 0x110
#define BTN_RIGHT 0x111
#define BTN_MIDDLE 0x112
#define BTN_SIDE 0x113
#define BTN_EXTRA 0x114

/* One keysym a key shows at level 0 or 1 (find_sym's index). */
struct wlr_symkey {
	uint32_t sym;
	uint16_t code;
	uint8_t level;
};

#define MAX_SYMKEYS ((MAX_KEYCODE + 1) * 2)

struct wlrin {
	struct wl_display *dpy;
	struct wl_registry *reg;
	struct wl_seat *seat;
	struct zwlr_virtual_pointer_manager_v1 *vpm;
	struct zwp_virtual_keyboard_manager_v1 *vkm;
	struct zxdg_output_manager_v1 *xom;
	struct zwlr_virtual_pointer_v1 *vp;
	struct zwp_virtual_keyboard_v1 *vk;
	struct wlo_output outs[MAX_OUTPUTS]; /* .out NULL: free */
	struct xkb_context *ctx;
	struct xkb_keymap *km;
	struct xkb_state *st;
	struct wlr_symkey syms[MAX_SYMKEYS]; /* sorted by sym, level, code */
	size_t nsyms;
	uint32_t spare[MAX_SPARE]; /* keycodes without symbols */
	uint32_t extra[MAX_SPARE]; /* keysyms put on them, 0 = none */
	size_t nspare, next_spare;
	uint8_t held[(MAX_KEYCODE + 1) / 8];
	uint32_t buttons; /* held X buttons, bit n */
	uint32_t mods[4]; /* last modifiers sent */
	bool gone;
};

/* Compiles our keymap (us + the extras), makes it current and uploads
 * it. 0 or a negative error. */
int input_wlr__load_keymap(struct wlrin *w);
/* Finds the keys where extra keysyms can go (after the first load). */
void input_wlr__find_spares(struct wlrin *w);

int input_wlr__exec(struct input *in, const struct input_act *a, size_t n);
int input_wlr__state(struct input *in, bool locks, struct input_state *st);
void input_wlr__release_all(struct input *in);
unsigned input_wlr__held(const struct input *in);

#endif
