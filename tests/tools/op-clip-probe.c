/* SPDX-License-Identifier: MIT */
/*
 * Drives a clipboard backend ("wlr" unless BACKEND is given: clipboard-wlr.c,
 * clipboard-mutter.c) for the integration tests. Commands on stdin, one per line; one JSON line per answer:
 *
 *   read              {"event":"read","status":0,"items":[{"format":
 *                      "text"|"png","hex":".."}]}
 *   set-text HEX      {"event":"set","status":0}
 *   set-png PATH      {"event":"set","status":0}
 *   quit
 * Unprompted: {"event":"changed"}.
 *
 *   op-clip-probe DISPLAY MAX_BYTES [BACKEND]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "clipboard/clipboard.h"
#include "core/err.h"
#include "probe-stdin.h"

static uv_loop_t loop;
static struct clipboard *cb;
static char line[1 << 20];
static char inbuf[65536];
static void command(char *l);
static void on_eof(bool open);
static struct probe_stdin in = {
	.line = line, .cap = sizeof(line), .buf = inbuf,
	.bufcap = sizeof(inbuf), .command = command, .eof = on_eof};

static void
on_changed(void *arg, struct clipboard *c)
{
	(void)arg;
	(void)c;
	printf("{\"event\":\"changed\"}\n");
	fflush(stdout);
}

static void
on_read_done(void *arg, int status, const struct clipboard_item *items, int n)
{
	(void)arg;
	printf("{\"event\":\"read\",\"status\":%d,\"items\":[", status);
	for (int i = 0; i < n; i++) {
		printf("%s{\"format\":\"%s\",\"hex\":\"", i ? "," : "",
			items[i].format == CLIPBOARD_PNG ? "png" : "text");
		for (size_t k = 0; k < items[i].len; k++)
			printf("%02x", items[i].data[k]);
		printf("\"}");
	}
	printf("]}\n");
	fflush(stdout);
}

static int
unhex(const char *s, uint8_t **out, size_t *len)
{
	size_t n = strlen(s) / 2;
	uint8_t *b = malloc(n + 1);

	if (b == NULL)
		return OP_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			free(b);
			return OP_ERR_RANGE;
		}
		b[i] = (uint8_t)v;
	}
	*out = b;
	*len = n;
	return 0;
}

static void
command(char *l)
{
	struct clipboard_item it = { 0 };
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	if (strcmp(l, "quit") == 0) {
		uv_close((uv_handle_t *)&in.pipe, NULL);
		clipboard_close(cb);
		cb = NULL;
		return;
	}
	if (strcmp(l, "read") == 0) {
		if ((r = clipboard_read(cb, on_read_done, NULL)) != 0)
			on_read_done(NULL, r, NULL, 0);
		return;
	}
	if (strncmp(l, "set-text ", 9) == 0) {
		r = unhex(l + 9, &data, &len);
		it.format = CLIPBOARD_TEXT;
	} else if (strncmp(l, "set-png ", 8) == 0) {
		FILE *f = fopen(l + 8, "rb");

		r = OP_ERR_NOT_FOUND;
		if (f != NULL && (data = malloc(64u << 20)) != NULL) {
			len = fread(data, 1, 64u << 20, f);
			r = 0;
		}
		if (f != NULL)
			fclose(f);
		it.format = CLIPBOARD_PNG;
	} else {
		r = OP_ERR_RANGE;
	}
	if (r == 0) {
		it.data = data;
		it.len = len;
		r = clipboard_set(cb, &it, 1);
	}
	free(data);
	printf("{\"event\":\"set\",\"status\":%d}\n", r);
	fflush(stdout);
}

static void
on_eof(bool open)
{
	if (open) {
		clipboard_close(cb);
		cb = NULL;
	}
}

int
main(int argc, char **argv)
{
	char err[256];
	int r;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: %s DISPLAY MAX_BYTES [BACKEND]\n",
			argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN); /* as the agent */
	uv_loop_init(&loop);
	r = clipboard_open(&loop, argc == 4 ? argv[3] : "wlr", argv[1], NULL,
		strtoul(argv[2], NULL, 10), on_changed, NULL, &cb, err,
		sizeof(err));
	return probe_stdin_run(&in, &loop, r, err,
		r == 0 ? clipboard_backend_name(cb) : NULL);
}
