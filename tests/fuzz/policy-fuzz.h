/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz-policy-* targets: a bounded C string from fuzz bytes,
 * and the differential check against conf/: a list item that the policy
 * parser accepts must pass `config check` and vice versa (the two layers
 * cannot share code, so this keeps their grammars identical).
 */
#ifndef OP_TESTS_POLICY_FUZZ_H
#define OP_TESTS_POLICY_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

/* A NUL-terminated copy of at most max bytes of data (stops at a NUL). */
static inline char *
pf_string(const uint8_t *data, size_t size, size_t max)
{
	size_t n = size < max ? size : max;
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

/* Whether conf accepts s as an item of the list under section:key (as
 * "section:\n  [sub:\n]    key: [\"s\"]"). -1 when s cannot be written
 * as a YAML item for the comparison (not printable ASCII). */
static inline int
pf_conf_accepts(const char *yaml_head, const char *s)
{
	char buf[2048];
	size_t o, n = strlen(s);
	struct conf *c = NULL;
	struct conf_diags d = { 0 };
	int r;

	if (n == 0 || n > 600)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return -1;
	o = (size_t)snprintf(buf, sizeof(buf), "%s\"", yaml_head);
	for (size_t i = 0; i < n && o + 4 < sizeof(buf); i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf[o++] = '\\';
		buf[o++] = s[i];
	}
	o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\"]\n");
	r = conf_load_buffer("fuzz", buf, o, &c, &d);
	conf_unref(c);
	conf_diags_free(&d);
	return r == 0;
}

#endif
