/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the ID globs. The input is "pattern\0subject". Beyond "no
 * crash": policy_glob_match agrees with a simple dynamic-programming
 * matcher (the reference), policy_id_match is the whole-ID or
 * before-'@' rule, and conf/'s glob check agrees with policy_glob_check
 * on every printable pattern (differential).
 */
#include "policy/policy.h"
#include "policy-fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char
low(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* dp[i][j]: the first i pattern bytes match the first j subject bytes. */
static bool
ref_match(const char *p, const char *s)
{
	static bool dp[POLICY_ID_MAX + 2][POLICY_ID_MAX + 2];
	size_t pn = strlen(p), sn = strlen(s);

	if (pn > POLICY_ID_MAX || sn > POLICY_ID_MAX)
		return false;
	dp[0][0] = true;
	for (size_t j = 1; j <= sn; j++)
		dp[0][j] = false;
	for (size_t i = 1; i <= pn; i++) {
		dp[i][0] = dp[i - 1][0] && p[i - 1] == '*';
		for (size_t j = 1; j <= sn; j++)
			dp[i][j] = p[i - 1] == '*' ?
				dp[i - 1][j] || dp[i][j - 1] :
				dp[i - 1][j - 1] && (p[i - 1] == '?' ||
					low(p[i - 1]) == low(s[j - 1]));
	}
	return dp[pn][sn];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t pl = nul != NULL ? (size_t)(nul - data) : size;
	char *p = pf_string(data, pl, 300);
	char *s = nul != NULL ? pf_string(nul + 1, size - pl - 1, 300) :
				pf_string(data, 0, 0);
	char err[POLICY_ERR_MAX], *at;
	bool whole, id;
	int r, conf_ok;

	if (p == NULL || s == NULL)
		goto out;
	err[0] = '\0';
	r = policy_glob_check(p, err, sizeof(err));
	if (r != 0 && err[0] == '\0')
		__builtin_trap();
	whole = ref_match(p, s);
	if (policy_glob_match(p, s) != whole)
		__builtin_trap();
	id = policy_id_match(p, s);
	if ((at = strchr(s, '@')) != NULL && strlen(s) <= POLICY_ID_MAX) {
		*at = '\0'; /* the part before the first '@' */
		whole = whole || ref_match(p, s);
	}
	if (id != whole)
		__builtin_trap();
	conf_ok = pf_conf_accepts("policy:\n  peers:\n    deny_ids: [", p);
	if (conf_ok >= 0 && conf_ok != (r == 0)) {
		fprintf(stderr, "policy %d, conf %d: '%s'\n", r, conf_ok, p);
		__builtin_trap();
	}
out:
	free(p);
	free(s);
	return 0;
}
