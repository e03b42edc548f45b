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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <xcb/xcb.h>

/*
 * display: ":N[.S]" (NULL = $DISPLAY); xauthority: a cookie file (NULL
 * or "" = xcb's default: $XAUTHORITY, ~/.Xauthority, for a process's own
 * environment only). The file must be a regular file owned by this
 * process's effective user (op_xauth_load's checks): the daemon passes
 * only files it wrote itself (xconn_cookie_copy), the consent prompt its
 * user's own. Sets *conn even when the connection failed (the caller
 * xcb_disconnect()s it either way) and *screen. Returns 0,
 * OP_ERR_CONFIG (no or unparsable display), an error from reading the
 * cookie, OP_ERR_PROTO (the server's setup is malformed), or
 * -ECONNREFUSED (no server, or the cookie was refused: xcb cannot
 * tell), with a one-line reason in err.
 */
int xconn_open(const char *display, const char *xauthority,
	xcb_connection_t **conn, int *screen, char *err, size_t errlen);

/*
 * Replies from a hostile X server (a desktop user's Xwayland, or anything
 * running as the virtual display's account) must not make the daemon
 * read past them. libxcb allocates a reply as exactly 32 + 4 * length
 * bytes, from the header's length field, but the accessors it generates
 * (xcb_get_property_value_length, ..._cursor_image_length,
 * ..._name_length, the RandR monitor iterator, the setup's screen
 * iterator) compute lengths from other header fields, which the server
 * sets at will; and a reply struct longer than 32 bytes (QueryFont,
 * GetKeyboardControl) is only as long as length says. So every reply
 * whose variable part we read, or whose struct exceeds 32 bytes, is
 * checked here first.
 */

/* True when fixed bytes from the reply's start, then var more, lie
 * within the 32 + 4 * length bytes the server sent. Pure. */
bool xconn_reply_fits(const void *reply, size_t fixed, uint64_t var);

/*
 * The value of a GetProperty reply: format 0 (no such property), 8, 16
 * or 32, and value_len items of it within the reply. Returns 0 with
 * *value and *len (bytes), or OP_ERR_PROTO.
 */
int xconn_property_value(const xcb_get_property_reply_t *rep,
	const uint8_t **value, size_t *len);

/*
 * Whether the connection setup's variable parts (vendor, pixmap formats,
 * screens, their depths and visuals) lie within the 8 + 4 * length
 * bytes the server sent, so that xcb's setup iterators stay inside it.
 * xconn_open checks this before it returns a connection. Pure.
 */
bool xconn_setup_valid(const xcb_setup_t *setup);

#endif
