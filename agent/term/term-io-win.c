/* SPDX-License-Identifier: MIT */
/*
 * term-os.h on ConPTY: its output and input pipes (term-direct-win.c's
 * overlapped named pipes) as two libuv pipe streams. Output is read
 * into t->rbuf, at most one chunk per callback, and reading stops while
 * the session may not take it (conhost then blocks on the full pipe).
 * Input is written with uv_write: at most input_max bytes are in flight,
 * the rest waits in term.c's bounded queue until a write completes.
 */
#include "term/term-os.h"

#include <io.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "term/term-internal.h"

struct wreq {
	uv_write_t req;
	struct term *t;
	size_t len;
	uint8_t data[];
};

static void
on_pipe_closed(uv_handle_t *hd)
{
	term__on_handle_closed(hd->data);
}

void
term__io_release(struct term *t)
{
	if (t->c.master >= 0)
		_close(t->c.master);
	if (t->c.input >= 0)
		_close(t->c.input);
	t->c.master = t->c.input = -1;
}

void
term__io_close(struct term *t)
{
	if (!uv_is_closing((uv_handle_t *)&t->out))
		uv_close((uv_handle_t *)&t->out, on_pipe_closed);
	if (!uv_is_closing((uv_handle_t *)&t->in))
		uv_close((uv_handle_t *)&t->in, on_pipe_closed);
	term__io_release(t); /* the fds libuv did not take */
}

static void
on_alloc(uv_handle_t *hd, size_t hint, uv_buf_t *buf)
{
	struct term *t = hd->data;

	(void)hint;
	buf->base = (char *)t->rbuf + t->carry;
	buf->len = (ULONG)(TERM_CHUNK - t->carry);
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct term *t = s->data;

	(void)buf;
	if (n == 0)
		return;
	if (n < 0) {
		/* conhost closed its end (the console was closed) */
		term__on_output(t, t->carry, true);
		return;
	}
	term__on_output(t, t->carry + (size_t)n, false);
	/* This chunk was in hand already; the next waits for the session. */
	if (t->reading && !uv_is_closing((uv_handle_t *)s))
		(void)term__may_read(t);
}

void
term__io_want(struct term *t, bool want_read, bool want_write)
{
	(void)want_write; /* a completed write asks for more itself */
	if (uv_is_closing((uv_handle_t *)&t->out) || want_read == t->reading)
		return;
	if (!want_read) {
		uv_read_stop((uv_stream_t *)&t->out);
		t->reading = false;
	} else if (uv_read_start((uv_stream_t *)&t->out, on_alloc, on_read) ==
		0) {
		t->reading = true;
	}
}

static void
on_write(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct term *t = w->t;

	t->writing -= w->len;
	free(w);
	if (status < 0) {
		t->in_gone = true;
		return;
	}
	if (t->inq_len > 0)
		term__on_writable(t);
}

size_t
term__io_write(struct term *t, const uint8_t *data, size_t len)
{
	size_t max = t->h->cfg.input_max;
	size_t n = len;
	struct wreq *w;
	uv_buf_t b;

	if (t->in_gone || uv_is_closing((uv_handle_t *)&t->in))
		return len; /* nobody reads */
	if (t->writing >= max)
		return 0;
	if (n > max - t->writing)
		n = max - t->writing;
	if (n == 0 || (w = malloc(sizeof(*w) + n)) == NULL)
		return 0;
	memcpy(w->data, data, n);
	w->t = t;
	w->len = n;
	b = uv_buf_init((char *)w->data, (unsigned)n);
	if (uv_write(&w->req, (uv_stream_t *)&t->in, &b, 1, on_write) != 0) {
		free(w);
		t->in_gone = true;
		return len;
	}
	t->writing += n;
	return n;
}

/* Hands *fd to libuv, which closes it with the handle. */
static int
open_pipe(uv_pipe_t *p, int *fd)
{
	int r = uv_pipe_open(p, *fd);

	if (r == 0)
		*fd = -1;
	return r;
}

int
term__io_start(struct term_host *h, struct term *t)
{
	int r;

	if ((r = uv_pipe_init(h->cfg.loop, &t->out, 0)) != 0)
		return r;
	t->out.data = t;
	t->handles++;
	if ((r = uv_pipe_init(h->cfg.loop, &t->in, 0)) != 0) {
		uv_close((uv_handle_t *)&t->out, on_pipe_closed);
		return r;
	}
	t->in.data = t;
	t->handles++;
	t->io_inited = true;
	if ((r = open_pipe(&t->out, &t->c.master)) != 0 ||
		(r = open_pipe(&t->in, &t->c.input)) != 0)
		return r; /* term__abandon closes handles and fds */
	return 0;
}

int
term__io_resize(struct term *t, uint16_t rows, uint16_t cols)
{
	return term__conpty_resize(t->c.pcon, rows, cols);
}
