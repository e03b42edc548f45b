/* SPDX-License-Identifier: MIT */
/*
 * Screen capture behind one interface. Backends: X11 (capture-x11.c:
 * MIT-SHM GetImage, DAMAGE for change tracking, RandR monitors for the
 * display list, XFixes for the cursor) and wlroots (capture-wlr.c:
 * zwlr_screencopy with damage, wl_output + xdg-output displays; no
 * cursor) and GNOME (capture-mutter.c: Mutter's ScreenCast over D-Bus,
 * frames from PipeWire; one monitor, no cursor) and the portal
 * (capture-portal.c). On Windows: "dxgi" (capture-dxgi.c, Desktop
 * Duplication; falls back to "gdi" when it cannot open) and "gdi"
 * (capture-gdi.c, BitBlt); display must be NULL or "" there (this
 * session's desktop). capture_open() refuses any other backend name.
 *
 * Threads: everything runs on the loop thread except capture_grab(),
 * which a uv_queue_work job may call with its own grabber (one grabber
 * per in-flight grab; two grabs never share a grabber).
 *
 * Events: the backend watches its connection with a uv_poll_t and calls
 * the owner's capture_event_fn with a mask of CAPTURE_EV_* bits. Damage
 * is not consumed by anyone: each display has a counter that grows on
 * every change, so several viewers can each remember the last value they
 * encoded (capture_damage_seq).
 */
#ifndef OP_CAPTURE_CAPTURE_H
#define OP_CAPTURE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define CAPTURE_MAX_DISPLAYS 16
/* Largest display we grab: 8K; anything larger is refused. */
#define CAPTURE_MAX_DIM 8192
#define CAPTURE_MAX_CURSOR_DIM 256

struct capture;
struct capture_grabber;

struct capture_display {
	int32_t x, y; /* in the global (root window) coordinate space */
	uint32_t width, height;
	bool primary;
	char name[64];
};

enum capture_event {
	CAPTURE_EV_DAMAGE = 1 << 0, /* some display's damage_seq grew */
	CAPTURE_EV_LAYOUT = 1 << 1, /* the display list or a size changed */
	CAPTURE_EV_CURSOR = 1 << 2, /* the cursor shape changed */
	CAPTURE_EV_GONE = 1 << 3,   /* the server went away; only close */
};

typedef void (*capture_event_fn)(void *arg, struct capture *c, unsigned mask);

/* A grabbed frame. BGRA byte order (little-endian XRGB8888, the 4th byte
 * is undefined); owned by the grabber, valid until its next grab. */
struct capture_image {
	const uint8_t *data;
	uint32_t width, height;
	size_t stride;
};

/* The cursor shape: RGBA8 row-major (un-premultiplied), malloc'd; free
 * with capture_cursor_free. serial is stable for one shape. */
struct capture_cursor {
	uint64_t serial;
	int32_t hotx, hoty;
	uint32_t width, height;
	uint8_t *rgba;
};

/*
 * Connects to a display. backend: "x11", "wlr", "mutter" or "portal". For x11, display: ":N"
 * (NULL = $DISPLAY); xauthority: a file with the cookie (NULL or "" =
 * $XAUTHORITY / default). For wlr, display: the compositor's socket, a
 * path or a name in $XDG_RUNTIME_DIR (NULL = $WAYLAND_DISPLAY); when we
 * are root the connection is made as the socket's owner; xauthority is
 * ignored. For mutter, display: the user's runtime directory (NULL =
 * $XDG_RUNTIME_DIR) with the session bus "bus" and "pipewire-0", both
 * connected as the owner of "bus" when we are root. For portal, display
 * as for mutter (only "bus" is needed: PipeWire comes from the portal),
 * xauthority: the restore-token file (NULL or "" = none kept; see
 * capture-portal.c). On failure returns a negative error and writes
 * a one-line reason to err (e.g. "cannot open display :3", "the X
 * server has no MIT-SHM extension").
 */
int capture_open(uv_loop_t *loop, const char *backend, const char *display,
	const char *xauthority, capture_event_fn cb, void *arg,
	struct capture **out, char *err, size_t errlen);

/* Stops watching and disconnects. Grabbers must be freed first. */
void capture_close(struct capture *c);

const char *capture_backend_name(const struct capture *c);

/* The current displays (RandR monitors; the whole screen when there are
 * none). Returns the count (>= 1), or a negative error. */
int capture_displays(const struct capture *c, struct capture_display *out,
	int max);

/* Grows every time the display's area is damaged; starts at 1. Returns 0
 * for an index out of range. */
uint64_t capture_damage_seq(const struct capture *c, int display);

/* A grab buffer (a shared-memory segment) for one display, sized for it
 * now. After a CAPTURE_EV_LAYOUT, free and recreate grabbers. */
int capture_grabber_new(struct capture *c, int display,
	struct capture_grabber **out);
void capture_grabber_free(struct capture_grabber *g);

/* Any thread: grabs the grabber's display now. Returns 0 and *img, or a
 * negative error (OP_ERR_GONE when the server went away, OP_ERR_STATE
 * when the display changed size since the grabber was made). */
int capture_grab(struct capture_grabber *g, struct capture_image *img);
/*
 * Grabbing in bands, so a grabber's shared buffer holds `rows` rows, not
 * a whole display (tests/bench/video). X11 grabbers map two bands (the
 * next one is requested while the caller converts this one).
 * capture_grabber_new_rows(.., 0, ..) is capture_grabber_new. With a
 * banded grabber, capture_grab fails with OP_ERR_RANGE when the display
 * is taller than `rows`, and capture_grab_rows grabs rows [y, y + n)
 * (n <= rows, y + n <= the display height, else OP_ERR_RANGE); *img then
 * holds those n rows (img->height = n). Backends that only deliver whole
 * frames (wlr, mutter) ignore `rows`: their capture_grab_rows grabs the
 * display when y is 0 and returns rows of that frame for later y. The
 * bands of one picture are grabbed at different moments: a picture
 * taken while the screen changes may show a band of the next state.
 */
int capture_grabber_new_rows(struct capture *c, int display, uint32_t rows,
	struct capture_grabber **out);
int capture_grab_rows(struct capture_grabber *g, uint32_t y, uint32_t n,
	struct capture_image *img);

/* Loop thread: the current cursor shape / pointer position (global
 * coordinates). */
int capture_cursor(struct capture *c, struct capture_cursor *out);
void capture_cursor_free(struct capture_cursor *cur);
int capture_pointer(struct capture *c, int32_t *x, int32_t *y);

#endif
