/* SPDX-License-Identifier: MIT */
/*
 * A session host for the full-session test under wine (issue 16): the
 * session module alone, without the daemon's policy, audit and monitor
 * (wine-daemon.py tests those through outpost.exe run): direct access on
 * 127.0.0.1, every login granted keyboard, mouse and clipboard once its
 * password is right. The screen is wine's desktop through the capture
 * module's default backend (DXGI, falling back to GDI), input goes
 * through SendInput, the clipboard is the Win32 one.
 *
 * File-transfer sessions get SHARE (a directory, as "share", both ways);
 * terminal sessions cmd.exe as this process's account, on ConPTY with
 * outpost-term-shim.exe beside this program.
 *
 * With DEVICE, desktop sessions get audio from that WASAPI capture
 * endpoint (under wine a sound server's "Monitor of <sink>": wine has no
 * loopback).
 *
 * Usage: session-host-win.exe SESSIONS SHARE [DEVICE]. The password is
 * the first line of stdin (never argv). Prints "READY <port>" once it
 * listens, then
 * "CHAR <code>" for each WM_CHAR its full-screen window receives and
 * "CLIP <utf-8>" when the clipboard's text changes, and exits 0 after
 * SESSIONS sessions have closed (2 after 180 s).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "capture/capture.h"
#include "clipboard/clipboard.h"
#include "core/log.h"
#include "crypto/identity.h"
#include "crypto/password.h"
#include "input/input.h"
#include "net/listener.h"
#include "net/stream.h"
#include "policy/policy.h"
#include "session/session.h"
#include "term/term.h"
#include "th-win.h"
#include "xfer/xfer.h"

#define MAX_LIVE 16

static uv_loop_t loop;
static struct capture *screen;
static struct session *live[MAX_LIVE];
static int closed_left;
static struct identity_key key;
static struct session_creds creds;
static struct listener *lst;
static uv_timer_t pump_timer, deadline;
static HWND win;
static int win_w, win_h;
static WCHAR last_clip[512];
static struct xfer_root share_root = { .name = "share" };
static const struct xfer_config files = {
	.allow = XFER_ALLOW_DOWNLOAD | XFER_ALLOW_UPLOAD,
	.roots = &share_root,
	.nroots = 1,
	.overwrite_detection = true,
};
static const char *audio_device; /* NULL: no audio */
static struct term_account account;
/* Every process under wine is elevated: without allow_root the open is
 * refused (fail closed; unit-term-win tests that refusal). */
static struct session_term_cfg terminal = {
	.account = &account,
	.allow_root = true,
	.max_terminals = 4,
};

/* Vertical gradients above, colour blocks below: edges on even pixels so
 * 4:2:0 keeps them. */
static void
paint(HDC dc)
{
	static const COLORREF pal[6] = { RGB(220, 40, 40), RGB(30, 160, 60),
		RGB(40, 60, 220), RGB(240, 220, 40), RGB(20, 200, 200),
		RGB(230, 230, 230) };

	for (int y = 0; y < win_h / 2; y += 8) {
		RECT r = { 0, y, win_w, y + 8 };
		HBRUSH b = CreateSolidBrush(RGB(y * 255 / (win_h / 2), 90,
			255 - y * 255 / (win_h / 2)));

		FillRect(dc, &r, b);
		DeleteObject(b);
	}
	for (int y = win_h / 2; y < win_h; y += 64)
		for (int x = 0; x < win_w; x += 64) {
			RECT r = { x, y, x + 64, y + 64 };
			HBRUSH b = CreateSolidBrush(pal[(x / 64 + y / 64) % 6]);

			FillRect(dc, &r, b);
			DeleteObject(b);
		}
}

static LRESULT CALLBACK
wndproc(HWND hw, UINT msg, WPARAM wp, LPARAM lp)
{
	PAINTSTRUCT ps;

	switch (msg) {
	case WM_ERASEBKGND:
		return 1;
	case WM_PAINT:
		paint(BeginPaint(hw, &ps));
		EndPaint(hw, &ps);
		return 0;
	case WM_CHAR:
		printf("CHAR %u\n", (unsigned)wp);
		fflush(stdout);
		return 0;
	}
	return DefWindowProcW(hw, msg, wp, lp);
}

/* The clipboard's text, when it changed since last time. */
static void
watch_clipboard(void)
{
	WCHAR now[512] = { 0 };
	char utf8[1024];
	HANDLE h;
	const WCHAR *p;

	if (!OpenClipboard(NULL))
		return;
	h = GetClipboardData(CF_UNICODETEXT);
	if (h != NULL && (p = GlobalLock(h)) != NULL) {
		wcsncpy(now, p, 511);
		GlobalUnlock(h);
	}
	CloseClipboard();
	if (wcscmp(now, last_clip) == 0)
		return;
	memcpy(last_clip, now, sizeof(now));
	if (WideCharToMultiByte(CP_UTF8, 0, now, -1, utf8, sizeof(utf8), NULL,
		    NULL) > 0) {
		printf("CLIP %s\n", utf8);
		fflush(stdout);
	}
}

/* The window lives on this thread: its messages are pumped between the
 * loop's events. */
static void
on_pump(uv_timer_t *t)
{
	MSG m;

	(void)t;
	while (PeekMessageW(&m, NULL, 0, 0, PM_REMOVE)) {
		TranslateMessage(&m);
		DispatchMessageW(&m);
	}
	watch_clipboard();
}

static void
on_deadline(uv_timer_t *t)
{
	(void)t;
	fprintf(stderr, "session-host: deadline reached\n");
	exit(2);
}

static void
on_screen(void *arg, struct capture *c, unsigned mask)
{
	(void)arg;
	for (int i = 0; i < MAX_LIVE; i++)
		if (live[i] != NULL)
			session_screen_event(live[i], c, mask);
}

static void
hook_authorize(void *arg, struct session *s, const struct session_info *info,
	const char *method, void (*done)(struct session *s, bool ok,
				    const struct session_grant *g))
{
	struct input *in = NULL;
	struct clipboard *cb = NULL;
	char err[256];
	struct session_grant g = {
		.permissions = POLICY_PERM_KEYBOARD | POLICY_PERM_CLIPBOARD |
			(audio_device != NULL ? POLICY_PERM_AUDIO : 0),
		.screen = screen,
		.clipboard_to_host = true,
		.clipboard_to_client = true,
		.audio_device = audio_device,
		.no_audio = audio_device != NULL ? NULL :
						   "no audio device given",
		.files = &files,
		.terminal = &terminal,
	};

	(void)arg;
	fprintf(stderr, "session-host: %s authorized by %s\n", info->peer_id,
		method);
	if (input_open(&loop, "win", NULL, NULL, &in, err, sizeof(err)) != 0)
		fprintf(stderr, "session-host: no input: %s\n", err);
	if (clipboard_open(&loop, "win", NULL, NULL, SESSION_CLIP_MAX_DEFAULT,
		    NULL, NULL, &cb, err, sizeof(err)) != 0)
		fprintf(stderr, "session-host: no clipboard: %s\n", err);
	g.input = in;
	g.clipboard = cb;
	done(s, true, &g);
}

static void
hook_closed(void *arg, struct session *s, bool was_authorized,
	const char *reason)
{
	(void)arg;
	for (int i = 0; i < MAX_LIVE; i++)
		if (live[i] == s)
			live[i] = NULL;
	fprintf(stderr, "session-host: closed (%s, %s)\n",
		was_authorized ? "authorized" : "not authorized",
		reason != NULL ? reason : "-");
	if (--closed_left == 0) {
		listener_stop(lst);
		uv_stop(&loop);
	}
}

static const struct session_hooks hooks = {
	.authorize = hook_authorize,
	.closed = hook_closed,
};

static void
on_conn(void *arg, struct stream *s, enum conn_path path, bool secure,
	const struct sockaddr_storage *peer, const struct sockaddr_storage *via)
{
	static const struct session_env env_tmpl = {
		.loop = &loop,
		.key = &key,
		.id = "123456789",
		.version = "1.3.0",
		.hostname = "wine-host",
		.username = "",
		.creds = &creds,
		.handshake_timeout_ms = 18000,
		.login_timeout_ms = 60000,
		.idle_timeout_ms = 30000,
		.video_max_fps = 30,
		.hooks = &hooks,
	};
	struct session *ss;
	int i;

	(void)arg;
	for (i = 0; i < MAX_LIVE && live[i] != NULL; i++)
		;
	if (i == MAX_LIVE) {
		stream_close(s, NULL);
		return;
	}
	ss = session_start(&env_tmpl, s, path, secure, peer, via);
	if (ss != NULL)
		live[i] = ss;
}

/* The password from stdin's first line, as h1 with a fresh salt. */
static int
read_password(void)
{
	char pw[128];
	size_t n;

	if (fgets(pw, sizeof(pw), stdin) == NULL)
		return -1;
	n = strcspn(pw, "\r\n");
	pw[n] = '\0';
	if (password_check_text(pw, n) != 0)
		return -1;
	password_gen_salt(creds.s.salt);
	password_h1(pw, n, creds.s.salt, creds.s.h1);
	creds.s.has_h1 = true;
	creds.allow_permanent = true;
	memset(pw, 0, sizeof(pw));
	return 0;
}

int
main(int argc, char **argv)
{
	char err[256];
	int r;

	char user[128];
	DWORD ulen = sizeof(user);

	if (argc < 3 || argc > 4 || (closed_left = atoi(argv[1])) <= 0) {
		fprintf(stderr,
			"usage: session-host-win SESSIONS SHARE [DEVICE]\n");
		return 64;
	}
	share_root.path = argv[2];
	audio_device = argc == 4 ? argv[3] : NULL;
	if (!GetUserNameA(user, &ulen) ||
		term_account_lookup(user, NULL, &account) != 0) {
		fprintf(stderr, "session-host: cannot look up our account\n");
		return 1;
	}
	terminal.user = account.name;
	op_log_init("session-host", OP_LOG_INFO, OP_LOG_STDERR);
	if (identity_crypto_init() != 0 || read_password() != 0) {
		fprintf(stderr, "session-host: no usable password on stdin\n");
		return 1;
	}
	identity_generate(&key);
	win_w = GetSystemMetrics(SM_CXSCREEN);
	win_h = GetSystemMetrics(SM_CYSCREEN);
	if ((win = thw_window("OutpostSessionHost", 0, 0, win_w, win_h,
		     wndproc)) == NULL)
		return 1;
	uv_loop_init(&loop);
	if ((r = capture_open(&loop, NULL, NULL, NULL, on_screen, NULL, &screen,
		     err, sizeof(err))) != 0) {
		fprintf(stderr, "session-host: capture: %s\n", err);
		return 1;
	}
	fprintf(stderr, "session-host: capture backend %s\n",
		capture_backend_name(screen));
	if ((r = listener_start(&loop, "127.0.0.1", 0, on_conn, NULL,
		     &lst)) != 0) {
		fprintf(stderr, "session-host: listen: %d\n", r);
		return 1;
	}
	uv_timer_init(&loop, &pump_timer);
	uv_timer_start(&pump_timer, on_pump, 0, 10);
	uv_timer_init(&loop, &deadline);
	uv_timer_start(&deadline, on_deadline, 180000, 0);
	uv_unref((uv_handle_t *)&deadline);
	printf("READY %u\n", (unsigned)listener_port(lst));
	fflush(stdout);
	uv_run(&loop, UV_RUN_DEFAULT);
	capture_close(screen);
	identity_wipe(&key);
	return 0;
}
