/* SPDX-License-Identifier: MIT */
/*
 * Inside the input module: the plan (a list of primitive actions an event
 * turns into), the pure planners that build it, the ControlKey and
 * character tables, and the backend vtable. The planners see no X
 * server: they get the little host state they need in struct
 * input_state, which is what makes them fuzzable and table-testable.
 */
#ifndef OP_INPUT_INPUT_INTERNAL_H
#define OP_INPUT_INPUT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input/input.h"

/* ControlKey values used by name (spec §9.2). */
enum {
	INPUT_CK_ALT = 1,
	INPUT_CK_CAPSLOCK = 3,
	INPUT_CK_CONTROL = 4,
	INPUT_CK_DELETE = 5,
	INPUT_CK_META = 23,
	INPUT_CK_RETURN = 27,
	INPUT_CK_SHIFT = 29,
	INPUT_CK_TAB = 31,
	INPUT_CK_NUMLOCK = 63,
	INPUT_CK_RWIN = 64,
	INPUT_CK_NUMPAD_ENTER = 72,
	INPUT_CK_RSHIFT = 73,
	INPUT_CK_RCONTROL = 74,
	INPUT_CK_RALT = 75,
	INPUT_CK_CTRL_ALT_DEL = 100,
	INPUT_CK_LOCK_SCREEN = 101,
};

/* X keysyms the module names. */
#define INPUT_XK_SHIFT_L 0xffe1u
#define INPUT_XK_SHIFT_R 0xffe2u
#define INPUT_XK_CONTROL_L 0xffe3u
#define INPUT_XK_CONTROL_R 0xffe4u
#define INPUT_XK_CAPS_LOCK 0xffe5u
#define INPUT_XK_ALT_L 0xffe9u
#define INPUT_XK_ALT_R 0xffeau
#define INPUT_XK_SUPER_L 0xffebu
#define INPUT_XK_SUPER_R 0xffecu
#define INPUT_XK_NUM_LOCK 0xff7fu
#define INPUT_XK_ISO_LEVEL3_SHIFT 0xfe03u
#define INPUT_XK_DELETE 0xffffu

/* Held modifiers, one bit per key (left and right are distinct keys). */
enum {
	INPUT_MOD_SHIFT_L = 1 << 0,
	INPUT_MOD_SHIFT_R = 1 << 1,
	INPUT_MOD_CTRL_L = 1 << 2,
	INPUT_MOD_CTRL_R = 1 << 3,
	INPUT_MOD_ALT_L = 1 << 4,
	INPUT_MOD_ALT_R = 1 << 5,
	INPUT_MOD_SUPER_L = 1 << 6,
	INPUT_MOD_SUPER_R = 1 << 7,
	INPUT_MOD_COUNT = 8,
};

/* What the planners need to know about the host. */
struct input_state {
	unsigned mods;   /* INPUT_MOD_* we hold */
	bool caps, num;  /* lock states (LEDs) */
	int32_t width, height; /* root window */
};

enum input_act_kind {
	INPUT_ACT_KEYCODE, /* v = X keycode, down */
	INPUT_ACT_KEYSYM,  /* v = keysym, down: the key showing it (a spare
			      key mapped to it if none), levels untouched,
			      so Shift+Up stays Shift+Up */
	INPUT_ACT_TYPE,    /* v = keysym to type: one action is a whole
			      click, with the Shift level or the spare-key
			      mapping it needs */
	INPUT_ACT_MOVE,    /* x, y absolute */
	INPUT_ACT_BUTTON,  /* v = X button 1..9, down */
};

struct input_act {
	uint8_t kind;
	bool down;
	uint32_t v;
	int32_t x, y;
};

/* More than any valid event needs: a full seq plus synchronisation. */
#define INPUT_PLAN_MAX (INPUT_MAX_SEQ + 64)
#define INPUT_MAX_MODIFIERS 32 /* entries in an event's modifiers */

/*
 * Turn an event into actions, given the host state. Pure: no I/O, no
 * globals; any thread. Returns 0 with *n actions in out (0 actions is a
 * valid no-op), or OP_ERR_RANGE for anything invalid, in which case *n
 * is 0. max must be at least INPUT_PLAN_MAX.
 */
int input_plan_key(const struct input_key_event *ev,
	const struct input_state *st, struct input_act *out, size_t max,
	size_t *n);
int input_plan_mouse(const struct input_mouse_event *ev,
	const struct input_state *st, struct input_act *out, size_t max,
	size_t *n);

/* The keysym of a ControlKey, or 0 when it has none. */
uint32_t input_control_keysym(int32_t ck);
/* The keysym that types code point cp (Latin-1 = cp, else 0x01000000 +
 * cp; a few C0 controls map to function keysyms), or 0 when cp is not a
 * typeable scalar value. */
uint32_t input_char_keysym(uint32_t cp);
/* The INPUT_MOD_* bit of a modifier keysym, or 0. */
unsigned input_keysym_mod(uint32_t keysym);
/* Strict UTF-8 (no overlongs, surrogates or values above U+10FFFF):
 * decodes one code point at s[*off], advancing *off. Returns 0 or
 * OP_ERR_RANGE. */
int input_utf8_next(const char *s, size_t len, size_t *off, uint32_t *cp);

/* A backend. Every function runs on the loop thread. */
struct input_ops {
	const char *name;
	int (*open)(struct input *in, const char *display,
		const char *xauthority, char *err, size_t errlen);
	void (*close)(struct input *in);
	/* Fills st; lock states only when locks is true (a round trip). */
	int (*state)(struct input *in, bool locks, struct input_state *st);
	/* Runs a plan; OP_ERR_GONE when the server went away. */
	int (*exec)(struct input *in, const struct input_act *a, size_t n);
	void (*release_all)(struct input *in);
	unsigned (*held)(const struct input *in);
};

extern const struct input_ops input__x11_ops;
extern const struct input_ops input__wlr_ops;
extern const struct input_ops input__mutter_ops;
extern const struct input_ops input__portal_ops;
extern const struct input_ops input__win_ops;

/* The backends this system has: input-backends-unix.c or
 * input-backends-win.c. */
extern const struct input_ops *const input__backends[];
extern const size_t input__nbackends;

/* The backend's private state, set by open. */
void *input__backend(const struct input *in);
void input__set_backend(struct input *in, void *be);

#endif
