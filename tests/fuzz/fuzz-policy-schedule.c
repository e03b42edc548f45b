/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes schedule windows and the decision that uses them. The input is
 * "window\0rest": the window is parsed (a refusal must say why, and
 * conf/'s check must agree on every printable string); a window that
 * parses must be well-formed, and its compiled minute-of-the-week bitmap
 * must agree with policy_window_match at every minute of the week. The
 * rest drives one policy_decide with the window as the schedule.
 */

#include "core/netaddr.h"
#include "policy/policy.h"
#include "policy-fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_week(const struct policy_window *w, const char *s)
{
	struct policy_rules *r = policy_rules_new();

	if (r == NULL)
		return;
	if (policy_rules_add(r, POLICY_LIST_SCHEDULE, s, NULL, 0) != 0)
		__builtin_trap();
	for (int m = 0; m < 7 * 1440; m++) {
		bool bit = (r->week[m / 8] >> (m % 8)) & 1u;

		if (bit != policy_window_match(w, m / 1440, m % 1440))
			__builtin_trap();
	}
	policy_rules_unref(r);
}

static void
decide(const char *window, const uint8_t *p, size_t n)
{
	struct policy_rules *r = policy_rules_new();
	struct policy_request q = { 0 };
	struct policy_decision d;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint8_t b[12] = { 0 };

	if (r == NULL)
		return;
	memcpy(b, p, n < sizeof(b) ? n : sizeof(b));
	(void)policy_rules_add(r, POLICY_LIST_SCHEDULE, window, NULL, 0);
	r->approve = (enum policy_approve)(b[0] % 5);
	r->when_user_present = (enum policy_consent_rule)(b[1] % 4);
	r->when_no_user = (enum policy_consent_rule)(b[2] % 4);
	r->allow = (uint32_t)b[3] << 16 | b[4];
	r->require_encryption = b[5] & 1;
	memcpy(&sin.sin_addr, b + 6, 4);
	q.stage = (enum policy_stage)(b[5] >> 1 & 1);
	q.path = (enum policy_path)(b[5] >> 2 & 1);
	q.encrypted = b[5] >> 3 & 1;
	q.user_present = b[5] >> 4 & 1;
	q.kind = (enum policy_kind)(b[10] % 6);
	q.source = (const struct sockaddr *)&sin;
	q.peer_id = "123456789";
	q.local.tm_wday = b[11] % 8;
	q.local.tm_hour = b[10] % 25;
	q.local.tm_min = b[9] % 61;
	policy_decide(r, &q, &d);
	if ((d.verdict == POLICY_DENY) != (d.error != NULL) ||
		d.rule[0] == '\0' ||
		(d.verdict != POLICY_DENY && d.perms != 0 &&
			(d.perms & ~r->allow) != 0))
		__builtin_trap();
	policy_rules_unref(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t wl = nul != NULL ? (size_t)(nul - data) : size;
	char *s = pf_string(data, wl, 128);
	char err[POLICY_ERR_MAX];
	struct policy_window w;
	int r, conf_ok;

	if (s == NULL)
		return 0;
	err[0] = '\0';
	r = policy_window_parse(s, &w, err, sizeof(err));
	if (r == 0) {
		if (w.days == 0 || w.days > 0x7f || w.start >= 1440 ||
			w.end > 1440 || w.end == 0 || w.start == w.end)
			__builtin_trap();
		check_week(&w, s);
	} else if (err[0] == '\0') {
		__builtin_trap();
	}
	conf_ok = pf_conf_accepts("policy:\n  schedule: [", s);
	if (conf_ok >= 0 && conf_ok != (r == 0)) {
		fprintf(stderr, "policy %d, conf %d: '%s'\n", r, conf_ok, s);
		__builtin_trap();
	}
	if (nul != NULL)
		decide(s, nul + 1, size - wl - 1);
	free(s);
	return 0;
}
