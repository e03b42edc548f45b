/* SPDX-License-Identifier: MIT */
/*
 * What a session does with each message the client sends: one table,
 * indexed by the Message oneof case (its field number), says the lowest
 * state the message is acted on in, the permission it needs, what
 * happens when it comes earlier (ignored, or a protocol error that ends
 * the session), and the handler. A kind that is not in the table, or
 * whose permission the session does not hold, is dropped, counted and
 * logged with the reason; nothing acts on the host outside the table.
 */
#include "session/session-internal.h"
#include "session/session-input.h"
#include "session/session-video.h"

#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/text.h"
#include "core/time.h"

enum {
	EARLY_IGNORE = 0, /* before min: dropped and counted */
	EARLY_QUIET = 1,  /* before min: ignored, not counted (keep-alives) */
	EARLY_FATAL = 2,  /* before min: acting on the host unauthenticated */
};

struct dispatch_rule {
	enum session_state min;
	uint32_t perm;   /* POLICY_PERM_* (any of them), 0 = none */
	unsigned early;
	int (*fn)(struct session *ss, Hbb__Message *m);
};

/* §13.1: our TestDelay comes back unchanged (RTT for the quality
 * monitor); a web client's own is echoed. A stale or future time is
 * ignored rather than trusted. */
static int
on_test_delay(struct session *ss, Hbb__Message *m)
{
	const Hbb__TestDelay *td = m->test_delay;
	int64_t now = (int64_t)(op_wall_us() / 1000);

	if (td->from_client) {
		Hbb__Message echo = HBB__MESSAGE__INIT;

		echo.union_case = HBB__MESSAGE__UNION_TEST_DELAY;
		echo.test_delay = (Hbb__TestDelay *)td;
		(void)session__send(ss, &echo);
		return 0;
	}
	if (td->time > 0 && td->time <= now && now - td->time < 60000)
		ss->rtt_ms = (uint32_t)(now - td->time);
	return 0;
}

/* The first usable LoginRequest decides; stock clients send a second
 * one (a retry with the same proof) that arrives after it: ignored. */
static int
on_login_request(struct session *ss, Hbb__Message *m)
{
	if (ss->state != SS_LOGIN)
		return 0;
	return session__on_login(ss, m->login_request);
}

static int
on_mouse(struct session *ss, Hbb__Message *m)
{
	return session__input_mouse(ss, m->mouse_event);
}

static int
on_key(struct session *ss, Hbb__Message *m)
{
	return session__input_key(ss, m->key_event);
}

static int
on_clipboard(struct session *ss, Hbb__Message *m)
{
	const Hbb__Clipboard *one = m->clipboard;

	if (m->union_case == HBB__MESSAGE__UNION_CLIPBOARD)
		return session__input_clipboard(ss, &one, 1);
	return session__input_clipboard(ss,
		(const Hbb__Clipboard *const *)m->multi_clipboards->clipboards,
		m->multi_clipboards->n_clipboards);
}

static int
on_misc(struct session *ss, Hbb__Message *m)
{
	if (m->misc->union_case == HBB__MISC__UNION_CLOSE_REASON) {
		char ex[96];
		const char *r = m->misc->close_reason;

		/* §13.4: the peer leaves, saying why (its text is untrusted:
		 * escaped and cut). */
		session__abort(ss, "the client closed the session (%s)",
			op_excerpt(r, strlen(r), 60, ex, sizeof(ex)));
		return 0;
	}
	/* §13.3: the client's audio toggle is not a screen matter; the
	 * rest of the OptionMessage goes to the screen below. */
	if (m->misc->union_case == HBB__MISC__UNION_OPTION)
		session__audio_options(ss, m->misc->option);
	return session__screen_on_misc(ss, m->misc);
}

static int
on_files(struct session *ss, Hbb__Message *m)
{
	return session__files_on_message(ss, m);
}

static int
on_terminal(struct session *ss, Hbb__Message *m)
{
	return session__term_on_message(ss, m);
}

#define AUTH SS_AUTHORIZED
#define RULE(k) [HBB__MESSAGE__UNION_##k]
static const struct dispatch_rule rules[] = {
	RULE(_NOT_SET) = { SS_LOGIN, 0, EARLY_QUIET, NULL },
	RULE(TEST_DELAY) = { AUTH, 0, EARLY_QUIET, on_test_delay },
	RULE(LOGIN_REQUEST) = { SS_LOGIN, 0, EARLY_QUIET, on_login_request },
	RULE(MISC) = { AUTH, 0, EARLY_IGNORE, on_misc },
	RULE(MOUSE_EVENT) = { AUTH, POLICY_PERM_KEYBOARD, EARLY_FATAL,
		on_mouse },
	RULE(KEY_EVENT) = { AUTH, POLICY_PERM_KEYBOARD, EARLY_FATAL, on_key },
	RULE(POINTER_DEVICE_EVENT) = { AUTH, POLICY_PERM_KEYBOARD,
		EARLY_FATAL, NULL },
	RULE(CLIPBOARD) = { AUTH, POLICY_PERM_CLIP_TO_HOST, EARLY_FATAL,
		on_clipboard },
	RULE(MULTI_CLIPBOARDS) = { AUTH, POLICY_PERM_CLIP_TO_HOST,
		EARLY_FATAL, on_clipboard },
	RULE(CLIPRDR) = { AUTH, POLICY_PERM_CLIP_TO_HOST, EARLY_FATAL, NULL },
	RULE(FILE_ACTION) = { AUTH, POLICY_PERM_FILE_DOWNLOAD |
			POLICY_PERM_FILE_UPLOAD,
		EARLY_FATAL, on_files },
	RULE(FILE_RESPONSE) = { AUTH, POLICY_PERM_FILE_DOWNLOAD |
			POLICY_PERM_FILE_UPLOAD,
		EARLY_FATAL, on_files },
	RULE(TERMINAL_ACTION) = { AUTH, POLICY_PERM_TERMINAL, EARLY_FATAL,
		on_terminal },
};
#undef RULE
#undef AUTH

int
session__dispatch(struct session *ss, Hbb__Message *m)
{
	const struct dispatch_rule *r = NULL;
	char kind[48];

	if (ss->state == SS_HANDSHAKE)
		return session__on_public_key(ss, m);
	if (ss->state == SS_CLOSING)
		return 0;
	if ((size_t)m->union_case < sizeof(rules) / sizeof(rules[0]) &&
		(rules[m->union_case].fn != NULL ||
			rules[m->union_case].perm != 0 ||
			m->union_case == HBB__MESSAGE__UNION__NOT_SET))
		r = &rules[m->union_case];
	if (r == NULL) {
		/* Not offered (audio from the client, voice calls, switch
		 * sides, ...): counted with the session's record. */
		ss->dropped++;
		log_debug("session %s: %s ignored (not offered)", ss->desc,
			wire_msg_kind_name(m, kind, sizeof(kind)));
		return 0;
	}
	if (ss->state < r->min) {
		if (r->early == EARLY_FATAL) {
			session__refuse(ss, "Connection not allowed",
				"protocol error: %s before login",
				wire_msg_kind_name(m, kind, sizeof(kind)));
			return OP_ERR_STATE;
		}
		if (r->early == EARLY_IGNORE)
			ss->dropped++; /* ignored until authorized, as RustDesk */
		return 0;
	}
	if (r->perm != 0 && !(ss->perms & r->perm)) {
		char what[96];

		snprintf(what, sizeof(what), "%s (not granted)",
			wire_msg_kind_name(m, kind, sizeof(kind)));
		session__dropped(ss, what, OP_ERR_DENIED);
		return 0;
	}
	if (r->fn == NULL) {
		session__dropped(ss, wire_msg_kind_name(m, kind, sizeof(kind)),
			OP_ERR_UNSUPPORTED);
		return 0;
	}
	return r->fn(ss, m);
}
