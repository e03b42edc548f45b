/* SPDX-License-Identifier: MIT */
/*
 * Forwarding to a RustDesk-Pro-compatible API server (spec §15): the
 * §15 bodies are written into the forward_queue table in the same
 * transaction as their events, so a record is queued if and only if it is
 * committed. This state machine then sends the queue head with POST
 * <base>/api/audit/conn, one record at a time in queue order, and deletes
 * the row (in the writer's next transaction) only after a 2xx answer; any
 * other outcome (no connection, TLS failure, timeout, a malformed or
 * non-2xx answer) leaves the row and retries with exponential backoff
 * (2 s doubling to 5 min, ±25 % jitter), forever: nothing is lost while
 * the server is down, however long. Each body carries a fresh UUID v4
 * nonce chosen when it was queued, so a retry after a lost answer is the
 * same record and the server de-duplicates it (§15).
 *
 * Runs on the loop thread; database access goes through the writer's job
 * (want_fetch / ack). Bytes travel over the caller's audit_transport; the
 * answer is read up to the end of its head (at most AUDIT_HTTP_MAX_HEAD
 * bytes) and the body is ignored. It must not delete a row before a 2xx,
 * nor send two records at once (the order is the queue's).
 */
#include "audit/audit-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/err.h"
#include "core/time.h"

#define BACKOFF_FIRST_MS 2000u
#define BACKOFF_MAX_MS (300u * 1000u)

void
audit__fwd_body_start(const struct audit *a, struct audit_buf *b,
	int64_t conn_id, uint64_t session_id)
{
	uint8_t u[16];

	randombytes_buf(u, sizeof(u));
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	audit__buf_puts(b, "{\"id\":");
	audit__buf_json_cstr(b, a->host_id != NULL ? a->host_id : "");
	audit__buf_puts(b, ",\"uuid\":");
	audit__buf_json_cstr(b, a->uuid_b64 != NULL ? a->uuid_b64 : "");
	audit__buf_printf(b,
		",\"conn_id\":%" PRId64 ",\"session_id\":%" PRIu64
		",\"nonce\":\"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		"%02x%02x%02x%02x%02x%02x\"",
		conn_id, session_id, u[0], u[1], u[2], u[3], u[4], u[5], u[6],
		u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* Cancels the running exchange once; its on_done follows. */
static void
cancel_call(struct audit_fwd *f)
{
	if (f->call != NULL && !f->cancelled) {
		f->cancelled = true;
		f->call_tp->cancel(f->call);
	}
}

static void
flush_done(struct audit *a, int status)
{
	audit_flush_fn cb = a->fwd.flush_cb;

	if (cb == NULL)
		return;
	a->fwd.flush_cb = NULL;
	cb(a->fwd.flush_arg, status, a->fwd.stats.sent);
}

static void
request_fetch(struct audit *a)
{
	struct audit_fwd *f = &a->fwd;

	if (a->closing || (f->state != AUDIT_FWD_IDLE &&
				  f->state != AUDIT_FWD_WAIT))
		return;
	if (f->state == AUDIT_FWD_WAIT)
		uv_timer_stop(&f->retry);
	f->state = AUDIT_FWD_FETCH;
	f->want_fetch = true;
	audit__kick(a);
}

static void
on_retry(uv_timer_t *t)
{
	request_fetch(t->data);
}

static void
fail_attempt(struct audit *a, int e, const char *what)
{
	struct audit_fwd *f = &a->fwd;
	unsigned supp = 0, jitter;

	f->stats.failures++;
	snprintf(f->stats.last_error, sizeof(f->stats.last_error), "%s", what);
	if (op_ratelimit_allow(&f->rl, op_now_ms(), 3, 600000, &supp))
		log_warn_r(e,
			"audit: forwarding to %s%s%s failed: %s; the record "
			"stays queued%s",
			f->url.host_hdr, f->url.path, AUDIT_FWD_PATH, what,
			supp ? " (earlier failures suppressed)" : "");
	f->backoff_ms = f->backoff_ms == 0 ? BACKOFF_FIRST_MS :
		f->backoff_ms >= BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS :
						      f->backoff_ms * 2;
	jitter = randombytes_uniform(f->backoff_ms / 2 + 1);
	f->state = AUDIT_FWD_WAIT;
	if (f->inited)
		uv_timer_start(&f->retry, on_retry,
			f->backoff_ms - f->backoff_ms / 4 + jitter, 0);
	flush_done(a, e);
}

static int
on_http_read(void *arg, const uint8_t *p, size_t n)
{
	struct audit *a = arg;
	struct audit_fwd *f = &a->fwd;
	size_t room = sizeof(f->resp) - f->resp_len;
	size_t hl = 0;
	int status = 0, r;

	if (n > room)
		n = room;
	memcpy(f->resp + f->resp_len, p, n);
	f->resp_len += n;
	for (;;) {
		r = audit__http_parse_head(f->resp, f->resp_len, &status, &hl);
		if (r == OP_ERR_INCOMPLETE && f->resp_len == sizeof(f->resp))
			return OP_ERR_TOO_LARGE;
		if (r != 0)
			return r;
		if (status >= 200) {
			f->http_status = status;
			return 0;
		}
		/* 1xx (e.g. an unasked-for 100 Continue): the real answer
		 * follows. */
		memmove(f->resp, f->resp + hl, f->resp_len - hl);
		f->resp_len -= hl;
	}
}

static void
on_http_done(void *arg, int status, const char *why)
{
	struct audit *a = arg;
	struct audit_fwd *f = &a->fwd;
	char what[160];

	f->call = NULL;
	uv_timer_stop(&f->deadline);
	if (a->closing || f->state != AUDIT_FWD_POSTING) {
		if (!a->closing)
			f->state = f->tp != NULL && f->queue_records ?
				AUDIT_FWD_IDLE :
				AUDIT_FWD_OFF;
		audit__maybe_finish(a);
		return;
	}
	if (status == 0 && f->http_status >= 200 && f->http_status <= 299) {
		f->stats.sent++;
		f->backoff_ms = 0;
		f->stats.last_error[0] = '\0';
		if (f->n_ack < AUDIT_MAX_ACKS)
			f->ack[f->n_ack++] = f->cur_id;
		f->state = AUDIT_FWD_IDLE;
		request_fetch(a);
		return;
	}
	if (f->timed_out)
		status = UV_ETIMEDOUT;
	if (status == 0) {
		snprintf(what, sizeof(what), "the server answered HTTP %d",
			f->http_status);
		status = OP_ERR_DENIED;
	} else {
		snprintf(what, sizeof(what), "%s",
			why != NULL && why[0] != '\0' ? why :
							op_strerror(status));
	}
	fail_attempt(a, status, what);
}

static void
on_deadline(uv_timer_t *t)
{
	struct audit *a = t->data;

	if (a->fwd.call != NULL) {
		a->fwd.timed_out = true;
		cancel_call(&a->fwd);
	}
}

static void
start_post(struct audit *a, int64_t id, const char *body)
{
	struct audit_fwd *f = &a->fwd;
	struct audit_http_req req;
	int e;

	audit__buf_free(&f->req);
	audit__buf_init(&f->req, AUDIT_FWD_BODY_MAX + 2048);
	audit__http_request(&f->req, &f->url, AUDIT_FWD_PATH, body,
		strlen(body));
	if (f->req.failed) {
		fail_attempt(a, OP_ERR_TOO_LARGE, "queued record too large");
		return;
	}
	f->cur_id = id;
	f->resp_len = 0;
	f->http_status = 0;
	f->timed_out = false;
	req = (struct audit_http_req){
		.host = f->url.host,
		.port = f->url.port,
		.tls = f->url.tls,
		.ca_file = f->ca != NULL ? f->ca : "",
		.data = (const uint8_t *)f->req.p,
		.len = f->req.len,
	};
	f->state = AUDIT_FWD_POSTING;
	f->call_tp = f->tp;
	f->cancelled = false;
	e = f->tp->exchange(f->tp->ctx, a->loop, &req, on_http_read,
		on_http_done, a, &f->call);
	if (e != 0) {
		f->call = NULL;
		fail_attempt(a, e, op_strerror(e));
		return;
	}
	uv_timer_start(&f->deadline, on_deadline, f->timeout_ms, 0);
}

void
audit__fwd_fetched(struct audit *a, const struct audit_job *job)
{
	struct audit_fwd *f = &a->fwd;

	if (f->state != AUDIT_FWD_FETCH)
		return;
	if (job->q_id == 0 || a->closing) {
		f->state = AUDIT_FWD_IDLE;
		flush_done(a, 0);
		return;
	}
	start_post(a, job->q_id, job->q_body);
}

void
audit__fwd_job_failed(struct audit *a, int status)
{
	if (a->fwd.state == AUDIT_FWD_FETCH)
		fail_attempt(a, status, "the audit database cannot be read");
}

void
audit__fwd_appended(struct audit *a)
{
	if (a->fwd.state == AUDIT_FWD_IDLE)
		request_fetch(a);
}

int
audit__fwd_set(struct audit *a, const struct audit_opts *o)
{
	struct audit_fwd *f = &a->fwd;
	struct audit_url u;
	bool can_send;
	char *ca;

	memset(&u, 0, sizeof(u));
	if (o->forward && audit__url_parse(o->forward_url, &u) != 0)
		return OP_ERR_CONFIG;
	if ((ca = strdup(o->forward_ca != NULL ? o->forward_ca : "")) == NULL)
		return OP_ERR_NOMEM;
	free(f->ca);
	f->ca = ca;
	if (o->forward)
		f->url = u;
	f->queue_records = o->forward;
	f->timeout_ms = o->forward_timeout_ms != 0 ? o->forward_timeout_ms :
						     12000;
	f->tp = o->transport;
	can_send = o->forward && o->transport != NULL;
	if (!f->inited) {
		f->state = can_send ? AUDIT_FWD_IDLE : AUDIT_FWD_OFF;
	} else if (can_send && f->state == AUDIT_FWD_OFF) {
		f->state = AUDIT_FWD_IDLE;
		request_fetch(a);
	} else if (!can_send && f->state != AUDIT_FWD_OFF) {
		uv_timer_stop(&f->retry);
		cancel_call(f); /* on_http_done ends it */
		f->state = AUDIT_FWD_OFF;
		flush_done(a, OP_ERR_STATE);
	}
	return 0;
}

void
audit__fwd_init_handles(struct audit *a)
{
	struct audit_fwd *f = &a->fwd;

	uv_timer_init(a->loop, &f->retry);
	uv_timer_init(a->loop, &f->deadline);
	/* Neither keeps the loop alive: the daemon has its own handles, and
	 * a maintenance command stops at the first failure anyway. */
	uv_unref((uv_handle_t *)&f->retry);
	uv_unref((uv_handle_t *)&f->deadline);
	f->retry.data = f->deadline.data = a;
	a->handles_open += 2;
	f->inited = true;
	if (f->state == AUDIT_FWD_IDLE) {
		f->state = AUDIT_FWD_WAIT; /* so request_fetch starts */
		request_fetch(a);
	}
}

bool
audit__fwd_busy(const struct audit *a)
{
	return a->fwd.call != NULL;
}

void
audit__fwd_stop(struct audit *a)
{
	struct audit_fwd *f = &a->fwd;

	if (f->inited) {
		uv_timer_stop(&f->retry);
		uv_timer_stop(&f->deadline);
	}
	cancel_call(f);
	f->want_fetch = false;
	flush_done(a, UV_ECANCELED);
}

void
audit__fwd_close_handles(struct audit *a)
{
	uv_close((uv_handle_t *)&a->fwd.retry, audit__handle_closed);
	uv_close((uv_handle_t *)&a->fwd.deadline, audit__handle_closed);
}

int
audit_forward_flush(struct audit *a, audit_flush_fn cb, void *arg)
{
	struct audit_fwd *f;

	if (a == NULL)
		return OP_ERR_STATE;
	AUDIT_REMOTE(a, forward_flush(a->remote_ctx, cb, arg));
	f = &a->fwd;
	if (a->closing || f->state == AUDIT_FWD_OFF ||
		f->flush_cb != NULL || cb == NULL)
		return OP_ERR_STATE;
	f->flush_cb = cb;
	f->flush_arg = arg;
	request_fetch(a); /* IDLE: confirm; WAIT: retry now */
	return 0;
}

void
audit_forward_stats(const struct audit *a, struct audit_fwd_stats *out)
{
	struct audit_status st;

	memset(out, 0, sizeof(*out));
	if (a->remote != NULL && !a->closing)
		a->remote->status(a->remote_ctx, &st, out);
	else if (a->remote == NULL)
		*out = a->fwd.stats;
}
