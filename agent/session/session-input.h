/* SPDX-License-Identifier: MIT */
/* Input and clipboard of a session (session-input.c); module only. */
#ifndef OP_SESSION_SESSION_INPUT_H
#define OP_SESSION_SESSION_INPUT_H

#include <stddef.h>

#include "wire/msg.h"

struct session;
struct session_grant;

/* After login: takes the input and clipboard handles of the grant
 * (closing those the session may not use). */
void session__input_start(struct session *ss, const struct session_grant *g);
/* Closes a grant's handles when the session ended before taking them. */
void session__input_discard(const struct session_grant *g);
/* Releases every held key and button and disconnects. */
void session__input_stop(struct session *ss);
/* The keyboard permission may have been withdrawn: release what is held. */
void session__input_permission(struct session *ss);

int session__input_mouse(struct session *ss, const Hbb__MouseEvent *me);
int session__input_key(struct session *ss, const Hbb__KeyEvent *ke);
int session__input_clipboard(struct session *ss,
	const Hbb__Clipboard *const *c, size_t n);

#endif
