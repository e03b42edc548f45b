/* SPDX-License-Identifier: MIT */
/*
 * Control socket server (libuv). Requests are bounded (CTL_MAX_REQUEST)
 * and each client gets one answer and is closed; a slow or silent client
 * is dropped after a few seconds so it cannot pin a handle. Only the
 * daemon's own user and root are served. The endpoint, making it
 * listen, the peer check and the blocking client are the system's:
 * ctl-unix.c (a Unix socket the monitor makes), ctl-win.c (a named
 * pipe).
 */
#include "ctl/ctl.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "ctl/ctl-internal.h"

#define CTL_CLIENT_TIMEOUT_MS 5000

struct ctl_server {
	uv_loop_t *loop;
	uv_pipe_t pipe;
	char path[CTL__ENDPOINT_MAX];
	ctl_handler_fn fn;
	void *arg;
};

struct ctl_client {
	struct ctl_server *srv;
	uv_pipe_t pipe;
	uv_timer_t timer;
	char req[CTL_MAX_REQUEST + 1];
	size_t len;
	char *resp;
	uv_write_t wr;
	int closing;
};

static void
client_free_cb(uv_handle_t *h)
{
	struct ctl_client *c = h->data;

	if (--c->closing == 0) {
		free(c->resp);
		free(c);
	}
}

static void
client_close(struct ctl_client *c)
{
	if (c->closing)
		return;
	c->closing = 2;
	uv_close((uv_handle_t *)&c->pipe, client_free_cb);
	uv_close((uv_handle_t *)&c->timer, client_free_cb);
}

static void
on_timeout(uv_timer_t *t)
{
	client_close(t->data);
}

static void
on_written(uv_write_t *w, int status)
{
	(void)status;
	client_close(w->data);
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct ctl_client *c = h->data;

	(void)hint;
	buf->base = c->req + c->len;
	buf->len = CTL_MAX_REQUEST - c->len;
}

static void
answer(struct ctl_client *c)
{
	uv_buf_t b;
	size_t n;

	uv_read_stop((uv_stream_t *)&c->pipe);
	c->req[c->len] = '\0';
	c->req[strcspn(c->req, "\r\n")] = '\0';
	if ((c->resp = malloc(CTL_MAX_RESPONSE)) == NULL) {
		client_close(c);
		return;
	}
	c->resp[0] = '\0';
	c->srv->fn(c->srv->arg, c->req, c->resp, CTL_MAX_RESPONSE - 1);
	n = strnlen(c->resp, CTL_MAX_RESPONSE - 2);
	c->resp[n++] = '\n';
	b = uv_buf_init(c->resp, (unsigned)n);
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->pipe, &b, 1, on_written) != 0)
		client_close(c);
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_client *c = s->data;

	(void)buf;
	if (nread < 0) {
		client_close(c);
		return;
	}
	c->len += (size_t)nread;
	if (memchr(c->req, '\n', c->len) != NULL)
		answer(c);
	else if (c->len >= CTL_MAX_REQUEST)
		client_close(c); /* no newline within the limit: not ours */
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct ctl_server *srv = server->data;
	struct ctl_client *c;

	if (status < 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->srv = srv;
	uv_pipe_init(srv->loop, &c->pipe, 0);
	uv_timer_init(srv->loop, &c->timer);
	c->pipe.data = c->timer.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0) {
		client_close(c);
		return;
	}
	if (!ctl__peer_allowed(&c->pipe)) {
		log_warn("control socket: refused a client of another user");
		client_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_timeout, CTL_CLIENT_TIMEOUT_MS, 0);
	if (uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, on_read) != 0)
		client_close(c);
}

int
ctl__server_new(uv_loop_t *loop, const char *dir, ctl_handler_fn fn,
	void *arg, struct ctl_server **out, uv_pipe_t **pipe)
{
	struct ctl_server *s;
	int r;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return OP_ERR_NOMEM;
	if ((r = ctl__endpoint(dir, s->path, sizeof(s->path))) != 0) {
		free(s);
		return r;
	}
	s->loop = loop;
	s->fn = fn;
	s->arg = arg;
	uv_pipe_init(loop, &s->pipe, 0);
	s->pipe.data = s;
	*out = s;
	*pipe = &s->pipe;
	return 0;
}

int
ctl__serve(struct ctl_server **s)
{
	int r = uv_listen((uv_stream_t *)&(*s)->pipe, 8, on_connection);

	if (r != 0) {
		ctl_server_stop(*s);
		*s = NULL;
	}
	return r;
}

static void
server_free_cb(uv_handle_t *h)
{
	free(h->data);
}

void
ctl_server_stop(struct ctl_server *self)
{
	if (self == NULL)
		return;
	ctl__unlink(self->path);
	uv_close((uv_handle_t *)&self->pipe, server_free_cb);
}
