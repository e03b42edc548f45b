/* SPDX-License-Identifier: MIT */
/*
 * The loop side of the audit trail: typed records are built here (fields
 * JSON, a journal sentence, the §15 forwarding body), queued, and handed
 * to the writer (audit-sqlite.c) as one uv_queue_work job at a time; the
 * job owns the database connection and the records while it runs, and
 * the after-work callback reports each record's commit to its caller.
 * Session ids are handed out here, before the commit, from the highest id
 * the file has seen. Everything runs on the loop thread; the only thing
 * that crosses threads is the job, by libuv's hand-over.
 *
 * A failed transaction is not the end of its records: they go back to
 * the head of the queue, in order, and are tried again with backoff
 * (sqlite's "database is locked" outlasting the busy timeout is the usual
 * cause). Only an authorization fails at once, because its caller refuses
 * the session rather than wait. A record that still fails after
 * AUDIT_RETRY_MAX attempts, or that a full backlog refuses, is lost: the
 * loss is counted, logged, and written as an audit.discontinuity record
 * (how many, which types, made when, why) by the next transaction that
 * commits, which `audit verify` reports.
 *
 * It must not block on the disk after audit_open (only the worker
 * touches the file), drop a record silently (every failure reaches the
 * record's callback, the log and, once the file can be written again,
 * the trail itself), or hold a caller's pointers after a call returns
 * (everything is copied).
 */
#include "audit/audit-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "conf/conf.h"
#include "core/err.h"
#include "core/time.h"

#define PRUNE_INTERVAL_MS (3600u * 1000u)
#define SIZE_CHECK_EVERY 1000 /* appended records between size checks */

static const char *const path_names[] = { "direct-ip", "punch", "local",
	"relay", "client-relay" };
static const char *const kind_names[] = { "desktop", "file-transfer",
	"port-forward", "view-camera", "terminal" };
static const char *const auth_names[] = { "none", "click",
	"one-time-password", "permanent-password", "switch-sides" };
static const char *const consent_names[] = { "not-asked", "auto-allow",
	"allowed", "denied", "timeout" };
static const char *const perm_names[AUDIT_PERM_COUNT] = { "keyboard",
	"clipboard", "file_transfer", "audio", "terminal", "restart",
	"block_input", "recording" };

#define NAME(tbl, i)                                  \
	((unsigned)(i) < sizeof(tbl) / sizeof(tbl[0]) ? \
			tbl[(unsigned)(i)] :            \
			"?")

const char *
audit_path_name(enum audit_path p)
{
	return NAME(path_names, p);
}

const char *
audit_conn_type_name(enum audit_conn_type t)
{
	return NAME(kind_names, t);
}

const char *
audit_auth_method_name(enum audit_auth_method m)
{
	return NAME(auth_names, m);
}

const char *
audit_consent_name(enum audit_consent c)
{
	return NAME(consent_names, c);
}

const char *
audit_perm_name(unsigned bit_index)
{
	return NAME(perm_names, bit_index);
}

int
audit_opts_from_conf(const struct conf *c, struct audit_opts *o, char *err,
	size_t err_size)
{
	static const enum audit_mirror mirrors[] = { AUDIT_MIRROR_AUTO,
		AUDIT_MIRROR_JOURNALD, AUDIT_MIRROR_SYSLOG, AUDIT_MIRROR_NONE };
	struct audit_url u;
	int m = conf_enum(c, CONF_AUDIT_MIRROR);

	memset(o, 0, sizeof(*o));
	if (err != NULL && err_size > 0)
		err[0] = '\0';
	o->max_age_s = (uint64_t)conf_int(c, CONF_AUDIT_MAX_AGE);
	o->max_size_bytes = (uint64_t)conf_int(c, CONF_AUDIT_MAX_SIZE_MB) << 20;
	o->mirror = m >= 0 && m < 4 ? mirrors[m] : AUDIT_MIRROR_AUTO;
	o->forward = conf_bool(c, CONF_AUDIT_FORWARD_ENABLED);
	o->forward_url = conf_str(c, CONF_AUDIT_FORWARD_URL);
	o->forward_ca = conf_str(c, CONF_AUDIT_FORWARD_CA);
	o->forward_timeout_ms =
		(unsigned)conf_int(c, CONF_AUDIT_FORWARD_TIMEOUT) * 1000u;
	if (o->forward && audit__url_parse(o->forward_url, &u) != 0) {
		if (err != NULL)
			snprintf(err, err_size,
				"audit.forward.enabled is set but "
				"audit.forward.url (\"%s\") is not "
				"http(s)://host[:port][/path]",
				o->forward_url);
		return OP_ERR_CONFIG;
	}
	return 0;
}

void
audit__rec_free(struct audit_rec *r)
{
	if (r == NULL)
		return;
	free(r->fields);
	free(r->fwd_body);
	free(r->message);
	free(r);
}

/* ---- The writer job ---- */

static void
work_cb(uv_work_t *w)
{
	struct audit_job *j = (struct audit_job *)w; /* work is first */

	audit__db_run(j->db, j);
}

static void
after_work_cb(uv_work_t *w, int status)
{
	struct audit *a = w->data;
	struct audit_job *j = &a->job;
	struct audit_rec_list done;
	struct audit_rec *r;
	bool queued = false;

	(void)status; /* never cancelled */
	a->db = j->db;
	j->db = NULL;
	a->in_flight = false;
	TAILQ_INIT(&done);
	TAILQ_CONCAT(&done, &j->recs, link);
	if (j->status != 0) {
		unsigned supp = 0;

		if (op_ratelimit_allow(&a->err_rl, op_now_ms(), 5, 60000,
			    &supp))
			log_error_r(j->status,
				"audit: writing to %s failed (%s)%s",
				AUDIT_DB_NAME, j->why,
				supp ? " (more failures suppressed)" : "");
		for (size_t i = 0; i < j->n_acks &&
			a->fwd.n_ack < AUDIT_MAX_ACKS;
			i++)
			a->fwd.ack[a->fwd.n_ack++] = j->acks[i];
		audit__requeue_failed(a, j, &done);
	} else {
		a->retry_delay_ms = a->knobs.retry_base_ms;
		if (j->size_used >= 0) {
			a->size_used = j->size_used;
			audit__size_check(a);
		}
	}
	TAILQ_FOREACH(r, &done, link)
		if (r->id > 0 && r->fwd_body != NULL)
			queued = true;
	if (j->fetch) {
		if (j->status == 0 && j->fetched)
			audit__fwd_fetched(a, j);
		else
			audit__fwd_job_failed(a, j->status);
	}
	free(j->q_body);
	j->q_body = NULL;
	if (queued)
		audit__fwd_appended(a);
	a->dispatching++;
	while ((r = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, r, link);
		if (r->cb != NULL)
			r->cb(r->arg, r->status, r->id);
		audit__rec_free(r);
	}
	a->dispatching--;
	audit__kick(a);
	audit__maybe_finish(a);
}

void
audit__kick(struct audit *a)
{
	struct audit_job *j = &a->job;
	struct audit_rec *r;
	int64_t last_session = a->next_session - 1;
	int e;

	if (a->in_flight || a->db == NULL || a->retry_wait)
		return;
	/* Session ids handed out without a record (connections that never
	 * logged in) are saved with the next job, never on their own: that
	 * would cost an fsync per connection. */
	if (TAILQ_EMPTY(&a->pending) && a->fwd.n_ack == 0 &&
		!a->fwd.want_fetch && a->loss.records == 0 &&
		a->loss.refused == 0)
		return;
	memset(j, 0, sizeof(*j));
	TAILQ_INIT(&j->recs);
	j->size_used = -1;
	if ((a->loss.records > 0 || a->loss.refused > 0) &&
		(r = audit__loss_record(&a->loss)) != NULL) {
		TAILQ_INSERT_TAIL(&j->recs, r, link);
		j->reported = a->loss;
		memset(&a->loss, 0, sizeof(a->loss));
	}
	for (size_t n = 0; n < AUDIT_BATCH_MAX &&
		(r = TAILQ_FIRST(&a->pending)) != NULL;
		n++) {
		TAILQ_REMOVE(&a->pending, r, link);
		a->n_pending--;
		if (r->kind == AUDIT_REC_PRUNE)
			j->measure = true;
		TAILQ_INSERT_TAIL(&j->recs, r, link);
	}
	memcpy(j->acks, a->fwd.ack, a->fwd.n_ack * sizeof(j->acks[0]));
	j->n_acks = a->fwd.n_ack;
	a->fwd.n_ack = 0;
	j->fetch = a->fwd.want_fetch;
	a->fwd.want_fetch = false;
	j->max_age_s = a->max_age_s;
	j->max_size_bytes = a->max_size_bytes;
	j->now_us = (int64_t)op_wall_us();
	j->last_session = last_session;
	j->mirror = a->mirror;
	j->busy_timeout_ms = a->knobs.busy_timeout_ms;
	j->db = a->db;
	j->work.data = a;
	a->db = NULL;
	a->in_flight = true;
	if ((e = uv_queue_work(a->loop, &j->work, work_cb, after_work_cb)) !=
		0) {
		/* Not expected (only bad arguments fail); report it the way
		 * a failed transaction would be. */
		j->status = e;
		snprintf(j->why, sizeof(j->why), "uv_queue_work: %s",
			uv_strerror(e));
		TAILQ_FOREACH(r, &j->recs, link)
			r->status = e;
		after_work_cb(&j->work, e);
	}
}

/* ---- Records ---- */

int
audit__check_open(struct audit *a, const char *type)
{
	if (a == NULL || a->closing)
		return OP_ERR_STATE;
	if (a->n_pending >= AUDIT_BACKLOG_MAX) {
		/* The caller hears it, but the trail must say so too. */
		audit__loss_add(&a->loss, type, (int64_t)op_wall_us(), true,
			"backlog full: the disk is not keeping up");
		a->lost_total++;
		return OP_ERR_TOO_LARGE;
	}
	return 0;
}

struct audit_rec *
audit__rec_new(int64_t session, const char *type, int priority)
{
	struct audit_rec *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->kind = AUDIT_REC_EVENT;
	r->time_us = (int64_t)op_wall_us();
	r->session = session > 0 ? session : 0;
	snprintf(r->type, sizeof(r->type), "%s", type);
	r->priority = priority;
	return r;
}

int
audit__rec_take(struct audit *a, struct audit_rec *r, struct audit_buf *f,
	struct audit_buf *m, struct audit_buf *fwd)
{
	r->fields = audit__buf_steal(f);
	r->message = audit__buf_steal(m);
	if (fwd != NULL && a->fwd.queue_records)
		r->fwd_body = audit__buf_steal(fwd);
	else if (fwd != NULL)
		audit__buf_free(fwd);
	if (r->fields == NULL || r->message == NULL ||
		(fwd != NULL && a->fwd.queue_records && r->fwd_body == NULL)) {
		audit__rec_free(r);
		return OP_ERR_NOMEM;
	}
	r->fields_len = strlen(r->fields);
	return 0;
}

void
audit__rec_queue(struct audit *a, struct audit_rec *r, audit_commit_fn cb,
	void *arg)
{
	r->cb = cb;
	r->arg = arg;
	TAILQ_INSERT_TAIL(&a->pending, r, link);
	a->n_pending++;
	if (a->max_size_bytes > 0 &&
		++a->since_size_check >= SIZE_CHECK_EVERY) {
		a->since_size_check = 0;
		(void)audit_prune(a, NULL, NULL);
	}
	audit__kick(a);
}

/* Takes the buffers' contents into r and queues it. fwd may be NULL. */
int
audit__rec_submit(struct audit *a, struct audit_rec *r, struct audit_buf *f,
	struct audit_buf *m, struct audit_buf *fwd, audit_commit_fn cb,
	void *arg)
{
	int e;

	if ((e = audit__rec_take(a, r, f, m, fwd)) != 0)
		return e;
	audit__rec_queue(a, r, cb, arg);
	return 0;
}

int
audit_prune(struct audit *a, audit_commit_fn cb, void *arg)
{
	struct audit_rec *r;
	int e;

	AUDIT_REMOTE(a, prune(a->remote_ctx, cb, arg));
	if ((e = audit__check_open(a, "audit.prune")) != 0)
		return e;
	if ((r = audit__rec_new(0, "audit.prune", 5)) == NULL)
		return OP_ERR_NOMEM;
	r->kind = AUDIT_REC_PRUNE;
	r->cb = cb;
	r->arg = arg;
	TAILQ_INSERT_TAIL(&a->pending, r, link);
	a->n_pending++;
	audit__kick(a);
	return 0;
}

static int
lifecycle_event(struct audit *a, const char *type)
{
	struct audit_buf f, m;
	struct audit_rec *r;

	if ((r = audit__rec_new(0, type, 6)) == NULL)
		return OP_ERR_NOMEM;
	audit__buf_init(&f, 1024);
	audit__buf_init(&m, 256);
	audit__buf_printf(&f,
		"{\"version\":\"%s\",\"pid\":%ld,\"forward\":%s,"
		"\"max_age_s\":%" PRIu64 ",\"max_size_bytes\":%" PRIu64 "}",
		OP_VERSION, (long)uv_os_getpid(),
		a->fwd.queue_records ? "true" : "false", a->max_age_s,
		a->max_size_bytes);
	audit__buf_printf(&m, "audit trail %s by outpost %s",
		strcmp(type, "audit.open") == 0 ? "opened" : "closed",
		OP_VERSION);
	return audit__rec_submit(a, r, &f, &m, NULL, NULL, NULL);
}

/* ---- Open, settings, close ---- */

static void
on_prune_timer(uv_timer_t *t)
{
	(void)audit_prune(t->data, NULL, NULL);
}

static int
apply_opts(struct audit *a, const struct audit_opts *o)
{
	char b64[128];
	char *id = strdup(o->host_id != NULL ? o->host_id : "");
	const char *uuid = o->host_uuid != NULL ? o->host_uuid : "";
	char *u64 = NULL;

	if (strlen(uuid) <= 64) {
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)uuid,
			strlen(uuid), sodium_base64_VARIANT_ORIGINAL);
		u64 = strdup(b64);
	}
	if (id == NULL || u64 == NULL) {
		free(id);
		free(u64);
		return u64 == NULL && strlen(uuid) > 64 ? OP_ERR_CONFIG :
							  OP_ERR_NOMEM;
	}
	free(a->host_id);
	free(a->uuid_b64);
	a->host_id = id;
	a->uuid_b64 = u64;
	a->max_age_s = o->max_age_s;
	a->max_size_bytes = o->max_size_bytes;
	a->mirror = audit__mirror_resolve(o->mirror);
	a->quiet = o->quiet;
	return 0;
}

int
audit_set_opts(struct audit *a, const struct audit_opts *o)
{
	int e;

	if (a == NULL || a->closing)
		return OP_ERR_STATE;
	if (a->remote != NULL)
		return 0;
	if ((e = audit__fwd_set(a, o)) != 0 || (e = apply_opts(a, o)) != 0)
		return e;
	if (a->max_age_s > 0 || a->max_size_bytes > 0)
		(void)audit_prune(a, NULL, NULL);
	return 0;
}

int
audit_open(uv_loop_t *loop, const struct audit_opts *o, struct audit **out,
	char *why, size_t why_size)
{
	char w[512] = "";
	struct audit *a;
	int e;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return OP_ERR_NOMEM;
	a->loop = loop;
	TAILQ_INIT(&a->pending);
	TAILQ_INIT(&a->sessions);
	a->size_used = -1;
	audit__set_knobs(a, &(struct audit_knobs){
		.retry_max = AUDIT_RETRY_MAX,
		.retry_base_ms = AUDIT_RETRY_BASE_MS,
		.retry_cap_ms = AUDIT_RETRY_CAP_MS,
		.busy_timeout_ms = AUDIT_BUSY_TIMEOUT_MS,
		.preauth_window_ms = AUDIT_PREAUTH_WINDOW_MS });
	if ((e = audit__fwd_set(a, o)) != 0) {
		snprintf(w, sizeof(w), "bad audit.forward.url \"%s\"",
			o->forward_url != NULL ? o->forward_url : "");
	} else if ((e = apply_opts(a, o)) == 0) {
		e = audit__db_open(o->state_dir, &a->db, w, sizeof(w));
	}
	if (e != 0) {
		if (why != NULL && why_size > 0)
			snprintf(why, why_size, "%s",
				w[0] ? w : op_strerror(e));
		free(a->fwd.ca);
		free(a->host_id);
		free(a->uuid_b64);
		free(a);
		return e;
	}
	a->next_session = a->db->last_session + 1;
	uv_timer_init(loop, &a->prune_timer);
	a->prune_timer.data = a;
	a->handles_open++;
	uv_timer_start(&a->prune_timer, on_prune_timer, PRUNE_INTERVAL_MS,
		PRUNE_INTERVAL_MS);
	uv_unref((uv_handle_t *)&a->prune_timer);
	uv_timer_init(loop, &a->retry_timer);
	a->retry_timer.data = a;
	a->handles_open++;
	audit__preauth_init_handles(a);
	audit__fwd_init_handles(a);
	if (!a->quiet && (e = lifecycle_event(a, "audit.open")) != 0)
		log_error_r(e, "audit: recording the start");
	if (a->max_age_s > 0 || a->max_size_bytes > 0)
		(void)audit_prune(a, NULL, NULL);
	audit__kick(a);
	*out = a;
	return 0;
}

int
audit_open_remote(uv_loop_t *loop, const struct audit_remote_ops *ops,
	void *ctx, struct audit **out)
{
	struct audit *a;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return OP_ERR_NOMEM;
	a->loop = loop;
	a->remote = ops;
	a->remote_ctx = ctx;
	TAILQ_INIT(&a->pending);
	TAILQ_INIT(&a->sessions);
	*out = a;
	return 0;
}

/* A remote trail has nothing to flush: its owner's does that. The
 * closing callback still comes from the loop, by a handle's close. */
static void
close_remote(struct audit *a)
{
	a->remote->shut(a->remote_ctx);
	uv_timer_init(a->loop, &a->retry_timer);
	a->retry_timer.data = a;
	a->handles_open = 1;
	a->handles_closing = true;
	uv_close((uv_handle_t *)&a->retry_timer, audit__handle_closed);
}

void
audit__handle_closed(uv_handle_t *h)
{
	struct audit *a = h->data;
	struct audit_sess *s;

	if (--a->handles_open > 0)
		return;
	audit__db_close(a->db);
	while ((s = TAILQ_FIRST(&a->sessions)) != NULL) {
		TAILQ_REMOVE(&a->sessions, s, link);
		audit__rec_free(s->deferred);
		free(s);
	}
	audit__buf_free(&a->fwd.req);
	free(a->fwd.ca);
	free(a->host_id);
	free(a->uuid_b64);
	if (a->closed_cb != NULL)
		a->closed_cb(a->closed_arg);
	free(a);
}

void
audit__maybe_finish(struct audit *a)
{
	if (!a->closing || a->in_flight || !TAILQ_EMPTY(&a->pending) ||
		a->dispatching > 0 || audit__fwd_busy(a) || a->handles_closing)
		return;
	a->handles_closing = true;
	uv_close((uv_handle_t *)&a->prune_timer, audit__handle_closed);
	uv_close((uv_handle_t *)&a->retry_timer, audit__handle_closed);
	audit__preauth_close_handles(a);
	audit__fwd_close_handles(a);
}

void
audit_close(struct audit *a, audit_closed_fn cb, void *arg)
{
	struct audit_sess *s;

	if (a == NULL || a->closing)
		return;
	if (a->remote != NULL) {
		a->closing = true;
		a->closed_cb = cb;
		a->closed_arg = arg;
		close_remote(a);
		return;
	}
	/* Connections still short of a login attempt are summarised with
	 * the others, before the closing record. */
	TAILQ_FOREACH(s, &a->sessions, link)
		if (s->deferred != NULL)
			audit__preauth_fold(a, s, "open when the trail closed",
				0, 0);
	audit__preauth_flush(a);
	if (!a->quiet)
		(void)lifecycle_event(a, "audit.close");
	a->closing = true;
	a->closed_cb = cb;
	a->closed_arg = arg;
	uv_timer_stop(&a->prune_timer);
	/* One more attempt now for a batch waiting to be retried; after
	 * that, failures are final. */
	uv_timer_stop(&a->retry_timer);
	a->retry_wait = false;
	audit__fwd_stop(a);
	audit__kick(a);
	audit__maybe_finish(a);
}
