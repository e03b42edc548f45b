/* SPDX-License-Identifier: MIT */
/*
 * What the Windows backends share (capture-gdi.c has it): the cursor
 * shape and position, which neither GDI nor DXGI duplication grabs with
 * the picture.
 */
#ifndef OP_CAPTURE_CAPTURE_WIN_H
#define OP_CAPTURE_CAPTURE_WIN_H

#include "capture/capture-internal.h" /* first: uv.h's winsock2.h */

#include <windows.h>

/* Attach the calling thread to the input desktop (core/windesk.h) and
 * log a change seen from the loop thread (loop: true). true when the
 * thread has just moved: what was duplicated on the old desktop is
 * stale. */
bool capture_win__follow_desktop(bool loop);
/* The cursor shown now, NULL when hidden. */
HCURSOR capture_win__cursor_handle(void);
/* capture_ops.cursor and .pointer for both backends. */
int capture_win__cursor(struct capture *c, struct capture_cursor *out);
int capture_win__pointer(struct capture *c, int32_t *x, int32_t *y);

#endif
