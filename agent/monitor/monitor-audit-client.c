/* SPDX-License-Identifier: MIT */
/*
 * The network process's audit trail (monitor-audit.h): each audit.h call
 * is one blocking MON_AUDIT_* request (answered at once: the monitor
 * only queues the record); a commit callback waits under a tag for its
 * MON_EV_AUDIT_COMMIT event.
 */
#include "monitor/monitor-audit.h"
#include "monitor/monitor-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "core/log.h"

struct wait {
	uint32_t tag;
	bool flush;
	audit_commit_fn commit;
	audit_flush_fn flushed;
	void *arg;
};

struct monclient_audit {
	int fd;
	struct monclient_audit_hooks h;
	bool shut;
	uint32_t next_tag;
	struct wait waits[MONITOR_AUDIT_WAITING];
	size_t n;
};

int
monclient_audit_new(int fd, const struct monclient_audit_hooks *h,
	struct monclient_audit **out)
{
	struct monclient_audit *c = calloc(1, sizeof(*c));

	*out = c;
	if (c == NULL)
		return OP_ERR_NOMEM;
	c->fd = fd;
	c->h = *h;
	return 0;
}

static void
waiting_changed(struct monclient_audit *c)
{
	if (c->h.waiting != NULL)
		c->h.waiting(c->h.arg, c->n);
}

/* Takes the wait of tag out of the table into *w. */
static bool
take_wait(struct monclient_audit *c, uint32_t tag, struct wait *w)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->waits[i].tag == tag) {
			*w = c->waits[i];
			c->waits[i] = c->waits[--c->n];
			waiting_changed(c);
			return true;
		}
	return false;
}

static void
run_wait(const struct wait *w, int status, uint64_t v)
{
	if (w->flush)
		w->flushed(w->arg, status, v);
	else
		w->commit(w->arg, status, (int64_t)v);
}

void
monclient_audit_fail_all(struct monclient_audit *c, int status)
{
	struct wait w;

	while (c != NULL && c->n > 0) {
		w = c->waits[--c->n];
		waiting_changed(c);
		run_wait(&w, status, 0);
	}
}

void
monclient_audit_free(struct monclient_audit *c)
{
	monclient_audit_fail_all(c, OP_ERR_STATE);
	free(c);
}

int
monclient_audit_on_event(struct monclient_audit *c, const uint8_t *p,
	size_t n)
{
	struct mon_rd rd;
	struct wait w;
	unsigned type;
	uint32_t tag;
	int32_t status;
	uint64_t v;

	mon_rd_init(&rd, p, n);
	type = mon_get_u8(&rd);
	if (type != MON_EV_AUDIT_COMMIT && type != MON_EV_AUDIT_FLUSH)
		return 0;
	tag = mon_get_u32(&rd);
	status = (int32_t)mon_get_u32(&rd);
	v = mon_get_u64(&rd);
	if (!mon_rd_done(&rd) || status > 0)
		return OP_ERR_PROTO;
	/* After the trail closed its callbacks have run already. */
	if (c == NULL || c->shut)
		return 1;
	if (!take_wait(c, tag, &w) ||
		w.flush != (type == MON_EV_AUDIT_FLUSH))
		return OP_ERR_PROTO;
	run_wait(&w, status, v);
	return 1;
}

/* The tag a callback waits under (0: none wanted), or an error. */
static int
add_wait(struct monclient_audit *c, audit_commit_fn commit,
	audit_flush_fn flushed, void *arg, uint32_t *tag)
{
	*tag = 0;
	if (c->shut)
		return OP_ERR_STATE;
	if (commit == NULL && flushed == NULL)
		return 0;
	if (c->n >= MONITOR_AUDIT_WAITING)
		return OP_ERR_TOO_LARGE;
	do
		*tag = ++c->next_tag;
	while (*tag == 0);
	c->waits[c->n++] = (struct wait){ .tag = *tag,
		.flush = flushed != NULL, .commit = commit, .flushed = flushed,
		.arg = arg };
	waiting_changed(c);
	return 0;
}

/* Sends w with tag (appended when not 0); a refused request forgets the
 * wait. Returns the status; *rd is at the reply's fields. */
static int
send_req(struct monclient_audit *c, struct mon_buf *w, uint32_t tag,
	bool put_tag, uint8_t reply[static MON_MSG_MAX], struct mon_rd *rd)
{
	struct wait unused;
	int r;

	if (put_tag)
		mon_put_u32(w, tag);
	r = monclient__call(c->fd, w, reply, rd);
	if (r != 0 && tag != 0)
		(void)take_wait(c, tag, &unused);
	if (r != 0 && c->h.failed != NULL)
		c->h.failed(c->h.arg, r, mon_type_name(w->b[0]));
	return r;
}

/* The reply was read to its end, or it is malformed and the callback
 * under tag will not be called. */
static int
done(struct monclient_audit *c, const struct mon_rd *rd, uint32_t tag)
{
	struct wait unused;

	if (mon_rd_done(rd))
		return 0;
	if (tag != 0)
		(void)take_wait(c, tag, &unused);
	return OP_ERR_PROTO;
}

/* A request that ends in a tag and whose reply has no fields. */
static int
call_tagged(struct monclient_audit *c, struct mon_buf *w,
	audit_commit_fn cb, void *arg)
{
	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;
	uint32_t tag;
	int r;

	if ((r = add_wait(c, cb, NULL, arg, &tag)) != 0)
		return r;
	if ((r = send_req(c, w, tag, true, reply, &rd)) != 0)
		return r;
	return done(c, &rd, tag);
}

/* A request about a session: its type and the session's id. */
static void
about(struct mon_buf *w, enum mon_type t, int64_t session)
{
	monclient__begin(w, t);
	mon_put_u64(w, (uint64_t)session);
}

static int
ops_open(void *ctx, const struct audit_session_info *info, bool defer,
	int64_t *id, audit_commit_fn cb, void *arg)
{
	struct monclient_audit *c = ctx;
	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;
	struct mon_buf w;
	uint32_t tag;
	int r;

	*id = 0;
	if ((r = add_wait(c, cb, NULL, arg, &tag)) != 0)
		return r;
	monclient__begin(&w, MON_AUDIT_OPEN);
	mon_put_audit_info(&w, info);
	mon_put_u8(&w, defer);
	if ((r = send_req(c, &w, tag, true, reply, &rd)) != 0)
		return r;
	*id = (int64_t)mon_get_u64(&rd);
	if (*id <= 0)
		rd.bad = true;
	if ((r = done(c, &rd, tag)) != 0)
		*id = 0;
	return r;
}

static int
ops_login(void *ctx, int64_t session)
{
	struct mon_buf w;

	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;

	about(&w, MON_AUDIT_LOGIN, session);
	return send_req(ctx, &w, 0, false, reply, &rd);
}

static bool
ops_recorded(void *ctx, int64_t session)
{
	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;
	struct mon_buf w;
	unsigned v;

	about(&w, MON_AUDIT_RECORDED, session);
	if (send_req(ctx, &w, 0, false, reply, &rd) != 0)
		return false;
	v = mon_get_u8(&rd);
	return mon_rd_done(&rd) && v == 1;
}

static int
ops_authorized(void *ctx, int64_t session, const struct audit_auth *a,
	audit_commit_fn cb, void *arg)
{
	struct mon_buf w;

	about(&w, MON_AUDIT_AUTHORIZED, session);
	mon_put_audit_auth(&w, a);
	return call_tagged(ctx, &w, cb, arg);
}

static int
ops_denied(void *ctx, int64_t session, const struct audit_denial *d,
	audit_commit_fn cb, void *arg)
{
	struct mon_buf w;

	about(&w, MON_AUDIT_DENIED, session);
	mon_put_audit_denial(&w, d);
	return call_tagged(ctx, &w, cb, arg);
}

static int
ops_lockout(void *ctx, int64_t session, const struct audit_lockout_info *l,
	audit_commit_fn cb, void *arg)
{
	struct mon_buf w;

	about(&w, MON_AUDIT_LOCKOUT, session);
	mon_put_audit_lockout(&w, l);
	return call_tagged(ctx, &w, cb, arg);
}

static int
ops_close(void *ctx, int64_t session, const char *reason, uint64_t bytes_in,
	uint64_t bytes_out, audit_commit_fn cb, void *arg)
{
	struct mon_buf w;

	about(&w, MON_AUDIT_CLOSE, session);
	mon_put_audit_text(&w, reason);
	mon_put_u64(&w, bytes_in);
	mon_put_u64(&w, bytes_out);
	return call_tagged(ctx, &w, cb, arg);
}

/* Fields too long for a request: a marker with their size and the first
 * bytes (cut at a character), as JSON (NULL when out of memory). */
static char *
truncated_fields(const char *fields, size_t n)
{
	size_t cut = MONITOR_AUDIT_EXCERPT;
	char head[64];
	char *out;
	size_t hl, el;

	while (cut > 0 && ((unsigned char)fields[cut] & 0xc0) == 0x80)
		cut--;
	hl = (size_t)snprintf(head, sizeof(head),
		"{\"truncated\":true,\"bytes\":%zu,\"excerpt\":", n);
	el = op_json_str_buf(NULL, 0, fields, cut);
	if ((out = malloc(hl + el + 2)) == NULL)
		return NULL;
	memcpy(out, head, hl);
	op_json_str_buf(out + hl, el + 1, fields, cut);
	memcpy(out + hl + el, "}", 2);
	return out;
}

static int
ops_event(void *ctx, int64_t session, const char *type, const char *fields,
	audit_commit_fn cb, void *arg)
{
	size_t n = fields != NULL ? strlen(fields) : 0;
	char *cut = NULL;
	struct mon_buf w;
	int r;

	/* The same checks as the trail's own (the monitor makes them
	 * again): a bad type or fields is the caller's error. */
	if (type == NULL || strnlen(type, AUDIT_TYPE_MAX + 1) > AUDIT_TYPE_MAX)
		return OP_ERR_RANGE;
	if (n > MONITOR_AUDIT_FIELDS_MAX) {
		if ((cut = truncated_fields(fields, n)) == NULL)
			return OP_ERR_NOMEM;
		fields = cut;
		n = strlen(cut);
	}
	about(&w, MON_AUDIT_EVENT, session);
	mon_put_str(&w, type);
	mon_put_bytes(&w, fields, n);
	r = call_tagged(ctx, &w, cb, arg);
	free(cut);
	return r;
}

static int
ops_config_reload(void *ctx, const char *source, bool ok, const char *detail,
	audit_commit_fn cb, void *arg)
{
	struct mon_buf w;

	monclient__begin(&w, MON_AUDIT_CONFIG);
	mon_put_audit_text(&w, source);
	mon_put_u8(&w, ok);
	mon_put_audit_text(&w, detail);
	return call_tagged(ctx, &w, cb, arg);
}

static int
ops_prune(void *ctx, audit_commit_fn cb, void *arg)
{
	struct mon_buf w;

	monclient__begin(&w, MON_AUDIT_PRUNE);
	return call_tagged(ctx, &w, cb, arg);
}

static int
ops_forward_flush(void *ctx, audit_flush_fn cb, void *arg)
{
	struct monclient_audit *c = ctx;
	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;
	struct mon_buf w;
	uint32_t tag;
	int r;

	if (cb == NULL)
		return OP_ERR_STATE;
	if ((r = add_wait(c, NULL, cb, arg, &tag)) != 0)
		return r;
	monclient__begin(&w, MON_AUDIT_FLUSH);
	if ((r = send_req(c, &w, tag, true, reply, &rd)) != 0)
		return r;
	return done(c, &rd, tag);
}

static void
ops_status(void *ctx, struct audit_status *st, struct audit_fwd_stats *fwd)
{
	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;
	struct mon_buf w;

	memset(st, 0, sizeof(*st));
	memset(fwd, 0, sizeof(*fwd));
	monclient__begin(&w, MON_AUDIT_STATUS);
	if (send_req(ctx, &w, 0, false, reply, &rd) != 0)
		return;
	mon_get_audit_status(&rd, st, fwd);
	if (!mon_rd_done(&rd)) {
		memset(st, 0, sizeof(*st));
		memset(fwd, 0, sizeof(*fwd));
	}
}

static void
ops_shut(void *ctx)
{
	struct monclient_audit *c = ctx;

	monclient_audit_fail_all(c, OP_ERR_STATE);
	c->shut = true;
}

const struct audit_remote_ops monclient_audit_ops = {
	.open = ops_open,
	.login = ops_login,
	.recorded = ops_recorded,
	.authorized = ops_authorized,
	.denied = ops_denied,
	.lockout = ops_lockout,
	.close = ops_close,
	.event = ops_event,
	.config_reload = ops_config_reload,
	.prune = ops_prune,
	.forward_flush = ops_forward_flush,
	.status = ops_status,
	.shut = ops_shut,
};
