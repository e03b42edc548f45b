/* SPDX-License-Identifier: MIT */
/*
 * The clipboard of a wlroots compositor through zwlr_data_control_v1: a
 * self-contained backend with the semantics of clipboard.h's functions,
 * until the clipboard has a backend table (issue 13 part 1) and
 * clipboard_open can pick it. display: the compositor's socket (path or
 * name in $XDG_RUNTIME_DIR); as root we connect as the socket's owner.
 *
 * Reads take text (text/plain;charset=utf-8, UTF8_STRING, text/plain)
 * and, when offered, image/png; sets offer the same types. Every size is
 * capped by max_bytes; a read that takes more than 3 s fails with
 * -ETIMEDOUT; text that is not UTF-8 is refused both ways.
 */
#ifndef OP_CLIPBOARD_CLIPBOARD_WLR_H
#define OP_CLIPBOARD_CLIPBOARD_WLR_H

#include "clipboard/clipboard.h"

struct clipboard_wlr;

/* Someone else put something on the clipboard (our sets do not report). */
typedef void (*clipboard_wlr_changed_fn)(void *arg);

int clipboard_wlr_open(uv_loop_t *loop, const char *display,
	size_t max_bytes, clipboard_wlr_changed_fn changed, void *arg,
	struct clipboard_wlr **out, char *err, size_t errlen);
void clipboard_wlr_close(struct clipboard_wlr *cb);
/* As clipboard_read; also OP_ERR_GONE once the compositor went away. */
int clipboard_wlr_read(struct clipboard_wlr *cb, clipboard_read_fn done,
	void *arg);
/* As clipboard_set. */
int clipboard_wlr_set(struct clipboard_wlr *cb,
	const struct clipboard_item *items, int n);

#endif
