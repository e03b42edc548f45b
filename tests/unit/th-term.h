/* SPDX-License-Identifier: MIT */
/*
 * The session side of test-term.c: a term_host on a real loop whose
 * events are collected per terminal (output decompressed, as the stock
 * client does), a simulated send queue drained at a fixed rate, RSS
 * sampling, and waits that run the loop until a condition holds.
 */
#ifndef OP_TESTS_TH_TERM_H
#define OP_TESTS_TH_TERM_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>
#include <zstd.h>

#include "core/err.h"
#include "term/term-internal.h"
#include "term/term.h"
#include "th.h"

#define TT_MAX 8
#define TT_KEEP (1u << 20) /* output kept per terminal for searching */

struct tt_term {
	int32_t id;
	bool used;
	bool opened;
	bool open_ok;
	char open_msg[256];
	char tty[64];
	uint32_t pid;
	bool closed;
	int32_t exit_code;
	uint64_t closed_in;
	uint64_t closed_out;
	unsigned nerrors;
	char error[256];
	uint8_t *buf; /* the last output, at most TT_KEEP bytes */
	size_t len;
	uint64_t total; /* decompressed output bytes */
	unsigned events;
	unsigned compressed;
	unsigned split_utf8; /* data events ending inside a character */
	uint64_t closed_ms;
};

struct tt {
	struct term_host *h;
	struct tt_term t[TT_MAX];
	unsigned events;
	unsigned events_after_close;
	bool closing;
	bool host_done;
	char service_id[64];
	/* a send queue drained at `rate` bytes per 5 ms tick (0 = none) */
	size_t queued;
	size_t high;
	size_t rate;
	size_t max_queued;
	uv_timer_t drain;
	bool drain_on;
	long rss_max_kb;
	char typescript[4352]; /* the last OPENED's */
};

static uv_loop_t tt_loop;
static uv_timer_t tt_tick;
static uint8_t tt_zbuf[TERM_CHUNK + 64];
/* One context for the whole run: ZSTD_decompress() would allocate one per
 * call, which a sanitizer's quarantine turns into RSS. */
static ZSTD_DCtx *tt_dctx;

#ifdef _WIN32
/* Not measured there (no /proc); mingw has no memmem either. */
static long
tt_rss_kb(void)
{
	return -1;
}

static void *
memmem(const void *hay, size_t n, const void *needle, size_t m)
{
	const uint8_t *h = hay;

	if (m == 0)
		return (void *)hay;
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(h + i, needle, m) == 0)
			return (void *)(h + i);
	return NULL;
}
#else
/* VmRSS without stdio: fopen's buffers, freed into a sanitizer's
 * quarantine every 5 ms, would be what we measure. */
static long
tt_rss_kb(void)
{
	char buf[4096];
	const char *p;
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((p = strstr(buf, "VmRSS:")) == NULL)
		return -1;
	return strtol(p + 6, NULL, 10);
}
#endif

static struct tt_term *
tt_slot(struct tt *c, int32_t id)
{
	for (int i = 0; i < TT_MAX; i++)
		if (c->t[i].used && c->t[i].id == id)
			return &c->t[i];
	for (int i = 0; i < TT_MAX; i++)
		if (!c->t[i].used) {
			c->t[i].used = true;
			c->t[i].id = id;
			return &c->t[i];
		}
	return &c->t[TT_MAX - 1]; /* tests never use more */
}

static void
tt_keep(struct tt_term *s, const uint8_t *p, size_t n)
{
	if (s->buf == NULL && (s->buf = malloc(TT_KEEP)) == NULL)
		return;
	if (n >= TT_KEEP) {
		p += n - TT_KEEP / 2;
		n = TT_KEEP / 2;
	}
	if (s->len + n > TT_KEEP) {
		size_t drop = s->len + n - TT_KEEP / 2;

		if (drop > s->len)
			drop = s->len;
		memmove(s->buf, s->buf + drop, s->len - drop);
		s->len -= drop;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static void
tt_on_event(void *arg, const struct term_event *ev)
{
	struct tt *c = arg;
	struct tt_term *s = tt_slot(c, ev->terminal_id);
	const uint8_t *p = ev->data;
	size_t n = ev->len;

	c->events++;
	if (c->closing)
		c->events_after_close++;
	switch (ev->type) {
	case TERM_EV_OPENED:
		s->opened = true;
		s->open_ok = ev->success;
		snprintf(s->open_msg, sizeof(s->open_msg), "%s", ev->message);
		snprintf(s->tty, sizeof(s->tty), "%s", ev->tty ? ev->tty : "");
		snprintf(c->service_id, sizeof(c->service_id), "%s",
			ev->service_id ? ev->service_id : "");
		s->pid = ev->pid;
		snprintf(c->typescript, sizeof(c->typescript), "%s",
			ev->typescript ? ev->typescript : "");
		break;
	case TERM_EV_DATA:
		s->events++;
		if (ev->compressed) {
			size_t z = ZSTD_decompressDCtx(tt_dctx, tt_zbuf,
				sizeof(tt_zbuf), p, n);

			s->compressed++;
			if (ZSTD_isError(z)) {
				s->nerrors++;
				snprintf(s->error, sizeof(s->error), "zstd");
				return;
			}
			p = tt_zbuf;
			n = z;
		}
		if (term__utf8_split(p, n) != n)
			s->split_utf8++;
		s->total += n;
		tt_keep(s, p, n);
		c->queued += ev->len;
		if (c->queued > c->max_queued)
			c->max_queued = c->queued;
		break;
	case TERM_EV_CLOSED:
		s->closed = true;
		s->exit_code = ev->exit_code;
		s->closed_in = ev->bytes_in;
		s->closed_out = ev->bytes_out;
		s->closed_ms = uv_now(&tt_loop);
		break;
	case TERM_EV_ERROR:
		s->nerrors++;
		snprintf(s->error, sizeof(s->error), "%s", ev->message);
		break;
	}
}

static bool
tt_can_send(void *arg)
{
	struct tt *c = arg;

	return c->rate == 0 || c->queued < c->high;
}

static void __attribute__((unused)) /* a test's slow consumer */
tt_on_drain(uv_timer_t *t)
{
	struct tt *c = t->data;
	long kb = tt_rss_kb();

	c->queued = c->queued > c->rate ? c->queued - c->rate : 0;
	if (kb > c->rss_max_kb)
		c->rss_max_kb = kb;
}

static void
tt_on_tick(uv_timer_t *t)
{
	(void)t;
}

/* Runs the loop until done(c, s, text) or ms pass. */
static bool
tt_wait(struct tt *c, bool (*done)(struct tt *, int32_t, const char *),
	int32_t id, const char *text, unsigned ms)
{
	uint64_t end;
	bool ok;

	uv_update_time(&tt_loop);
	end = uv_now(&tt_loop) + ms;
	uv_timer_start(&tt_tick, tt_on_tick, 10, 10);
	while (!(ok = done(c, id, text))) {
		uv_update_time(&tt_loop);
		if (uv_now(&tt_loop) >= end)
			break;
		uv_run(&tt_loop, UV_RUN_ONCE);
	}
	uv_timer_stop(&tt_tick);
	return ok;
}

static bool
tt_has_text(struct tt *c, int32_t id, const char *text)
{
	struct tt_term *s = tt_slot(c, id);

	return s->buf != NULL && memmem(s->buf, s->len, text, strlen(text));
}

static bool
tt_is_closed(struct tt *c, int32_t id, const char *text)
{
	(void)text;
	return tt_slot(c, id)->closed;
}

static bool
tt_host_done(struct tt *c, int32_t id, const char *text)
{
	(void)id;
	(void)text;
	return c->host_done;
}

static void
tt_on_host_done(void *arg)
{
	((struct tt *)arg)->host_done = true;
}

/* A host on tt_loop for account a (NULL: none). */
static int
tt_start(struct tt *c, const struct term_account *a,
	struct term_host_cfg *over)
{
	struct term_host_cfg cfg = {
		.loop = &tt_loop,
		.account = a,
		.hangup_grace_ms = 300,
		.on_event = tt_on_event,
		.can_send = tt_can_send,
		.arg = c,
	};

	memset(c, 0, sizeof(*c));
	c->high = 1u << 20;
	if (over != NULL) {
		over->loop = &tt_loop;
		over->on_event = tt_on_event;
		over->can_send = over->can_send ? over->can_send : tt_can_send;
		over->arg = c;
		cfg = *over;
	}
	if (uv_timer_init(&tt_loop, &c->drain) != 0)
		return -1;
	c->drain.data = c;
	c->drain_on = true;
	return term_host_new(&cfg, &c->h);
}

static int
tt_send(struct tt *c, int32_t id, const char *s)
{
	return term_host_write(c->h, id, (const uint8_t *)s, strlen(s), false);
}

/* Closes the host and waits for it; frees what was collected. */
static bool
tt_stop(struct tt *c)
{
	bool ok = true;

	if (c->h != NULL) {
		c->closing = true;
		term_host_close(c->h, tt_on_host_done, c);
		ok = tt_wait(c, tt_host_done, 0, NULL, 10000);
		c->h = NULL;
	}
	if (c->drain_on) {
		uv_close((uv_handle_t *)&c->drain, NULL);
		c->drain_on = false;
		uv_run(&tt_loop, UV_RUN_NOWAIT);
	}
	for (int i = 0; i < TT_MAX; i++)
		free(c->t[i].buf);
	memset(c->t, 0, sizeof(c->t));
	return ok;
}

static size_t
tt_tail_len(const struct tt_term *s)
{
	return s->len > 600 ? 600 : s->len;
}

static const char *
tt_tail(const struct tt_term *s)
{
	return s->buf == NULL ? "" : (const char *)s->buf + s->len -
			tt_tail_len(s);
}

static uint64_t __attribute__((unused))
tt_now_ms(void)
{
	uv_update_time(&tt_loop);
	return uv_now(&tt_loop);
}

/* tt_loop, its tick and the zstd context; false on failure. */
static bool
tt_init(void)
{
	return uv_loop_init(&tt_loop) == 0 &&
		uv_timer_init(&tt_loop, &tt_tick) == 0 &&
		(tt_dctx = ZSTD_createDCtx()) != NULL;
}

/* Closes what tt_init made; false when handles were left open. */
static bool
tt_fini(void)
{
	ZSTD_freeDCtx(tt_dctx);
	uv_close((uv_handle_t *)&tt_tick, NULL);
	uv_run(&tt_loop, UV_RUN_DEFAULT);
	return uv_loop_close(&tt_loop) == 0;
}

/* Opens terminal id (24x80) and waits for its answer. */
#define OPEN_OK(c, id)                                                   \
	do {                                                             \
		ASSERT_INT_EQ(term_host_open((c)->h, (id), 24, 80), 0);  \
		ASSERT(tt_slot((c), (id))->opened);                      \
		ASSERT(tt_slot((c), (id))->open_ok);                     \
	} while (0)

#define WAIT_TEXT(c, id, text, ms)                                       \
	do {                                                             \
		if (!tt_wait((c), tt_has_text, (id), (text), (ms)))      \
			TH_FAIL("no \"%s\" within %u ms; output: %.*s",  \
				(text), (unsigned)(ms),                  \
				(int)tt_tail_len(tt_slot((c), (id))),     \
				tt_tail(tt_slot((c), (id))));            \
	} while (0)

/* term_account_lookup's refusals on every system: no user, no such
 * user. */
static void
tt_lookup_refusals(void)
{
	struct term_account a;

	ASSERT_INT_EQ(term_account_lookup("", NULL, &a), OP_ERR_CONFIG);
	ASSERT_INT_EQ(term_account_lookup(NULL, NULL, &a), OP_ERR_CONFIG);
	ASSERT_INT_EQ(term_account_lookup("no-such-user-q7x", NULL, &a),
		OP_ERR_NOT_FOUND);
}

static void tt_refusals_z(struct tt *c, const uint8_t *z, size_t zn,
	uint32_t *pid);

/*
 * The refusals every system answers alike, on a host c started with
 * max_terminals 2, input_max below 2 MiB and no terminal yet: sizes, ids
 * not open, 0 x 0 (the default), an id already open, bad resizes, the
 * cap (ids 1 and INT32_MIN open, 3 refused), bad zstd input and 2 MiB
 * of zeros compressed to *zn bytes. *pid: terminal 1's.
 */
static void
tt_refusals(struct tt *c, uint32_t *pid, size_t *zn)
{
	uint8_t *zeros = calloc(1, 2u << 20);
	size_t zcap = ZSTD_compressBound(2u << 20);
	uint8_t *z = malloc(zcap);

	*zn = 0;
	if (zeros != NULL && z != NULL)
		*zn = ZSTD_compress(z, zcap, zeros, 2u << 20, 3);
	free(zeros);
	if (*zn == 0 || ZSTD_isError(*zn)) {
		free(z);
		TH_FAIL("compressing the oversized input failed");
	}
	tt_refusals_z(c, z, *zn, pid);
	free(z);
}

static void
tt_refusals_z(struct tt *c, const uint8_t *z, size_t zn, uint32_t *pid)
{
	struct term_stats st;

	ASSERT_INT_EQ(term_host_open(c->h, 1, 100000, 80), OP_ERR_RANGE);
	ASSERT_STR_CONTAINS(tt_slot(c, 1)->open_msg, "out of range");
	ASSERT_INT_EQ(term_host_open(c->h, 1, 24, UINT32_MAX), OP_ERR_RANGE);
	ASSERT_INT_EQ(term_host_open(c->h, 1, 24, TERM_MAX_DIM + 1),
		OP_ERR_RANGE);
	/* Nothing open yet: data, resize and close are dropped. */
	ASSERT_INT_EQ(tt_send(c, 1, "echo no\r"), OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(term_host_resize(c->h, 1, 24, 80), OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(term_host_hangup(c->h, 1), OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(term_host_hangup(c->h, INT32_MIN), OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(tt_slot(c, 1)->nerrors, 0);
	/* 0 x 0 means the default, as the stock client may send. */
	ASSERT_INT_EQ(term_host_open(c->h, 1, 0, 0), 0);
	ASSERT(tt_slot(c, 1)->open_ok);
	*pid = tt_slot(c, 1)->pid;
	ASSERT_INT_EQ(term_host_open(c->h, 1, 24, 80), 0);
	ASSERT_STR_CONTAINS(tt_slot(c, 1)->open_msg, "already open");
	ASSERT_INT_EQ(tt_slot(c, 1)->pid, *pid);
	ASSERT_INT_EQ(term_host_resize(c->h, 1, 0, 0), OP_ERR_RANGE);
	ASSERT_INT_EQ(term_host_resize(c->h, 1, 70000, 70000), OP_ERR_RANGE);
	ASSERT_INT_EQ(tt_slot(c, 1)->nerrors, 2);
	/* The per-session cap, with ids the client picks at will. */
	ASSERT_INT_EQ(term_host_open(c->h, INT32_MIN, 24, 80), 0);
	ASSERT_INT_EQ(term_host_open(c->h, 3, 24, 80), OP_ERR_TOO_LARGE);
	ASSERT_STR_CONTAINS(tt_slot(c, 3)->open_msg, "Too many");
	/* Bad and oversized zstd input. */
	ASSERT_INT_EQ(term_host_write(c->h, 1, (const uint8_t *)"junk", 4,
			      true), OP_ERR_PROTO);
	ASSERT_INT_EQ(term_host_write(c->h, 1, z, zn, true), OP_ERR_TOO_LARGE);
	ASSERT_STR_CONTAINS(tt_slot(c, 1)->error, "Input dropped");
	term_host_stats(c->h, &st);
	ASSERT(st.input_dropped >= zn);
}

#endif
