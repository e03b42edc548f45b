/* SPDX-License-Identifier: MIT */
/*
 * The Windows consent window (`outpost.exe consent-prompt`): a plain
 * Win32 window drawn with GDI, texts and layout as the X one
 * (consent-ui.c). It runs in its own process in the console user's
 * session (consent-win.c starts it) and answers with one line on stdout.
 *
 * What it must not do: answer "allow" for anything but a real click on
 * Allow. Window messages carry no origin, and any process of the desktop
 * may post WM_LBUTTONUP or SendInput a click, so a low-level mouse hook
 * in this thread watches the button events with their LLMHF_INJECTED
 * flag: Allow needs a press and a release on it that the hook saw as not
 * injected, and that the window saw too. Anything may deny. Clicks in the
 * first CONSENT_ARM_MS are ignored; no key allows (Escape denies);
 * closing or destroying the window denies.
 */
#include "consent/consent-prompt.h"

#include <fcntl.h>
#include <io.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <windows.h>

#define MARGIN 14
#define HEADER_H 30
#define LABEL_W 100
#define LINE_H 18
#define FONT_PX 14
#define CLASS_NAME L"OutpostConsentPrompt"

#define RGB_BG RGB(0xf4, 0xf4, 0xf2)
#define RGB_FG RGB(0, 0, 0)
#define RGB_HEADER RGB(0x24, 0x46, 0x6e)
#define RGB_WHITE RGB(0xff, 0xff, 0xff)
#define RGB_ALLOW RGB(0x2e, 0x7d, 0x32)
#define RGB_DENY RGB(0x8a, 0x1c, 0x1c)
#define RGB_BORDER RGB(0x30, 0x30, 0x30)

enum answer { ANSWER_NONE, ANSWER_ALLOW, ANSWER_DENY };

/* Each shown text as UTF-16; a field's UTF-8 bytes bound its length. */
struct wtexts {
	wchar_t peer_id[sizeof(((struct consent_prompt *)0)->peer_id)];
	wchar_t peer_name[sizeof(((struct consent_prompt *)0)->peer_name)];
	wchar_t source[sizeof(((struct consent_prompt *)0)->source)];
	wchar_t kind[sizeof(((struct consent_prompt *)0)->kind)];
	wchar_t permissions[sizeof(((struct consent_prompt *)0)->permissions)];
};

struct ui {
	HWND win;
	HHOOK hook;
	HFONT font;
	HFONT bold;
	struct wtexts t;
	ULONGLONG deadline;
	ULONGLONG armed_at; /* 0 until the first WM_PAINT */
	enum consent_button pressed; /* what the window saw pressed */
	/* The hook's view: a real press on Allow, then a real release on
	 * it; any injected button event clears both. */
	bool ll_down_allow;
	bool ll_real_allow;
	enum answer answer;
	long shown_secs;
};

/* One prompt per process: the hook procedure has no context pointer. */
static struct ui *g_ui;

static long
remaining_secs(const struct ui *ui)
{
	ULONGLONG now = GetTickCount64();

	return now >= ui->deadline ? 0 :
				     (long)((ui->deadline - now + 999) / 1000);
}

/* UTF-8 (sanitized by consent_prompt_set) to UTF-16; "-" when empty or
 * not convertible. */
static void
widen(const char *s, wchar_t *out, int cap)
{
	int n = 0;

	if (s[0] != '\0')
		n = MultiByteToWideChar(CP_UTF8, 0, s, -1, out, cap);
	if (n <= 0)
		wcscpy(out, L"-");
	out[cap - 1] = L'\0';
}

static void
fill(HDC dc, COLORREF c, int x, int y, int w, int h)
{
	RECT r = { x, y, x + w, y + h };

	SetBkColor(dc, c);
	ExtTextOutW(dc, 0, 0, ETO_OPAQUE, &r, NULL, 0, NULL);
}

/* One line of text in r, cut with "..." rather than wrapped; no '&'
 * prefixes. */
static void
text(HDC dc, const wchar_t *s, RECT r, COLORREF fg, UINT align)
{
	SetTextColor(dc, fg);
	SetBkMode(dc, TRANSPARENT);
	DrawTextW(dc, s, -1, &r,
		align | DT_SINGLELINE | DT_VCENTER | DT_NOPREFIX |
			DT_END_ELLIPSIS);
}

static void
draw_button(struct ui *ui, HDC dc, int x, const wchar_t *label, COLORREF c)
{
	RECT r = { x, CONSENT_BTN_Y, x + CONSENT_BTN_W,
		CONSENT_BTN_Y + CONSENT_BTN_H };
	HBRUSH border = CreateSolidBrush(RGB_BORDER);

	fill(dc, c, x, CONSENT_BTN_Y, CONSENT_BTN_W, CONSENT_BTN_H);
	if (border != NULL) {
		FrameRect(dc, &r, border);
		DeleteObject(border);
	}
	SelectObject(dc, ui->bold);
	text(dc, label, r, RGB_WHITE, DT_CENTER);
}

static void
countdown_rect(RECT *r)
{
	r->left = MARGIN;
	r->right = CONSENT_WIN_W - MARGIN;
	r->top = CONSENT_BTN_Y - 8 - LINE_H;
	r->bottom = CONSENT_BTN_Y - 8;
}

static void
draw(struct ui *ui, HDC dc)
{
	const wchar_t *label[] = { L"Peer ID:", L"Name:", L"From:",
		L"Access:", L"Permissions:" };
	const wchar_t *value[] = { ui->t.peer_id, ui->t.peer_name,
		ui->t.source, ui->t.kind, ui->t.permissions };
	wchar_t line[96];
	RECT r;
	int y = HEADER_H + MARGIN;
	long secs = remaining_secs(ui);

	fill(dc, RGB_BG, 0, 0, CONSENT_WIN_W, CONSENT_WIN_H);
	fill(dc, RGB_HEADER, 0, 0, CONSENT_WIN_W, HEADER_H);
	SelectObject(dc, ui->bold);
	r = (RECT){ MARGIN, 0, CONSENT_WIN_W - MARGIN, HEADER_H };
	text(dc, L"Remote access request", r, RGB_WHITE, DT_LEFT);
	SelectObject(dc, ui->font);
	r = (RECT){ MARGIN, y, CONSENT_WIN_W - MARGIN, y + LINE_H };
	text(dc, L"A remote technician asks to connect to this computer.",
		r, RGB_FG, DT_LEFT);
	y += LINE_H + 6;
	for (size_t i = 0; i < sizeof(label) / sizeof(label[0]); i++) {
		r = (RECT){ MARGIN, y, MARGIN + LABEL_W, y + LINE_H };
		text(dc, label[i], r, RGB_FG, DT_LEFT);
		r = (RECT){ MARGIN + LABEL_W, y, CONSENT_WIN_W - MARGIN,
			y + LINE_H };
		text(dc, value[i], r, RGB_FG, DT_LEFT);
		y += LINE_H;
	}
	countdown_rect(&r);
	swprintf(line, sizeof(line) / sizeof(line[0]),
		L"No answer in %ld s means Deny.", secs);
	text(dc, line, r, RGB_FG, DT_LEFT);
	ui->shown_secs = secs;
	draw_button(ui, dc, CONSENT_BTN_DENY_X, L"Deny", RGB_DENY);
	draw_button(ui, dc, CONSENT_BTN_ALLOW_X, L"Allow", RGB_ALLOW);
}

static bool
armed(const struct ui *ui)
{
	return ui->armed_at != 0 && GetTickCount64() >= ui->armed_at;
}

/*
 * The low-level hook runs in this thread (it pumps messages) before the
 * click reaches any window. It only records; the window decides. A real
 * press or release counts only over the Allow button of our window as
 * it is on screen (not covered by another).
 */
static LRESULT CALLBACK
mouse_hook(int code, WPARAM wp, LPARAM lp)
{
	const MSLLHOOKSTRUCT *m = (const MSLLHOOKSTRUCT *)lp;
	struct ui *ui = g_ui;

	if (code == HC_ACTION && ui != NULL && ui->win != NULL &&
		(wp == WM_LBUTTONDOWN || wp == WM_LBUTTONUP)) {
		POINT pt = m->pt;
		bool on_allow = false;

		if ((m->flags & (LLMHF_INJECTED | LLMHF_LOWER_IL_INJECTED)) ==
				0 &&
			WindowFromPoint(pt) == ui->win &&
			ScreenToClient(ui->win, &pt))
			on_allow = consent_prompt_hit(pt.x, pt.y) ==
				CONSENT_BUTTON_ALLOW;
		if (!on_allow) {
			ui->ll_down_allow = false;
			ui->ll_real_allow = false;
		} else if (wp == WM_LBUTTONDOWN) {
			ui->ll_down_allow = armed(ui);
			ui->ll_real_allow = false;
		} else {
			ui->ll_real_allow = ui->ll_down_allow;
			ui->ll_down_allow = false;
		}
	}
	return CallNextHookEx(NULL, code, wp, lp);
}

/* A press arms a button; the release over the same button decides. */
static void
on_button(struct ui *ui, LPARAM lp, bool press)
{
	enum consent_button b =
		consent_prompt_hit((short)LOWORD(lp), (short)HIWORD(lp));

	if (!armed(ui)) {
		ui->pressed = CONSENT_BUTTON_NONE;
		return;
	}
	b = consent_prompt_click(&ui->pressed, b, press);
	if (b == CONSENT_BUTTON_DENY)
		ui->answer = ANSWER_DENY;
	else if (b == CONSENT_BUTTON_ALLOW && ui->ll_real_allow)
		ui->answer = ANSWER_ALLOW; /* only a real pointer may allow */
	if (!press) /* each click needs the hook's own word on it */
		ui->ll_real_allow = false;
}

static LRESULT CALLBACK
wndproc(HWND w, UINT msg, WPARAM wp, LPARAM lp)
{
	struct ui *ui = g_ui;
	PAINTSTRUCT ps;
	HDC dc;

	if (ui == NULL)
		return DefWindowProcW(w, msg, wp, lp);
	switch (msg) {
	case WM_PAINT:
		dc = BeginPaint(w, &ps);
		if (dc != NULL) {
			draw(ui, dc);
			EndPaint(w, &ps);
		}
		if (ui->armed_at == 0)
			ui->armed_at = GetTickCount64() + CONSENT_ARM_MS;
		return 0;
	case WM_ERASEBKGND:
		return 1; /* WM_PAINT fills it all */
	case WM_LBUTTONDOWN:
		SetCapture(w); /* the release comes here even off the window */
		on_button(ui, lp, true);
		return 0;
	case WM_LBUTTONUP:
		ReleaseCapture();
		on_button(ui, lp, false);
		return 0;
	case WM_KEYDOWN:
		if (wp == VK_ESCAPE)
			ui->answer = ANSWER_DENY;
		return 0;
	case WM_CLOSE:
		ui->answer = ANSWER_DENY;
		return 0; /* the loop destroys the window */
	case WM_DESTROY:
		if (ui->answer == ANSWER_NONE)
			ui->answer = ANSWER_DENY;
		ui->win = NULL;
		return 0;
	case WM_MOUSEACTIVATE:
		return MA_ACTIVATE;
	default:
		return DefWindowProcW(w, msg, wp, lp);
	}
}

static HFONT
make_font(int weight)
{
	return CreateFontW(-FONT_PX, 0, 0, 0, weight, FALSE, FALSE, FALSE,
		DEFAULT_CHARSET, OUT_DEFAULT_PRECIS, CLIP_DEFAULT_PRECIS,
		DEFAULT_QUALITY, DEFAULT_PITCH | FF_SWISS, L"Tahoma");
}

/* Brings the window to the front; Windows may refuse the foreground to
 * a process the user did not start, so it flashes then instead. */
static void
bring_forward(HWND w)
{
	FLASHWINFO fi = { sizeof(fi), w, FLASHW_ALL | FLASHW_TIMERNOFG, 0,
		0 };

	SetWindowPos(w, HWND_TOPMOST, 0, 0, 0, 0,
		SWP_NOMOVE | SWP_NOSIZE | SWP_SHOWWINDOW);
	if (!SetForegroundWindow(w))
		FlashWindowEx(&fi);
	SetFocus(w); /* for Escape */
}

static int
create(struct ui *ui, HINSTANCE inst)
{
	const DWORD style = WS_POPUP | WS_CAPTION | WS_SYSMENU;
	const DWORD exstyle = WS_EX_TOPMOST | WS_EX_DLGMODALFRAME;
	WNDCLASSEXW wc;
	RECT r = { 0, 0, CONSENT_WIN_W, CONSENT_WIN_H };
	RECT work;
	wchar_t title[64];
	int w;
	int h;

	memset(&wc, 0, sizeof(wc));
	wc.cbSize = sizeof(wc);
	wc.lpfnWndProc = wndproc;
	wc.hInstance = inst;
	wc.hCursor = LoadCursorW(NULL, (LPCWSTR)IDC_ARROW);
	wc.lpszClassName = CLASS_NAME;
	if (RegisterClassExW(&wc) == 0 &&
		GetLastError() != ERROR_CLASS_ALREADY_EXISTS)
		return -1;
	if (!AdjustWindowRectEx(&r, style, FALSE, exstyle))
		return -1;
	w = r.right - r.left;
	h = r.bottom - r.top;
	/* The primary monitor's work area, without the taskbar. */
	if (!SystemParametersInfoW(SPI_GETWORKAREA, 0, &work, 0))
		work = (RECT){ 0, 0, GetSystemMetrics(SM_CXSCREEN),
			GetSystemMetrics(SM_CYSCREEN) };
	if (MultiByteToWideChar(CP_UTF8, 0, CONSENT_WIN_TITLE, -1, title,
		    (int)(sizeof(title) / sizeof(title[0]))) <= 0)
		return -1;
	ui->win = CreateWindowExW(exstyle, CLASS_NAME, title, style,
		work.left + (work.right - work.left - w) / 2,
		work.top + (work.bottom - work.top - h) / 2, w, h, NULL, NULL,
		inst, NULL);
	if (ui->win == NULL)
		return -1;
	ShowWindow(ui->win, SW_SHOWNORMAL);
	bring_forward(ui->win);
	UpdateWindow(ui->win);
	return 0;
}

static int
finish(const char *answer)
{
	/* Exactly "answer\n", as on Linux: no CR from text mode. */
	(void)_setmode(_fileno(stdout), _O_BINARY);
	if (printf("%s\n", answer) < 0 || fflush(stdout) != 0)
		return CONSENT_EXIT_XLOST; /* nobody to tell */
	return CONSENT_EXIT_OK;
}

/* Pumps messages until an answer or the deadline. */
static const char *
run_loop(struct ui *ui)
{
	for (;;) {
		MSG m;
		ULONGLONG now;
		DWORD wait;
		long secs;

		while (ui->answer == ANSWER_NONE &&
			PeekMessageW(&m, NULL, 0, 0, PM_REMOVE)) {
			if (m.message == WM_QUIT)
				ui->answer = ANSWER_DENY;
			TranslateMessage(&m);
			DispatchMessageW(&m);
		}
		if (ui->answer != ANSWER_NONE)
			return ui->answer == ANSWER_ALLOW ? "allow" : "deny";
		now = GetTickCount64();
		if (now >= ui->deadline)
			return "timeout";
		secs = remaining_secs(ui);
		if (ui->armed_at != 0 && secs != ui->shown_secs &&
			ui->win != NULL) {
			RECT r;

			countdown_rect(&r);
			InvalidateRect(ui->win, &r, FALSE);
		}
		/* Wake at the next whole second of the countdown. */
		wait = (DWORD)((ui->deadline - now) % 1000U);
		MsgWaitForMultipleObjectsEx(0, NULL, wait ? wait : 1000,
			QS_ALLINPUT, MWMO_INPUTAVAILABLE);
	}
}

int
consent_prompt_run(const struct consent_prompt *p)
{
	static struct ui ui;
	HINSTANCE inst = GetModuleHandleW(NULL);
	const char *answer;
	int rc;

	memset(&ui, 0, sizeof(ui));
	ui.shown_secs = -1;
	ui.deadline = GetTickCount64() +
		(ULONGLONG)(p->timeout_s ? p->timeout_s : 30) * 1000U;
	widen(p->peer_id, ui.t.peer_id, (int)(sizeof(ui.t.peer_id) /
		sizeof(wchar_t)));
	widen(p->peer_name, ui.t.peer_name, (int)(sizeof(ui.t.peer_name) /
		sizeof(wchar_t)));
	widen(p->source, ui.t.source, (int)(sizeof(ui.t.source) /
		sizeof(wchar_t)));
	widen(p->kind, ui.t.kind, (int)(sizeof(ui.t.kind) / sizeof(wchar_t)));
	widen(p->permissions, ui.t.permissions,
		(int)(sizeof(ui.t.permissions) / sizeof(wchar_t)));
	g_ui = &ui;
	/* Without the hook no click could be told real: fail closed. */
	ui.hook = SetWindowsHookExW(WH_MOUSE_LL, mouse_hook, inst, 0);
	if (ui.hook == NULL) {
		fprintf(stderr, "cannot watch the mouse (error %lu)\n",
			(unsigned long)GetLastError());
		g_ui = NULL;
		return CONSENT_EXIT_NODISPLAY;
	}
	ui.font = make_font(FW_NORMAL);
	ui.bold = make_font(FW_BOLD);
	if (ui.font == NULL || ui.bold == NULL || create(&ui, inst) != 0) {
		fprintf(stderr, "cannot create the consent window (error "
				"%lu)\n",
			(unsigned long)GetLastError());
		UnhookWindowsHookEx(ui.hook);
		if (ui.font != NULL)
			DeleteObject(ui.font);
		if (ui.bold != NULL)
			DeleteObject(ui.bold);
		g_ui = NULL;
		return CONSENT_EXIT_NODISPLAY;
	}
	answer = run_loop(&ui);
	rc = finish(answer);
	/* The answer is out first, and the window is left to the process's
	 * end, which follows: under wine, destroying or hiding the active
	 * window took two seconds, and the daemon waits for our exit. */
	UnhookWindowsHookEx(ui.hook);
	g_ui = NULL;
	return rc;
}
