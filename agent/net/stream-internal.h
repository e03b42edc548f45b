/* SPDX-License-Identifier: MIT */
/*
 * What stream backends (stream-tcp.c, stream-tls.c) and the proxy
 * handshake (connect.c) use from stream.c. Not for other modules.
 */
#ifndef OP_NET_STREAM_INTERNAL_H
#define OP_NET_STREAM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "net/stream.h"

/* Initialises the common part (the kick handle is initialised on loop).
 * Returns 0 or a uv error. */
int stream__init(struct stream *s, const struct stream_impl *impl,
	uv_loop_t *loop);
/* Like stream__init failing afterwards: closes the kick handle and then
 * calls impl->destroy(s) from the loop; no user callback. */
void stream__abort(struct stream *s);

/* Backend → owner: data (dropped once closing) and the end (remembered
 * until the owner installed on_end; reported at most once). */
void stream__deliver(struct stream *s, const uint8_t *data, size_t len);
void stream__end(struct stream *s, int status);
/* Backend: its part of the close is complete (exactly once). */
void stream__closed(struct stream *s);

/* Pauses and forgets the callbacks and arg (a proxy handshake hands the
 * stream on to its owner). */
void stream__detach(struct stream *s);

/*
 * Puts len bytes back at the front: they are delivered before anything
 * the backend reads later (the tunnel bytes after a proxy's reply).
 * Returns 0 or OP_ERR_NOMEM.
 */
int stream__unread(struct stream *s, const uint8_t *data, size_t len);

#endif
