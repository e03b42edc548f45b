/* SPDX-License-Identifier: MIT */
/*
 * The entry points of term.h: a TerminalAction becomes a call here, which
 * checks it (ids, sizes, the per-session cap, the input bound) and
 * answers refusals with the text the client shows ("Failed to open
 * terminal: ..."); the spawner checks the account and starts the shell.
 * The terminals' life on the loop is term.c's.
 */
#include "term/term.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "term/term-internal.h"
#include "term/term-os.h"

#define GRACE_DEFAULT_MS 3000

static int
open_answer(struct term_host *h, int32_t id, int r, const struct term *t,
	const char *user, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int
open_answer(struct term_host *h, int32_t id, int r, const struct term *t,
	const char *user, const char *fmt, ...)
{
	char msg[256];
	unsigned suppressed = 0;
	va_list ap;
	struct term_event ev = {
		.type = TERM_EV_OPENED,
		.terminal_id = id,
		.success = r == 0,
		.pid = t != NULL ? t->c.pid : 0,
		.service_id = h->service_id,
		.user = t != NULL ? t->c.user : user,
		.tty = t != NULL ? t->c.tty : "",
		.typescript = t != NULL && t->c.typescript[0] != '\0' ?
			t->c.typescript :
			NULL,
		.message = msg,
	};

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Refusals are the peer's to trigger at will: rate-limited. */
	if (r != 0 && op_ratelimit_allow(&h->refusals, op_now_ms(), 5, 10000,
			      &suppressed))
		log_notice("terminal %d refused: %s (%u refusals not logged "
			   "before)", id, msg, suppressed);
	term__emit(h, &ev);
	return r;
}

int
term_host_open(struct term_host *h, int32_t id, uint32_t rows,
	uint32_t cols)
{
	struct term_open_req req = { .terminal_id = id,
		.session_tag = h->cfg.record_tag };
	char msg[256];
	char detail[200];
	struct term *t;
	int r;

	if (h->closing)
		return OP_ERR_STATE;
	if ((t = term__find(h, id)) != NULL) {
		if (t->state == TS_RUNNING)
			return open_answer(h, id, 0, t, NULL,
				"Terminal already open");
		return open_answer(h, id, OP_ERR_STATE, NULL, h->user,
			"Terminal %d is still closing", id);
	}
	if (h->nterms >= h->cfg.max_terminals)
		return open_answer(h, id, OP_ERR_TOO_LARGE, NULL, h->user,
			"Too many terminals in this session (at most %u)",
			h->cfg.max_terminals);
	rows = rows ? rows : TERM_DEFAULT_ROWS;
	cols = cols ? cols : TERM_DEFAULT_COLS;
	if (!term__dim_ok(rows, cols))
		return open_answer(h, id, OP_ERR_RANGE, NULL, h->user,
			"Terminal size %ux%u is out of range (at most %u)",
			(unsigned)rows, (unsigned)cols, TERM_MAX_DIM);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return open_answer(h, id, OP_ERR_NOMEM, NULL, h->user,
			"Out of memory");
	t->h = h;
	t->id = id;
	t->record_fd = -1;
	req.rows = (uint16_t)rows;
	req.cols = (uint16_t)cols;
	msg[0] = '\0';
	r = h->sp->impl->open(h->sp, &req, term__on_exit, t, &t->c, msg,
		sizeof(msg));
	if (r != 0) {
		char user[sizeof(t->c.user)];

		snprintf(user, sizeof(user), "%s",
			t->c.user[0] != '\0' ? t->c.user : h->user);
		free(t);
		return open_answer(h, id, r, NULL, user, "%s",
			msg[0] != '\0' ? msg : op_strerror(r));
	}
	t->record_fd = t->c.record_fd;
	t->c.record_fd = -1;
	if ((r = term__start_handles(h, t)) != 0) {
		term__abandon(t);
		return open_answer(h, id, r, NULL, h->user,
			"Could not watch the shell: %s", op_strerror(r));
	}
	TAILQ_INSERT_TAIL(&h->terms, t, link);
	h->nterms++;
	h->st.opened++;
	term__update_io(t);
	snprintf(detail, sizeof(detail),
		"TERM=\"xterm-256color\" TTY=\"%s\" COLUMNS=\"%u\" "
		"LINES=\"%u\" USER=\"%s\"", t->c.tty, (unsigned)cols,
		(unsigned)rows, t->c.user);
	term__record_line(t, "started", detail);
	return open_answer(h, id, 0, t, NULL, "Terminal opened");
}

int
term_host_write(struct term_host *h, int32_t id, const uint8_t *data,
	size_t len, bool compressed)
{
	struct term *t = term__find(h, id);
	uint8_t *plain = NULL;
	size_t room;
	int r;

	if (h->closing || t == NULL || t->state != TS_RUNNING)
		return OP_ERR_NOT_FOUND;
	room = h->cfg.input_max - t->inq_len;
	if (compressed && len > 0) {
		size_t plain_len = 0;

		/* Refused as too large: len stays the compressed size. */
		if ((r = term__unpack(data, len, room, &plain, &plain_len)) ==
			0) {
			data = plain;
			len = plain_len;
		} else if (r != OP_ERR_TOO_LARGE) {
			return r;
		}
	} else {
		r = len > room ? OP_ERR_TOO_LARGE : 0;
	}
	if (r == 0) {
		t->bytes_in += len;
		h->st.bytes_in += len;
		if (len > 0)
			r = term__queue_input(t, data, len);
	}
	if (r == OP_ERR_TOO_LARGE && !t->drop_told) {
		char msg[160];
		struct term_event ev = {
			.type = TERM_EV_ERROR,
			.terminal_id = id,
			.message = msg,
		};

		t->drop_told = true; /* once until the queue drains */
		snprintf(msg, sizeof(msg), "Input dropped: the terminal is not "
					   "reading (%zu bytes waiting)",
			t->inq_len);
		term__emit(h, &ev);
	}
	if (r == OP_ERR_TOO_LARGE)
		h->st.input_dropped += len;
	free(plain);
	return r;
}

int
term_host_resize(struct term_host *h, int32_t id, uint32_t rows,
	uint32_t cols)
{
	struct term *t = term__find(h, id);

	if (h->closing || t == NULL || t->state != TS_RUNNING)
		return OP_ERR_NOT_FOUND;
	if (!term__dim_ok(rows, cols)) {
		struct term_event ev = {
			.type = TERM_EV_ERROR,
			.terminal_id = id,
			.message = "Terminal size out of range",
		};

		term__emit(h, &ev);
		return OP_ERR_RANGE;
	}
	return term__io_resize(t, (uint16_t)rows, (uint16_t)cols);
}

int
term_host_hangup(struct term_host *h, int32_t id)
{
	struct term *t = term__find(h, id);

	if (h->closing || t == NULL)
		return OP_ERR_NOT_FOUND;
	term__hangup(t);
	return 0;
}

void
term_host_kick(struct term_host *h)
{
	if (!h->closing)
		term__on_retry(&h->retry);
}

void
term_host_stats(const struct term_host *h, struct term_stats *out)
{
	*out = h->st;
	out->open = h->nterms;
}

int
term_host_bytes(const struct term_host *h, int32_t id, uint64_t *in,
	uint64_t *out)
{
	struct term *t = term__find((struct term_host *)h, id);

	*in = 0;
	*out = 0;
	if (t == NULL)
		return OP_ERR_NOT_FOUND;
	*in = t->bytes_in;
	*out = t->bytes_out;
	return 0;
}

const char *
term_host_service_id(const struct term_host *h)
{
	return h->service_id;
}

/* Without cfg.spawner: our own direct spawner, with the cfg's policy. */
static int
own_open(struct term_spawner *sp, const struct term_open_req *req,
	term_exit_fn on_exit, void *arg, struct term_shell *out, char *msg,
	size_t msg_size)
{
	struct term_host *h = (struct term_host *)((char *)sp -
		offsetof(struct term_host, own_sp));
	struct term_who who = {
		.account = h->has_account ? &h->account : NULL,
		.account_error = h->cfg.account_error,
		.user = h->user,
		.allow_root = h->cfg.allow_root,
		.lang = h->lang,
		.record_dir = h->record_dir,
	};

	return term_direct_open(h->direct, &who, req, on_exit, arg, out, msg,
		msg_size);
}

static int
own_hangup(struct term_spawner *sp, uint32_t handle, bool forget)
{
	struct term_host *h = (struct term_host *)((char *)sp -
		offsetof(struct term_host, own_sp));

	return term_direct_hangup(h->direct, handle, forget);
}

static const struct term_spawner_impl own_impl = {
	.open = own_open,
	.hangup = own_hangup,
};

static void
on_retry_closed(uv_handle_t *hd)
{
	struct term_host *h = hd->data;

	h->retry_open = false;
	term__maybe_free_host(h);
}

int
term_host_new(const struct term_host_cfg *cfg, struct term_host **out)
{
	struct term_host *h;
	int r;

	*out = NULL;
	if (cfg == NULL || cfg->loop == NULL || cfg->on_event == NULL)
		return OP_ERR_CONFIG;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return OP_ERR_NOMEM;
	h->cfg = *cfg;
	if (cfg->record_dir != NULL &&
		(h->record_dir = strdup(cfg->record_dir)) == NULL) {
		free(h);
		return OP_ERR_NOMEM;
	}
	h->cfg.record_dir = NULL;
	if (cfg->account != NULL) {
		h->account = *cfg->account;
		h->has_account = true;
	} else if (h->cfg.account_error == 0) {
		h->cfg.account_error = OP_ERR_CONFIG;
	}
	h->cfg.account = NULL;
	snprintf(h->user, sizeof(h->user), "%s",
		cfg->user != NULL ? cfg->user : "");
	snprintf(h->lang, sizeof(h->lang), "%s",
		cfg->lang != NULL ? cfg->lang : "");
	h->cfg.user = NULL;
	h->cfg.lang = NULL;
	h->cfg.service_id = NULL;
	if (cfg->service_id != NULL && cfg->service_id[0] != '\0')
		snprintf(h->service_id, sizeof(h->service_id), "%s",
			cfg->service_id);
	else
		term__service_id(h->service_id, sizeof(h->service_id));
	if (h->cfg.max_terminals == 0)
		h->cfg.max_terminals = TERM_DEFAULT_MAX;
	if (h->cfg.input_max == 0)
		h->cfg.input_max = TERM_DEFAULT_INPUT_MAX;
	if (h->cfg.hangup_grace_ms == 0)
		h->cfg.hangup_grace_ms = GRACE_DEFAULT_MS;
	TAILQ_INIT(&h->terms);
	h->sp = cfg->spawner;
	if (h->sp == NULL) {
		h->own_sp.impl = &own_impl;
		h->sp = &h->own_sp;
		r = term_direct_new(cfg->loop, h->cfg.hangup_grace_ms,
			&h->direct);
		if (r != 0)
			goto fail;
	}
	if (!cfg->no_compress) {
		h->zcap = ZSTD_compressBound(TERM_CHUNK);
		r = OP_ERR_NOMEM;
		if ((h->cc = ZSTD_createCCtx()) == NULL ||
			term__pack_setup(h->cc) != 0 ||
			(h->zbuf = malloc(h->zcap)) == NULL)
			goto fail;
	}
	if ((r = uv_timer_init(cfg->loop, &h->retry)) != 0)
		goto fail;
	h->retry.data = h;
	h->retry_open = true;
	*out = h;
	return 0;
fail:
	term_direct_close(h->direct);
	ZSTD_freeCCtx(h->cc);
	free(h->zbuf);
	free(h->record_dir);
	free(h);
	return r;
}

void
term_host_close(struct term_host *h, term_closed_fn done, void *arg)
{
	struct term *t;
	struct term *next;

	if (h == NULL || h->closing)
		return;
	h->closing = true;
	h->done = done;
	h->done_arg = arg;
	for (t = TAILQ_FIRST(&h->terms); t != NULL; t = next) {
		next = TAILQ_NEXT(t, link);
		term__hangup(t);
	}
	uv_close((uv_handle_t *)&h->retry, on_retry_closed);
}
