/* SPDX-License-Identifier: MIT */
#include "monitor/monitor.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/err.h"
#include "core/log.h"
#include "core/text.h"
#include "core/time.h"
#include "monitor/monitor-internal.h"
#include "monitor/secrets.h"
#include "store/state.h"

/* May a request come now? (OpenSSH's MON_ONCE / MON_PERMIT) */
#define MON_F_BEFORE_HELLO 1u /* the first request, and only then */
#define MON_F_ONCE 2u         /* once per network process */
#define MON_F_ERROR_TEXT 4u   /* a failed reply keeps its fields (why) */
#define MON_F_ANY_TURN 8u     /* before hello as well as after it */

int
monitor__malformed(struct mon_rd *in)
{
	in->bad = true;
	return OP_ERR_PROTO;
}


static void
load_creds(struct monitor *m)
{
	snprintf(m->creds.salt, sizeof(m->creds.salt), "%s",
		state_salt(m->st));
	m->creds.has_h1 = state_h1(m->st, m->creds.h1);
	if (!m->creds.has_h1)
		sodium_memzero(m->creds.h1, sizeof(m->creds.h1));
}

static int
new_otp(struct monitor *m)
{
	return password_gen_otp(m->o.otp_charset, m->o.otp_len, m->creds.otp,
		sizeof(m->creds.otp));
}

static void
put_identity(struct monitor *m, struct mon_buf *out)
{
	struct mon_identity id = {
		.generation = m->generation,
		.id_custom = state_id_is_custom(m->st),
		.has_password = m->creds.has_h1,
	};

	snprintf(id.id, sizeof(id.id), "%s", state_id(m->st));
	snprintf(id.uuid, sizeof(id.uuid), "%s", state_uuid(m->st));
	memcpy(id.pk, state_key(m->st)->pk, sizeof(id.pk));
	snprintf(id.salt, sizeof(id.salt), "%s", m->creds.salt);
	snprintf(id.previous, sizeof(id.previous), "%s", m->previous);
	mon_put_identity(out, &id);
}

static int
on_hello(struct monitor *m, struct mon_rd *in, struct mon_buf *out,
	struct monitor_reply *fds)
{
	(void)fds;
	if (!mon_rd_done(in))
		return monitor__malformed(in);
	m->hello_done = true;
	put_identity(m, out);
	return 0;
}

static int
on_sign_id(struct monitor *m, struct mon_rd *in, struct mon_buf *out,
	struct monitor_reply *fds)
{
	(void)fds;
	uint8_t box_pk[SECRETS_BOX_PK_LEN];
	uint8_t blob[SECRETS_SIGNED_ID_MAX];
	int n;

	mon_get_fixed(in, box_pk, sizeof(box_pk));
	if (!mon_rd_done(in))
		return monitor__malformed(in);
	n = secrets_signed_id(state_key(m->st), state_id(m->st), box_pk, blob,
		sizeof(blob));
	if (n < 0)
		return n;
	mon_put_bytes(out, blob, (size_t)n);
	return 0;
}

static uint64_t
now_ms(const struct monitor *m)
{
	return m->o.now_ms != NULL ? m->o.now_ms() : op_now_ms();
}

void
monitor__bucket_init(struct mon_bucket *b, double burst, uint64_t now)
{
	b->tokens = burst;
	b->ms = now;
}

bool
monitor__bucket_take(struct mon_bucket *b, uint64_t now, double per_s,
	double burst)
{
	if (now > b->ms)
		b->tokens += (double)(now - b->ms) * per_s / 1000.0;
	b->ms = now;
	if (b->tokens > burst)
		b->tokens = burst;
	if (b->tokens < 1.0) {
		b->refused++;
		return false;
	}
	b->tokens -= 1.0;
	return true;
}

bool
monitor__limit(struct monitor *m, struct mon_bucket *b, unsigned burst,
	unsigned per_s, const char *what)
{
	if (monitor__bucket_take(b, now_ms(m), per_s, burst))
		return true;
	if ((b->refused - 1) % 100 == 0)
		log_warn("monitor: %s over %u a second; refusing (%llu so far)",
			what, per_s, (unsigned long long)b->refused);
	return false;
}

static int
on_check_proof(struct monitor *m, struct mon_rd *in, struct mon_buf *out,
	struct monitor_reply *fds)
{
	(void)fds;
	char challenge[PASSWORD_CHALLENGE_LEN + 1];
	const uint8_t *proof;
	size_t len;
	unsigned allow;
	enum secrets_method meth = SECRETS_NONE;

	mon_get_str(in, challenge, sizeof(challenge));
	allow = mon_get_u8(in);
	mon_get_bytes(in, 64, &proof, &len);
	if (!mon_rd_done(in) || strlen(challenge) != PASSWORD_CHALLENGE_LEN ||
		(allow & ~(SECRETS_ALLOW_OTP | SECRETS_ALLOW_PERMANENT)) != 0)
		return monitor__malformed(in);
	if (monitor__limit(m, &m->proofs, MONITOR_PROOF_BURST,
		    MONITOR_PROOF_PER_S, "password checks"))
		meth = secrets_check_proof(&m->creds, challenge, proof, len,
			allow);
	/* A one-time password is good for one login (issue 11.1). */
	if (meth == SECRETS_OTP && new_otp(m) != 0)
		m->creds.otp[0] = '\0';
	if (meth != SECRETS_NONE)
		monitor__audit_grant(&m->audit);
	mon_put_u8(out, (uint8_t)meth);
	return 0;
}

static int
on_new_otp(struct monitor *m, struct mon_rd *in, struct mon_buf *out,
	struct monitor_reply *fds)
{
	(void)fds;
	(void)out;
	if (!mon_rd_done(in))
		return monitor__malformed(in);
	return new_otp(m);
}

static int
on_reload_password(struct monitor *m, struct mon_rd *in, struct mon_buf *out,
	struct monitor_reply *fds)
{
	(void)fds;
	char why[SFILE_WHY_LEN];
	int r;

	if (!mon_rd_done(in))
		return monitor__malformed(in);
	if ((r = state_reload_password(m->st, why)) != 0)
		log_error("password reload: %s", why[0] ? why : op_strerror(r));
	load_creds(m);
	mon_put_str(out, m->creds.salt);
	mon_put_u8(out, m->creds.has_h1);
	return r;
}

static int
on_reload_identity(struct monitor *m, struct mon_rd *in, struct mon_buf *out,
	struct monitor_reply *fds)
{
	(void)fds;
	struct state *fresh = NULL;
	char why[SFILE_WHY_LEN];
	char custom[STATE_ID_MAX + 1];
	int r;

	if (!mon_rd_done(in))
		return monitor__malformed(in);
	snprintf(custom, sizeof(custom), "%s",
		state_id_is_custom(m->st) ? state_id(m->st) : "auto");
	r = state_open(state_dir(m->st), custom, &fresh, why);
	if (r != 0) {
		log_error("identity reload: %s", why[0] ? why : op_strerror(r));
	} else {
		state_free(m->st);
		m->st = fresh;
		load_creds(m);
	}
	put_identity(m, out);
	return r;
}

static int
on_print_otp(struct monitor *m, struct mon_rd *in, struct mon_buf *out,
	struct monitor_reply *fds)
{
	(void)fds;
	(void)out;
	if (!mon_rd_done(in))
		return monitor__malformed(in);
	if (m->o.print_otp == NULL)
		return OP_ERR_UNSUPPORTED;
	m->o.print_otp(m->o.arg, m->creds.otp);
	return 0;
}

bool
monitor__granted(struct monitor *m, const char *what)
{
	if (!m->o.require_grant || monitor__audit_any_authorized(&m->audit))
		return true;
	log_warn("monitor: %s refused: no session of the network process is "
		 "authorized", what);
	return false;
}

void
monitor_grant(struct monitor *m)
{
	monitor__audit_grant(&m->audit);
}

/* The requests the daemon answers itself (monitor_opts.hook): no fields
 * in, its fields and maybe one descriptor out. */
static int
on_hook(struct monitor *m, struct mon_rd *in, struct mon_buf *out,
	struct monitor_reply *fds)
{
	int fd = -1, r;

	if (!mon_rd_done(in))
		return monitor__malformed(in);
	if ((out->b[0] == MON_VD_START &&
		    !monitor__granted(m, "vd-start")) ||
		(out->b[0] == MON_SECURE_ATTENTION &&
			!monitor__granted(m, "secure-attention"))) {
		mon_put_str(out, "no session is authorized");
		return OP_ERR_DENIED;
	}
	if (m->o.hook == NULL)
		return OP_ERR_UNSUPPORTED;
	r = m->o.hook(m->o.arg, (enum mon_type)out->b[0], out, &fd);
	if (fd >= 0)
		fds->fds[fds->nfds++] = fd;
	return r;
}

static int
on_notify(struct monitor *m, struct mon_rd *in, struct mon_buf *out,
	struct monitor_reply *fds)
{
	unsigned what = mon_get_u8(in);

	(void)out;
	(void)fds;
	if (!mon_rd_done(in) || what >= MON_NOTIFY_END)
		return monitor__malformed(in);
	if (m->o.notify != NULL)
		m->o.notify(m->o.arg, (enum mon_notify)what);
	return 0;
}

static int
on_consent_ask(struct monitor *m, struct mon_rd *in, struct mon_buf *out,
	struct monitor_reply *fds)
{
	struct mon_consent c;

	(void)fds;
	mon_get_consent(in, &c);
	if (!mon_rd_done(in) || c.timeout_ms > 600000)
		return monitor__malformed(in);
	if (m->o.consent_ask == NULL)
		return OP_ERR_UNSUPPORTED;
	return m->o.consent_ask(m->o.arg, &c, out);
}

static int
on_audit(struct monitor *m, struct mon_rd *in, struct mon_buf *out,
	struct monitor_reply *fds)
{
	(void)fds;
	return monitor__audit_serve(&m->audit, out->b[0], in, out);
}

static const struct {
	mon_handler fn;
	unsigned flags;
} mon_table[MON_TYPE_END] = {
	[MON_HELLO] = { on_hello, MON_F_BEFORE_HELLO | MON_F_ONCE },
	[MON_SIGN_ID] = { on_sign_id, 0 },
	[MON_CHECK_PROOF] = { on_check_proof, 0 },
	[MON_NEW_OTP] = { on_new_otp, 0 },
	[MON_RELOAD_PASSWORD] = { on_reload_password, 0 },
	[MON_RELOAD_IDENTITY] = { on_reload_identity, 0 },
	[MON_PRINT_OTP] = { on_print_otp, MON_F_ONCE },
	[MON_CONNECT_USER] = { monitor__on_connect_user, 0 },
	[MON_X11_COOKIE] = { monitor__on_x11_cookie, MON_F_ERROR_TEXT },
	[MON_RELOAD_CONFIG] = { on_hook, 0 },
	[MON_FIND_USER] = { on_hook, MON_F_ERROR_TEXT },
	[MON_LOCK_SESSION] = { on_hook, MON_F_ERROR_TEXT },
	[MON_CTL_LISTEN] = { on_hook, MON_F_ONCE },
	[MON_NOTIFY] = { on_notify, 0 },
	[MON_EVENTS] = { on_hook, MON_F_ONCE },
	[MON_CONSENT_ASK] = { on_consent_ask, MON_F_ERROR_TEXT },
	[MON_CONSENT_CANCEL] = { on_hook, 0 },
	[MON_VD_START] = { on_hook, MON_F_ERROR_TEXT },
	[MON_VD_STOP] = { on_hook, 0 },
	[MON_CONFIG] = { on_hook, MON_F_ANY_TURN | MON_F_ERROR_TEXT },
	[MON_TERM_OPEN] = { monitor__on_term_open, MON_F_ERROR_TEXT },
	[MON_TERM_HANGUP] = { monitor__on_term_hangup, 0 },
	[MON_AUDIT_OPEN] = { on_audit, 0 },
	[MON_AUDIT_LOGIN] = { on_audit, 0 },
	[MON_AUDIT_RECORDED] = { on_audit, 0 },
	[MON_AUDIT_AUTHORIZED] = { on_audit, 0 },
	[MON_AUDIT_DENIED] = { on_audit, 0 },
	[MON_AUDIT_LOCKOUT] = { on_audit, 0 },
	[MON_AUDIT_CLOSE] = { on_audit, 0 },
	[MON_AUDIT_EVENT] = { on_audit, 0 },
	[MON_AUDIT_CONFIG] = { on_audit, 0 },
	[MON_AUDIT_PRUNE] = { on_audit, 0 },
	[MON_AUDIT_FLUSH] = { on_audit, 0 },
	[MON_AUDIT_STATUS] = { on_audit, 0 },
	[MON_PROXY_PASSWORD] = { on_hook, MON_F_ERROR_TEXT },
	[MON_USER_SOCKET] = { monitor__on_user_socket, 0 },
	[MON_SECURE_ATTENTION] = { on_hook, MON_F_ERROR_TEXT },
};

static void
close_fds(struct monitor_reply *r)
{
	for (int i = 0; i < r->nfds; i++)
		close(r->fds[i]);
	r->nfds = 0;
}

int
monitor_serve(struct monitor *m, const uint8_t *req, size_t len,
	struct monitor_reply *reply, char *why, size_t why_size)
{
	struct mon_buf out = { .len = 0 };
	struct mon_rd in;
	unsigned type;
	int status;

	reply->len = 0;
	reply->nfds = 0;
	if (len < 1 || len > MON_MSG_MAX) {
		snprintf(why, why_size, "a request of %zu bytes", len);
		return OP_ERR_PROTO;
	}
	type = req[0];
	if (type >= MON_TYPE_END || mon_table[type].fn == NULL) {
		snprintf(why, why_size, "unknown request %u", type);
		return OP_ERR_PROTO;
	}
	if (!(mon_table[type].flags & MON_F_ANY_TURN) &&
		((mon_table[type].flags & MON_F_BEFORE_HELLO) != 0) ==
		m->hello_done) {
		snprintf(why, why_size, "%s out of turn", mon_type_name(type));
		return OP_ERR_PROTO;
	}
	if ((mon_table[type].flags & MON_F_ONCE) &&
		(m->once_done & (1u << type))) {
		snprintf(why, why_size, "%s asked twice", mon_type_name(type));
		return OP_ERR_PROTO;
	}
	mon_rd_init(&in, req + 1, len - 1);
	mon_put_u8(&out, (uint8_t)type);
	mon_put_u32(&out, 0);
	status = mon_table[type].fn(m, &in, &out, reply);
	if (in.bad) {
		snprintf(why, why_size, "malformed %s", mon_type_name(type));
		sodium_memzero(&out, sizeof(out));
		close_fds(reply);
		return OP_ERR_PROTO;
	}
	if (mon_table[type].flags & MON_F_ONCE)
		m->once_done |= 1u << type;
	if (out.overflow || (status != 0 && !(mon_table[type].flags &
						     MON_F_ERROR_TEXT))) {
		out.len = 5; /* the status alone */
		close_fds(reply);
	} else if (status != 0) {
		close_fds(reply);
	}
	if (out.overflow && status == 0)
		status = OP_ERR_INTERNAL;
	out.b[1] = (uint8_t)((uint32_t)status >> 24);
	out.b[2] = (uint8_t)((uint32_t)status >> 16);
	out.b[3] = (uint8_t)((uint32_t)status >> 8);
	out.b[4] = (uint8_t)(uint32_t)status;
	memcpy(reply->b, out.b, out.len);
	reply->len = out.len;
	sodium_memzero(&out, sizeof(out));
	return 0;
}

int
monitor_new(struct state *st, const struct monitor_opts *o,
	struct monitor **out)
{
	struct monitor *m;
	int r;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return OP_ERR_NOMEM;
	m->st = st;
	m->o = *o;
	monitor_set_xauthority(m, o->xauthority_any);
	monitor__bucket_init(&m->proofs, MONITOR_PROOF_BURST, now_ms(m));
	monitor__bucket_init(&m->term_opens, MONITOR_TERM_BURST, now_ms(m));
	m->audit.event = o->event;
	m->audit.arg = o->arg;
	m->audit.now_ms = o->now_ms;
	m->audit.require_grant = o->require_grant;
	load_creds(m);
	if ((r = new_otp(m)) != 0) {
		m->st = NULL;
		monitor_free(m);
		return r;
	}
	*out = m;
	return 0;
}

void
monitor_free(struct monitor *m)
{
	if (m == NULL)
		return;
	monitor_terms_end(m);
	state_free(m->st);
	monitor__audit_free(&m->audit);
	sodium_memzero(m, sizeof(*m));
	free(m);
}

void
monitor_child_ended(struct monitor *m, const char *how)
{
	snprintf(m->previous, sizeof(m->previous), "%s", how);
	monitor__audit_ended(&m->audit, how);
}

void
monitor_set_audit(struct monitor *m, struct audit *trail)
{
	m->audit.trail = trail;
}

void
monitor_child_started(struct monitor *m)
{
	monitor_terms_end(m); /* the last one's, should it have missed it */
	m->generation++;
	m->hello_done = false;
	m->once_done = 0;
	monitor__audit_started(&m->audit, m->generation);
}

void
monitor_set_xauthority(struct monitor *m, const char *path)
{
	snprintf(m->xauthority_any, sizeof(m->xauthority_any), "%s",
		path != NULL ? path : "");
}

uint32_t
monitor_generation(const struct monitor *m)
{
	return m->generation;
}

const struct state *
monitor_state(const struct monitor *m)
{
	return m->st;
}
