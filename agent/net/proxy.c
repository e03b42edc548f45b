/* SPDX-License-Identifier: MIT */
/*
 * Proxy configuration and the handshake state machine: proxy_parse_url
 * (the `server.proxy` value) and proxy_hs_*, which turns the proxy's
 * replies into the next bytes to send, then "tunnel open" or an error
 * with a sentence an admin can act on.
 *
 * Must not: accept a password in the URL (it would end up in configs,
 * process listings and logs; it comes from a 0600 file), put a password
 * into a message, or do I/O. Pure, so it is unit-tested and fuzzed.
 */
#include "core/netaddr.h"
#include "net/proxy-internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"

enum {
	HS_IDLE,
	HS_HTTP_HEAD,
	HS_SOCKS_METHOD,
	HS_SOCKS_AUTH,
	HS_SOCKS_REPLY,
	HS_DONE,
	HS_FAILED,
};

const char *
proxy_scheme_name(enum proxy_scheme scheme)
{
	switch (scheme) {
	case PROXY_HTTP:
		return "http";
	case PROXY_HTTPS:
		return "https";
	case PROXY_SOCKS5:
		return "socks5";
	case PROXY_NONE:
		break;
	}
	return "none";
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9');
}

bool
proxy_host_valid(const char *host)
{
	uint8_t a[16];
	size_t n = strnlen(host, 256);

	if (n == 0 || n > 255)
		return false;
	if (inet_pton(AF_INET6, host, a) == 1)
		return true;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(host[i]) && host[i] != '.' && host[i] != '-' &&
			host[i] != '_')
			return false;
	return true;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 3986 userinfo without ':' (the password separator), decoded. */
static int
decode_user(const char *p, size_t n, char *out, size_t outsz)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)p[i];

		if (c == '%') {
			int h;
			int l;

			if (i + 2 >= n || (h = hexval(p[i + 1])) < 0 ||
				(l = hexval(p[i + 2])) < 0)
				return -1;
			c = h * 16 + l;
			i += 2;
			/* A decoded ':' would split "user:password" for
			 * HTTP Basic; controls have no place in a name. */
			if (c < 0x20 || c == 0x7f || c == ':')
				return -1;
		} else if (!is_alnum((char)c) &&
			strchr("-._~!$&'()*+,;=", c) == NULL) {
			return -1;
		}
		if (o + 1 >= outsz)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static int
fail(char *err, size_t err_size, const char *msg)
{
	if (err != NULL && err_size > 0)
		snprintf(err, err_size, "%s", msg);
	return OP_ERR_CONFIG;
}

static int
parse_url(const char *url, struct proxy_conf *out, char *err,
	size_t err_size)
{
	static const struct {
		const char *name;
		enum proxy_scheme scheme;
		uint16_t port;
	} schemes[] = {
		{ "http", PROXY_HTTP, PROXY_DEFAULT_PORT_HTTP },
		{ "https", PROXY_HTTPS, PROXY_DEFAULT_PORT_HTTPS },
		{ "socks5", PROXY_SOCKS5, PROXY_DEFAULT_PORT_SOCKS5 },
		{ "socks5h", PROXY_SOCKS5, PROXY_DEFAULT_PORT_SOCKS5 },
	};
	const char *p;
	const char *auth;
	const char *end;
	const char *at;
	const char *hend;
	const char *port = NULL;
	size_t n;
	size_t i;

	n = strnlen(url, PROXY_URL_MAX);
	if (n == 0)
		return 0;
	if (n >= PROXY_URL_MAX)
		return fail(err, err_size, "proxy URL is too long");
	if ((p = strstr(url, "://")) == NULL)
		return fail(err, err_size,
			"proxy URL must look like scheme://[user@]host[:port] "
			"with scheme http, https or socks5");
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if ((size_t)(p - url) == strlen(schemes[i].name) &&
			strncasecmp(url, schemes[i].name,
				(size_t)(p - url)) == 0)
			break;
	if (i == sizeof(schemes) / sizeof(schemes[0]))
		return fail(err, err_size,
			"unsupported proxy scheme (use http, https or "
			"socks5)");
	out->scheme = schemes[i].scheme;
	out->port = schemes[i].port;
	auth = p + 3;
	end = url + n;
	/* One optional trailing '/', nothing after it. */
	if (end > auth && end[-1] == '/')
		end--;
	for (const char *q = auth; q < end; q++)
		if (*q == '/' || *q == '?' || *q == '#')
			return fail(err, err_size,
				"proxy URL may not have a path, query or "
				"fragment");
	at = memchr(auth, '@', (size_t)(end - auth));
	if (at != NULL) {
		if (memchr(at + 1, '@', (size_t)(end - at - 1)) != NULL)
			return fail(err, err_size,
				"proxy URL has more than one '@'");
		if (memchr(auth, ':', (size_t)(at - auth)) != NULL)
			goto bad_password;
		if (at == auth ||
			decode_user(auth, (size_t)(at - auth), out->user,
				sizeof(out->user)) != 0)
			goto bad_user;
		auth = at + 1;
	}
	if (auth < end && *auth == '[') {
		const char *rb = memchr(auth, ']', (size_t)(end - auth));
		uint8_t a6[16];

		n = rb != NULL ? (size_t)(rb - auth - 1) : 0;
		if (rb == NULL || n == 0 || n >= sizeof(out->host))
			goto bad_host;
		memcpy(out->host, auth + 1, n);
		if (inet_pton(AF_INET6, out->host, a6) != 1)
			goto bad_host;
		hend = rb + 1;
		if (hend < end && *hend != ':')
			goto bad_host;
	} else {
		hend = memchr(auth, ':', (size_t)(end - auth));
		if (hend == NULL)
			hend = end;
		n = (size_t)(hend - auth);
		if (n == 0 || n >= sizeof(out->host))
			goto bad_host;
		memcpy(out->host, auth, n);
		if (strchr(out->host, ':') != NULL ||
			!proxy_host_valid(out->host))
			goto bad_host;
	}
	if (hend < end) {
		unsigned long v = 0;

		port = hend + 1; /* *hend == ':' */
		n = (size_t)(end - port);
		if (n == 0 || n > 5)
			goto bad_port;
		for (i = 0; i < n; i++) {
			if (port[i] < '0' || port[i] > '9')
				goto bad_port;
			v = v * 10 + (unsigned long)(port[i] - '0');
		}
		if (v == 0 || v > 65535)
			goto bad_port;
		out->port = (uint16_t)v;
	}
	return 0;

bad_password:
	return fail(err, err_size,
		"a password in the proxy URL is refused: put it in the file "
		"named by server.proxy_password_file (mode 0600)");
bad_user:
	return fail(err, err_size,
		"invalid user name in the proxy URL (percent-encode special "
		"characters; ':' is not allowed)");
bad_host:
	return fail(err, err_size,
		"invalid proxy host (a name, an IPv4 address or an IPv6 "
		"address in brackets)");
bad_port:
	return fail(err, err_size, "invalid proxy port (1-65535)");
}

int
proxy_parse_url(const char *url, struct proxy_conf *out, char *err,
	size_t err_size)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (err != NULL && err_size > 0)
		err[0] = '\0';
	/* Nothing half-parsed survives an error. */
	if ((r = parse_url(url, out, err, err_size)) != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

/* ---- handshake ---- */

static int
hs_fail(struct proxy_hs *hs, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
hs_fail(struct proxy_hs *hs, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(hs->msg, sizeof(hs->msg), fmt, ap);
	va_end(ap);
	hs->state = HS_FAILED;
	return r;
}

int
proxy_hs_begin(struct proxy_hs *hs, const struct proxy_conf *conf,
	const char *host, uint16_t port, struct opbuf *out)
{
	int r;

	memset(hs, 0, sizeof(*hs));
	hs->conf = conf;
	hs->port = port;
	hs->socks_reply = -1;
	if (!proxy_host_valid(host) || port == 0)
		return hs_fail(hs, UV_EINVAL, "invalid target %.64s:%u", host,
			(unsigned)port);
	snprintf(hs->host, sizeof(hs->host), "%s", host);
	switch (conf->scheme) {
	case PROXY_HTTP:
	case PROXY_HTTPS:
		if (strchr(conf->user, ':') != NULL)
			return hs_fail(hs, OP_ERR_CONFIG,
				"proxy user may not contain ':'");
		r = proxy_http_request(out, host, port, conf->user,
			conf->password);
		hs->state = HS_HTTP_HEAD;
		break;
	case PROXY_SOCKS5:
		r = socks5_greeting(out, conf->user[0] != '\0');
		hs->state = HS_SOCKS_METHOD;
		break;
	case PROXY_NONE:
	default:
		return hs_fail(hs, UV_EINVAL, "no proxy configured");
	}
	if (r != 0)
		return hs_fail(hs, r, "cannot build the proxy request");
	return 0;
}

static int
http_step(struct proxy_hs *hs, const uint8_t *in, size_t len, size_t *used)
{
	struct proxy_http_reply rep;
	const char *name = proxy_scheme_name(hs->conf->scheme);
	int r;

	if ((r = proxy_http_parse_head(in, len, &rep)) == OP_ERR_INCOMPLETE)
		return r;
	if (r == OP_ERR_TOO_LARGE)
		return hs_fail(hs, r,
			"%s proxy reply head exceeds %u bytes", name,
			PROXY_HTTP_MAX_HEAD);
	if (r != 0)
		return hs_fail(hs, r,
			"%s proxy sent a malformed reply (not HTTP/1.x)", name);
	hs->http_status = rep.status;
	*used = rep.head_len;
	if (rep.status >= 200 && rep.status <= 299) {
		hs->state = HS_DONE;
		return 0;
	}
	/* 407 is the proxy's "who are you"; a CONNECT never reaches an
	 * origin server, so a 401 comes from the proxy too (tinyproxy sends
	 * it for a wrong password). */
	if (rep.status == 407 || rep.status == 401)
		return hs_fail(hs, OP_ERR_AUTH,
			hs->conf->user[0] != '\0' ?
				"%s proxy refused the credentials (%d %s%s%s): "
				"check the user in server.proxy and "
				"server.proxy_password_file" :
				"%s proxy requires authentication (%d %s%s%s): "
				"set user@ in server.proxy and "
				"server.proxy_password_file",
			name, rep.status, rep.reason, rep.auth_scheme[0] ? ", wants " : "",
			rep.auth_scheme);
	return hs_fail(hs, OP_ERR_DENIED,
		"%s proxy refused CONNECT to %s:%u: %d %s", name, hs->host,
		(unsigned)hs->port, rep.status, rep.reason);
}

static int
socks_step(struct proxy_hs *hs, const uint8_t *in, size_t len, size_t *used,
	struct opbuf *out)
{
	struct socks5_reply rep;
	uint8_t v;
	int r;

	switch (hs->state) {
	case HS_SOCKS_METHOD:
		if ((r = socks5_parse_method(in, len, &v)) != 0)
			break;
		*used = 2;
		if (v == SOCKS5_METHOD_NONE) {
			hs->state = HS_SOCKS_REPLY;
			r = socks5_connect_request(out, hs->host, hs->port);
		} else if (v == SOCKS5_METHOD_USERPASS &&
			hs->conf->user[0] != '\0') {
			hs->state = HS_SOCKS_AUTH;
			r = socks5_auth_request(out, hs->conf->user,
				hs->conf->password);
			if (r == OP_ERR_RANGE)
				return hs_fail(hs, OP_ERR_CONFIG,
					"SOCKS5 user and password must be "
					"1-255 bytes each");
		} else if (v == SOCKS5_METHOD_REFUSED) {
			return hs_fail(hs, OP_ERR_AUTH,
				hs->conf->user[0] != '\0' ?
					"SOCKS5 proxy accepts none of our "
					"authentication methods" :
					"SOCKS5 proxy requires authentication: "
					"set user@ in server.proxy and "
					"server.proxy_password_file");
		} else {
			return hs_fail(hs, OP_ERR_PROTO,
				"SOCKS5 proxy chose method 0x%02x, which we "
				"did not offer", v);
		}
		break;
	case HS_SOCKS_AUTH:
		if ((r = socks5_parse_auth(in, len, &v)) != 0)
			break;
		*used = 2;
		if (v != 0)
			return hs_fail(hs, OP_ERR_AUTH,
				"SOCKS5 proxy refused the user name or password "
				"(status %u): check server.proxy and "
				"server.proxy_password_file", (unsigned)v);
		hs->state = HS_SOCKS_REPLY;
		r = socks5_connect_request(out, hs->host, hs->port);
		break;
	case HS_SOCKS_REPLY:
		if ((r = socks5_parse_reply(in, len, &rep)) != 0)
			break;
		*used = rep.len;
		hs->socks_reply = rep.rep;
		if (rep.rep != 0)
			return hs_fail(hs, socks5_reply_error(rep.rep),
				"SOCKS5 proxy could not connect to %s:%u: %s "
				"(reply %u)", hs->host, (unsigned)hs->port,
				socks5_reply_text(rep.rep), (unsigned)rep.rep);
		hs->state = HS_DONE;
		return 0;
	default:
		return OP_ERR_INTERNAL;
	}
	if (r == OP_ERR_PROTO)
		return hs_fail(hs, r, "SOCKS5 proxy sent a malformed reply");
	if (r != 0 && r != OP_ERR_INCOMPLETE)
		return hs_fail(hs, r, "cannot build the SOCKS5 request");
	return r;
}

int
proxy_hs_feed(struct proxy_hs *hs, const uint8_t *in, size_t len,
	size_t *consumed, struct opbuf *out)
{
	size_t off = 0;
	int r;

	*consumed = 0;
	for (;;) {
		size_t used = 0;

		switch (hs->state) {
		case HS_HTTP_HEAD:
			r = http_step(hs, in + off, len - off, &used);
			break;
		case HS_SOCKS_METHOD:
		case HS_SOCKS_AUTH:
		case HS_SOCKS_REPLY:
			r = socks_step(hs, in + off, len - off, &used, out);
			break;
		default:
			return OP_ERR_STATE;
		}
		if (r != 0 && r != OP_ERR_INCOMPLETE)
			return r;
		off += used;
		*consumed = off;
		if (r == OP_ERR_INCOMPLETE || hs->state == HS_DONE)
			return r;
	}
}
