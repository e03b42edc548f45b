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
		ssize_t n = write(fd, b, len);

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
	if (localtime_r(&now, &tm) == NULL ||
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

static void
on_handle_closed(uv_handle_t *hd)
{
	struct term *t = hd->data;
	struct term_host *h = t->h;

	if (hd == (uv_handle_t *)&t->io)
		close(t->c.master); /* hangs up whoever still has the tty */
	if (--t->handles > 0)
		return;
	free(t->inq);
	free(t);
	h->dying--;
	term__maybe_free_host(h);
}

static void
close_handle(uv_handle_t *hd)
{
	if (!uv_is_closing(hd))
		uv_close(hd, on_handle_closed);
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
		close_handle((uv_handle_t *)&t->io);
	close_handle((uv_handle_t *)&t->timer);
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

static void
on_master_eof(struct term *t)
{
	t->master_eof = true;
	term__update_io(t);
	if (t->state == TS_DRAINING)
		finish(t);
	/* RUNNING: the shell closed the tty but lives; its exit decides. */
}

/* Reads up to one chunk and sends it, if the session may take it. */
static void
read_output(struct term *t)
{
	struct term_host *h = t->h;
	size_t total = t->carry;
	size_t len;
	bool eof = false;

	if (!may_send(h)) {
		pause_output(h);
		return;
	}
	while (total < TERM_CHUNK) {
		ssize_t n = read(t->c.master, t->rbuf + total,
			TERM_CHUNK - total);

		if (n > 0) {
			total += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			/* EAGAIN: all read. EIO (or 0): every slave fd is
			 * closed. */
			eof = !(n < 0 && errno == EAGAIN);
			break;
		}
	}
	len = eof ? total : term__utf8_split(t->rbuf, total);
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
		on_master_eof(t);
}

/* ---- input ---- */

/* Writes what the pty takes now; the rest waits for UV_WRITABLE. */
/* Keystrokes go straight to the pty; only what it refuses now waits. */
static size_t
write_now(struct term *t, const uint8_t *data, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(t->c.master, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return len; /* the tty is gone: nobody reads */
		done += (size_t)n;
	}
	return done;
}

static void
flush_input(struct term *t)
{
	size_t n = write_now(t, t->inq + t->inq_off, t->inq_len);

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
		size_t n = write_now(t, data, len);

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

static void
on_io(uv_poll_t *p, int status, int events)
{
	struct term *t = p->data;

	if (status < 0) {
		on_master_eof(t);
		return;
	}
	if ((events & UV_WRITABLE) && t->state == TS_RUNNING)
		flush_input(t);
	if ((events & UV_READABLE) &&
		(t->state == TS_RUNNING || t->state == TS_DRAINING))
		read_output(t);
}

/* Polls the master for what t wants now: output while it may be sent,
 * writability while input waits. */
void
term__update_io(struct term *t)
{
	int mask = 0;

	if (!t->io_inited || uv_is_closing((uv_handle_t *)&t->io))
		return;
	if ((t->state == TS_RUNNING || t->state == TS_DRAINING) &&
		!t->master_eof && !t->h->paused)
		mask |= UV_READABLE;
	if (t->state == TS_RUNNING && !t->master_eof && t->inq_len > 0)
		mask |= UV_WRITABLE;
	if (mask == t->io_mask)
		return;
	t->io_mask = mask;
	if (mask == 0)
		uv_poll_stop(&t->io);
	else if (uv_poll_start(&t->io, mask, on_io) != 0)
		t->io_mask = -1; /* retried at the next change */
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
	close_handle((uv_handle_t *)&t->io);
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
		close(t->c.master);
	if (t->handles == 0) {
		free(t);
		h->dying--;
		return;
	}
	if (t->io_inited)
		close_handle((uv_handle_t *)&t->io);
	if (t->timer.data != NULL)
		close_handle((uv_handle_t *)&t->timer);
}

int
term__start_handles(struct term_host *h, struct term *t)
{
	int r;

	if ((r = uv_timer_init(h->cfg.loop, &t->timer)) != 0)
		return r;
	t->timer.data = t;
	t->handles++;
	if ((r = uv_poll_init(h->cfg.loop, &t->io, t->c.master)) != 0)
		return r;
	t->io.data = t;
	t->handles++;
	t->io_inited = true;
	return 0;
}

