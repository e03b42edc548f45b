/* SPDX-License-Identifier: MIT */
/*
 * An xdg-desktop-portal client over the user's session bus (sd-bus), for
 * desktops that are neither X11, wlroots nor GNOME with Mutter's own API:
 * org.freedesktop.portal.ScreenCast (one monitor, view only) or, when
 * input is wanted, org.freedesktop.portal.RemoteDesktop (keyboard and
 * pointer) with a ScreenCast source selected on the same session (the
 * stream is the coordinate space of absolute pointer motion).
 *
 * Consent is the portal's: the first Start shows the desktop's dialog.
 * We ask for persist_mode 2 (until revoked) and hand back the restore
 * token the portal returns, so that later opens with that token start
 * without a dialog. Storing the token is the caller's business (see
 * portal-token.h); a token is single-use: every Start returns a new one.
 *
 * Requests follow the portal spec: each call carries a handle_token, and
 * the Response signal is subscribed on the predicted request path before
 * the call (a Response can arrive before the call's reply). Every step
 * is time-limited by the open's deadline; every reply is read with typed
 * sd_bus_message_read and bounded; signals are only taken from the
 * portal's unique bus name.
 *
 * Loop integration is the owner's, as with mutter-session.h: poll
 * userbus_rd_fd() and call userbus_rd_process().
 */
#ifndef OP_PORTAL_PORTAL_SESSION_H
#define OP_PORTAL_PORTAL_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PORTAL_CALL_TIMEOUT_MS 2000
/* Restore tokens are UUIDs in practice; anything longer is refused. */
#define PORTAL_TOKEN_MAX 256

struct portal_session;
struct userbus_rd_ops;

/*
 * Takes bus_fd (a connected socket to the user's session bus, made by the
 * bus's user) and hold_fd (-1 or the fd that keeps the connecting process
 * alive: platform_connect_user_held, because the portal looks at that
 * process's /proc entry), also on failure. input: a
 * RemoteDesktop session (keyboard + pointer) instead of ScreenCast only.
 * restore_token: from the previous open ("" or NULL = none; the portal
 * ignores an unknown or used one and asks the user). Blocks until the
 * portal's Start answered or timeout_ms passed.
 * Returns 0 and *out, or a negative error with a reason in err:
 * OP_ERR_UNSUPPORTED (no portal on the bus, or the interface is missing:
 * for input that means view only), OP_ERR_DENIED (the user or the portal
 * refused: Response 1 or 2), -ETIMEDOUT, OP_ERR_PROTO (a reply of the
 * wrong shape), OP_ERR_GONE.
 */
int portal_session_open(int bus_fd, int hold_fd, bool input,
	const char *restore_token,
	int timeout_ms, struct portal_session **out, char *err, size_t errlen);
/*
 * The backends' open of "the user's session": the target of dir
 * (userbus_target: the user's runtime directory, NULL = ours), its bus
 * connected as its owner and held (userbus_connect), and
 * portal_session_open on it. token_path: this kind's restore-token file
 * (NULL or "" = none kept), read before the open (a bad one is logged
 * and not used) and replaced by the portal's new token after (a failure
 * to store it is logged, not returned). 0 and *out, or a negative error
 * with the reason in err.
 */
int portal_session_open_user(const char *dir, bool input,
	const char *token_path, int timeout_ms, struct portal_session **out,
	char *err, size_t errlen);

void portal_session_close(struct portal_session *s);

/* The token to store for the next open; "" when the portal gave none
 * (persistence unsupported or refused). */
const char *portal_session_restore_token(const struct portal_session *s);

/* "screencast" or "remote-desktop". */
const char *portal_session_kind(const struct portal_session *s);

uint32_t portal_session_node(const struct portal_session *s);

/* The session starts with a struct userbus_rd: userbus_rd_geometry
 * gives the stream's position and size in the compositor's logical
 * space, as the portal reported them (bounded; x = y = 0 and w = h = 0
 * when it gave none); userbus_rd_fd the bus socket to poll, and
 * userbus_rd_process handles what arrived (OP_ERR_GONE once the portal
 * closed the session or left the bus). */

/* OpenPipeWireRemote: a PipeWire socket that only sees this session's
 * streams. 0 and *fd (close-on-exec, the caller's), or a negative
 * error. */
int portal_session_pipewire_fd(struct portal_session *s, int *fd);

/* The session as the capture and input backends use it (see
 * userbus.h): input is RemoteDesktop's, OP_ERR_UNSUPPORTED on a
 * ScreenCast session or when the device was not granted. */
extern const struct userbus_rd_ops portal_rd_ops;

#endif
