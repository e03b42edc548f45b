/* SPDX-License-Identifier: MIT */
/*
 * Keyboard and mouse injection behind one interface (spec §9). Backends:
 * X11 through XTEST (input-x11.c), on the display being captured, and
 * wlroots virtual pointer/keyboard (input-wlr.c; display = the
 * compositor's socket) and GNOME (input-mutter.c: Mutter's RemoteDesktop
 * over D-Bus; display = the user's runtime directory, with "bus") and
 * xdg-desktop-portal RemoteDesktop (input-portal.c; the same display,
 * plus a restore-token file). On Windows: "win" (input-win.c,
 * SendInput into this session's desktop; display NULL or ""). uinput
 * and libei would be further backends
 * behind struct input_ops; input_open() refuses any other name.
 *
 * The RustDesk event semantics live here too, independent of the wire
 * types: mouse masks (§9.1), the Legacy / Map / Translate keyboard modes
 * with ControlKey names, chr, unicode and seq, modifier and lock-state
 * synchronisation (§9.2). Every value comes from the network: anything
 * out of range is refused with OP_ERR_RANGE and nothing is injected.
 *
 * The module remembers every key and button it holds down, so
 * input_release_all() (and input_close()) leave nothing stuck.
 * Loop thread only; requests are sent without waiting for replies
 * except for keyboard-mapping queries (cached, refreshed on
 * MappingNotify).
 */
#ifndef OP_INPUT_INPUT_H
#define OP_INPUT_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct input;

/* RustDesk KeyboardMode (§9.2). */
enum input_kmode {
	INPUT_KMODE_LEGACY = 0,
	INPUT_KMODE_MAP = 1,
	INPUT_KMODE_TRANSLATE = 2,
	INPUT_KMODE_AUTO = 3, /* treated as Map */
};

/* What a KeyEvent carries, without the protobuf types. */
enum input_key_kind {
	INPUT_KEY_NONE,
	INPUT_KEY_CONTROL, /* control_key: a ControlKey enum value */
	INPUT_KEY_CHR,     /* chr: X keycode (Map/Translate) or code point
			      (Legacy) */
	INPUT_KEY_UNICODE, /* unicode: a code point to type */
	INPUT_KEY_SEQ,     /* seq: UTF-8 text to type */
};

struct input_key_event {
	enum input_kmode mode;
	bool down;
	bool press; /* click: down then up */
	enum input_key_kind kind;
	int32_t control_key;
	uint32_t chr;     /* also the code point for INPUT_KEY_UNICODE */
	const char *seq;  /* INPUT_KEY_SEQ, not NUL-terminated */
	size_t seq_len;
	const int32_t *modifiers; /* ControlKey values, locks included */
	size_t n_modifiers;
};

struct input_mouse_event {
	int32_t mask; /* (buttons << 3) | type */
	int32_t x, y; /* global coordinates; wheel: deltas in notches */
	const int32_t *modifiers;
	size_t n_modifiers;
};

#define INPUT_MAX_SEQ 1024 /* bytes of text in one event */
#define INPUT_MAX_WHEEL 64 /* notches in one event */

/*
 * Connects to a display. backend: "x11": display ":N", xauthority a
 * cookie file (NULL or "" = $XAUTHORITY), needs XTEST. "wlr": display
 * the compositor's socket (path or name in $XDG_RUNTIME_DIR), needs the
 * virtual pointer and keyboard protocols; xauthority is ignored.
 * "mutter": display the user's runtime directory holding the session
 * bus socket "bus" (NULL = $XDG_RUNTIME_DIR), needs Mutter's
 * RemoteDesktop and ScreenCast on that bus. "portal": display as for
 * mutter, needs org.freedesktop.portal.RemoteDesktop on that bus;
 * xauthority the restore-token file (NULL or "" = none kept).
 * Failure: negative error and a one-line reason in err.
 */
int input_open(uv_loop_t *loop, const char *backend, const char *display,
	const char *xauthority, struct input **out, char *err, size_t errlen);

/* Releases everything held, then disconnects. */
void input_close(struct input *in);

const char *input_backend_name(const struct input *in);

/* §9.1. Returns 0, OP_ERR_RANGE (unknown type or button, coordinates
 * outside the screen, absurd wheel) or OP_ERR_GONE. */
int input_mouse(struct input *in, const struct input_mouse_event *ev);

/* §9.2. Returns 0, OP_ERR_RANGE (invalid keycode, unknown ControlKey,
 * code point, oversize or invalid UTF-8 seq) or OP_ERR_GONE. */
int input_key(struct input *in, const struct input_key_event *ev);

/*
 * Ctrl+Alt+Del by other means (ControlKey CtrlAltDel, §9.2). Windows
 * ignores the keys when they are injected: only SendSAS, which the
 * service calls, makes the secure attention sequence (the log-on
 * screen's prompt). With fn set, a CtrlAltDel press calls fn instead of
 * typing the keys, its release does nothing, and when fn fails the keys
 * are typed as before. fn NULL: the keys are typed.
 */
void input_set_secure_attention(struct input *in, int (*fn)(void *arg),
	void *arg);

/* Releases every key and button this module pressed (session end,
 * keyboard permission withdrawn). */
void input_release_all(struct input *in);

/* Keys and buttons currently held by us (for tests and status). */
unsigned input_held(const struct input *in);

#endif
