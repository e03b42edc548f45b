/* SPDX-License-Identifier: MIT */
/*
 * audit forwarding (spec §15) through a fake transport: the queue
 * survives a reopen and a server that is down; a record is deleted only
 * after a 2xx, and a retry sends the same body (same nonce); hostile
 * answers (garbage, oversized heads, 1xx, split reads, silence) are
 * bounded and retried; records flow by themselves while the server is
 * up. Also the pure parsers: URL, HTTP response head, --since/--until.
 */
#include <sys/stat.h>

#include "test-audit-util.h"
#include "th.h"

enum fake_mode {
	FAKE_REFUSE,
	FAKE_OK,
	FAKE_503,
	FAKE_GARBAGE,
	FAKE_HUGE,
	FAKE_CONTINUE_SPLIT,
	FAKE_HANG,
};

struct fake {
	enum fake_mode mode;
	unsigned calls;
	char *bodies[64];
	unsigned n_bodies;
	char first_req[256];
};

struct fake_call {
	uv_timer_t t;
	struct fake *f;
	audit_http_read_fn on_read;
	audit_http_done_fn on_done;
	void *arg;
	bool cancelled;
};

static void
fc_free(uv_handle_t *h)
{
	free(h->data);
}

static void
fc_fire(uv_timer_t *t)
{
	struct fake_call *c = t->data;
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	int r = 0;

	if (c->cancelled) {
		c->on_done(c->arg, UV_ECANCELED, "cancelled");
	} else if (c->f->mode == FAKE_REFUSE) {
		c->on_done(c->arg, UV_ECONNREFUSED, "connection refused");
	} else if (c->f->mode == FAKE_HUGE) {
		char line[202];

		memset(line, 'a', sizeof(line));
		memcpy(line, "X-Filler: ", 10);
		memcpy(line + 198, "\r\n", 3);

		r = c->on_read(c->arg, (const uint8_t *)"HTTP/1.1 200 OK\r\n",
			17);
		for (int i = 0; i < 400 && r == OP_ERR_INCOMPLETE; i++)
			r = c->on_read(c->arg, (const uint8_t *)line,
				strlen(line));
		c->on_done(c->arg, r, "");
	} else if (c->f->mode == FAKE_CONTINUE_SPLIT) {
		static const char s[] = "HTTP/1.1 100 Continue\r\n\r\n"
					"HTTP/1.1 204 No Content\r\n"
					"Server: x\r\n\r\nignored body";

		r = OP_ERR_INCOMPLETE;
		for (size_t i = 0; i < sizeof(s) - 1 && r == OP_ERR_INCOMPLETE;
			i++)
			r = c->on_read(c->arg, (const uint8_t *)s + i, 1);
		c->on_done(c->arg, r, "");
	} else {
		const char *ans = "SSH-2.0-OpenSSH_9.2\r\n";

		if (c->f->mode == FAKE_OK)
			ans = ok;
		else if (c->f->mode == FAKE_503)
			ans = "HTTP/1.1 503 Busy\r\n\r\n";

		r = c->on_read(c->arg, (const uint8_t *)ans, strlen(ans));
		c->on_done(c->arg, r == OP_ERR_INCOMPLETE ? UV_EOF : r, "");
	}
	uv_close((uv_handle_t *)&c->t, fc_free);
}

static int
fake_exchange(void *ctx, uv_loop_t *loop, const struct audit_http_req *req,
	audit_http_read_fn on_read, audit_http_done_fn on_done, void *arg,
	void **handle)
{
	struct fake *f = ctx;
	struct fake_call *c = calloc(1, sizeof(*c));
	const char *body = memmem(req->data, req->len, "\r\n\r\n", 4);

	f->calls++;
	if (f->calls == 1)
		snprintf(f->first_req, sizeof(f->first_req), "%.*s",
			(int)req->len, (const char *)req->data);
	if (body != NULL && f->n_bodies < 64) {
		size_t off = (size_t)(body + 4 - (const char *)req->data);

		f->bodies[f->n_bodies++] =
			strndup(body + 4, req->len - off);
	}
	c->f = f;
	c->on_read = on_read;
	c->on_done = on_done;
	c->arg = arg;
	uv_timer_init(loop, &c->t);
	c->t.data = c;
	/* A hanging server still keeps the loop alive (as a socket would);
	 * the forwarder's deadline cancels it long before. */
	uv_timer_start(&c->t, fc_fire, f->mode == FAKE_HANG ? 60000 : 1, 0);
	*handle = c;
	return 0;
}

static void
fake_cancel(void *handle)
{
	struct fake_call *c = handle;

	c->cancelled = true;
	uv_timer_start(&c->t, fc_fire, 0, 0);
}

static void
fake_reset(struct fake *f, enum fake_mode m)
{
	for (unsigned i = 0; i < f->n_bodies; i++)
		free(f->bodies[i]);
	memset(f, 0, sizeof(*f));
	f->mode = m;
}

struct flush {
	bool done;
	int status;
	uint64_t sent;
};

static void
on_flush(void *arg, int status, uint64_t sent)
{
	struct flush *fl = arg;

	fl->done = true;
	fl->status = status;
	fl->sent = sent;
}

static int
flush(struct tctx *t, struct flush *fl)
{
	memset(fl, 0, sizeof(*fl));
	if (audit_forward_flush(t->a, on_flush, fl) != 0)
		return -1;
	while (!fl->done)
		uv_run(&t->loop, UV_RUN_ONCE);
	return 0;
}

static void
sessions(struct tctx *t, int n)
{
	for (int i = 0; i < n; i++) {
		struct sockaddr_in sin;
		struct audit_session_info si = { .path = AUDIT_PATH_PUNCH };
		struct audit_auth au = { .peer_id = "555000111",
			.peer_name = "alice", .kind = AUDIT_CONN_DESKTOP,
			.method = AUDIT_AUTH_PERMANENT_PASSWORD,
			.client_session_id = 43 };
		int64_t sid;

		uv_ip4_addr("198.51.100.7", 5000, &sin);
		si.source = (const struct sockaddr *)&sin;
		(void)audit_session_open(t->a, &si, &sid, NULL, NULL);
		(void)audit_authorized(t->a, sid, &au, NULL, NULL);
		(void)audit_session_close(t->a, sid, "done", 1, 2, on_commit,
			t);
	}
	uv_run(&t->loop, UV_RUN_DEFAULT);
}

static struct audit_transport fake_tp = { fake_exchange, fake_cancel, NULL };

static void
fwd_opts(struct tctx *t, struct audit_opts *o, struct fake *f)
{
	tctx_opts(t, o);
	o->forward = true;
	o->forward_url = "http://127.0.0.1:9/base/";
	fake_tp.ctx = f;
	o->transport = f != NULL ? &fake_tp : NULL;
}

static void
test_queue_survives_reopen(void)
{
	struct audit_opts o;
	struct fake f = { 0 };
	struct flush fl;
	struct tctx t;
	char nonce[2][64];

	tctx_init(&t);
	fwd_opts(&t, &o, NULL);
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	sessions(&t, 2);
	/* No transport: queued, nothing sent, flush refused. */
	ASSERT_INT_EQ(audit_forward_flush(t.a, on_flush, &fl), OP_ERR_STATE);
	tctx_close(&t);
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM forward_queue"), 6);

	/* The server is down: nothing lost. */
	fwd_opts(&t, &o, &f);
	fake_reset(&f, FAKE_REFUSE);
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	ASSERT_INT_EQ(flush(&t, &fl), 0);
	ASSERT_INT_EQ(fl.status, UV_ECONNREFUSED);
	ASSERT_INT_EQ(fl.sent, 0);
	ASSERT_INT_EQ(f.calls, 1);
	tctx_close(&t);
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM forward_queue"), 6);

	/* Up: everything, in order, then the queue is empty. */
	fake_reset(&f, FAKE_OK);
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	ASSERT_INT_EQ(flush(&t, &fl), 0);
	ASSERT_INT_EQ(fl.status, 0);
	ASSERT_INT_EQ(fl.sent, 6);
	ASSERT_INT_EQ(f.n_bodies, 6);
	ASSERT_STR_CONTAINS(f.first_req,
		"POST /base/api/audit/conn HTTP/1.1\r\nHost: 127.0.0.1:9\r\n");
	ASSERT_STR_CONTAINS(f.first_req, "Content-Type: application/json\r\n");
	for (unsigned i = 0; i < 6; i++) {
		ASSERT(audit__json_is_object(f.bodies[i], strlen(f.bodies[i])));
		ASSERT_STR_CONTAINS(f.bodies[i], "\"id\":\"123456789\"");
		ASSERT_STR_CONTAINS(f.bodies[i],
			"\"uuid\":\"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"
			"=\"");
	}
	ASSERT_STR_CONTAINS(f.bodies[0], "\"conn_id\":1,\"session_id\":0");
	ASSERT_STR_CONTAINS(f.bodies[0], "\"action\":\"new\",\"ip\":"
					 "\"198.51.100.7\"");
	ASSERT_STR_CONTAINS(f.bodies[1], "\"session_id\":43");
	ASSERT_STR_CONTAINS(f.bodies[1], "\"peer\":[\"555000111\",\"alice\"],"
					 "\"type\":0,\"primary_auth\":3");
	ASSERT_STR_CONTAINS(f.bodies[2], "\"conn_id\":1,\"session_id\":43");
	ASSERT_STR_CONTAINS(f.bodies[2], "\"action\":\"close\"");
	ASSERT_STR_CONTAINS(f.bodies[3], "\"conn_id\":2");
	for (int i = 0; i < 2; i++) {
		const char *n = strstr(f.bodies[i], "\"nonce\":\"");

		ASSERT(n != NULL);
		snprintf(nonce[i], sizeof(nonce[i]), "%.36s", n + 9);
		ASSERT_INT_EQ(nonce[i][14], '4'); /* UUID v4 */
	}
	ASSERT(strcmp(nonce[0], nonce[1]) != 0);
	tctx_close(&t);
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM forward_queue"), 0);
	fake_reset(&f, FAKE_OK);
	tctx_rm(&t);
}

static void
test_retry_same_nonce(void)
{
	struct audit_opts o;
	struct fake f = { 0 };
	struct flush fl;
	struct tctx t;

	tctx_init(&t);
	fwd_opts(&t, &o, &f);
	fake_reset(&f, FAKE_503);
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	sessions(&t, 1);
	/* The automatic first attempt already failed; flush retries now. */
	ASSERT_INT_EQ(flush(&t, &fl), 0);
	ASSERT_INT_EQ(fl.status, OP_ERR_DENIED);
	ASSERT_STR_CONTAINS(t.a->fwd.stats.last_error, "HTTP 503");
	f.mode = FAKE_OK;
	ASSERT_INT_EQ(flush(&t, &fl), 0);
	ASSERT_INT_EQ(fl.status, 0);
	ASSERT_INT_EQ(fl.sent, 3);
	/* Every attempt at the first record carried the same body. */
	ASSERT(f.n_bodies >= 5);
	for (unsigned i = 1; i + 2 < f.n_bodies; i++)
		ASSERT_STR_EQ(f.bodies[i], f.bodies[0]);
	tctx_close(&t);
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM forward_queue"), 0);
	fake_reset(&f, FAKE_OK);
	tctx_rm(&t);
}

static void
test_hostile_answers(void)
{
	static const enum fake_mode bad[] = { FAKE_GARBAGE, FAKE_HUGE,
		FAKE_HANG };
	static const int want[] = { OP_ERR_PROTO, OP_ERR_TOO_LARGE,
		UV_ETIMEDOUT };
	struct audit_opts o;
	struct fake f = { 0 };
	struct flush fl;
	struct tctx t;

	tctx_init(&t);
	fwd_opts(&t, &o, &f);
	o.forward_timeout_ms = 200;
	fake_reset(&f, FAKE_REFUSE);
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	sessions(&t, 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f.mode = bad[i];
		ASSERT_INT_EQ(flush(&t, &fl), 0);
		ASSERT_INT_EQ(fl.status, want[i]);
		ASSERT_INT_EQ(fl.sent, 0);
	}
	f.mode = FAKE_CONTINUE_SPLIT;
	ASSERT_INT_EQ(flush(&t, &fl), 0);
	ASSERT_INT_EQ(fl.status, 0);
	ASSERT_INT_EQ(fl.sent, 3);
	tctx_close(&t);
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM forward_queue"), 0);
	fake_reset(&f, FAKE_OK);
	tctx_rm(&t);
}

static void
test_live_forwarding(void)
{
	struct audit_opts o;
	struct fake f = { 0 };
	struct tctx t;

	tctx_init(&t);
	fwd_opts(&t, &o, &f);
	fake_reset(&f, FAKE_OK);
	ASSERT_INT_EQ(audit_open(&t.loop, &o, &t.a, NULL, 0), 0);
	sessions(&t, 2);
	/* Sent by themselves while the loop ran, nothing left. */
	uv_run(&t.loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(f.n_bodies, 6);
	ASSERT_INT_EQ(t.a->fwd.stats.sent, 6);
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM forward_queue"), 0);
	/* Forwarding switched off: records are no longer queued. */
	o.forward = false;
	ASSERT_INT_EQ(audit_set_opts(t.a, &o), 0);
	sessions(&t, 1);
	ASSERT_INT_EQ(raw_count(&t, "SELECT count(*) FROM forward_queue"), 0);
	ASSERT_INT_EQ(f.n_bodies, 6);
	tctx_close(&t);
	fake_reset(&f, FAKE_OK);
	tctx_rm(&t);
}

static void
test_url_parse(void)
{
	struct audit_url u;

	ASSERT_INT_EQ(audit__url_parse("https://api.example.org", &u), 0);
	ASSERT(u.tls);
	ASSERT_INT_EQ(u.port, 443);
	ASSERT_STR_EQ(u.host, "api.example.org");
	ASSERT_STR_EQ(u.path, "");
	ASSERT_STR_EQ(u.host_hdr, "api.example.org");
	ASSERT_INT_EQ(audit__url_parse("HTTP://[::1]:8080/x/y//", &u), 0);
	ASSERT(!u.tls);
	ASSERT_STR_EQ(u.host, "::1");
	ASSERT_INT_EQ(u.port, 8080);
	ASSERT_STR_EQ(u.path, "/x/y");
	ASSERT_STR_EQ(u.host_hdr, "[::1]:8080");
	ASSERT_INT_EQ(audit__url_parse("ftp://x", &u), OP_ERR_CONFIG);
	ASSERT_INT_EQ(audit__url_parse("https://user@x", &u), OP_ERR_CONFIG);
	ASSERT_INT_EQ(audit__url_parse("https://x:0", &u), OP_ERR_CONFIG);
	ASSERT_INT_EQ(audit__url_parse("https://x:65536", &u), OP_ERR_CONFIG);
	ASSERT_INT_EQ(audit__url_parse("https://x/a?b", &u), OP_ERR_CONFIG);
	ASSERT_INT_EQ(audit__url_parse("https://", &u), OP_ERR_CONFIG);
	ASSERT_INT_EQ(audit__url_parse("https://x\r\nHost: y", &u),
		OP_ERR_CONFIG);
	ASSERT_INT_EQ(audit__url_parse("", &u), OP_ERR_CONFIG);
}

static void
test_http_head(void)
{
	static const struct {
		const char *in;
		int r;
		int status;
	} cases[] = {
		{ "HTTP/1.1 200 OK\r\n\r\n", 0, 200 },
		{ "HTTP/1.0 204\r\n\r\nbody", 0, 204 },
		{ "HTTP/1.1 503 Busy\nRetry-After: 5\n\n", 0, 503 },
		{ "HTTP/1.1 200 OK\r\nA: b\r\n", OP_ERR_INCOMPLETE, 0 },
		{ "HTTP/1.1 2", OP_ERR_INCOMPLETE, 0 },
		{ "HTTP/", OP_ERR_INCOMPLETE, 0 },
		{ "SSH-2.0-x\r\n", OP_ERR_PROTO, 0 },
		{ "HTTP/2 200 OK\r\n\r\n", OP_ERR_PROTO, 0 },
		{ "HTTP/1.1 099 X\r\n\r\n", OP_ERR_PROTO, 0 },
		{ "HTTP/1.1 200OK\r\n\r\n", OP_ERR_PROTO, 0 },
		{ "HTTP/1.1 200 OK\r\n folded\r\n\r\n", OP_ERR_PROTO, 0 },
		{ "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", OP_ERR_PROTO, 0 },
		{ "HTTP/1.1 200 O\x01K\r\n\r\n", OP_ERR_PROTO, 0 },
	};
	uint8_t big[AUDIT_HTTP_MAX_HEAD + 10];
	size_t hl;
	int st;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = audit__http_parse_head((const uint8_t *)cases[i].in,
			strlen(cases[i].in), &st, &hl);

		if (r != cases[i].r)
			TH_FAIL("case %zu: %d != %d", i, r, cases[i].r);
		ASSERT_INT_EQ(st, cases[i].status);
	}
	ASSERT_INT_EQ(audit__http_parse_head((const uint8_t *)"HTTP/1.0 204"
							      "\r\n\r\nbody",
			      18, &st, &hl),
		0);
	ASSERT_INT_EQ(hl, 16);
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	memset(big + 20, 'a', sizeof(big) - 20);
	ASSERT_INT_EQ(audit__http_parse_head(big, sizeof(big), &st, &hl),
		OP_ERR_TOO_LARGE);
}

static void
test_time_parse(void)
{
	int64_t now = 1795000000LL * 1000000, t;

	ASSERT_INT_EQ(audit_parse_time("2026-11-24T10:00:00Z", now, &t), 0);
	ASSERT_U64_EQ(t, 1795514400LL * 1000000);
	ASSERT_INT_EQ(audit_parse_time("2026-11-24T11:00:00.5+01:00", now, &t),
		0);
	ASSERT_U64_EQ(t, 1795514400LL * 1000000 + 500000);
	ASSERT_INT_EQ(audit_parse_time("2026-11-24T05:00-0500", now, &t), 0);
	ASSERT_U64_EQ(t, 1795514400LL * 1000000);
	setenv("TZ", "UTC", 1);
	tzset();
	ASSERT_INT_EQ(audit_parse_time("2026-11-24 10:00", now, &t), 0);
	ASSERT_U64_EQ(t, 1795514400LL * 1000000);
	ASSERT_INT_EQ(audit_parse_time("2026-11-24", now, &t), 0);
	ASSERT_U64_EQ(t, 1795478400LL * 1000000);
	ASSERT_INT_EQ(audit_parse_time("1h", now, &t), 0);
	ASSERT_U64_EQ(t, now - 3600LL * 1000000);
	ASSERT_INT_EQ(audit_parse_time("7d", now, &t), 0);
	ASSERT_U64_EQ(t, now - 7 * 86400LL * 1000000);
	ASSERT_INT_EQ(audit_parse_time("1h30m", now, &t), 0);
	ASSERT_U64_EQ(t, now - 5400LL * 1000000);
	ASSERT_INT_EQ(audit_parse_time("2026-02-30", now, &t), OP_ERR_RANGE);
	ASSERT_INT_EQ(audit_parse_time("2026-11-24T25:00", now, &t),
		OP_ERR_RANGE);
	ASSERT_INT_EQ(audit_parse_time("yesterday", now, &t), OP_ERR_RANGE);
	ASSERT_INT_EQ(audit_parse_time("", now, &t), OP_ERR_RANGE);
	ASSERT_INT_EQ(audit_parse_time("5", now, &t), OP_ERR_RANGE);
	ASSERT_INT_EQ(audit_parse_time("2026-11-24T10:00:00Zjunk", now, &t),
		OP_ERR_RANGE);
}

int
main(void)
{
	RUN(test_queue_survives_reopen);
	RUN(test_retry_same_nonce);
	RUN(test_hostile_answers);
	RUN(test_live_forwarding);
	RUN(test_url_parse);
	RUN(test_http_head);
	RUN(test_time_parse);
	return th_done();
}
