/* SPDX-License-Identifier: MIT */
/*
 * op-connect: drives net_connect_start + struct stream from a test, so the
 * integration tests exercise the real C code against real proxies.
 *
 *   op-connect [options] HOST PORT
 *     --proxy URL          server.proxy form: http|https|socks5://[user@]h[:p]
 *     --password-file F    the proxy password (must be 0600)
 *     --ca FILE            CA bundle for an HTTPS proxy ("" = system store)
 *     --timeout MS         connect deadline (default 10000)
 *     --bind IP:PORT       direct only: bind with SO_REUSEADDR/SO_REUSEPORT
 *     --send TEXT          bytes to send once connected
 *     --expect N           read until N bytes came back (default: |TEXT|)
 *     --bulk N             send N pattern bytes, expect them echoed back
 *     --pause-ms MS        pause reading after the first chunk for MS
 *     --cancel-after MS    cancel the connect after MS
 *     --close-at-once 1    close the stream without starting it (checks
 *                          that on_closed gets net_connect_start's arg)
 *
 * Prints "key: value" lines (connected, kind, local, tls-*, received,
 * error, message, stage, http-status, socks-reply) and exits 0 when the
 * exchange completed, 1 when it failed, 2 on usage errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "core/err.h"
#include "net/connect.h"
#include "net/stream.h"
#include "cli/proxy-password.h"

struct tool {
	uv_loop_t *loop;
	struct net_connect *nc;
	struct net_connect_report rep;
	struct stream *s;
	uv_timer_t timer; /* cancel-after, pause, then the read watchdog */
	uint8_t *got;
	size_t got_len;
	size_t expect;
	uint8_t *bulk; /* what is sent */
	size_t bulk_len;
	bool check_bulk; /* --bulk: compare instead of printing */
	unsigned pause_ms;
	bool paused_once;
	bool close_at_once;
	int exit_code;
};

static const char *const stage_names[] = {
	[NET_STAGE_RESOLVE] = "resolve",
	[NET_STAGE_TCP] = "tcp",
	[NET_STAGE_TLS] = "tls",
	[NET_STAGE_PROXY] = "proxy",
	[NET_STAGE_DONE] = "done",
};

static void
print_addr(const char *key, const struct sockaddr_storage *ss)
{
	char ip[64] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		uv_ip4_name((const struct sockaddr_in *)ss, ip, sizeof(ip));
		port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		uv_ip6_name((const struct sockaddr_in6 *)ss, ip, sizeof(ip));
		port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	}
	printf("%s: %s:%u\n", key, ip, port);
}

static void
print_report(const struct net_connect_report *r)
{
	printf("stage: %s\n", stage_names[r->stage]);
	if (r->peer[0])
		printf("peer: %s\n", r->peer);
	if (r->http_status)
		printf("http-status: %d\n", r->http_status);
	if (r->socks_reply >= 0)
		printf("socks-reply: %d\n", r->socks_reply);
	if (r->tls_seen) {
		printf("tls-subject: %s\n", r->tls_cert.subject);
		printf("tls-issuer: %s\n", r->tls_cert.issuer);
		printf("tls-sha256: ");
		for (size_t i = 0; i < sizeof(r->tls_cert.sha256); i++)
			printf("%02x", r->tls_cert.sha256[i]);
		printf("\ntls-verify: %s\n", r->tls_cert.verify_flags == 0 ?
				"ok" : r->tls_cert.verify_text);
	}
	if (r->message[0])
		printf("message: %s\n", r->message);
}

static void
on_closed(void *arg)
{
	struct tool *t = arg;

	uv_close((uv_handle_t *)&t->timer, NULL);
}

static void
on_closed_unstarted(void *arg)
{
	struct tool *t = arg;

	printf("closed: %s\n", t != NULL && t->close_at_once ? "arg ok" :
								"wrong arg");
	if (t != NULL) {
		t->exit_code = t->close_at_once ? 0 : 1;
		uv_close((uv_handle_t *)&t->timer, NULL);
	}
}

static void
finish_io(struct tool *t, int code)
{
	if (t->s == NULL)
		return;
	t->exit_code = code;
	uv_timer_stop(&t->timer);
	stream_close(t->s, on_closed);
	t->s = NULL;
}

static void
on_watchdog(uv_timer_t *h)
{
	struct tool *t = h->data;

	printf("error: timed out reading (%zu of %zu bytes)\n", t->got_len,
		t->expect);
	finish_io(t, 1);
}

static void
on_unpause(uv_timer_t *h)
{
	struct tool *t = h->data;

	if (stream_resume(t->s) != 0)
		finish_io(t, 1);
	uv_timer_start(&t->timer, on_watchdog, 10000, 0);
}

static void
on_read(struct stream *s, void *arg, const uint8_t *data, size_t len)
{
	struct tool *t = arg;
	uint8_t *n;

	if ((n = realloc(t->got, t->got_len + len)) == NULL) {
		finish_io(t, 1);
		return;
	}
	t->got = n;
	memcpy(t->got + t->got_len, data, len);
	t->got_len += len;
	if (t->got_len >= t->expect) {
		if (t->check_bulk) {
			if (t->got_len == t->bulk_len &&
				memcmp(t->got, t->bulk, t->bulk_len) == 0) {
				printf("bulk: ok %zu\n", t->bulk_len);
				finish_io(t, 0);
			} else {
				printf("bulk: mismatch (%zu bytes)\n",
					t->got_len);
				finish_io(t, 1);
			}
			return;
		}
		printf("received: %.*s\n", (int)t->got_len, (char *)t->got);
		finish_io(t, 0);
		return;
	}
	if (t->pause_ms > 0 && !t->paused_once) {
		/* Backpressure: nothing may arrive while paused, and nothing
		 * may be lost across it. */
		t->paused_once = true;
		stream_pause(s);
		uv_timer_start(&t->timer, on_unpause, t->pause_ms, 0);
	}
}

static void
on_end(struct stream *s, void *arg, int status)
{
	struct tool *t = arg;

	(void)s;
	printf("error: stream ended (%s) after %zu of %zu bytes: %.*s\n",
		status == 0 ? "eof" : op_strerror(status), t->got_len,
		t->expect, (int)t->got_len, t->got != NULL ? (char *)t->got : "");
	finish_io(t, 1);
}

static void
on_connect(void *arg, int status, struct stream *s)
{
	struct tool *t = arg;
	struct sockaddr_storage ss;
	int r;

	t->nc = NULL;
	print_report(&t->rep);
	if (status != 0) {
		printf("error: %s\n", op_strerror(status));
		t->exit_code = 1;
		uv_close((uv_handle_t *)&t->timer, NULL);
		return;
	}
	printf("connected: %s\n", stream_kind(s));
	printf("tcp-ms: %u\n", t->rep.tcp_ms);
	if (stream_local(s, &ss) == 0)
		print_addr("local", &ss);
	if (t->close_at_once) {
		uv_timer_stop(&t->timer);
		stream_close(s, on_closed_unstarted);
		return;
	}
	t->s = s;
	uv_timer_stop(&t->timer);
	uv_timer_start(&t->timer, on_watchdog, 10000, 0);
	if ((r = stream_start(s, on_read, on_end, t)) != 0) {
		printf("error: start: %s\n", op_strerror(r));
		finish_io(t, 1);
		return;
	}
	if (t->bulk != NULL)
		r = stream_write(s, t->bulk, t->bulk_len);
	if (r != 0) {
		printf("error: write: %s\n", op_strerror(r));
		finish_io(t, 1);
		return;
	}
	if (t->expect == 0) {
		printf("received: \n");
		finish_io(t, 0);
	}
}

static void
on_cancel_timer(uv_timer_t *h)
{
	struct tool *t = h->data;

	if (t->nc != NULL) {
		printf("cancelling\n");
		net_connect_cancel(t->nc);
	}
}

static int
usage(void)
{
	fprintf(stderr, "usage: op-connect [--proxy URL] [--password-file F] "
			"[--ca FILE] [--timeout MS] [--bind IP:PORT] "
			"[--send TEXT] [--expect N] [--bulk N] [--pause-ms MS] "
			"[--cancel-after MS] HOST PORT\n");
	return 2;
}

static int
parse_bind(const char *s, struct sockaddr_storage *ss)
{
	char ip[64];
	const char *colon = strrchr(s, ':');
	size_t n;

	if (colon == NULL || (n = (size_t)(colon - s)) >= sizeof(ip))
		return -1;
	memcpy(ip, s, n);
	ip[n] = '\0';
	if (uv_ip4_addr(ip, atoi(colon + 1), (struct sockaddr_in *)ss) == 0)
		return 0;
	if (n > 2 && ip[0] == '[') {
		ip[n - 1] = '\0';
		memmove(ip, ip + 1, n - 1);
	}
	return uv_ip6_addr(ip, atoi(colon + 1), (struct sockaddr_in6 *)ss);
}

int
main(int argc, char **argv)
{
	struct tool t = { .exit_code = 1 };
	struct proxy_conf pc;
	struct net_connect_opts o = { .timeout_ms = 10000 };
	struct sockaddr_storage bind_ss;
	const char *send = NULL;
	const char *pwfile = NULL;
	const char *ca = NULL;
	char err[256];
	char why[SFILE_WHY_LEN];
	long expect = -1;
	unsigned cancel_after = 0;
	int i;
	int r;

	memset(&pc, 0, sizeof(pc));
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		const char *k = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			return usage();
		if (strcmp(k, "--proxy") == 0) {
			if (proxy_parse_url(v, &pc, err, sizeof(err)) != 0) {
				printf("error: proxy: %s\n", err);
				return 2;
			}
		} else if (strcmp(k, "--password-file") == 0) {
			pwfile = v;
		} else if (strcmp(k, "--ca") == 0) {
			ca = v;
		} else if (strcmp(k, "--timeout") == 0) {
			o.timeout_ms = (unsigned)atoi(v);
		} else if (strcmp(k, "--bind") == 0) {
			if (parse_bind(v, &bind_ss) != 0)
				return usage();
			o.bind_local = (struct sockaddr *)&bind_ss;
		} else if (strcmp(k, "--send") == 0) {
			send = v;
		} else if (strcmp(k, "--expect") == 0) {
			expect = atol(v);
		} else if (strcmp(k, "--bulk") == 0) {
			t.bulk_len = (size_t)atol(v);
		} else if (strcmp(k, "--pause-ms") == 0) {
			t.pause_ms = (unsigned)atoi(v);
		} else if (strcmp(k, "--close-at-once") == 0) {
			t.close_at_once = atoi(v) != 0;
		} else if (strcmp(k, "--cancel-after") == 0) {
			cancel_after = (unsigned)atoi(v);
		} else {
			return usage();
		}
	}
	if (argc - i != 2)
		return usage();
	if (pwfile != NULL &&
		(r = proxy_load_password(&pc, pwfile, why)) != 0) {
		printf("error: password file: %s\n", why);
		return 2;
	}
	if (ca != NULL)
		snprintf(pc.ca_file, sizeof(pc.ca_file), "%s", ca);
	if (pc.scheme != PROXY_NONE)
		o.proxy = &pc;
	o.report = &t.rep;
	if (t.bulk_len > 0) {
		if ((t.bulk = malloc(t.bulk_len)) == NULL)
			return 1;
		for (size_t k = 0; k < t.bulk_len; k++)
			t.bulk[k] = (uint8_t)('a' + (k * 7 + k / 251) % 26);
		t.expect = t.bulk_len;
		t.check_bulk = true;
	} else if (send != NULL) {
		t.bulk = (uint8_t *)strdup(send);
		t.bulk_len = strlen(send);
		t.expect = t.bulk_len;
		if (expect >= 0) {
			/* A plain text exchange, printed as received. */
			t.expect = (size_t)expect;
		}
	} else {
		t.expect = expect > 0 ? (size_t)expect : 0;
	}
	t.loop = uv_default_loop();
	uv_timer_init(t.loop, &t.timer);
	t.timer.data = &t;
	r = net_connect_start(t.loop, argv[i], (uint16_t)atoi(argv[i + 1]), &o,
		on_connect, &t, &t.nc);
	explicit_bzero(pc.password, sizeof(pc.password));
	if (r != 0) {
		printf("error: start: %s\n", op_strerror(r));
		return 1;
	}
	if (cancel_after > 0)
		uv_timer_start(&t.timer, on_cancel_timer, cancel_after, 0);
	uv_run(t.loop, UV_RUN_DEFAULT);
	r = uv_loop_close(t.loop);
	if (r != 0) {
		printf("error: handles left open at exit\n");
		t.exit_code = 1;
	}
	fflush(stdout);
	free(t.got);
	free(t.bulk);
	return t.exit_code;
}
