/* SPDX-License-Identifier: MIT */
/*
 * The SCM layer (platform/winsvc.h) under wine's service manager: this
 * program installs itself as a service, starts it, sees it RUNNING with
 * stop, shutdown and session-change accepted, stops it (the service's
 * loop ends through ops->stop and uv_async) and removes it. Run as
 * "svc MARKER", it is the service: it writes "running" to MARKER once it
 * serves and "stopped" when its loop has ended.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "core/err.h"
#include "platform/winsvc.h"
#include "th.h"

static char marker[MAX_PATH];
static char svc_name[64];
static uv_async_t stop_async;

static void
mark(const char *what)
{
	FILE *f = fopen(marker, "wb");

	if (f != NULL) {
		fputs(what, f);
		fclose(f);
	}
}

static void
on_stop(uv_async_t *a)
{
	uv_close((uv_handle_t *)a, NULL);
}

static int
svc_main(void *arg)
{
	uv_loop_t loop;

	(void)arg;
	if (uv_loop_init(&loop) != 0 ||
		uv_async_init(&loop, &stop_async, on_stop) != 0)
		return 1;
	winsvc_running();
	mark("running");
	uv_run(&loop, UV_RUN_DEFAULT); /* until the async closes */
	uv_loop_close(&loop);
	mark("stopped");
	return 0;
}

static void
svc_stop(void *arg)
{
	(void)arg;
	uv_async_send(&stop_async); /* the dispatcher thread: thread-safe */
}

static bool
marker_is(const char *want)
{
	char buf[32] = { 0 };
	FILE *f = fopen(marker, "rb");

	if (f == NULL)
		return false;
	if (fread(buf, 1, sizeof(buf) - 1, f) == 0)
		buf[0] = '\0';
	fclose(f);
	return strcmp(buf, want) == 0;
}

/* Waits up to 15 s for the service to reach state. */
static bool
wait_state(SC_HANDLE s, DWORD state, SERVICE_STATUS *st)
{
	for (int i = 0; i < 150; i++) {
		if (!QueryServiceStatus(s, st))
			return false;
		if (st->dwCurrentState == state)
			return true;
		Sleep(100);
	}
	return false;
}

static void
test_service(void)
{
	char self[MAX_PATH], cmd[3 * MAX_PATH], err[256], display[128];
	WCHAR wname[64];
	SERVICE_STATUS st;
	SC_HANDLE scm, s;

	ASSERT(GetModuleFileNameA(NULL, self, sizeof(self)) > 0);
	snprintf(cmd, sizeof(cmd), "\"%s\" svc %s \"%s\"", self, svc_name,
		marker);
	/* The display name must be unique too (ERROR_DUPLICATE_SERVICE_NAME
	 * against a run that failed before removing its service). */
	snprintf(display, sizeof(display), "Outpost test service %s",
		svc_name);
	if (winsvc_install(svc_name, display, "issue 16: winsvc under wine",
		    cmd, err, sizeof(err)) != 0)
		TH_FAIL("winsvc_install: %s", err);
	MultiByteToWideChar(CP_UTF8, 0, svc_name, -1, wname, 64);
	ASSERT((scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT)) != NULL);
	ASSERT((s = OpenServiceW(scm, wname,
			SERVICE_START | SERVICE_STOP | SERVICE_QUERY_STATUS)) !=
		NULL);
	ASSERT(StartServiceW(s, 0, NULL));
	ASSERT(wait_state(s, SERVICE_RUNNING, &st));
	ASSERT(st.dwControlsAccepted & SERVICE_ACCEPT_STOP);
	ASSERT(st.dwControlsAccepted & SERVICE_ACCEPT_SHUTDOWN);
	ASSERT(st.dwControlsAccepted & SERVICE_ACCEPT_SESSIONCHANGE);
	for (int i = 0; i < 50 && !marker_is("running"); i++)
		Sleep(100);
	ASSERT(marker_is("running"));

	ASSERT(ControlService(s, SERVICE_CONTROL_STOP, &st));
	ASSERT(wait_state(s, SERVICE_STOPPED, &st));
	ASSERT_INT_EQ(st.dwWin32ExitCode, NO_ERROR);
	ASSERT(marker_is("stopped"));
	CloseServiceHandle(s);
	CloseServiceHandle(scm);

	ASSERT_INT_EQ(winsvc_uninstall(svc_name, err, sizeof(err)), 0);
	ASSERT_INT_EQ(winsvc_uninstall(svc_name, err, sizeof(err)),
		OP_ERR_NOT_FOUND);
}

/* Run from a console, winsvc_run says so. */
static void
test_not_from_scm(void)
{
	struct winsvc_ops ops = { svc_main, svc_stop, NULL, NULL };

	ASSERT_INT_EQ(winsvc_run("OutpostConsole", &ops), OP_ERR_STATE);
}

int
main(int argc, char **argv)
{
	char tmp[MAX_PATH];

	if (argc == 4 && strcmp(argv[1], "svc") == 0) {
		struct winsvc_ops ops = { svc_main, svc_stop, NULL, NULL };

		snprintf(marker, sizeof(marker), "%s", argv[3]);
		return winsvc_run(argv[2], &ops) == 0 ? 0 : 1;
	}
	/* wine reuses process ids from run to run: the time too. */
	snprintf(svc_name, sizeof(svc_name), "OutpostTest%lu-%lu",
		(unsigned long)GetCurrentProcessId(),
		(unsigned long)GetTickCount());
	if (GetTempPathA(MAX_PATH, tmp) == 0)
		return 1;
	snprintf(marker, sizeof(marker), "%s%s.marker", tmp, svc_name);
	RUN(test_not_from_scm);
	RUN(test_service);
	DeleteFileA(marker);
	return th_done();
}
