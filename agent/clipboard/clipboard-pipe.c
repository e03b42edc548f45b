/* SPDX-License-Identifier: MIT */
/*
 * See clipboard-pipe.h. The process ignores SIGPIPE (cli/main.c), so a
 * reader that goes away costs an EPIPE only.
 */
#include "clipboard/clipboard-pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clipboard/clipboard-internal.h"
#include "core/err.h"

struct clip_pipe_send {
	uv_poll_t poll; /* first: the close callback frees the job */
	struct clip_pipe *p;
	int slot;
	int fd;
	uint32_t tag;
	uint8_t *data;
	size_t len, off;
	uint64_t started;
};

static void read_stage(struct clip_pipe *p);

const char *const clipboard__text_mimes[5] = {
	"text/plain;charset=utf-8", "UTF8_STRING", "text/plain",
	"TEXT", "STRING",
};

int
clipboard__text_mime_rank(const char *m)
{
	for (int i = 0; i < 5; i++)
		if (strcmp(m, clipboard__text_mimes[i]) == 0)
			return i + 1;
	return 0;
}

static void
free_handle(uv_handle_t *h)
{
	free(h);
}

static void
stop_fd(struct clip_pipe *p)
{
	if (p->rpoll != NULL) {
		uv_close((uv_handle_t *)p->rpoll, free_handle);
		p->rpoll = NULL;
		close(p->rfd);
	}
}

/* ------------------------------------------------------------ reading */

static void
read_finish(struct clip_pipe *p, int status)
{
	struct clipboard_item items[CLIPBOARD_MAX_ITEMS];
	int n = p->ngot;

	uv_timer_stop(&p->timer);
	stop_fd(p);
	free(p->rbuf);
	p->rbuf = NULL;
	p->reading = false;
	memcpy(items, p->got, sizeof(items));
	p->ngot = 0;
	if (status == 0 && n == 0)
		status = OP_ERR_NOT_FOUND;
	p->done(p->done_arg, status, status == 0 ? items : NULL,
		status == 0 ? n : 0);
	for (int i = 0; i < n; i++)
		free((void *)items[i].data);
}

static void
stage_done(struct clip_pipe *p)
{
	bool text = p->stage == 0;

	stop_fd(p);
	if (!text || clipboard__utf8_valid(p->rbuf, p->rlen)) {
		p->got[p->ngot].format = text ? CLIPBOARD_TEXT : CLIPBOARD_PNG;
		p->got[p->ngot].data = p->rbuf;
		p->got[p->ngot].len = p->rlen;
		p->ngot++;
	} else {
		free(p->rbuf);
	}
	p->rbuf = NULL;
	p->stage++;
	read_stage(p);
}

static void
on_read_fd(uv_poll_t *h, int status, int events)
{
	struct clip_pipe *p = h->data;
	ssize_t n;

	(void)events;
	if (status < 0) {
		read_finish(p, OP_ERR_GONE);
		return;
	}
	for (;;) {
		if (p->rlen == p->rcap) {
			size_t cap = p->rcap * 2 > p->max + 1 ? p->max + 1
							      : p->rcap * 2;
			uint8_t *b;

			if (p->rlen == p->max + 1) {
				read_finish(p, OP_ERR_TOO_LARGE);
				return;
			}
			if ((b = realloc(p->rbuf, cap)) == NULL) {
				read_finish(p, OP_ERR_NOMEM);
				return;
			}
			p->rbuf = b;
			p->rcap = cap;
		}
		n = read(p->rfd, p->rbuf + p->rlen, p->rcap - p->rlen);
		if (n > 0) {
			p->rlen += (size_t)n;
			continue;
		}
		if (n == 0) {
			stage_done(p);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			read_finish(p, -errno);
		return;
	}
}

/* Starts reading the next format the owner offers, or finishes. */
static void
read_stage(struct clip_pipe *p)
{
	int fd = -1, r = OP_ERR_NOT_FOUND;

	for (; p->stage < 2 && r == OP_ERR_NOT_FOUND; ) {
		r = p->receive(p->be, p->stage == 0 ? CLIPBOARD_TEXT :
			CLIPBOARD_PNG, &fd);
		if (r == OP_ERR_NOT_FOUND)
			p->stage++;
	}
	if (r == OP_ERR_NOT_FOUND || r != 0) {
		read_finish(p, r == OP_ERR_NOT_FOUND ? 0 : r);
		return;
	}
	p->rfd = fd;
	p->rlen = 0;
	p->rcap = p->max + 1 < 4096 ? p->max + 1 : 4096;
	if ((p->rbuf = malloc(p->rcap)) == NULL ||
		(p->rpoll = malloc(sizeof(*p->rpoll))) == NULL) {
		close(fd);
		read_finish(p, OP_ERR_NOMEM);
		return;
	}
	p->rpoll->data = p;
	if (uv_poll_init(p->loop, p->rpoll, fd) != 0) {
		free(p->rpoll);
		p->rpoll = NULL;
		close(fd);
		read_finish(p, OP_ERR_INTERNAL);
		return;
	}
	uv_poll_start(p->rpoll, UV_READABLE, on_read_fd);
}

static void
on_timer(uv_timer_t *h)
{
	struct clip_pipe *p = h->data;

	if (p->reading)
		read_finish(p, p->deferred ? p->rstatus : -ETIMEDOUT);
}

void
clipboard__pipe_init(struct clip_pipe *p, uv_loop_t *loop, size_t max,
	clip_pipe_receive_fn receive, clip_pipe_sent_fn sent, void *be)
{
	memset(p, 0, sizeof(*p));
	p->loop = loop;
	p->max = max;
	p->receive = receive;
	p->sent = sent;
	p->be = be;
	p->rfd = -1;
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
}

int
clipboard__pipe_read(struct clip_pipe *p, int unavailable,
	clipboard_read_fn done, void *arg)
{
	if (p->reading)
		return OP_ERR_STATE;
	p->reading = true;
	p->done = done;
	p->done_arg = arg;
	p->ngot = 0;
	p->stage = 0;
	p->rstatus = unavailable;
	p->deferred = unavailable != 0;
	if (unavailable != 0) {
		/* Later, once, as promised: from the timer. */
		uv_timer_start(&p->timer, on_timer, 0, 0);
		return 0;
	}
	uv_timer_start(&p->timer, on_timer, CLIP_PIPE_READ_TIMEOUT_MS, 0);
	read_stage(p);
	return 0;
}

int
clipboard__pipe_read_own(struct clip_pipe *p, clipboard_read_fn done,
	void *arg)
{
	if (p->reading)
		return OP_ERR_STATE;
	p->reading = true;
	p->deferred = true;
	p->done = done;
	p->done_arg = arg;
	p->ngot = 0;
	p->rstatus = 0;
	for (int i = 0; i < p->nitems; i++) {
		uint8_t *d = malloc(p->items[i].len > 0 ? p->items[i].len : 1);

		if (d == NULL) {
			p->rstatus = OP_ERR_NOMEM;
			break;
		}
		memcpy(d, p->items[i].data, p->items[i].len);
		p->got[p->ngot] = p->items[i];
		p->got[p->ngot++].data = d;
	}
	uv_timer_start(&p->timer, on_timer, 0, 0);
	return 0;
}

/* ------------------------------------------------------------ sending */

void
clipboard__pipe_drop(struct clip_pipe *p)
{
	for (int i = 0; i < p->nitems; i++)
		free((void *)p->items[i].data);
	p->nitems = 0;
}

int
clipboard__pipe_keep(struct clip_pipe *p, const struct clipboard_item *items,
	int n)
{
	int r = clipboard__items_check(items, n, p->max);

	if (r != 0)
		return r;
	clipboard__pipe_drop(p);
	for (int i = 0; i < n; i++) {
		uint8_t *d = malloc(items[i].len > 0 ? items[i].len : 1);

		if (d == NULL)
			return OP_ERR_NOMEM;
		if (items[i].len > 0)
			memcpy(d, items[i].data, items[i].len);
		p->items[p->nitems] = items[i];
		p->items[p->nitems++].data = d;
	}
	return 0;
}

const struct clipboard_item *
clipboard__pipe_item(const struct clip_pipe *p, enum clipboard_format format)
{
	for (int i = 0; i < p->nitems; i++)
		if (p->items[i].format == format)
			return &p->items[i];
	return NULL;
}

static void
send_end(struct clip_pipe *p, int slot, bool report)
{
	struct clip_pipe_send *j = p->sends[slot];
	bool ok = j->off == j->len;

	p->sends[slot] = NULL;
	uv_close((uv_handle_t *)&j->poll, free_handle);
	close(j->fd);
	free(j->data);
	if (report && p->sent != NULL)
		p->sent(p->be, j->tag, ok);
}

static void
on_send_fd(uv_poll_t *h, int status, int events)
{
	struct clip_pipe_send *j = (struct clip_pipe_send *)h;

	(void)events;
	while (status == 0 && j->off < j->len) {
		ssize_t n = write(j->fd, j->data + j->off, j->len - j->off);

		if (n > 0)
			j->off += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN)
			return;
		else
			break;
	}
	send_end(j->p, j->slot, true);
}

int
clipboard__pipe_send(struct clip_pipe *p, enum clipboard_format format,
	int fd, uint32_t tag)
{
	const struct clipboard_item *it = clipboard__pipe_item(p, format);
	uint64_t now = uv_now(p->loop);
	struct clip_pipe_send *j;
	int slot = -1;

	for (int i = 0; i < CLIP_PIPE_MAX_SENDS; i++) {
		if (p->sends[i] != NULL &&
			now - p->sends[i]->started > CLIP_PIPE_SEND_IDLE_MS)
			send_end(p, i, true);
		if (p->sends[i] == NULL && slot < 0)
			slot = i;
	}
	if (it == NULL || slot < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) != 0 ||
		(j = calloc(1, sizeof(*j))) == NULL) {
		close(fd);
		return it == NULL ? OP_ERR_NOT_FOUND : -EBUSY;
	}
	if ((j->data = malloc(it->len > 0 ? it->len : 1)) == NULL ||
		uv_poll_init(p->loop, &j->poll, fd) != 0) {
		free(j->data);
		free(j);
		close(fd);
		return OP_ERR_NOMEM;
	}
	memcpy(j->data, it->data, it->len);
	j->p = p;
	j->slot = slot;
	j->fd = fd;
	j->tag = tag;
	j->len = it->len;
	j->started = now;
	p->sends[slot] = j;
	uv_poll_start(&j->poll, UV_WRITABLE, on_send_fd);
	return 0;
}

void
clipboard__pipe_close(struct clip_pipe *p, uv_close_cb cb)
{
	stop_fd(p);
	free(p->rbuf);
	p->rbuf = NULL;
	for (int i = 0; i < p->ngot; i++)
		free((void *)p->got[i].data);
	p->ngot = 0;
	p->reading = false;
	for (int i = 0; i < CLIP_PIPE_MAX_SENDS; i++)
		if (p->sends[i] != NULL)
			send_end(p, i, false);
	clipboard__pipe_drop(p);
	p->timer.data = p->be;
	uv_close((uv_handle_t *)&p->timer, cb);
}

/* ------------------------------------------------ the backends' connection */

void *
clipboard__conn_new(size_t size, uv_loop_t *loop, struct clipboard *pub,
	void *arg, void **out, char *err, size_t errlen)
{
	struct clip_conn *c = calloc(1, size);

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (c == NULL)
		return NULL;
	c->loop = loop;
	c->pub = pub;
	c->arg = arg;
	return c;
}

void
clipboard__conn_closed(uv_handle_t *h)
{
	struct clip_conn *c = h->data;

	if (--c->handles == 0)
		free(c);
}

int
clipboard__conn_start(struct clip_conn *c, clipboard_changed_fn changed,
	size_t max, clip_pipe_receive_fn receive, clip_pipe_sent_fn sent,
	int fd, uv_poll_cb on_poll, char *err, size_t errlen)
{
	bool polled = false;
	int r;

	c->changed = changed;
	clipboard__pipe_init(&c->pipe, c->loop, max, receive, sent, c);
	c->handles++;
	c->poll.data = c;
	if ((r = uv_poll_init(c->loop, &c->poll, fd)) == 0) {
		c->handles++;
		polled = true;
		r = uv_poll_start(&c->poll, UV_READABLE, on_poll);
	}
	if (r != 0) {
		snprintf(err, errlen, "uv_poll: %s", uv_strerror(r));
		c->closing = true;
		if (polled)
			uv_close((uv_handle_t *)&c->poll,
				clipboard__conn_closed);
		clipboard__pipe_close(&c->pipe, clipboard__conn_closed);
	}
	return r;
}

void
clipboard__conn_close(struct clip_conn *c)
{
	c->closing = true;
	uv_close((uv_handle_t *)&c->poll, clipboard__conn_closed);
	clipboard__pipe_close(&c->pipe, clipboard__conn_closed);
}
