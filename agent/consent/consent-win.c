/* SPDX-License-Identifier: MIT */
/*
 * Consent on Windows (consent.h): the user is whoever is logged on to the
 * console session (WTS), and the prompt is `outpost.exe consent-prompt`
 * started in that session on its interactive desktop (winsta0\default).
 * A service lives in session 0, which the user never sees, so there the
 * prompt is started with the user's own token (WTSQueryUserToken +
 * CreateProcessAsUserW); run from a console in the user's session, it is
 * a plain child.
 *
 * A thread per prompt waits for it: it writes the request, waits for the
 * process (killing it at the deadline or on cancel), then reads its one
 * line and hands the result to the loop with uv_async_send. Only the
 * line "allow" allows; anything else denies.
 */
#include "consent/consent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <userenv.h>
#include <wtsapi32.h>

#include "consent/consent-internal.h"
#include "consent/consent-prompt.h"
#include "core/err.h"

#define GRACE_MS 2000 /* the prompt counts down itself; then we kill it */
#define OUT_MAX 64
#define ERR_MAX 256

struct consent {
	uv_loop_t *loop;
	uv_async_t async;
	uv_thread_t thread;
	bool thread_started;
	HANDLE proc;
	HANDLE out_rd, err_rd;
	DWORD pid;
	DWORD wait_ms;
	consent_done_fn done;
	void *arg;
	bool decided;
	unsigned timeout_s;
	char user[64];
	char where[32];
	/* Filled by the thread before uv_async_send. */
	bool timed_out;
	DWORD exit_code;
	char out[OUT_MAX + 1];
	char err[ERR_MAX + 1];
};

static bool
session_user(DWORD sid, char *name, size_t size)
{
	LPWSTR buf = NULL;
	DWORD n = 0;
	bool ok = false;

	if (WTSQuerySessionInformationW(WTS_CURRENT_SERVER_HANDLE, sid,
		    WTSUserName, &buf, &n) &&
		buf != NULL && buf[0] != L'\0')
		ok = WideCharToMultiByte(CP_UTF8, 0, buf, -1, name, (int)size,
			     NULL, NULL) > 0;
	if (buf != NULL)
		WTSFreeMemory(buf);
	return ok;
}

/* Not logged on, or a session that is not attached to the console
 * (disconnected): nobody to ask. Wine does not answer the state; its one
 * session is taken as active then. */
static bool
session_active(DWORD sid)
{
	LPWSTR buf = NULL;
	DWORD n = 0;
	bool active = true;

	if (WTSQuerySessionInformationW(WTS_CURRENT_SERVER_HANDLE, sid,
		    WTSConnectState, &buf, &n) &&
		buf != NULL && n >= sizeof(WTS_CONNECTSTATE_CLASS))
		active = *(WTS_CONNECTSTATE_CLASS *)buf == WTSActive;
	if (buf != NULL)
		WTSFreeMemory(buf);
	return active;
}

int
consent_find_user(struct consent_user *out)
{
	DWORD sid = WTSGetActiveConsoleSessionId();

	memset(out, 0, sizeof(*out));
	if (sid == 0xFFFFFFFFu || !session_active(sid) ||
		!session_user(sid, out->name, sizeof(out->name)))
		return OP_ERR_NOT_FOUND;
	snprintf(out->session_id, sizeof(out->session_id), "%lu",
		(unsigned long)sid);
	snprintf(out->session_type, sizeof(out->session_type), "windows");
	snprintf(out->display, sizeof(out->display), "console");
	return 0;
}

/* Reads what is in the pipe up to EOF or max bytes (the prompt ended,
 * so its end is closed and the read cannot block). */
static void
read_all(HANDLE h, char *buf, size_t max)
{
	size_t len = 0;
	DWORD n;

	while (len < max && ReadFile(h, buf + len, (DWORD)(max - len), &n,
				    NULL) &&
		n > 0)
		len += n;
	buf[len] = '\0';
}

static void
waiter(void *arg)
{
	struct consent *c = arg;

	if (WaitForSingleObject(c->proc, c->wait_ms) != WAIT_OBJECT_0) {
		c->timed_out = true;
		TerminateProcess(c->proc, 1);
		WaitForSingleObject(c->proc, INFINITE);
	}
	if (!GetExitCodeProcess(c->proc, &c->exit_code))
		c->exit_code = 1;
	read_all(c->out_rd, c->out, OUT_MAX);
	read_all(c->err_rd, c->err, ERR_MAX);
	uv_async_send(&c->async);
}

static void
on_closed(uv_handle_t *h)
{
	struct consent *c = h->data;

	CloseHandle(c->proc);
	CloseHandle(c->out_rd);
	CloseHandle(c->err_rd);
	free(c);
}

static void
decide(struct consent *c, enum consent_result r, const char *detail)
{
	if (c->decided)
		return;
	c->decided = true;
	c->done(c->arg, r, detail);
}

static void
on_async(uv_async_t *a)
{
	struct consent *c = a->data;
	char detail[400];
	char err[ERR_MAX + 1];

	uv_thread_join(&c->thread);
	c->out[strcspn(c->out, "\r\n")] = '\0';
	c->err[strcspn(c->err, "\r\n")] = '\0';
	if (c->decided) {
		/* cancelled: done was called already */
	} else if (strcmp(c->out, "allow") == 0) {
		snprintf(detail, sizeof(detail), "allowed by %s on %s",
			c->user, c->where);
		decide(c, CONSENT_ALLOW, detail);
	} else if (strcmp(c->out, "deny") == 0) {
		snprintf(detail, sizeof(detail), "denied by %s on %s", c->user,
			c->where);
		decide(c, CONSENT_DENY, detail);
	} else if (strcmp(c->out, "timeout") == 0 || c->timed_out) {
		snprintf(detail, sizeof(detail), "no answer from %s within %u s",
			c->user, c->timeout_s);
		decide(c, CONSENT_TIMEOUT, detail);
	} else if (c->out[0] != '\0') {
		decide(c, CONSENT_ERROR, "the prompt gave no valid answer");
	} else {
		consent_sanitize(err, sizeof(err), c->err, 120);
		snprintf(detail, sizeof(detail),
			"the prompt exited with status %lu and no answer%s%s",
			(unsigned long)c->exit_code, err[0] ? ": " : "", err);
		decide(c, CONSENT_ERROR, detail);
	}
	uv_close((uv_handle_t *)&c->async, on_closed);
}

static int
utf8_to_wide(const char *s, wchar_t *w, int wsize)
{
	return MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w,
		       wsize) > 0 ?
		       0 :
		       OP_ERR_CONFIG;
}

/* Our end of a pipe stays ours; the child's end is inheritable. */
static bool
make_pipe(HANDLE *ours, HANDLE *theirs, bool child_reads)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };
	HANDLE rd, wr;

	/* 8 KiB: the request (at most 4 KiB) is written before the child
	 * reads, and must not block. */
	if (!CreatePipe(&rd, &wr, &sa, 8192))
		return false;
	*ours = child_reads ? wr : rd;
	*theirs = child_reads ? rd : wr;
	SetHandleInformation(*ours, HANDLE_FLAG_INHERIT, 0);
	return true;
}

/*
 * Starts cmd with the three pipe ends as its stdio and no other handle:
 * in the console session as its user when we are not in that session
 * (the service), else as ourselves.
 */
static int
start_prompt(struct consent *c, wchar_t *cmd, DWORD sid, HANDLE std[3])
{
	STARTUPINFOEXW si;
	PROCESS_INFORMATION pi;
	SIZE_T attr_size = 0;
	DWORD mine = 0;
	HANDLE token = NULL;
	void *env = NULL;
	wchar_t desktop[] = L"winsta0\\default";
	DWORD flags = EXTENDED_STARTUPINFO_PRESENT | CREATE_NO_WINDOW |
		CREATE_UNICODE_ENVIRONMENT;
	BOOL ok;
	int r = 0;

	memset(&si, 0, sizeof(si));
	si.StartupInfo.cb = sizeof(si);
	si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	si.StartupInfo.hStdInput = std[0];
	si.StartupInfo.hStdOutput = std[1];
	si.StartupInfo.hStdError = std[2];
	si.StartupInfo.lpDesktop = desktop;
	InitializeProcThreadAttributeList(NULL, 1, 0, &attr_size);
	if ((si.lpAttributeList = malloc(attr_size)) == NULL)
		return OP_ERR_NOMEM;
	if (!InitializeProcThreadAttributeList(si.lpAttributeList, 1, 0,
		    &attr_size) ||
		!UpdateProcThreadAttribute(si.lpAttributeList, 0,
			PROC_THREAD_ATTRIBUTE_HANDLE_LIST, std,
			3 * sizeof(HANDLE), NULL, NULL)) {
		free(si.lpAttributeList);
		return OP_ERR_INTERNAL;
	}
	if (!ProcessIdToSessionId(GetCurrentProcessId(), &mine) ||
		mine != sid) {
		if (!WTSQueryUserToken(sid, &token)) {
			r = OP_ERR_DENIED;
			goto out;
		}
		if (!CreateEnvironmentBlock(&env, token, FALSE))
			env = NULL;
		ok = CreateProcessAsUserW(token, NULL, cmd, NULL, NULL, TRUE,
			flags, env, NULL, &si.StartupInfo, &pi);
	} else {
		ok = CreateProcessW(NULL, cmd, NULL, NULL, TRUE, flags, NULL,
			NULL, &si.StartupInfo, &pi);
	}
	if (!ok) {
		r = OP_ERR_INTERNAL;
		goto out;
	}
	CloseHandle(pi.hThread);
	c->proc = pi.hProcess;
	c->pid = pi.dwProcessId;
out:
	if (env != NULL)
		DestroyEnvironmentBlock(env);
	if (token != NULL)
		CloseHandle(token);
	DeleteProcThreadAttributeList(si.lpAttributeList);
	free(si.lpAttributeList);
	return r;
}

int
consent_ask(uv_loop_t *loop, const char *self_exe,
	const struct consent_user *user, const struct consent_request *req,
	consent_done_fn done, void *arg, struct consent **out)
{
	char request[CONSENT_REQUEST_MAX];
	wchar_t exe[MAX_PATH + 1];
	wchar_t cmd[MAX_PATH + 64];
	HANDLE in_wr = NULL, std[3] = { NULL, NULL, NULL };
	struct consent *c;
	unsigned long sid;
	char *end;
	size_t reqlen;
	unsigned ms;
	DWORD n;
	int r;

	if (out != NULL)
		*out = NULL;
	if (loop == NULL || self_exe == NULL || user == NULL || req == NULL ||
		done == NULL || out == NULL || user->session_id[0] == '\0')
		return OP_ERR_CONFIG;
	sid = strtoul(user->session_id, &end, 10);
	if (*end != '\0' || sid >= 0xFFFFFFFFul)
		return OP_ERR_CONFIG;
	ms = req->timeout_ms ? req->timeout_ms : 30000;
	if (ms > 600000)
		return OP_ERR_RANGE;
	if ((r = utf8_to_wide(self_exe, exe, MAX_PATH + 1)) != 0 ||
		wcschr(exe, L'"') != NULL)
		return OP_ERR_CONFIG;
	if ((reqlen = consent__request_encode(req, request,
		     sizeof(request))) == 0)
		return OP_ERR_INTERNAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return OP_ERR_NOMEM;
	c->loop = loop;
	c->done = done;
	c->arg = arg;
	c->timeout_s = (ms + 999) / 1000;
	c->wait_ms = c->timeout_s * 1000 + GRACE_MS;
	snprintf(c->user, sizeof(c->user), "%s", user->name);
	snprintf(c->where, sizeof(c->where), "session %lu", sid);
	_snwprintf(cmd, sizeof(cmd) / sizeof(cmd[0]),
		L"\"%ls\" consent-prompt --stdin --timeout=%u", exe,
		c->timeout_s);
	cmd[sizeof(cmd) / sizeof(cmd[0]) - 1] = L'\0';

	r = OP_ERR_INTERNAL;
	if (!make_pipe(&in_wr, &std[0], true) ||
		!make_pipe(&c->out_rd, &std[1], false) ||
		!make_pipe(&c->err_rd, &std[2], false))
		goto fail;
	if ((r = start_prompt(c, cmd, (DWORD)sid, std)) != 0)
		goto fail;
	for (int i = 0; i < 3; i++) {
		CloseHandle(std[i]);
		std[i] = NULL;
	}
	/* A prompt that does not read still times out: the write fits the
	 * pipe's buffer. */
	(void)WriteFile(in_wr, request, (DWORD)reqlen, &n, NULL);
	CloseHandle(in_wr);
	in_wr = NULL;
	if ((r = uv_async_init(loop, &c->async, on_async)) != 0) {
		TerminateProcess(c->proc, 1);
		goto fail;
	}
	c->async.data = c;
	if ((r = uv_thread_create(&c->thread, waiter, c)) != 0) {
		TerminateProcess(c->proc, 1);
		c->decided = true; /* done is never called on failure */
		uv_close((uv_handle_t *)&c->async, on_closed);
		return r;
	}
	*out = c;
	return 0;
fail:
	for (int i = 0; i < 3; i++)
		if (std[i] != NULL)
			CloseHandle(std[i]);
	if (in_wr != NULL)
		CloseHandle(in_wr);
	if (c->proc != NULL)
		CloseHandle(c->proc);
	if (c->out_rd != NULL)
		CloseHandle(c->out_rd);
	if (c->err_rd != NULL)
		CloseHandle(c->err_rd);
	free(c);
	return r;
}

void
consent_cancel(struct consent *c)
{
	if (c->decided)
		return;
	TerminateProcess(c->proc, 1); /* the waiter wakes, the loop frees */
	decide(c, CONSENT_CANCELLED, "the request was withdrawn");
}

pid_t
consent_pid(const struct consent *c)
{
	return (pid_t)c->pid;
}
