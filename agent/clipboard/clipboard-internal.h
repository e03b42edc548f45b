/* SPDX-License-Identifier: MIT */
/*
 * Shared between the clipboard's files: the pure text helpers of
 * clipboard-zstd.c that the X11 backend uses on what it sends and
 * receives (UTF-8 validation, Latin-1 <-> UTF-8 for the STRING target),
 * and the X11 backend's state, split between the reading side
 * (clipboard-x11.c) and the owning side (clipboard-x11-owner.c).
 */
#ifndef OP_CLIPBOARD_CLIPBOARD_INTERNAL_H
#define OP_CLIPBOARD_CLIPBOARD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Strict UTF-8: no overlongs, surrogates or code points above U+10FFFF. */
bool clipboard__utf8_valid(const uint8_t *s, size_t len);

/*
 * Latin-1 (ISO 8859-1, the STRING target) to UTF-8 in a malloc'd *out.
 * OP_ERR_TOO_LARGE when the result would exceed max, OP_ERR_NOMEM.
 */
int clipboard__latin1_to_utf8(const uint8_t *in, size_t len, size_t max,
	uint8_t **out, size_t *out_len);

/*
 * Valid UTF-8 to Latin-1 in a malloc'd *out (never longer than the
 * input). OP_ERR_RANGE when a character is above U+00FF.
 */
int clipboard__utf8_to_latin1(const uint8_t *in, size_t len, uint8_t **out,
	size_t *out_len);

/* ---- backends ---------------------------------------------------------*/

#include <uv.h>

#include "clipboard/clipboard.h"

/* What every backend's set checks first: 1..CLIPBOARD_MAX_ITEMS items of
 * known, distinct formats (OP_ERR_RANGE), each at most max bytes
 * (OP_ERR_TOO_LARGE), text in strict UTF-8 (OP_ERR_RANGE). */
int clipboard__items_check(const struct clipboard_item *items, int n,
	size_t max);

/* A backend: all on the loop thread. be is the backend's state. */
struct clipboard_ops {
	const char *name;
	/* Connects to target (an X display for x11). changed(arg, pub)
	 * when another program takes the clipboard. */
	int (*open)(uv_loop_t *loop, const char *target, const char *auth,
		size_t max_bytes, struct clipboard *pub,
		clipboard_changed_fn changed, void *arg, void **be, char *err,
		size_t errlen);
	/* Starts closing; be is freed when its handles are closed and no
	 * callback runs after this. */
	void (*close)(void *be);
	int (*read)(void *be, clipboard_read_fn done, void *arg);
	int (*set)(void *be, const struct clipboard_item *items, int n);
};

extern const struct clipboard_ops clipboard__x11_ops;
extern const struct clipboard_ops clipboard__wlr_ops;
extern const struct clipboard_ops clipboard__mutter_ops;
extern const struct clipboard_ops clipboard__win_ops;

/* The backends this system has: clipboard-backends-unix.c or
 * clipboard-backends-win.c. */
extern const struct clipboard_ops *const clipboard__backends[];
extern const size_t clipboard__nbackends;

#endif
