/* SPDX-License-Identifier: MIT */
/*
 * core/windesk.h under wine: a thread attached to another desktop of our
 * window station (made here with CreateDesktop, standing in for the
 * user's desktop while "Winlogon" has input) moves to the input desktop
 * and stays there; one already there does not move; one that owns a
 * window cannot move and says so. Wine has one input desktop and does
 * not switch it (SwitchDesktop is a stub in 8.0), so the real log-on
 * screen is not tested here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <windows.h>

#include "core/windesk.h"
#include "th.h"

#define OTHER L"outpost-windesk-test"

static HDESK other;
static char input_name[64];

struct probe {
	BOOL own_window;
	int r1, r2;
	char before[64], after[64], reported[64];
};

static DWORD WINAPI
probe_thread(void *arg)
{
	struct probe *p = arg;
	HWND w = NULL;

	if (!SetThreadDesktop(other))
		return 1;
	windesk_thread_name(p->before, sizeof(p->before));
	if (p->own_window &&
		(w = CreateWindowExW(0, L"STATIC", L"windesk", 0, 0, 0, 0, 0,
			 HWND_MESSAGE, NULL, GetModuleHandleW(NULL), NULL)) == NULL)
		return 2;
	p->r1 = windesk_follow_input(p->reported, sizeof(p->reported));
	p->r2 = windesk_follow_input(NULL, 0);
	windesk_thread_name(p->after, sizeof(p->after));
	if (w != NULL)
		DestroyWindow(w);
	return 0;
}

static void
run_probe(struct probe *p)
{
	HANDLE t = CreateThread(NULL, 0, probe_thread, p, 0, NULL);
	DWORD code = 99;

	ASSERT(t != NULL);
	ASSERT_INT_EQ(WaitForSingleObject(t, 10000), WAIT_OBJECT_0);
	ASSERT(GetExitCodeThread(t, &code));
	CloseHandle(t);
	ASSERT_INT_EQ(code, 0);
}

/* The main thread is on the input desktop already: nothing moves. */
static void
test_already_there(void)
{
	char before[64], after[64];

	windesk_thread_name(before, sizeof(before));
	ASSERT(before[0] != '\0');
	ASSERT_INT_EQ(windesk_follow_input(input_name, sizeof(input_name)),
		0);
	ASSERT_STR_EQ(input_name, before);
	windesk_thread_name(after, sizeof(after));
	ASSERT_STR_EQ(after, before);
}

/* A thread on another desktop moves to the input desktop, once. */
static void
test_moves(void)
{
	struct probe p = { .own_window = FALSE };

	run_probe(&p);
	ASSERT_STR_EQ(p.before, "outpost-windesk-test");
	ASSERT_INT_EQ(p.r1, 1);
	ASSERT_STR_EQ(p.reported, input_name);
	ASSERT_INT_EQ(p.r2, 0); /* second call: already there */
	ASSERT_STR_EQ(p.after, input_name);
}

/* Windows refuses to move a thread that owns windows: reported, and
 * the thread stays where it was. */
static void
test_window_owner_stays(void)
{
	struct probe p = { .own_window = TRUE };

	run_probe(&p);
	ASSERT_STR_EQ(p.before, "outpost-windesk-test");
	ASSERT_INT_EQ(p.r1, -EACCES);
	ASSERT_STR_EQ(p.reported, input_name);
	ASSERT_STR_EQ(p.after, "outpost-windesk-test");
}

int
main(void)
{
	other = CreateDesktopW(OTHER, NULL, NULL, 0, GENERIC_ALL, NULL);
	if (other == NULL) {
		fprintf(stderr, "CreateDesktop: %lu\n", GetLastError());
		return 1;
	}
	RUN(test_already_there);
	RUN(test_moves);
	RUN(test_window_owner_stays);
	CloseDesktop(other);
	return th_done();
}
