/* SPDX-License-Identifier: MIT */
#include "cli/daemon-chan.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

struct daemon_chan {
	uv_poll_t poll;
	int fd;
	size_t cap;
	bool ended;
	daemon_chan_fn fn;
	void *arg;
	uint8_t buf[];
};

static void
on_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
end(struct daemon_chan *c, ssize_t n)
{
	uv_poll_stop(&c->poll);
	c->ended = true;
	c->fn(c->arg, NULL, n);
}

static void
on_readable(uv_poll_t *h, int status, int events)
{
	struct daemon_chan *c = h->data;
	ssize_t n;

	(void)events;
	if (status < 0) {
		end(c, status);
		return;
	}
	/* MSG_TRUNC: the real length, so a longer message is refused. */
	n = recv(c->fd, c->buf, c->cap, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0)
		end(c, -errno);
	else if (n == 0)
		end(c, 0);
	else if ((size_t)n > c->cap)
		end(c, -EPROTO);
	else
		c->fn(c->arg, c->buf, n);
}

int
daemon_chan_start(uv_loop_t *loop, int fd, size_t cap, daemon_chan_fn fn,
	void *arg, struct daemon_chan **out)
{
	struct daemon_chan *c = calloc(1, sizeof(*c) + cap);
	int r;

	if (c == NULL)
		return -ENOMEM;
	c->fd = fd;
	c->cap = cap;
	c->fn = fn;
	c->arg = arg;
	if ((r = uv_poll_init(loop, &c->poll, fd)) != 0) {
		free(c);
		return r;
	}
	c->poll.data = c;
	uv_unref((uv_handle_t *)&c->poll);
	if ((r = uv_poll_start(&c->poll, UV_READABLE, on_readable)) != 0) {
		uv_close((uv_handle_t *)&c->poll, on_closed);
		return r;
	}
	*out = c;
	return 0;
}

void
daemon_chan_ref(struct daemon_chan *c, bool ref)
{
	if (c == NULL || c->ended)
		return;
	if (ref)
		uv_ref((uv_handle_t *)&c->poll);
	else
		uv_unref((uv_handle_t *)&c->poll);
}

void
daemon_chan_stop(struct daemon_chan *c)
{
	if (c == NULL)
		return;
	uv_poll_stop(&c->poll);
	uv_close((uv_handle_t *)&c->poll, on_closed);
}
