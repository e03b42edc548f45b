/* SPDX-License-Identifier: MIT */
/*
 * The SendInput backend under wine (on an Xvfb screen): events go
 * through the input interface into a focused window of the test's own,
 * which records the messages it gets (WM_*BUTTON* at the right client
 * coordinates, WM_MOUSEWHEEL, WM_KEYDOWN / WM_CHAR / WM_KEYUP).
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "input/input.h"
#include "th-win.h"
#include "th.h"

#include <windowsx.h> /* GET_X_LPARAM */

enum { WX = 120, WY = 90, W = 320, H = 240 };
enum { CK_CONTROL = 4, CK_RETURN = 27, CK_SHIFT = 29 };

struct rec {
	UINT msg;
	WPARAM wp;
	LPARAM lp;
};
static struct rec log_[512];
static size_t nlog;

static LRESULT CALLBACK
wndproc(HWND hw, UINT msg, WPARAM wp, LPARAM lp)
{
	switch (msg) {
	case WM_MOUSEMOVE:
	case WM_LBUTTONDOWN:
	case WM_LBUTTONUP:
	case WM_RBUTTONDOWN:
	case WM_RBUTTONUP:
	case WM_MOUSEWHEEL:
	case WM_KEYDOWN:
	case WM_KEYUP:
	case WM_CHAR:
	case WM_SYSKEYDOWN:
	case WM_SYSKEYUP:
		if (nlog < sizeof(log_) / sizeof(log_[0]))
			log_[nlog++] = (struct rec){ msg, wp, lp };
		break;
	}
	return DefWindowProcW(hw, msg, wp, lp);
}

/* The index of the first message msg (wp when wp != (WPARAM)-1) at or
 * after `from`, or -1. */
static int
find(size_t from, UINT msg, WPARAM wp)
{
	for (size_t i = from; i < nlog; i++)
		if (log_[i].msg == msg && (wp == (WPARAM)-1 || log_[i].wp == wp))
			return (int)i;
	return -1;
}

struct want {
	UINT msg;
	WPARAM wp;
};

static bool
has_want(void *arg)
{
	const struct want *w = arg;

	return find(0, w->msg, w->wp) >= 0;
}

/* Pumps until msg (wp) arrived; false after 3 s. */
static bool
wait_msg(UINT msg, WPARAM wp)
{
	struct want w = { msg, wp };

	return thw_pump_until(has_want, &w, 3000);
}

static void
reset(void)
{
	thw_pump(50);
	nlog = 0;
}

static int
mouse(struct input *in, int32_t mask, int32_t x, int32_t y)
{
	struct input_mouse_event ev = { .mask = mask, .x = x, .y = y };

	return input_mouse(in, &ev);
}

static void
test_mouse(struct input *in)
{
	int i;

	reset();
	ASSERT_INT_EQ(mouse(in, 0, WX + 30, WY + 40), 0);
	ASSERT_INT_EQ(mouse(in, (1 << 3) | 1, WX + 30, WY + 40), 0);
	ASSERT_INT_EQ(input_held(in), 1);
	ASSERT_INT_EQ(mouse(in, (1 << 3) | 2, WX + 30, WY + 40), 0);
	ASSERT(wait_msg(WM_LBUTTONUP, (WPARAM)-1));
	ASSERT((i = find(0, WM_LBUTTONDOWN, (WPARAM)-1)) >= 0);
	ASSERT_INT_EQ(GET_X_LPARAM(log_[i].lp), 30);
	ASSERT_INT_EQ(GET_Y_LPARAM(log_[i].lp), 40);
	ASSERT(find((size_t)i, WM_LBUTTONUP, (WPARAM)-1) > i);

	/* Right button elsewhere, then a wheel notch up. */
	ASSERT_INT_EQ(mouse(in, 0, WX + 250, WY + 7), 0);
	ASSERT_INT_EQ(mouse(in, (2 << 3) | 1, WX + 250, WY + 7), 0);
	ASSERT_INT_EQ(mouse(in, (2 << 3) | 2, WX + 250, WY + 7), 0);
	ASSERT(wait_msg(WM_RBUTTONUP, (WPARAM)-1));
	ASSERT((i = find(0, WM_RBUTTONDOWN, (WPARAM)-1)) >= 0);
	ASSERT_INT_EQ(GET_X_LPARAM(log_[i].lp), 250);
	ASSERT_INT_EQ(GET_Y_LPARAM(log_[i].lp), 7);
	ASSERT_INT_EQ(mouse(in, 3, 0, 1), 0);
	ASSERT(wait_msg(WM_MOUSEWHEEL, (WPARAM)-1));
	i = find(0, WM_MOUSEWHEEL, (WPARAM)-1);
	ASSERT_INT_EQ(GET_WHEEL_DELTA_WPARAM(log_[i].wp), WHEEL_DELTA);
	ASSERT_INT_EQ(input_held(in), 0);

	/* Refused before anything is sent. */
	ASSERT_INT_EQ(mouse(in, 0, -1, 5), OP_ERR_RANGE);
	ASSERT_INT_EQ(mouse(in, (1 << 3) | 1, 5000, 5), OP_ERR_RANGE);
	ASSERT_INT_EQ(input_held(in), 0);
}

static int
key(struct input *in, enum input_kmode mode, enum input_key_kind kind,
	uint32_t chr, int32_t ck, const int32_t *mods, size_t nmods)
{
	struct input_key_event ev = { .mode = mode, .press = true,
		.kind = kind, .chr = chr, .control_key = ck,
		.modifiers = mods, .n_modifiers = nmods };

	return input_key(in, &ev);
}

/* The WM_CHARs received, in order, as UTF-16 units. */
static size_t
chars(WCHAR *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < nlog && n < max; i++)
		if (log_[i].msg == WM_CHAR)
			out[n++] = (WCHAR)log_[i].wp;
	return n;
}

static void
test_keys(struct input *in)
{
	static const int32_t ctrl[] = { CK_CONTROL };
	struct input_key_event seq = { .mode = INPUT_KMODE_MAP,
		.press = true, .kind = INPUT_KEY_SEQ, .seq = "hi\xe2\x82\xac",
		.seq_len = 5 };
	WCHAR c[16];
	int i;

	/* Map mode: X keycode 38 is the A key. */
	reset();
	ASSERT_INT_EQ(key(in, INPUT_KMODE_MAP, INPUT_KEY_CHR, 38, 0, NULL, 0),
		0);
	ASSERT(wait_msg(WM_KEYUP, 'A'));
	ASSERT(find(0, WM_KEYDOWN, 'A') >= 0);
	ASSERT_INT_EQ(chars(c, 16), 1);
	ASSERT_INT_EQ(c[0], 'a');

	/* Legacy: an upper-case letter takes Shift. */
	reset();
	ASSERT_INT_EQ(key(in, INPUT_KMODE_LEGACY, INPUT_KEY_CHR, 'Z', 0, NULL,
			      0),
		0);
	ASSERT(wait_msg(WM_KEYUP, VK_SHIFT));
	ASSERT((i = find(0, WM_KEYDOWN, VK_SHIFT)) >= 0);
	ASSERT(find((size_t)i, WM_KEYDOWN, 'Z') > i);
	ASSERT_INT_EQ(chars(c, 16), 1);
	ASSERT_INT_EQ(c[0], 'Z');

	/* Ctrl+C: the key with Control held, WM_CHAR 3. */
	reset();
	ASSERT_INT_EQ(key(in, INPUT_KMODE_LEGACY, INPUT_KEY_CHR, 'c', 0, ctrl,
			      1),
		0);
	ASSERT(wait_msg(WM_KEYUP, VK_CONTROL));
	ASSERT((i = find(0, WM_KEYDOWN, VK_CONTROL)) >= 0);
	ASSERT(find((size_t)i, WM_KEYDOWN, 'C') > i);
	ASSERT_INT_EQ(chars(c, 16), 1);
	ASSERT_INT_EQ(c[0], 3);

	/* Unicode the US layout has no key for, beyond the BMP too. */
	reset();
	ASSERT_INT_EQ(key(in, INPUT_KMODE_MAP, INPUT_KEY_UNICODE, 0xe9, 0,
			      NULL, 0),
		0);
	ASSERT_INT_EQ(key(in, INPUT_KMODE_MAP, INPUT_KEY_UNICODE, 0x1f600, 0,
			      NULL, 0),
		0);
	ASSERT_INT_EQ(input_key(in, &seq), 0);
	ASSERT(wait_msg(WM_CHAR, 0x20ac));
	ASSERT_INT_EQ(chars(c, 16), 6);
	ASSERT_INT_EQ(c[0], 0xe9);
	ASSERT_INT_EQ(c[1], 0xd83d);
	ASSERT_INT_EQ(c[2], 0xde00);
	ASSERT_INT_EQ(c[3], 'h');
	ASSERT_INT_EQ(c[4], 'i');
	ASSERT_INT_EQ(c[5], 0x20ac);

	/* A control key. */
	reset();
	ASSERT_INT_EQ(key(in, INPUT_KMODE_MAP, INPUT_KEY_CONTROL, 0,
			      CK_RETURN, NULL, 0),
		0);
	ASSERT(wait_msg(WM_KEYUP, VK_RETURN));
	ASSERT(find(0, WM_KEYDOWN, VK_RETURN) >= 0);
	ASSERT_INT_EQ(chars(c, 16), 1);
	ASSERT_INT_EQ(c[0], '\r');

	/* Invalid input is refused whole. */
	ASSERT_INT_EQ(key(in, INPUT_KMODE_MAP, INPUT_KEY_CHR, 300, 0, NULL,
			      0),
		OP_ERR_RANGE);
	ASSERT_INT_EQ(key(in, INPUT_KMODE_MAP, INPUT_KEY_UNICODE, 0xd800, 0,
			      NULL, 0),
		OP_ERR_RANGE);
	ASSERT_INT_EQ(input_held(in), 0);
}

static void
test_release_all(struct input *in)
{
	struct input_key_event ev = { .mode = INPUT_KMODE_MAP, .down = true,
		.kind = INPUT_KEY_CONTROL, .control_key = CK_SHIFT };
	static const int32_t shift[] = { CK_SHIFT }; /* still held */
	struct input_key_event map = { .mode = INPUT_KMODE_MAP, .down = true,
		.kind = INPUT_KEY_CHR, .chr = 37, /* Control_L, by scan code */
		.modifiers = shift, .n_modifiers = 1 };

	reset();
	ASSERT_INT_EQ(mouse(in, 0, WX + 10, WY + 10), 0);
	ASSERT_INT_EQ(mouse(in, (1 << 3) | 1, WX + 10, WY + 10), 0);
	ASSERT_INT_EQ(input_key(in, &ev), 0);
	ASSERT_INT_EQ(input_key(in, &map), 0);
	ASSERT_INT_EQ(input_held(in), 3);
	ASSERT(wait_msg(WM_LBUTTONDOWN, (WPARAM)-1));
	ASSERT(find(0, WM_KEYDOWN, VK_SHIFT) >= 0);
	ASSERT(wait_msg(WM_KEYDOWN, VK_CONTROL));
	input_release_all(in);
	ASSERT_INT_EQ(input_held(in), 0);
	ASSERT(wait_msg(WM_KEYUP, VK_SHIFT));
	ASSERT(wait_msg(WM_KEYUP, VK_CONTROL));
	ASSERT(wait_msg(WM_LBUTTONUP, (WPARAM)-1));
}

static struct input *the_input;

static void
run_mouse(void)
{
	test_mouse(the_input);
}

static void
run_keys(void)
{
	test_keys(the_input);
}

static void
run_release_all(void)
{
	test_release_all(the_input);
}

static void
test_open(void)
{
	uv_loop_t loop;
	struct input *in = NULL;
	char err[256];

	ASSERT_INT_EQ(uv_loop_init(&loop), 0);
	ASSERT_INT_EQ(input_open(&loop, "x11", NULL, NULL, &in, err,
			      sizeof(err)),
		OP_ERR_UNSUPPORTED);
	ASSERT_STR_EQ(err, "unknown input backend x11");
	ASSERT_INT_EQ(input_open(&loop, "win", ":0", NULL, &in, err,
			      sizeof(err)),
		OP_ERR_UNSUPPORTED);
	ASSERT(in == NULL);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
}

int
main(void)
{
	uv_loop_t loop;
	char err[256];
	HWND hw;

	RUN(test_open);
	if ((hw = thw_window("op-input", WX, WY, W, H, wndproc)) == NULL ||
		uv_loop_init(&loop) != 0 ||
		input_open(&loop, "win", NULL, NULL, &the_input, err,
			sizeof(err)) != 0) {
		fprintf(stderr, "setup failed: %s\n", err);
		return 1;
	}
	thw_pump(300);
	printf("foreground is ours: %d\n", GetForegroundWindow() == hw);
	RUN(run_mouse);
	RUN(run_keys);
	RUN(run_release_all);
	input_close(the_input);
	DestroyWindow(hw);
	uv_loop_close(&loop);
	return th_done();
}
