/* SPDX-License-Identifier: MIT */
/*
 * Drives agent/input for the integration tests: opens a backend, runs
 * one command per stdin line and answers one JSON line each:
 *
 *   move X Y | click X Y | wheel DY | seq TEXT | held | quit
 *   key XKEYCODE [CONTROLKEY...]   (Map mode; modifiers held around it)
 *   control CONTROLKEY             (a named key, e.g. 27 = Return)
 *   down XKEYCODE | up XKEYCODE    (Map mode, as a client holding it)
 *   {"event":"ok"}  {"event":"held","n":N}
 *   {"event":"error","status":..,"message":".."}
 *
 *   op-input-probe BACKEND DISPLAY [XAUTHORITY]
 *   (XAUTHORITY: the backend's second target string; for "portal" the
 *   restore-token file)
 *   {"event":"ready","backend":".."} or {"event":"open_failed",..} (exit 3)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "core/err.h"
#include "input/input.h"

static struct input *in;

static int
mouse(int32_t mask, int32_t x, int32_t y)
{
	struct input_mouse_event e = { .mask = mask, .x = x, .y = y };

	return input_mouse(in, &e);
}

static int
command(const char *l)
{
	struct input_key_event k = { .mode = INPUT_KMODE_MAP, .down = true,
		.press = true };
	int x, y, r;

	if (sscanf(l, "move %d %d", &x, &y) == 2)
		return mouse(0, x, y);
	if (sscanf(l, "click %d %d", &x, &y) == 2) {
		if ((r = mouse(0, x, y)) != 0 ||
			(r = mouse(1 | 1 << 3, x, y)) != 0)
			return r;
		return mouse(2 | 1 << 3, x, y);
	}
	if (sscanf(l, "wheel %d", &y) == 1)
		return mouse(3, 0, y);
	if (sscanf(l, "down %d", &x) == 1 || sscanf(l, "up %d", &x) == 1) {
		k.kind = INPUT_KEY_CHR;
		k.chr = (uint32_t)x;
		k.press = false;
		k.down = l[0] == 'd';
		return input_key(in, &k);
	}
	if (sscanf(l, "control %d", &x) == 1) {
		k.kind = INPUT_KEY_CONTROL;
		k.control_key = x;
		return input_key(in, &k);
	}
	if (sscanf(l, "key %d", &x) == 1) {
		int32_t mods[8];
		size_t n = 0;
		const char *p = strchr(l + 4, ' ');

		while (p != NULL && n < 8) {
			mods[n++] = (int32_t)strtol(p + 1, NULL, 10);
			p = strchr(p + 1, ' ');
		}
		k.kind = INPUT_KEY_CHR;
		k.chr = (uint32_t)x;
		k.modifiers = mods;
		k.n_modifiers = n;
		return input_key(in, &k);
	}
	if (strncmp(l, "seq ", 4) == 0) {
		k.kind = INPUT_KEY_SEQ;
		k.seq = l + 4;
		k.seq_len = strlen(l + 4);
		return input_key(in, &k);
	}
	return OP_ERR_RANGE;
}

int
main(int argc, char **argv)
{
	char line[2048], err[256];
	uv_loop_t loop;
	int r;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: %s BACKEND DISPLAY [XAUTHORITY]\n",
			argv[0]);
		return 2;
	}
	uv_loop_init(&loop);
	if ((r = input_open(&loop, argv[1], argv[2],
		     argc == 4 ? argv[3] : NULL, &in, err, sizeof(err))) != 0) {
		printf("{\"event\":\"open_failed\",\"status\":%d,"
		       "\"message\":\"%s\"}\n",
			r, err);
		uv_loop_close(&loop);
		return 3;
	}
	printf("{\"event\":\"ready\",\"backend\":\"%s\"}\n",
		input_backend_name(in));
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "quit") == 0)
			break;
		if (strcmp(line, "held") == 0) {
			printf("{\"event\":\"held\",\"n\":%u}\n", input_held(in));
		} else if ((r = command(line)) != 0) {
			printf("{\"event\":\"error\",\"status\":%d,"
			       "\"message\":\"%s\"}\n",
				r, op_strerror(r));
		} else {
			printf("{\"event\":\"ok\"}\n");
		}
		fflush(stdout);
	}
	input_close(in);
	uv_loop_close(&loop);
	return 0;
}
