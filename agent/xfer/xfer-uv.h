/* SPDX-License-Identifier: MIT */
/*
 * Runs an xfer off the loop for a session: received FileAction /
 * FileResponse messages are queued in order, every xfer call (they may
 * block on the filesystem) happens in uv_queue_work, one work item at a
 * time per runner, and what comes out (Messages to send, audit results)
 * is handed to the session's callbacks on the loop thread. Downloads
 * advance only while the session says its send queue has room.
 *
 * Optional: a session may drive struct xfer itself (see xfer-wire.h).
 */
#ifndef OP_XFER_XFER_UV_H
#define OP_XFER_XFER_UV_H

#include <stdbool.h>

#include <uv.h>

#include "message.pb-c.h"

struct xfer;
struct xfer_result;
struct xfer_runner;

struct xfer_runner_cbs {
	/* Sends one Message (valid during the call). A negative return
	 * stops the runner's output for this turn; nothing is retried. */
	int (*send)(void *arg, const Hbb__Message *m);
	/* One audit result (valid during the call). */
	void (*result)(void *arg, const struct xfer_result *r);
	/* Whether the session's send queue has room for more blocks. */
	bool (*room)(void *arg);
	/* After each batch of work (may be NULL): how many received
	 * messages still wait, so the session can stop reading the socket
	 * while uploads outrun the disk, and read again when it drained. */
	void (*progress)(void *arg, unsigned queued);
	void *arg;
};

/*
 * Takes ownership of x. Returns 0 and *out, OP_ERR_NOMEM (x is then
 * still the caller's). Loop thread.
 */
int xfer_runner_new(uv_loop_t *loop, struct xfer *x,
	const struct xfer_runner_cbs *cbs, struct xfer_runner **out);

/*
 * Queues a received Message holding file_action or file_response, taken
 * over from wire_msg_unpack (freed with wire_msg_free once handled).
 * OP_ERR_TOO_LARGE when more than XFER_RUNNER_MAX_QUEUE messages wait (the
 * session should stop reading the socket or close), OP_ERR_STATE after
 * close; m is freed on failure too. Loop thread.
 */
#define XFER_RUNNER_MAX_QUEUE 256
int xfer_runner_push(struct xfer_runner *self, Hbb__Message *m);

/* The session's send queue drained: blocks may flow again. Loop thread. */
void xfer_runner_kick(struct xfer_runner *self);

/* Received messages waiting for the worker. Loop thread. */
unsigned xfer_runner_queued(const struct xfer_runner *self);

/*
 * Ends it: waits for the work in flight, ends every job (results
 * XFER_INTERRUPTED, partial uploads kept for a resume, delivered to
 * cbs->result; nothing more is sent), frees everything, then calls
 * closed(arg) (may be NULL) once, always later from the loop, never from
 * inside this call. Loop thread.
 */
void xfer_runner_close(struct xfer_runner *self, void (*closed)(void *arg),
	void *arg);

#endif
