/* SPDX-License-Identifier: MIT */
/*
 * The clipboard module against a lying X server (issue 11 item 10): the
 * fake server in tests/tools/xfake.py answers the TARGETS GetProperty
 * with a header claiming 64 atoms and a reply carrying none, or sends a
 * connection setup whose screen is missing. Without the length checks
 * the reader copies 256 bytes from a 32-byte reply (ASan:
 * heap-buffer-overflow); with them the read fails with OP_ERR_PROTO and
 * the open with "malformed connection setup". An honest fake server
 * shows the harness itself works.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "clipboard/clipboard.h"
#include "core/err.h"
#include "th.h"

static uv_loop_t loop;

struct fake {
	FILE *p;
	char display[16];
	char path[64];
};

/* Starts xfake.py for mode on a free display number. */
static int
fake_start(struct fake *f, const char *mode)
{
	const char *data = getenv("OP_TEST_DATA");
	char cmd[1024];
	char line[32] = "";
	int n;

	memset(f, 0, sizeof(*f));
	if (data == NULL)
		data = "tests/unit/data";
	(void)mkdir("/tmp/.X11-unix", 01777);
	for (n = 47000 + getpid() % 1000; n < 49000; n++) {
		snprintf(f->path, sizeof(f->path), "/tmp/.X11-unix/X%d", n);
		if (access(f->path, F_OK) != 0)
			break;
	}
	snprintf(f->display, sizeof(f->display), ":%d", n);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/../../tools/xfake.py "
		"%s %s", data, f->path, mode);
	if ((f->p = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), f->p) == NULL ||
		strncmp(line, "ready", 5) != 0) {
		pclose(f->p);
		f->p = NULL;
		return -1;
	}
	return 0;
}

static void
fake_stop(struct fake *f)
{
	if (f->p != NULL)
		pclose(f->p);
	f->p = NULL;
}

struct read_result {
	bool done;
	int status;
};

static void
on_read(void *arg, int status, const struct clipboard_item *items, int n)
{
	struct read_result *r = arg;

	(void)items;
	(void)n;
	r->done = true;
	r->status = status;
}

static void
on_guard(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Opens the clipboard on the fake display and reads it. */
static int
read_from(const char *mode, struct read_result *res)
{
	struct clipboard *cb = NULL;
	struct fake f;
	uv_timer_t guard;
	char err[256] = "";
	int r;

	memset(res, 0, sizeof(*res));
	if (fake_start(&f, mode) != 0) {
		fprintf(stderr, "cannot start xfake.py\n");
		return -1;
	}
	r = clipboard_open(&loop, "x11", f.display, NULL, 1u << 20, NULL, NULL,
		&cb, err, sizeof(err));
	if (r != 0) {
		fprintf(stderr, "clipboard_open(%s): %s\n", mode, err);
		uv_run(&loop, UV_RUN_DEFAULT);
		fake_stop(&f);
		return r;
	}
	uv_timer_init(&loop, &guard);
	uv_timer_start(&guard, on_guard, 5000, 0);
	if (clipboard_read(cb, on_read, res) == 0)
		while (!res->done && uv_run(&loop, UV_RUN_ONCE) != 0 &&
			uv_is_active((uv_handle_t *)&guard))
			;
	uv_close((uv_handle_t *)&guard, NULL);
	clipboard_close(cb);
	uv_run(&loop, UV_RUN_DEFAULT);
	fake_stop(&f);
	return 0;
}

static void
test_honest(void)
{
	struct read_result res;

	ASSERT_INT_EQ(read_from("honest", &res), 0);
	ASSERT(res.done);
	/* Two targets, neither text in format 8: nothing usable. */
	ASSERT_INT_EQ(res.status, OP_ERR_NOT_FOUND);
}

static void
test_lying_property(void)
{
	struct read_result res;

	ASSERT_INT_EQ(read_from("property", &res), 0);
	ASSERT(res.done);
	ASSERT_INT_EQ(res.status, OP_ERR_PROTO);
}

static void
test_lying_setup(void)
{
	struct read_result res;

	ASSERT_INT_EQ(read_from("setup", &res), OP_ERR_PROTO);
	ASSERT(!res.done);
}

int
main(void)
{
	if (access("/usr/bin/python3", X_OK) != 0) {
		fprintf(stderr, "no python3: skipped\n");
		return 0;
	}
	uv_loop_init(&loop);
	RUN(test_honest);
	RUN(test_lying_property);
	RUN(test_lying_setup);
	uv_loop_close(&loop);
	return th_done();
}
