/* SPDX-License-Identifier: MIT */
#include "platform/winsvc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <winsock2.h> /* before windows.h, as libuv has it */
#include <windows.h>

#include "core/err.h"
#include "core/winacl.h"

#define WAIT_HINT_MS 10000
#define STOP_WAIT_MS 20000

/* One service per process: the SCM's callbacks have no context but
 * the handler's. */
static struct {
	const struct winsvc_ops *ops;
	WCHAR *name;
	SERVICE_STATUS_HANDLE h;
	SERVICE_STATUS st;
	CRITICAL_SECTION lock; /* st: the service and dispatcher threads */
} svc;

static void
report(DWORD state, DWORD exit_code)
{
	EnterCriticalSection(&svc.lock);
	svc.st.dwCurrentState = state;
	svc.st.dwWin32ExitCode = exit_code != 0 ? ERROR_SERVICE_SPECIFIC_ERROR
						: NO_ERROR;
	svc.st.dwServiceSpecificExitCode = exit_code;
	svc.st.dwControlsAccepted = state == SERVICE_RUNNING
		? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN |
			SERVICE_ACCEPT_SESSIONCHANGE
		: 0;
	svc.st.dwWaitHint = state == SERVICE_RUNNING ||
			state == SERVICE_STOPPED
		? 0
		: WAIT_HINT_MS;
	/* A pending state shows progress to the SCM by its check point. */
	svc.st.dwCheckPoint = state == SERVICE_RUNNING ||
			state == SERVICE_STOPPED
		? 0
		: svc.st.dwCheckPoint + 1;
	(void)SetServiceStatus(svc.h, &svc.st);
	LeaveCriticalSection(&svc.lock);
}

static DWORD WINAPI
handler(DWORD control, DWORD event, LPVOID data, LPVOID ctx)
{
	(void)ctx;
	switch (control) {
	case SERVICE_CONTROL_STOP:
	case SERVICE_CONTROL_SHUTDOWN:
	case SERVICE_CONTROL_PRESHUTDOWN:
		report(SERVICE_STOP_PENDING, 0);
		svc.ops->stop(svc.ops->arg);
		return NO_ERROR;
	case SERVICE_CONTROL_SESSIONCHANGE:
		if (svc.ops->session_change != NULL && data != NULL)
			svc.ops->session_change(svc.ops->arg, event,
				((WTSSESSION_NOTIFICATION *)data)->dwSessionId);
		return NO_ERROR;
	case SERVICE_CONTROL_INTERROGATE:
		return NO_ERROR;
	default:
		return ERROR_CALL_NOT_IMPLEMENTED;
	}
}

static void WINAPI
service_main(DWORD argc, LPWSTR *argv)
{
	int code;

	(void)argc;
	(void)argv;
	svc.h = RegisterServiceCtrlHandlerExW(svc.name, handler, NULL);
	if (svc.h == NULL)
		return;
	svc.st.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
	report(SERVICE_START_PENDING, 0);
	code = svc.ops->main(svc.ops->arg);
	report(SERVICE_STOPPED, code < 0 ? (DWORD)-code : (DWORD)code);
}

void
winsvc_running(void)
{
	if (svc.h != NULL)
		report(SERVICE_RUNNING, 0);
}

int
winsvc_run(const char *name, const struct winsvc_ops *ops)
{
	SERVICE_TABLE_ENTRYW table[2];
	int r = 0;

	if ((svc.name = winacl_wide(name)) == NULL)
		return OP_ERR_RANGE;
	svc.ops = ops;
	InitializeCriticalSection(&svc.lock);
	memset(table, 0, sizeof(table));
	table[0].lpServiceName = svc.name;
	table[0].lpServiceProc = service_main;
	if (!StartServiceCtrlDispatcherW(table))
		r = GetLastError() == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT
			? OP_ERR_STATE
			: OP_ERR_INTERNAL;
	DeleteCriticalSection(&svc.lock);
	free(svc.name);
	svc.name = NULL;
	return r;
}

static void
close_handles(SC_HANDLE scm, SC_HANDLE s)
{
	if (s != NULL)
		CloseServiceHandle(s);
	if (scm != NULL)
		CloseServiceHandle(scm);
}

static int
fail(char *err, size_t errlen, const char *what)
{
	DWORD e = GetLastError();

	snprintf(err, errlen, "%s: error %lu%s", what, (unsigned long)e,
		e == ERROR_ACCESS_DENIED ? " (run as an administrator)" : "");
	return e == ERROR_ACCESS_DENIED ? OP_ERR_PERM : OP_ERR_INTERNAL;
}

int
winsvc_install(const char *name, const char *display,
	const char *description, const char *command_line, char *err,
	size_t errlen)
{
	SC_ACTION act[3] = { { SC_ACTION_RESTART, 5000 },
		{ SC_ACTION_RESTART, 5000 }, { SC_ACTION_RESTART, 60000 } };
	SERVICE_FAILURE_ACTIONSW fa = { 86400, NULL, NULL, 3, act };
	SERVICE_DESCRIPTIONW desc;
	WCHAR *n = winacl_wide(name), *d = winacl_wide(display);
	WCHAR *c = winacl_wide(command_line), *t = winacl_wide(description);
	SC_HANDLE scm = NULL, s = NULL;
	int r = 0;

	if (n == NULL || d == NULL || c == NULL || t == NULL) {
		snprintf(err, errlen, "not UTF-8");
		r = OP_ERR_RANGE;
		goto out;
	}
	if ((scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CREATE_SERVICE)) ==
		NULL) {
		r = fail(err, errlen, "OpenSCManager");
		goto out;
	}
	s = CreateServiceW(scm, n, d, SERVICE_ALL_ACCESS,
		SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START,
		SERVICE_ERROR_NORMAL, c, NULL, NULL, NULL, NULL, NULL);
	if (s == NULL) {
		r = fail(err, errlen, "CreateService");
		goto out;
	}
	desc.lpDescription = t;
	(void)ChangeServiceConfig2W(s, SERVICE_CONFIG_DESCRIPTION, &desc);
	if (!ChangeServiceConfig2W(s, SERVICE_CONFIG_FAILURE_ACTIONS, &fa))
		r = fail(err, errlen, "ChangeServiceConfig2 (failure actions)");
out:
	close_handles(scm, s);
	free(n);
	free(d);
	free(c);
	free(t);
	return r;
}

/* Asks s to stop and waits until it has. */
static void
stop_and_wait(SC_HANDLE s)
{
	SERVICE_STATUS st;
	DWORD waited = 0;

	if (!ControlService(s, SERVICE_CONTROL_STOP, &st))
		return; /* not running */
	while (st.dwCurrentState != SERVICE_STOPPED && waited < STOP_WAIT_MS &&
		QueryServiceStatus(s, &st)) {
		Sleep(100);
		waited += 100;
	}
}

int
winsvc_uninstall(const char *name, char *err, size_t errlen)
{
	WCHAR *n = winacl_wide(name);
	SC_HANDLE scm = NULL, s = NULL;
	int r = 0;

	if (n == NULL) {
		snprintf(err, errlen, "not UTF-8");
		return OP_ERR_RANGE;
	}
	if ((scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT)) == NULL) {
		r = fail(err, errlen, "OpenSCManager");
		goto out;
	}
	s = OpenServiceW(scm, n, SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE);
	if (s == NULL) {
		r = GetLastError() == ERROR_SERVICE_DOES_NOT_EXIST
			? OP_ERR_NOT_FOUND
			: fail(err, errlen, "OpenService");
		if (r == OP_ERR_NOT_FOUND)
			snprintf(err, errlen, "no service %s", name);
		goto out;
	}
	stop_and_wait(s);
	if (!DeleteService(s))
		r = fail(err, errlen, "DeleteService");
out:
	close_handles(scm, s);
	free(n);
	return r;
}
