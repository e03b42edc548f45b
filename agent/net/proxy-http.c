/* SPDX-License-Identifier: MIT */
/*
 * HTTP CONNECT (RFC 9110 §9.3.6, RFC 9112): the request we send to an
 * HTTP(S) proxy and a strict, bounded parser for the head of its reply.
 *
 * Must not: read past the head (the bytes after the empty line are the
 * first bytes of the tunnel and belong to the caller), accept anything
 * that does not look like HTTP/1.x (a confused or hostile proxy gets a
 * clear OP_ERR_PROTO, not a guess), or look at more than
 * PROXY_HTTP_MAX_HEAD bytes. Pure: no I/O, no allocation.
 */
#include "net/proxy-internal.h"

#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* RFC 9110 tchar. */
static bool
is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-vchar / SP / HTAB / obs-text: anything but other controls. */
static bool
is_text(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static bool
name_is(const uint8_t *p, size_t n, const char *want)
{
	size_t i;

	for (i = 0; i < n && want[i] != '\0'; i++)
		if (lower(p[i]) != lower((uint8_t)want[i]))
			return false;
	return i == n && want[i] == '\0';
}

/* Copies printable ASCII, replacing anything else with '?'. */
static void
copy_printable(char *dst, size_t dstsz, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 1 < dstsz; i++)
		dst[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	dst[i] = '\0';
}

/* "HTTP/1.x SP 3DIGIT [SP reason]". */
static int
parse_status_line(const uint8_t *l, size_t n, struct proxy_http_reply *out)
{
	static const char prefix[] = "HTTP/1.";

	if (n < 12 || memcmp(l, prefix, 7) != 0 ||
		(l[7] != '0' && l[7] != '1') || l[8] != ' ' ||
		l[9] < '1' || l[9] > '5' || !is_digit(l[10]) ||
		!is_digit(l[11]))
		return OP_ERR_PROTO;
	if (n > 12 && l[12] != ' ')
		return OP_ERR_PROTO;
	for (size_t i = 13; i < n; i++)
		if (!is_text(l[i]))
			return OP_ERR_PROTO;
	out->minor = l[7] - '0';
	out->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (n > 13)
		copy_printable(out->reason, sizeof(out->reason), l + 13, n - 13);
	return 0;
}

/* "name: value"; records the first Proxy-Authenticate scheme. */
static int
parse_header_line(const uint8_t *l, size_t n, struct proxy_http_reply *out)
{
	size_t colon;
	size_t v;
	size_t e;

	for (colon = 0; colon < n && is_tchar(l[colon]); colon++)
		;
	/* A leading SP/HT is obsolete line folding (RFC 9112 §5.2): refused,
	 * as is a space before the colon. */
	if (colon == 0 || colon == n || l[colon] != ':')
		return OP_ERR_PROTO;
	for (size_t i = colon + 1; i < n; i++)
		if (!is_text(l[i]))
			return OP_ERR_PROTO;
	if (out->auth_scheme[0] == '\0' &&
		(name_is(l, colon, "Proxy-Authenticate") ||
			name_is(l, colon, "WWW-Authenticate"))) {
		for (v = colon + 1; v < n && (l[v] == ' ' || l[v] == '\t'); v++)
			;
		for (e = v; e < n && is_tchar(l[e]); e++)
			;
		copy_printable(out->auth_scheme, sizeof(out->auth_scheme),
			l + v, e - v);
	}
	return 0;
}

int
proxy_http_parse_head(const uint8_t *p, size_t len,
	struct proxy_http_reply *out)
{
	static const char prefix[] = "HTTP/1.";
	size_t scan = len < PROXY_HTTP_MAX_HEAD ? len : PROXY_HTTP_MAX_HEAD;
	size_t pos = 0;
	unsigned lines = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return OP_ERR_INCOMPLETE;
	/* Fail early on something that is not HTTP at all, rather than wait
	 * for 8 KiB or the deadline. */
	if (memcmp(p, prefix, scan < 7 ? scan : 7) != 0)
		return OP_ERR_PROTO;
	while (pos < scan) {
		const uint8_t *lf = memchr(p + pos, '\n', scan - pos);
		size_t n;

		if (lf == NULL)
			break;
		n = (size_t)(lf - (p + pos));
		if (n > 0 && p[pos + n - 1] == '\r')
			n--;
		/* A CR anywhere else, a NUL or another control byte is
		 * refused by the line parsers. */
		if (lines == 0) {
			if ((r = parse_status_line(p + pos, n, out)) != 0)
				return r;
		} else if (n == 0) {
			out->head_len = (size_t)(lf - p) + 1;
			return 0;
		} else if (lines > PROXY_HTTP_MAX_HEADERS) {
			return OP_ERR_TOO_LARGE;
		} else if ((r = parse_header_line(p + pos, n, out)) != 0) {
			return r;
		}
		lines++;
		pos = (size_t)(lf - p) + 1;
	}
	/* The partial line must be plausible too. */
	for (size_t i = pos; i < scan; i++)
		if (!is_text(p[i]) && !(p[i] == '\r' && i + 1 == scan))
			return OP_ERR_PROTO;
	memset(out, 0, sizeof(*out));
	return scan >= PROXY_HTTP_MAX_HEAD ? OP_ERR_TOO_LARGE :
					     OP_ERR_INCOMPLETE;
}

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Appends base64(a || b) to out without building a plain-text copy. */
static int
put_base64_pair(struct opbuf *out, const char *a, const char *b)
{
	size_t la = strlen(a);
	size_t lb = strlen(b);
	size_t total = la + lb;
	uint8_t in[3];
	char enc[4];
	size_t i = 0;
	int r;

	while (i < total) {
		size_t k;

		for (k = 0; k < 3 && i + k < total; k++)
			in[k] = (uint8_t)(i + k < la ? a[i + k] : b[i + k - la]);
		for (size_t z = k; z < 3; z++)
			in[z] = 0;
		enc[0] = b64_alphabet[in[0] >> 2];
		enc[1] = b64_alphabet[((in[0] & 3) << 4) | (in[1] >> 4)];
		enc[2] = k > 1 ?
			b64_alphabet[((in[1] & 15) << 2) | (in[2] >> 6)] : '=';
		enc[3] = k > 2 ? b64_alphabet[in[2] & 63] : '=';
		if ((r = opbuf_put(out, enc, 4)) != 0)
			goto out;
		i += k;
	}
	r = 0;
out:
	sodium_memzero(in, sizeof(in));
	sodium_memzero(enc, sizeof(enc));
	return r;
}

int
proxy_http_request(struct opbuf *out, const char *host, uint16_t port,
	const char *user, const char *password)
{
	char line[600];
	bool v6 = strchr(host, ':') != NULL;
	int n;
	int r;

	/* An IPv6 literal is bracketed in the authority (RFC 9112 §3.2.3). */
	n = snprintf(line, sizeof(line),
		"CONNECT %s%s%s:%u HTTP/1.1\r\nHost: %s%s%s:%u\r\n"
		"User-Agent: outpost\r\n",
		v6 ? "[" : "", host, v6 ? "]" : "", (unsigned)port,
		v6 ? "[" : "", host, v6 ? "]" : "", (unsigned)port);
	if (n < 0 || (size_t)n >= sizeof(line))
		return OP_ERR_TOO_LARGE;
	if ((r = opbuf_put(out, line, (size_t)n)) != 0)
		return r;
	if (user != NULL && user[0] != '\0') {
		static const char hdr[] = "Proxy-Authorization: Basic ";
		char *pair_user = line;

		/* base64("user:password"): build "user:" and stream the
		 * password after it. */
		n = snprintf(pair_user, sizeof(line), "%s:", user);
		if (n < 0 || (size_t)n >= sizeof(line))
			return OP_ERR_TOO_LARGE;
		if ((r = opbuf_put(out, hdr, sizeof(hdr) - 1)) != 0 ||
			(r = put_base64_pair(out, pair_user,
				 password != NULL ? password : "")) != 0 ||
			(r = opbuf_put(out, "\r\n", 2)) != 0)
			return r;
	}
	return opbuf_put(out, "\r\n", 2);
}
