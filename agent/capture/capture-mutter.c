/* SPDX-License-Identifier: MIT */
/*
 * The GNOME (Mutter) backend: a RemoteDesktop + ScreenCast session on
 * the user's session bus (mutter/mutter-session.c) records the primary
 * monitor; its PipeWire stream is consumed by capture-pwstream.c.
 *
 * Target (capture_open's display): the user's runtime directory (NULL =
 * $XDG_RUNTIME_DIR), holding the session bus socket "bus" and PipeWire's
 * "pipewire-0". When we are root both are connected as the owner of the
 * bus socket (platform_connect_user), which is what lets the session bus
 * accept us (see mutter-session.c).
 */
#include <stdio.h>

#include "capture/capture-pwstream.h"
#include "core/err.h"
#include "mutter/mutter-session.h"
#include "platform/userbus.h"

#define OPEN_TIMEOUT_MS 5000

static int
mut_open(struct capture *self, const char *display, const char *xauthority,
	char *err, size_t errlen)
{
	struct mutter_session *ms = NULL;
	struct userbus_target t;
	int fd = -1, r;

	(void)xauthority;
	if ((r = mutter_session_open_user(display, OPEN_TIMEOUT_MS, &t, &ms,
		     err, errlen)) != 0)
		return r;
	if ((r = userbus_connect(&t, "pipewire-0", &fd, NULL, err,
		     errlen)) != 0) {
		mutter_session_close(ms);
		return r;
	}
	return capture__pws_open(self, &mutter_rd_ops, ms, fd,
		mutter_session_node(ms), err, errlen);
}

const struct capture_ops capture__mutter_ops = {
	.name = "mutter",
	.open = mut_open,
	CAPTURE_PWS_OPS,
};
