/* SPDX-License-Identifier: MIT */
/*
 * What happens when a write fails (issue 11 item 8), and the trail's
 * health: the records of a failed transaction go back to the head of the
 * queue, in order, for another attempt after a backoff (250 ms doubling to
 * 8 s), AUDIT_RETRY_MAX attempts each; an authorization is failed at once
 * (its caller refuses the session instead of waiting); a record that runs
 * out of attempts, or that a full backlog refuses, is counted as lost,
 * logged, and reported in the trail by an audit.discontinuity record at
 * the head of the next transaction. Also the size warning before size
 * pruning deletes rows, and the status for `outpost status`. Loop thread
 * only.
 *
 * It must not lose a count: a discontinuity record whose transaction
 * failed goes back into the running count; only at close, when no
 * transaction will follow, is the loss left to the journal.
 */
#include "audit/audit-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/time.h"

void
audit__loss_add(struct audit_loss *l, const char *type, int64_t time_us,
	bool refused, const char *why)
{
	unsigned i;

	if (refused)
		l->refused++;
	else
		l->records++;
	if (l->first_us == 0 || time_us < l->first_us)
		l->first_us = time_us;
	if (time_us > l->last_us)
		l->last_us = time_us;
	if (why != NULL && why[0] != '\0')
		snprintf(l->why, sizeof(l->why), "%s", why);
	for (i = 0; i < l->n_types; i++)
		if (strcmp(l->types[i].type, type) == 0)
			break;
	if (i == l->n_types && i < AUDIT_LOSS_TYPES) {
		snprintf(l->types[i].type, sizeof(l->types[i].type), "%s",
			type);
		l->n_types++;
	}
	if (i < l->n_types)
		l->types[i].n++;
	else
		l->other_types++;
}

/* A report that did not commit goes back into the running count. */
static void
loss_merge(struct audit_loss *into, const struct audit_loss *from)
{
	struct audit_loss sum = *from;

	if (from->records == 0 && from->refused == 0)
		return;
	for (unsigned i = 0; i < into->n_types; i++) {
		unsigned k;

		for (k = 0; k < sum.n_types; k++)
			if (strcmp(sum.types[k].type, into->types[i].type) ==
				0)
				break;
		if (k == sum.n_types && k < AUDIT_LOSS_TYPES) {
			sum.types[k] = into->types[i];
			sum.types[k].n = 0;
			sum.n_types++;
		}
		if (k < sum.n_types)
			sum.types[k].n += into->types[i].n;
		else
			sum.other_types += into->types[i].n;
	}
	sum.records += into->records;
	sum.refused += into->refused;
	sum.other_types += into->other_types;
	if (into->first_us != 0 && into->first_us < sum.first_us)
		sum.first_us = into->first_us;
	if (into->last_us > sum.last_us)
		sum.last_us = into->last_us;
	if (into->why[0] != '\0')
		memcpy(sum.why, into->why, sizeof(sum.why));
	*into = sum;
}

/* The audit.discontinuity record for a loss (made on the loop thread,
 * written first in the next job). */
struct audit_rec *
audit__loss_record(const struct audit_loss *l)
{
	struct audit_rec *r = audit__rec_new(0, "audit.discontinuity", 3);
	struct audit_buf f, m;

	if (r == NULL)
		return NULL;
	audit__buf_init(&f, 4096);
	audit__buf_init(&m, 1024);
	audit__buf_printf(&f,
		"{\"reason\":\"write-failed\",\"lost\":%" PRIu64
		",\"refused\":%" PRIu64 ",\"first_us\":%" PRId64
		",\"last_us\":%" PRId64 ",\"error\":",
		l->records, l->refused, l->first_us, l->last_us);
	audit__buf_json_cstr(&f, l->why);
	audit__buf_puts(&f, ",\"types\":{");
	for (unsigned i = 0; i < l->n_types; i++) {
		audit__buf_printf(&f, "%s", i > 0 ? "," : "");
		audit__buf_json_cstr(&f, l->types[i].type);
		audit__buf_printf(&f, ":%" PRIu64, l->types[i].n);
	}
	if (l->other_types > 0)
		audit__buf_printf(&f, "%s\"other\":%" PRIu64,
			l->n_types > 0 ? "," : "", l->other_types);
	audit__buf_puts(&f, "}}");
	audit__buf_printf(&m,
		"audit trail discontinuity: %" PRIu64
		" records could not be written and are lost (%" PRIu64
		" refused by a full backlog): %s",
		l->records + l->refused, l->refused,
		l->why[0] ? l->why : "write failed");
	r->fields = audit__buf_steal(&f);
	r->message = audit__buf_steal(&m);
	if (r->fields == NULL || r->message == NULL) {
		audit__rec_free(r);
		return NULL;
	}
	r->fields_len = strlen(r->fields);
	r->internal = true;
	return r;
}

static void
on_retry_timer(uv_timer_t *t)
{
	struct audit *a = t->data;

	a->retry_wait = false;
	audit__kick(a);
}

/*
 * After a failed job: its records go back to the head of the queue in
 * order, except an authorization (its caller refuses the session), a
 * prune request, and what the trail made itself (made again); a record
 * past its attempts, or any record while closing, is lost. Whatever
 * stays in done gets its callback with the error.
 */
void
audit__requeue_failed(struct audit *a, struct audit_job *j,
	struct audit_rec_list *done)
{
	struct audit_rec_list again;
	struct audit_rec *r, *next;
	uint64_t lost = 0;
	size_t n = 0;

	TAILQ_INIT(&again);
	loss_merge(&a->loss, &j->reported);
	for (r = TAILQ_FIRST(done); r != NULL; r = next) {
		next = TAILQ_NEXT(r, link);
		if (r->internal) {
			TAILQ_REMOVE(done, r, link);
			audit__rec_free(r);
			continue;
		}
		if (r->kind != AUDIT_REC_EVENT || r->no_retry)
			continue;
		if (++r->attempts < a->knobs.retry_max && !a->closing) {
			TAILQ_REMOVE(done, r, link);
			r->status = 0;
			r->id = 0;
			TAILQ_INSERT_TAIL(&again, r, link);
			n++;
			continue;
		}
		audit__loss_add(&a->loss, r->type, r->time_us, false, j->why);
		lost++;
	}
	if (lost > 0) {
		a->lost_total += lost;
		log_error("audit: %" PRIu64 " record%s could not be written "
			  "after %u attempts and %s lost (%s); an "
			  "audit.discontinuity record will say so",
			lost, lost == 1 ? "" : "s", a->knobs.retry_max,
			lost == 1 ? "is" : "are", j->why);
	}
	if (a->closing && (a->loss.records > 0 || a->loss.refused > 0)) {
		/* No next transaction will tell: the journal must. */
		log_error("audit: stopping with %" PRIu64 " records lost and "
			  "no audit.discontinuity written for them (%s)",
			a->loss.records + a->loss.refused, a->loss.why);
		memset(&a->loss, 0, sizeof(a->loss));
	}
	if (n == 0 && a->loss.records == 0 && a->loss.refused == 0)
		return;
	TAILQ_CONCAT(&again, &a->pending, link);
	TAILQ_INIT(&a->pending);
	TAILQ_CONCAT(&a->pending, &again, link);
	a->n_pending += n;
	a->retry_wait = true;
	uv_timer_start(&a->retry_timer, on_retry_timer, a->retry_delay_ms, 0);
	a->retry_delay_ms = a->retry_delay_ms >= a->knobs.retry_cap_ms / 2 ?
		a->knobs.retry_cap_ms :
		a->retry_delay_ms * 2;
}

/* Warns while the file is past AUDIT_SIZE_WARN_PCT of its limit (again
 * every hour): size pruning will soon delete the oldest records. */
void
audit__size_check(struct audit *a)
{
	uint64_t now = op_now_ms();
	uint64_t used = (uint64_t)a->size_used;

	if (a->max_size_bytes == 0 ||
		used * 100 < a->max_size_bytes * AUDIT_SIZE_WARN_PCT)
		return;
	if (a->size_warned_ms != 0 && now - a->size_warned_ms < 3600000)
		return;
	a->size_warned_ms = now;
	log_warn("audit: %s holds %" PRIu64 " KiB, %" PRIu64
		 " %% of audit.max_size_mb (%" PRIu64
		 " KiB); at the limit the oldest records are deleted: raise "
		 "the limit or export the trail",
		AUDIT_DB_NAME, used >> 10, used * 100 / a->max_size_bytes,
		a->max_size_bytes >> 10);
}

void
audit__set_knobs(struct audit *a, const struct audit_knobs *k)
{
	a->knobs = *k;
	if (a->knobs.retry_max == 0)
		a->knobs.retry_max = 1;
	a->retry_delay_ms = a->knobs.retry_base_ms;
}

void
audit_status(const struct audit *a, struct audit_status *out)
{
	struct audit_fwd_stats fwd;

	memset(out, 0, sizeof(*out));
	if (a == NULL)
		return;
	if (a->remote != NULL) {
		if (!a->closing)
			a->remote->status(a->remote_ctx, out, &fwd);
		return;
	}
	out->size_bytes = a->size_used > 0 ? (uint64_t)a->size_used : 0;
	out->max_size_bytes = a->max_size_bytes;
	out->size_warning = a->max_size_bytes > 0 && a->size_used > 0 &&
		out->size_bytes * 100 >=
			a->max_size_bytes * AUDIT_SIZE_WARN_PCT;
	out->pending = a->n_pending;
	out->retrying = a->retry_wait;
	out->lost = a->lost_total;
	out->preauth_folded = a->preauth.folded;
}

void
audit_note_refused(struct audit *a, const char *type, const char *why)
{
	if (a == NULL || a->remote != NULL)
		return;
	audit__loss_add(&a->loss, type, (int64_t)op_wall_us(), true, why);
	a->lost_total++;
	audit__kick(a);
}

void
audit_status_json(const struct audit *a, FILE *f)
{
	struct audit_status st;

	if (a == NULL)
		return;
	audit_status(a, &st);
	fprintf(f,
		",\"audit\":{\"size_bytes\":%" PRIu64
		",\"max_size_bytes\":%" PRIu64
		",\"size_warning\":%s,\"pending\":%" PRIu64
		",\"retrying\":%s,\"lost\":%" PRIu64
		",\"preauth_summarised\":%" PRIu64 "}",
		st.size_bytes, st.max_size_bytes,
		st.size_warning ? "true" : "false", st.pending,
		st.retrying ? "true" : "false", st.lost, st.preauth_folded);
}
