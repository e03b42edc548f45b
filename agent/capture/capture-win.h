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

/* The cursor shown now, NULL when hidden. */
HCURSOR capture_win__cursor_handle(void);
/* capture_ops.cursor and .pointer for both backends. */
int capture_win__cursor(struct capture *c, struct capture_cursor *out);
int capture_win__pointer(struct capture *c, int32_t *x, int32_t *y);

#endif
