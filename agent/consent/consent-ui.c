/* SPDX-License-Identifier: MIT */
/*
 * The consent window, drawn with the X core protocol through xcb: no
 * toolkit, the core font "fixed", two drawn buttons. It runs in its own
 * process as the desktop user (consent.c starts it) and answers with one
 * line on stdout.
 *
 * What it must not do: answer "allow" for anything but a real click on
 * Allow. Synthetic events (XSendEvent, flag 0x80) may deny but never
 * allow; clicks in the first CONSENT_ARM_MS are ignored; no key allows
 * (Escape denies). Closing or destroying the window denies; a broken X
 * connection prints nothing and exits CONSENT_EXIT_XLOST, which the
 * daemon turns into a denial.
 */
#include "consent/consent-prompt.h"

#include <dirent.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <xcb/xcb.h>

#include "xconn/xconn.h"

#define MARGIN 14
#define HEADER_H 30
#define LABEL_COLS 14
#define XK_ESCAPE 0xff1bU
#define MAX_ESC 8

enum answer { ANSWER_NONE, ANSWER_ALLOW, ANSWER_DENY };

enum atom_id {
	A_WM_PROTOCOLS,
	A_WM_DELETE_WINDOW,
	A_NET_WM_NAME,
	A_UTF8_STRING,
	A_NET_WM_WINDOW_TYPE,
	A_NET_WM_WINDOW_TYPE_DIALOG,
	A_NET_WM_STATE,
	A_NET_WM_STATE_ABOVE,
	A_BUTTONS,
	A_COUNT
};

static const char *const atom_names[A_COUNT] = {
	"WM_PROTOCOLS",
	"WM_DELETE_WINDOW",
	"_NET_WM_NAME",
	"UTF8_STRING",
	"_NET_WM_WINDOW_TYPE",
	"_NET_WM_WINDOW_TYPE_DIALOG",
	"_NET_WM_STATE",
	"_NET_WM_STATE_ABOVE",
	"_OUTPOST_CONSENT_BUTTONS",
};

struct ui {
	xcb_connection_t *conn;
	xcb_screen_t *screen;
	xcb_window_t win;
	xcb_gcontext_t gc;
	xcb_atom_t atom[A_COUNT];
	uint32_t px_bg;
	uint32_t px_fg;
	uint32_t px_header;
	uint32_t px_white;
	uint32_t px_allow;
	uint32_t px_deny;
	uint32_t px_border;
	int char_w;
	int ascent;
	int line_h;
	xcb_keycode_t esc[MAX_ESC];
	int nesc;
	const struct consent_prompt *p;
	uint64_t armed_at; /* 0 until the first Expose */
	enum consent_button pressed;
	enum answer answer;
	long shown_secs;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

/*
 * UTF-8 (already sanitized) to the ISO 8859-1 bytes the core font draws:
 * characters above U+00FF become '?'. At most cols characters; a longer
 * text ends in "...". Returns the byte count written to out (no NUL).
 */
static size_t
to_latin1(const char *s, char *out, size_t cols)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 0;
	size_t total = 0;

	for (const unsigned char *q = u; *q; q++)
		if ((*q & 0xc0) != 0x80)
			total++;
	while (*u && n < cols) {
		uint32_t cp;
		size_t len;

		if (total > cols && n + 3 >= cols) {
			memcpy(out + n, "...", 3);
			return n + 3;
		}
		if (u[0] < 0x80) {
			cp = u[0];
			len = 1;
		} else if ((u[0] & 0xe0) == 0xc0 && u[1]) {
			cp = ((uint32_t)(u[0] & 0x1f) << 6) | (u[1] & 0x3fU);
			len = 2;
		} else {
			cp = '?';
			len = 1;
			while (u[len] && (u[len] & 0xc0) == 0x80)
				len++;
		}
		out[n++] = (char)(cp >= 0x20 && cp != 0x7f && cp <= 0xff &&
					 !(cp >= 0x80 && cp < 0xa0) ?
				cp :
				'?');
		u += len;
	}
	return n;
}

static void
set_color(struct ui *ui, uint32_t fg, uint32_t bg)
{
	uint32_t v[2] = { fg, bg };

	xcb_change_gc(ui->conn, ui->gc, XCB_GC_FOREGROUND | XCB_GC_BACKGROUND,
		v);
}

static void
fill(struct ui *ui, uint32_t px, int x, int y, int w, int h)
{
	xcb_rectangle_t r = { (int16_t)x, (int16_t)y, (uint16_t)w,
		(uint16_t)h };

	set_color(ui, px, px);
	xcb_poly_fill_rectangle(ui->conn, ui->win, ui->gc, 1, &r);
}

/* Draws text (UTF-8) at x, baseline of row y, cut to the window. */
static void
text(struct ui *ui, int x, int y, const char *s, uint32_t fg, uint32_t bg)
{
	char buf[256];
	int cols = (CONSENT_WIN_W - MARGIN - x) / ui->char_w;
	size_t n;

	if (cols <= 0)
		return;
	n = to_latin1(s, buf, (size_t)cols < sizeof(buf) ? (size_t)cols :
							     sizeof(buf) - 1);
	set_color(ui, fg, bg);
	xcb_image_text_8(ui->conn, (uint8_t)n, ui->win, ui->gc, (int16_t)x,
		(int16_t)y, buf);
}

static void
draw_button(struct ui *ui, int x, const char *label, uint32_t px)
{
	xcb_rectangle_t r = { (int16_t)x, (int16_t)CONSENT_BTN_Y,
		(uint16_t)(CONSENT_BTN_W - 1), (uint16_t)(CONSENT_BTN_H - 1) };
	int tw = (int)strlen(label) * ui->char_w;

	fill(ui, px, x, CONSENT_BTN_Y, CONSENT_BTN_W, CONSENT_BTN_H);
	set_color(ui, ui->px_border, px);
	xcb_poly_rectangle(ui->conn, ui->win, ui->gc, 1, &r);
	text(ui, x + (CONSENT_BTN_W - tw) / 2,
		CONSENT_BTN_Y + (CONSENT_BTN_H + ui->ascent) / 2 - 1, label,
		ui->px_white, px);
}

static long
remaining_secs(uint64_t deadline)
{
	uint64_t now = now_ms();

	return now >= deadline ? 0 : (long)((deadline - now + 999) / 1000);
}

static void
draw_countdown(struct ui *ui, long secs)
{
	char line[96];
	int y = CONSENT_BTN_Y - 10;

	snprintf(line, sizeof(line),
		"No answer in %ld s means Deny.        ", secs);
	fill(ui, ui->px_bg, MARGIN, y - ui->ascent, CONSENT_WIN_W - 2 * MARGIN,
		ui->line_h);
	text(ui, MARGIN, y, line, ui->px_fg, ui->px_bg);
	ui->shown_secs = secs;
}

static void
draw(struct ui *ui, long secs)
{
	const struct consent_prompt *p = ui->p;
	const char *label[] = { "Peer ID:", "Name:", "From:", "Access:",
		"Permissions:" };
	const char *value[] = { p->peer_id, p->peer_name, p->source, p->kind,
		p->permissions };
	int y = HEADER_H + MARGIN + ui->ascent;
	int vx = MARGIN + LABEL_COLS * ui->char_w;

	fill(ui, ui->px_bg, 0, 0, CONSENT_WIN_W, CONSENT_WIN_H);
	fill(ui, ui->px_header, 0, 0, CONSENT_WIN_W, HEADER_H);
	text(ui, MARGIN, (HEADER_H + ui->ascent) / 2, "Remote access request",
		ui->px_white, ui->px_header);
	text(ui, MARGIN, y, "A remote technician asks to connect to this "
			    "computer.",
		ui->px_fg, ui->px_bg);
	y += ui->line_h + 4;
	for (size_t i = 0; i < sizeof(label) / sizeof(label[0]); i++) {
		text(ui, MARGIN, y, label[i], ui->px_fg, ui->px_bg);
		text(ui, vx, y, value[i][0] ? value[i] : "-", ui->px_fg,
			ui->px_bg);
		y += ui->line_h;
	}
	draw_countdown(ui, secs);
	draw_button(ui, CONSENT_BTN_DENY_X, "Deny", ui->px_deny);
	draw_button(ui, CONSENT_BTN_ALLOW_X, "Allow", ui->px_allow);
}

/* A press arms a button; the release over the same button decides. */
static void
on_button(struct ui *ui, const xcb_button_press_event_t *e, bool press)
{
	bool synthetic = (e->response_type & 0x80) != 0;
	enum consent_button b = consent_prompt_hit(e->event_x, e->event_y);

	if (e->detail != 1 || ui->armed_at == 0 || now_ms() < ui->armed_at)
		return;
	b = consent_prompt_click(&ui->pressed, b, press);
	if (b == CONSENT_BUTTON_DENY)
		ui->answer = ANSWER_DENY;
	else if (b == CONSENT_BUTTON_ALLOW && !synthetic)
		ui->answer = ANSWER_ALLOW; /* only a real pointer may allow */
}

static void
on_key(struct ui *ui, const xcb_key_press_event_t *e)
{
	for (int i = 0; i < ui->nesc; i++)
		if (e->detail == ui->esc[i])
			ui->answer = ANSWER_DENY;
}

static void
handle_event(struct ui *ui, xcb_generic_event_t *ev, uint64_t deadline)
{
	switch (ev->response_type & 0x7f) {
	case XCB_EXPOSE:
		if (((xcb_expose_event_t *)ev)->count != 0)
			break;
		if (ui->armed_at == 0) {
			ui->armed_at = now_ms() + CONSENT_ARM_MS;
			/* Focus for Escape; harmless if refused. */
			xcb_set_input_focus(ui->conn,
				XCB_INPUT_FOCUS_POINTER_ROOT, ui->win,
				XCB_CURRENT_TIME);
		}
		draw(ui, remaining_secs(deadline));
		break;
	case XCB_BUTTON_PRESS:
		on_button(ui, (xcb_button_press_event_t *)ev, true);
		break;
	case XCB_BUTTON_RELEASE:
		on_button(ui, (xcb_button_press_event_t *)ev, false);
		break;
	case XCB_KEY_PRESS:
		on_key(ui, (xcb_key_press_event_t *)ev);
		break;
	case XCB_CLIENT_MESSAGE: {
		xcb_client_message_event_t *cm = (void *)ev;

		if (cm->type == ui->atom[A_WM_PROTOCOLS] && cm->format == 32 &&
			cm->data.data32[0] == ui->atom[A_WM_DELETE_WINDOW])
			ui->answer = ANSWER_DENY;
		break;
	}
	case XCB_DESTROY_NOTIFY:
		if (((xcb_destroy_notify_event_t *)ev)->window == ui->win)
			ui->answer = ANSWER_DENY;
		break;
	default:
		break; /* X errors (type 0) included: not fatal here */
	}
}

static uint32_t
alloc_color(struct ui *ui, uint32_t rgb, uint32_t fallback)
{
	xcb_alloc_color_reply_t *r = xcb_alloc_color_reply(ui->conn,
		xcb_alloc_color(ui->conn, ui->screen->default_colormap,
			(uint16_t)(((rgb >> 16) & 0xff) * 257),
			(uint16_t)(((rgb >> 8) & 0xff) * 257),
			(uint16_t)((rgb & 0xff) * 257)),
		NULL);
	uint32_t px = r ? r->pixel : fallback;

	free(r);
	return px;
}

static void
find_escape(struct ui *ui)
{
	const xcb_setup_t *setup = xcb_get_setup(ui->conn);
	uint8_t min = setup->min_keycode;
	uint8_t count = (uint8_t)(setup->max_keycode - min + 1);
	xcb_get_keyboard_mapping_reply_t *r = xcb_get_keyboard_mapping_reply(
		ui->conn, xcb_get_keyboard_mapping(ui->conn, min, count),
		NULL);
	xcb_keysym_t *syms;
	int per;

	if (r == NULL)
		return;
	syms = xcb_get_keyboard_mapping_keysyms(r);
	per = r->keysyms_per_keycode;
	/* count * per keysyms must be in what the server sent. */
	if (!xconn_reply_fits(r, sizeof(*r), (uint64_t)count * (unsigned)per *
			4)) {
		free(r);
		return;
	}
	for (int k = 0; k < count && ui->nesc < MAX_ESC; k++)
		for (int j = 0; j < per; j++)
			if (syms[k * per + j] == XK_ESCAPE) {
				ui->esc[ui->nesc++] = (xcb_keycode_t)(min + k);
				break;
			}
	free(r);
}

static void
intern_atoms(struct ui *ui)
{
	xcb_intern_atom_cookie_t ck[A_COUNT];

	for (int i = 0; i < A_COUNT; i++)
		ck[i] = xcb_intern_atom(ui->conn, 0,
			(uint16_t)strlen(atom_names[i]), atom_names[i]);
	for (int i = 0; i < A_COUNT; i++) {
		xcb_intern_atom_reply_t *r = xcb_intern_atom_reply(ui->conn,
			ck[i], NULL);

		ui->atom[i] = r ? r->atom : XCB_ATOM_NONE;
		free(r);
	}
}

static void
prop(struct ui *ui, xcb_atom_t name, xcb_atom_t type, uint8_t format,
	uint32_t n, const void *data)
{
	if (name == XCB_ATOM_NONE || type == XCB_ATOM_NONE)
		return;
	xcb_change_property(ui->conn, XCB_PROP_MODE_REPLACE, ui->win, name,
		type, format, n, data);
}

static void
set_properties(struct ui *ui, int x, int y)
{
	static const char title[] = CONSENT_WIN_TITLE;
	static const char wm_class[] = "outpost-consent\0Outpost";
	char buttons[96];
	/* WM_SIZE_HINTS: flags US/P position and size, min = max size. */
	uint32_t hints[18] = { 1 | 2 | 4 | 8 | 16 | 32, (uint32_t)x,
		(uint32_t)y, CONSENT_WIN_W, CONSENT_WIN_H, CONSENT_WIN_W,
		CONSENT_WIN_H, CONSENT_WIN_W, CONSENT_WIN_H };
	int bl = snprintf(buttons, sizeof(buttons),
		"allow %d %d %d %d\ndeny %d %d %d %d\n", CONSENT_BTN_ALLOW_X,
		CONSENT_BTN_Y, CONSENT_BTN_W, CONSENT_BTN_H,
		CONSENT_BTN_DENY_X, CONSENT_BTN_Y, CONSENT_BTN_W,
		CONSENT_BTN_H);

	prop(ui, XCB_ATOM_WM_NAME, XCB_ATOM_STRING, 8, sizeof(title) - 1,
		title);
	prop(ui, ui->atom[A_NET_WM_NAME], ui->atom[A_UTF8_STRING], 8,
		sizeof(title) - 1, title);
	prop(ui, XCB_ATOM_WM_CLASS, XCB_ATOM_STRING, 8, sizeof(wm_class),
		wm_class);
	prop(ui, ui->atom[A_WM_PROTOCOLS], XCB_ATOM_ATOM, 32, 1,
		&ui->atom[A_WM_DELETE_WINDOW]);
	prop(ui, XCB_ATOM_WM_NORMAL_HINTS, XCB_ATOM_WM_SIZE_HINTS, 32, 18,
		hints);
	prop(ui, ui->atom[A_NET_WM_WINDOW_TYPE], XCB_ATOM_ATOM, 32, 1,
		&ui->atom[A_NET_WM_WINDOW_TYPE_DIALOG]);
	prop(ui, ui->atom[A_NET_WM_STATE], XCB_ATOM_ATOM, 32, 1,
		&ui->atom[A_NET_WM_STATE_ABOVE]);
	prop(ui, ui->atom[A_BUTTONS], XCB_ATOM_STRING, 8, (uint32_t)bl,
		buttons);
}

/* One connection attempt with a cookie file, read the careful way
 * (xconn: no FIFO, no symlink, a regular file of this user, bounded), or
 * with no cookie at all (xauth NULL): an empty auth name also keeps
 * libxcb from opening $XAUTHORITY itself. */
static xcb_connection_t *
try_connect(const char *xauth, int *screen_num, bool say)
{
	xcb_auth_info_t none = { 0, NULL, 0, NULL };
	xcb_connection_t *c = NULL;
	char err[256];

	if (xauth == NULL) {
		c = xcb_connect_to_display_with_auth_info(NULL, &none,
			screen_num);
		if (!xcb_connection_has_error(c) &&
			xconn_setup_valid(xcb_get_setup(c)))
			return c;
		xcb_disconnect(c);
		return NULL;
	}
	if (xconn_open(NULL, xauth, &c, screen_num, err, sizeof(err)) == 0)
		return c;
	if (c != NULL)
		xcb_disconnect(c);
	if (say)
		fprintf(stderr, "consent: %s\n", err);
	return NULL;
}

/*
 * Tries $XAUTHORITY (the session's, which the daemon passed on), else the
 * places display managers use, as this user. Every file goes through
 * xconn's checked reader rather than libXau's plain open: the path came
 * from the session's environment, and a FIFO there must not hang us.
 */
static xcb_connection_t *
connect_display(int *screen_num)
{
	char cand[4][300];
	int nc = 0;
	const char *home = getenv("HOME");
	const char *xa = getenv("XAUTHORITY");
	char rundir[64];
	DIR *d;
	xcb_connection_t *c;

	if (xa != NULL && xa[0] != '\0') {
		snprintf(cand[nc++], sizeof(cand[0]), "%.299s", xa);
	} else {
		snprintf(rundir, sizeof(rundir), "/run/user/%u",
			(unsigned)getuid());
		snprintf(cand[nc++], sizeof(cand[0]), "%s/gdm/Xauthority",
			rundir);
		if (home != NULL && home[0] == '/' && strlen(home) < 256)
			snprintf(cand[nc++], sizeof(cand[0]), "%s/.Xauthority",
				home);
		if ((d = opendir(rundir)) != NULL) {
			struct dirent *de;

			while ((de = readdir(d)) != NULL && nc < 4)
				if (strncmp(de->d_name,
					    ".mutter-Xwaylandauth.", 21) == 0)
					snprintf(cand[nc++], sizeof(cand[0]),
						"%s/%.200s", rundir,
						de->d_name);
			closedir(d);
		}
	}
	/* A server that lost its last client resets and refuses
	 * connections for a moment: try for up to a second. */
	for (int i = 0; i < 5; i++) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };

		for (int k = 0; k < nc; k++)
			if (access(cand[k], F_OK) == 0 &&
				(c = try_connect(cand[k], screen_num, i == 4)) !=
					NULL)
				return c;
		/* No usable cookie file: a server without access
		 * control. */
		if ((c = try_connect(NULL, screen_num, false)) != NULL)
			return c;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static int
setup(struct ui *ui, int screen_num)
{
	xcb_screen_iterator_t it = xcb_setup_roots_iterator(
		xcb_get_setup(ui->conn));
	xcb_font_t font = xcb_generate_id(ui->conn);
	xcb_query_font_reply_t *qf;
	uint32_t v[3];
	int x;
	int y;

	for (int i = 0; i < screen_num && it.rem; i++)
		xcb_screen_next(&it);
	if (!it.rem)
		return -1;
	ui->screen = it.data;
	intern_atoms(ui);
	ui->px_fg = ui->screen->black_pixel;
	ui->px_white = ui->screen->white_pixel;
	ui->px_bg = alloc_color(ui, 0xf4f4f2, ui->screen->white_pixel);
	ui->px_header = alloc_color(ui, 0x24466e, ui->screen->black_pixel);
	ui->px_allow = alloc_color(ui, 0x2e7d32, ui->screen->black_pixel);
	ui->px_deny = alloc_color(ui, 0x8a1c1c, ui->screen->black_pixel);
	ui->px_border = alloc_color(ui, 0x303030, ui->screen->black_pixel);
	if (xcb_request_check(ui->conn,
		    xcb_open_font_checked(ui->conn, font, 5, "fixed")) != NULL)
		return -1;
	qf = xcb_query_font_reply(ui->conn, xcb_query_font(ui->conn, font),
		NULL);
	/* 60 bytes of fixed fields: more than a reply of length 0 holds. */
	if (qf != NULL && !xconn_reply_fits(qf, sizeof(*qf), 0)) {
		free(qf);
		qf = NULL;
	}
	ui->char_w = qf && qf->max_bounds.character_width > 0 ?
		qf->max_bounds.character_width :
		6;
	ui->ascent = qf && qf->font_ascent > 0 ? qf->font_ascent : 10;
	ui->line_h = ui->ascent + (qf ? qf->font_descent : 3) + 3;
	free(qf);
	find_escape(ui);

	ui->gc = xcb_generate_id(ui->conn);
	v[0] = ui->px_fg;
	v[1] = font;
	v[2] = 0;
	xcb_create_gc(ui->conn, ui->gc, ui->screen->root,
		XCB_GC_FOREGROUND | XCB_GC_FONT | XCB_GC_GRAPHICS_EXPOSURES, v);
	xcb_close_font(ui->conn, font);

	x = (ui->screen->width_in_pixels - CONSENT_WIN_W) / 2;
	y = (ui->screen->height_in_pixels - CONSENT_WIN_H) / 3;
	x = x < 0 ? 0 : x;
	y = y < 0 ? 0 : y;
	ui->win = xcb_generate_id(ui->conn);
	v[0] = ui->px_bg;
	v[1] = XCB_EVENT_MASK_EXPOSURE | XCB_EVENT_MASK_BUTTON_PRESS |
		XCB_EVENT_MASK_BUTTON_RELEASE | XCB_EVENT_MASK_KEY_PRESS |
		XCB_EVENT_MASK_STRUCTURE_NOTIFY;
	xcb_create_window(ui->conn, XCB_COPY_FROM_PARENT, ui->win,
		ui->screen->root, (int16_t)x, (int16_t)y, CONSENT_WIN_W,
		CONSENT_WIN_H, 1, XCB_WINDOW_CLASS_INPUT_OUTPUT,
		ui->screen->root_visual,
		XCB_CW_BACK_PIXEL | XCB_CW_EVENT_MASK, v);
	set_properties(ui, x, y);
	xcb_map_window(ui->conn, ui->win);
	xcb_flush(ui->conn);
	return xcb_connection_has_error(ui->conn) ? -1 : 0;
}

static int
finish(const char *answer)
{
	if (printf("%s\n", answer) < 0 || fflush(stdout) != 0)
		return CONSENT_EXIT_XLOST; /* nobody to tell */
	return CONSENT_EXIT_OK;
}

int
consent_prompt_run(const struct consent_prompt *p)
{
	struct ui ui;
	uint64_t deadline;
	int screen_num = 0;
	int rc = CONSENT_EXIT_XLOST;

	/* No new privileges, no core dumps, no ptrace by other processes
	 * of this user (consent.c sets the first before exec as well). */
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L);
	(void)prctl(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L);
	memset(&ui, 0, sizeof(ui));
	ui.p = p;
	ui.shown_secs = -1;
	deadline = now_ms() + (uint64_t)(p->timeout_s ? p->timeout_s : 30) *
		1000U;
	ui.conn = connect_display(&screen_num);
	if (ui.conn == NULL || xcb_connection_has_error(ui.conn)) {
		const char *d = getenv("DISPLAY");

		fprintf(stderr, "cannot open display %.64s\n",
			d ? d : "(unset)");
		if (ui.conn != NULL)
			xcb_disconnect(ui.conn);
		return CONSENT_EXIT_NODISPLAY;
	}
	if (setup(&ui, screen_num) != 0) {
		fprintf(stderr, "cannot create the window\n");
		xcb_disconnect(ui.conn);
		return CONSENT_EXIT_XLOST;
	}
	for (;;) {
		xcb_generic_event_t *ev;
		struct pollfd pfd;
		uint64_t now;
		long secs;
		int wait;

		while (ui.answer == ANSWER_NONE &&
			(ev = xcb_poll_for_event(ui.conn)) != NULL) {
			handle_event(&ui, ev, deadline);
			free(ev);
		}
		if (ui.answer != ANSWER_NONE) {
			rc = finish(ui.answer == ANSWER_ALLOW ? "allow" :
								"deny");
			break;
		}
		if (xcb_connection_has_error(ui.conn)) {
			fprintf(stderr, "the X connection broke\n");
			rc = CONSENT_EXIT_XLOST;
			break;
		}
		now = now_ms();
		if (now >= deadline) {
			rc = finish("timeout");
			break;
		}
		secs = remaining_secs(deadline);
		if (ui.armed_at != 0 && secs != ui.shown_secs)
			draw_countdown(&ui, secs);
		xcb_flush(ui.conn);
		/* Wake at the next whole second of the countdown. */
		wait = (int)((deadline - now) % 1000U);
		pfd.fd = xcb_get_file_descriptor(ui.conn);
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, wait > 0 ? wait : 1000);
	}
	xcb_disconnect(ui.conn);
	return rc;
}
