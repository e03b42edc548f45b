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

#define OPEN_TIMEOUT_MS 5000

static int
src_process(void *s)
{
	return mutter_session_process(s);
}

static void
src_close(void *s)
{
	mutter_session_close(s);
}

static int
src_pointer_abs(void *s, double x, double y)
{
	return mutter_session_pointer_abs(s, x, y);
}

static int
src_button(void *s, int32_t button, bool pressed)
{
	return mutter_session_button(s, button, pressed);
}

static int
src_axis_discrete(void *s, uint32_t axis, int32_t steps)
{
	return mutter_session_axis_discrete(s, axis, steps);
}

static int
src_keysym(void *s, uint32_t keysym, bool pressed)
{
	return mutter_session_keysym(s, keysym, pressed);
}

static int
src_keycode(void *s, uint32_t code, bool pressed)
{
	return mutter_session_keycode(s, code, pressed);
}

static const struct input_rd_source mutter_source = {
	.process = src_process,
	.close = src_close,
	.pointer_abs = src_pointer_abs,
	.button = src_button,
	.axis_discrete = src_axis_discrete,
	.keysym = src_keysym,
	.keycode = src_keycode,
};

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
	mutter_session_geometry(ms, &x, &y, &w, &h);
	return input__rd_start(in, &mutter_source, ms, x, y, w, h);
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
