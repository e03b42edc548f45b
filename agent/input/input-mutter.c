/* SPDX-License-Identifier: MIT */
/*
 * The GNOME (Mutter) input backend: a RemoteDesktop session on the
 * user's session bus (mutter/mutter-session.c) with a ScreenCast stream
 * of the primary monitor, which absolute pointer motion needs as its
 * coordinate space (the stream's PipeWire frames are not consumed here);
 * the events are input-rd.c's. Target (input_open's display): the
 * user's runtime directory holding the session bus socket "bus" (NULL =
 * $XDG_RUNTIME_DIR); as root we connect as the socket's owner
 * (platform_connect_user).
 */
#include <stdio.h>

#include "core/err.h"
#include "input/input-rd.h"
#include "mutter/mutter-session.h"
#include "platform/userbus.h"

#define OPEN_TIMEOUT_MS 5000

static int
mutin_open(struct input *in, const char *display, const char *xauthority,
	char *err, size_t errlen)
{
	struct mutter_session *ms = NULL;
	int32_t x, y, w, h;
	int r;

	(void)xauthority;
	if ((r = mutter_session_open_user(display, OPEN_TIMEOUT_MS, NULL, &ms,
		     err, errlen)) != 0)
		return r;
	/* Or the technician's first click and key would be lost. */
	if ((r = mutter_session_prime(ms)) != 0) {
		snprintf(err, errlen, "mutter refused input notifications");
		mutter_session_close(ms);
		return r;
	}
	userbus_rd_geometry(ms, &x, &y, &w, &h);
	return input__rd_start(in, &mutter_rd_ops, ms, x, y, w, h);
}

const struct input_ops input__mutter_ops = {
	.name = "mutter",
	.open = mutin_open,
	.close = input__rd_close,
	.state = input__rd_state,
	.exec = input__rd_exec,
	.release_all = input__rd_release_all,
	.held = input__rd_held,
};
