/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes policy_cidr_parse / policy_cidr_match. Beyond "no crash": a
 * network that parses formats to text that parses to the same network,
 * has no bits after its prefix and contains its own address; a refusal
 * always says why; and conf/'s CIDR check agrees on every printable
 * string (differential: `config check` must refuse exactly what the
 * daemon would).
 */

#include "core/netaddr.h"
#include "policy/policy.h"
#include "policy-fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_network(const struct policy_cidr *c)
{
	struct policy_cidr again;
	struct sockaddr_storage ss;
	char text[64];
	int max = c->family == 4 ? 32 : 128;

	if ((c->family != 4 && c->family != 6) || c->prefix > max)
		__builtin_trap();
	for (int b = c->prefix; b < max; b++)
		if (c->addr[b / 8] & (0x80u >> (b % 8)))
			__builtin_trap();
	policy_cidr_format(c, text, sizeof(text));
	if (policy_cidr_parse(text, &again, NULL, 0) != 0 ||
		memcmp(&again, c, sizeof(again)) != 0)
		__builtin_trap();
	memset(&ss, 0, sizeof(ss));
	if (c->family == 4) {
		ss.ss_family = AF_INET;
		memcpy(&((struct sockaddr_in *)&ss)->sin_addr, c->addr, 4);
	} else {
		ss.ss_family = AF_INET6;
		memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, c->addr, 16);
	}
	if (!policy_cidr_match(c, (struct sockaddr *)&ss))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = pf_string(data, size, 256);
	char err[POLICY_ERR_MAX];
	struct policy_cidr c;
	int r, conf_ok;

	if (s == NULL)
		return 0;
	err[0] = '\0';
	r = policy_cidr_parse(s, &c, err, sizeof(err));
	if (r == 0)
		check_network(&c);
	else if (err[0] == '\0')
		__builtin_trap();
	conf_ok = pf_conf_accepts("policy:\n  peers:\n    allow_from: [", s);
	if (conf_ok >= 0 && conf_ok != (r == 0)) {
		fprintf(stderr, "policy %d, conf %d: '%s'\n", r, conf_ok, s);
		__builtin_trap();
	}
	free(s);
	return 0;
}
