/* SPDX-License-Identifier: MIT */
/*
 * The monitor's side of the audit requests (monitor-audit.h): each one is
 * decoded strictly, checked against what this network process may do,
 * and made as the same audit.h call on the monitor's trail; commit
 * results go back as events, tagged.
 */
#include "monitor/monitor-audit.h"
#include "monitor/monitor-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/text.h"
#include "core/time.h"

/* The audit_event types the network process makes (agent/cli); any other
 * (a forged "session.authorized", say) is refused. Add new ones here. */
static const char *const event_types[] = {
	"agent.restarted",
	"audio.off",
	"audio.on",
	"display.lost",
	"display.virtual.started",
	"display.virtual.stopped",
	"file.transfer",
	"session.blocked",
	"terminal.close",
	"terminal.open",
};

struct waiter {
	struct mon_audit_srv *srv;
	uint32_t generation;
	uint32_t tag;
};

static uint64_t
now_ms(const struct mon_audit_srv *s)
{
	return s->now_ms != NULL ? s->now_ms() : op_now_ms();
}

void
monitor__audit_started(struct mon_audit_srv *s, uint32_t generation)
{
	s->generation = generation;
	s->waiting = 0;
	s->first = s->last = 0;
	s->n_open = 0;
	s->n_grants = 0;
	monitor__bucket_init(&s->bucket, MONITOR_AUDIT_BURST, now_ms(s));
}

void
monitor__audit_grant(struct mon_audit_srv *s)
{
	if (s->n_grants == MONITOR_GRANTS_MAX) { /* the oldest goes */
		memmove(s->grants, s->grants + 1,
			(MONITOR_GRANTS_MAX - 1) * sizeof(s->grants[0]));
		s->n_grants--;
	}
	s->grants[s->n_grants++] = now_ms(s);
}

/* Spends the oldest grant still valid; expired ones are dropped. */
static bool
take_grant(struct mon_audit_srv *s)
{
	uint64_t now = now_ms(s);
	size_t i = 0;

	while (i < s->n_grants && now - s->grants[i] > MONITOR_GRANT_MS)
		i++;
	if (i == s->n_grants) {
		s->n_grants = 0;
		return false;
	}
	memmove(s->grants, s->grants + i + 1,
		(s->n_grants - i - 1) * sizeof(s->grants[0]));
	s->n_grants -= i + 1;
	return true;
}

bool
monitor__audit_any_authorized(const struct mon_audit_srv *s)
{
	for (size_t i = 0; i < s->n_open; i++)
		if (s->authorized[i])
			return true;
	return false;
}

void
monitor__audit_ended(struct mon_audit_srv *s, const char *how)
{
	char reason[96];

	snprintf(reason, sizeof(reason), "network process ended: %s", how);
	for (size_t i = 0; i < s->n_open && s->trail != NULL; i++) {
		int r = audit_session_close(s->trail, s->open[i], reason, 0, 0,
			NULL, NULL);

		if (r != 0)
			log_error_r(r, "audit: closing session %" PRId64,
				s->open[i]);
	}
	/* Nothing is owed to it any more. */
	monitor__audit_started(s, s->generation + 1);
}

void
monitor__audit_free(struct mon_audit_srv *s)
{
	free(s->open);
	s->open = NULL;
	free(s->authorized);
	s->authorized = NULL;
}

/* A session this network process opened (0 when allow0 and none). */
static bool
own(const struct mon_audit_srv *s, int64_t session, bool allow0)
{
	if (session == 0)
		return allow0;
	return s->first > 0 && session >= s->first && session <= s->last;
}

static bool
still_open(const struct mon_audit_srv *s, int64_t session, size_t *at)
{
	for (size_t i = 0; i < s->n_open; i++)
		if (s->open[i] == session) {
			*at = i;
			return true;
		}
	return false;
}

/* The answer owed for w (unless its network process has ended), then
 * w is freed. */
static void
answer(struct waiter *w, unsigned ev_type, int status, uint64_t v)
{
	struct mon_audit_srv *s = w->srv;
	struct mon_buf ev = { .len = 0 };

	if (w->generation == s->generation && s->waiting > 0) {
		s->waiting--;
		mon_put_u8(&ev, (uint8_t)ev_type);
		mon_put_u32(&ev, w->tag);
		mon_put_u32(&ev, (uint32_t)status);
		mon_put_u64(&ev, v);
		if (s->event != NULL)
			s->event(s->arg, &ev);
	}
	free(w);
}

static void
on_commit(void *arg, int status, int64_t seq)
{
	answer(arg, MON_EV_AUDIT_COMMIT, status, (uint64_t)seq);
}

static void
on_flush(void *arg, int status, uint64_t sent)
{
	answer(arg, MON_EV_AUDIT_FLUSH, status, sent);
}

/* The waiter for tag (NULL for tag 0); *r an error when none can be
 * made. */
static struct waiter *
waiter_new(struct mon_audit_srv *s, uint32_t tag, int *r)
{
	struct waiter *w;

	*r = 0;
	if (tag == 0)
		return NULL;
	if (s->waiting >= MONITOR_AUDIT_WAITING) {
		*r = OP_ERR_TOO_LARGE;
		return NULL;
	}
	if ((w = malloc(sizeof(*w))) == NULL) {
		*r = OP_ERR_NOMEM;
		return NULL;
	}
	*w = (struct waiter){ .srv = s, .generation = s->generation,
		.tag = tag };
	s->waiting++;
	return w;
}

/* The call took the waiter (0) or not: it is freed. */
static int
waiter_done(struct mon_audit_srv *s, struct waiter *w, int r)
{
	if (r != 0 && w != NULL) {
		s->waiting--;
		free(w);
	}
	return r;
}

/* A record may be written now (the rate), else it is counted lost. */
static bool
charge(struct mon_audit_srv *s, const char *type)
{
	if (monitor__bucket_take(&s->bucket, now_ms(s), MONITOR_AUDIT_PER_S,
		    MONITOR_AUDIT_BURST))
		return true;
	if ((s->bucket.refused - 1) % 1000 == 0)
		log_warn("monitor: the network process sends more than %d "
			 "audit records a second; refusing them (%" PRIu64
			 " so far)",
			MONITOR_AUDIT_PER_S, s->bucket.refused);
	audit_note_refused(s->trail, type,
		"the network process was over its audit record rate");
	return false;
}

static bool
event_type_known(const char *t)
{
	for (size_t i = 0; i < sizeof(event_types) / sizeof(event_types[0]);
		i++)
		if (strcmp(t, event_types[i]) == 0)
			return true;
	return false;
}

static int
malformed(struct mon_rd *in)
{
	in->bad = true;
	return OP_ERR_PROTO;
}

static int
serve_open(struct mon_audit_srv *s, struct mon_rd *in, struct mon_buf *out)
{
	struct mon_audit_scratch sc;
	struct audit_session_info info;
	struct waiter *w;
	bool defer;
	uint32_t tag;
	int64_t id = 0;
	int r;

	mon_get_audit_info(in, &info, &sc);
	defer = mon_get_u8(in) != 0;
	tag = mon_get_u32(in);
	if (!mon_rd_done(in) || (defer && tag != 0))
		return malformed(in);
	if (s->n_open >= MONITOR_AUDIT_SESSIONS)
		return OP_ERR_TOO_LARGE;
	if (!defer && !charge(s, "session.open"))
		return OP_ERR_TOO_LARGE;
	if ((w = waiter_new(s, tag, &r)) == NULL && r != 0)
		return r;
	r = defer ? audit_session_begin(s->trail, &info, &id) :
		    audit_session_open(s->trail, &info, &id,
			    w != NULL ? on_commit : NULL, w);
	if (waiter_done(s, w, r) != 0)
		return r;
	s->authorized[s->n_open] = false;
	s->open[s->n_open++] = id;
	if (s->first == 0)
		s->first = id;
	s->last = id;
	mon_put_u64(out, (uint64_t)id);
	return 0;
}

/* The requests about one session (type), after its id. */
static int
serve_session(struct mon_audit_srv *s, unsigned type, int64_t session,
	struct mon_rd *in, struct mon_buf *out)
{
	struct mon_audit_scratch sc;
	union {
		struct audit_auth auth;
		struct audit_denial den;
		struct audit_lockout_info lock;
	} u;
	char reason[AUDIT_TEXT_MAX + 1];
	const char *why = NULL;
	uint64_t bytes_in = 0, bytes_out = 0;
	struct waiter *w;
	uint32_t tag = 0;
	bool recorded;
	size_t at = 0;
	int r;

	switch (type) {
	case MON_AUDIT_AUTHORIZED:
		mon_get_audit_auth(in, &u.auth, &sc);
		break;
	case MON_AUDIT_DENIED:
		mon_get_audit_denial(in, &u.den, &sc);
		break;
	case MON_AUDIT_LOCKOUT:
		mon_get_audit_lockout(in, &u.lock, &sc);
		break;
	case MON_AUDIT_CLOSE:
		why = mon_get_audit_text(in, reason);
		bytes_in = mon_get_u64(in);
		bytes_out = mon_get_u64(in);
		break;
	}
	if (type != MON_AUDIT_LOGIN && type != MON_AUDIT_RECORDED)
		tag = mon_get_u32(in);
	if (!mon_rd_done(in) || session < 0)
		return malformed(in);
	if (!own(s, session, type == MON_AUDIT_DENIED ||
		    type == MON_AUDIT_LOCKOUT)) {
		log_warn("monitor: %s for session %" PRId64
			 ", which this network process did not open: refused",
			mon_type_name(type), session);
		return OP_ERR_PERM;
	}
	/* Only a login the monitor saw succeed may be authorized: a network
	 * process that was taken over cannot grant itself a session (and
	 * with it the user's desktop). */
	if (type == MON_AUDIT_AUTHORIZED && s->require_grant &&
		(!still_open(s, session, &at) || !take_grant(s))) {
		log_warn("monitor: session.authorized for session %" PRId64
			 " without an accepted password or consent: refused",
			session);
		return OP_ERR_DENIED;
	}
	recorded = audit_session_recorded(s->trail, session);
	if (type == MON_AUDIT_RECORDED) {
		mon_put_u8(out, recorded);
		return 0;
	}
	/* What writes a row costs a token, but a login that has nothing to
	 * write is free, and so is the one close of an open session: folded
	 * into the pre-auth summary, or one row for a session that paid. */
	if (!(type == MON_AUDIT_LOGIN && recorded) &&
		!(type == MON_AUDIT_CLOSE && still_open(s, session, &at) &&
			(recorded || tag == 0)) &&
		!charge(s, mon_type_name(type)))
		return OP_ERR_TOO_LARGE;
	if ((w = waiter_new(s, tag, &r)) == NULL && r != 0)
		return r;
	audit_commit_fn cb = w != NULL ? on_commit : NULL;
	switch (type) {
	case MON_AUDIT_LOGIN:
		r = audit_session_login(s->trail, session);
		break;
	case MON_AUDIT_AUTHORIZED:
		r = audit_authorized(s->trail, session, &u.auth, cb, w);
		if (r == 0 && still_open(s, session, &at))
			s->authorized[at] = true;
		break;
	case MON_AUDIT_DENIED:
		r = audit_denied(s->trail, session, &u.den, cb, w);
		break;
	case MON_AUDIT_LOCKOUT:
		r = audit_lockout(s->trail, session, &u.lock, cb, w);
		break;
	default: /* MON_AUDIT_CLOSE */
		r = audit_session_close(s->trail, session, why, bytes_in,
			bytes_out, cb, w);
		if (r == 0 && still_open(s, session, &at)) {
			s->n_open--;
			s->open[at] = s->open[s->n_open];
			s->authorized[at] = s->authorized[s->n_open];
		}
		break;
	}
	return waiter_done(s, w, r);
}

static int
serve_event(struct mon_audit_srv *s, struct mon_rd *in)
{
	char type[AUDIT_TYPE_MAX + 1];
	const uint8_t *fields;
	char *copy;
	size_t len;
	int64_t session = (int64_t)mon_get_u64(in);
	struct waiter *w;
	uint32_t tag;
	int r;

	mon_get_str(in, type, sizeof(type));
	mon_get_bytes(in, MONITOR_AUDIT_FIELDS_MAX, &fields, &len);
	tag = mon_get_u32(in);
	if (!mon_rd_done(in) || session < 0 ||
		(len > 0 && memchr(fields, '\0', len) != NULL))
		return malformed(in);
	/* Well-formed but not ours to allow: refused, not fatal (a type
	 * added to the daemon but not here must not end every network
	 * process that records it). */
	if (!event_type_known(type)) {
		char shown[AUDIT_TYPE_MAX * 4 + 1];

		if (s->forbidden++ % 1000 == 0)
			log_warn("monitor: audit-event of type %s refused: not "
				 "one the network process makes (%" PRIu64
				 " so far)",
				op_excerpt(type, strlen(type), AUDIT_TYPE_MAX,
					shown, sizeof(shown)),
				s->forbidden);
		return OP_ERR_PERM;
	}
	if (!own(s, session, true))
		return OP_ERR_PERM;
	if (!charge(s, type))
		return OP_ERR_TOO_LARGE;
	if ((copy = malloc(len + 1)) == NULL)
		return OP_ERR_NOMEM;
	memcpy(copy, fields, len);
	copy[len] = '\0';
	if ((w = waiter_new(s, tag, &r)) == NULL && r != 0) {
		free(copy);
		return r;
	}
	/* audit_event checks the JSON (strict, UTF-8, no NUL: a NUL inside
	 * ends the text early, and what is left must still be an object). */
	r = audit_event(s->trail, session, type, len > 0 ? copy : NULL,
		w != NULL ? on_commit : NULL, w);
	free(copy);
	return waiter_done(s, w, r);
}

static int
serve_other(struct mon_audit_srv *s, unsigned type, struct mon_rd *in,
	struct mon_buf *out)
{
	char source[AUDIT_TEXT_MAX + 1], detail[AUDIT_TEXT_MAX + 1];
	const char *src = NULL, *det = NULL;
	struct audit_status st;
	struct audit_fwd_stats fwd;
	struct waiter *w;
	bool ok = false;
	uint32_t tag = 0;
	int r;

	if (type == MON_AUDIT_CONFIG) {
		src = mon_get_audit_text(in, source);
		ok = mon_get_u8(in) != 0;
		det = mon_get_audit_text(in, detail);
	}
	if (type != MON_AUDIT_STATUS)
		tag = mon_get_u32(in);
	if (!mon_rd_done(in) || (type == MON_AUDIT_FLUSH && tag == 0))
		return malformed(in);
	if (type == MON_AUDIT_STATUS) {
		audit_status(s->trail, &st);
		audit_forward_stats(s->trail, &fwd);
		mon_put_audit_status(out, &st, &fwd);
		return 0;
	}
	if (type != MON_AUDIT_FLUSH && !charge(s, mon_type_name(type)))
		return OP_ERR_TOO_LARGE;
	if ((w = waiter_new(s, tag, &r)) == NULL && r != 0)
		return r;
	if (type == MON_AUDIT_CONFIG)
		r = audit_config_reload(s->trail, src, ok, det,
			w != NULL ? on_commit : NULL, w);
	else if (type == MON_AUDIT_PRUNE)
		r = audit_prune(s->trail, w != NULL ? on_commit : NULL, w);
	else
		r = audit_forward_flush(s->trail, on_flush, w);
	return waiter_done(s, w, r);
}

int
monitor__audit_serve(struct mon_audit_srv *s, unsigned type,
	struct mon_rd *in, struct mon_buf *out)
{
	int64_t session;

	if (s->trail == NULL)
		return OP_ERR_UNSUPPORTED;
	if (s->authorized == NULL &&
		(s->authorized = calloc(MONITOR_AUDIT_SESSIONS,
			 sizeof(*s->authorized))) == NULL)
		return OP_ERR_NOMEM;
	if (s->open == NULL &&
		(s->open = calloc(MONITOR_AUDIT_SESSIONS, sizeof(*s->open))) ==
			NULL)
		return OP_ERR_NOMEM;
	switch (type) {
	case MON_AUDIT_OPEN:
		return serve_open(s, in, out);
	case MON_AUDIT_EVENT:
		return serve_event(s, in);
	case MON_AUDIT_LOGIN:
	case MON_AUDIT_RECORDED:
	case MON_AUDIT_AUTHORIZED:
	case MON_AUDIT_DENIED:
	case MON_AUDIT_LOCKOUT:
	case MON_AUDIT_CLOSE:
		session = (int64_t)mon_get_u64(in);
		return serve_session(s, type, session, in, out);
	default:
		return serve_other(s, type, in, out);
	}
}
