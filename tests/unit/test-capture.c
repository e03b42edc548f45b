/* SPDX-License-Identifier: MIT */
/*
 * Screen capture against a real Xvfb that the test starts itself with a
 * cookie file it writes (so the Xauthority path is exercised): open and
 * close, the display list, grabbed pixels after drawing, damage counters
 * (grow on drawing, stay put when idle), two RandR monitors, the cursor,
 * the pointer, a wrong cookie, an unknown backend and the server going
 * away. Also the Xauthority parser with hostile input. Prints (does not
 * assert) the average grab time of a 1920x1080 display.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>
#include <xcb/xcb.h>

#include "capture/capture.h"
#include "capture/capture-x11.h"
#include "core/err.h"
#include "xconn/xauth.h"
#include "th.h"
#include "th-xvfb.h"


static char tmpdir[64];
static char auth_good[128], auth_wrong[128], auth_bad[128];
static struct th_xvfb xv = { .pid = -1 };
static const uint8_t cookie[16] = { 0x13, 0x37, 0xc0, 0xff, 0xee, 0x01,
	0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b };
static const uint8_t bad_cookie[16] = { 0xde, 0xad };

static uv_loop_t loop;
static struct capture *cap;
static xcb_connection_t *hx; /* the test's own drawing connection */
static xcb_window_t hroot;
static unsigned ev_mask;
static int ev_gone;

/* The client files: decoys around the right entry; a wrong cookie; a
 * truncated file. */
static int
write_client_files(void)
{
	uint8_t b[1024];
	size_t n = 0;
	char host[256], other[16];
	const uint8_t xdm[16] = { 1 };

	if (gethostname(host, sizeof(host)) != 0)
		return -1;
	host[sizeof(host) - 1] = '\0';
	snprintf(other, sizeof(other), "%d", atoi(xv.dnum) + 1);
	th_xauth_put_entry(b, &n, OP_XAUTH_FAMILY_LOCAL, host, other,
		"MIT-MAGIC-COOKIE-1", bad_cookie, 16);
	th_xauth_put_entry(b, &n, OP_XAUTH_FAMILY_LOCAL, host, xv.dnum,
		"XDM-AUTHORIZATION-1", xdm, 16);
	th_xauth_put_entry(b, &n, 0 /* Internet */, "\x7f\0\0\x01", xv.dnum,
		"MIT-MAGIC-COOKIE-1", bad_cookie, 16);
	th_xauth_put_entry(b, &n, OP_XAUTH_FAMILY_LOCAL, "not-this-host",
		xv.dnum, "MIT-MAGIC-COOKIE-1", bad_cookie, 16);
	th_xauth_put_entry(b, &n, OP_XAUTH_FAMILY_LOCAL, host, xv.dnum,
		"MIT-MAGIC-COOKIE-1", cookie, 16);
	snprintf(auth_good, sizeof(auth_good), "%s/good", tmpdir);
	if (th_write_file(auth_good, b, n) != 0)
		return -1;
	n = 0;
	th_xauth_put_entry(b, &n, OP_XAUTH_FAMILY_WILD, "", xv.dnum,
		"MIT-MAGIC-COOKIE-1", bad_cookie, 16);
	snprintf(auth_wrong, sizeof(auth_wrong), "%s/wrong", tmpdir);
	if (th_write_file(auth_wrong, b, n) != 0)
		return -1;
	snprintf(auth_bad, sizeof(auth_bad), "%s/bad", tmpdir);
	return th_write_file(auth_bad, b, n - 3);
}

static int
helper_connect(void)
{
	hx = th_xvfb_connect(&xv);
	if (hx == NULL)
		return -1;
	hroot = xcb_setup_roots_iterator(xcb_get_setup(hx)).data->root;
	return 0;
}

/* A round trip: everything sent before has been processed. */
static void
hsync(void)
{
	free(xcb_get_input_focus_reply(hx, xcb_get_input_focus(hx), NULL));
}

static void
fill(uint32_t rgb, int16_t x, int16_t y, uint16_t w, uint16_t h)
{
	xcb_gcontext_t gc = xcb_generate_id(hx);
	xcb_rectangle_t r = { x, y, w, h };

	xcb_create_gc(hx, gc, hroot, XCB_GC_FOREGROUND, &rgb);
	xcb_poly_fill_rectangle(hx, hroot, gc, 1, &r);
	xcb_free_gc(hx, gc);
	hsync();
}

/* ---- the loop -----------------------------------------------------------*/

static void
on_event(void *arg, struct capture *c, unsigned mask)
{
	(void)arg;
	(void)c;
	ev_mask |= mask;
	if (mask & CAPTURE_EV_GONE)
		ev_gone++;
}

static void
on_timer(uv_timer_t *t)
{
	*(int *)t->data = 1;
}

/* Runs the loop until an event in want arrived, or ms passed. */
static void
run_for(unsigned want, unsigned ms)
{
	uv_timer_t t;
	int expired = 0;

	uv_timer_init(&loop, &t);
	t.data = &expired;
	uv_timer_start(&t, on_timer, ms, 0);
	while (!expired && (want == 0 || (ev_mask & want) == 0))
		uv_run(&loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const uint8_t *
px(const struct capture_image *img, uint32_t x, uint32_t y)
{
	return img->data + (size_t)y * img->stride + (size_t)x * 4;
}

/* ---- tests ---------------------------------------------------------------*/

static void
test_xauth_parser(void)
{
	uint8_t b[1024] = { 0 }, out[16], big[OP_XAUTH_MAX_FILE + 1];
	size_t n = 0, m;

	memset(out, 0xaa, sizeof(out));
	ASSERT_INT_EQ(op_xauth_find(b, 0, "1", NULL, out),
		OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(op_xauth_find(NULL, 0, "1", NULL, out),
		OP_ERR_NOT_FOUND);
	th_xauth_put_entry(b, &n, OP_XAUTH_FAMILY_LOCAL, "h", "1",
		"MIT-MAGIC-COOKIE-1", bad_cookie, 16);
	th_xauth_put_entry(b, &n, OP_XAUTH_FAMILY_LOCAL, "h", "2",
		"MIT-MAGIC-COOKIE-1", cookie, 16);
	m = n;
	ASSERT_INT_EQ(op_xauth_find(b, n, "2", "h", out), 0);
	ASSERT_MEM_EQ(out, cookie, 16);
	ASSERT_INT_EQ(op_xauth_find(b, n, "2", NULL, out), 0);
	ASSERT_INT_EQ(op_xauth_find(b, n, "2", "other", out),
		OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(op_xauth_find(b, n, "3", "h", out),
		OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(op_xauth_find(b, n, "", "h", out),
		OP_ERR_NOT_FOUND);
	/* Every truncation of a valid file is refused, never read past. */
	for (size_t k = 1; k < n; k++) {
		uint8_t *t = malloc(k);

		ASSERT(t != NULL);
		memcpy(t, b, k);
		if (k == n / 2) /* the first entry alone is complete */
			ASSERT_INT_EQ(op_xauth_find(t, k, "2", "h", out),
				OP_ERR_NOT_FOUND);
		else
			ASSERT_INT_EQ(op_xauth_find(t, k, "2", "h", out),
				OP_ERR_PROTO);
		free(t);
	}
	/* A match followed by garbage: the file is still malformed. */
	b[n++] = 0x01;
	ASSERT_INT_EQ(op_xauth_find(b, n, "2", "h", out), OP_ERR_PROTO);
	/* Huge declared lengths. */
	n = m;
	memcpy(b + n, "\x01\x00\xff\xff", 4);
	ASSERT_INT_EQ(op_xauth_find(b, n + 4, "2", "h", out),
		OP_ERR_PROTO);
	memcpy(b, "\xff\xff\xff\xff\xff\xff", 6);
	ASSERT_INT_EQ(op_xauth_find(b, 6, "2", "h", out), OP_ERR_PROTO);
	/* Too large as a whole. */
	memset(big, 0, sizeof(big));
	ASSERT_INT_EQ(op_xauth_find(big, sizeof(big), "0", NULL, out),
		OP_ERR_TOO_LARGE);
	/* Wild with an empty number matches any display; a 15-byte cookie
	 * and another protocol do not count. */
	n = 0;
	th_xauth_put_entry(b, &n, OP_XAUTH_FAMILY_LOCAL, "h", "7",
		"MIT-MAGIC-COOKIE-1", bad_cookie, 15);
	th_xauth_put_entry(b, &n, OP_XAUTH_FAMILY_WILD, "", "7",
		"XDM-AUTHORIZATION-1", bad_cookie, 16);
	ASSERT_INT_EQ(op_xauth_find(b, n, "7", "h", out),
		OP_ERR_NOT_FOUND);
	th_xauth_put_entry(b, &n, OP_XAUTH_FAMILY_WILD, "", "",
		"MIT-MAGIC-COOKIE-1", cookie, 16);
	memset(out, 0, sizeof(out));
	ASSERT_INT_EQ(op_xauth_find(b, n, "7", "h", out), 0);
	ASSERT_MEM_EQ(out, cookie, 16);
}

static void
test_unknown_backend(void)
{
	struct capture *c = (struct capture *)&loop; /* must be cleared */
	char err[128];
	int r = capture_open(&loop, "pipewire", xv.display, NULL, on_event,
		NULL, &c, err, sizeof(err));

	ASSERT_INT_EQ(r, OP_ERR_UNSUPPORTED);
	ASSERT(c == NULL);
	ASSERT_STR_EQ(err,
		"capture backend pipewire is not available "
		"(x11, wlr, mutter, portal)");
}

static void
test_refused(void)
{
	struct capture *c = NULL;
	char err[256], missing[160];
	int r;

	r = capture_open(&loop, "x11", xv.display, auth_wrong, on_event, NULL,
		&c, err, sizeof(err));
	ASSERT(r < 0);
	ASSERT(c == NULL);
	ASSERT_STR_CONTAINS(err, "cannot open display");
	ASSERT_STR_CONTAINS(err, xv.display);
	r = capture_open(&loop, "x11", xv.display, auth_bad, on_event, NULL, &c,
		err, sizeof(err));
	ASSERT_INT_EQ(r, OP_ERR_PROTO);
	ASSERT_STR_CONTAINS(err, "malformed");
	snprintf(missing, sizeof(missing), "%s/none", tmpdir);
	r = capture_open(&loop, "x11", xv.display, missing, on_event, NULL, &c,
		err, sizeof(err));
	ASSERT_INT_EQ(r, -ENOENT);
	ASSERT_STR_CONTAINS(err, "cannot read Xauthority file");
	/* The right file, but for a display nobody has a cookie for. */
	r = capture_open(&loop, "x11", ":4999", auth_good, on_event, NULL, &c,
		err, sizeof(err));
	ASSERT_INT_EQ(r, OP_ERR_NOT_FOUND);
	ASSERT_STR_CONTAINS(err, "no MIT-MAGIC-COOKIE-1 for display :4999");
	ASSERT(c == NULL);
}

static void
test_open(void)
{
	struct capture_display d[CAPTURE_MAX_DISPLAYS];
	char err[256];
	int r = capture_open(&loop, "x11", xv.display, auth_good, on_event,
		NULL, &cap, err, sizeof(err));

	if (r != 0)
		TH_FAIL("capture_open: %s (%s)", err, op_strerror(r));
	ASSERT_STR_EQ(capture_backend_name(cap), "x11");
	ASSERT_INT_EQ(capture_displays(cap, d, CAPTURE_MAX_DISPLAYS), 1);
	ASSERT_INT_EQ(d[0].x, 0);
	ASSERT_INT_EQ(d[0].y, 0);
	ASSERT_INT_EQ(d[0].width, 1920);
	ASSERT_INT_EQ(d[0].height, 1080);
	ASSERT(d[0].name[0] != '\0');
	ASSERT_U64_EQ(capture_damage_seq(cap, 0), 1);
	ASSERT_U64_EQ(capture_damage_seq(cap, 1), 0);
	ASSERT_U64_EQ(capture_damage_seq(cap, -1), 0);
	run_for(0, 50); /* settle whatever setup queued */
}

struct work {
	uv_work_t req;
	struct capture_grabber *g;
	struct capture_image img;
	int r;
	int done;
};

static void
work_grab(uv_work_t *req)
{
	struct work *w = req->data;

	w->r = capture_grab(w->g, &w->img);
}

static void
work_done(uv_work_t *req, int status)
{
	struct work *w = req->data;

	w->done = status == 0 ? 1 : -1;
}

static void
test_grab(void)
{
	struct capture_grabber *g = NULL;
	struct capture_image img;
	double t0;
	int r;

	ASSERT(cap != NULL);
	ASSERT_INT_EQ(capture_grabber_new(cap, 1, &g), OP_ERR_RANGE);
	ASSERT(g == NULL);
	fill(0xff0000, 100, 100, 64, 48);
	fill(0x00ff00, 1900, 1070, 20, 10);
	ASSERT_INT_EQ(capture_grabber_new(cap, 0, &g), 0);
	ASSERT_INT_EQ(capture_grab(g, &img), 0);
	ASSERT_INT_EQ(img.width, 1920);
	ASSERT_INT_EQ(img.height, 1080);
	ASSERT(img.stride >= 1920 * 4);
	ASSERT_MEM_EQ(px(&img, 100, 100), "\x00\x00\xff", 3);
	ASSERT_MEM_EQ(px(&img, 163, 147), "\x00\x00\xff", 3);
	ASSERT_MEM_EQ(px(&img, 1919, 1079), "\x00\xff\x00", 3);
	ASSERT(memcmp(px(&img, 164, 100), "\x00\x00\xff", 3) != 0);
	ASSERT(memcmp(px(&img, 99, 147), "\x00\x00\xff", 3) != 0);
	/* The same grabber sees the next change. */
	fill(0x0000ff, 100, 100, 8, 8);
	ASSERT_INT_EQ(capture_grab(g, &img), 0);
	ASSERT_MEM_EQ(px(&img, 104, 104), "\xff\x00\x00", 3);
	ASSERT_MEM_EQ(px(&img, 110, 110), "\x00\x00\xff", 3);
	t0 = now_ms();
	for (int i = 0; i < 50; i++)
		if ((r = capture_grab(g, &img)) != 0)
			TH_FAIL("grab %d: %s", i, op_strerror(r));
	printf("grab 1920x1080: %.2f ms avg over 50\n", (now_ms() - t0) / 50);
	/* From a worker thread, as the session does. */
	{
		struct work w = { .g = g };

		fill(0x00ff00, 100, 100, 8, 8);
		w.req.data = &w;
		ASSERT_INT_EQ(uv_queue_work(&loop, &w.req, work_grab,
				      work_done),
			0);
		while (w.done == 0)
			uv_run(&loop, UV_RUN_ONCE);
		ASSERT_INT_EQ(w.done, 1);
		ASSERT_INT_EQ(w.r, 0);
		ASSERT_MEM_EQ(px(&w.img, 104, 104), "\x00\xff\x00", 3);
	}
	capture_grabber_free(g);
	run_for(0, 20);
}

/* Bands (capture_grab_rows): a grabber of 100 rows maps two bands, not
 * a frame; its bands put together are the whole grab's pixels, the last
 * band is shorter, bands may come out of order (the prefetched one is
 * dropped), and anything outside the display or the band is refused. */
static void
test_grab_rows(void)
{
	struct capture_grabber *g = NULL, *whole = NULL;
	struct capture_image img, all;
	uint8_t *copy;
	uint32_t y;

	ASSERT(cap != NULL);
	fill(0x112233, 0, 0, 1920, 1080);
	fill(0xff0000, 10, 95, 30, 10);   /* across the first band edge */
	fill(0x00ff00, 1900, 1075, 20, 5); /* in the short last band */
	ASSERT_INT_EQ(capture_grabber_new(cap, 0, &whole), 0);
	ASSERT_INT_EQ(capture_grab(whole, &all), 0);
	ASSERT_INT_EQ(capture_grabber_new_rows(cap, 0, 100, &g), 0);
	ASSERT(((struct x11_grabber *)g)->mapped == 0 ||
		((struct x11_grabber *)g)->mapped == 2u * 100 * 1920 * 4);
	ASSERT_INT_EQ(capture_grab(g, &img), OP_ERR_RANGE);
	ASSERT((copy = malloc((size_t)1920 * 4 * 1080)) != NULL);
	for (y = 0; y < 1080; y += img.height) {
		uint32_t n = 1080 - y < 100 ? 1080 - y : 100;

		ASSERT_INT_EQ(capture_grab_rows(g, y, n, &img), 0);
		ASSERT_INT_EQ(img.width, 1920);
		ASSERT_INT_EQ(img.height, n);
		for (uint32_t r = 0; r < n; r++)
			memcpy(copy + (size_t)(y + r) * 1920 * 4,
				img.data + (size_t)r * img.stride, 1920 * 4);
	}
	ASSERT_INT_EQ(img.height, 80);
	for (y = 0; y < 1080; y++)
		ASSERT(memcmp(copy + (size_t)y * 1920 * 4,
			       all.data + (size_t)y * all.stride,
			       1920 * 4) == 0);
	ASSERT_MEM_EQ(copy + ((size_t)99 * 1920 + 10) * 4, "\x00\x00\xff", 3);
	ASSERT_MEM_EQ(copy + ((size_t)100 * 1920 + 39) * 4, "\x00\x00\xff",
		3);
	ASSERT_MEM_EQ(copy + ((size_t)1079 * 1920 + 1919) * 4,
		"\x00\xff\x00", 3);
	/* Out of order: band 0 (prefetching 100), then 500, then 0 again
	 * sees a change made in between. */
	ASSERT_INT_EQ(capture_grab_rows(g, 0, 100, &img), 0);
	ASSERT_INT_EQ(capture_grab_rows(g, 500, 100, &img), 0);
	ASSERT_MEM_EQ(px(&img, 0, 0), "\x33\x22\x11", 3);
	fill(0x0000ff, 0, 0, 8, 8);
	ASSERT_INT_EQ(capture_grab_rows(g, 0, 50, &img), 0);
	ASSERT_MEM_EQ(px(&img, 4, 4), "\xff\x00\x00", 3);
	ASSERT_INT_EQ(capture_grab_rows(g, 0, 101, &img), OP_ERR_RANGE);
	ASSERT_INT_EQ(capture_grab_rows(g, 1000, 81, &img), OP_ERR_RANGE);
	ASSERT_INT_EQ(capture_grab_rows(g, 1080, 1, &img), OP_ERR_RANGE);
	ASSERT_INT_EQ(capture_grab_rows(g, 0, 0, &img), OP_ERR_RANGE);
	/* A grabber of whole frames grabs any rows too. */
	ASSERT_INT_EQ(capture_grab_rows(whole, 1000, 80, &img), 0);
	ASSERT_INT_EQ(img.height, 80);
	ASSERT_MEM_EQ(px(&img, 1919, 79), "\x00\xff\x00", 3);
	free(copy);
	capture_grabber_free(g);
	capture_grabber_free(whole);
	fill(0x000000, 0, 0, 1920, 1080); /* later tests expect black */
	run_for(0, 20);
}

/* The SysV segment, for servers without MIT-SHM 1.2: the same pixels,
 * and the segment is gone from the system once the grabber is freed
 * (IPC_RMID at once: nothing leaks even on a crash). */
static int
sysv_segments(void)
{
	FILE *f = fopen("/proc/sysvipc/shm", "r");
	int n = 0;
	int ch;

	if (f == NULL)
		return -1;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

static void
test_grab_sysv(void)
{
	int before = sysv_segments();
	int after = -2;

	struct capture_grabber *g = NULL;
	struct capture_image img;

	ASSERT(cap != NULL);
	capture_x11_sysv_only = true;
	fill(0x123456, 300, 200, 16, 16);
	ASSERT_INT_EQ(capture_grabber_new(cap, 0, &g), 0);
	capture_x11_sysv_only = false;
	ASSERT(((struct x11_grabber *)g)->mapped == 0); /* SysV, not memfd */
	ASSERT_INT_EQ(capture_grab(g, &img), 0);
	ASSERT_MEM_EQ(px(&img, 300, 200), "\x56\x34\x12", 3);
	ASSERT_MEM_EQ(px(&img, 315, 215), "\x56\x34\x12", 3);
	fill(0x654321, 300, 200, 16, 16);
	ASSERT_INT_EQ(capture_grab(g, &img), 0);
	ASSERT_MEM_EQ(px(&img, 308, 208), "\x21\x43\x65", 3);
	ASSERT(sysv_segments() == before + 1 || before < 0);
	capture_grabber_free(g);
	/* The server detaches when it reads the request. */
	for (int i = 0; i < 50 && (after = sysv_segments()) != before; i++)
		run_for(0, 20);
	ASSERT_INT_EQ(after, before);
}

static void
test_damage(void)
{
	uint64_t s0, s1;

	ASSERT(cap != NULL);
	run_for(0, 100); /* earlier drawing */
	ev_mask = 0;
	s0 = capture_damage_seq(cap, 0);
	fill(0x123456, 400, 400, 10, 10);
	run_for(CAPTURE_EV_DAMAGE, 2000);
	ASSERT(ev_mask & CAPTURE_EV_DAMAGE);
	s1 = capture_damage_seq(cap, 0);
	ASSERT(s1 > s0);
	/* Quiet screen: no event and the counter stays. */
	ev_mask = 0;
	run_for(CAPTURE_EV_DAMAGE, 300);
	ASSERT_INT_EQ(ev_mask & CAPTURE_EV_DAMAGE, 0);
	ASSERT_U64_EQ(capture_damage_seq(cap, 0), s1);
	/* And it grows again after the subtract. */
	fill(0x654321, 10, 900, 30, 30);
	run_for(CAPTURE_EV_DAMAGE, 2000);
	ASSERT(capture_damage_seq(cap, 0) > s1);
}

static void
test_cursor(void)
{
	struct capture_cursor cur, cur2;
	xcb_font_t font;
	xcb_cursor_t xc;
	bool opaque = false;
	int r;

	ASSERT(cap != NULL);
	ASSERT_INT_EQ(capture_cursor(cap, &cur), 0);
	ASSERT(cur.width >= 1 && cur.width <= CAPTURE_MAX_CURSOR_DIM);
	ASSERT(cur.height >= 1 && cur.height <= CAPTURE_MAX_CURSOR_DIM);
	ASSERT(cur.hotx >= 0 && (uint32_t)cur.hotx < cur.width);
	ASSERT(cur.hoty >= 0 && (uint32_t)cur.hoty < cur.height);
	ASSERT(cur.serial != 0);
	ASSERT(cur.rgba != NULL);
	for (size_t i = 0; i < (size_t)cur.width * cur.height; i++)
		opaque |= cur.rgba[i * 4 + 3] == 0xff;
	ASSERT(opaque);
	/* Another shape on the root: a CURSOR event and a new serial. */
	ev_mask = 0;
	font = xcb_generate_id(hx);
	xc = xcb_generate_id(hx);
	xcb_open_font(hx, font, 6, "cursor");
	xcb_create_glyph_cursor(hx, xc, font, font, 68, 69, 0, 0, 0, 0xffff,
		0xffff, 0xffff);
	xcb_change_window_attributes(hx, hroot, XCB_CW_CURSOR, &xc);
	hsync();
	run_for(CAPTURE_EV_CURSOR, 2000);
	ASSERT(ev_mask & CAPTURE_EV_CURSOR);
	r = capture_cursor(cap, &cur2);
	ASSERT_INT_EQ(r, 0);
	ASSERT(cur2.serial != cur.serial);
	ASSERT(cur2.width <= CAPTURE_MAX_CURSOR_DIM);
	capture_cursor_free(&cur);
	capture_cursor_free(&cur2);
	ASSERT(cur.rgba == NULL);
	capture_cursor_free(NULL);
}

static void
test_pointer(void)
{
	int32_t x = -1, y = -1;

	ASSERT(cap != NULL);
	xcb_warp_pointer(hx, XCB_NONE, hroot, 0, 0, 0, 0, 321, 234);
	hsync();
	ASSERT_INT_EQ(capture_pointer(cap, &x, &y), 0);
	ASSERT_INT_EQ(x, 321);
	ASSERT_INT_EQ(y, 234);
	xcb_warp_pointer(hx, XCB_NONE, hroot, 0, 0, 0, 0, 1500, 1000);
	hsync();
	ASSERT_INT_EQ(capture_pointer(cap, &x, &y), 0);
	ASSERT_INT_EQ(x, 1500);
	ASSERT_INT_EQ(y, 1000);
	run_for(0, 50);
}

static int
run_xrandr(char *const argv[])
{
	char env_display[48], env_auth[160];
	char *envp[] = { env_display, env_auth, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st = -1;

	snprintf(env_display, sizeof(env_display), "DISPLAY=%s", xv.display);
	/* Not auth_good: libXau would pick its XDM-AUTHORIZATION-1 decoy. */
	snprintf(env_auth, sizeof(env_auth), "XAUTHORITY=%s/server-auth",
		tmpdir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, envp) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* LEFT takes the screen's output (so its automatic monitor goes away),
 * RIGHT has none. (With xrandr, because libxcb's RRSetMonitor encoder
 * crashes in the libxcb versions we meet.) */
static int
set_monitors(void)
{
	char *xrandr = th_find_in_path("xrandr");
	char *left[] = { xrandr, "--setmonitor", "*LEFT", /* primary */
		"960/254x1080/286+0+0", "screen", NULL };
	char *right[] = { xrandr, "--setmonitor", "RIGHT",
		"960/254x1080/286+960+0", "none", NULL };
	char path[512];

	if (xrandr == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s", xrandr);
	left[0] = right[0] = path;
	return run_xrandr(left) != 0 || run_xrandr(right) != 0 ? -1 : 0;
}

static void
test_monitors(void)
{
	struct capture_display d[CAPTURE_MAX_DISPLAYS];
	struct capture_grabber *old = NULL, *g = NULL;
	struct capture_image img;
	uint64_t s0, s1;

	ASSERT(cap != NULL);
	ASSERT_INT_EQ(capture_grabber_new(cap, 0, &old), 0);
	ev_mask = 0;
	ASSERT_INT_EQ(set_monitors(), 0);
	run_for(CAPTURE_EV_LAYOUT, 4000);
	ASSERT(ev_mask & CAPTURE_EV_LAYOUT);
	ASSERT_INT_EQ(capture_displays(cap, d, CAPTURE_MAX_DISPLAYS), 2);
	ASSERT_STR_EQ(d[0].name, "LEFT");
	ASSERT_INT_EQ(d[0].x, 0);
	ASSERT_INT_EQ(d[0].y, 0);
	ASSERT_INT_EQ(d[0].width, 960);
	ASSERT_INT_EQ(d[0].height, 1080);
	ASSERT(d[0].primary);
	ASSERT_STR_EQ(d[1].name, "RIGHT");
	ASSERT_INT_EQ(d[1].x, 960);
	ASSERT_INT_EQ(d[1].y, 0);
	ASSERT_INT_EQ(d[1].width, 960);
	ASSERT_INT_EQ(d[1].height, 1080);
	ASSERT(!d[1].primary);
	/* A grabber made for the old layout is refused, not misread. */
	ASSERT_INT_EQ(capture_grab(old, &img), OP_ERR_STATE);
	capture_grabber_free(old);
	/* Display 1 grabs its own half. */
	fill(0xff00ff, 1000, 100, 10, 10);
	ASSERT_INT_EQ(capture_grabber_new(cap, 1, &g), 0);
	ASSERT_INT_EQ(capture_grab(g, &img), 0);
	ASSERT_INT_EQ(img.width, 960);
	ASSERT_INT_EQ(img.height, 1080);
	ASSERT_MEM_EQ(px(&img, 40, 100), "\xff\x00\xff", 3);
	ASSERT_MEM_EQ(px(&img, 50, 110), "\x00\x00\x00", 3);
	capture_grabber_free(g);
	/* So does a banded grabber, band by band. */
	ASSERT_INT_EQ(capture_grabber_new_rows(cap, 1, 64, &g), 0);
	ASSERT_INT_EQ(capture_grab_rows(g, 64, 64, &img), 0);
	ASSERT_INT_EQ(capture_grab_rows(g, 96, 64, &img), 0);
	ASSERT_INT_EQ(img.width, 960);
	ASSERT_MEM_EQ(px(&img, 40, 4), "\xff\x00\xff", 3);
	ASSERT_MEM_EQ(px(&img, 50, 14), "\x00\x00\x00", 3);
	capture_grabber_free(g);
	/* Damage in the right half counts for display 1 only. */
	run_for(0, 100);
	ev_mask = 0;
	s0 = capture_damage_seq(cap, 0);
	s1 = capture_damage_seq(cap, 1);
	fill(0x00ffff, 1200, 500, 50, 50);
	run_for(CAPTURE_EV_DAMAGE, 2000);
	ASSERT(ev_mask & CAPTURE_EV_DAMAGE);
	ASSERT(capture_damage_seq(cap, 1) > s1);
	ASSERT_U64_EQ(capture_damage_seq(cap, 0), s0);
}

static void
test_gone(void)
{
	struct capture_grabber *g = NULL;
	struct capture_image img;
	struct capture_display d[1];
	int32_t x, y;
	int st;

	ASSERT(cap != NULL);
	ASSERT_INT_EQ(capture_grabber_new(cap, 0, &g), 0);
	ev_mask = 0;
	ev_gone = 0;
	xcb_disconnect(hx);
	hx = NULL;
	kill(xv.pid, SIGKILL);
	waitpid(xv.pid, &st, 0);
	xv.pid = -1;
	run_for(CAPTURE_EV_GONE, 5000);
	ASSERT_INT_EQ(ev_mask, CAPTURE_EV_GONE);
	run_for(0, 100);
	ASSERT_INT_EQ(ev_gone, 1);
	ASSERT_INT_EQ(capture_grab(g, &img), OP_ERR_GONE);
	ASSERT(img.data == NULL);
	ASSERT_INT_EQ(capture_displays(cap, d, 1), OP_ERR_GONE);
	ASSERT_INT_EQ(capture_pointer(cap, &x, &y), OP_ERR_GONE);
	run_for(0, 50);
	ASSERT_INT_EQ(ev_gone, 1);
	capture_grabber_free(g);
	capture_close(cap);
	cap = NULL;
	uv_run(&loop, UV_RUN_DEFAULT);
}

static void
cleanup(void)
{
	if (cap != NULL) {
		capture_close(cap);
		uv_run(&loop, UV_RUN_DEFAULT);
	}
	if (hx != NULL)
		xcb_disconnect(hx);
	th_xvfb_stop(&xv);
	unlink(auth_good);
	unlink(auth_wrong);
	unlink(auth_bad);
	rmdir(tmpdir);
}

int
main(void)
{
	int r;

	RUN(test_xauth_parser);
	if (th_find_in_path("Xvfb") == NULL) {
		printf("SKIP: Xvfb is not installed\n");
		return 77;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/op-capture-XXXXXX");
	if (mkdtemp(tmpdir) == NULL || uv_loop_init(&loop) != 0) {
		perror("setup");
		return 1;
	}
	if (th_xvfb_start(&xv, tmpdir, "1920x1080x24", cookie) != 0 ||
		write_client_files() != 0 || helper_connect() != 0) {
		fprintf(stderr, "cannot start Xvfb\n");
		cleanup();
		return 1;
	}
	RUN(test_unknown_backend);
	RUN(test_refused);
	RUN(test_open);
	RUN(test_grab);
	RUN(test_grab_rows);
	RUN(test_grab_sysv);
	RUN(test_damage);
	RUN(test_cursor);
	RUN(test_pointer);
	RUN(test_monitors);
	RUN(test_gone);
	cleanup();
	r = uv_loop_close(&loop);
	if (r != 0)
		fprintf(stderr, "uv_loop_close: %s\n", uv_strerror(r));
	return r == 0 ? th_done() : 1;
}
