/* SPDX-License-Identifier: MIT */
/*
 * The xfer runner: a queue of received file messages and one
 * uv_queue_work item at a time that applies them and then takes a few
 * bounded steps. The worker touches only the xfer and the batch it was
 * handed; the queue, the callbacks and the outbox drain stay on the loop
 * thread (after-work). It must not send from the worker or run two work
 * items for one xfer: struct xfer is not thread-safe.
 */
#include "xfer/xfer-uv.h"

#include <stdlib.h>

#include "core/err.h"
#include "wire/msg.h"
#include "xfer/xfer-wire.h"
#include "xfer/xfer.h"

/* Per work item: at most this many steps, and stop early once this much
 * block data waits in the outbox. */
#define STEPS_PER_TURN 16
#define OUT_BYTES_PER_TURN (2 * 1024 * 1024)

struct qmsg {
	Hbb__Message *m;
	struct qmsg *next;
};

struct xfer_runner {
	uv_loop_t *loop;
	struct xfer *x;
	struct xfer_runner_cbs cbs;
	uv_work_t work;
	bool busy;
	bool closing;
	void (*closed)(void *arg);
	void *closed_arg;
	struct qmsg *head;
	struct qmsg *tail;
	unsigned nq;
	struct qmsg *batch; /* the worker's */
	unsigned allow;     /* the worker's XFER_PENDING_* */
};

static void schedule(struct xfer_runner *self);

static void
free_list(struct qmsg *q)
{
	while (q != NULL) {
		struct qmsg *next = q->next;

		wire_msg_free(q->m);
		free(q);
		q = next;
	}
}

int
xfer_runner_new(uv_loop_t *loop, struct xfer *x,
	const struct xfer_runner_cbs *cbs, struct xfer_runner **out)
{
	struct xfer_runner *self = calloc(1, sizeof(*self));

	*out = NULL;
	if (self == NULL)
		return OP_ERR_NOMEM;
	self->loop = loop;
	self->x = x;
	self->cbs = *cbs;
	self->work.data = self;
	*out = self;
	return 0;
}

static void
work_cb(uv_work_t *w)
{
	struct xfer_runner *self = w->data;

	for (struct qmsg *q = self->batch; q != NULL; q = q->next) {
		if (q->m->union_case == HBB__MESSAGE__UNION_FILE_ACTION)
			(void)xfer_wire_action(self->x, q->m->file_action);
		else if (q->m->union_case == HBB__MESSAGE__UNION_FILE_RESPONSE)
			(void)xfer_wire_response(self->x, q->m->file_response);
	}
	for (int n = 0; n < STEPS_PER_TURN &&
		xfer_queued_bytes(self->x) < OUT_BYTES_PER_TURN; n++)
		if (xfer_step(self->x, self->allow) != 1)
			break;
}

static void
noop_cb(uv_work_t *w)
{
	(void)w;
}

/* What one turn produced, taken off the xfer so the next turn can run on
 * the worker while the loop encrypts and writes this one. */
struct turn_out {
	struct xfer_msg *msgs;
	struct xfer_result *results;
};

static struct turn_out
take_turn(struct xfer_runner *self)
{
	struct turn_out t = { NULL, NULL };
	struct xfer_msg **mt = &t.msgs, *m;
	struct xfer_result **rt = &t.results, *r;

	while ((m = xfer_take_msg(self->x)) != NULL) {
		*mt = m;
		mt = &m->next;
	}
	while ((r = xfer_take_result(self->x)) != NULL) {
		*rt = r;
		rt = &r->next;
	}
	return t;
}

/* Hands a turn's messages and results to the session (send = false:
 * the session is gone, only the results are reported). */
static void
deliver(struct xfer_runner *self, struct turn_out t, bool send)
{
	bool ok = send;

	while (t.msgs != NULL) {
		struct xfer_msg *next = t.msgs->next;

		if (ok && xfer_wire_emit(t.msgs, self->cbs.send,
				  self->cbs.arg) < 0)
			ok = false;
		xfer_msg_free(t.msgs);
		t.msgs = next;
	}
	while (t.results != NULL) {
		struct xfer_result *next = t.results->next;

		if (self->cbs.result != NULL)
			self->cbs.result(self->cbs.arg, t.results);
		xfer_result_free(t.results);
		t.results = next;
	}
}

static void
finish_close(struct xfer_runner *self)
{
	void (*closed)(void *) = self->closed;
	void *arg = self->closed_arg;

	xfer_shutdown(self->x);
	deliver(self, take_turn(self), false);
	free_list(self->head);
	xfer_free(self->x);
	free(self);
	if (closed != NULL)
		closed(arg);
}

static void
after_cb(uv_work_t *w, int status)
{
	struct xfer_runner *self = w->data;

	(void)status;
	self->busy = false;
	free_list(self->batch);
	self->batch = NULL;
	if (self->closing) {
		finish_close(self);
		return;
	}
	/* The next turn reads and hashes while this one is sent: the room
	 * check below does not yet count this turn's bytes, so the session
	 * may hold up to two turns (OUT_BYTES_PER_TURN each) past its mark. */
	struct turn_out t = take_turn(self);

	schedule(self);
	deliver(self, t, true);
	if (self->cbs.progress != NULL)
		self->cbs.progress(self->cbs.arg, self->nq);
}

static void
schedule(struct xfer_runner *self)
{
	unsigned allow = XFER_PENDING_WORK;

	if (self->busy || self->closing)
		return;
	if (self->cbs.room == NULL || self->cbs.room(self->cbs.arg))
		allow |= XFER_PENDING_SEND;
	if (self->head == NULL && (xfer_pending(self->x) & allow) == 0)
		return;
	self->batch = self->head;
	self->head = self->tail = NULL;
	self->nq = 0;
	self->allow = allow;
	if (uv_queue_work(self->loop, &self->work, work_cb, after_cb) != 0) {
		/* Cannot happen with a valid loop; keep the messages queued. */
		self->head = self->batch;
		for (self->tail = self->head; self->tail != NULL &&
			self->tail->next != NULL; self->tail = self->tail->next)
			self->nq++;
		self->batch = NULL;
		return;
	}
	self->busy = true;
}

int
xfer_runner_push(struct xfer_runner *self, Hbb__Message *m)
{
	struct qmsg *q;

	if (self->closing) {
		wire_msg_free(m);
		return OP_ERR_STATE;
	}
	if (self->nq >= XFER_RUNNER_MAX_QUEUE) {
		wire_msg_free(m);
		return OP_ERR_TOO_LARGE;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		wire_msg_free(m);
		return OP_ERR_NOMEM;
	}
	q->m = m;
	if (self->tail != NULL)
		self->tail->next = q;
	else
		self->head = q;
	self->tail = q;
	self->nq++;
	schedule(self);
	return 0;
}

void
xfer_runner_kick(struct xfer_runner *self)
{
	schedule(self);
}

unsigned
xfer_runner_queued(const struct xfer_runner *self)
{
	return self->nq;
}

void
xfer_runner_close(struct xfer_runner *self, void (*closed)(void *arg),
	void *arg)
{
	if (self->closing)
		return;
	self->closing = true;
	self->closed = closed;
	self->closed_arg = arg;
	if (self->busy)
		return; /* after_cb finishes it */
	/* An empty work item, so closed() always runs later, from the loop,
	 * never inside this call. */
	self->batch = NULL;
	self->allow = 0;
	if (uv_queue_work(self->loop, &self->work, noop_cb, after_cb) == 0)
		self->busy = true;
	else
		finish_close(self);
}
