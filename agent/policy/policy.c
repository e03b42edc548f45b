/* SPDX-License-Identifier: MIT */
/*
 * Policy decisions: who may open which session, when, with which
 * permissions and whose consent (the order of the checks is in policy.h;
 * the rules object is in policy-rules.c). Every refusal names the rule that made it, so the audit
 * trail and `outpost policy explain` can say why.
 *
 * Must not: do I/O, read a clock or the environment, keep global state,
 * or fail open: an unknown enum value, an invalid time or a missing
 * source address is a refusal wherever a rule depends on it.
 */
#include "policy/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/netaddr.h"
#include "policy/policy-internal.h"

#define WEEK_MINUTES (7 * 1440)

/* ---- Permissions and consent ---- */

/* What each kind needs, and the stock refusal (spec §6.6 step 4). */
static const struct {
	uint32_t perm;
	const char *key;
	const char *error;
} kind_gate[POLICY_KIND_COUNT_] = {
	[POLICY_KIND_DESKTOP] = { 0, NULL, NULL },
	[POLICY_KIND_FILE_TRANSFER] = { POLICY_PERM_FILE,
		"policy.allow.file_transfer", POLICY_MSG_NO_FILE },
	[POLICY_KIND_TERMINAL] = { POLICY_PERM_TERMINAL,
		"policy.allow.terminal", POLICY_MSG_NO_TERMINAL },
	[POLICY_KIND_PORT_FORWARD] = { POLICY_PERM_PORT_FORWARD,
		"policy.allow.port_forward", POLICY_MSG_NO_TUNNEL },
	[POLICY_KIND_CAMERA] = { POLICY_PERM_CAMERA, NULL,
		POLICY_MSG_NO_CAMERA },
};

uint32_t
policy_permissions(const struct policy_rules *rules, enum policy_kind kind)
{
	uint32_t have = rules->allow & rules->implemented, want;

	switch (kind) {
	case POLICY_KIND_DESKTOP:
		want = POLICY_PERM_KEYBOARD | POLICY_PERM_CLIPBOARD |
			POLICY_PERM_AUDIO | POLICY_PERM_FILE |
			POLICY_PERM_RESTART | POLICY_PERM_RECORDING |
			POLICY_PERM_BLOCK_INPUT;
		break;
	case POLICY_KIND_FILE_TRANSFER:
		/* Keyboard is off in file-transfer sessions (§6.7). */
		want = POLICY_PERM_FILE;
		break;
	case POLICY_KIND_TERMINAL:
		want = POLICY_PERM_TERMINAL;
		break;
	case POLICY_KIND_PORT_FORWARD:
		want = POLICY_PERM_PORT_FORWARD;
		break;
	case POLICY_KIND_CAMERA:
		want = POLICY_PERM_CAMERA;
		break;
	default:
		return 0;
	}
	have &= want;
	/* Blocking the local user's input only makes sense with control. */
	if (!(have & POLICY_PERM_KEYBOARD))
		have &= ~POLICY_PERM_BLOCK_INPUT;
	return have;
}

static const char *const approve_names[] = { "password", "click",
	"password-or-click", "password-and-click" };
static const char *const consent_names[] = { "ask", "allow", "deny" };

static void
consent_set(struct policy_consent *c, enum policy_verdict v,
	enum policy_auth a, const char *reason, const char *fmt,
	const char *value)
{
	c->verdict = v;
	c->auth = v == POLICY_DENY ? POLICY_AUTH_NONE : a;
	c->reason = reason;
	policy__splice(c->rule, sizeof(c->rule), fmt, value);
}

void
policy_consent(const struct policy_rules *rules, bool user_present,
	struct policy_consent *out)
{
	enum policy_approve ap = rules->approve;
	enum policy_consent_rule up = rules->when_user_present;
	const char *apn;

	memset(out, 0, sizeof(*out));
	out->timeout_s = rules->consent_timeout_s;
	if ((unsigned)ap > POLICY_APPROVE_PASSWORD_AND_CLICK ||
		(unsigned)up > POLICY_CONSENT_DENY) {
		consent_set(out, POLICY_DENY, POLICY_AUTH_NONE,
			"the consent rules are invalid", "%s", "policy.consent");
		return;
	}
	apn = approve_names[ap];
	if (!user_present) {
		if (ap == POLICY_APPROVE_CLICK)
			consent_set(out, POLICY_DENY, POLICY_AUTH_NONE,
				"approval is by a local click and no user is "
				"present", "access.approve '%s'", apn);
		else if (ap == POLICY_APPROVE_PASSWORD_AND_CLICK)
			consent_set(out, POLICY_DENY, POLICY_AUTH_NONE,
				"a password and a local click are both "
				"required and no user is present",
				"access.approve '%s'", apn);
		else if (rules->when_no_user == POLICY_CONSENT_ALLOW)
			consent_set(out, POLICY_ALLOW, POLICY_AUTH_PASSWORD,
				"no user is present: the password alone "
				"decides", "policy.consent.when_no_user '%s'",
				"allow");
		else /* deny, and ask (nobody could answer) */
			consent_set(out, POLICY_DENY, POLICY_AUTH_NONE,
				"no user is present and the policy refuses "
				"connections then",
				"policy.consent.when_no_user '%s'",
				consent_names[rules->when_no_user <=
						POLICY_CONSENT_DENY ?
						rules->when_no_user :
						POLICY_CONSENT_DENY]);
		return;
	}
	if (up == POLICY_CONSENT_DENY) {
		consent_set(out, POLICY_DENY, POLICY_AUTH_NONE,
			"a user is present and the policy refuses connections "
			"then", "policy.consent.when_user_present '%s'", "deny");
		return;
	}
	switch (ap) {
	case POLICY_APPROVE_PASSWORD:
		if (up == POLICY_CONSENT_ASK)
			consent_set(out, POLICY_ASK,
				POLICY_AUTH_PASSWORD_AND_CLICK,
				"a user is present: after the password the "
				"local user must accept",
				"policy.consent.when_user_present '%s'", "ask");
		else
			consent_set(out, POLICY_ALLOW, POLICY_AUTH_PASSWORD,
				"a user is present and the policy needs no "
				"click: the password alone decides",
				"policy.consent.when_user_present '%s'",
				"allow");
		break;
	case POLICY_APPROVE_CLICK:
		consent_set(out, POLICY_ASK, POLICY_AUTH_CLICK,
			"the local user must accept (no password)",
			"access.approve '%s'", apn);
		break;
	case POLICY_APPROVE_PASSWORD_OR_CLICK:
		if (up == POLICY_CONSENT_ASK)
			consent_set(out, POLICY_ASK, POLICY_AUTH_CLICK,
				"a user is present and must accept; the click "
				"alone lets the peer in",
				"policy.consent.when_user_present '%s'", "ask");
		else
			consent_set(out, POLICY_ASK,
				POLICY_AUTH_PASSWORD_OR_CLICK,
				"the password or a local click lets the peer "
				"in", "access.approve '%s'", apn);
		break;
	case POLICY_APPROVE_PASSWORD_AND_CLICK:
		consent_set(out, POLICY_ASK, POLICY_AUTH_PASSWORD_AND_CLICK,
			"the password and a local click are both required",
			"access.approve '%s'", apn);
		break;
	}
}

/* ---- Decisions ---- */

struct dctx {
	struct policy_decision *d;
	size_t notes; /* bytes used in d->reason by the allow-path notes */
};

static void note(struct dctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends "; <text>" to the reason kept for an allowing decision. */
static void
note(struct dctx *x, const char *fmt, ...)
{
	size_t cap = sizeof(x->d->reason);
	va_list ap;
	int n;

	if (x->notes + 3 >= cap)
		return;
	if (x->notes > 0) {
		memcpy(x->d->reason + x->notes, "; ", 3);
		x->notes += 2;
	}
	va_start(ap, fmt);
	n = vsnprintf(x->d->reason + x->notes, cap - x->notes, fmt, ap);
	va_end(ap);
	if (n > 0)
		x->notes += (size_t)n < cap - x->notes ? (size_t)n :
							 cap - x->notes - 1;
}

static void deny(struct dctx *x, const char *error, const char *rulefmt,
	const char *ruleval, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void
deny(struct dctx *x, const char *error, const char *rulefmt,
	const char *ruleval, const char *fmt, ...)
{
	struct policy_decision *d = x->d;
	va_list ap;

	d->verdict = POLICY_DENY;
	d->error = error;
	d->perms = 0;
	d->window_left_s = 0;
	memset(&d->consent, 0, sizeof(d->consent));
	snprintf(d->rule, sizeof(d->rule), "%s", rulefmt);
	if (ruleval != NULL) {
		char ex[200];
		size_t n = strlen(d->rule);

		policy__excerpt(ruleval, ex, sizeof(ex));
		snprintf(d->rule + n, sizeof(d->rule) - n, " '%s'", ex);
	}
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
}

static void
addr_text(const struct sockaddr *sa, char *buf, size_t bufsz)
{
	uint8_t fam, a[16];

	if (policy__addr_of(sa, &fam, a) != 0 ||
		op_inet_ntop(fam == 4 ? AF_INET : AF_INET6, a, buf, bufsz) ==
			NULL)
		snprintf(buf, bufsz, "(unknown)");
}

/* Index of the first CIDR of l containing sa, or -1. */
static long
cidr_find(const struct policy_list *l, const struct sockaddr *sa)
{
	for (size_t i = 0; i < l->n; i++)
		if (policy_cidr_match(&l->v[i].u.cidr, sa))
			return (long)i;
	return -1;
}

static long
id_find(const struct policy_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (policy_id_match(l->v[i].text, id))
			return (long)i;
	return -1;
}

/* "policy.peers.deny_ids[2]" into buf. */
static const char *
item_name(char *buf, size_t bufsz, enum policy_list_id id, long i)
{
	snprintf(buf, bufsz, "%s[%ld]", policy_list_name(id), i);
	return buf;
}

/* Returns false (after deny) if the connection-level rules refuse. */
static bool
check_network(struct dctx *x, const struct policy_rules *r,
	const struct policy_request *q, const char *src)
{
	char name[64];
	long i;

	if (q->path == POLICY_PATH_DIRECT_IP) {
		if (!r->direct_enabled) {
			deny(x, POLICY_MSG_NOT_ALLOWED,
				"direct_access.enabled", "false",
				"direct-IP access is disabled");
			return false;
		}
		if ((i = cidr_find(&r->direct_allow_from, q->source)) < 0) {
			deny(x, POLICY_MSG_IP_BLOCKED,
				"direct_access.allow_from", NULL,
				"direct-IP sessions are plaintext and %s is not "
				"in direct_access.allow_from (%zu network%s)",
				src, r->direct_allow_from.n,
				r->direct_allow_from.n == 1 ? "" : "s");
			return false;
		}
		note(x, "direct IP from %s allowed by %s '%s'", src,
			item_name(name, sizeof(name),
				POLICY_LIST_DIRECT_ALLOW_FROM, i),
			r->direct_allow_from.v[i].text);
	} else if (q->path != POLICY_PATH_RENDEZVOUS) {
		deny(x, POLICY_MSG_NOT_ALLOWED, "connection path", NULL,
			"the connection path is unknown");
		return false;
	} else if (!q->encrypted) {
		if (r->require_encryption) {
			deny(x, POLICY_MSG_ENCRYPTION,
				"security.require_encryption", "true",
				"the client did not complete the key exchange "
				"(it has no or a different key for the ID "
				"server), so the session would be plaintext");
			return false;
		}
		note(x, "plaintext allowed by security.require_encryption "
			"'false'");
	}
	if (r->allow_from.n > 0) {
		if ((i = cidr_find(&r->allow_from, q->source)) < 0) {
			deny(x, POLICY_MSG_IP_BLOCKED,
				"policy.peers.allow_from", NULL,
				"%s is not in policy.peers.allow_from (%zu "
				"network%s)", src, r->allow_from.n,
				r->allow_from.n == 1 ? "" : "s");
			return false;
		}
		note(x, "%s in %s '%s'", src,
			item_name(name, sizeof(name), POLICY_LIST_ALLOW_FROM,
				i),
			r->allow_from.v[i].text);
	}
	return true;
}

static bool
check_login(struct dctx *x, const struct policy_rules *r,
	const struct policy_request *q)
{
	const char *id = q->peer_id != NULL ? q->peer_id : "";
	char name[64], ex[200];
	long i;

	policy__excerpt(id, ex, sizeof(ex));
	if (strnlen(id, POLICY_ID_MAX + 1) > POLICY_ID_MAX) {
		deny(x, POLICY_MSG_ID_BLOCKED, "peer ID length", NULL,
			"the peer ID is longer than %d bytes", POLICY_ID_MAX);
		return false;
	}
	if ((i = id_find(&r->deny_ids, id)) >= 0) {
		deny(x, POLICY_MSG_ID_BLOCKED,
			item_name(name, sizeof(name), POLICY_LIST_DENY_IDS, i),
			r->deny_ids.v[i].text,
			"peer ID '%s' matches a denied pattern", ex);
		return false;
	}
	if (r->allow_ids.n > 0) {
		if ((i = id_find(&r->allow_ids, id)) < 0) {
			deny(x, POLICY_MSG_ID_BLOCKED, "policy.peers.allow_ids",
				NULL, "peer ID '%s' matches none of the %zu "
				"allowed pattern%s", ex, r->allow_ids.n,
				r->allow_ids.n == 1 ? "" : "s");
			return false;
		}
		note(x, "ID '%s' matches %s '%s'", ex,
			item_name(name, sizeof(name), POLICY_LIST_ALLOW_IDS, i),
			r->allow_ids.v[i].text);
	}
	if ((unsigned)q->kind >= POLICY_KIND_COUNT_) {
		deny(x, POLICY_MSG_NOT_ALLOWED, "session kind", NULL,
			"the session kind is unknown");
		return false;
	}
	if (kind_gate[q->kind].perm != 0) {
		uint32_t p = kind_gate[q->kind].perm;
		const char *key = kind_gate[q->kind].key;

		if (key == NULL) {
			deny(x, kind_gate[q->kind].error, "session kind",
				policy_kind_name(q->kind),
				"%s sessions are not supported",
				policy_kind_name(q->kind));
			return false;
		}
		if (!(r->allow & p)) {
			deny(x, kind_gate[q->kind].error, key, "false",
				"%s sessions are not allowed",
				policy_kind_name(q->kind));
			return false;
		}
		if (!(r->implemented & p)) {
			deny(x, kind_gate[q->kind].error, key, "true",
				"%s sessions are allowed by %s but not "
				"implemented in this version",
				policy_kind_name(q->kind), key);
			return false;
		}
		note(x, "%s allowed by %s", policy_kind_name(q->kind), key);
	}
	return true;
}

static const char wday_names[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	"Fri", "Sat" };

static bool
check_schedule(struct dctx *x, const struct policy_rules *r, int wday,
	int minute, int sec)
{
	unsigned now = (unsigned)(wday * 1440 + minute), left = 0;
	char name[64];

	if (r->schedule.n == 0)
		return true;
	if (!policy__week_get(r->week, now)) {
		deny(x, POLICY_MSG_NOT_ALLOWED, "policy.schedule", NULL,
			"%s %02d:%02d is outside every window of "
			"policy.schedule", wday_names[wday], minute / 60,
			minute % 60);
		return false;
	}
	while (left < WEEK_MINUTES && policy__week_get(r->week, now + left))
		left++;
	for (size_t i = 0; i < r->schedule.n; i++) {
		if (policy_window_match(&r->schedule.v[i].u.window, wday,
			    minute)) {
			note(x, "%s %02d:%02d inside %s '%s'",
				wday_names[wday], minute / 60, minute % 60,
				item_name(name, sizeof(name),
					POLICY_LIST_SCHEDULE, (long)i),
				r->schedule.v[i].text);
			break;
		}
	}
	if (left < WEEK_MINUTES)
		x->d->window_left_s = left * 60u - (unsigned)sec;
	return true;
}

void
policy_decide(const struct policy_rules *r, const struct policy_request *q,
	struct policy_decision *out)
{
	struct dctx x = { .d = out };
	int wday = q->local.tm_wday, hour = q->local.tm_hour;
	int min = q->local.tm_min, sec = q->local.tm_sec;
	char src[64];

	memset(out, 0, sizeof(*out));
	addr_text(q->source, src, sizeof(src));
	if (wday < 0 || wday > 6 || hour < 0 || hour > 23 || min < 0 ||
		min > 59 || sec < 0 || sec > 60) {
		deny(&x, POLICY_MSG_NOT_ALLOWED, "local time", NULL,
			"the local time is invalid");
		return;
	}
	if (sec > 59)
		sec = 59; /* a leap second */
	if (!check_network(&x, r, q, src))
		return;
	/* Anything but CONNECT is the full check (fail closed). */
	if (q->stage != POLICY_STAGE_CONNECT && !check_login(&x, r, q))
		return;
	if (!check_schedule(&x, r, wday, hour * 60 + min, sec))
		return;
	if (q->active_sessions >= r->max_sessions) {
		char n[16];

		snprintf(n, sizeof(n), "%u", r->max_sessions);
		deny(&x, POLICY_MSG_NOT_ALLOWED, "policy.limits.max_sessions",
			n, "%u session%s already active", q->active_sessions,
			q->active_sessions == 1 ? " is" : "s are");
		return;
	}
	policy_consent(r, q->user_present, &out->consent);
	if (out->consent.verdict == POLICY_DENY) {
		struct policy_consent c = out->consent;

		deny(&x, POLICY_MSG_NOT_ALLOWED, c.rule, NULL, "%s", c.reason);
		return;
	}
	out->verdict = out->consent.verdict;
	snprintf(out->rule, sizeof(out->rule), "%s", out->consent.rule);
	note(&x, "%s", out->consent.reason);
	out->perms = policy_permissions(r, q->stage == POLICY_STAGE_CONNECT ?
			POLICY_KIND_DESKTOP :
			q->kind);
	out->max_duration_s = r->max_duration_s;
	out->idle_timeout_s = r->idle_timeout_s;
}
