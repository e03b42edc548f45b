/* SPDX-License-Identifier: MIT */
/*
 * Input injection. First the pure parts with no server: the ControlKey
 * and character tables, strict UTF-8, and plans for the RustDesk rules
 * (click quirk, modifier and lock synchronisation, wheel signs, refusals).
 * Then against a real Xvfb started here with a cookie: a second client
 * owns a window covering the screen with the focus and checks which
 * events arrive for keycodes, shifted and non-Latin characters (a spare
 * key mapped and restored), Ctrl+C, clicks, wheel, a drag, Caps Lock
 * sync, release_all, and that refused events inject nothing. Prints
 * (does not assert) the time to inject 10000 key and mouse events.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>
#include <xcb/xcb.h>

#include "core/err.h"
#include "input/input-internal.h"
#include "input/input.h"
#include "th.h"
#include "th-xvfb.h"

#define W 1024
#define H 768

static const uint8_t cookie[16] = { 0x42, 0x17, 0x99, 0x01, 0x02, 0x03,
	0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d };
static char tmpdir[64];
static struct th_xvfb xv = { .pid = -1 };
static uv_loop_t loop;
static struct input *in;
static xcb_connection_t *hx;
static xcb_window_t win;

struct rec {
	uint8_t type;
	uint8_t detail;
	uint16_t state;
	int16_t x, y;
};

/* ---- pure parts -----------------------------------------------------------*/

static void
test_tables(void)
{
	ASSERT_U64_EQ(input_control_keysym(9), 0xffbe);   /* F1 */
	ASSERT_U64_EQ(input_control_keysym(13), 0xffbf);  /* F2 */
	ASSERT_U64_EQ(input_control_keysym(10), 0xffc7);  /* F10 */
	ASSERT_U64_EQ(input_control_keysym(29), 0xffe1);  /* Shift */
	ASSERT_U64_EQ(input_control_keysym(75), 0xffea);  /* RAlt */
	ASSERT_U64_EQ(input_control_keysym(49), 0);       /* Junja */
	ASSERT_U64_EQ(input_control_keysym(9999), 0);
	ASSERT_U64_EQ(input_control_keysym(-1), 0);
	ASSERT_U64_EQ(input_char_keysym('a'), 'a');
	ASSERT_U64_EQ(input_char_keysym(0xe9), 0xe9);
	ASSERT_U64_EQ(input_char_keysym(0x20ac), 0x10020ac);
	ASSERT_U64_EQ(input_char_keysym('\n'), 0xff0d);
	ASSERT_U64_EQ(input_char_keysym(0xd800), 0);
	ASSERT_U64_EQ(input_char_keysym(0x110000), 0);
	ASSERT_U64_EQ(input_char_keysym(0x85), 0);
	ASSERT_U64_EQ(input_char_keysym(0x01), 0);
	ASSERT_INT_EQ(input_keysym_mod(0xffe3), INPUT_MOD_CTRL_L);
	ASSERT_INT_EQ(input_keysym_mod('a'), 0);
}

static void
test_utf8(void)
{
	const char ok[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	const uint32_t want[] = { 'a', 0xe9, 0x20ac, 0x1f600 };
	const char *bad[] = { "\xc0\x80", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\xe2\x82", "\x80", "\xff", "\xc3\x28",
		"\xf8\x88\x80\x80\x80" };
	size_t off = 0, i = 0;
	uint32_t cp;

	while (off < sizeof(ok) - 1) {
		ASSERT_INT_EQ(input_utf8_next(ok, sizeof(ok) - 1, &off, &cp),
			0);
		ASSERT(i < 4);
		ASSERT_U64_EQ(cp, want[i++]);
	}
	ASSERT_INT_EQ(i, 4);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		off = 0;
		ASSERT_INT_EQ(input_utf8_next(bad[i], strlen(bad[i]), &off,
				      &cp),
			OP_ERR_RANGE);
		ASSERT_INT_EQ(off, 0);
	}
}

static struct input_act plan[INPUT_PLAN_MAX];

static void
test_plans(void)
{
	struct input_state st = { .width = W, .height = H };
	struct input_key_event k = { .mode = INPUT_KMODE_MAP, .down = true,
		.kind = INPUT_KEY_CHR, .chr = 38 };
	struct input_mouse_event m = { .mask = 3, .y = 2 };
	int32_t caps[] = { INPUT_CK_CAPSLOCK };
	char big[INPUT_MAX_SEQ + 1];
	size_t n = 99;

	/* A letter key: clicked on down, its up is a no-op. */
	ASSERT_INT_EQ(input_plan_key(&k, &st, plan, INPUT_PLAN_MAX, &n), 0);
	ASSERT_INT_EQ(n, 2);
	ASSERT(plan[0].kind == INPUT_ACT_KEYCODE && plan[0].down &&
		plan[0].v == 38);
	ASSERT(plan[1].kind == INPUT_ACT_KEYCODE && !plan[1].down);
	k.down = false;
	ASSERT_INT_EQ(input_plan_key(&k, &st, plan, INPUT_PLAN_MAX, &n), 0);
	ASSERT_INT_EQ(n, 0);
	/* A modifier is held: one action each way. */
	k.chr = 50;
	k.down = true;
	ASSERT_INT_EQ(input_plan_key(&k, &st, plan, INPUT_PLAN_MAX, &n), 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT(plan[0].down && plan[0].v == 50);
	k.down = false;
	ASSERT_INT_EQ(input_plan_key(&k, &st, plan, INPUT_PLAN_MAX, &n), 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT(!plan[0].down && plan[0].v == 50);
	/* Caps Lock sync: toggle, key, toggle back. */
	k.chr = 38;
	k.down = true;
	k.modifiers = caps;
	k.n_modifiers = 1;
	ASSERT_INT_EQ(input_plan_key(&k, &st, plan, INPUT_PLAN_MAX, &n), 0);
	ASSERT_INT_EQ(n, 6);
	ASSERT(plan[0].kind == INPUT_ACT_KEYSYM && plan[0].v == 0xffe5);
	ASSERT(plan[2].kind == INPUT_ACT_KEYCODE && plan[2].v == 38);
	ASSERT(plan[5].kind == INPUT_ACT_KEYSYM && plan[5].v == 0xffe5);
	/* ... but not for Tab. */
	k.chr = 23;
	ASSERT_INT_EQ(input_plan_key(&k, &st, plan, INPUT_PLAN_MAX, &n), 0);
	ASSERT_INT_EQ(n, 2);
	/* Legacy: a held Control not listed is released first. */
	st.mods = INPUT_MOD_CTRL_L;
	k = (struct input_key_event){ .mode = INPUT_KMODE_LEGACY,
		.down = true, .kind = INPUT_KEY_CHR, .chr = 'c' };
	ASSERT_INT_EQ(input_plan_key(&k, &st, plan, INPUT_PLAN_MAX, &n), 0);
	ASSERT_INT_EQ(n, 2);
	ASSERT(plan[0].kind == INPUT_ACT_KEYSYM && !plan[0].down &&
		plan[0].v == 0xffe3);
	ASSERT(plan[1].kind == INPUT_ACT_TYPE && plan[1].v == 'c');
	st.mods = 0;
	/* Refusals leave an empty plan. */
	k.chr = 0xd800;
	ASSERT_INT_EQ(input_plan_key(&k, &st, plan, INPUT_PLAN_MAX, &n),
		OP_ERR_RANGE);
	ASSERT_INT_EQ(n, 0);
	memset(big, 'x', sizeof(big));
	k.kind = INPUT_KEY_SEQ;
	k.seq = big;
	k.seq_len = sizeof(big);
	ASSERT_INT_EQ(input_plan_key(&k, &st, plan, INPUT_PLAN_MAX, &n),
		OP_ERR_RANGE);
	k.seq_len = INPUT_MAX_SEQ;
	ASSERT_INT_EQ(input_plan_key(&k, &st, plan, INPUT_PLAN_MAX, &n), 0);
	ASSERT_INT_EQ(n, INPUT_MAX_SEQ);
	k.mode = (enum input_kmode)7;
	ASSERT_INT_EQ(input_plan_key(&k, &st, plan, INPUT_PLAN_MAX, &n),
		OP_ERR_RANGE);
	/* Wheel: y > 0 is button 4, x < 0 button 7, |delta| clicks. */
	ASSERT_INT_EQ(input_plan_mouse(&m, &st, plan, INPUT_PLAN_MAX, &n), 0);
	ASSERT_INT_EQ(n, 4);
	ASSERT(plan[0].v == 4 && plan[2].v == 4);
	m = (struct input_mouse_event){ .mask = 4, .x = -1 };
	ASSERT_INT_EQ(input_plan_mouse(&m, &st, plan, INPUT_PLAN_MAX, &n), 0);
	ASSERT_INT_EQ(n, 2);
	ASSERT(plan[0].v == 7);
	m.x = INPUT_MAX_WHEEL + 1;
	ASSERT_INT_EQ(input_plan_mouse(&m, &st, plan, INPUT_PLAN_MAX, &n),
		OP_ERR_RANGE);
	m = (struct input_mouse_event){ .mask = 5, .x = 1 };
	ASSERT_INT_EQ(input_plan_mouse(&m, &st, plan, INPUT_PLAN_MAX, &n),
		OP_ERR_RANGE);
	m.mask = (3 << 3) | 1; /* two buttons at once */
	ASSERT_INT_EQ(input_plan_mouse(&m, &st, plan, INPUT_PLAN_MAX, &n),
		OP_ERR_RANGE);
	m.mask = -1;
	ASSERT_INT_EQ(input_plan_mouse(&m, &st, plan, INPUT_PLAN_MAX, &n),
		OP_ERR_RANGE);
	m = (struct input_mouse_event){ .mask = 0, .x = W, .y = 0 };
	ASSERT_INT_EQ(input_plan_mouse(&m, &st, plan, INPUT_PLAN_MAX, &n),
		OP_ERR_RANGE);
	m.x = W - 1;
	ASSERT_INT_EQ(input_plan_mouse(&m, &st, plan, INPUT_PLAN_MAX, &n), 0);
	ASSERT_INT_EQ(n, 1);
}

/* ---- X helpers ------------------------------------------------------------*/

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Input events for our window, until n arrived or ms passed. */
static size_t
collect(struct rec *out, size_t n, unsigned ms)
{
	struct pollfd pfd = { .fd = xcb_get_file_descriptor(hx),
		.events = POLLIN };
	double end = now_ms() + ms;
	size_t got = 0;

	while (got < n) {
		xcb_generic_event_t *e = xcb_poll_for_event(hx);

		if (e == NULL) {
			double left = end - now_ms();

			if (left <= 0)
				break;
			poll(&pfd, 1, (int)left + 1);
			continue;
		}
		switch (e->response_type & 0x7f) {
		case XCB_KEY_PRESS:
		case XCB_KEY_RELEASE:
		case XCB_BUTTON_PRESS:
		case XCB_BUTTON_RELEASE:
		case XCB_MOTION_NOTIFY: {
			xcb_key_press_event_t *k = (void *)e;

			out[got++] = (struct rec){ .type = k->response_type &
					0x7f,
				.detail = k->detail, .state = k->state,
				.x = k->event_x, .y = k->event_y };
			break;
		}
		default:
			break;
		}
		free(e);
	}
	return got;
}

static void
drain(void)
{
	struct rec r[64];

	while (collect(r, 64, 100) > 0)
		;
}

static xcb_keysym_t
host_keysym(uint8_t code)
{
	xcb_get_keyboard_mapping_reply_t *rep = xcb_get_keyboard_mapping_reply(
		hx, xcb_get_keyboard_mapping(hx, code, 1), NULL);
	xcb_keysym_t s = 0;

	if (rep != NULL && xcb_get_keyboard_mapping_keysyms_length(rep) > 0)
		s = xcb_get_keyboard_mapping_keysyms(rep)[0];
	free(rep);
	return s;
}

static uint32_t
host_leds(void)
{
	xcb_get_keyboard_control_reply_t *kc = xcb_get_keyboard_control_reply(
		hx, xcb_get_keyboard_control(hx), NULL);
	uint32_t m = kc != NULL ? kc->led_mask : 0xffffffffu;

	free(kc);
	return m;
}

static int
setup_window(void)
{
	const xcb_setup_t *s;
	xcb_screen_t *scr;
	uint32_t vals[2] = { 1,
		XCB_EVENT_MASK_KEY_PRESS | XCB_EVENT_MASK_KEY_RELEASE |
			XCB_EVENT_MASK_BUTTON_PRESS |
			XCB_EVENT_MASK_BUTTON_RELEASE |
			XCB_EVENT_MASK_POINTER_MOTION };

	if ((hx = th_xvfb_connect(&xv)) == NULL)
		return -1;
	s = xcb_get_setup(hx);
	scr = xcb_setup_roots_iterator(s).data;
	win = xcb_generate_id(hx);
	xcb_create_window(hx, XCB_COPY_FROM_PARENT, win, scr->root, 0, 0, W,
		H, 0, XCB_WINDOW_CLASS_INPUT_OUTPUT, scr->root_visual,
		XCB_CW_OVERRIDE_REDIRECT | XCB_CW_EVENT_MASK, vals);
	xcb_map_window(hx, win);
	xcb_set_input_focus(hx, XCB_INPUT_FOCUS_POINTER_ROOT, win,
		XCB_CURRENT_TIME);
	free(xcb_get_input_focus_reply(hx, xcb_get_input_focus(hx), NULL));
	return 0;
}

static int
key(enum input_kmode mode, bool down, enum input_key_kind kind,
	uint32_t v, const int32_t *mods, size_t nmods)
{
	struct input_key_event e = { .mode = mode, .down = down,
		.kind = kind, .control_key = (int32_t)v, .chr = v,
		.modifiers = mods, .n_modifiers = nmods };

	return input_key(in, &e);
}

static int
mouse(int32_t mask, int32_t x, int32_t y)
{
	struct input_mouse_event e = { .mask = mask, .x = x, .y = y };

	return input_mouse(in, &e);
}

#define EXPECT(r, t, d)                                                  \
	do {                                                             \
		ASSERT_INT_EQ((r).type, (t));                            \
		ASSERT_INT_EQ((r).detail, (d));                          \
	} while (0)

/* ---- against the server -----------------------------------------------*/

static void
test_open(void)
{
	char err[256];
	struct input *bad = NULL;

	ASSERT_INT_EQ(input_open(&loop, "uinput", xv.display, NULL, &bad, err,
			      sizeof(err)),
		OP_ERR_UNSUPPORTED);
	ASSERT(bad == NULL);
	ASSERT_STR_CONTAINS(err, "uinput");
	ASSERT(input_open(&loop, "x11", xv.display, "/nonexistent/xauth",
		       &bad, err, sizeof(err)) < 0);
	ASSERT(bad == NULL);
	ASSERT_STR_CONTAINS(err, "/nonexistent/xauth");
	ASSERT_INT_EQ(input_open(&loop, "x11", xv.display, xv.srv_auth, &in,
			      err, sizeof(err)),
		0);
	ASSERT_STR_EQ(input_backend_name(in), "x11");
	ASSERT_INT_EQ(input_held(in), 0);
}

static void
test_map_key(void)
{
	struct rec r[8];

	ASSERT(in != NULL);
	drain();
	ASSERT_INT_EQ(key(INPUT_KMODE_MAP, true, INPUT_KEY_CHR, 38, NULL, 0),
		0);
	ASSERT_INT_EQ(collect(r, 2, 2000), 2);
	EXPECT(r[0], XCB_KEY_PRESS, 38);
	EXPECT(r[1], XCB_KEY_RELEASE, 38);
	ASSERT_INT_EQ(r[0].state, 0);
	/* The later up is a no-op; nothing is held. */
	ASSERT_INT_EQ(key(INPUT_KMODE_MAP, false, INPUT_KEY_CHR, 38, NULL, 0),
		0);
	ASSERT_INT_EQ(collect(r, 1, 200), 0);
	ASSERT_INT_EQ(input_held(in), 0);
}

static void
test_shifted_char(void)
{
	struct rec r[8];

	ASSERT(in != NULL);
	drain();
	ASSERT_INT_EQ(key(INPUT_KMODE_LEGACY, true, INPUT_KEY_CHR, 'A', NULL,
			      0),
		0);
	ASSERT_INT_EQ(collect(r, 4, 2000), 4);
	EXPECT(r[0], XCB_KEY_PRESS, 50);
	EXPECT(r[1], XCB_KEY_PRESS, 38);
	ASSERT(r[1].state & XCB_MOD_MASK_SHIFT);
	EXPECT(r[2], XCB_KEY_RELEASE, 38);
	EXPECT(r[3], XCB_KEY_RELEASE, 50);
	ASSERT_INT_EQ(input_held(in), 0);
}

static void
test_remapped_chars(void)
{
	const uint32_t cps[] = { 0xe9, 0x20ac };
	const xcb_keysym_t want[] = { 0xe9, 0x10020ac };
	uint8_t used[2];
	struct rec r[8];

	ASSERT(in != NULL);
	drain();
	for (size_t i = 0; i < 2; i++) {
		ASSERT_INT_EQ(key(INPUT_KMODE_LEGACY, true, INPUT_KEY_UNICODE,
				      cps[i], NULL, 0),
			0);
		ASSERT_INT_EQ(collect(r, 2, 2000), 2);
		ASSERT_INT_EQ(r[0].type, XCB_KEY_PRESS);
		ASSERT_INT_EQ(r[1].type, XCB_KEY_RELEASE);
		ASSERT_INT_EQ(r[0].state, 0);
		used[i] = r[0].detail;
		/* What a client looks up for that key is the character. */
		ASSERT_U64_EQ(host_keysym(used[i]), want[i]);
	}
	ASSERT(used[0] != used[1]);
	/* The same character again (Translate seq) reuses its key. */
	{
		struct input_key_event e = { .mode = INPUT_KMODE_TRANSLATE,
			.down = true, .kind = INPUT_KEY_SEQ,
			.seq = "\xc3\xa9", .seq_len = 2 };

		ASSERT_INT_EQ(input_key(in, &e), 0);
		ASSERT_INT_EQ(collect(r, 2, 2000), 2);
		EXPECT(r[0], XCB_KEY_PRESS, used[0]);
	}
	/* Released and restored: the spare keys have no keysym again (the
	 * restore travels on the module's connection, so wait for it). */
	input_release_all(in);
	for (int i = 0; i < 200 && (host_keysym(used[0]) != 0 ||
				       host_keysym(used[1]) != 0);
		i++)
		usleep(10000);
	ASSERT_U64_EQ(host_keysym(used[0]), 0);
	ASSERT_U64_EQ(host_keysym(used[1]), 0);
}

static void
test_ctrl_c(void)
{
	const int32_t ctrl[] = { INPUT_CK_CONTROL };
	struct rec r[8];

	ASSERT(in != NULL);
	drain();
	ASSERT_INT_EQ(key(INPUT_KMODE_LEGACY, true, INPUT_KEY_CONTROL,
			      INPUT_CK_CONTROL, NULL, 0),
		0);
	ASSERT_INT_EQ(input_held(in), 1);
	ASSERT_INT_EQ(key(INPUT_KMODE_LEGACY, true, INPUT_KEY_CHR, 'c', ctrl,
			      1),
		0);
	ASSERT_INT_EQ(key(INPUT_KMODE_LEGACY, false, INPUT_KEY_CHR, 'c',
			      ctrl, 1),
		0);
	ASSERT_INT_EQ(key(INPUT_KMODE_LEGACY, false, INPUT_KEY_CONTROL,
			      INPUT_CK_CONTROL, NULL, 0),
		0);
	ASSERT_INT_EQ(collect(r, 4, 2000), 4);
	EXPECT(r[0], XCB_KEY_PRESS, 37);
	EXPECT(r[1], XCB_KEY_PRESS, 54);
	ASSERT(r[1].state & XCB_MOD_MASK_CONTROL);
	EXPECT(r[2], XCB_KEY_RELEASE, 54);
	EXPECT(r[3], XCB_KEY_RELEASE, 37);
	ASSERT_INT_EQ(collect(r, 1, 200), 0);
	ASSERT_INT_EQ(input_held(in), 0);
}

static void
test_mouse(void)
{
	const uint8_t buttons[][2] = { { 0x01, 1 }, { 0x02, 3 }, { 0x04, 2 },
		{ 0x08, 8 }, { 0x10, 9 } };
	struct rec r[8];

	ASSERT(in != NULL);
	drain();
	ASSERT_INT_EQ(mouse(0, 321, 123), 0);
	ASSERT_INT_EQ(collect(r, 1, 2000), 1);
	ASSERT_INT_EQ(r[0].type, XCB_MOTION_NOTIFY);
	ASSERT_INT_EQ(r[0].x, 321);
	ASSERT_INT_EQ(r[0].y, 123);
	for (size_t i = 0; i < 5; i++) {
		ASSERT_INT_EQ(mouse(buttons[i][0] << 3 | 1, 321, 123), 0);
		ASSERT_INT_EQ(mouse(buttons[i][0] << 3 | 2, 321, 123), 0);
		ASSERT_INT_EQ(collect(r, 2, 2000), 2);
		EXPECT(r[0], XCB_BUTTON_PRESS, buttons[i][1]);
		EXPECT(r[1], XCB_BUTTON_RELEASE, buttons[i][1]);
		ASSERT_INT_EQ(r[0].x, 321);
	}
	/* Wheel: y = +2 is two clicks of 4, x = -1 one click of 7. */
	ASSERT_INT_EQ(mouse(3, 0, 2), 0);
	ASSERT_INT_EQ(collect(r, 4, 2000), 4);
	for (size_t i = 0; i < 4; i++)
		EXPECT(r[i], i % 2 ? XCB_BUTTON_RELEASE : XCB_BUTTON_PRESS, 4);
	ASSERT_INT_EQ(mouse(4, -1, 0), 0);
	ASSERT_INT_EQ(collect(r, 2, 2000), 2);
	EXPECT(r[0], XCB_BUTTON_PRESS, 7);
	EXPECT(r[1], XCB_BUTTON_RELEASE, 7);
	ASSERT_INT_EQ(mouse(3, 0, -1), 0);
	ASSERT_INT_EQ(collect(r, 2, 2000), 2);
	EXPECT(r[0], XCB_BUTTON_PRESS, 5);
	/* A drag. */
	ASSERT_INT_EQ(mouse(0, 100, 100), 0);
	ASSERT_INT_EQ(mouse(1 << 3 | 1, 100, 100), 0);
	ASSERT_INT_EQ(input_held(in), 1);
	ASSERT_INT_EQ(mouse(0, 300, 200), 0);
	ASSERT_INT_EQ(mouse(1 << 3 | 2, 300, 200), 0);
	ASSERT_INT_EQ(collect(r, 4, 2000), 4);
	EXPECT(r[0], XCB_MOTION_NOTIFY, 0);
	EXPECT(r[1], XCB_BUTTON_PRESS, 1);
	ASSERT_INT_EQ(r[1].x, 100);
	ASSERT_INT_EQ(r[1].y, 100);
	EXPECT(r[2], XCB_MOTION_NOTIFY, 0);
	ASSERT(r[2].state & XCB_BUTTON_MASK_1);
	EXPECT(r[3], XCB_BUTTON_RELEASE, 1);
	ASSERT_INT_EQ(r[3].x, 300);
	ASSERT_INT_EQ(r[3].y, 200);
	ASSERT_INT_EQ(input_held(in), 0);
}

static void
test_ctrl_click(void)
{
	const int32_t ctrl[] = { INPUT_CK_CONTROL };
	struct input_mouse_event e = { .mask = 1 << 3 | 1, .x = 5, .y = 5,
		.modifiers = ctrl, .n_modifiers = 1 };
	struct rec r[8];

	ASSERT(in != NULL);
	drain();
	ASSERT_INT_EQ(input_mouse(in, &e), 0);
	ASSERT_INT_EQ(mouse(1 << 3 | 2, 5, 5), 0);
	ASSERT_INT_EQ(collect(r, 4, 2000), 4);
	EXPECT(r[0], XCB_KEY_PRESS, 37);
	EXPECT(r[1], XCB_BUTTON_PRESS, 1);
	ASSERT(r[1].state & XCB_MOD_MASK_CONTROL);
	EXPECT(r[2], XCB_KEY_RELEASE, 37);
	EXPECT(r[3], XCB_BUTTON_RELEASE, 1);
}

static void
test_refused(void)
{
	struct input_key_event bad_seq = { .mode = INPUT_KMODE_TRANSLATE,
		.down = true, .kind = INPUT_KEY_SEQ, .seq = "ab\xff",
		.seq_len = 3 };
	struct rec r[4];

	ASSERT(in != NULL);
	drain();
	ASSERT_INT_EQ(key(INPUT_KMODE_MAP, true, INPUT_KEY_CHR, 3, NULL, 0),
		OP_ERR_RANGE);
	ASSERT_INT_EQ(key(INPUT_KMODE_MAP, true, INPUT_KEY_CHR, 256, NULL,
			      0),
		OP_ERR_RANGE);
	ASSERT_INT_EQ(key(INPUT_KMODE_LEGACY, true, INPUT_KEY_CONTROL, 9999,
			      NULL, 0),
		OP_ERR_RANGE);
	ASSERT_INT_EQ(input_key(in, &bad_seq), OP_ERR_RANGE);
	ASSERT_INT_EQ(mouse(6, 10, 10), OP_ERR_RANGE);
	ASSERT_INT_EQ(mouse(0, W, 10), OP_ERR_RANGE);
	ASSERT_INT_EQ(mouse(0, -1, 10), OP_ERR_RANGE);
	ASSERT_INT_EQ(mouse(0, 10, 5000), OP_ERR_RANGE);
	ASSERT_INT_EQ(mouse(3, 0, 10000), OP_ERR_RANGE);
	ASSERT_INT_EQ(mouse(5, 1, 1), OP_ERR_RANGE);
	/* The marker is the first thing to arrive: nothing before it. */
	ASSERT_INT_EQ(mouse(0, 7, 9), 0);
	ASSERT_INT_EQ(collect(r, 1, 2000), 1);
	ASSERT_INT_EQ(r[0].type, XCB_MOTION_NOTIFY);
	ASSERT_INT_EQ(r[0].x, 7);
	ASSERT_INT_EQ(r[0].y, 9);
	ASSERT_INT_EQ(collect(r, 1, 200), 0);
	ASSERT_INT_EQ(input_held(in), 0);
}

static void
test_caps_sync(void)
{
	const int32_t caps[] = { INPUT_CK_CAPSLOCK };
	struct rec r[8];

	ASSERT(in != NULL);
	drain();
	ASSERT_INT_EQ(host_leds() & 1, 0);
	ASSERT_INT_EQ(key(INPUT_KMODE_MAP, true, INPUT_KEY_CHR, 38, caps, 1),
		0);
	ASSERT_INT_EQ(collect(r, 6, 2000), 6);
	EXPECT(r[0], XCB_KEY_PRESS, 66);
	EXPECT(r[1], XCB_KEY_RELEASE, 66);
	EXPECT(r[2], XCB_KEY_PRESS, 38);
	ASSERT(r[2].state & XCB_MOD_MASK_LOCK); /* arrives as 'A' */
	EXPECT(r[3], XCB_KEY_RELEASE, 38);
	EXPECT(r[4], XCB_KEY_PRESS, 66);
	EXPECT(r[5], XCB_KEY_RELEASE, 66);
	ASSERT_INT_EQ(host_leds() & 1, 0);
	/* Without CapsLock in the event: no toggle, lowercase. */
	ASSERT_INT_EQ(key(INPUT_KMODE_MAP, true, INPUT_KEY_CHR, 38, NULL, 0),
		0);
	ASSERT_INT_EQ(collect(r, 2, 2000), 2);
	EXPECT(r[0], XCB_KEY_PRESS, 38);
	ASSERT_INT_EQ(r[0].state & XCB_MOD_MASK_LOCK, 0);
}

static void
test_release_all(void)
{
	const int32_t shift[] = { INPUT_CK_SHIFT };
	struct rec r[8];
	unsigned seen = 0;
	size_t n;

	ASSERT(in != NULL);
	drain();
	ASSERT_INT_EQ(key(INPUT_KMODE_MAP, true, INPUT_KEY_CHR, 50, NULL, 0),
		0);
	ASSERT_INT_EQ(key(INPUT_KMODE_LEGACY, true, INPUT_KEY_CONTROL,
			      INPUT_CK_CONTROL, shift, 1),
		0);
	ASSERT_INT_EQ(mouse(1 << 3 | 1, 50, 50), 0);
	ASSERT_INT_EQ(input_held(in), 3);
	ASSERT_INT_EQ(collect(r, 3, 2000), 3);
	EXPECT(r[0], XCB_KEY_PRESS, 50);
	EXPECT(r[1], XCB_KEY_PRESS, 37);
	EXPECT(r[2], XCB_BUTTON_PRESS, 1);
	input_release_all(in);
	ASSERT_INT_EQ(input_held(in), 0);
	n = collect(r, 3, 2000);
	ASSERT_INT_EQ(n, 3);
	for (size_t i = 0; i < n; i++) {
		if (r[i].type == XCB_KEY_RELEASE && r[i].detail == 50)
			seen |= 1;
		if (r[i].type == XCB_KEY_RELEASE && r[i].detail == 37)
			seen |= 2;
		if (r[i].type == XCB_BUTTON_RELEASE && r[i].detail == 1)
			seen |= 4;
	}
	ASSERT_INT_EQ(seen, 7);
	ASSERT_INT_EQ(collect(r, 1, 200), 0);
}

static void
test_speed(void)
{
	double t0, t1, t2;

	ASSERT(in != NULL);
	drain();
	t0 = now_ms();
	for (int i = 0; i < 10000; i++)
		ASSERT_INT_EQ(key(INPUT_KMODE_MAP, true, INPUT_KEY_CHR, 38,
				      NULL, 0),
			0);
	t1 = now_ms();
	for (int i = 0; i < 10000; i++)
		ASSERT_INT_EQ(mouse(0, i % W, (i / W) % H), 0);
	t2 = now_ms();
	printf("10000 key events (press+release each): %.1f ms (%.1f us "
	       "each)\n",
		t1 - t0, (t1 - t0) * 0.1);
	printf("10000 mouse moves: %.1f ms (%.1f us each)\n", t2 - t1,
		(t2 - t1) * 0.1);
	drain();
}

static void
cleanup(void)
{
	if (in != NULL)
		input_close(in);
	in = NULL;
	if (hx != NULL)
		xcb_disconnect(hx);
	th_xvfb_stop(&xv);
	rmdir(tmpdir);
}

int
main(void)
{
	char geom[32];
	int r;

	RUN(test_tables);
	RUN(test_utf8);
	RUN(test_plans);
	if (th_find_in_path("Xvfb") == NULL) {
		printf("SKIP: Xvfb is not installed\n");
		return 77;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/op-input-XXXXXX");
	snprintf(geom, sizeof(geom), "%dx%dx24", W, H);
	if (mkdtemp(tmpdir) == NULL || uv_loop_init(&loop) != 0) {
		perror("setup");
		return 1;
	}
	if (th_xvfb_start(&xv, tmpdir, geom, cookie) != 0 ||
		setup_window() != 0) {
		fprintf(stderr, "cannot start Xvfb\n");
		cleanup();
		return 1;
	}
	RUN(test_open);
	RUN(test_map_key);
	RUN(test_shifted_char);
	RUN(test_remapped_chars);
	RUN(test_ctrl_c);
	RUN(test_mouse);
	RUN(test_ctrl_click);
	RUN(test_refused);
	RUN(test_caps_sync);
	RUN(test_release_all);
	RUN(test_speed);
	cleanup();
	r = uv_loop_close(&loop);
	if (r != 0)
		return 1;
	return th_done();
}
