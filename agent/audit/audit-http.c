/* SPDX-License-Identifier: MIT */
/*
 * The HTTP/1.1 pieces of forwarding, as pure functions: the API server
 * URL from the config, the POST request, and a bounded parser for the
 * head of the server's answer. The answer is untrusted (the server, or
 * whoever sits in between on plain http): the head must fit in
 * AUDIT_HTTP_MAX_HEAD bytes, control bytes and folded header lines are
 * refused, and nothing after the head is looked at (the body is ignored).
 * Fuzzed by tests/fuzz/fuzz-audit-http.c. No I/O, no allocation except
 * through the caller's audit_buf.
 */
#include "audit/audit-internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"

static bool
is_tchar(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		(c >= 'A' && c <= 'Z') ||
		(c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool
host_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		(c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '_';
}

static bool
v6_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		(c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

int
audit__url_parse(const char *url, struct audit_url *out)
{
	const char *p, *host, *host_end, *path;
	size_t hl, pl;
	unsigned long port = 0;

	memset(out, 0, sizeof(*out));
	if (url == NULL || strpbrk(url, "@?# \t\r\n\\") != NULL)
		return OP_ERR_CONFIG;
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return OP_ERR_CONFIG;
	if (strncasecmp(url, "https://", 8) == 0) {
		out->tls = true;
		p = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		p = url + 7;
	} else {
		return OP_ERR_CONFIG;
	}
	if (*p == '[') {
		host = ++p;
		while (*p != '\0' && *p != ']')
			if (!v6_char(*p++))
				return OP_ERR_CONFIG;
		if (*p != ']' || p - host < 2)
			return OP_ERR_CONFIG;
		host_end = p++;
	} else {
		host = p;
		while (*p != '\0' && *p != ':' && *p != '/')
			if (!host_char(*p++))
				return OP_ERR_CONFIG;
		host_end = p;
	}
	hl = (size_t)(host_end - host);
	if (hl == 0 || hl >= sizeof(out->host))
		return OP_ERR_CONFIG;
	memcpy(out->host, host, hl);
	out->host[hl] = '\0';
	if (*p == ':') {
		p++;
		if (*p < '0' || *p > '9')
			return OP_ERR_CONFIG;
		while (*p >= '0' && *p <= '9') {
			port = port * 10 + (unsigned long)(*p++ - '0');
			if (port > 65535)
				return OP_ERR_CONFIG;
		}
		if (port == 0)
			return OP_ERR_CONFIG;
	} else {
		port = out->tls ? 443 : 80;
	}
	if (*p != '\0' && *p != '/')
		return OP_ERR_CONFIG;
	out->port = (uint16_t)port;
	path = p;
	pl = strlen(path);
	while (pl > 0 && path[pl - 1] == '/')
		pl--;
	if (pl >= sizeof(out->path))
		return OP_ERR_CONFIG;
	memcpy(out->path, path, pl);
	out->path[pl] = '\0';
	snprintf(out->host_hdr, sizeof(out->host_hdr), "%s%s%s",
		host[-1] == '[' ? "[" : "", out->host,
		host[-1] == '[' ? "]" : "");
	if (port != (out->tls ? 443u : 80u)) {
		size_t n = strlen(out->host_hdr);

		snprintf(out->host_hdr + n, sizeof(out->host_hdr) - n, ":%lu",
			port);
	}
	return 0;
}

void
audit__http_request(struct audit_buf *b, const struct audit_url *u,
	const char *path, const char *body, size_t body_len)
{
	audit__buf_printf(b,
		"POST %s%s HTTP/1.1\r\n"
		"Host: %s\r\n"
		"User-Agent: outpost/%s\r\n"
		"Content-Type: application/json\r\n"
		"Content-Length: %zu\r\n"
		"Connection: close\r\n"
		"\r\n",
		u->path, path, u->host_hdr, OP_VERSION, body_len);
	audit__buf_put(b, body, body_len);
}

static int
parse_status_line(const uint8_t *l, size_t n, int *status)
{
	int s = 0;

	/* "HTTP/1.x NNN" then nothing or " reason" */
	if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 ||
		(l[7] != '0' && l[7] != '1') || l[8] != ' ')
		return OP_ERR_PROTO;
	for (size_t i = 9; i < 12; i++) {
		if (l[i] < '0' || l[i] > '9')
			return OP_ERR_PROTO;
		s = s * 10 + (l[i] - '0');
	}
	if (s < 100 || s > 599 || (n > 12 && l[12] != ' '))
		return OP_ERR_PROTO;
	for (size_t i = 12; i < n; i++)
		if ((l[i] < 0x20 && l[i] != '\t') || l[i] == 0x7f)
			return OP_ERR_PROTO;
	*status = s;
	return 0;
}

static int
check_header_line(const uint8_t *l, size_t n)
{
	size_t i = 0;

	while (i < n && is_tchar(l[i]))
		i++;
	if (i == 0 || i >= n || l[i] != ':')
		return OP_ERR_PROTO; /* also refuses folded lines */
	for (i++; i < n; i++)
		if ((l[i] < 0x20 && l[i] != '\t') || l[i] == 0x7f)
			return OP_ERR_PROTO;
	return 0;
}

int
audit__http_parse_head(const uint8_t *p, size_t len, int *status,
	size_t *head_len)
{
	static const char magic[] = "HTTP/1.";
	size_t lim = len < AUDIT_HTTP_MAX_HEAD ? len : AUDIT_HTTP_MAX_HEAD;
	size_t pos = 0;
	unsigned lines = 0;
	int st = 0;

	*status = 0;
	*head_len = 0;
	/* Fail early on something that is not HTTP at all. */
	for (size_t i = 0; i < lim && i < sizeof(magic) - 1; i++)
		if (p[i] != (uint8_t)magic[i])
			return OP_ERR_PROTO;
	for (;;) {
		const uint8_t *nl = memchr(p + pos, '\n', lim - pos);
		size_t n, end;
		int r;

		if (nl == NULL)
			return len >= AUDIT_HTTP_MAX_HEAD ? OP_ERR_TOO_LARGE :
							    OP_ERR_INCOMPLETE;
		end = (size_t)(nl - p);
		n = end - pos;
		if (n > 0 && p[end - 1] == '\r')
			n--;
		if (lines == 0) {
			r = parse_status_line(p + pos, n, &st);
		} else if (n == 0) {
			*status = st;
			*head_len = end + 1;
			return 0;
		} else if (lines > AUDIT_HTTP_MAX_HEADERS) {
			r = OP_ERR_PROTO;
		} else {
			r = check_header_line(p + pos, n);
		}
		if (r != 0)
			return r;
		lines++;
		pos = end + 1;
	}
}
