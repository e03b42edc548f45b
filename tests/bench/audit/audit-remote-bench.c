/* SPDX-License-Identifier: MIT */
/*
 * What moving the audit writer into the monitor costs the network
 * process (issue 11). The same records through the same code, twice: on
 * a trail of our own (audit_open, the old way: a call only queues), and
 * on a remote trail whose calls are requests to a monitor on another
 * thread, over a SOCK_SEQPACKET pair, its trail on its own loop (the new
 * way: a call is a round trip, a commit comes back as an event). Prints
 * one JSON line: microseconds per call without a callback (the loop
 * blocks that long), and the median and 99th percentile from a call with
 * a commit callback to that callback (fsync included). The monitor's
 * record rate limit is lifted by a clock that runs fast, so only the
 * transport is measured.
 *
 *   bench-audit-remote DIR [calls] [commits]
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "audit/audit.h"
#include "monitor/monitor-audit.h"
#include "monitor/monitor.h"
#include "store/state.h"

static uint64_t fast_ms;

/* 10 ms a call: the bucket always has a token. */
static uint64_t
fast_clock(void)
{
	return fast_ms += 10;
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

struct monitor_thread {
	uv_loop_t loop;
	uv_poll_t poll;
	struct monitor *m;
	struct audit *trail;
	int fd, ev_fd;
};

static void
emit(void *arg, const struct mon_buf *ev)
{
	struct monitor_thread *t = arg;

	(void)send(t->ev_fd, ev->b, ev->len, MSG_NOSIGNAL);
}

static void
serve_cb(uv_poll_t *h, int status, int events)
{
	struct monitor_thread *t = h->data;
	uint8_t req[MON_MSG_MAX];
	struct monitor_reply reply;
	char why[128];
	ssize_t n = status < 0 ? -1 : recv(t->fd, req, sizeof(req), 0);

	(void)events;
	if (n > 0 && monitor_serve(t->m, req, (size_t)n, &reply, why,
			     sizeof(why)) == 0 &&
		send(t->fd, reply.b, reply.len, MSG_NOSIGNAL) > 0)
		return;
	uv_close((uv_handle_t *)h, NULL);
	audit_close(t->trail, NULL, NULL);
}

static void *
monitor_main(void *arg)
{
	struct monitor_thread *t = arg;

	uv_run(&t->loop, UV_RUN_DEFAULT);
	return NULL;
}

/* The writer's side of each run: call-to-callback times. */
struct run {
	uv_loop_t *loop;
	double *lat;
	size_t n, done;
	double started;
};

static void
on_commit(void *arg, int status, int64_t seq)
{
	struct run *r = arg;

	(void)seq;
	if (status != 0) {
		fprintf(stderr, "commit failed: %d\n", status);
		exit(1);
	}
	r->lat[r->done++] = now_us() - r->started;
}

static void
on_event(uv_poll_t *h, int status, int events)
{
	struct monclient_audit *c = h->data;
	uint8_t buf[MON_MSG_MAX];
	uv_os_fd_t fd = -1;
	ssize_t n;

	(void)events;
	(void)uv_fileno((uv_handle_t *)h, &fd);
	n = status < 0 ? -1 : recv(fd, buf, sizeof(buf), 0);
	if (n <= 0 || monclient_audit_on_event(c, buf, (size_t)n) != 1) {
		fprintf(stderr, "bad event\n");
		exit(1);
	}
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Per-call microseconds of n calls without a callback, then the
 * call-to-commit latencies of k calls that wait for theirs (one at a
 * time, as an authorization does); fills *median, *p99. */
static double
measure(struct audit *a, uv_loop_t *loop, size_t n, size_t k,
	double *median, double *p99)
{
	struct run r = { .loop = loop, .lat = calloc(k, sizeof(double)) };
	double t0 = now_us(), per_call;

	for (size_t i = 0; i < n; i++)
		if (audit_event(a, 0, "session.blocked",
			    "{\"dropped_messages\":1,\"dropped_input\":0}", NULL,
			    NULL) != 0) {
			fprintf(stderr, "audit_event failed\n");
			exit(1);
		}
	per_call = (now_us() - t0) / (double)n;
	for (size_t i = 0; i < k; i++) {
		r.started = now_us();
		if (audit_event(a, 0, "session.blocked", "{}", on_commit,
			    &r) != 0)
			exit(1);
		while (r.done == i)
			uv_run(loop, UV_RUN_ONCE);
	}
	qsort(r.lat, k, sizeof(double), cmp);
	*median = r.lat[k / 2];
	*p99 = r.lat[k * 99 / 100];
	free(r.lat);
	return per_call;
}

static void
open_trail(uv_loop_t *loop, const char *dir, struct audit **out)
{
	struct audit_opts o = { .state_dir = dir, .host_id = "1",
		.host_uuid = "u", .mirror = AUDIT_MIRROR_NONE };
	char why[512];

	if (audit_open(loop, &o, out, why, sizeof(why)) != 0) {
		fprintf(stderr, "audit_open %s: %s\n", dir, why);
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000;
	size_t k = argc > 3 ? strtoul(argv[3], NULL, 10) : 200;
	char local_dir[4096], mon_dir[4096], why[SFILE_WHY_LEN];
	struct monitor_thread t = { 0 };
	struct monitor_opts mo = { .otp_charset = OTP_SAFE32, .otp_len = 8,
		.event = emit, .arg = &t, .now_ms = fast_clock };
	struct monclient_audit_hooks h = { 0 };
	struct monclient_audit *c;
	struct state *st = NULL;
	struct audit *local, *remote;
	struct monitor_reply reply;
	uv_loop_t loop;
	uv_poll_t ev;
	pthread_t th;
	double lc, lm, l99, rc, rm, r99;
	int sv[2], evp[2];

	if (argc < 2 || k == 0 || n == 0) {
		fprintf(stderr, "usage: %s DIR [calls] [commits]\n", argv[0]);
		return 2;
	}
	snprintf(local_dir, sizeof(local_dir), "%s/local", argv[1]);
	snprintf(mon_dir, sizeof(mon_dir), "%s/monitor", argv[1]);
	uv_loop_init(&loop);
	open_trail(&loop, local_dir, &local);
	lc = measure(local, &loop, n, k, &lm, &l99);
	audit_close(local, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);

	if (state_open(mon_dir, "auto", &st, why) != 0 ||
		monitor_new(st, &mo, &t.m) != 0 ||
		socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0 ||
		socketpair(AF_UNIX, SOCK_SEQPACKET, 0, evp) != 0)
		return 1;
	uv_loop_init(&t.loop);
	open_trail(&t.loop, mon_dir, &t.trail);
	monitor_set_audit(t.m, t.trail);
	monitor_child_started(t.m);
	(void)monitor_serve(t.m, (const uint8_t[]){ MON_HELLO }, 1, &reply,
		why, sizeof(why));
	t.fd = sv[0];
	t.ev_fd = evp[0];
	uv_poll_init(&t.loop, &t.poll, t.fd);
	t.poll.data = &t;
	uv_poll_start(&t.poll, UV_READABLE, serve_cb);
	pthread_create(&th, NULL, monitor_main, &t);

	monclient_audit_new(sv[1], &h, &c);
	audit_open_remote(&loop, &monclient_audit_ops, c, &remote);
	uv_poll_init(&loop, &ev, evp[1]);
	ev.data = c;
	uv_poll_start(&ev, UV_READABLE, on_event);
	rc = measure(remote, &loop, n, k, &rm, &r99);
	audit_close(remote, NULL, NULL);
	uv_close((uv_handle_t *)&ev, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	close(sv[1]);
	pthread_join(th, NULL);
	uv_loop_close(&t.loop);
	monitor_free(t.m);
	monclient_audit_free(c);
	uv_loop_close(&loop);
	printf("{\"calls\":%zu,\"commits\":%zu,"
	       "\"local_us_per_call\":%.2f,\"remote_us_per_call\":%.2f,"
	       "\"local_commit_us_median\":%.0f,\"local_commit_us_p99\":%.0f,"
	       "\"remote_commit_us_median\":%.0f,"
	       "\"remote_commit_us_p99\":%.0f}\n",
		n, k, lc, rc, lm, l99, rm, r99);
	return 0;
}
