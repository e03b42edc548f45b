/* SPDX-License-Identifier: MIT */
/*
 * The clipboard against a real Xvfb started here (th-xvfb.h, with a
 * cookie), with xclip as the other X client, run through uv_spawn while
 * our loop answers: text (non-ASCII UTF-8, Latin-1 STRING) and PNG both
 * ways, INCR transfers both ways (1.5 MiB), the size cap, no owner, an
 * owner that never answers (timeout), invalid UTF-8, our own set not
 * reported, a read cancelled by close. (The zstd helpers, which need no
 * X server, are in test-clipboard-zstd.c.) Prints (does not assert) the
 * time of the large transfers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>
#include <xcb/xcb.h>

#include "clipboard/clipboard.h"
#include "core/err.h"
#include "th-xvfb.h"
#include "th.h"
#include "th-text.h"

static const uint8_t cookie[16] = { 0x43, 0x6c, 0x69, 0x70, 0xb0, 0x0a,
	0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22 };

/* A 1x1 PNG (with NUL bytes: the transfer must be binary-safe). */
static const uint8_t png1[] = { 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a,
	0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77,
	0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x08, 0xd7,
	0x63, 0xf8, 0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd,
	0x8d, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42,
	0x60, 0x82 };

static struct th_xvfb xv = { .pid = -1 };
static char tmpdir[64];
static char env_display[48], env_auth[200], env_path[1024];
static uv_loop_t loop;
static struct clipboard *clip;
static int changed_count;

#define BIG (1536 * 1024) /* above xclip's INCR threshold (~1 MiB) */

/* ---- loop helpers -------------------------------------------------------*/

static void
on_timer(uv_timer_t *t)
{
	*(int *)t->data = 1;
}

/* Runs the loop until *flag is set (NULL: never), or ms passed. */
static void
run_until(const int *flag, unsigned ms)
{
	uv_timer_t t;
	int expired = 0;

	uv_timer_init(&loop, &t);
	t.data = &expired;
	uv_timer_start(&t, on_timer, ms, 0);
	while (!expired && (flag == NULL || !*flag))
		uv_run(&loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
}

static void
on_changed(void *arg, struct clipboard *cb)
{
	(void)arg;
	(void)cb;
	changed_count++;
}

/* Waits for changed() to pass `count`. */
static int
wait_changed(int count)
{
	int got = 0;
	uv_timer_t t;
	int expired = 0;

	uv_timer_init(&loop, &t);
	t.data = &expired;
	uv_timer_start(&t, on_timer, 5000, 0);
	while (!expired && changed_count <= count)
		uv_run(&loop, UV_RUN_ONCE);
	got = changed_count > count;
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	return got;
}

struct rres {
	int done;
	int status;
	int n;
	uint8_t *data[CLIPBOARD_MAX_ITEMS];
	size_t len[CLIPBOARD_MAX_ITEMS];
	int has[CLIPBOARD_MAX_ITEMS];
};

static void
on_read(void *arg, int status, const struct clipboard_item *items, int n)
{
	struct rres *rr = arg;
	int i;

	rr->done++;
	rr->status = status;
	rr->n = n;
	for (i = 0; i < n; i++) {
		int f = (int)items[i].format;

		rr->data[f] = malloc(items[i].len + 1);
		memcpy(rr->data[f], items[i].data, items[i].len);
		rr->data[f][items[i].len] = 0;
		rr->len[f] = items[i].len;
		rr->has[f] = 1;
	}
}

static void
rres_free(struct rres *rr)
{
	free(rr->data[0]);
	free(rr->data[1]);
	memset(rr, 0, sizeof(*rr));
}

/* Reads the clipboard; returns the status (1 when done never ran). */
static int
read_clip(struct rres *rr)
{
	int r;

	memset(rr, 0, sizeof(*rr));
	if ((r = clipboard_read(clip, on_read, rr)) != 0)
		return r;
	run_until(&rr->done, 6000);
	return rr->done == 1 ? rr->status : 1;
}

/* ---- xclip as a child ---------------------------------------------------*/

struct proc {
	uv_process_t p;
	uv_pipe_t in;
	uv_pipe_t out;
	uv_write_t wr;
	int has_in;
	int has_out;
	int exited;
	int64_t status;
	int out_eof;
	int in_done;
	int open;
	uint8_t *buf;
	size_t len;
	size_t cap;
};

static void
on_proc_closed(uv_handle_t *h)
{
	struct proc *pr = h->data;

	pr->open--;
}

static void
on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct proc *pr = p->data;

	pr->exited = 1;
	pr->status = sig != 0 ? -sig : status;
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct proc *pr = h->data;

	(void)hint;
	if (pr->cap - pr->len < 65536) {
		pr->cap = pr->cap * 2 + 65536;
		pr->buf = realloc(pr->buf, pr->cap);
	}
	b->base = (char *)pr->buf + pr->len;
	b->len = pr->cap - pr->len;
}

static void
on_out(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct proc *pr = s->data;

	(void)b;
	if (n > 0)
		pr->len += (size_t)n;
	else if (n < 0)
		pr->out_eof = 1;
}

static void
on_written(uv_write_t *w, int status)
{
	struct proc *pr = w->data;

	(void)status;
	pr->in_done = 1;
	uv_close((uv_handle_t *)&pr->in, on_proc_closed); /* EOF */
}

/* Runs xclip with args, feeding in (when not NULL) and collecting stdout
 * (for -o), while the loop serves our side. Returns its exit status. */
static int
xclip(struct proc *pr, const char *const *args, const uint8_t *in,
	size_t in_len, int capture)
{
	char *argv[12];
	char *env[] = { env_display, env_auth, env_path, NULL };
	uv_process_options_t o;
	uv_stdio_container_t st[3];
	uv_buf_t b;
	int i = 0;
	int done = 0;
	uv_timer_t t;
	int expired = 0;

	memset(pr, 0, sizeof(*pr));
	argv[i++] = (char *)"xclip";
	while (*args != NULL && i < 11)
		argv[i++] = (char *)*args++;
	argv[i] = NULL;
	memset(&o, 0, sizeof(o));
	o.file = "xclip";
	o.args = argv;
	o.env = env;
	o.exit_cb = on_exit_cb;
	o.stdio = st;
	o.stdio_count = 3;
	pr->p.data = pr->in.data = pr->out.data = pr->wr.data = pr;
	uv_pipe_init(&loop, &pr->in, 0);
	uv_pipe_init(&loop, &pr->out, 0);
	pr->open = 2;
	st[0].flags = in != NULL ? UV_CREATE_PIPE | UV_READABLE_PIPE :
				   UV_IGNORE;
	st[0].data.stream = (uv_stream_t *)&pr->in;
	/* xclip -i leaves a child serving the selection: not our stdout. */
	st[1].flags = capture ? UV_CREATE_PIPE | UV_WRITABLE_PIPE : UV_IGNORE;
	st[1].data.stream = (uv_stream_t *)&pr->out;
	st[2].flags = UV_INHERIT_FD;
	st[2].data.fd = 2;
	if (uv_spawn(&loop, &pr->p, &o) != 0) {
		uv_close((uv_handle_t *)&pr->in, on_proc_closed);
		uv_close((uv_handle_t *)&pr->out, on_proc_closed);
		run_until(NULL, 10);
		return -1;
	}
	pr->open++;
	if (in != NULL) {
		b = uv_buf_init((char *)in, (unsigned)in_len);
		uv_write(&pr->wr, (uv_stream_t *)&pr->in, &b, 1, on_written);
	} else {
		pr->in_done = 1;
		uv_close((uv_handle_t *)&pr->in, on_proc_closed);
	}
	if (capture)
		uv_read_start((uv_stream_t *)&pr->out, on_alloc, on_out);
	else
		pr->out_eof = 1;
	uv_timer_init(&loop, &t);
	t.data = &expired;
	uv_timer_start(&t, on_timer, 10000, 0);
	while (!expired && !done) {
		uv_run(&loop, UV_RUN_ONCE);
		done = pr->exited && pr->out_eof && pr->in_done;
	}
	uv_close((uv_handle_t *)&t, NULL);
	if (!pr->exited)
		uv_process_kill(&pr->p, SIGKILL);
	if (!pr->in_done)
		uv_close((uv_handle_t *)&pr->in, on_proc_closed);
	uv_close((uv_handle_t *)&pr->out, on_proc_closed);
	uv_close((uv_handle_t *)&pr->p, on_proc_closed);
	while (pr->open > 0)
		uv_run(&loop, UV_RUN_ONCE);
	return done ? (int)pr->status : -1;
}

/* xclip -selection clipboard -i [-t target], waiting for changed(). */
static int
xclip_in(const char *target, const uint8_t *data, size_t len)
{
	const char *a[] = { "-selection", "clipboard", "-i", NULL, NULL,
		NULL };
	struct proc pr;
	int before = changed_count;
	int r;

	if (target != NULL) {
		a[3] = "-t";
		a[4] = target;
	}
	r = xclip(&pr, a, data, len, 0);
	free(pr.buf);
	if (r != 0)
		return r;
	return wait_changed(before) ? 0 : -1;
}

/* xclip -selection clipboard -o [-t target] into pr->buf. */
static int
xclip_out(struct proc *pr, const char *target)
{
	const char *a[] = { "-selection", "clipboard", "-o", NULL, NULL,
		NULL };

	if (target != NULL) {
		a[3] = "-t";
		a[4] = target;
	}
	return xclip(pr, a, NULL, 0, 1);
}

static int
open_clip(size_t max)
{
	char err[256];
	int r = clipboard_open(&loop, "x11", xv.display, xv.srv_auth, max,
		on_changed, NULL, &clip, err, sizeof(err));

	if (r != 0)
		fprintf(stderr, "clipboard_open: %s (%s)\n", err,
			op_strerror(r));
	run_until(NULL, 20);
	return r;
}

static void
close_clip(void)
{
	clipboard_close(clip);
	clip = NULL;
	run_until(NULL, 20);
}

static double
ms_since(uint64_t t0)
{
	return (double)(uv_hrtime() - t0) / 1e6;
}

/* ---- X11 tests ----------------------------------------------------------*/

static void
test_open_refused(void)
{
	struct clipboard *c = (struct clipboard *)&loop;
	char err[256], missing[160];
	int r;

	snprintf(missing, sizeof(missing), "%s/none", tmpdir);
	r = clipboard_open(&loop, "x11", xv.display, missing, 1024, on_changed,
		NULL, &c, err, sizeof(err));
	ASSERT_INT_EQ(r, -ENOENT);
	ASSERT(c == NULL);
	r = clipboard_open(&loop, "x11", xv.display, xv.srv_auth, 0, on_changed,
		NULL, &c, err, sizeof(err));
	ASSERT_INT_EQ(r, OP_ERR_RANGE);
	ASSERT(c == NULL);
	r = clipboard_open(&loop, "wayland", xv.display, xv.srv_auth, 1024,
		on_changed, NULL, &c, err, sizeof(err));
	ASSERT_INT_EQ(r, OP_ERR_UNSUPPORTED);
	ASSERT_STR_CONTAINS(err, "unknown clipboard backend wayland");
	ASSERT(c == NULL);
	r = clipboard_open(&loop, "x11", xv.display, xv.srv_auth, 1024,
		on_changed, NULL, &c, err, sizeof(err));
	ASSERT_INT_EQ(r, 0);
	ASSERT_STR_EQ(clipboard_backend_name(c), "x11");
	clipboard_close(c);
	run_until(NULL, 10);
}

static void
test_no_owner(void)
{
	struct rres rr;

	ASSERT_INT_EQ(read_clip(&rr), OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(rr.n, 0);
	rres_free(&rr);
}

static void
test_read_text(void)
{
	const char *s = "grüße, ☃ and 𝄞 from xclip";
	struct rres rr;
	int before = changed_count;

	ASSERT_INT_EQ(xclip_in(NULL, (const uint8_t *)s, strlen(s)), 0);
	ASSERT(changed_count > before);
	ASSERT_INT_EQ(read_clip(&rr), 0);
	ASSERT_INT_EQ(rr.n, 1);
	ASSERT(rr.has[CLIPBOARD_TEXT]);
	ASSERT_STR_EQ((char *)rr.data[CLIPBOARD_TEXT], s);
	rres_free(&rr);
	/* Only STRING offered: Latin-1 becomes UTF-8. */
	ASSERT_INT_EQ(xclip_in("STRING", (const uint8_t *)"caf\xe9", 4), 0);
	ASSERT_INT_EQ(read_clip(&rr), 0);
	ASSERT_STR_EQ((char *)rr.data[CLIPBOARD_TEXT], "café");
	rres_free(&rr);
}

static void
test_set_text(void)
{
	const char *s = "héllo €";
	struct clipboard_item it = { CLIPBOARD_TEXT, (const uint8_t *)s,
		strlen(s) };
	struct proc pr;
	int before = changed_count;

	ASSERT_INT_EQ(clipboard_set(clip, &it, 1), 0);
	run_until(NULL, 100);
	ASSERT_INT_EQ(changed_count, before); /* our own set: silent */
	ASSERT_INT_EQ(xclip_out(&pr, NULL), 0);
	ASSERT_INT_EQ(pr.len, strlen(s));
	ASSERT_MEM_EQ(pr.buf, s, pr.len);
	free(pr.buf);
	/* STRING: not Latin-1 representable, so the UTF-8 bytes. */
	ASSERT_INT_EQ(xclip_out(&pr, "STRING"), 0);
	ASSERT_INT_EQ(pr.len, strlen(s));
	ASSERT_MEM_EQ(pr.buf, s, pr.len);
	free(pr.buf);
	ASSERT_INT_EQ(xclip_out(&pr, "text/plain;charset=utf-8"), 0);
	ASSERT_INT_EQ(pr.len, strlen(s));
	free(pr.buf);
	ASSERT_INT_EQ(xclip_out(&pr, "TEXT"), 0);
	ASSERT_INT_EQ(pr.len, strlen(s));
	free(pr.buf);
	/* Not offered: refused. */
	ASSERT(xclip_out(&pr, "image/png") != 0);
	ASSERT_INT_EQ(pr.len, 0);
	free(pr.buf);
	ASSERT_INT_EQ(changed_count, before);
	/* Latin-1 representable: STRING is Latin-1. */
	it.data = (const uint8_t *)"héllo";
	it.len = strlen("héllo");
	ASSERT_INT_EQ(clipboard_set(clip, &it, 1), 0);
	ASSERT_INT_EQ(xclip_out(&pr, "STRING"), 0);
	ASSERT_INT_EQ(pr.len, 5);
	ASSERT_MEM_EQ(pr.buf, "h\xe9llo", 5);
	free(pr.buf);
	ASSERT_INT_EQ(changed_count, before);
}

static void
test_set_invalid(void)
{
	struct clipboard_item it = { CLIPBOARD_TEXT,
		(const uint8_t *)"bad \xc3\x28 utf8", 11 };
	struct clipboard_item two[2] = { { CLIPBOARD_TEXT,
						 (const uint8_t *)"a", 1 },
		{ CLIPBOARD_TEXT, (const uint8_t *)"b", 1 } };
	struct proc pr;

	ASSERT_INT_EQ(clipboard_set(clip, &it, 1), OP_ERR_RANGE);
	it.data = (const uint8_t *)"\xed\xa0\x80"; /* a surrogate */
	it.len = 3;
	ASSERT_INT_EQ(clipboard_set(clip, &it, 1), OP_ERR_RANGE);
	it.data = (const uint8_t *)"\xc0\xaf"; /* overlong */
	it.len = 2;
	ASSERT_INT_EQ(clipboard_set(clip, &it, 1), OP_ERR_RANGE);
	ASSERT_INT_EQ(clipboard_set(clip, two, 2), OP_ERR_RANGE);
	ASSERT_INT_EQ(clipboard_set(clip, &it, 0), OP_ERR_RANGE);
	/* The previous content is still served. */
	ASSERT_INT_EQ(xclip_out(&pr, NULL), 0);
	ASSERT_INT_EQ(pr.len, strlen("héllo"));
	free(pr.buf);
}

static void
test_png(void)
{
	struct clipboard_item it[2] = {
		{ CLIPBOARD_PNG, png1, sizeof(png1) },
		{ CLIPBOARD_TEXT, (const uint8_t *)"picture", 7 },
	};
	char path[160];
	struct proc pr;
	struct rres rr;
	FILE *f;

	ASSERT_INT_EQ(clipboard_set(clip, it, 2), 0);
	ASSERT_INT_EQ(xclip_out(&pr, "image/png"), 0);
	ASSERT_INT_EQ(pr.len, sizeof(png1));
	ASSERT_MEM_EQ(pr.buf, png1, sizeof(png1));
	free(pr.buf);
	ASSERT_INT_EQ(xclip_out(&pr, "TARGETS"), 0);
	ASSERT(pr.buf != NULL);
	pr.buf[pr.len < pr.cap ? pr.len : pr.cap - 1] = 0;
	ASSERT_STR_CONTAINS((char *)pr.buf, "image/png");
	ASSERT_STR_CONTAINS((char *)pr.buf, "UTF8_STRING");
	ASSERT_STR_CONTAINS((char *)pr.buf, "TIMESTAMP");
	free(pr.buf);
	ASSERT_INT_EQ(xclip_out(&pr, NULL), 0);
	ASSERT_INT_EQ(pr.len, 7);
	free(pr.buf);
	/* Reading our own selection goes through X as well: both items. */
	ASSERT_INT_EQ(read_clip(&rr), 0);
	ASSERT_INT_EQ(rr.n, 2);
	ASSERT_INT_EQ(rr.len[CLIPBOARD_PNG], sizeof(png1));
	ASSERT_MEM_EQ(rr.data[CLIPBOARD_PNG], png1, sizeof(png1));
	ASSERT_STR_EQ((char *)rr.data[CLIPBOARD_TEXT], "picture");
	rres_free(&rr);
	/* A PNG offered by xclip from a file. */
	snprintf(path, sizeof(path), "%s/in.png", tmpdir);
	f = fopen(path, "wb");
	ASSERT(f != NULL);
	ASSERT_INT_EQ(fwrite(png1, 1, sizeof(png1), f), sizeof(png1));
	fclose(f);
	{
		const char *a[] = { "-selection", "clipboard", "-t",
			"image/png", "-i", path, NULL };
		int before = changed_count;

		ASSERT_INT_EQ(xclip(&pr, a, NULL, 0, 0), 0);
		free(pr.buf);
		ASSERT(wait_changed(before));
	}
	unlink(path);
	ASSERT_INT_EQ(read_clip(&rr), 0);
	ASSERT_INT_EQ(rr.n, 1);
	ASSERT(rr.has[CLIPBOARD_PNG]);
	ASSERT_INT_EQ(rr.len[CLIPBOARD_PNG], sizeof(png1));
	ASSERT_MEM_EQ(rr.data[CLIPBOARD_PNG], png1, sizeof(png1));
	rres_free(&rr);
}

static void
test_large(void)
{
	uint8_t *b = th_utf8_text(BIG);
	struct clipboard_item it = { CLIPBOARD_TEXT, b, 1024 * 1024 };
	struct proc pr;
	struct rres rr;
	uint64_t t0;
	double ms;

	/* Ours, 1 MiB, by INCR (above 256 KiB). */
	t0 = uv_hrtime();
	ASSERT_INT_EQ(clipboard_set(clip, &it, 1), 0);
	ASSERT_INT_EQ(xclip_out(&pr, NULL), 0);
	ms = ms_since(t0);
	ASSERT_INT_EQ(pr.len, it.len);
	ASSERT_MEM_EQ(pr.buf, b, it.len);
	free(pr.buf);
	printf("set 1 MiB + xclip -o (INCR): %.1f ms\n", ms);
	/* Read back through X, INCR on both ends of our connection. */
	t0 = uv_hrtime();
	ASSERT_INT_EQ(read_clip(&rr), 0);
	ms = ms_since(t0);
	ASSERT_INT_EQ(rr.len[CLIPBOARD_TEXT], it.len);
	ASSERT_MEM_EQ(rr.data[CLIPBOARD_TEXT], b, it.len);
	rres_free(&rr);
	printf("read 1 MiB of our own (INCR): %.1f ms\n", ms);
	/* xclip's, 1.5 MiB: INCR from xclip. */
	ASSERT_INT_EQ(xclip_in(NULL, b, BIG), 0);
	t0 = uv_hrtime();
	ASSERT_INT_EQ(read_clip(&rr), 0);
	ms = ms_since(t0);
	ASSERT_INT_EQ(rr.len[CLIPBOARD_TEXT], BIG);
	ASSERT_MEM_EQ(rr.data[CLIPBOARD_TEXT], b, BIG);
	rres_free(&rr);
	printf("read 1.5 MiB from xclip (INCR): %.1f ms\n", ms);
	/* Above the cap on set. */
	it.len = 2 * 1024 * 1024 + 1;
	it.data = malloc(it.len);
	memset((uint8_t *)it.data, 'x', it.len);
	ASSERT_INT_EQ(clipboard_set(clip, &it, 1), OP_ERR_TOO_LARGE);
	free((uint8_t *)it.data);
	free(b);
}

static void
test_over_cap(void)
{
	uint8_t *b = th_utf8_text(BIG);
	struct rres rr;

	close_clip();
	ASSERT_INT_EQ(open_clip(64 * 1024), 0);
	/* 100 KiB in one property. */
	ASSERT_INT_EQ(xclip_in(NULL, b, 100 * 1024), 0);
	ASSERT_INT_EQ(read_clip(&rr), OP_ERR_TOO_LARGE);
	rres_free(&rr);
	/* 1.5 MiB by INCR. */
	ASSERT_INT_EQ(xclip_in(NULL, b, BIG), 0);
	ASSERT_INT_EQ(read_clip(&rr), OP_ERR_TOO_LARGE);
	rres_free(&rr);
	/* The connection is still good after the aborted transfer. */
	ASSERT_INT_EQ(xclip_in(NULL, (const uint8_t *)"small", 5), 0);
	ASSERT_INT_EQ(read_clip(&rr), 0);
	ASSERT_STR_EQ((char *)rr.data[CLIPBOARD_TEXT], "small");
	rres_free(&rr);
	free(b);
	close_clip();
	ASSERT_INT_EQ(open_clip(2 * 1024 * 1024), 0);
}

/* An owner that never answers: changed() fires, reads time out, one
 * read at a time, and a read cancelled by close never calls back. */
static void
test_silent_owner(void)
{
	xcb_connection_t *c = th_xvfb_connect(&xv);
	xcb_intern_atom_reply_t *a;
	xcb_window_t w;
	struct rres rr, rr2;
	int before = changed_count;
	uint64_t t0;

	ASSERT(c != NULL);
	a = xcb_intern_atom_reply(c, xcb_intern_atom(c, 0, 9, "CLIPBOARD"),
		NULL);
	ASSERT(a != NULL);
	w = xcb_generate_id(c);
	xcb_create_window(c, 0, w, xcb_setup_roots_iterator(
					  xcb_get_setup(c)).data->root,
		0, 0, 1, 1, 0, XCB_WINDOW_CLASS_INPUT_ONLY,
		XCB_COPY_FROM_PARENT, 0, NULL);
	xcb_set_selection_owner(c, w, a->atom, XCB_CURRENT_TIME);
	free(a);
	xcb_flush(c);
	ASSERT(wait_changed(before));
	memset(&rr, 0, sizeof(rr));
	memset(&rr2, 0, sizeof(rr2));
	t0 = uv_hrtime();
	ASSERT_INT_EQ(clipboard_read(clip, on_read, &rr), 0);
	ASSERT_INT_EQ(clipboard_read(clip, on_read, &rr2), OP_ERR_STATE);
	run_until(&rr.done, 6000);
	ASSERT_INT_EQ(rr.done, 1);
	ASSERT_INT_EQ(rr.status, -ETIMEDOUT);
	printf("timeout after %.0f ms\n", ms_since(t0));
	ASSERT(ms_since(t0) >= 2900);
	/* Close while a read runs: no callback. */
	ASSERT_INT_EQ(clipboard_read(clip, on_read, &rr2), 0);
	close_clip();
	run_until(NULL, 200);
	ASSERT_INT_EQ(rr2.done, 0);
	xcb_disconnect(c);
	run_until(NULL, 100);
	ASSERT_INT_EQ(open_clip(2 * 1024 * 1024), 0);
	/* The owner's client left: no owner again. */
	ASSERT_INT_EQ(read_clip(&rr), OP_ERR_NOT_FOUND);
}

static void
cleanup(void)
{
	char path[160];

	th_xvfb_stop(&xv);
	snprintf(path, sizeof(path), "%s/in.png", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

int
main(void)
{
	const char *path = getenv("PATH");
	int r;

	if (th_find_in_path("Xvfb") == NULL ||
		th_find_in_path("xclip") == NULL) {
		printf("SKIP: Xvfb or xclip is not installed\n");
		return 77;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/op-clipboard-XXXXXX");
	if (mkdtemp(tmpdir) == NULL || uv_loop_init(&loop) != 0) {
		perror("setup");
		return 1;
	}
	if (th_xvfb_start(&xv, tmpdir, "640x480x24", cookie) != 0) {
		fprintf(stderr, "cannot start Xvfb\n");
		cleanup();
		return 1;
	}
	snprintf(env_display, sizeof(env_display), "DISPLAY=%s", xv.display);
	snprintf(env_auth, sizeof(env_auth), "XAUTHORITY=%s", xv.srv_auth);
	snprintf(env_path, sizeof(env_path), "PATH=%s",
		path != NULL ? path : "/usr/bin:/bin");
	RUN(test_open_refused);
	if (open_clip(2 * 1024 * 1024) != 0) {
		cleanup();
		return 1;
	}
	RUN(test_no_owner);
	RUN(test_read_text);
	RUN(test_set_text);
	RUN(test_set_invalid);
	RUN(test_png);
	RUN(test_large);
	RUN(test_over_cap);
	RUN(test_silent_owner);
	close_clip();
	cleanup();
	run_until(NULL, 50);
	r = uv_loop_close(&loop);
	if (r != 0)
		fprintf(stderr, "uv_loop_close: %s\n", uv_strerror(r));
	return r == 0 ? th_done() : 1;
}
