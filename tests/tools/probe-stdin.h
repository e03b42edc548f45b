/* SPDX-License-Identifier: MIT */
/*
 * What the probes (op-capture-probe, op-clip-probe) share: the first JSON
 * line ("ready" or "open_failed") and stdin read on the loop, one command
 * a line (a longer line is cut at the buffer's size). Header only: each
 * probe is one file.
 */
#ifndef OP_TESTS_PROBE_STDIN_H
#define OP_TESTS_PROBE_STDIN_H

#include <stdbool.h>
#include <stdio.h>

#include <uv.h>

struct probe_stdin {
	uv_pipe_t pipe;
	char *line; /* cap bytes */
	size_t cap, len;
	char *buf;  /* bufcap bytes: one read */
	size_t bufcap;
	void (*command)(char *line);
	/* stdin ended or failed; open: the pipe was not closing yet (it is
	 * now). */
	void (*eof)(bool open);
};

static inline void
probe_stdin_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct probe_stdin *p = h->data;

	(void)hint;
	*buf = uv_buf_init(p->buf, (unsigned)p->bufcap);
}

static inline void
probe_stdin_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct probe_stdin *p = s->data;

	if (n < 0) {
		bool open = !uv_is_closing((uv_handle_t *)&p->pipe);

		if (open)
			uv_close((uv_handle_t *)&p->pipe, NULL);
		p->eof(open);
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		char ch = buf->base[i];

		if (ch == '\n') {
			p->line[p->len] = '\0';
			p->len = 0;
			p->command(p->line);
			if (uv_is_closing((uv_handle_t *)&p->pipe))
				return;
		} else if (p->len < p->cap - 1) {
			p->line[p->len++] = ch;
		}
	}
}

/* After the backend's open returned r (err: why): prints "open_failed"
 * and returns 3, or prints "ready" with the backend's name, runs the loop
 * on p's commands until all is closed and returns 0. */
static inline int
probe_stdin_run(struct probe_stdin *p, uv_loop_t *loop, int r,
	const char *err, const char *backend)
{
	if (r != 0) {
		printf("{\"event\":\"open_failed\",\"status\":%d,"
		       "\"message\":\"%s\"}\n",
			r, err);
		return 3;
	}
	printf("{\"event\":\"ready\",\"backend\":\"%s\"}\n", backend);
	fflush(stdout);
	uv_pipe_init(loop, &p->pipe, 0);
	p->pipe.data = p;
	uv_pipe_open(&p->pipe, 0);
	uv_read_start((uv_stream_t *)&p->pipe, probe_stdin_alloc,
		probe_stdin_read);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);
	return 0;
}

#endif
