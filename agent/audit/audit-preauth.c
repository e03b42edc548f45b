/* SPDX-License-Identifier: MIT */
/*
 * Connections that were closed before a login attempt (issue 11 item 8):
 * port scanners, health checks, hostile peers that connect and go. Each
 * used to cost a session.open and a session.close row (about 0.7 KB and
 * two fsyncs), so a flood could push old evidence out through size
 * pruning. Now the daemon opens them with audit_session_begin, and the
 * ones that close without trying to log in are counted here: per source
 * address and window (a minute), the connections, bytes, paths, close
 * reasons and first and last time; at the end of the window one
 * session.preauth record per source, the first AUDIT_PREAUTH_SOURCES
 * sources each, the rest together ("*"), all in one transaction. Loop
 * thread only.
 *
 * It must not: grow with the number of connections or sources (fixed
 * tables), or drop a connection uncounted.
 */
#include "audit/audit-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/time.h"

static void
on_window_end(uv_timer_t *t)
{
	struct audit *a = t->data;

	a->preauth.timer_running = false;
	audit__preauth_flush(a);
}

void
audit__preauth_init_handles(struct audit *a)
{
	uv_timer_init(a->loop, &a->preauth.timer);
	a->preauth.timer.data = a;
	a->handles_open++;
}

void
audit__preauth_close_handles(struct audit *a)
{
	uv_close((uv_handle_t *)&a->preauth.timer, audit__handle_closed);
}

static struct audit_preauth_src *
src_for(struct audit_preauth *p, const char *ip)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->src[i].ip, ip) == 0)
			return &p->src[i];
	if (p->n < AUDIT_PREAUTH_SOURCES) {
		struct audit_preauth_src *s = &p->src[p->n++];

		memset(s, 0, sizeof(*s));
		snprintf(s->ip, sizeof(s->ip), "%s", ip);
		return s;
	}
	if (p->rest.conns == 0)
		snprintf(p->rest.ip, sizeof(p->rest.ip), "*");
	return &p->rest;
}

void
audit__preauth_fold(struct audit *a, struct audit_sess *s,
	const char *reason, uint64_t bytes_in, uint64_t bytes_out)
{
	struct audit_preauth *p = &a->preauth;
	struct audit_preauth_src *c = src_for(p, s->ip[0] ? s->ip : "unknown");
	int64_t opened = s->deferred != NULL ? s->deferred->time_us :
					       (int64_t)op_wall_us();
	char text[64];
	unsigned i;

	audit__rec_free(s->deferred);
	s->deferred = NULL;
	if (c->conns == 0 || opened < c->first_us)
		c->first_us = opened;
	if (opened > c->last_us)
		c->last_us = opened;
	c->conns++;
	c->bytes_in += bytes_in;
	c->bytes_out += bytes_out;
	if ((unsigned)s->path < 32)
		c->paths |= 1u << (unsigned)s->path;
	audit__sanitize(text, sizeof(text), reason,
		reason != NULL ? strnlen(reason, AUDIT_TEXT_MAX) : 0);
	for (i = 0; i < c->n_reasons; i++)
		if (strcmp(c->reasons[i].text, text) == 0)
			break;
	if (i == c->n_reasons && i < AUDIT_PREAUTH_REASONS) {
		memcpy(c->reasons[i].text, text, sizeof(text));
		c->n_reasons++;
	}
	if (i < c->n_reasons)
		c->reasons[i].n++;
	else
		c->other_reasons++;
	p->folded++;
	if (!p->timer_running && !a->closing) {
		uv_timer_start(&p->timer, on_window_end,
			a->knobs.preauth_window_ms, 0);
		uv_unref((uv_handle_t *)&p->timer);
		p->timer_running = true;
	}
}

static void
submit(struct audit *a, const struct audit_preauth_src *c)
{
	struct audit_buf f, m;
	struct audit_rec *r;
	bool first = true;
	int e;

	if (c->conns == 0)
		return;
	if ((r = audit__rec_new(0, "session.preauth", 5)) == NULL) {
		audit__loss_add(&a->loss, "session.preauth", c->last_us, true,
			"out of memory");
		return;
	}
	audit__buf_init(&f, 4096);
	audit__buf_init(&m, 512);
	audit__buf_puts(&f, "{\"source_ip\":");
	audit__buf_json_cstr(&f, c->ip);
	audit__buf_printf(&f,
		",\"connections\":%" PRIu64 ",\"first_us\":%" PRId64
		",\"last_us\":%" PRId64 ",\"bytes_in\":%" PRIu64
		",\"bytes_out\":%" PRIu64 ",\"window_s\":%u,\"paths\":[",
		c->conns, c->first_us, c->last_us, c->bytes_in, c->bytes_out,
		a->knobs.preauth_window_ms / 1000);
	for (unsigned i = 0; i < 32; i++) {
		if (!(c->paths & (1u << i)))
			continue;
		audit__buf_printf(&f, "%s\"%s\"", first ? "" : ",",
			audit_path_name((enum audit_path)i));
		first = false;
	}
	audit__buf_puts(&f, "],\"reasons\":{");
	for (unsigned i = 0; i < c->n_reasons; i++) {
		audit__buf_puts(&f, i > 0 ? "," : "");
		audit__buf_json_cstr(&f, c->reasons[i].text);
		audit__buf_printf(&f, ":%" PRIu64, c->reasons[i].n);
	}
	if (c->other_reasons > 0)
		audit__buf_printf(&f, "%s\"(other)\":%" PRIu64,
			c->n_reasons > 0 ? "," : "", c->other_reasons);
	audit__buf_puts(&f, "}}");
	audit__buf_printf(&m,
		"%" PRIu64 " connection%s from %s closed before a login "
		"attempt",
		c->conns, c->conns == 1 ? "" : "s",
		strcmp(c->ip, "*") == 0 ? "further sources" : c->ip);
	if (strcmp(c->ip, "*") != 0)
		snprintf(r->source, sizeof(r->source), "%s", c->ip);
	/* Queued even with a full backlog: these are already counted
	 * connections, and at most AUDIT_PREAUTH_SOURCES + 1 a window. */
	if ((e = audit__rec_take(a, r, &f, &m, NULL)) != 0) {
		audit__loss_add(&a->loss, "session.preauth", c->last_us, true,
			op_strerror(e));
		return;
	}
	audit__rec_queue(a, r, NULL, NULL);
}

void
audit__preauth_flush(struct audit *a)
{
	struct audit_preauth *p = &a->preauth;

	if (p->timer_running) {
		uv_timer_stop(&p->timer);
		p->timer_running = false;
	}
	for (size_t i = 0; i < p->n; i++)
		submit(a, &p->src[i]);
	submit(a, &p->rest);
	p->n = 0;
	memset(&p->rest, 0, sizeof(p->rest));
}
