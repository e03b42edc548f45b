/* SPDX-License-Identifier: MIT */
/*
 * The xdg-desktop-portal input backend: a RemoteDesktop session
 * (keyboard + pointer, with one monitor selected as its ScreenCast
 * source: the coordinate space of absolute motion) on the user's
 * session bus (portal/portal-session.c); the events are input-rd.c's.
 * A portal without RemoteDesktop (xdg-desktop-portal-wlr has none) makes
 * the open fail with OP_ERR_UNSUPPORTED and says "view only".
 *
 * Target (input_open's display): the user's runtime directory holding
 * "bus" (NULL = $XDG_RUNTIME_DIR), connected as its owner when we are
 * root. xauthority: the restore-token file of this backend (not the
 * capture's: a ScreenCast token does not restore a RemoteDesktop
 * session; NULL or "" = none kept; the daemon's convention is
 * STATE_DIR/portal-remote-desktop-UID, see capture-portal.c).
 *
 * Not tested against a running portal: no RemoteDesktop portal runs
 * headless on Debian 12 (xdg-desktop-portal-gnome needs GNOME Shell, the
 * KDE one KWin); the calls follow the portal specification
 * (RemoteDesktop version 2).
 */
#include <stdio.h>

#include "core/err.h"
#include "input/input-rd.h"
#include "platform/userbus.h"
#include "portal/portal-session.h"

#define OPEN_TIMEOUT_MS 15000

static int
portin_open(struct input *in, const char *display, const char *token_path,
	char *err, size_t errlen)
{
	struct portal_session *ps = NULL;
	int32_t x, y, w, h;
	int r;

	if ((r = portal_session_open_user(display, true, token_path,
		     OPEN_TIMEOUT_MS, &ps, err, errlen)) != 0)
		return r;
	userbus_rd_geometry(ps, &x, &y, &w, &h);
	if (w <= 0 || h <= 0) {
		snprintf(err, errlen, "the portal gave no stream size: "
				      "absolute pointer motion has no space");
		portal_session_close(ps);
		return OP_ERR_PROTO;
	}
	return input__rd_start(in, &portal_rd_ops, ps, x, y, w, h);
}

const struct input_ops input__portal_ops = {
	.name = "portal",
	.open = portin_open,
	.close = input__rd_close,
	.state = input__rd_state,
	.exec = input__rd_exec,
	.release_all = input__rd_release_all,
	.held = input__rd_held,
};
