/* SPDX-License-Identifier: MIT */
/*
 * term-os.h on a pty: the master (one fd for both directions), watched
 * with a uv_poll and read or written without blocking. At most one
 * TERM_CHUNK is read per wakeup, and only while the session may take
 * it; the rest waits in the kernel, which blocks the writer.
 */
#include "term/term-os.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <uv.h>

#include "term/term-internal.h"

static void
on_io_closed(uv_handle_t *hd)
{
	struct term *t = hd->data;

	close(t->c.master); /* hangs up whoever still has the tty */
	term__on_handle_closed(t);
}

void
term__io_close(struct term *t)
{
	if (!uv_is_closing((uv_handle_t *)&t->io))
		uv_close((uv_handle_t *)&t->io, on_io_closed);
}

void
term__io_release(struct term *t)
{
	close(t->c.master);
}

/* Reads up to one chunk (after the carry) and hands it to term.c. */
static void
read_output(struct term *t)
{
	size_t total = t->carry;
	bool eof = false;

	if (!term__may_read(t))
		return;
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
	term__on_output(t, total, eof);
}

size_t
term__io_write(struct term *t, const uint8_t *data, size_t len)
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
on_io(uv_poll_t *p, int status, int events)
{
	struct term *t = p->data;

	if (status < 0) {
		term__on_io_eof(t);
		return;
	}
	if (events & UV_WRITABLE)
		term__on_writable(t);
	if ((events & UV_READABLE) &&
		(t->state == TS_RUNNING || t->state == TS_DRAINING))
		read_output(t);
}

void
term__io_want(struct term *t, bool want_read, bool want_write)
{
	int mask = (want_read ? UV_READABLE : 0) |
		(want_write ? UV_WRITABLE : 0);

	if (uv_is_closing((uv_handle_t *)&t->io) || mask == t->io_mask)
		return;
	t->io_mask = mask;
	if (mask == 0)
		uv_poll_stop(&t->io);
	else if (uv_poll_start(&t->io, mask, on_io) != 0)
		t->io_mask = -1; /* retried at the next change */
}

int
term__io_start(struct term_host *h, struct term *t)
{
	int r;

	if ((r = uv_poll_init(h->cfg.loop, &t->io, t->c.master)) != 0)
		return r;
	t->io.data = t;
	t->handles++;
	t->io_inited = true;
	return 0;
}

int
term__io_resize(struct term *t, uint16_t rows, uint16_t cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	/* The kernel sends SIGWINCH to the foreground process group. */
	if (ioctl(t->c.master, TIOCSWINSZ, &ws) != 0)
		return -errno;
	return 0;
}
