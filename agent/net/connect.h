/* SPDX-License-Identifier: MIT */
/*
 * Outgoing TCP connections, directly or through a proxy (HTTP CONNECT,
 * HTTPS = HTTP CONNECT inside TLS to the proxy, SOCKS5), with a deadline.
 * Direct connections may be bound to a local address with SO_REUSEADDR +
 * SO_REUSEPORT, which TCP hole punching needs (spec §1.2, §4.2).
 */
#ifndef OP_NET_CONNECT_H
#define OP_NET_CONNECT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

struct stream;

enum proxy_scheme {
	PROXY_NONE,
	PROXY_HTTP,
	PROXY_HTTPS,
	PROXY_SOCKS5,
};

struct proxy_conf {
	enum proxy_scheme scheme;
	char host[256];
	uint16_t port;
	char user[256];
	char password[256]; /* from a 0600 file, never from the URL */
	char ca_file[4096]; /* "" = the system store */
};

/*
 * Parses "scheme://[user@]host[:port]" (schemes http, https, socks5;
 * default ports 8080/443... see connect.c) into *out (password left
 * empty). A password inside the URL is refused: it must come from a file.
 * Pure. Returns 0 or OP_ERR_CONFIG with err filled.
 */
int proxy_parse_url(const char *url, struct proxy_conf *out, char *err,
	size_t err_size);

struct net_connect_opts {
	const struct proxy_conf *proxy; /* NULL or PROXY_NONE: direct */
	/* Direct only: bind to this local address with SO_REUSEADDR and
	 * SO_REUSEPORT before connecting (port 0 = any). */
	const struct sockaddr *bind_local;
	unsigned timeout_ms; /* whole operation: DNS, TCP, proxy, TLS */
};

/* status 0 and a started-but-not-reading stream (call stream_start), or
 * a negative code and s == NULL. */
typedef void (*net_connect_fn)(void *arg, int status, struct stream *s);

struct net_connect;

/*
 * Resolves host, connects (through the proxy if any), and calls cb
 * exactly once unless this returns an error (then never). *out (may be
 * NULL) lets the caller cancel with net_connect_cancel, which calls cb
 * with UV_ECANCELED.
 */
int net_connect_start(uv_loop_t *loop, const char *host, uint16_t port,
	const struct net_connect_opts *opts, net_connect_fn cb, void *arg,
	struct net_connect **out);
void net_connect_cancel(struct net_connect *c);

/*
 * A TCP socket fd with SO_REUSEADDR + SO_REUSEPORT (+ TCP_NODELAY) bound
 * to local (port may be 0). Returns the fd or a negative errno.
 */
int net_reuse_socket(const struct sockaddr *local);

#endif
