/* SPDX-License-Identifier: MIT */
/*
 * The proxy handshakes as pure functions: request builders, bounded
 * parsers for the proxy's replies (untrusted input, fuzzed by
 * tests/fuzz/fuzz-proxy.c) and a bytes-in/bytes-out state machine that
 * connect.c drives over a stream. No I/O, no loop, no allocation except
 * through the caller's opbuf.
 */
#ifndef OP_NET_PROXY_INTERNAL_H
#define OP_NET_PROXY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/connect.h"

struct opbuf;

/* ---- HTTP CONNECT (proxy-http.c) ---- */

/* Status line + headers + the empty line must fit in this. */
#define PROXY_HTTP_MAX_HEAD 8192
#define PROXY_HTTP_MAX_HEADERS 100

struct proxy_http_reply {
	int status;            /* 100..599 */
	int minor;             /* HTTP/1.<minor>, 0 or 1 */
	size_t head_len;       /* bytes up to and including the empty line */
	char reason[64];       /* printable ASCII only, cut short */
	char auth_scheme[32];  /* first (Proxy|WWW)-Authenticate scheme */
};

/*
 * Parses the head of a proxy's reply to CONNECT from the first len bytes
 * received. Lines end in CRLF (a bare LF is tolerated); control bytes,
 * header continuation lines, versions other than HTTP/1.0 and 1.1 and
 * heads longer than PROXY_HTTP_MAX_HEAD are refused. Bytes after
 * head_len are not looked at (they belong to the tunnel). Returns 0 with
 * *out filled, OP_ERR_INCOMPLETE (valid so far, need more), OP_ERR_PROTO
 * or OP_ERR_TOO_LARGE. *out is zeroed first.
 */
int proxy_http_parse_head(const uint8_t *p, size_t len,
	struct proxy_http_reply *out);

/*
 * Appends "CONNECT host:port HTTP/1.1" with Host and, when user is not
 * empty, "Proxy-Authorization: Basic base64(user:password)". host must
 * already be validated (net_connect_start does). Returns 0,
 * OP_ERR_TOO_LARGE or OP_ERR_NOMEM. The opbuf holds the password: the
 * caller wipes it (opbuf_free and opbuf_reset do).
 */
int proxy_http_request(struct opbuf *out, const char *host, uint16_t port,
	const char *user, const char *password);

/* ---- SOCKS5, RFC 1928 / 1929 (proxy-socks5.c) ---- */

#define SOCKS5_METHOD_NONE 0x00
#define SOCKS5_METHOD_USERPASS 0x02
#define SOCKS5_METHOD_REFUSED 0xff

struct socks5_reply {
	uint8_t rep;  /* 0 = succeeded */
	uint8_t atyp; /* 1, 3 or 4 */
	size_t len;   /* bytes of the whole reply */
};

/* Method selection reply (VER 5, METHOD). Returns 0, OP_ERR_INCOMPLETE
 * or OP_ERR_PROTO. */
int socks5_parse_method(const uint8_t *p, size_t len, uint8_t *method);
/* RFC 1929 status reply (VER 1, STATUS); *status 0 = accepted. */
int socks5_parse_auth(const uint8_t *p, size_t len, uint8_t *status);
/* CONNECT reply (VER 5, REP, RSV 0, ATYP, BND.ADDR, BND.PORT). Returns
 * 0, OP_ERR_INCOMPLETE or OP_ERR_PROTO; *out zeroed first. */
int socks5_parse_reply(const uint8_t *p, size_t len, struct socks5_reply *out);

/* Requests. Returns 0, OP_ERR_RANGE (a field longer than 255 bytes or
 * empty), OP_ERR_TOO_LARGE or OP_ERR_NOMEM. The connect request uses ATYP
 * 1/4 for IP literals and ATYP 3 (the proxy resolves) for names. */
int socks5_greeting(struct opbuf *out, bool offer_userpass);
int socks5_auth_request(struct opbuf *out, const char *user,
	const char *password);
int socks5_connect_request(struct opbuf *out, const char *host,
	uint16_t port);

/* Text and error code (connect.h) for a REP value. */
const char *socks5_reply_text(uint8_t rep);
int socks5_reply_error(uint8_t rep);

/* ---- The handshake state machine (proxy.c) ---- */

struct proxy_hs {
	const struct proxy_conf *conf; /* borrowed; outlives the handshake */
	char host[256];
	uint16_t port;
	int state;
	int http_status; /* 0 = none yet */
	int socks_reply; /* -1 = none yet */
	char msg[256];   /* why it failed */
};

/*
 * Starts the exchange with the proxy in conf (HTTP, HTTPS = HTTP inside
 * the TLS the caller set up, or SOCKS5) for host:port and appends the
 * first bytes to send to out. Returns 0 or an error with hs->msg set.
 */
int proxy_hs_begin(struct proxy_hs *hs, const struct proxy_conf *conf,
	const char *host, uint16_t port, struct opbuf *out);

/*
 * Feeds everything received and not yet consumed (in, len). Sets
 * *consumed to the bytes that belonged to the proxy's replies and appends
 * anything to send to out. Returns 0 when the tunnel is open (in[consumed]
 * onwards is tunnel data), OP_ERR_INCOMPLETE when more input is needed,
 * or an error (see net_connect_fn) with hs->msg set; after an error or
 * success, further calls return OP_ERR_STATE.
 */
int proxy_hs_feed(struct proxy_hs *hs, const uint8_t *in, size_t len,
	size_t *consumed, struct opbuf *out);

/* True when host is acceptable as a connect target: 1..255 bytes of
 * [A-Za-z0-9._-] or an IPv4/IPv6 literal (no brackets). */
bool proxy_host_valid(const char *host);

#endif
