/* SPDX-License-Identifier: MIT */
/*
 * The terminals of one session on the loop: each is a shell that a
 * spawner started (term-direct.c here, or the monitor), whose pty master
 * is watched with a uv_poll; the spawner says when the shell was reaped.
 *
 * Life of a terminal: RUNNING (output flows while can_send allows) ->
 * DRAINING (the shell was reaped; what it left in the pty is still read,
 * until EOF, 100 ms of quiet, 1 MiB or 10 s) -> DONE (TerminalClosed sent,
 * handles closing, then freed). A hangup (CloseTerminal, a recording
 * failure, the session ending) goes RUNNING -> HANGUP: the spawner
 * signals the shell's processes (term-direct.c says how), our master is
 * closed (the kernel's hangup for everything else on the tty), DONE once
 * the spawner reports the reap.
 *
 * It must not buffer output: at most one TERM_CHUNK per terminal is read
 * at a time, and only while can_send agrees; the rest waits in the
 * kernel, which blocks the writer. Input is bounded per terminal.
 * Nothing is freed from inside an event callback: terminals and the host
 * go away in uv_close callbacks, so callers may call back in freely.
 */
#include "term/term.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/queue.h"
#include "core/time.h"
#include "term/term-internal.h"
#include "term/term-os.h"

#define RETRY_MS 5            /* polling can_send while paused */
#define QUIET_MS 100          /* after the exit: no output for this long */
#define DRAIN_MAX_MS 10000    /* after the exit, at most */
#define DRAIN_MAX_BYTES (1u << 20)

void
term__emit(struct term_host *h, const struct term_event *ev)
{
	if (!h->closing)
		h->cfg.on_event(h->cfg.arg, ev);
}

static bool
may_send(struct term_host *h)
{
	return h->cfg.can_send == NULL || h->cfg.can_send(h->cfg.arg);
}

static void pause_output(struct term_host *h);

bool
term__may_read(struct term *t)
{
	if (may_send(t->h))
		return true;
	pause_output(t->h);
	return false;
}

struct term *
term__find(struct term_host *h, int32_t id)
{
	struct term *t;

	TAILQ_FOREACH(t, &h->terms, link)
		if (t->id == id)
			return t;
	return NULL;
}

void
term__maybe_free_host(struct term_host *h)
{
	if (!h->closing || h->retry_open || h->nterms > 0 || h->dying > 0)
		return;
	if (h->done != NULL)
		h->done(h->done_arg);
	term_direct_close(h->direct);
	ZSTD_freeCCtx(h->cc);
	free(h->zbuf);
	free(h->record_dir);
	free(h);
}

/* ---- recording ---- */

static int
write_all(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len > 0) {
		/* Windows' write takes an unsigned int. */
		ssize_t n = write(fd, b, (unsigned)(len < 65536 ? len : 65536));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return OP_ERR_INTERNAL;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* script(1)'s header and trailer lines, so the typescript reads as one. */
void
term__record_line(struct term *t, const char *what, const char *detail)
{
	char when[64];
	char line[512];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (t->record_fd < 0)
		return;
	if (op_localtime(&now, &tm) == NULL ||
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S%z", &tm) == 0)
		snprintf(when, sizeof(when), "@%lld", (long long)now);
	n = snprintf(line, sizeof(line), "%sScript %s on %s [%s]\n",
		what[0] == 'd' ? "\n" : "", what, when, detail);
	if (n > 0 && write_all(t->record_fd, line,
			     (size_t)n < sizeof(line) ? (size_t)n :
							sizeof(line) - 1) != 0)
		log_warn("terminal %d: writing the typescript failed", t->id);
}

/* ---- output ---- */

/* Sends rbuf[0..len): recorded first (the technician never sees what the
 * audit did not get), compressed when that pays. */
static void
send_output(struct term *t, size_t len)
{
	struct term_host *h = t->h;
	struct term_event ev = {
		.type = TERM_EV_DATA,
		.terminal_id = t->id,
		.data = t->rbuf,
		.len = len,
	};
	size_t z;
	int r;

	if (t->record_fd >= 0 &&
		(r = write_all(t->record_fd, t->rbuf, len)) != 0) {
		struct term_event err = {
			.type = TERM_EV_ERROR,
			.terminal_id = t->id,
			.message = "The session recording failed; the terminal "
				   "was closed",
		};

		log_error_r(r, "terminal %d: typescript", t->id);
		term__emit(h, &err);
		term__hangup(t);
		return;
	}
	t->bytes_out += len;
	h->st.bytes_out += len;
	if ((z = term__pack(h->cc, t->rbuf, len, h->zbuf, h->zcap)) > 0) {
		ev.data = h->zbuf;
		ev.len = z;
		ev.compressed = true;
	}
	h->st.wire_out += ev.len;
	term__emit(h, &ev);
}

void
term__on_handle_closed(struct term *t)
{
	struct term_host *h = t->h;

	if (--t->handles > 0)
		return;
	free(t->inq);
	free(t);
	h->dying--;
	term__maybe_free_host(h);
}

static void
on_timer_closed(uv_handle_t *hd)
{
	term__on_handle_closed(hd->data);
}

static void
close_timer(struct term *t)
{
	if (!uv_is_closing((uv_handle_t *)&t->timer))
		uv_close((uv_handle_t *)&t->timer, on_timer_closed);
}

/* Reports the end (unless the host is closing) and lets go of t. */
static void
finish(struct term *t)
{
	struct term_host *h = t->h;
	enum term_state was = t->state;
	char detail[64];
	struct term_event ev = {
		.type = TERM_EV_CLOSED,
		.terminal_id = t->id,
		.exit_code = t->reaped ? t->exit_code : -1,
	};

	if (was == TS_DONE)
		return;
	t->state = TS_DONE;
	TAILQ_REMOVE(&h->terms, t, link);
	h->nterms--;
	h->dying++;
	if (was == TS_DRAINING && t->carry > 0) {
		size_t n = t->carry;

		t->carry = 0;
		send_output(t, n);
	}
	snprintf(detail, sizeof(detail), "COMMAND_EXIT_CODE=\"%d\"",
		(int)ev.exit_code);
	term__record_line(t, "done", detail);
	if (t->record_fd >= 0)
		close(t->record_fd);
	t->record_fd = -1;
	ev.bytes_in = t->bytes_in;
	ev.bytes_out = t->bytes_out;
	term__emit(h, &ev);
	if (t->io_inited)
		term__io_close(t);
	close_timer(t);
}

static void
on_timer(uv_timer_t *tm)
{
	struct term *t = tm->data;

	if (t->state == TS_DRAINING) {
		/* Paused by the session: keep waiting, within limits. */
		if (t->h->paused && !t->master_eof &&
			op_now_ms() - t->drain_start_ms < DRAIN_MAX_MS)
			uv_timer_start(&t->timer, on_timer, QUIET_MS, 0);
		else
			finish(t);
	}
}

void
term__on_retry(uv_timer_t *tm)
{
	struct term_host *h = tm->data;
	struct term *t;

	if (!h->paused || !may_send(h))
		return;
	h->paused = false;
	uv_timer_stop(&h->retry);
	TAILQ_FOREACH(t, &h->terms, link)
		term__update_io(t);
}

/* The session's queue is full: stop reading every pty (the kernel then
 * blocks the writers) and ask again every RETRY_MS. */
static void
pause_output(struct term_host *h)
{
	struct term *t;

	if (h->paused)
		return;
	h->paused = true;
	h->st.pauses++;
	TAILQ_FOREACH(t, &h->terms, link)
		term__update_io(t);
	uv_timer_start(&h->retry, term__on_retry, RETRY_MS, RETRY_MS);
}

void
term__on_io_eof(struct term *t)
{
	t->master_eof = true;
	term__update_io(t);
	if (t->state == TS_DRAINING)
		finish(t);
	/* RUNNING: the shell closed the tty but lives; its exit decides. */
}

/* rbuf[0..total) was read: sends what ends on a whole character. */
void
term__on_output(struct term *t, size_t total, bool eof)
{
	size_t len = eof ? total : term__utf8_split(t->rbuf, total);

	if (t->state != TS_RUNNING && t->state != TS_DRAINING)
		return;
	t->carry = total - len;
	if (len > 0) {
		send_output(t, len);
		if (t->state != TS_RUNNING && t->state != TS_DRAINING)
			return;
		memmove(t->rbuf, t->rbuf + len, t->carry);
		if (t->state == TS_DRAINING) {
			t->drained += len;
			if (t->drained > DRAIN_MAX_BYTES) {
				finish(t);
				return;
			}
			uv_timer_start(&t->timer, on_timer, QUIET_MS, 0);
		}
	}
	if (eof)
		term__on_io_eof(t);
}

/* ---- input ---- */

void
term__on_writable(struct term *t)
{
	size_t n;

	if (t->state != TS_RUNNING)
		return;
	n = term__io_write(t, t->inq + t->inq_off, t->inq_len);

	t->inq_off += n;
	t->inq_len -= n;
	if (t->inq_len == 0) {
		t->inq_off = 0;
		t->drop_told = false;
	}
	term__update_io(t);
}

int
term__queue_input(struct term *t, const uint8_t *data, size_t len)
{
	size_t need;

	if (t->inq_len == 0) {
		size_t n = term__io_write(t, data, len);

		data += n;
		len -= n;
		if (len == 0) {
			t->drop_told = false;
			return 0;
		}
	}
	need = t->inq_len + len;
	if (t->inq != NULL && need > t->inq_cap - t->inq_off) {
		memmove(t->inq, t->inq + t->inq_off, t->inq_len);
		t->inq_off = 0;
	}
	if (need > t->inq_cap) {
		size_t cap = t->inq_cap ? t->inq_cap : 4096;
		uint8_t *b;

		while (cap < need)
			cap *= 2;
		if (cap > t->h->cfg.input_max)
			cap = t->h->cfg.input_max;
		if ((b = realloc(t->inq, cap)) == NULL)
			return OP_ERR_NOMEM;
		t->inq = b;
		t->inq_cap = cap;
	}
	memcpy(t->inq + t->inq_off + t->inq_len, data, len);
	t->inq_len += len;
	term__update_io(t);
	return 0;
}

/* ---- the handles ---- */

/* Asks the system layer for what t wants now: output while it may be
 * sent, writability while input waits. */
void
term__update_io(struct term *t)
{
	if (!t->io_inited)
		return;
	term__io_want(t,
		(t->state == TS_RUNNING || t->state == TS_DRAINING) &&
			!t->master_eof && !t->h->paused,
		t->state == TS_RUNNING && !t->master_eof && t->inq_len > 0);
}

void
term__on_exit(void *arg, uint32_t handle, int32_t exit_code)
{
	struct term *t = arg;

	(void)handle;
	t->reaped = true;
	t->exit_code = exit_code;
	if (t->state == TS_HANGUP || t->master_eof) {
		finish(t);
		return;
	}
	if (t->state != TS_RUNNING)
		return;
	t->state = TS_DRAINING;
	t->drain_start_ms = op_now_ms();
	t->inq_len = 0;
	term__update_io(t);
	uv_timer_start(&t->timer, on_timer, QUIET_MS, 0);
}

void
term__hangup(struct term *t)
{
	struct term_spawner *sp = t->h->sp;

	if (t->state == TS_DONE || t->state == TS_HANGUP)
		return;
	if (t->state == TS_DRAINING || t->reaped) {
		t->state = TS_HANGUP;
		finish(t); /* reaped: its pid may be reused, never signal it */
		return;
	}
	t->state = TS_HANGUP;
	t->inq_len = 0;
	/* The spawner signals first, then our master goes: the last close
	 * of it is the kernel's hangup of the tty. */
	(void)sp->impl->hangup(sp, t->c.handle, false);
	term__io_close(t);
}

/* Frees a terminal whose start failed after its handles existed. */
void
term__abandon(struct term *t)
{
	struct term_host *h = t->h;

	if (t->c.handle != 0)
		(void)h->sp->impl->hangup(h->sp, t->c.handle, true);
	if (t->record_fd >= 0)
		close(t->record_fd);
	t->record_fd = -1;
	t->state = TS_DONE;
	h->dying++;
	if (!t->io_inited)
		term__io_release(t);
	if (t->handles == 0) {
		free(t);
		h->dying--;
		return;
	}
	if (t->io_inited)
		term__io_close(t);
	if (t->timer.data != NULL)
		close_timer(t);
}

int
term__start_handles(struct term_host *h, struct term *t)
{
	int r;

	if ((r = uv_timer_init(h->cfg.loop, &t->timer)) != 0)
		return r;
	t->timer.data = t;
	t->handles++;
	return term__io_start(h, t);
}

