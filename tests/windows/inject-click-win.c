/* SPDX-License-Identifier: MIT */
/*
 * A test helper of wine-consent-prompt.py, as another process of the
 * desktop would act on the consent window:
 *   inject-click-win click X Y   SendInput a left click at screen X, Y
 *   inject-click-win post X Y    PostMessage a left press and release at
 *                                client X, Y of the consent window
 *   inject-click-win close       send it WM_CLOSE
 * Exits 0 when the input was sent, 1 otherwise (with the reason).
 */
#include "consent/consent-prompt.h" /* before windows.h: uv.h's winsock2 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

static HWND
find_prompt(void)
{
	wchar_t title[64];

	MultiByteToWideChar(CP_UTF8, 0, CONSENT_WIN_TITLE, -1, title, 64);
	return FindWindowW(NULL, title);
}

static int
click(int x, int y)
{
	INPUT in[3];
	int sw = GetSystemMetrics(SM_CXSCREEN);
	int sh = GetSystemMetrics(SM_CYSCREEN);

	memset(in, 0, sizeof(in));
	for (int i = 0; i < 3; i++)
		in[i].type = INPUT_MOUSE;
	/* Absolute coordinates are 0..65535 over the primary screen. */
	in[0].mi.dx = (LONG)(((long long)x * 65535 + sw / 2) / (sw - 1));
	in[0].mi.dy = (LONG)(((long long)y * 65535 + sh / 2) / (sh - 1));
	in[0].mi.dwFlags = MOUSEEVENTF_MOVE | MOUSEEVENTF_ABSOLUTE;
	in[1].mi.dwFlags = MOUSEEVENTF_LEFTDOWN;
	in[2].mi.dwFlags = MOUSEEVENTF_LEFTUP;
	if (SendInput(1, &in[0], sizeof(INPUT)) != 1)
		return 1;
	Sleep(100);
	if (SendInput(1, &in[1], sizeof(INPUT)) != 1)
		return 1;
	Sleep(100);
	if (SendInput(1, &in[2], sizeof(INPUT)) != 1)
		return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	HWND w;

	if (argc == 4 && strcmp(argv[1], "click") == 0) {
		if (click(atoi(argv[2]), atoi(argv[3])) != 0) {
			fprintf(stderr, "SendInput failed: %lu\n",
				(unsigned long)GetLastError());
			return 1;
		}
		return 0;
	}
	w = find_prompt();
	if (w == NULL) {
		fprintf(stderr, "no consent window\n");
		return 1;
	}
	if (argc == 4 && strcmp(argv[1], "post") == 0) {
		LPARAM lp = MAKELPARAM(atoi(argv[2]), atoi(argv[3]));

		if (!PostMessageW(w, WM_LBUTTONDOWN, MK_LBUTTON, lp) ||
			!PostMessageW(w, WM_LBUTTONUP, 0, lp))
			return 1;
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "close") == 0)
		return PostMessageW(w, WM_CLOSE, 0, 0) ? 0 : 1;
	fprintf(stderr, "usage: inject-click-win click X Y | post X Y | "
			"close\n");
	return 1;
}
