/* SPDX-License-Identifier: MIT */
/*
 * Reassembles BytesCodec frames (spec §1.2) from stream reads. The buffer
 * never holds more than one frame's header plus max_payload bytes (the
 * per-state limit: a few KiB before authentication), so a peer cannot
 * make us buffer more than we allowed.
 */
#ifndef OP_NET_FRAMER_H
#define OP_NET_FRAMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct framer;

/* A complete frame's payload, borrowed for the call. Return 0 to go on,
 * non-zero to stop (e.g. the handler closed the connection). */
typedef int (*framer_frame_fn)(void *arg, const uint8_t *payload,
	size_t len);

struct framer *framer_new(size_t max_payload);
void framer_free(struct framer *f);
/* Changes the limit (e.g. after login); takes effect for the next frame. */
void framer_set_max(struct framer *f, size_t max_payload);

/*
 * Appends data and calls fn for each complete frame. Returns 0,
 * OP_ERR_TOO_LARGE (a frame declared more than the limit: close the
 * connection), or the handler's non-zero return.
 */
int framer_feed(struct framer *f, const uint8_t *data, size_t len,
	framer_frame_fn fn, void *arg);

/*
 * framer_feed that hands out at most max_frames frames (data may be NULL
 * with len 0, to go on with what is buffered). *more is set when it
 * stopped with a complete frame still buffered: the caller lets the loop
 * turn (timers, other peers) and calls again. A flood of small messages
 * then cannot hold the loop for the whole of a large read.
 */
int framer_feed_some(struct framer *f, const uint8_t *data, size_t len,
	size_t max_frames, framer_frame_fn fn, void *arg, bool *more);

#endif
