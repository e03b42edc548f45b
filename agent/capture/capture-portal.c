/* SPDX-License-Identifier: MIT */
/*
 * The xdg-desktop-portal backend, for desktops that are not X11,
 * wlroots with screencopy, or GNOME's Mutter API (KDE, or any desktop
 * whose portal implements ScreenCast): a ScreenCast session on the
 * user's session bus (portal/portal-session.c) records one monitor; the
 * portal's PipeWire remote (OpenPipeWireRemote) carries the stream,
 * which capture-pwstream.c consumes.
 *
 * Target (capture_open's display): the user's runtime directory (NULL =
 * $XDG_RUNTIME_DIR) holding the session bus socket "bus", connected as
 * its owner when we are root. xauthority: the restore-token file (in
 * the agent's state directory; NULL or "" = none kept), read before the
 * open and replaced by the token the portal returns, so that only the
 * first open shows the desktop's consent dialog. The convention for the
 * daemon: one file per user and backend, STATE_DIR/portal-screencast-UID
 * (input-portal.c's is STATE_DIR/portal-remote-desktop-UID: the two
 * kinds of token do not restore each other's sessions).
 *
 * The open blocks for as long as the portal's Start takes, which is the
 * user's time in that dialog: at most OPEN_TIMEOUT_MS.
 */
#include <stdio.h>
#include <unistd.h>

#include "capture/capture-pwstream.h"
#include "core/err.h"
#include "portal/portal-session.h"

#define OPEN_TIMEOUT_MS 15000

static int
portal_open(struct capture *self, const char *display, const char *token_path,
	char *err, size_t errlen)
{
	struct portal_session *ps = NULL;
	int fd = -1, r;

	if ((r = portal_session_open_user(display, false, token_path,
		     OPEN_TIMEOUT_MS, &ps, err, errlen)) != 0)
		return r;
	if ((r = portal_session_pipewire_fd(ps, &fd)) != 0) {
		snprintf(err, errlen, "portal OpenPipeWireRemote: %s",
			op_strerror(r));
		portal_session_close(ps);
		return r;
	}
	return capture__pws_open(self, &portal_rd_ops, ps, fd,
		portal_session_node(ps), err, errlen);
}

const struct capture_ops capture__portal_ops = {
	.name = "portal",
	.open = portal_open,
	CAPTURE_PWS_OPS,
};
