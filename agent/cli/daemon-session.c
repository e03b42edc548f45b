/* SPDX-License-Identifier: MIT */
/*
 * The decisions the daemon makes for sessions: the access policy (who,
 * from where, when, which kind), brute-force lockouts and one-time
 * password rotation, and the bookkeeping of open sessions. The session
 * module calls these through struct session_hooks; the rules come from
 * the current config snapshot and are swapped as a whole on reload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli/daemon-internal.h"
#include "cli/policy-conf.h"
#include "conf/conf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "net/rendezvous.h"
#include "policy/lockout.h"
#include "policy/policy.h"

#define LOCKOUT_CAPACITY 4096

static enum policy_kind
policy_kind_of(enum session_kind k)
{
	switch (k) {
	case SESSION_FILE_TRANSFER:
		return POLICY_KIND_FILE_TRANSFER;
	case SESSION_TERMINAL:
		return POLICY_KIND_TERMINAL;
	case SESSION_PORT_FORWARD:
		return POLICY_KIND_PORT_FORWARD;
	case SESSION_VIEW_CAMERA:
		return POLICY_KIND_CAMERA;
	default:
		return POLICY_KIND_DESKTOP;
	}
}

int
daemon_policy_load(struct daemon *d, const struct conf *conf)
{
	struct policy_rules *rules = NULL;
	struct lockout_conf lc;
	char why[256];
	int r;

	if ((r = policy_conf_rules(conf, &rules, why, sizeof(why))) != 0) {
		log_error("policy: %s", why);
		return r;
	}
	policy_conf_lockout(conf, &lc);
	if (d->lockout == NULL) {
		uint8_t seed[16];

		randombytes_buf(seed, sizeof(seed));
		if ((d->lockout = lockout_new(&lc, LOCKOUT_CAPACITY, seed)) ==
			NULL) {
			policy_rules_unref(rules);
			return OP_ERR_NOMEM;
		}
	} else {
		lockout_set_conf(d->lockout, &lc);
	}
	policy_rules_unref(d->rules);
	d->rules = rules;
	d->creds.allow_otp = rules->verification != POLICY_VERIFY_PERMANENT;
	d->creds.allow_permanent = rules->verification != POLICY_VERIFY_ONE_TIME;
	return 0;
}

void
daemon_policy_free(struct daemon *d)
{
	policy_rules_unref(d->rules);
	d->rules = NULL;
	lockout_free(d->lockout);
	d->lockout = NULL;
}

static void
fill_request(struct daemon *d, const struct session_info *info,
	enum policy_stage stage, struct policy_request *req)
{
	memset(req, 0, sizeof(*req));
	req->stage = stage;
	req->peer_id = info->peer_id;
	req->peer_name = info->peer_name;
	req->source = (const struct sockaddr *)info->source;
	req->path = info->path == CONN_PATH_DIRECT_IP ?
		POLICY_PATH_DIRECT_IP :
		POLICY_PATH_RENDEZVOUS;
	req->encrypted = info->encrypted;
	req->kind = policy_kind_of(info->kind);
	/* A zone the config check accepted cannot fail here; if it did,
	 * the zeroed time makes schedule rules refuse (fail closed). */
	(void)policy_conf_localtime(policy_conf_timezone(d->conf), time(NULL),
		&req->local);
	req->user_present = false; /* logind detection: consent module */
	req->active_sessions = d->net.authorized;
}

bool
daemon_policy_connect_ok(struct daemon *d, const struct session_info *info)
{
	struct policy_request req;
	struct policy_decision dec;

	fill_request(d, info, POLICY_STAGE_CONNECT, &req);
	policy_decide(d->rules, &req, &dec);
	if (dec.verdict != POLICY_DENY)
		return true;
	log_notice("refused a %s connection before login: %s (%s)",
		conn_path_name(info->path), dec.reason, dec.rule);
	return false;
}

static const char *
hook_admit(void *arg, const struct session_info *info, bool *close_after)
{
	struct daemon *d = arg;
	struct policy_request req;
	struct policy_decision dec;

	fill_request(d, info, POLICY_STAGE_LOGIN, &req);
	policy_decide(d->rules, &req, &dec);
	*close_after = true;
	if (dec.verdict == POLICY_DENY) {
		log_notice("login of %s refused by %s: %s",
			info->peer_id[0] ? info->peer_id : "(no id)", dec.rule,
			dec.reason);
		return dec.error != NULL ? dec.error : POLICY_MSG_NOT_ALLOWED;
	}
	if (dec.verdict == POLICY_ASK) {
		/* The local prompt is not wired in yet: asking nobody must
		 * not turn into a yes (S8). */
		log_notice("login of %s needs a local click (%s), which this "
			   "version cannot ask for; refused",
			info->peer_id, dec.consent.rule);
		return POLICY_MSG_NOT_ALLOWED;
	}
	return NULL;
}

static const char *
hook_lockout_check(void *arg, const struct session_info *info)
{
	struct daemon *d = arg;
	struct lockout_hit hit;

	if (lockout_check(d->lockout, (const struct sockaddr *)info->source,
		    info->peer_id, op_now_ms(), &hit))
		return hit.error;
	return NULL;
}

static void
hook_auth_failed(void *arg, const struct session_info *info)
{
	struct daemon *d = arg;
	struct lockout_result res;

	lockout_fail(d->lockout, (const struct sockaddr *)info->source,
		info->peer_id, op_now_ms(), &res);
	for (unsigned i = 0; i < res.nlocked; i++)
		log_warn("lockout: %s %s locked after repeated wrong "
			 "passwords",
			lockout_scope_name(res.locked[i].scope),
			res.locked[i].key);
	if (res.rotate_otp && daemon_new_otp(d) == 0)
		log_notice("one-time password rotated after failed logins");
}

static void
hook_authorize(void *arg, struct session *s, const struct session_info *info,
	const char *method, void (*done)(struct session *s, bool ok))
{
	struct daemon *d = arg;

	lockout_success(d->lockout, (const struct sockaddr *)info->source,
		info->peer_id);
	log_notice("session %s: authorized by %s", session_describe(s),
		method);
	d->net.authorized++;
	done(s, true);
}

static void
hook_closed(void *arg, struct session *s, bool was_authorized,
	const char *reason)
{
	struct daemon *d = arg;

	(void)reason;
	daemon_net_forget(d, s);
	if (was_authorized) {
		d->net.authorized--;
		/* §6.4: a one-time password is good for one session. */
		if (daemon_new_otp(d) == 0)
			log_notice("one-time password rotated after a session");
	}
}

static void
hook_key_unverified(void *arg)
{
	struct daemon *d = arg;

	if (d->net.rdv != NULL)
		rendezvous_republish_pk(d->net.rdv);
}

const struct session_hooks daemon_session_hooks = {
	.admit = hook_admit,
	.lockout_check = hook_lockout_check,
	.auth_failed = hook_auth_failed,
	.authorize = hook_authorize,
	.closed = hook_closed,
	.key_unverified = hook_key_unverified,
};
