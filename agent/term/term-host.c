/* SPDX-License-Identifier: MIT */
/*
 * The entry points of term.h: a TerminalAction becomes a call here, which
 * checks it (ids, sizes, the account, the per-session cap, the input
 * bound) and answers refusals with the text the client shows ("Failed to
 * open terminal: ..."). The terminals' life on the loop is term.c's.
 */
#include "term/term.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <zstd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "term/term-internal.h"

#define GRACE_DEFAULT_MS 3000

static int
open_answer(struct term_host *h, int32_t id, int r, const struct term *t,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
open_answer(struct term_host *h, int32_t id, int r, const struct term *t,
	const char *fmt, ...)
{
	char msg[256];
	unsigned suppressed = 0;
	va_list ap;
	struct term_event ev = {
		.type = TERM_EV_OPENED,
		.terminal_id = id,
		.success = r == 0,
		.pid = t != NULL ? (uint32_t)t->c.pid : 0,
		.service_id = h->service_id,
		.user = h->has_account ? h->account.name : h->user,
		.tty = t != NULL ? t->c.tty : "",
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

static const char *
account_text(struct term_host *h, int r, char *buf, size_t cap)
{
	switch (r) {
	case OP_ERR_CONFIG:
		return "No terminal user is configured on this host "
		       "(policy.terminal.user)";
	case OP_ERR_NOT_FOUND:
		snprintf(buf, cap, "The terminal user '%s' does not exist on "
				   "this host", h->user);
		return buf;
	case OP_ERR_RANGE:
		snprintf(buf, cap, "The terminal user '%s' is in too many "
				   "groups", h->user);
		return buf;
	default:
		snprintf(buf, cap, "The terminal user '%s' could not be "
				   "looked up: %s", h->user, op_strerror(r));
		return buf;
	}
}

int
term_host_open(struct term_host *h, int32_t id, uint32_t rows,
	uint32_t cols)
{
	char buf[200];
	char detail[200];
	struct term *t;
	int r;

	if (h->closing)
		return OP_ERR_STATE;
	if ((t = term__find(h, id)) != NULL) {
		if (t->state == TS_RUNNING)
			return open_answer(h, id, 0, t,
				"Terminal already open");
		return open_answer(h, id, OP_ERR_STATE, NULL,
			"Terminal %d is still closing", id);
	}
	if (h->nterms >= h->cfg.max_terminals)
		return open_answer(h, id, OP_ERR_TOO_LARGE, NULL,
			"Too many terminals in this session (at most %u)",
			h->cfg.max_terminals);
	rows = rows ? rows : TERM_DEFAULT_ROWS;
	cols = cols ? cols : TERM_DEFAULT_COLS;
	if (!term__dim_ok(rows, cols))
		return open_answer(h, id, OP_ERR_RANGE, NULL,
			"Terminal size %ux%u is out of range (at most %u)",
			(unsigned)rows, (unsigned)cols, TERM_MAX_DIM);
	if (!h->has_account)
		return open_answer(h, id, h->cfg.account_error, NULL, "%s",
			account_text(h, h->cfg.account_error, buf,
				sizeof(buf)));
	if ((r = term__may_switch(&h->account, h->cfg.allow_root)) != 0)
		return open_answer(h, id, r, NULL, "%s",
			r == OP_ERR_DENIED ?
				"Refusing a root terminal: the terminal user "
				"has uid 0 and root terminals are not allowed" :
				"The agent cannot start a shell as another "
				"user (it does not run as root)");
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return open_answer(h, id, OP_ERR_NOMEM, NULL, "Out of memory");
	t->h = h;
	t->id = id;
	t->record_fd = -1;
	t->c.master = -1;
	t->c.pidfd = -1;
	if (h->cfg.record != NULL &&
		(r = h->cfg.record(h->cfg.arg, id, &t->record_fd)) != 0) {
		free(t);
		return open_answer(h, id, r < 0 ? r : OP_ERR_INTERNAL, NULL,
			"The session recording could not be started (%s)",
			op_strerror(r));
	}
	if ((r = term__spawn(&h->account, h->lang, (uint16_t)rows,
		     (uint16_t)cols, &t->c)) != 0) {
		if (t->record_fd >= 0)
			close(t->record_fd);
		free(t);
		return open_answer(h, id, r, NULL,
			"Could not start a shell on a new pty: %s",
			op_strerror(r));
	}
	if ((r = term__start_handles(h, t)) != 0) {
		term__abandon(t);
		return open_answer(h, id, r, NULL,
			"Could not watch the shell: %s", op_strerror(r));
	}
	TAILQ_INSERT_TAIL(&h->terms, t, link);
	h->nterms++;
	h->st.opened++;
	term__update_io(t);
	snprintf(detail, sizeof(detail),
		"TERM=\"xterm-256color\" TTY=\"%s\" COLUMNS=\"%u\" "
		"LINES=\"%u\" USER=\"%s\"", t->c.tty, (unsigned)cols,
		(unsigned)rows, h->account.name);
	term__record_line(t, "started", detail);
	log_info("terminal %d: %s as %s on %s (pid %d)", id, h->account.shell,
		h->account.name, t->c.tty, (int)t->c.pid);
	if (!t->c.tty_chowned)
		log_notice("terminal %d: %s stays root's (no CAP_CHOWN)", id,
			t->c.tty);
	return open_answer(h, id, 0, t, "Terminal opened");
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
	struct winsize ws;

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
	memset(&ws, 0, sizeof(ws));
	ws.ws_row = (unsigned short)rows;
	ws.ws_col = (unsigned short)cols;
	/* The kernel sends SIGWINCH to the foreground process group. */
	if (ioctl(t->c.master, TIOCSWINSZ, &ws) != 0)
		return -errno;
	return 0;
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
	if (!cfg->no_compress) {
		h->zcap = ZSTD_compressBound(TERM_CHUNK);
		if ((h->cc = ZSTD_createCCtx()) == NULL ||
			term__pack_setup(h->cc) != 0 ||
			(h->zbuf = malloc(h->zcap)) == NULL) {
			ZSTD_freeCCtx(h->cc);
			free(h);
			return OP_ERR_NOMEM;
		}
	}
	if ((r = uv_timer_init(cfg->loop, &h->retry)) != 0) {
		ZSTD_freeCCtx(h->cc);
		free(h->zbuf);
		free(h);
		return r;
	}
	h->retry.data = h;
	h->retry_open = true;
	*out = h;
	return 0;
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
