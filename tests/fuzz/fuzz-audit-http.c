/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes what reaches the audit module from outside: the API server's
 * answer (an untrusted peer, or whoever sits on a plain http path), the
 * forwarding URL from the config, and the text helpers that carry peer
 * names and edited database values to JSON, CSV and terminals. The first
 * byte picks the target:
 *   0  audit__http_parse_head      3  audit__sanitize
 *   1  audit__url_parse            4  audit_parse_time
 *   2  JSON: validator + escaper
 * Beyond "no crash", the checks are the contracts: bounded heads, sane
 * statuses and URLs, escaped output that is itself valid JSON, sanitised
 * output free of control bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit-internal.h"
#include "audit/audit-query.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_head(const uint8_t *p, size_t n)
{
	size_t hl = 0;
	int st = 0;
	int r = audit__http_parse_head(p, n, &st, &hl);

	if (r == 0) {
		if (hl == 0 || hl > n || hl > AUDIT_HTTP_MAX_HEAD ||
			st < 100 || st > 599 || p[hl - 1] != '\n')
			__builtin_trap();
	} else if (r == OP_ERR_INCOMPLETE) {
		if (n >= AUDIT_HTTP_MAX_HEAD)
			__builtin_trap();
	} else if (r != OP_ERR_PROTO && r != OP_ERR_TOO_LARGE) {
		__builtin_trap();
	}
}

static char *
cstr(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* The first blank line (memmem, which Windows' CRT lacks). */
static const char *
head_end(const char *p, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i++)
		if (memcmp(p + i, "\r\n\r\n", 4) == 0)
			return p + i;
	return NULL;
}

static void
check_url(const uint8_t *p, size_t n)
{
	struct audit_url u;
	struct audit_buf b;
	char *s = cstr(p, n);

	if (s == NULL)
		return;
	if (audit__url_parse(s, &u) == 0) {
		if (u.host[0] == '\0' || u.port == 0 ||
			strpbrk(u.host_hdr, "\r\n ") != NULL ||
			strpbrk(u.path, "\r\n ?#") != NULL)
			__builtin_trap();
		audit__buf_init(&b, 1 << 16);
		audit__http_request(&b, &u, AUDIT_FWD_PATH, "{}", 2);
		/* One request line and the fixed headers only. */
		if (b.failed || head_end(b.p, b.len) != b.p + b.len - 6)
			__builtin_trap();
		audit__buf_free(&b);
	}
	free(s);
}

static void
check_json(const uint8_t *p, size_t n)
{
	struct audit_buf b;

	(void)audit__json_is_object((const char *)p, n);
	(void)audit__json_is_value((const char *)p, n);
	audit__buf_init(&b, 8 * n + 16);
	audit__buf_json_str(&b, (const char *)p, n);
	if (b.failed || !audit__json_is_value(b.p, b.len) ||
		!audit__utf8_valid(b.p, b.len))
		__builtin_trap();
	audit__buf_free(&b);
}

static void
check_sanitize(const uint8_t *p, size_t n)
{
	char out[128];

	audit__sanitize(out, sizeof(out), (const char *)p, n);
	for (const unsigned char *c = (const unsigned char *)out; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			__builtin_trap();
	if (!audit__utf8_valid(out, strlen(out)))
		__builtin_trap();
}

static void
check_time(const uint8_t *p, size_t n)
{
	char *s = cstr(p, n);
	int64_t t;

	if (s == NULL)
		return;
	(void)audit_parse_time(s, 1795000000LL * 1000000, &t);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		check_head(data + 1, size - 1);
		break;
	case 1:
		check_url(data + 1, size - 1);
		break;
	case 2:
		check_json(data + 1, size - 1);
		break;
	case 3:
		check_sanitize(data + 1, size - 1);
		break;
	case 4:
		check_time(data + 1, size - 1);
		break;
	}
	return 0;
}
