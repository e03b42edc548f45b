/* SPDX-License-Identifier: MIT */
/* Input and clipboard of a session (session-input.c); module only. */
#ifndef OP_SESSION_SESSION_INPUT_H
#define OP_SESSION_SESSION_INPUT_H

#include <stddef.h>

#include "wire/msg.h"

struct session;
struct session_grant;

/* What a session may do with input (ss->perms). */
#define SESSION_PERM_KEYBOARD (1u << 0)     /* keyboard and mouse */
#define SESSION_PERM_CLIP_TO_HOST (1u << 1)
#define SESSION_PERM_CLIP_TO_CLIENT (1u << 2)

/* After login: opens input and clipboard on the granted display. */
void session__input_start(struct session *ss, const struct session_grant *g);
/* Releases every held key and button and disconnects. */
void session__input_stop(struct session *ss);
/* The keyboard permission may have been withdrawn: release what is held. */
void session__input_permission(struct session *ss);

int session__input_mouse(struct session *ss, const Hbb__MouseEvent *me);
int session__input_key(struct session *ss, const Hbb__KeyEvent *ke);
int session__input_clipboard(struct session *ss,
	const Hbb__Clipboard *const *c, size_t n);

#endif
