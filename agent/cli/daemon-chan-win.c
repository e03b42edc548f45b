/* SPDX-License-Identifier: MIT */
/* A thread blocks in monchan_recv and hands each message to the loop,
 * waiting until it was handled (so one buffer serves). Stopping cancels
 * the pending read (CancelIoEx) until the thread has left. */
#include "cli/daemon-chan.h"

#include <errno.h>
#include <io.h>
#include <stdlib.h>
#include <windows.h>

#include "platform/monchan.h"

struct daemon_chan {
	uv_async_t async;
	uv_thread_t thread;
	uv_sem_t handled;
	int fd;
	size_t cap;
	volatile LONG stopping;
	bool ended;
	ssize_t n; /* what the thread read, for the loop */
	daemon_chan_fn fn;
	void *arg;
	uint8_t buf[];
};

static void
reader(void *arg)
{
	struct daemon_chan *c = arg;
	ssize_t n;
	int nfds;

	do {
		n = monchan_recv(c->fd, c->buf, c->cap, NULL, 0, &nfds, -1);
		if (c->stopping)
			break;
		c->n = n == -ETIMEDOUT ? -EIO : n;
		uv_async_send(&c->async);
		uv_sem_wait(&c->handled);
	} while (n > 0 && !c->stopping);
}

static void
on_message(uv_async_t *h)
{
	struct daemon_chan *c = h->data;

	if (!c->stopping && !c->ended) {
		if (c->n <= 0)
			c->ended = true;
		c->fn(c->arg, c->n > 0 ? c->buf : NULL, c->n);
	}
	uv_sem_post(&c->handled);
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
	if ((r = uv_sem_init(&c->handled, 0)) != 0) {
		free(c);
		return r;
	}
	if ((r = uv_async_init(loop, &c->async, on_message)) != 0) {
		uv_sem_destroy(&c->handled);
		free(c);
		return r;
	}
	c->async.data = c;
	uv_unref((uv_handle_t *)&c->async);
	if ((r = uv_thread_create(&c->thread, reader, c)) != 0) {
		c->ended = true;
		daemon_chan_stop(c);
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
		uv_ref((uv_handle_t *)&c->async);
	else
		uv_unref((uv_handle_t *)&c->async);
}

static void
on_closed(uv_handle_t *h)
{
	struct daemon_chan *c = h->data;

	uv_sem_destroy(&c->handled);
	free(c);
}

void
daemon_chan_stop(struct daemon_chan *c)
{
	HANDLE h;

	if (c == NULL)
		return;
	InterlockedExchange(&c->stopping, 1);
	if (c->thread != NULL) {
		h = (HANDLE)_get_osfhandle(c->fd);
		uv_sem_post(&c->handled);
		/* The read may not have begun yet: cancel until it is gone. */
		do
			CancelIoEx(h, NULL);
		while (WaitForSingleObject(c->thread, 20) == WAIT_TIMEOUT);
		uv_thread_join(&c->thread);
	}
	uv_close((uv_handle_t *)&c->async, on_closed);
}
