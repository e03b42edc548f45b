/* SPDX-License-Identifier: MIT */
/*
 * The typed records: each call turns its caller's facts into the event's
 * fields JSON (strings escaped and cut at AUDIT_TEXT_MAX bytes), a
 * sanitised sentence for the journal, and for session open /
 * authorization / close the §15 body to forward; then queues it through
 * audit__rec_submit (audit.c). Keeps a small table of open sessions so
 * that later records carry the peer and source for the journal and the
 * client's session_id for §15. Loop thread only; copies everything, keeps
 * no caller pointers.
 */
#include "audit/audit-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/netaddr.h"

static struct audit_sess *
sess_find(struct audit *a, int64_t id)
{
	struct audit_sess *s;

	TAILQ_FOREACH(s, &a->sessions, link)
		if (s->id == id)
			return s;
	return NULL;
}

/* "1.2.3.4:5" / "[::1]:5" into source, "1.2.3.4" into ip. */
static void
format_addr(const struct sockaddr *sa, char *source, size_t ssize, char *ip,
	size_t isize)
{
	char host[INET6_ADDRSTRLEN] = "";
	unsigned port = 0;

	source[0] = ip[0] = '\0';
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		uv_ip4_name(in, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(source, ssize, "%s:%u", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		port = ntohs(in6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			const uint8_t *b = in6->sin6_addr.s6_addr + 12;

			snprintf(host, sizeof(host), "%u.%u.%u.%u", b[0], b[1],
				b[2], b[3]);
			snprintf(source, ssize, "%s:%u", host, port);
		} else {
			uv_ip6_name(in6, host, sizeof(host));
			snprintf(source, ssize, "[%s]:%u", host, port);
		}
	} else {
		return;
	}
	snprintf(ip, isize, "%s", host);
}

static size_t
textlen(const char *s)
{
	return s != NULL ? strnlen(s, AUDIT_TEXT_MAX) : 0;
}

/* ,"key":"text" (cut at AUDIT_TEXT_MAX bytes); nothing for NULL. */
static void
put_text(struct audit_buf *b, const char *key, const char *s)
{
	if (s == NULL)
		return;
	audit__buf_printf(b, ",\"%s\":", key);
	audit__buf_json_str(b, s, textlen(s));
}

/* " peer 123456789 "name"" for sentences, sanitised. */
static void
put_peer_words(struct audit_buf *m, const char *id, const char *name)
{
	char t[AUDIT_TEXT_MAX];

	if (id == NULL || id[0] == '\0')
		return;
	audit__sanitize(t, sizeof(t), id, textlen(id));
	audit__buf_printf(m, " peer %s", t);
	if (name != NULL && name[0] != '\0') {
		audit__sanitize(t, sizeof(t), name, textlen(name));
		audit__buf_printf(m, " \"%s\"", t);
	}
}

/* Builds the session.open record of the next session id (not queued). */
static int
build_open(struct audit *a, const struct audit_session_info *info,
	struct audit_rec **out, char ip[48])
{
	struct audit_buf f, m, fwd;
	char source[64];
	struct audit_rec *r;
	int e;

	*out = NULL;
	if ((r = audit__rec_new(a->next_session, "session.open", 6)) == NULL)
		return OP_ERR_NOMEM;
	format_addr(info->source, source, sizeof(source), ip, 48);
	audit__buf_init(&f, AUDIT_FIELDS_MAX);
	audit__buf_init(&m, 1024);
	audit__buf_init(&fwd, AUDIT_FWD_BODY_MAX);
	audit__buf_puts(&f, "{\"source\":");
	audit__buf_json_cstr(&f, source);
	audit__buf_puts(&f, ",\"ip\":");
	audit__buf_json_cstr(&f, ip);
	audit__buf_printf(&f, ",\"path\":\"%s\",\"encrypted\":%s",
		audit_path_name(info->path),
		info->encrypted ? "true" : "false");
	put_text(&f, "peer_id", info->peer_id);
	put_text(&f, "peer_name", info->peer_name);
	audit__buf_puts(&f, "}");
	audit__buf_printf(&m, "session %" PRId64 " opened from %s via %s (%s)",
		r->session, source[0] ? source : "an unknown address",
		audit_path_name(info->path),
		info->encrypted ? "encrypted" : "not encrypted yet");
	put_peer_words(&m, info->peer_id, info->peer_name);
	audit__fwd_body_start(a, &fwd, r->session, 0);
	audit__buf_puts(&fwd, ",\"action\":\"new\",\"ip\":");
	audit__buf_json_cstr(&fwd, ip);
	audit__buf_puts(&fwd, "}");
	snprintf(r->source, sizeof(r->source), "%s", source);
	audit__sanitize(r->peer, sizeof(r->peer), info->peer_id,
		textlen(info->peer_id));
	if ((e = audit__rec_take(a, r, &f, &m, &fwd)) != 0)
		return e;
	*out = r;
	return 0;
}

/* Opens a session: its record queued now, or kept in the table until the
 * connection reaches a login attempt (defer). */
static int
session_open(struct audit *a, const struct audit_session_info *info,
	bool defer, int64_t *id, audit_commit_fn cb, void *arg)
{
	struct audit_rec *r = NULL;
	struct audit_sess *s = NULL;
	char ip[48];
	int e;

	AUDIT_REMOTE(a, open(a->remote_ctx, info, defer, id, cb, arg));
	*id = 0;
	if ((e = audit__check_open(a, "session.open")) != 0)
		return e;
	if ((e = build_open(a, info, &r, ip)) != 0)
		return e;
	if (a->n_sessions < AUDIT_SESSIONS_MAX &&
		(s = calloc(1, sizeof(*s))) != NULL) {
		s->id = a->next_session;
		memcpy(s->source, r->source, sizeof(s->source));
		memcpy(s->peer, r->peer, sizeof(s->peer));
		memcpy(s->ip, ip, sizeof(s->ip));
		s->path = info->path;
		TAILQ_INSERT_TAIL(&a->sessions, s, link);
		a->n_sessions++;
	}
	/* Without a table entry there is nothing to defer it in: write it,
	 * nothing is lost. */
	if (defer && s != NULL)
		s->deferred = r;
	else
		audit__rec_queue(a, r, cb, arg);
	*id = a->next_session++;
	return 0;
}

int
audit_session_open(struct audit *a, const struct audit_session_info *info,
	int64_t *id, audit_commit_fn cb, void *arg)
{
	return session_open(a, info, false, id, cb, arg);
}

int
audit_session_begin(struct audit *a, const struct audit_session_info *info,
	int64_t *id)
{
	return session_open(a, info, true, id, NULL, NULL);
}

/* Queues a deferred session.open: the session is recorded in full. */
static void
materialize(struct audit *a, struct audit_sess *s)
{
	struct audit_rec *r = s != NULL ? s->deferred : NULL;

	if (r == NULL)
		return;
	s->deferred = NULL;
	audit__rec_queue(a, r, NULL, NULL);
}

int
audit_session_login(struct audit *a, int64_t session)
{
	struct audit_sess *s;

	AUDIT_REMOTE(a, login(a->remote_ctx, session));
	if (a == NULL || a->closing)
		return OP_ERR_STATE;
	if ((s = sess_find(a, session)) == NULL)
		return OP_ERR_NOT_FOUND;
	materialize(a, s);
	return 0;
}

bool
audit_session_recorded(const struct audit *a, int64_t session)
{
	const struct audit_sess *s;

	if (a == NULL)
		return false;
	if (a->remote != NULL)
		return !a->closing &&
			a->remote->recorded(a->remote_ctx, session);
	TAILQ_FOREACH(s, &a->sessions, link)
		if (s->id == session)
			return s->deferred == NULL;
	/* Forgotten (closed) or never deferred: written as given. */
	return true;
}

/* Copies what the session table knows into r (journal fields). */
static struct audit_sess *
sess_fill(struct audit *a, struct audit_rec *r, const char *peer_id)
{
	struct audit_sess *s = r->session > 0 ? sess_find(a, r->session) : NULL;

	/* Any record about a deferred session means it got as far as a
	 * login attempt (or the caller wants it known): its open first. */
	materialize(a, s);
	if (peer_id != NULL && peer_id[0] != '\0')
		audit__sanitize(r->peer, sizeof(r->peer), peer_id,
			textlen(peer_id));
	else if (s != NULL)
		memcpy(r->peer, s->peer, sizeof(r->peer));
	if (s != NULL)
		memcpy(r->source, s->source, sizeof(r->source));
	return s;
}

static int
primary_auth(enum audit_auth_method m)
{
	switch (m) {
	case AUDIT_AUTH_CLICK:
		return 1;
	case AUDIT_AUTH_ONE_TIME_PASSWORD:
		return 2;
	case AUDIT_AUTH_PERMANENT_PASSWORD:
		return 3;
	case AUDIT_AUTH_SWITCH_SIDES:
		return 4;
	default:
		return 0;
	}
}

int
audit_authorized(struct audit *a, int64_t session,
	const struct audit_auth *au, audit_commit_fn cb, void *arg)
{
	struct audit_buf f, m, fwd;
	struct audit_rec *r;
	struct audit_sess *s;
	bool first = true;
	int e;

	AUDIT_REMOTE(a, authorized(a->remote_ctx, session, au, cb, arg));
	if ((e = audit__check_open(a, "session.authorized")) != 0)
		return e;
	if ((r = audit__rec_new(session, "session.authorized", 5)) == NULL)
		return OP_ERR_NOMEM;
	r->no_retry = true; /* write-ahead: the caller waits, then refuses */
	s = sess_fill(a, r, au->peer_id);
	audit__buf_init(&f, AUDIT_FIELDS_MAX);
	audit__buf_init(&m, 1024);
	audit__buf_init(&fwd, AUDIT_FWD_BODY_MAX);
	audit__buf_printf(&f, "{\"kind\":\"%s\"",
		audit_conn_type_name(au->kind));
	put_text(&f, "peer_id", au->peer_id);
	put_text(&f, "peer_name", au->peer_name);
	audit__buf_printf(&f,
		",\"auth_method\":\"%s\",\"consent\":\"%s\",\"permissions\":[",
		audit_auth_method_name(au->method),
		audit_consent_name(au->consent));
	audit__buf_printf(&m,
		"session %" PRId64 " authorized (%s, %s, consent %s,"
		" permissions ",
		session, audit_conn_type_name(au->kind),
		audit_auth_method_name(au->method),
		audit_consent_name(au->consent));
	for (unsigned i = 0; i < AUDIT_PERM_COUNT; i++) {
		if (!(au->permissions & (1u << i)))
			continue;
		audit__buf_printf(&f, "%s\"%s\"", first ? "" : ",",
			audit_perm_name(i));
		audit__buf_printf(&m, "%s%s", first ? "" : ",",
			audit_perm_name(i));
		first = false;
	}
	if (first)
		audit__buf_puts(&m, "none");
	audit__buf_printf(&f,
		"],\"encrypted\":%s,\"client_session_id\":%" PRIu64 "}",
		au->encrypted ? "true" : "false", au->client_session_id);
	audit__buf_puts(&m, ")");
	put_peer_words(&m, au->peer_id, au->peer_name);
	audit__fwd_body_start(a, &fwd, session, au->client_session_id);
	audit__buf_puts(&fwd, ",\"peer\":[");
	audit__buf_json_str(&fwd, au->peer_id != NULL ? au->peer_id : "",
		textlen(au->peer_id));
	audit__buf_puts(&fwd, ",");
	audit__buf_json_str(&fwd, au->peer_name != NULL ? au->peer_name : "",
		textlen(au->peer_name));
	audit__buf_printf(&fwd, "],\"type\":%d", (int)au->kind);
	if (primary_auth(au->method) != 0)
		audit__buf_printf(&fwd, ",\"primary_auth\":%d",
			primary_auth(au->method));
	audit__buf_puts(&fwd, "}");
	if ((e = audit__rec_submit(a, r, &f, &m, &fwd, cb, arg)) != 0)
		return e;
	if (s != NULL) {
		s->client_sid = au->client_session_id;
		if (au->peer_id != NULL && au->peer_id[0] != '\0')
			audit__sanitize(s->peer, sizeof(s->peer), au->peer_id,
				textlen(au->peer_id));
	}
	return 0;
}

int
audit_denied(struct audit *a, int64_t session, const struct audit_denial *d,
	audit_commit_fn cb, void *arg)
{
	struct audit_buf f, m;
	struct audit_rec *r;
	char t[AUDIT_TEXT_MAX];
	int e;

	AUDIT_REMOTE(a, denied(a->remote_ctx, session, d, cb, arg));
	if ((e = audit__check_open(a, "session.denied")) != 0)
		return e;
	if ((r = audit__rec_new(session, "session.denied", 4)) == NULL)
		return OP_ERR_NOMEM;
	(void)sess_fill(a, r, d->peer_id);
	audit__buf_init(&f, AUDIT_FIELDS_MAX);
	audit__buf_init(&m, 1024);
	audit__buf_puts(&f, "{\"reason\":");
	audit__buf_json_str(&f, d->reason != NULL ? d->reason : "unspecified",
		d->reason != NULL ? textlen(d->reason) : 11);
	put_text(&f, "message", d->message);
	put_text(&f, "peer_id", d->peer_id);
	put_text(&f, "peer_name", d->peer_name);
	audit__buf_printf(&f, ",\"auth_method\":\"%s\"}",
		audit_auth_method_name(d->method));
	audit__sanitize(t, sizeof(t), d->reason, textlen(d->reason));
	audit__buf_printf(&m, "session %" PRId64 " denied: %s", session,
		t[0] ? t : "unspecified");
	put_peer_words(&m, d->peer_id, d->peer_name);
	if (r->source[0] != '\0')
		audit__buf_printf(&m, " from %s", r->source);
	return audit__rec_submit(a, r, &f, &m, NULL, cb, arg);
}

int
audit_lockout(struct audit *a, int64_t session,
	const struct audit_lockout_info *l, audit_commit_fn cb, void *arg)
{
	struct audit_buf f, m;
	struct audit_rec *r;
	char scope[32], key[AUDIT_TEXT_MAX];
	int e;

	AUDIT_REMOTE(a, lockout(a->remote_ctx, session, l, cb, arg));
	if ((e = audit__check_open(a, "session.lockout")) != 0)
		return e;
	if ((r = audit__rec_new(session, "session.lockout", 4)) == NULL)
		return OP_ERR_NOMEM;
	(void)sess_fill(a, r, NULL);
	audit__buf_init(&f, AUDIT_FIELDS_MAX);
	audit__buf_init(&m, 1024);
	audit__buf_puts(&f, "{\"scope\":");
	audit__buf_json_str(&f, l->scope != NULL ? l->scope : "",
		textlen(l->scope));
	put_text(&f, "key", l->key);
	audit__buf_printf(&f, ",\"failures\":%u,\"duration_s\":%u}",
		l->failures, l->duration_s);
	audit__sanitize(scope, sizeof(scope), l->scope, textlen(l->scope));
	audit__sanitize(key, sizeof(key), l->key, textlen(l->key));
	audit__buf_printf(&m, "lockout of %s %s for %u s after %u failures",
		scope, key, l->duration_s, l->failures);
	if (strcmp(scope, "source") == 0)
		snprintf(r->source, sizeof(r->source), "%s", key);
	else if (strcmp(scope, "peer") == 0)
		snprintf(r->peer, sizeof(r->peer), "%s", key);
	return audit__rec_submit(a, r, &f, &m, NULL, cb, arg);
}

int
audit_session_close(struct audit *a, int64_t session, const char *reason,
	uint64_t bytes_in, uint64_t bytes_out, audit_commit_fn cb, void *arg)
{
	struct audit_buf f, m, fwd;
	struct audit_rec *r;
	struct audit_sess *s;
	char t[AUDIT_TEXT_MAX];
	int e;

	AUDIT_REMOTE(a, close(a->remote_ctx, session, reason, bytes_in,
				bytes_out, cb, arg));
	if ((e = audit__check_open(a, "session.close")) != 0)
		return e;
	s = session > 0 ? sess_find(a, session) : NULL;
	if (s != NULL && s->deferred != NULL && cb == NULL) {
		/* Never tried to log in: counted, not recorded. */
		audit__preauth_fold(a, s, reason, bytes_in, bytes_out);
		TAILQ_REMOVE(&a->sessions, s, link);
		a->n_sessions--;
		free(s);
		return 0;
	}
	if ((r = audit__rec_new(session, "session.close", 6)) == NULL)
		return OP_ERR_NOMEM;
	s = sess_fill(a, r, NULL);
	audit__buf_init(&f, AUDIT_FIELDS_MAX);
	audit__buf_init(&m, 1024);
	audit__buf_init(&fwd, AUDIT_FWD_BODY_MAX);
	audit__buf_puts(&f, "{\"reason\":");
	audit__buf_json_str(&f, reason != NULL ? reason : "", textlen(reason));
	audit__buf_printf(&f,
		",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64 "}",
		bytes_in, bytes_out);
	audit__sanitize(t, sizeof(t), reason, textlen(reason));
	audit__buf_printf(&m,
		"session %" PRId64 " closed (%s), %" PRIu64
		" bytes in, %" PRIu64 " out",
		session, t[0] ? t : "no reason given", bytes_in, bytes_out);
	audit__fwd_body_start(a, &fwd, session, s != NULL ? s->client_sid : 0);
	audit__buf_puts(&fwd, ",\"action\":\"close\"}");
	if ((e = audit__rec_submit(a, r, &f, &m, &fwd, cb, arg)) != 0)
		return e;
	if (s != NULL) {
		TAILQ_REMOVE(&a->sessions, s, link);
		a->n_sessions--;
		free(s);
	}
	return 0;
}

static bool
type_valid(const char *t)
{
	size_t n = t != NULL ? strnlen(t, AUDIT_TYPE_MAX + 1) : 0;

	if (n == 0 || n > AUDIT_TYPE_MAX || t[0] < 'a' || t[0] > 'z' ||
		strncmp(t, "audit.", 6) == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') ||
			    (t[i] >= '0' && t[i] <= '9') || t[i] == '.' ||
			    t[i] == '_' || t[i] == '-'))
			return false;
	return true;
}

int
audit_event(struct audit *a, int64_t session, const char *type,
	const char *fields, audit_commit_fn cb, void *arg)
{
	struct audit_buf f, m;
	struct audit_rec *r;
	size_t n = fields != NULL ? strnlen(fields, AUDIT_FIELDS_MAX + 1) : 2;
	int e;

	AUDIT_REMOTE(a, event(a->remote_ctx, session, type, fields, cb, arg));
	if ((e = audit__check_open(a, type_valid(type) ? type : "other")) !=
		0)
		return e;
	if (!type_valid(type) || n > AUDIT_FIELDS_MAX ||
		(fields != NULL && !audit__json_is_object(fields, n)))
		return OP_ERR_RANGE;
	if ((r = audit__rec_new(session, type, 5)) == NULL)
		return OP_ERR_NOMEM;
	(void)sess_fill(a, r, NULL);
	audit__buf_init(&f, AUDIT_FIELDS_MAX);
	audit__buf_init(&m, AUDIT_FIELDS_MAX + 256);
	audit__buf_puts(&f, fields != NULL ? fields : "{}");
	if (session > 0)
		audit__buf_printf(&m, "session %" PRId64 ": ", session);
	audit__buf_printf(&m, "%s %s", type, fields != NULL ? fields : "{}");
	return audit__rec_submit(a, r, &f, &m, NULL, cb, arg);
}

int
audit_config_reload(struct audit *a, const char *source, bool ok,
	const char *detail, audit_commit_fn cb, void *arg)
{
	struct audit_buf f, m;
	struct audit_rec *r;
	char t[AUDIT_TEXT_MAX];
	int e;

	AUDIT_REMOTE(a, config_reload(a->remote_ctx, source, ok, detail,
				cb, arg));
	if ((e = audit__check_open(a, "config.reload")) != 0)
		return e;
	if ((r = audit__rec_new(0, "config.reload", ok ? 5 : 4)) == NULL)
		return OP_ERR_NOMEM;
	audit__buf_init(&f, AUDIT_FIELDS_MAX);
	audit__buf_init(&m, 1024);
	audit__buf_puts(&f, "{\"source\":");
	audit__buf_json_str(&f, source != NULL ? source : "", textlen(source));
	audit__buf_printf(&f, ",\"ok\":%s", ok ? "true" : "false");
	put_text(&f, "detail", detail);
	audit__buf_puts(&f, "}");
	audit__sanitize(t, sizeof(t), source, textlen(source));
	audit__buf_printf(&m, "configuration %s %s", t,
		ok ? "reloaded" : "invalid: kept the running one");
	return audit__rec_submit(a, r, &f, &m, NULL, cb, arg);
}
