/* SPDX-License-Identifier: MIT */
/*
 * A byte stream over TCP, or over TLS on top of TCP (HTTPS proxies), so
 * that the rendezvous, relay and session code does not care which. All
 * calls run on the loop thread. Ownership: the creator owns the stream
 * until stream_close(); the close callback is then called exactly once,
 * after which the stream is freed by this module.
 *
 * Writes are copied into a bounded queue (stream_set_max_queue, default
 * 8 MiB); a write that would exceed it fails with OP_ERR_TOO_LARGE so a
 * slow peer cannot make us buffer without limit.
 *
 * Delivery is never re-entrant: stream_start() and stream_resume() only
 * schedule reading; the first on_read comes from the loop, never from
 * inside those calls. Bytes that a proxy handshake read past its reply
 * belong to the tunnel: they are kept in the stream and delivered first.
 */
#ifndef OP_NET_STREAM_H
#define OP_NET_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "core/netaddr.h"

#define STREAM_DEFAULT_MAX_QUEUE (8u << 20)

struct stream;

/* Data arrived (len > 0), borrowed for the duration of the call. */
typedef void (*stream_read_fn)(struct stream *s, void *arg,
	const uint8_t *data, size_t len);
/* The stream ended: status 0 on orderly EOF, negative on error. Called at
 * most once; the owner should stream_close() in response. */
typedef void (*stream_end_fn)(struct stream *s, void *arg, int status);
/* Final callback after stream_close(); the stream is gone after it. */
typedef void (*stream_closed_fn)(void *arg);

/*
 * Backend operations (stream-tcp.c, stream-tls.c). stream.c calls them;
 * nothing else should. read_start is only called from the loop (never
 * from inside a user call), so a backend may deliver buffered data from
 * it. close starts closing the backend's handles and must end with one
 * call to stream__closed() (stream-internal.h); destroy then frees the
 * backend object.
 */
struct stream_impl {
	const char *name; /* "tcp", "tls" */
	int (*write)(struct stream *s, const uint8_t *data, size_t len);
	int (*read_start)(struct stream *s);
	void (*read_stop)(struct stream *s);
	void (*close)(struct stream *s);
	size_t (*queued)(const struct stream *s);
	int (*peer)(const struct stream *s, struct sockaddr_storage *out);
	int (*local)(const struct stream *s, struct sockaddr_storage *out);
	void (*destroy)(struct stream *s);
};

/* Common part; backends embed it first. The fields after `closing` are
 * managed by stream.c; backends and users leave them alone. */
struct stream {
	const struct stream_impl *impl;
	uv_loop_t *loop;
	stream_read_fn on_read;
	stream_end_fn on_end;
	stream_closed_fn on_closed;
	void *arg;
	size_t max_queue;
	int closing;
	/* stream.c private: */
	uv_idle_t kick;    /* deferred start: read-ahead bytes, then backend */
	uint8_t *ahead;    /* read-ahead bytes (tunnel data after a proxy reply) */
	size_t ahead_len;
	bool reading;      /* the owner wants data */
	bool ended;        /* the backend reported the end */
	bool end_reported; /* on_end was called */
	int end_status;
	int close_refs;    /* kick handle + backend, while closing */
};

/*
 * Wraps a connected uv_tcp_t that was initialised on loop; the stream
 * takes it over (the caller must not touch it afterwards) and sets
 * TCP_NODELAY. Returns NULL on allocation failure, in which case the
 * handle is closed and freed with free() — allocate it with malloc (the
 * uv_tcp_t may be the first member of a larger malloc'd block).
 */
struct stream *stream_tcp_take(uv_loop_t *loop, uv_tcp_t *tcp);

/*
 * Installs the callbacks and starts reading; may be called again to
 * replace the callbacks (e.g. after a proxy handshake used the stream).
 * Returns 0 or OP_ERR_STATE (closing). A backend failure to start is
 * reported through on_end.
 */
int stream_start(struct stream *s, stream_read_fn on_read,
	stream_end_fn on_end, void *arg);
/* Pauses / resumes delivery (backpressure). stream_resume returns 0 or
 * OP_ERR_STATE. Both may be called from inside on_read. */
void stream_pause(struct stream *s);
int stream_resume(struct stream *s);

/* Queues len bytes (copied). Returns 0, OP_ERR_TOO_LARGE (queue full),
 * OP_ERR_STATE (closing, or a TLS stream before its handshake) or a uv
 * error. */
int stream_write(struct stream *s, const uint8_t *data, size_t len);
size_t stream_queued(const struct stream *s);
void stream_set_max_queue(struct stream *s, size_t max);

/* Closes (queued data is flushed best-effort, a few seconds at most) and
 * frees; on_closed(arg) (may be NULL; arg as given to stream_start, or
 * for a stream fresh from net_connect the arg of net_connect_start) is
 * called once when done, from the loop. Safe to call
 * from inside any callback; no on_read/on_end is called after it. A
 * second call is ignored. */
void stream_close(struct stream *s, stream_closed_fn on_closed);

int stream_peer(const struct stream *s, struct sockaddr_storage *out);
int stream_local(const struct stream *s, struct sockaddr_storage *out);
const char *stream_kind(const struct stream *s);

/* ---- TLS (client side, mbedTLS) ---- */

struct stream_tls_opts {
	/* Name sent as SNI and checked against the certificate; required. */
	const char *hostname;
	/* PEM CA bundle; NULL or "" = the system store
	 * (/etc/ssl/certs/ca-certificates.crt). */
	const char *ca_file;
};

/* The peer's leaf certificate, for `outpost doctor` (TLS interception:
 * an unexpected issuer). verify_flags are mbedTLS X.509 flags, 0 when the
 * chain and the name were trusted; verify_text explains them. */
struct stream_tls_cert_info {
	char subject[256];
	char issuer[256];
	uint8_t sha256[32];
	uint32_t verify_flags;
	char verify_text[256];
};

/* Called once when the handshake ended: status 0 (the TLS stream can be
 * used), a negative code, or UV_ECANCELED when the stream was closed
 * first (then before the close callback). */
typedef void (*stream_tls_done_fn)(void *arg, int status);

/*
 * Starts a TLS 1.2+ client handshake over inner (usually a TCP stream),
 * verifying the certificate chain against opts->ca_file and the name
 * against opts->hostname; any failure refuses the connection. On success
 * (0) *out is the TLS stream, which owns inner from now on, and cb is
 * called exactly once; the caller must not use *out before cb reported
 * 0 except to close it. On failure (OP_ERR_CONFIG: unreadable CA file or
 * bad hostname; OP_ERR_NOMEM; OP_ERR_CRYPTO) inner is closed, *out is NULL
 * and cb is never called.
 */
int stream_tls_new(struct stream *inner, const struct stream_tls_opts *opts,
	stream_tls_done_fn cb, void *arg, struct stream **out);

/* The peer certificate seen during the handshake, also when it was
 * refused. Returns 0, OP_ERR_NOT_FOUND (no certificate yet) or
 * OP_ERR_UNSUPPORTED (not a TLS stream). */
int stream_tls_peer_cert_info(const struct stream *s,
	struct stream_tls_cert_info *out);

/* A sentence on why the handshake failed ("" when it did not), valid
 * until the stream is closed; for logs and the connect report. */
const char *stream_tls_error(const struct stream *s);

#endif
