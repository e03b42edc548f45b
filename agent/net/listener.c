/* SPDX-License-Identifier: MIT */
/*
 * Direct-IP accept loop. Accepts and hands over; no reading or parsing
 * happens here.
 */
#include "net/listener.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "net/stream.h"

struct listener {
	uv_loop_t *loop;
	uv_tcp_t tcp;
	incoming_conn_fn cb;
	void *arg;
};

static void
free_handle_cb(uv_handle_t *h)
{
	free(h);
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct listener *l = server->data;
	struct sockaddr_storage peer = { 0 };
	int len = sizeof(peer);
	struct stream *s;
	uv_tcp_t *c;

	if (status != 0) {
		log_warn("direct-IP accept: %s", uv_strerror(status));
		return;
	}
	if ((c = malloc(sizeof(*c))) == NULL)
		return;
	uv_tcp_init(l->loop, c);
	if (uv_accept(server, (uv_stream_t *)c) != 0) {
		uv_close((uv_handle_t *)c, free_handle_cb);
		return;
	}
	uv_tcp_nodelay(c, 1);
	uv_tcp_getpeername(c, (struct sockaddr *)&peer, &len);
	if ((s = stream_tcp_take(l->loop, c)) == NULL)
		return;
	l->cb(l->arg, s, CONN_PATH_DIRECT_IP, false, &peer, NULL);
}

int
listener_start(uv_loop_t *loop, const char *host, uint16_t port,
	incoming_conn_fn cb, void *arg, struct listener **out)
{
	struct sockaddr_storage ss = { 0 };
	struct listener *l;
	int r;

	*out = NULL;
	if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
		uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0)
		return OP_ERR_CONFIG;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return OP_ERR_NOMEM;
	l->loop = loop;
	l->cb = cb;
	l->arg = arg;
	uv_tcp_init(loop, &l->tcp);
	l->tcp.data = l;
	if ((r = uv_tcp_bind(&l->tcp, (const struct sockaddr *)&ss,
		     ss.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0)) != 0 ||
		(r = uv_listen((uv_stream_t *)&l->tcp, 64, on_connection)) !=
			0) {
		listener_stop(l);
		return r;
	}
	*out = l;
	return 0;
}

uint16_t
listener_port(const struct listener *self)
{
	struct sockaddr_storage ss = { 0 };
	int len = sizeof(ss);

	if (uv_tcp_getsockname(&self->tcp, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void
on_closed(uv_handle_t *h)
{
	free(h->data);
}

void
listener_stop(struct listener *self)
{
	if (self == NULL)
		return;
	uv_close((uv_handle_t *)&self->tcp, on_closed);
}
