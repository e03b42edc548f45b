/* SPDX-License-Identifier: MIT */
/*
 * The consent window (`outpost consent-prompt`, consent-ui.c): a plain
 * xcb core-protocol window that runs as the desktop user, shows who asks
 * for what, and prints exactly one of "allow", "deny" or "timeout" on
 * stdout. It is its own short-lived process, so it may block in poll(2);
 * it never runs inside the daemon's loop.
 *
 * The request reaches it on stdin (consent_ask) as key=value lines, or as
 * options for tests. Everything shown is sanitized again here.
 */
#ifndef OP_CONSENT_CONSENT_PROMPT_H
#define OP_CONSENT_CONSENT_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

#include "consent/consent.h"

/*
 * Window layout in pixels (window coordinates), shared with the tests.
 * The window also publishes the button rectangles in its STRING property
 * _OUTPOST_CONSENT_BUTTONS as "allow X Y W H\ndeny X Y W H\n".
 */
#define CONSENT_WIN_W 460
#define CONSENT_WIN_H 236
#define CONSENT_BTN_W 110
#define CONSENT_BTN_H 30
#define CONSENT_BTN_Y (CONSENT_WIN_H - 14 - CONSENT_BTN_H)
#define CONSENT_BTN_DENY_X (CONSENT_WIN_W / 2 - 16 - CONSENT_BTN_W)
#define CONSENT_BTN_ALLOW_X (CONSENT_WIN_W / 2 + 16)
/* Clicks in the first ARM_MS after the window appears are ignored, so a
 * click meant for another window cannot land on Allow. */
#define CONSENT_ARM_MS 500

#define CONSENT_WIN_TITLE "Outpost: remote access request"

enum consent_button {
	CONSENT_BUTTON_NONE,
	CONSENT_BUTTON_ALLOW,
	CONSENT_BUTTON_DENY,
};

/* The button at window coordinates (x, y), the same in each window. */
enum consent_button consent_prompt_hit(int x, int y);

/*
 * A press arms the button under it (b); the release over the same button
 * clicks it. *pressed keeps the armed button between the two. Returns the
 * button clicked by this release, CONSENT_BUTTON_NONE otherwise. Whether
 * a click may allow (a real pointer, not a synthetic event) is the
 * window's to judge.
 */
enum consent_button consent_prompt_click(enum consent_button *pressed,
	enum consent_button b, bool press);

/* The request text (sanitized, bounded) and the deadline. */
struct consent_prompt {
	char peer_id[CONSENT_MAX_PEER_ID * 4 + 1];
	char peer_name[CONSENT_MAX_PEER_NAME * 4 + 1];
	char source[CONSENT_MAX_SOURCE * 4 + 1];
	char kind[CONSENT_MAX_KIND * 4 + 1];
	char permissions[CONSENT_MAX_PERMISSIONS * 4 + 1];
	unsigned timeout_s;
};

/* The most stdin request bytes consent-prompt reads. */
#define CONSENT_REQUEST_MAX 4096

/*
 * Sets one field by key ("peer_id", "peer_name", "source", "kind",
 * "permissions"), sanitizing value. Returns 0 or OP_ERR_NOT_FOUND for an
 * unknown key.
 */
int consent_prompt_set(struct consent_prompt *p, const char *key,
	const char *value);

/*
 * Parses len bytes of "key=value\n" lines (consent_ask's stdin format)
 * into p; unknown keys are ignored, a line without '=' is an error.
 * Returns 0, OP_ERR_TOO_LARGE (len > CONSENT_REQUEST_MAX) or
 * OP_ERR_PROTO.
 */
int consent_prompt_parse(struct consent_prompt *p, const char *buf,
	size_t len);

/* Exit codes of consent_prompt_run (sysexits values). */
#define CONSENT_EXIT_OK 0           /* an answer was printed */
#define CONSENT_EXIT_NODISPLAY 69   /* could not connect to the display */
#define CONSENT_EXIT_INTERNAL 70    /* a bug, or out of memory */
#define CONSENT_EXIT_XLOST 74       /* the X connection broke */

/*
 * Opens the window on $DISPLAY (trying the usual XAUTHORITY places of
 * the running user when $XAUTHORITY is unset), waits for an answer, then
 * prints "allow", "deny" or "timeout" and a newline on stdout. Returns
 * one of the CONSENT_EXIT_* codes; prints nothing on stdout when it is
 * not CONSENT_EXIT_OK, a reason on stderr.
 */
int consent_prompt_run(const struct consent_prompt *p);

#endif
