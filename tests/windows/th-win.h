/* SPDX-License-Identifier: MIT */
/*
 * Windows test helpers (the Windows port's tests under wine): a window of
 * the test's own and its message pump.
 */
#ifndef OP_TESTS_TH_WIN_H
#define OP_TESTS_TH_WIN_H

#include <stdbool.h>

#include <winsock2.h> /* before windows.h, as libuv includes it */
#include <windows.h>

/* A visible, topmost, borderless Unicode window (WM_CHAR is UTF-16) at
 * (x, y), w x h (client area = window area), with proc as its window
 * procedure; NULL on failure. */
HWND thw_window(const char *cls, int x, int y, int w, int h, WNDPROC proc);

/* Dispatches this thread's messages for about ms milliseconds. */
void thw_pump(unsigned ms);

/* Pumps messages until done(arg) holds or ms milliseconds pass; returns
 * done(arg)'s last answer. */
bool thw_pump_until(bool (*done)(void *arg), void *arg, unsigned ms);

#endif
