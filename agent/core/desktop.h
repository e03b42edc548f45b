/* SPDX-License-Identifier: MIT */
/*
 * Which desktop a session is granted, independent of any windowing
 * system's types: the daemon's desktop provider (cli/daemon-desktop.c)
 * fills it and opens the capture, input and clipboard handles on it; the
 * session only sees the handles and this tag (for logs and status).
 * Backends: X11 (an X display and its cookie), wlroots (a compositor
 * socket, connected to as its owner), GNOME's Mutter and the
 * xdg-desktop-portal (the user's runtime directory: its session bus and
 * PipeWire sockets).
 */
#ifndef OP_CORE_DESKTOP_H
#define OP_CORE_DESKTOP_H

#include <stddef.h>
#include <stdio.h>

#include "core/err.h"

enum desktop_kind {
	DESKTOP_NONE,
	DESKTOP_X11, /* name ":N", auth the daemon's copy of its cookie */
	DESKTOP_WLR, /* name the compositor's socket path, auth "" */
	DESKTOP_MUTTER, /* name the user's runtime directory, auth "" */
	DESKTOP_PORTAL, /* name the runtime directory, auth the ScreenCast
			 * restore-token file */
	DESKTOP_WIN, /* Windows: name "console" (cli/daemon-desktop-win.c) */
};

struct desktop_target {
	enum desktop_kind kind;
	char name[4200];  /* ":N", a socket path or a directory */
	char auth[4200];  /* X11 cookie file ("" = none) */
	char source[16];  /* "configured", "logind", "virtual" */
};

/* The backend name capture_open, input_open and clipboard_open take. */
static inline const char *
desktop_backend(enum desktop_kind k)
{
	switch (k) {
	case DESKTOP_X11:
		return "x11";
	case DESKTOP_WLR:
		return "wlr";
	case DESKTOP_MUTTER:
		return "mutter";
	case DESKTOP_PORTAL:
		return "portal";
	case DESKTOP_WIN:
		return "win";
	default:
		return "none";
	}
}

/*
 * For backends that serve only this session's desktop (Windows: GDI,
 * DXGI, SendInput, the clipboard): a display or target named anyway is
 * refused. Returns 0 when none was named, else OP_ERR_UNSUPPORTED with
 * "the BACKEND WHAT; display D cannot be chosen" in err.
 */
static inline int
desktop_this_session_only(const char *backend, const char *what,
	const char *display, char *err, size_t errlen)
{
	if (display == NULL || display[0] == '\0')
		return 0;
	snprintf(err, errlen, "the %s %s; display %s cannot be chosen",
		backend, what, display);
	return OP_ERR_UNSUPPORTED;
}

#endif
