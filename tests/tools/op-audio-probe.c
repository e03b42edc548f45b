/* SPDX-License-Identifier: MIT */
/*
 * Drives agent/audio for the integration tests and the bench: opens the
 * sound server of a runtime dir, and reports on stdout one JSON line per
 * event. Commands on stdin, one per line: start, stop, stats, close
 * (audio_close, then keep the loop running), quit.
 *
 *   op-audio-probe RUNTIME_DIR [auto|pipewire|pulse] [--as-user UID:GID]
 *   {"event":"ready","backend":"pipewire","rate":48000,"channels":2}
 *   {"event":"packet","t":<CLOCK_MONOTONIC s>,"len":N,"hex":"..."}
 *   {"event":"error","status":-20014,"message":"..."}
 *   {"event":"stats","frames":..,"silent":..,"packets":..,"bytes":..,
 *    "dropped":..}
 *   {"event":"open_failed","status":..,"message":".."} (exit 3)
 * --quiet-packets: only counts, no hex (the bench).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "audio/audio.h"
#include "core/err.h"

static uv_loop_t loop;
static uv_pipe_t in;
static struct audio *au;
static char line[256];
static size_t line_len;
static int quiet;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_frame(void *arg, const uint8_t *data, size_t len)
{
	(void)arg;
	if (quiet) {
		printf("{\"event\":\"packet\",\"t\":%.6f,\"len\":%zu}\n",
			now_s(), len);
	} else {
		printf("{\"event\":\"packet\",\"t\":%.6f,\"len\":%zu,"
		       "\"hex\":\"", now_s(), len);
		for (size_t i = 0; i < len; i++)
			printf("%02x", data[i]);
		printf("\"}\n");
	}
	fflush(stdout);
}

static void
on_error(void *arg, int status)
{
	(void)arg;
	printf("{\"event\":\"error\",\"status\":%d,\"message\":\"%s\"}\n",
		status, op_strerror(status));
	fflush(stdout);
}

static void
print_stats(void)
{
	struct audio_stats s;

	if (au == NULL)
		return;
	audio_get_stats(au, &s);
	printf("{\"event\":\"stats\",\"frames\":%llu,\"silent\":%llu,"
	       "\"packets\":%llu,\"bytes\":%llu,\"dropped\":%llu}\n",
		(unsigned long long)s.frames, (unsigned long long)s.silent,
		(unsigned long long)s.packets, (unsigned long long)s.bytes,
		(unsigned long long)s.dropped);
}

static void
on_in_closed(uv_handle_t *h)
{
	(void)h;
}

static void
command(const char *c)
{
	int r = 0;

	if (strcmp(c, "start") == 0) {
		r = au ? audio_start(au) : OP_ERR_STATE;
	} else if (strcmp(c, "stop") == 0) {
		if (au)
			audio_stop(au);
	} else if (strcmp(c, "stats") == 0) {
		print_stats();
	} else if (strcmp(c, "close") == 0) {
		audio_close(au);
		au = NULL;
	} else if (strcmp(c, "quit") == 0) {
		audio_close(au);
		au = NULL;
		uv_read_stop((uv_stream_t *)&in);
		if (!uv_is_closing((uv_handle_t *)&in))
			uv_close((uv_handle_t *)&in, on_in_closed);
	} else {
		r = OP_ERR_PROTO;
	}
	printf("{\"event\":\"done\",\"command\":\"%s\",\"status\":%d}\n", c, r);
	fflush(stdout);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	static char buf[256];

	(void)h;
	(void)hint;
	*b = uv_buf_init(buf, sizeof(buf));
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	(void)s;
	if (n < 0) {
		command("quit");
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		char ch = b->base[i];

		if (ch == '\n') {
			line[line_len] = '\0';
			line_len = 0;
			command(line);
			if (au == NULL && uv_is_closing((uv_handle_t *)&in))
				return;
		} else if (line_len < sizeof(line) - 1) {
			line[line_len++] = ch;
		}
	}
}

int
main(int argc, char **argv)
{
	struct audio_target t = { .runtime_dir = NULL, .pw_fd = -1 };
	struct audio_format f;
	int r;

	if (argc < 2) {
		fprintf(stderr, "usage: %s RUNTIME_DIR [auto|pipewire|pulse] "
				"[--as-user UID:GID] [--quiet-packets]\n",
			argv[0]);
		return 64;
	}
	t.runtime_dir = argv[1];
	for (int i = 2; i < argc; i++) {
		unsigned uid;
		unsigned gid;

		if (strcmp(argv[i], "pipewire") == 0) {
			t.backend = AUDIO_BACKEND_PIPEWIRE;
		} else if (strcmp(argv[i], "pulse") == 0) {
			t.backend = AUDIO_BACKEND_PULSE;
		} else if (strcmp(argv[i], "--quiet-packets") == 0) {
			quiet = 1;
		} else if (strcmp(argv[i], "--as-user") == 0 && i + 1 < argc &&
			sscanf(argv[i + 1], "%u:%u", &uid, &gid) == 2) {
			i++;
			r = audio_connect_user(t.runtime_dir, uid, gid,
				&t.pw_fd);
			if (r != 0) {
				printf("{\"event\":\"open_failed\",\"status\":"
				       "%d,\"message\":\"connect as user: "
				       "%s\"}\n", r, op_strerror(r));
				return 3;
			}
		}
	}
	uv_loop_init(&loop);
	r = audio_open(&loop, &t, on_frame, on_error, NULL, &au);
	if (r != 0) {
		printf("{\"event\":\"open_failed\",\"status\":%d,"
		       "\"message\":\"%s\"}\n", r, op_strerror(r));
		uv_loop_close(&loop);
		return 3;
	}
	audio_format(au, &f);
	printf("{\"event\":\"ready\",\"backend\":\"%s\",\"rate\":%u,"
	       "\"channels\":%u,\"pid\":%d}\n",
		audio_backend_name(au), f.sample_rate, f.channels, getpid());
	fflush(stdout);
	uv_pipe_init(&loop, &in, 0);
	uv_pipe_open(&in, 0);
	uv_read_start((uv_stream_t *)&in, on_alloc, on_read);
	uv_run(&loop, UV_RUN_DEFAULT);
	r = uv_loop_close(&loop);
	printf("{\"event\":\"exit\",\"loop_close\":%d}\n", r);
	return r == 0 ? 0 : 1;
}
