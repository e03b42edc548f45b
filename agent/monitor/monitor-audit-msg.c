/* SPDX-License-Identifier: MIT */
/*
 * The fields of the MON_AUDIT_* requests (monitor-audit.h), both ways.
 * Readers mark the message bad for anything out of range: an enum past
 * its names, unknown permission bits, a text longer than AUDIT_TEXT_MAX
 * or with a NUL, an address of another family.
 */
#include "monitor/monitor-audit.h"

#include <string.h>

#include "core/netaddr.h"

enum { ADDR_NONE, ADDR_V4 = 4, ADDR_V6 = 6 };

void
mon_put_audit_text(struct mon_buf *w, const char *s)
{
	mon_put_u8(w, s != NULL);
	if (s != NULL)
		mon_put_bytes(w, s, strnlen(s, AUDIT_TEXT_MAX));
}

const char *
mon_get_audit_text(struct mon_rd *r, char out[static AUDIT_TEXT_MAX + 1])
{
	unsigned set = mon_get_u8(r);

	out[0] = '\0';
	if (set > 1)
		r->bad = true;
	if (set != 1)
		return NULL;
	mon_get_str(r, out, AUDIT_TEXT_MAX + 1);
	return out;
}

static void
put_addr(struct mon_buf *w, const struct sockaddr *sa)
{
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		mon_put_u8(w, ADDR_V4);
		mon_put_bytes(w, &in->sin_addr, 4);
		mon_put_u32(w, ntohs(in->sin_port));
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		mon_put_u8(w, ADDR_V6);
		mon_put_bytes(w, &in6->sin6_addr, 16);
		mon_put_u32(w, ntohs(in6->sin6_port));
	} else {
		mon_put_u8(w, ADDR_NONE);
	}
}

static const struct sockaddr *
get_addr(struct mon_rd *r, struct sockaddr_storage *ss)
{
	unsigned fam = mon_get_u8(r);
	uint32_t port;

	memset(ss, 0, sizeof(*ss));
	if (fam == ADDR_V4) {
		struct sockaddr_in *in = (void *)ss;

		in->sin_family = AF_INET;
		mon_get_fixed(r, &in->sin_addr, 4);
		port = mon_get_u32(r);
		in->sin_port = htons((uint16_t)port);
	} else if (fam == ADDR_V6) {
		struct sockaddr_in6 *in6 = (void *)ss;

		in6->sin6_family = AF_INET6;
		mon_get_fixed(r, &in6->sin6_addr, 16);
		port = mon_get_u32(r);
		in6->sin6_port = htons((uint16_t)port);
	} else {
		if (fam != ADDR_NONE)
			r->bad = true;
		return NULL;
	}
	if (port > 0xffff)
		r->bad = true;
	return (const struct sockaddr *)ss;
}

/* An enum of at most max. */
static unsigned
get_enum(struct mon_rd *r, unsigned max)
{
	unsigned v = mon_get_u8(r);

	if (v > max)
		r->bad = true;
	return v;
}

void
mon_put_audit_info(struct mon_buf *w, const struct audit_session_info *i)
{
	mon_put_audit_text(w, i->peer_id);
	mon_put_audit_text(w, i->peer_name);
	put_addr(w, i->source);
	mon_put_u8(w, (uint8_t)i->path);
	mon_put_u8(w, i->encrypted);
}

void
mon_get_audit_info(struct mon_rd *r, struct audit_session_info *out,
	struct mon_audit_scratch *sc)
{
	out->peer_id = mon_get_audit_text(r, sc->text[0]);
	out->peer_name = mon_get_audit_text(r, sc->text[1]);
	out->source = get_addr(r, &sc->source);
	out->path = (enum audit_path)get_enum(r, AUDIT_PATH_CLIENT_RELAY);
	out->encrypted = get_enum(r, 1) != 0;
}

void
mon_put_audit_auth(struct mon_buf *w, const struct audit_auth *a)
{
	mon_put_audit_text(w, a->peer_id);
	mon_put_audit_text(w, a->peer_name);
	mon_put_u8(w, (uint8_t)a->kind);
	mon_put_u8(w, (uint8_t)a->method);
	mon_put_u8(w, (uint8_t)a->consent);
	mon_put_u32(w, a->permissions);
	mon_put_u8(w, a->encrypted);
	mon_put_u64(w, a->client_session_id);
}

void
mon_get_audit_auth(struct mon_rd *r, struct audit_auth *out,
	struct mon_audit_scratch *sc)
{
	out->peer_id = mon_get_audit_text(r, sc->text[0]);
	out->peer_name = mon_get_audit_text(r, sc->text[1]);
	out->kind = (enum audit_conn_type)get_enum(r, AUDIT_CONN_TERMINAL);
	out->method = (enum audit_auth_method)get_enum(r,
		AUDIT_AUTH_SWITCH_SIDES);
	out->consent = (enum audit_consent)get_enum(r, AUDIT_CONSENT_TIMEOUT);
	out->permissions = mon_get_u32(r);
	if (out->permissions >> AUDIT_PERM_COUNT != 0)
		r->bad = true;
	out->encrypted = get_enum(r, 1) != 0;
	out->client_session_id = mon_get_u64(r);
}

void
mon_put_audit_denial(struct mon_buf *w, const struct audit_denial *d)
{
	mon_put_audit_text(w, d->reason);
	mon_put_audit_text(w, d->message);
	mon_put_audit_text(w, d->peer_id);
	mon_put_audit_text(w, d->peer_name);
	mon_put_u8(w, (uint8_t)d->method);
}

void
mon_get_audit_denial(struct mon_rd *r, struct audit_denial *out,
	struct mon_audit_scratch *sc)
{
	out->reason = mon_get_audit_text(r, sc->text[0]);
	out->message = mon_get_audit_text(r, sc->text[1]);
	out->peer_id = mon_get_audit_text(r, sc->text[2]);
	out->peer_name = mon_get_audit_text(r, sc->text[3]);
	out->method = (enum audit_auth_method)get_enum(r,
		AUDIT_AUTH_SWITCH_SIDES);
}

void
mon_put_audit_lockout(struct mon_buf *w, const struct audit_lockout_info *l)
{
	mon_put_audit_text(w, l->scope);
	mon_put_audit_text(w, l->key);
	mon_put_u32(w, l->failures);
	mon_put_u32(w, l->duration_s);
}

void
mon_get_audit_lockout(struct mon_rd *r, struct audit_lockout_info *out,
	struct mon_audit_scratch *sc)
{
	out->scope = mon_get_audit_text(r, sc->text[0]);
	out->key = mon_get_audit_text(r, sc->text[1]);
	out->failures = mon_get_u32(r);
	out->duration_s = mon_get_u32(r);
}

void
mon_put_audit_status(struct mon_buf *w, const struct audit_status *s,
	const struct audit_fwd_stats *f)
{
	mon_put_u64(w, s->size_bytes);
	mon_put_u64(w, s->max_size_bytes);
	mon_put_u8(w, s->size_warning);
	mon_put_u64(w, s->pending);
	mon_put_u8(w, s->retrying);
	mon_put_u64(w, s->lost);
	mon_put_u64(w, s->preauth_folded);
	mon_put_u64(w, f->sent);
	mon_put_u64(w, f->failures);
	mon_put_str(w, f->last_error);
}

void
mon_get_audit_status(struct mon_rd *r, struct audit_status *s,
	struct audit_fwd_stats *f)
{
	s->size_bytes = mon_get_u64(r);
	s->max_size_bytes = mon_get_u64(r);
	s->size_warning = mon_get_u8(r) != 0;
	s->pending = mon_get_u64(r);
	s->retrying = mon_get_u8(r) != 0;
	s->lost = mon_get_u64(r);
	s->preauth_folded = mon_get_u64(r);
	f->sent = mon_get_u64(r);
	f->failures = mon_get_u64(r);
	mon_get_str(r, f->last_error, sizeof(f->last_error));
}
