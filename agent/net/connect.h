/* SPDX-License-Identifier: MIT */
/*
 * Outgoing TCP connections, directly or through a proxy (HTTP CONNECT,
 * HTTPS = HTTP CONNECT inside TLS to the proxy, SOCKS5), with a deadline.
 * Direct connections may be bound to a local address other sockets of
 * ours share (SO_REUSEADDR + SO_REUSEPORT; SO_REUSEADDR on Windows), which
 * TCP hole punching needs (spec §1.2, §4.2).
 */
#ifndef OP_NET_CONNECT_H
#define OP_NET_CONNECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "core/netaddr.h"
#include "core/sock.h"
#include "net/stream.h"

enum proxy_scheme {
	PROXY_NONE,
	PROXY_HTTP,
	PROXY_HTTPS,
	PROXY_SOCKS5,
};

#define PROXY_DEFAULT_PORT_HTTP 8080
#define PROXY_DEFAULT_PORT_HTTPS 443
#define PROXY_DEFAULT_PORT_SOCKS5 1080
#define PROXY_URL_MAX 1024 /* bytes, including the NUL */

struct proxy_conf {
	enum proxy_scheme scheme;
	char host[256]; /* no brackets for IPv6 literals */
	uint16_t port;
	char user[256];
	char password[256]; /* from a 0600 file, never from the URL */
	char ca_file[4096]; /* "" = the system store */
};

/*
 * Parses "scheme://[user@]host[:port][/]" into *out (password and ca_file
 * left empty). Schemes (case-insensitive): http, https, socks5 (socks5h
 * is an alias: we always let the proxy resolve). Default ports: http 8080,
 * https 443, socks5 1080. IPv6 literals go in brackets. The user may be
 * percent-encoded. A password inside the URL ("user:pw@") is refused: it
 * must come from a file. "" parses as PROXY_NONE. Pure. Returns 0 or
 * OP_ERR_CONFIG with err (may be NULL) filled with a sentence; *out is
 * zeroed first.
 */
int proxy_parse_url(const char *url, struct proxy_conf *out, char *err,
	size_t err_size);

/* "http", "https", "socks5" or "none". */
const char *proxy_scheme_name(enum proxy_scheme scheme);

enum net_stage {
	NET_STAGE_RESOLVE, /* DNS of the proxy, or of the target when direct */
	NET_STAGE_TCP,     /* TCP connect */
	NET_STAGE_TLS,     /* TLS handshake with an HTTPS proxy */
	NET_STAGE_PROXY,   /* CONNECT / SOCKS5 exchange */
	NET_STAGE_DONE,
};

/*
 * What happened, for logs and `outpost doctor`. Filled by the time the
 * callback runs (also on failure). Caller-owned; must stay valid until
 * the callback.
 */
struct net_connect_report {
	enum net_stage stage;  /* the stage reached (failed in) */
	char message[320];     /* on failure: a sentence, "" on success */
	char peer[64];         /* the address the TCP connection went to */
	unsigned tcp_ms;       /* TCP connect time (an RTT estimate) */
	unsigned total_ms;     /* until the callback */
	int http_status;       /* the proxy's CONNECT status, 0 = none */
	int socks_reply;       /* SOCKS5 REP field, -1 = none */
	bool tls_seen;         /* tls_cert is valid (HTTPS proxy) */
	struct stream_tls_cert_info tls_cert;
};

struct net_connect_opts {
	const struct proxy_conf *proxy; /* NULL or PROXY_NONE: direct */
	/* Direct only: bind to this local address, shareable (see
	 * net_reuse_socket), before connecting (port 0 = any). Only
	 * addresses of its family are tried. */
	const struct sockaddr *bind_local;
	unsigned timeout_ms; /* whole operation: DNS, TCP, proxy, TLS;
				0 = NET_CONNECT_DEFAULT_TIMEOUT_MS */
	struct net_connect_report *report; /* NULL or filled, see above */
};

#define NET_CONNECT_DEFAULT_TIMEOUT_MS 30000

/* status 0 and a started-but-not-reading stream (call stream_start; its
 * arg is already this callback's arg, so stream_close(s, fn) before
 * stream_start calls fn(arg)), or a negative code and s == NULL. Codes: UV_ETIMEDOUT (deadline),
 * UV_ECANCELED, DNS (UV_EAI_*) and socket errors, OP_ERR_AUTH (proxy
 * refused the credentials: HTTP 407 or 401, SOCKS5 auth), OP_ERR_DENIED (proxy
 * refused the CONNECT, see report->http_status / socks_reply),
 * OP_ERR_PROTO / OP_ERR_TOO_LARGE (malformed proxy reply), OP_ERR_CRYPTO
 * (TLS: untrusted certificate, wrong name, handshake failure), SOCKS5
 * replies as UV_ECONNREFUSED, UV_EHOSTUNREACH, UV_ENETUNREACH,
 * UV_ETIMEDOUT, OP_ERR_UNSUPPORTED. */
typedef void (*net_connect_fn)(void *arg, int status, struct stream *s);

struct net_connect;

/*
 * Resolves host (the proxy resolves it when there is one), connects
 * (through the proxy if any), and calls cb exactly once, always from the
 * loop and never from inside this call, unless this returns an error
 * (then never). host is a name or an IP literal without brackets; opts
 * may be NULL (direct, default deadline). *out (may be NULL) is valid
 * until cb runs and lets the caller cancel with net_connect_cancel,
 * which makes cb report UV_ECANCELED on the same loop iteration;
 * handles still closing then are cleaned up by this module
 * and reference nothing of the caller's. Returns 0, UV_EINVAL (bad
 * host/port/options, a bind_local with a proxy), OP_ERR_NOMEM or a uv
 * error.
 */
int net_connect_start(uv_loop_t *loop, const char *host, uint16_t port,
	const struct net_connect_opts *opts, net_connect_fn cb, void *arg,
	struct net_connect **out);
/* Cancels; no-op once cb has been called (do not call it then). */
void net_connect_cancel(struct net_connect *c);

/*
 * A TCP socket whose local address other sockets of ours may share
 * (op_sock_share_addr: SO_REUSEADDR + SO_REUSEPORT, or SO_REUSEADDR on
 * Windows), with TCP_NODELAY, bound to local (port may be 0), not
 * inherited by children, for uv_tcp_open. Returns 0 with *out set, or a
 * UV_E* code with *out = OP_SOCK_INVALID.
 */
int net_reuse_socket(const struct sockaddr *local, uv_os_sock_t *out);

#endif
