/* SPDX-License-Identifier: MIT */
/*
 * Keyboard, mouse and clipboard of an authorized desktop session (§9,
 * §10), within what the session was granted: the keyboard permission
 * (mouse included) and the client's disable_keyboard; the clipboard per
 * direction. Everything else is dropped and counted (the count goes to
 * the audit trail). Input and clipboard each have their own connection
 * per session (opened by the daemon's desktop provider on the granted
 * desktop, X11 or wlroots, and owned by the session from then on), so a
 * session's held keys are its own and are all released when it ends or
 * loses the permission.
 */
#include "session/session-input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipboard/clipboard.h"
#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "input/input.h"
#include "session/session-internal.h"
#include "session/session-video.h"

#define CLIP_FORMAT_TEXT 0
#define CLIP_FORMAT_PNG 22
#define CLIP_FORMAT_SPECIAL 31

static bool
keyboard_on(const struct session *ss)
{
	return ss->input != NULL && (ss->perms & POLICY_PERM_KEYBOARD) &&
		!ss->keyboard_disabled;
}

/* Why keyboard and mouse input cannot be applied now; NULL = it can.
 * The handle is opened before the LoginResponse goes out, so a client
 * that sends at once never meets a backend that is still starting. */
static const char *
keyboard_blocked(const struct session *ss)
{
	if (!(ss->perms & POLICY_PERM_KEYBOARD)) /* withdrawn on reload */
		return "no keyboard permission";
	if (ss->keyboard_disabled)
		return "the client disabled its keyboard";
	if (ss->input == NULL)
		return "no input backend on this display";
	return NULL;
}

int
session__input_mouse(struct session *ss, const Hbb__MouseEvent *me)
{
	struct input_mouse_event ev = {
		.mask = me->mask,
		.x = me->x,
		.y = me->y,
		.modifiers = (const int32_t *)me->modifiers,
		.n_modifiers = me->n_modifiers,
	};
	const char *why = keyboard_blocked(ss);
	char what[96];
	int r;

	if (why != NULL) {
		snprintf(what, sizeof(what), "mouse event (%s)", why);
		session__dropped(ss, what, OP_ERR_DENIED);
		return 0;
	}
	ss->last_input_ms = op_now_ms();
	if ((r = input_mouse(ss->input, &ev)) != 0)
		session__dropped(ss, "mouse event", r);
	return 0;
}

int
session__input_key(struct session *ss, const Hbb__KeyEvent *ke)
{
	struct input_key_event ev = {
		.mode = (enum input_kmode)ke->mode,
		.down = ke->down,
		.press = ke->press,
		.modifiers = (const int32_t *)ke->modifiers,
		.n_modifiers = ke->n_modifiers,
	};
	const char *why = keyboard_blocked(ss);
	char what[96];
	int r;

	if (why != NULL) {
		snprintf(what, sizeof(what), "key event (%s)", why);
		session__dropped(ss, what, OP_ERR_DENIED);
		return 0;
	}
	ss->last_input_ms = op_now_ms();
	switch (ke->union_case) {
	case HBB__KEY_EVENT__UNION_CONTROL_KEY:
		ev.kind = INPUT_KEY_CONTROL;
		ev.control_key = (int32_t)ke->control_key;
		break;
	case HBB__KEY_EVENT__UNION_CHR:
		ev.kind = INPUT_KEY_CHR;
		ev.chr = ke->chr;
		break;
	case HBB__KEY_EVENT__UNION_UNICODE:
		/* §9.2: RustDesk's host ignores unicode in Translate mode
		 * (its clients send seq there); so do we, but not silently. */
		if (ke->mode == HBB__KEYBOARD_MODE__Translate) {
			session__dropped(ss, "key event (unicode in Translate mode is "
				    "ignored, as RustDesk's host does)",
				OP_ERR_UNSUPPORTED);
			return 0;
		}
		ev.kind = INPUT_KEY_UNICODE;
		ev.chr = ke->unicode;
		break;
	case HBB__KEY_EVENT__UNION_SEQ:
		ev.kind = INPUT_KEY_SEQ;
		ev.seq = ke->seq;
		ev.seq_len = ke->seq != NULL ? strlen(ke->seq) : 0;
		break;
	case HBB__KEY_EVENT__UNION__NOT_SET:
		session__dropped(ss, "key event without a key", OP_ERR_PROTO);
		return 0;
	default: /* win2win_hotkey: Windows to Windows only */
		session__dropped(ss, "key event of an unsupported kind (win2win_hotkey)",
			OP_ERR_UNSUPPORTED);
		return 0;
	}
	if ((r = input_key(ss->input, &ev)) != 0)
		session__dropped(ss, "key event", r);
	return 0;
}

/* The keyboard permission changed (policy reload, client option). */
void
session__input_permission(struct session *ss)
{
	if (ss->input != NULL && !keyboard_on(ss))
		input_release_all(ss->input);
}

bool
session_wants_lock(const struct session *ss)
{
	return ss->lock_after_end && (ss->perms & POLICY_PERM_KEYBOARD);
}

/*
 * A client that sends no LoginRequest.version (RustDesk's web client, and
 * clients before 1.2) stops reading for good on a PermissionInfo it does
 * not know (connection.ts handleMisc knows Keyboard, Clipboard and Audio
 * only): such a client never sees a frame. It cannot act on the others
 * either, so they are not announced to it.
 */
static bool
client_knows_permission(const struct session *ss, int perm)
{
	return ss->client_version[0] != '\0' || perm == 0 || perm == 2 ||
		perm == 3;
}

void
session__send_permission(struct session *ss, int perm, bool enabled)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__PermissionInfo pi = HBB__PERMISSION_INFO__INIT;

	if (!client_knows_permission(ss, perm))
		return;
	pi.permission = perm;
	pi.enabled = enabled;
	misc.union_case = HBB__MISC__UNION_PERMISSION_INFO;
	misc.permission_info = &pi;
	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	(void)session__send(ss, &m);
}

void
session_restrict(struct session *ss, bool keyboard, bool clip_to_host,
	bool clip_to_client, bool audio)
{
	uint32_t before = ss->perms;
	uint32_t clip = POLICY_PERM_CLIP_TO_HOST | POLICY_PERM_CLIP_TO_CLIENT;

	if (ss->state != SS_AUTHORIZED)
		return;
	if (!keyboard)
		ss->perms &= ~POLICY_PERM_KEYBOARD;
	if (!clip_to_host)
		ss->perms &= ~POLICY_PERM_CLIP_TO_HOST;
	if (!clip_to_client)
		ss->perms &= ~POLICY_PERM_CLIP_TO_CLIENT;
	if ((before & POLICY_PERM_KEYBOARD) &&
		!(ss->perms & POLICY_PERM_KEYBOARD)) {
		session__send_permission(ss, 0, false); /* §13.2 Keyboard */
		log_notice("session %s: keyboard permission withdrawn",
			ss->desc);
	}
	if ((before & clip) && !(ss->perms & clip))
		session__send_permission(ss, 2, false); /* Clipboard */
	if (!audio && (before & POLICY_PERM_AUDIO)) {
		ss->perms &= ~POLICY_PERM_AUDIO;
		session__send_permission(ss, 3, false); /* Audio */
		log_notice("session %s: audio permission withdrawn", ss->desc);
		session__audio_update(ss, "withdrawn");
	}
	session__input_permission(ss);
}

static void
clip_too_large(struct session *ss, size_t len)
{
	char text[200];

	session__dropped(ss, "clipboard above the size limit", OP_ERR_TOO_LARGE);
	if (len > 0)
		snprintf(text, sizeof(text), "The clipboard content (%zu KiB) "
			"is larger than the host allows (%zu KiB); it was not "
			"copied.",
			(len + 1023) / 1024, ss->clip_max / 1024);
	else /* compressed: its real size is unknown, only that it is more */
		snprintf(text, sizeof(text), "The clipboard content is larger "
			"than the host allows (%zu KiB); it was not copied.",
			ss->clip_max / 1024);
	session__screen_message_box(ss, "Clipboard", text);
}

/* One entry from the client: decompressed and checked into item. *buf
 * receives what must be freed. 0, 1 (skip it) or a negative error. */
static int
clip_entry(struct session *ss, const Hbb__Clipboard *c,
	struct clipboard_item *item, uint8_t **buf)
{
	size_t len = c->content.len;
	int r;

	*buf = NULL;
	if (c->format == CLIP_FORMAT_SPECIAL)
		return 1; /* RustDesk's owner flags: not content */
	if (c->format != CLIP_FORMAT_TEXT && c->format != CLIP_FORMAT_PNG)
		return 1;
	item->format = c->format == CLIP_FORMAT_PNG ? CLIPBOARD_PNG :
						      CLIPBOARD_TEXT;
	item->data = c->content.data;
	item->len = len;
	if (c->compress && c->format != CLIP_FORMAT_PNG) {
		r = clipboard_zstd_unpack(c->content.data, len, ss->clip_max,
			buf, &item->len);
		if (r != 0)
			return r;
		item->data = *buf;
	} else if (len > ss->clip_max) {
		return OP_ERR_TOO_LARGE;
	}
	return item->len == 0 ? 1 : 0;
}

int
session__input_clipboard(struct session *ss, const Hbb__Clipboard *const *c,
	size_t n)
{
	struct clipboard_item items[CLIPBOARD_MAX_ITEMS];
	uint8_t *bufs[CLIPBOARD_MAX_ITEMS] = { NULL };
	int k = 0, r = 0;

	if (!(ss->perms & POLICY_PERM_CLIP_TO_HOST) ||
		ss->clipboard_disabled) {
		session__dropped(ss, "clipboard (not allowed to the host)",
			OP_ERR_DENIED);
		return 0;
	}
	if (ss->clip == NULL) {
		session__dropped(ss, "clipboard (no clipboard backend on this display)",
			OP_ERR_UNSUPPORTED);
		return 0;
	}
	ss->last_input_ms = op_now_ms();
	for (size_t i = 0; i < n && i < 16 && k < CLIPBOARD_MAX_ITEMS; i++) {
		r = clip_entry(ss, c[i], &items[k], &bufs[k]);
		if (r == 0)
			k++;
		else if (r < 0)
			break;
	}
	if (r == OP_ERR_TOO_LARGE)
		clip_too_large(ss, n > 0 && !c[0]->compress ?
				c[0]->content.len :
				0);
	else if (r < 0)
		session__dropped(ss, "malformed clipboard", r);
	else if (k > 0 && (r = clipboard_set(ss->clip, items, k)) != 0)
		session__dropped(ss, "clipboard content", r);
	for (int i = 0; i < CLIPBOARD_MAX_ITEMS; i++)
		free(bufs[i]);
	return 0;
}

/* Host -> client (§10): MultiClipboards for clients >= 1.3.0, else one
 * Clipboard with the text. */
static void
on_clip_read(void *arg, int status, const struct clipboard_item *items,
	int n)
{
	struct session *ss = arg;
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__MultiClipboards mc = HBB__MULTI_CLIPBOARDS__INIT;
	Hbb__Clipboard cl[CLIPBOARD_MAX_ITEMS];
	Hbb__Clipboard *clp[CLIPBOARD_MAX_ITEMS];
	uint8_t *packed[CLIPBOARD_MAX_ITEMS] = { NULL };
	int k = 0;

	ss->clip_reading = false;
	if (ss->state != SS_AUTHORIZED)
		return;
	/* The selection changed again while we read: read it once more
	 * after sending this, so the client ends with the newest. */
	if (ss->clip_again) {
		ss->clip_again = false;
		if (ss->clip != NULL &&
			clipboard_read(ss->clip, on_clip_read, ss) == 0) {
			ss->clip_reading = true;
			return; /* this content is already stale */
		}
	}
	if (status == OP_ERR_TOO_LARGE) {
		log_info("session %s: the host clipboard is above the size "
			 "limit; not sent",
			ss->desc);
		return;
	}
	if (status != 0)
		return;
	for (int i = 0; i < n && k < CLIPBOARD_MAX_ITEMS; i++) {
		size_t plen;

		hbb__clipboard__init(&cl[k]);
		cl[k].format = items[i].format == CLIPBOARD_PNG ?
			CLIP_FORMAT_PNG :
			CLIP_FORMAT_TEXT;
		cl[k].content.data = (uint8_t *)items[i].data;
		cl[k].content.len = items[i].len;
		/* PNG is already compressed; text is zstd'ed when smaller. */
		if (items[i].format == CLIPBOARD_TEXT &&
			clipboard_zstd_pack(items[i].data, items[i].len,
				&packed[k], &plen) == 1) {
			cl[k].compress = true;
			cl[k].content.data = packed[k];
			cl[k].content.len = plen;
		}
		clp[k] = &cl[k];
		k++;
	}
	if (k > 0 && ss->client_multi_clip) {
		mc.n_clipboards = (size_t)k;
		mc.clipboards = clp;
		m.union_case = HBB__MESSAGE__UNION_MULTI_CLIPBOARDS;
		m.multi_clipboards = &mc;
		(void)session__send(ss, &m);
	} else {
		for (int i = 0; i < k; i++) {
			if (cl[i].format != CLIP_FORMAT_TEXT)
				continue;
			m.union_case = HBB__MESSAGE__UNION_CLIPBOARD;
			m.clipboard = &cl[i];
			(void)session__send(ss, &m);
			break;
		}
	}
	for (int i = 0; i < k; i++)
		free(packed[i]);
}

static void
on_clip_changed(void *arg, struct clipboard *cb)
{
	struct session *ss = arg;

	if (ss->state != SS_AUTHORIZED || ss->clipboard_disabled ||
		!(ss->perms & POLICY_PERM_CLIP_TO_CLIENT))
		return;
	if (ss->clip_reading) {
		ss->clip_again = true;
		return;
	}
	if (clipboard_read(cb, on_clip_read, ss) == 0)
		ss->clip_reading = true;
}

/* "1.3.0" or later: MultiClipboards (§16). */
static bool
version_at_least_1_3(const char *v)
{
	unsigned a = 0, b = 0;

	if (v == NULL || sscanf(v, "%u.%u", &a, &b) < 2)
		return false;
	return a > 1 || (a == 1 && b >= 3);
}

/* Handles of a grant the session will not use (it ended first). */
void
session__input_discard(const struct session_grant *g)
{
	input_close(g->input);
	clipboard_close(g->clipboard);
}

/* Takes the handles the daemon opened for this session (it owns them
 * now) and keeps those its permissions and screen can use. */
void
session__input_start(struct session *ss, const struct session_grant *g)
{
	struct input *in = g->input;
	struct clipboard *cb = g->clipboard;

	ss->clip_max = g->clipboard_max > 0 ? g->clipboard_max :
						SESSION_CLIP_MAX_DEFAULT;
	ss->client_multi_clip = version_at_least_1_3(ss->client_version);
	if (g->target != NULL && ss->video != NULL)
		ss->desktop = g->target->kind;
	/* Input and clipboard go with the screen: no screen, no control. */
	if (ss->video == NULL || !(ss->perms & POLICY_PERM_KEYBOARD)) {
		input_close(in);
		in = NULL;
	}
	if (ss->video == NULL || !(ss->perms & (POLICY_PERM_CLIP_TO_HOST |
					       POLICY_PERM_CLIP_TO_CLIENT))) {
		clipboard_close(cb);
		cb = NULL;
	}
	ss->input = in;
	ss->clip = cb;
	if (cb != NULL)
		clipboard_listen(cb, on_clip_changed, ss);
}

const char *
session_desktop_backend(const struct session *ss)
{
	return ss->desktop != DESKTOP_NONE ? desktop_backend(ss->desktop) :
					     NULL;
}

void
session__input_stop(struct session *ss)
{
	if (ss->input != NULL) {
		if (input_held(ss->input) > 0)
			log_info("session %s: releasing %u held keys and "
				 "buttons",
				ss->desc, input_held(ss->input));
		input_close(ss->input); /* releases what is held */
		ss->input = NULL;
	}
	if (ss->clip != NULL) {
		clipboard_listen(ss->clip, NULL, NULL);
		clipboard_close(ss->clip);
		ss->clip = NULL;
	}
}
