/* SPDX-License-Identifier: MIT */
/*
 * The desktop clipboard (spec §10) behind one interface (clipboard.c picks
 * a backend's ops table by name). Backend "wlr" (clipboard-wlr.c): a
 * wlroots compositor's clipboard through zwlr_data_control_v1, target =
 * its socket. Backend "x11": the X11 CLIPBOARD selection over its own
 * xcb connection (clipboard-x11.c):
 * XFixes reports a new owner, the content is read as UTF8_STRING (and
 * image/png when offered), and to set it we become the owner and answer
 * SelectionRequests (TARGETS, UTF8_STRING, STRING, TEXT,
 * text/plain;charset=utf-8, image/png), with INCR for large content.
 * Backend "mutter" (clipboard-mutter.c). On Windows, "win"
 * (clipboard-win.c): the Win32 clipboard of this session, target NULL
 * or "".
 *
 * Also the wire-side helpers: zstd compression as RustDesk applies it
 * (level 3, only when smaller) and a bounded decompression for what
 * clients send. Every size is capped by max_bytes.
 */
#ifndef OP_CLIPBOARD_CLIPBOARD_H
#define OP_CLIPBOARD_CLIPBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct clipboard;

enum clipboard_format {
	CLIPBOARD_TEXT, /* UTF-8 */
	CLIPBOARD_PNG,  /* PNG file bytes */
};

struct clipboard_item {
	enum clipboard_format format;
	const uint8_t *data;
	size_t len;
};

#define CLIPBOARD_MAX_ITEMS 2

/* Someone else now owns the clipboard (our own clipboard_set does not
 * report). */
typedef void (*clipboard_changed_fn)(void *arg, struct clipboard *cb);

/* The content, or status < 0 (OP_ERR_TOO_LARGE above max_bytes,
 * OP_ERR_NOT_FOUND when empty or no usable format, OP_ERR_GONE). Items
 * are valid during the call only. */
typedef void (*clipboard_read_fn)(void *arg, int status,
	const struct clipboard_item *items, int n);

/*
 * Opens backend ("x11", "wlr" or "mutter") on target (for x11 a display
 * ":N", auth its Xauthority file as for capture; for wlr the
 * compositor's socket; for mutter the user's runtime directory). max_bytes caps what is read from or served to the desktop
 * (per item). changed may be NULL (no one listens yet; see
 * clipboard_listen). Failure: negative error (OP_ERR_UNSUPPORTED for an
 * unknown backend), one-line reason in err.
 */
int clipboard_open(uv_loop_t *loop, const char *backend, const char *target,
	const char *auth, size_t max_bytes, clipboard_changed_fn changed,
	void *arg, struct clipboard **out, char *err, size_t errlen);
void clipboard_close(struct clipboard *cb);
/* Replaces who hears of changes (NULL = nobody): the daemon opens the
 * handle, the session that is given it listens. */
void clipboard_listen(struct clipboard *cb, clipboard_changed_fn changed,
	void *arg);
const char *clipboard_backend_name(const struct clipboard *cb);

/* Reads the current CLIPBOARD (asynchronous: done runs later, once,
 * unless the clipboard is closed first). One read at a time:
 * OP_ERR_STATE while one is running. A read that takes more than 3 s
 * fails with -ETIMEDOUT. */
int clipboard_read(struct clipboard *cb, clipboard_read_fn done, void *arg);

/* Becomes the CLIPBOARD owner with a copy of items (text and/or PNG).
 * OP_ERR_TOO_LARGE above max_bytes, OP_ERR_RANGE for text that is not
 * UTF-8. */
int clipboard_set(struct clipboard *cb, const struct clipboard_item *items,
	int n);

/* RustDesk's compression: zstd level 3 into a malloc'd *out when that is
 * smaller (returns 1), else nothing (returns 0, send it raw); negative
 * on error. */
int clipboard_zstd_pack(const uint8_t *in, size_t len, uint8_t **out,
	size_t *out_len);
/* Decompresses untrusted input into a malloc'd *out of at most max
 * bytes: OP_ERR_TOO_LARGE beyond it, OP_ERR_PROTO when malformed. */
int clipboard_zstd_unpack(const uint8_t *in, size_t len, size_t max,
	uint8_t **out, size_t *out_len);

#endif
