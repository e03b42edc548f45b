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
 */
#ifndef OP_NET_STREAM_H
#define OP_NET_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

struct stream;

/* Data arrived (len > 0), borrowed for the duration of the call. */
typedef void (*stream_read_fn)(struct stream *s, void *arg,
	const uint8_t *data, size_t len);
/* The stream ended: status 0 on orderly EOF, negative on error. Called at
 * most once; the owner should stream_close() in response. */
typedef void (*stream_end_fn)(struct stream *s, void *arg, int status);
/* Final callback after stream_close(); the stream is gone after it. */
typedef void (*stream_closed_fn)(void *arg);

struct stream_impl {
	const char *name; /* "tcp", "tls" */
	int (*write)(struct stream *s, const uint8_t *data, size_t len);
	int (*read_start)(struct stream *s);
	void (*read_stop)(struct stream *s);
	void (*close)(struct stream *s);
	size_t (*queued)(const struct stream *s);
	int (*peer)(const struct stream *s, struct sockaddr_storage *out);
	int (*local)(const struct stream *s, struct sockaddr_storage *out);
};

/* Common part; backends embed it first. */
struct stream {
	const struct stream_impl *impl;
	uv_loop_t *loop;
	stream_read_fn on_read;
	stream_end_fn on_end;
	stream_closed_fn on_closed;
	void *arg;
	size_t max_queue;
	int closing;
};

/*
 * Wraps a connected uv_tcp_t that was initialised on loop; the stream
 * takes it over (the caller must not touch it afterwards). Returns NULL on
 * allocation failure, in which case the handle is closed and freed with
 * free() — allocate it with malloc.
 */
struct stream *stream_tcp_take(uv_loop_t *loop, uv_tcp_t *tcp);

/* Installs the callbacks and starts reading. Returns 0 or a uv error. */
int stream_start(struct stream *s, stream_read_fn on_read,
	stream_end_fn on_end, void *arg);
/* Pauses / resumes delivery (backpressure). */
void stream_pause(struct stream *s);
int stream_resume(struct stream *s);

/* Queues len bytes (copied). Returns 0, OP_ERR_TOO_LARGE (queue full),
 * OP_ERR_STATE (closing) or a uv error. */
int stream_write(struct stream *s, const uint8_t *data, size_t len);
size_t stream_queued(const struct stream *s);
void stream_set_max_queue(struct stream *s, size_t max);

/* Closes (queued data is flushed best-effort) and frees; on_closed(arg)
 * is called once when done. Safe to call from inside a callback. */
void stream_close(struct stream *s, stream_closed_fn on_closed);

int stream_peer(const struct stream *s, struct sockaddr_storage *out);
int stream_local(const struct stream *s, struct sockaddr_storage *out);
const char *stream_kind(const struct stream *s);

#endif
