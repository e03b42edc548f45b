/* SPDX-License-Identifier: MIT */
/*
 * One way to open an X connection for the modules that talk to the
 * desktop (capture, input, clipboard): to a local display, with the
 * MIT-MAGIC-COOKIE from a given Xauthority file (core/xauth parses it)
 * rather than from the process environment, so a daemon can reach a
 * user's display without touching its own $XAUTHORITY.
 */
#ifndef OP_XCONN_XCONN_H
#define OP_XCONN_XCONN_H

#include <stddef.h>

#include <xcb/xcb.h>

/*
 * display: ":N[.S]" (NULL = $DISPLAY); xauthority: a cookie file (NULL
 * or "" = xcb's default: $XAUTHORITY, ~/.Xauthority). Sets *conn even
 * when the connection failed (the caller xcb_disconnect()s it either
 * way) and *screen. Returns 0, OP_ERR_CONFIG (no or unparsable display),
 * an error from reading the cookie, or -ECONNREFUSED (no server, or the
 * cookie was refused: xcb cannot tell), with a one-line reason in err.
 */
int xconn_open(const char *display, const char *xauthority,
	xcb_connection_t **conn, int *screen, char *err, size_t errlen);

#endif
