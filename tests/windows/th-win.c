/* SPDX-License-Identifier: MIT */
#include "th-win.h"

#include <string.h>

HWND
thw_window(const char *cls, int x, int y, int w, int h, WNDPROC proc)
{
	WNDCLASSA wc;
	HWND hw;

	memset(&wc, 0, sizeof(wc));
	wc.lpfnWndProc = proc;
	wc.hInstance = GetModuleHandleA(NULL);
	wc.hCursor = LoadCursorA(NULL, (LPCSTR)IDC_ARROW);
	wc.lpszClassName = cls;
	if (RegisterClassA(&wc) == 0)
		return NULL;
	hw = CreateWindowExA(WS_EX_TOPMOST, cls, cls, WS_POPUP | WS_VISIBLE,
		x, y, w, h, NULL, NULL, wc.hInstance, NULL);
	if (hw == NULL)
		return NULL;
	SetForegroundWindow(hw);
	SetFocus(hw);
	UpdateWindow(hw);
	return hw;
}

static void
pump_once(void)
{
	MSG m;

	while (PeekMessageA(&m, NULL, 0, 0, PM_REMOVE)) {
		TranslateMessage(&m);
		DispatchMessageA(&m);
	}
}

void
thw_pump(unsigned ms)
{
	DWORD end = GetTickCount() + ms;

	do {
		pump_once();
		Sleep(5);
	} while ((LONG)(GetTickCount() - end) < 0);
}

bool
thw_pump_until(bool (*done)(void *arg), void *arg, unsigned ms)
{
	DWORD end = GetTickCount() + ms;

	for (;;) {
		pump_once();
		if (done(arg))
			return true;
		if ((LONG)(GetTickCount() - end) >= 0)
			return false;
		Sleep(5);
	}
}
