/* SPDX-License-Identifier: MIT */
#include "th-win.h"

#include <string.h>

HWND
thw_window(const char *cls, int x, int y, int w, int h, WNDPROC proc)
{
	WNDCLASSW wc;
	WCHAR name[64];
	HWND hw;

	memset(&wc, 0, sizeof(wc));
	wc.lpfnWndProc = proc;
	wc.hInstance = GetModuleHandleW(NULL);
	wc.hCursor = LoadCursorW(NULL, (LPCWSTR)IDC_ARROW);
	if (MultiByteToWideChar(CP_UTF8, 0, cls, -1, name, 64) == 0)
		return NULL;
	wc.lpszClassName = name;
	if (RegisterClassW(&wc) == 0)
		return NULL;
	hw = CreateWindowExW(WS_EX_TOPMOST, name, name, WS_POPUP | WS_VISIBLE,
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

	while (PeekMessageW(&m, NULL, 0, 0, PM_REMOVE)) {
		TranslateMessage(&m);
		DispatchMessageW(&m);
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
