/* SPDX-License-Identifier: MIT */
/*
 * The policy module, table-driven: policy_decide over a matrix of rules
 * and requests, consent, permissions, and the configuration glue
 * (cli/policy-conf.c, compiled in). The parsers are in
 * test-policy-match.c, the brute-force limiter in test-policy-lockout.c.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "cli/policy-conf.h"
#include "conf/conf.h"
#include "core/err.h"
#include "policy/policy.h"
#include "th.h"
#include "th-net.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Every write to the environment made by the code under test is counted:
 * these definitions take the place of libc's for the calls compiled into
 * this binary (policy-conf.c included) and pass them on.
 */
static unsigned env_writes;

int
setenv(const char *name, const char *value, int overwrite)
{
	int (*real)(const char *, const char *, int) =
		(int (*)(const char *, const char *, int))dlsym(RTLD_NEXT,
			"setenv");

	env_writes++;
	return real != NULL ? real(name, value, overwrite) : -1;
}

int
unsetenv(const char *name)
{
	int (*real)(const char *) =
		(int (*)(const char *))dlsym(RTLD_NEXT, "unsetenv");

	env_writes++;
	return real != NULL ? real(name) : -1;
}

int
putenv(char *string)
{
	int (*real)(char *) = (int (*)(char *))dlsym(RTLD_NEXT, "putenv");

	env_writes++;
	return real != NULL ? real(string) : -1;
}


/* ---- policy_decide over a table ---- */

#define LIST_MAX 3

struct row {
	const char *name;
	/* rules (zero = default) */
	int approve;             /* 1 + enum policy_approve */
	int present, absent;     /* 1 + enum policy_consent_rule */
	int plaintext_ok;        /* require_encryption false */
	int direct_off;
	uint32_t allow;          /* 0 = default */
	uint32_t implemented;    /* 0 = all */
	const char *allow_ids[LIST_MAX], *deny_ids[LIST_MAX];
	const char *allow_from[LIST_MAX], *direct_from[LIST_MAX];
	const char *schedule[LIST_MAX];
	unsigned max_sessions;
	/* request */
	int connect;             /* stage CONNECT */
	const char *peer, *src;
	int direct, plaintext;
	enum policy_kind kind;
	int wday, hour, min;     /* default Mon 10:00 */
	int user, active;
	/* expected */
	enum policy_verdict verdict;
	const char *error;
	const char *rule;        /* substring */
	enum policy_auth auth;   /* when not DENY */
	uint32_t window_left;    /* 0 = don't care */
};

#define MON 1
#define SAT 6

static const struct row rows[] = {
	{ .name = "defaults, no user: password alone", .peer = "123456789",
		.src = "192.0.2.1", .verdict = POLICY_ALLOW,
		.rule = "when_no_user 'allow'", .auth = POLICY_AUTH_PASSWORD },
	{ .name = "defaults, user present: ask after password",
		.peer = "1", .src = "192.0.2.1", .user = 1,
		.verdict = POLICY_ASK, .rule = "when_user_present 'ask'",
		.auth = POLICY_AUTH_PASSWORD_AND_CLICK },
	{ .name = "plaintext rendezvous refused", .peer = "1",
		.src = "192.0.2.1", .plaintext = 1, .verdict = POLICY_DENY,
		.error = POLICY_MSG_ENCRYPTION,
		.rule = "security.require_encryption 'true'" },
	{ .name = "plaintext refused at connect too", .connect = 1,
		.src = "192.0.2.1", .plaintext = 1, .verdict = POLICY_DENY,
		.error = POLICY_MSG_ENCRYPTION },
	{ .name = "plaintext allowed when not required", .plaintext_ok = 1,
		.peer = "1", .src = "192.0.2.1", .plaintext = 1,
		.verdict = POLICY_ALLOW },
	{ .name = "direct IP from loopback", .peer = "1", .src = "127.0.0.1",
		.direct = 1, .plaintext = 1, .verdict = POLICY_ALLOW },
	{ .name = "direct IP from ::1", .peer = "1", .src = "::1",
		.direct = 1, .plaintext = 1, .verdict = POLICY_ALLOW },
	{ .name = "direct IP from LAN refused by default", .peer = "1",
		.src = "192.168.1.9", .direct = 1, .plaintext = 1,
		.verdict = POLICY_DENY, .error = POLICY_MSG_IP_BLOCKED,
		.rule = "direct_access.allow_from" },
	{ .name = "direct IP from configured LAN", .peer = "1",
		.src = "192.168.1.9", .direct = 1, .plaintext = 1,
		.direct_from = { "192.168.0.0/16" }, .verdict = POLICY_ALLOW },
	{ .name = "direct IP, mapped source", .peer = "1",
		.src = "::ffff:192.168.1.9", .direct = 1, .plaintext = 1,
		.direct_from = { "192.168.0.0/16" }, .verdict = POLICY_ALLOW },
	{ .name = "direct IP disabled", .direct_off = 1, .peer = "1",
		.src = "127.0.0.1", .direct = 1, .plaintext = 1,
		.verdict = POLICY_DENY, .error = POLICY_MSG_NOT_ALLOWED,
		.rule = "direct_access.enabled" },
	{ .name = "allow_from miss", .allow_from = { "10.0.0.0/8" },
		.peer = "1", .src = "192.0.2.1", .verdict = POLICY_DENY,
		.error = POLICY_MSG_IP_BLOCKED,
		.rule = "policy.peers.allow_from" },
	{ .name = "allow_from hit (second item)",
		.allow_from = { "10.0.0.0/8", "192.0.2.0/24" }, .peer = "1",
		.src = "192.0.2.1", .verdict = POLICY_ALLOW },
	{ .name = "allow_from checked at connect", .connect = 1,
		.allow_from = { "10.0.0.0/8" }, .src = "2001:db8::1",
		.verdict = POLICY_DENY, .error = POLICY_MSG_IP_BLOCKED },
	{ .name = "unknown source fails allow_from",
		.allow_from = { "0.0.0.0/0" }, .peer = "1", .src = NULL,
		.verdict = POLICY_DENY, .error = POLICY_MSG_IP_BLOCKED },
	{ .name = "deny_ids names the item",
		.deny_ids = { "111*", "evil*" }, .peer = "EVIL-1",
		.src = "192.0.2.1", .verdict = POLICY_DENY,
		.error = POLICY_MSG_ID_BLOCKED,
		.rule = "policy.peers.deny_ids[1] 'evil*'" },
	{ .name = "deny_ids before @", .deny_ids = { "666" },
		.peer = "666@hbbs.example", .src = "192.0.2.1",
		.verdict = POLICY_DENY, .error = POLICY_MSG_ID_BLOCKED },
	{ .name = "deny wins over allow", .allow_ids = { "*" },
		.deny_ids = { "13?" }, .peer = "137", .src = "192.0.2.1",
		.verdict = POLICY_DENY, .error = POLICY_MSG_ID_BLOCKED },
	{ .name = "allow_ids miss", .allow_ids = { "1234*", "99" },
		.peer = "555", .src = "192.0.2.1", .verdict = POLICY_DENY,
		.error = POLICY_MSG_ID_BLOCKED,
		.rule = "policy.peers.allow_ids" },
	{ .name = "allow_ids hit", .allow_ids = { "1234*" },
		.peer = "123456789", .src = "192.0.2.1",
		.verdict = POLICY_ALLOW },
	{ .name = "ID rules skipped at connect", .connect = 1,
		.allow_ids = { "1234*" }, .src = "192.0.2.1",
		.verdict = POLICY_ALLOW },
	{ .name = "empty ID with allow list", .allow_ids = { "1*" },
		.peer = "", .src = "192.0.2.1", .verdict = POLICY_DENY,
		.error = POLICY_MSG_ID_BLOCKED },
	{ .name = "file transfer not allowed", .peer = "1",
		.src = "192.0.2.1", .kind = POLICY_KIND_FILE_TRANSFER,
		.verdict = POLICY_DENY, .error = POLICY_MSG_NO_FILE,
		.rule = "policy.allow.file_transfer 'false'" },
	{ .name = "file transfer allowed, not implemented",
		.allow = POLICY_PERM_FILE | POLICY_PERM_KEYBOARD,
		.implemented = POLICY_PERM_KEYBOARD, .peer = "1",
		.src = "192.0.2.1", .kind = POLICY_KIND_FILE_TRANSFER,
		.verdict = POLICY_DENY, .error = POLICY_MSG_NO_FILE,
		.rule = "policy.allow.file_transfer 'true'" },
	{ .name = "file transfer allowed", .allow = POLICY_PERM_FILE,
		.peer = "1", .src = "192.0.2.1",
		.kind = POLICY_KIND_FILE_TRANSFER, .verdict = POLICY_ALLOW },
	{ .name = "terminal refused", .peer = "1", .src = "192.0.2.1",
		.kind = POLICY_KIND_TERMINAL, .verdict = POLICY_DENY,
		.error = POLICY_MSG_NO_TERMINAL },
	{ .name = "terminal allowed", .allow = POLICY_PERM_TERMINAL,
		.peer = "1", .src = "192.0.2.1", .kind = POLICY_KIND_TERMINAL,
		.verdict = POLICY_ALLOW },
	{ .name = "terminal allowed, not implemented",
		.allow = POLICY_PERM_TERMINAL,
		.implemented = POLICY_PERM_KEYBOARD, .peer = "1",
		.src = "192.0.2.1", .kind = POLICY_KIND_TERMINAL,
		.verdict = POLICY_DENY, .error = POLICY_MSG_NO_TERMINAL },
	{ .name = "port forward refused", .peer = "1", .src = "192.0.2.1",
		.kind = POLICY_KIND_PORT_FORWARD, .verdict = POLICY_DENY,
		.error = POLICY_MSG_NO_TUNNEL },
	{ .name = "port forward allowed",
		.allow = POLICY_PERM_PORT_FORWARD, .peer = "1",
		.src = "192.0.2.1", .kind = POLICY_KIND_PORT_FORWARD,
		.verdict = POLICY_ALLOW },
	{ .name = "camera never", .allow = POLICY_PERM_ALL, .peer = "1",
		.src = "192.0.2.1", .kind = POLICY_KIND_CAMERA,
		.verdict = POLICY_DENY, .error = POLICY_MSG_NO_CAMERA },
	{ .name = "ID checked before kind", .deny_ids = { "1" },
		.peer = "1", .src = "192.0.2.1", .kind = POLICY_KIND_TERMINAL,
		.verdict = POLICY_DENY, .error = POLICY_MSG_ID_BLOCKED },
	{ .name = "inside the schedule",
		.schedule = { "Mon-Fri 08:00-18:00" }, .peer = "1",
		.src = "192.0.2.1", .wday = MON, .hour = 17, .min = 30,
		.verdict = POLICY_ALLOW, .window_left = 30 * 60 },
	{ .name = "outside the schedule",
		.schedule = { "Mon-Fri 08:00-18:00" }, .peer = "1",
		.src = "192.0.2.1", .wday = SAT, .hour = 10,
		.verdict = POLICY_DENY, .error = POLICY_MSG_NOT_ALLOWED,
		.rule = "policy.schedule" },
	{ .name = "second window", .schedule = { "Mon-Fri 08:00-18:00",
		"Sat 10:00-12:00" }, .peer = "1", .src = "192.0.2.1",
		.wday = SAT, .hour = 11, .verdict = POLICY_ALLOW,
		.window_left = 60 * 60 },
	{ .name = "overnight, next morning",
		.schedule = { "Mon-Fri 22:00-06:00" }, .peer = "1",
		.src = "192.0.2.1", .wday = SAT, .hour = 5,
		.verdict = POLICY_ALLOW, .window_left = 60 * 60 },
	{ .name = "overnight, Monday morning is Sunday's night",
		.schedule = { "Mon-Fri 22:00-06:00" }, .peer = "1",
		.src = "192.0.2.1", .wday = MON, .hour = 5,
		.verdict = POLICY_DENY, .error = POLICY_MSG_NOT_ALLOWED },
	{ .name = "adjacent windows join",
		.schedule = { "Mon 08:00-24:00", "Tue 00:00-02:00" },
		.peer = "1", .src = "192.0.2.1", .wday = MON, .hour = 23,
		.verdict = POLICY_ALLOW, .window_left = 3 * 3600 },
	{ .name = "star means always", .schedule = { "Sat 10:00-11:00",
		"*" }, .peer = "1", .src = "192.0.2.1", .wday = MON,
		.hour = 3, .verdict = POLICY_ALLOW },
	{ .name = "max sessions reached", .max_sessions = 2, .peer = "1",
		.src = "192.0.2.1", .active = 2, .verdict = POLICY_DENY,
		.error = POLICY_MSG_NOT_ALLOWED,
		.rule = "policy.limits.max_sessions '2'" },
	{ .name = "below max sessions", .max_sessions = 2, .peer = "1",
		.src = "192.0.2.1", .active = 1, .verdict = POLICY_ALLOW },
	{ .name = "click without a user", .approve = 1 + POLICY_APPROVE_CLICK,
		.peer = "1", .src = "192.0.2.1", .verdict = POLICY_DENY,
		.error = POLICY_MSG_NOT_ALLOWED, .rule = "'click'" },
	{ .name = "click with a user", .approve = 1 + POLICY_APPROVE_CLICK,
		.peer = "1", .src = "192.0.2.1", .user = 1,
		.verdict = POLICY_ASK, .auth = POLICY_AUTH_CLICK },
	{ .name = "both factors without a user",
		.approve = 1 + POLICY_APPROVE_PASSWORD_AND_CLICK, .peer = "1",
		.src = "192.0.2.1", .verdict = POLICY_DENY,
		.rule = "password-and-click" },
	{ .name = "no user and when_no_user deny",
		.absent = 1 + POLICY_CONSENT_DENY, .peer = "1",
		.src = "192.0.2.1", .verdict = POLICY_DENY,
		.rule = "when_no_user 'deny'" },
	{ .name = "user present and deny", .present = 1 + POLICY_CONSENT_DENY,
		.peer = "1", .src = "192.0.2.1", .user = 1,
		.verdict = POLICY_DENY, .rule = "when_user_present 'deny'" },
	{ .name = "bad clock", .peer = "1", .src = "192.0.2.1", .wday = 9,
		.verdict = POLICY_DENY, .rule = "local time" },
};

static int
add_all(struct policy_rules *r, enum policy_list_id id,
	const char *const *items)
{
	for (int i = 0; i < LIST_MAX && items[i] != NULL; i++)
		if (policy_rules_add(r, id, items[i], NULL, 0) != 0)
			return -1;
	return 0;
}

static void
test_decide_table(void)
{
	for (size_t i = 0; i < N(rows); i++) {
		const struct row *w = &rows[i];
		struct policy_rules *r = policy_rules_new();
		struct policy_request q = { 0 };
		struct policy_decision d;
		struct sockaddr_storage ss;

		ASSERT(r != NULL);
		if (w->approve)
			r->approve = (enum policy_approve)(w->approve - 1);
		if (w->present)
			r->when_user_present =
				(enum policy_consent_rule)(w->present - 1);
		if (w->absent)
			r->when_no_user =
				(enum policy_consent_rule)(w->absent - 1);
		r->require_encryption = !w->plaintext_ok;
		r->direct_enabled = !w->direct_off;
		if (w->allow)
			r->allow = w->allow;
		if (w->implemented)
			r->implemented = w->implemented;
		if (w->max_sessions)
			r->max_sessions = w->max_sessions;
		if (w->direct_from[0] != NULL)
			policy_rules_clear(r, POLICY_LIST_DIRECT_ALLOW_FROM);
		if (add_all(r, POLICY_LIST_ALLOW_IDS, w->allow_ids) != 0 ||
			add_all(r, POLICY_LIST_DENY_IDS, w->deny_ids) != 0 ||
			add_all(r, POLICY_LIST_ALLOW_FROM, w->allow_from) != 0 ||
			add_all(r, POLICY_LIST_DIRECT_ALLOW_FROM,
				w->direct_from) != 0 ||
			add_all(r, POLICY_LIST_SCHEDULE, w->schedule) != 0) {
			policy_rules_unref(r);
			TH_FAIL("%s: bad list item", w->name);
		}
		q.stage = w->connect ? POLICY_STAGE_CONNECT : POLICY_STAGE_LOGIN;
		q.peer_id = w->peer;
		q.source = w->src != NULL ? th_addr(w->src, &ss) : NULL;
		q.path = w->direct ? POLICY_PATH_DIRECT_IP :
				     POLICY_PATH_RENDEZVOUS;
		q.encrypted = !w->plaintext;
		q.kind = w->kind;
		q.local.tm_wday = w->wday ? w->wday : MON;
		q.local.tm_hour = w->hour ? w->hour : 10;
		q.local.tm_min = w->min;
		q.user_present = w->user;
		q.active_sessions = (unsigned)w->active;
		policy_decide(r, &q, &d);
		policy_rules_unref(r);
		if (d.verdict != w->verdict)
			TH_FAIL("%s: verdict %s (rule %s: %s)", w->name,
				policy_verdict_name(d.verdict), d.rule,
				d.reason);
		if (w->error != NULL &&
			(d.error == NULL || strcmp(d.error, w->error) != 0))
			TH_FAIL("%s: error '%s'", w->name,
				d.error ? d.error : "(null)");
		if ((d.verdict == POLICY_DENY) != (d.error != NULL))
			TH_FAIL("%s: error iff deny", w->name);
		if (w->rule != NULL && strstr(d.rule, w->rule) == NULL)
			TH_FAIL("%s: rule '%s' lacks '%s'", w->name, d.rule,
				w->rule);
		if (d.rule[0] == '\0' || d.reason[0] == '\0')
			TH_FAIL("%s: no rule or reason", w->name);
		if (d.verdict != POLICY_DENY && w->auth != POLICY_AUTH_NONE &&
			d.consent.auth != w->auth)
			TH_FAIL("%s: auth %s", w->name,
				policy_auth_name(d.consent.auth));
		if (w->window_left && d.window_left_s != w->window_left)
			TH_FAIL("%s: window_left %u", w->name, d.window_left_s);
	}
}

/* Out-of-range enums fail closed: a bogus stage is a full check. */
static void
test_decide_fail_closed(void)
{
	struct policy_rules *r = policy_rules_new();
	struct policy_request q = { .peer_id = "evil", .kind = 0 };
	struct policy_decision d;
	struct sockaddr_storage ss;

	ASSERT(r != NULL);
	ASSERT_INT_EQ(policy_rules_add(r, POLICY_LIST_DENY_IDS, "evil", NULL,
			      0), 0);
	q.stage = (enum policy_stage)7;
	q.source = th_addr("192.0.2.1", &ss);
	q.encrypted = true;
	q.local.tm_wday = 1;
	policy_decide(r, &q, &d);
	ASSERT_INT_EQ(d.verdict, POLICY_DENY);
	ASSERT_STR_EQ(d.error, POLICY_MSG_ID_BLOCKED);
	q.stage = POLICY_STAGE_LOGIN;
	q.peer_id = "ok";
	q.path = (enum policy_path)5;
	policy_decide(r, &q, &d);
	ASSERT_INT_EQ(d.verdict, POLICY_DENY);
	r->max_sessions = 0; /* nothing may be open */
	q.path = POLICY_PATH_RENDEZVOUS;
	policy_decide(r, &q, &d);
	ASSERT_INT_EQ(d.verdict, POLICY_DENY);
	ASSERT_STR_CONTAINS(d.rule, "max_sessions");
	policy_rules_unref(r);
}

/* approve x user present x when_user_present x when_no_user. */
static void
test_consent_matrix(void)
{
	static const struct {
		enum policy_approve ap;
		bool user;
		enum policy_consent_rule up, nu;
		enum policy_verdict v;
		enum policy_auth auth;
	} t[] = {
		{ POLICY_APPROVE_PASSWORD, true, POLICY_CONSENT_ASK,
			POLICY_CONSENT_ALLOW, POLICY_ASK,
			POLICY_AUTH_PASSWORD_AND_CLICK },
		{ POLICY_APPROVE_PASSWORD, true, POLICY_CONSENT_ALLOW,
			POLICY_CONSENT_ALLOW, POLICY_ALLOW,
			POLICY_AUTH_PASSWORD },
		{ POLICY_APPROVE_PASSWORD, true, POLICY_CONSENT_DENY,
			POLICY_CONSENT_ALLOW, POLICY_DENY, POLICY_AUTH_NONE },
		{ POLICY_APPROVE_PASSWORD, false, POLICY_CONSENT_ASK,
			POLICY_CONSENT_ALLOW, POLICY_ALLOW,
			POLICY_AUTH_PASSWORD },
		{ POLICY_APPROVE_PASSWORD, false, POLICY_CONSENT_ASK,
			POLICY_CONSENT_DENY, POLICY_DENY, POLICY_AUTH_NONE },
		{ POLICY_APPROVE_PASSWORD, false, POLICY_CONSENT_ASK,
			POLICY_CONSENT_ASK, POLICY_DENY, POLICY_AUTH_NONE },
		{ POLICY_APPROVE_CLICK, true, POLICY_CONSENT_ASK,
			POLICY_CONSENT_ALLOW, POLICY_ASK, POLICY_AUTH_CLICK },
		{ POLICY_APPROVE_CLICK, true, POLICY_CONSENT_ALLOW,
			POLICY_CONSENT_ALLOW, POLICY_ASK, POLICY_AUTH_CLICK },
		{ POLICY_APPROVE_CLICK, true, POLICY_CONSENT_DENY,
			POLICY_CONSENT_ALLOW, POLICY_DENY, POLICY_AUTH_NONE },
		{ POLICY_APPROVE_CLICK, false, POLICY_CONSENT_ASK,
			POLICY_CONSENT_ALLOW, POLICY_DENY, POLICY_AUTH_NONE },
		{ POLICY_APPROVE_PASSWORD_OR_CLICK, true, POLICY_CONSENT_ASK,
			POLICY_CONSENT_ALLOW, POLICY_ASK, POLICY_AUTH_CLICK },
		{ POLICY_APPROVE_PASSWORD_OR_CLICK, true, POLICY_CONSENT_ALLOW,
			POLICY_CONSENT_ALLOW, POLICY_ASK,
			POLICY_AUTH_PASSWORD_OR_CLICK },
		{ POLICY_APPROVE_PASSWORD_OR_CLICK, false, POLICY_CONSENT_ASK,
			POLICY_CONSENT_ALLOW, POLICY_ALLOW,
			POLICY_AUTH_PASSWORD },
		{ POLICY_APPROVE_PASSWORD_OR_CLICK, false, POLICY_CONSENT_ASK,
			POLICY_CONSENT_DENY, POLICY_DENY, POLICY_AUTH_NONE },
		{ POLICY_APPROVE_PASSWORD_AND_CLICK, true, POLICY_CONSENT_ASK,
			POLICY_CONSENT_ALLOW, POLICY_ASK,
			POLICY_AUTH_PASSWORD_AND_CLICK },
		{ POLICY_APPROVE_PASSWORD_AND_CLICK, true,
			POLICY_CONSENT_ALLOW, POLICY_CONSENT_ALLOW, POLICY_ASK,
			POLICY_AUTH_PASSWORD_AND_CLICK },
		{ POLICY_APPROVE_PASSWORD_AND_CLICK, false, POLICY_CONSENT_ASK,
			POLICY_CONSENT_ALLOW, POLICY_DENY, POLICY_AUTH_NONE },
		{ (enum policy_approve)9, true, POLICY_CONSENT_ALLOW,
			POLICY_CONSENT_ALLOW, POLICY_DENY, POLICY_AUTH_NONE },
	};
	struct policy_rules *r = policy_rules_new();

	ASSERT(r != NULL);
	r->consent_timeout_s = 45;
	for (size_t i = 0; i < N(t); i++) {
		struct policy_consent c;

		r->approve = t[i].ap;
		r->when_user_present = t[i].up;
		r->when_no_user = t[i].nu;
		policy_consent(r, t[i].user, &c);
		if (c.verdict != t[i].v || c.auth != t[i].auth ||
			c.rule[0] == '\0' || c.reason == NULL ||
			c.timeout_s != 45) {
			policy_rules_unref(r);
			TH_FAIL("consent row %zu: %s/%s (%s)", i,
				policy_verdict_name(c.verdict),
				policy_auth_name(c.auth), c.rule);
		}
	}
	policy_rules_unref(r);
}

static void
test_permissions(void)
{
	static const struct {
		uint32_t allow, impl;
		enum policy_kind kind;
		uint32_t want;
	} t[] = {
		{ POLICY_PERM_KEYBOARD | POLICY_PERM_CLIPBOARD |
				POLICY_PERM_RECORDING,
			POLICY_PERM_ALL, POLICY_KIND_DESKTOP,
			POLICY_PERM_KEYBOARD | POLICY_PERM_CLIPBOARD |
				POLICY_PERM_RECORDING },
		{ POLICY_PERM_ALL, POLICY_PERM_ALL, POLICY_KIND_DESKTOP,
			POLICY_PERM_INFO_MASK & ~POLICY_PERM_PRIVACY_MODE },
		{ POLICY_PERM_ALL, POLICY_PERM_KEYBOARD, POLICY_KIND_DESKTOP,
			POLICY_PERM_KEYBOARD },
		{ POLICY_PERM_BLOCK_INPUT, POLICY_PERM_ALL,
			POLICY_KIND_DESKTOP, 0 }, /* needs keyboard */
		{ POLICY_PERM_ALL, POLICY_PERM_ALL, POLICY_KIND_FILE_TRANSFER,
			POLICY_PERM_FILE },
		{ POLICY_PERM_ALL, POLICY_PERM_ALL, POLICY_KIND_TERMINAL,
			POLICY_PERM_TERMINAL },
		{ POLICY_PERM_ALL, POLICY_PERM_ALL, POLICY_KIND_PORT_FORWARD,
			POLICY_PERM_PORT_FORWARD },
		{ 0, POLICY_PERM_ALL, POLICY_KIND_DESKTOP, 0 },
		{ POLICY_PERM_ALL, POLICY_PERM_ALL, (enum policy_kind)77, 0 },
	};
	struct policy_rules *r = policy_rules_new();
	char buf[256];

	ASSERT(r != NULL);
	for (size_t i = 0; i < N(t); i++) {
		r->allow = t[i].allow;
		r->implemented = t[i].impl;
		if (policy_permissions(r, t[i].kind) != t[i].want) {
			policy_rules_unref(r);
			TH_FAIL("perm row %zu: %#x", i, t[i].want);
		}
	}
	policy_rules_unref(r);
	/* Bits 0..8 are PermissionInfo's enum values (spec §13.2). */
	ASSERT_INT_EQ(POLICY_PERM_KEYBOARD, 1u << 0);
	ASSERT_INT_EQ(POLICY_PERM_CLIPBOARD, 1u << 2);
	ASSERT_INT_EQ(POLICY_PERM_FILE, 1u << 4);
	ASSERT_INT_EQ(POLICY_PERM_BLOCK_INPUT, 1u << 7);
	ASSERT_INT_EQ(POLICY_PERM_PRIVACY_MODE, 1u << 8);
	policy_perms_format(POLICY_PERM_KEYBOARD | POLICY_PERM_TERMINAL, buf,
		sizeof(buf));
	ASSERT_STR_EQ(buf, "keyboard terminal");
	policy_perms_format(0, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "-");
}

/* ---- The glue (cli/policy-conf.c) ---- */

static struct conf *
load(const char *yaml)
{
	struct conf *c = NULL;
	struct conf_diags d = { 0 };

	if (conf_load_buffer("t", yaml, strlen(yaml), &c, &d) != 0)
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s: %s\n", d.v[i].where, d.v[i].msg);
	conf_diags_free(&d);
	return c;
}

static void
test_glue_defaults(void)
{
	struct conf *c = conf_new_default();
	struct policy_rules *a = NULL, *b = policy_rules_new();
	struct lockout_conf lc;
	char why[256];

	ASSERT(c != NULL && b != NULL);
	ASSERT_INT_EQ(policy_conf_rules(c, &a, why, sizeof(why)), 0);
	/* policy_rules_new's defaults are conf-keys.h's. */
	ASSERT_INT_EQ(a->approve, b->approve);
	ASSERT_INT_EQ(a->verification, b->verification);
	ASSERT_INT_EQ(a->require_encryption, b->require_encryption);
	ASSERT_INT_EQ(a->direct_enabled, b->direct_enabled);
	ASSERT_INT_EQ(a->when_user_present, b->when_user_present);
	ASSERT_INT_EQ(a->when_no_user, b->when_no_user);
	ASSERT_INT_EQ(a->consent_timeout_s, b->consent_timeout_s);
	ASSERT_INT_EQ(a->allow, b->allow);
	ASSERT_INT_EQ(a->max_sessions, b->max_sessions);
	ASSERT_INT_EQ(a->max_duration_s, b->max_duration_s);
	ASSERT_INT_EQ(a->idle_timeout_s, b->idle_timeout_s);
	ASSERT_INT_EQ(a->direct_allow_from.n, 2);
	ASSERT_STR_EQ(a->direct_allow_from.v[1].text, "::1/128");
	ASSERT_INT_EQ(a->implemented, POLICY_CONF_IMPLEMENTED);
	ASSERT_INT_EQ(a->schedule.n + a->allow_ids.n + a->deny_ids.n +
			a->allow_from.n,
		0);
	policy_conf_lockout(c, &lc);
	ASSERT_INT_EQ(lc.failures, 5);
	ASSERT_U64_EQ(lc.window_ms, 60000);
	ASSERT_U64_EQ(lc.duration_ms, 600000);
	ASSERT_INT_EQ(lc.global_per_minute, 30);
	ASSERT_INT_EQ(lc.otp_rotate_after, 3);
	policy_rules_unref(a);
	policy_rules_unref(b);
	conf_unref(c);
}

static void
test_glue_values(void)
{
	struct conf *c = load(
		"access:\n  approve: password-and-click\n"
		"  verification: one-time\n"
		"security:\n  require_encryption: false\n"
		"  lockout:\n    failures: 7\n    window: 2m\n"
		"    global_per_minute: 0\n"
		"direct_access:\n  allow_from: []\n"
		"policy:\n"
		"  consent:\n    when_user_present: deny\n"
		"    when_no_user: deny\n    timeout: 1m\n"
		"  allow:\n    keyboard: false\n    port_forward: true\n"
		"  peers:\n    allow_ids: ['1234*', 'ABC?']\n"
		"    deny_ids: [evil]\n    allow_from: [10.0.0.0/8]\n"
		"  schedule: ['Mon-Fri 08:00-18:00']\n"
		"  schedule_timezone: UTC\n"
		"  limits:\n    max_sessions: 1\n    max_duration: 2h\n"
		"    idle_timeout: 0\n");
	struct policy_rules *r = NULL;
	struct lockout_conf lc;
	char why[256];

	ASSERT(c != NULL);
	ASSERT_INT_EQ(policy_conf_rules(c, &r, why, sizeof(why)), 0);
	ASSERT_INT_EQ(r->approve, POLICY_APPROVE_PASSWORD_AND_CLICK);
	ASSERT_INT_EQ(r->verification, POLICY_VERIFY_ONE_TIME);
	ASSERT(!r->require_encryption);
	ASSERT_INT_EQ(r->direct_allow_from.n, 0);
	ASSERT_INT_EQ(r->when_user_present, POLICY_CONSENT_DENY);
	ASSERT_INT_EQ(r->when_no_user, POLICY_CONSENT_DENY);
	ASSERT_INT_EQ(r->consent_timeout_s, 60);
	ASSERT_INT_EQ(r->allow, POLICY_PERM_CLIPBOARD | POLICY_PERM_RECORDING |
			POLICY_PERM_PORT_FORWARD);
	ASSERT_INT_EQ(r->allow_ids.n, 2);
	ASSERT_STR_EQ(r->allow_ids.v[1].text, "abc?"); /* lower-cased */
	ASSERT_INT_EQ(r->schedule.n, 1);
	ASSERT_INT_EQ(r->max_sessions, 1);
	ASSERT_INT_EQ(r->max_duration_s, 7200);
	ASSERT_INT_EQ(r->idle_timeout_s, 0);
	policy_conf_lockout(c, &lc);
	ASSERT_INT_EQ(lc.failures, 7);
	ASSERT_U64_EQ(lc.window_ms, 120000);
	ASSERT_INT_EQ(lc.global_per_minute, 0);
	policy_rules_unref(r);
	conf_unref(c);
}

static void
test_glue_time(void)
{
	struct tm tm;
	char why[256];
	const char *before = getenv("TZ");
	char *saved = before != NULL ? strdup(before) : NULL;

	/* 2025-01-06 09:30:00 UTC is a Monday. */
	ASSERT_INT_EQ(policy_conf_localtime("UTC", 1736155800, &tm), 0);
	ASSERT_INT_EQ(tm.tm_wday, 1);
	ASSERT_INT_EQ(tm.tm_hour, 9);
	ASSERT_INT_EQ(tm.tm_min, 30);
	if (policy_conf_check_tz("Europe/Berlin", why, sizeof(why)) == 0) {
		/* CET in winter, CEST in summer. */
		ASSERT_INT_EQ(policy_conf_localtime("Europe/Berlin",
				      1736155800, &tm), 0);
		ASSERT_INT_EQ(tm.tm_hour, 10);
		ASSERT_INT_EQ(policy_conf_localtime("Europe/Berlin",
				      1751362200, &tm), 0); /* 2025-07-01 */
		ASSERT_INT_EQ(tm.tm_hour, 11);
		ASSERT_INT_EQ(policy_conf_localtime("America/New_York",
				      1736155800, &tm), 0);
		ASSERT_INT_EQ(tm.tm_hour, 4);
	} else {
		fprintf(stderr, "no tzdata: skipping named zones\n");
	}
	/* The environment was never written (issue 11 item 6: setenv on
	 * the loop thread races with getaddrinfo in the thread pool). */
	ASSERT_INT_EQ(env_writes, 0);
	/* TZ is unchanged. */
	before = getenv("TZ");
	ASSERT((before == NULL) == (saved == NULL));
	if (saved != NULL)
		ASSERT_STR_EQ(before, saved);
	free(saved);
	ASSERT(policy_conf_check_tz("Europe/Berln", why, sizeof(why)) != 0);
	ASSERT(policy_conf_check_tz("../../etc/passwd", why, sizeof(why)) != 0);
	ASSERT(policy_conf_check_tz("/etc/localtime", why, sizeof(why)) != 0);
	ASSERT_INT_EQ(policy_conf_check_tz("local", why, sizeof(why)), 0);
	ASSERT_INT_EQ(policy_conf_localtime("Nope/Zone", 0, &tm),
		OP_ERR_CONFIG);
}

/* A zone is parsed whole: a file that only starts like a tzfile, a
 * FIFO and a directory are configuration errors, found quickly. */
static void
test_glue_tzfile(void)
{
	char dir[] = "/tmp/op-tzdir-XXXXXX";
	char path[128];
	char why[512];
	struct tm tm;
	FILE *f;

	ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/Bad", dir);
	ASSERT(mkdir(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/Bad/Magic", dir);
	ASSERT((f = fopen(path, "w")) != NULL);
	fputs("TZif2 but nothing a zone needs", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/Bad/Fifo", dir);
	ASSERT(mkfifo(path, 0600) == 0);
	setenv("TZDIR", dir, 1);
	ASSERT_INT_EQ(policy_conf_check_tz("Bad/Magic", why, sizeof(why)),
		OP_ERR_CONFIG);
	ASSERT_STR_CONTAINS(why, "not a valid time zone file");
	ASSERT_INT_EQ(policy_conf_check_tz("Bad/Fifo", why, sizeof(why)),
		OP_ERR_CONFIG);
	ASSERT_STR_CONTAINS(why, "not a regular file");
	ASSERT_INT_EQ(policy_conf_check_tz("Bad", why, sizeof(why)),
		OP_ERR_CONFIG);
	ASSERT_INT_EQ(policy_conf_localtime("Bad/Magic", 0, &tm),
		OP_ERR_CONFIG);
	unsetenv("TZDIR");
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	ASSERT(system(path) == 0);
}

int
main(void)
{
	RUN(test_decide_table);
	RUN(test_decide_fail_closed);
	RUN(test_consent_matrix);
	RUN(test_permissions);
	RUN(test_glue_defaults);
	RUN(test_glue_values);
	RUN(test_glue_time);
	RUN(test_glue_tzfile);
	return th_done();
}
