/* SPDX-License-Identifier: MIT */
#include "monitor/monitor-msg.h"

#include <string.h>

const char *
mon_type_name(unsigned type)
{
	static const char *const names[MON_TYPE_END] = {
		[MON_HELLO] = "hello",
		[MON_SIGN_ID] = "sign-id",
		[MON_CHECK_PROOF] = "check-proof",
		[MON_NEW_OTP] = "new-otp",
		[MON_RELOAD_PASSWORD] = "reload-password",
		[MON_RELOAD_IDENTITY] = "reload-identity",
		[MON_PRINT_OTP] = "print-otp",
		[MON_CONNECT_USER] = "connect-user",
		[MON_X11_COOKIE] = "x11-cookie",
		[MON_RELOAD_CONFIG] = "reload-config",
		[MON_FIND_USER] = "find-user",
		[MON_LOCK_SESSION] = "lock-session",
		[MON_CTL_LISTEN] = "ctl-listen",
		[MON_NOTIFY] = "notify",
		[MON_EVENTS] = "events",
		[MON_CONSENT_ASK] = "consent-ask",
		[MON_CONSENT_CANCEL] = "consent-cancel",
		[MON_VD_START] = "vd-start",
		[MON_VD_STOP] = "vd-stop",
		[MON_CONFIG] = "config",
		[MON_TERM_OPEN] = "term-open",
		[MON_TERM_HANGUP] = "term-hangup",
		[MON_AUDIT_OPEN] = "audit-open",
		[MON_AUDIT_LOGIN] = "audit-login",
		[MON_AUDIT_RECORDED] = "audit-recorded",
		[MON_AUDIT_AUTHORIZED] = "audit-authorized",
		[MON_AUDIT_DENIED] = "audit-denied",
		[MON_AUDIT_LOCKOUT] = "audit-lockout",
		[MON_AUDIT_CLOSE] = "audit-close",
		[MON_AUDIT_EVENT] = "audit-event",
		[MON_AUDIT_CONFIG] = "audit-config",
		[MON_AUDIT_PRUNE] = "audit-prune",
		[MON_AUDIT_FLUSH] = "audit-flush",
		[MON_AUDIT_STATUS] = "audit-status",
		[MON_PROXY_PASSWORD] = "proxy-password",
		[MON_USER_SOCKET] = "user-socket",
		[MON_SECURE_ATTENTION] = "secure-attention",
	};

	return type < MON_TYPE_END && names[type] != NULL ? names[type] :
							    "unknown";
}

static uint8_t *
reserve(struct mon_buf *w, size_t n)
{
	uint8_t *p;

	if (w->overflow || n > sizeof(w->b) - w->len) {
		w->overflow = true;
		return NULL;
	}
	p = w->b + w->len;
	w->len += n;
	return p;
}

void
mon_put_u8(struct mon_buf *w, uint8_t v)
{
	uint8_t *p = reserve(w, 1);

	if (p != NULL)
		p[0] = v;
}

void
mon_put_u32(struct mon_buf *w, uint32_t v)
{
	uint8_t *p = reserve(w, 4);

	if (p != NULL) {
		p[0] = (uint8_t)(v >> 24);
		p[1] = (uint8_t)(v >> 16);
		p[2] = (uint8_t)(v >> 8);
		p[3] = (uint8_t)v;
	}
}

void
mon_put_u64(struct mon_buf *w, uint64_t v)
{
	mon_put_u32(w, (uint32_t)(v >> 32));
	mon_put_u32(w, (uint32_t)v);
}

void
mon_put_bytes(struct mon_buf *w, const void *src, size_t len)
{
	uint8_t *p;

	if (len > 0xffff) {
		w->overflow = true;
		return;
	}
	if ((p = reserve(w, 2 + len)) == NULL)
		return;
	p[0] = (uint8_t)(len >> 8);
	p[1] = (uint8_t)len;
	if (len > 0)
		memcpy(p + 2, src, len);
}

void
mon_put_str(struct mon_buf *w, const char *s)
{
	mon_put_bytes(w, s, strlen(s));
}

void
mon_rd_init(struct mon_rd *r, const void *p, size_t len)
{
	r->p = p;
	r->left = len;
	r->bad = false;
}

static const uint8_t *
take(struct mon_rd *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || n > r->left) {
		r->bad = true;
		return NULL;
	}
	p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

uint8_t
mon_get_u8(struct mon_rd *r)
{
	const uint8_t *p = take(r, 1);

	return p != NULL ? p[0] : 0;
}

uint32_t
mon_get_u32(struct mon_rd *r)
{
	const uint8_t *p = take(r, 4);

	return p != NULL ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			(uint32_t)p[2] << 8 | p[3] :
			   0;
}

uint64_t
mon_get_u64(struct mon_rd *r)
{
	uint64_t hi = mon_get_u32(r);

	return hi << 32 | mon_get_u32(r);
}

void
mon_get_bytes(struct mon_rd *r, size_t max, const uint8_t **out, size_t *len)
{
	const uint8_t *h = take(r, 2);
	size_t n = h != NULL ? (size_t)h[0] << 8 | h[1] : 0;

	*out = NULL;
	*len = 0;
	if (h == NULL)
		return;
	if (n > max) {
		r->bad = true;
		return;
	}
	if ((*out = take(r, n)) != NULL)
		*len = n;
}

void
mon_get_fixed(struct mon_rd *r, void *out, size_t len)
{
	const uint8_t *p;
	size_t n;

	mon_get_bytes(r, len, &p, &n);
	if (!r->bad && n != len)
		r->bad = true;
	if (r->bad)
		memset(out, 0, len);
	else
		memcpy(out, p, len);
}

void
mon_get_str(struct mon_rd *r, char *out, size_t cap)
{
	const uint8_t *p;
	size_t n;

	mon_get_bytes(r, cap - 1, &p, &n);
	if (!r->bad && memchr(p, '\0', n) != NULL)
		r->bad = true;
	if (r->bad) {
		out[0] = '\0';
		return;
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

bool
mon_rd_done(const struct mon_rd *r)
{
	return !r->bad && r->left == 0;
}

void
mon_put_identity(struct mon_buf *w, const struct mon_identity *id)
{
	mon_put_u32(w, id->generation);
	mon_put_str(w, id->id);
	mon_put_u8(w, id->id_custom);
	mon_put_str(w, id->uuid);
	mon_put_bytes(w, id->pk, sizeof(id->pk));
	mon_put_str(w, id->salt);
	mon_put_u8(w, id->has_password);
	mon_put_str(w, id->previous);
}

void
mon_get_identity(struct mon_rd *r, struct mon_identity *out)
{
	out->generation = mon_get_u32(r);
	mon_get_str(r, out->id, sizeof(out->id));
	out->id_custom = mon_get_u8(r) != 0;
	mon_get_str(r, out->uuid, sizeof(out->uuid));
	mon_get_fixed(r, out->pk, sizeof(out->pk));
	mon_get_str(r, out->salt, sizeof(out->salt));
	out->has_password = mon_get_u8(r) != 0;
	mon_get_str(r, out->previous, sizeof(out->previous));
	if (out->id[0] == '\0')
		r->bad = true;
}

void
mon_put_consent(struct mon_buf *w, const struct mon_consent *c)
{
	mon_put_str(w, c->peer_id);
	mon_put_str(w, c->peer_name);
	mon_put_str(w, c->source);
	mon_put_str(w, c->kind);
	mon_put_str(w, c->permissions);
	mon_put_u32(w, c->timeout_ms);
}

void
mon_get_consent(struct mon_rd *r, struct mon_consent *out)
{
	mon_get_str(r, out->peer_id, sizeof(out->peer_id));
	mon_get_str(r, out->peer_name, sizeof(out->peer_name));
	mon_get_str(r, out->source, sizeof(out->source));
	mon_get_str(r, out->kind, sizeof(out->kind));
	mon_get_str(r, out->permissions, sizeof(out->permissions));
	out->timeout_ms = mon_get_u32(r);
}

void
mon_put_term_open(struct mon_buf *w, const struct mon_term_open *t)
{
	mon_put_u32(w, (uint32_t)t->terminal_id);
	mon_put_u64(w, (uint64_t)t->session_tag);
	mon_put_u32(w, t->rows);
	mon_put_u32(w, t->cols);
}

void
mon_get_term_open(struct mon_rd *r, struct mon_term_open *out)
{
	out->terminal_id = (int32_t)mon_get_u32(r);
	out->session_tag = (int64_t)mon_get_u64(r);
	out->rows = mon_get_u32(r);
	out->cols = mon_get_u32(r);
}

void
mon_put_term_shell(struct mon_buf *w, const struct mon_term_shell *s)
{
	mon_put_u32(w, s->handle);
	mon_put_u32(w, s->pid);
	mon_put_str(w, s->tty);
	mon_put_str(w, s->user);
	mon_put_u8(w, s->tty_chowned);
	mon_put_str(w, s->typescript);
	mon_put_str(w, s->msg);
}

void
mon_get_term_shell(struct mon_rd *r, struct mon_term_shell *out)
{
	out->handle = mon_get_u32(r);
	out->pid = mon_get_u32(r);
	mon_get_str(r, out->tty, sizeof(out->tty));
	mon_get_str(r, out->user, sizeof(out->user));
	out->tty_chowned = mon_get_u8(r) != 0;
	mon_get_str(r, out->typescript, sizeof(out->typescript));
	mon_get_str(r, out->msg, sizeof(out->msg));
}
