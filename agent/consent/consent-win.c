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

#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <wtsapi32.h>

#include "consent/consent-internal.h"
#include "consent/consent-prompt.h"
#include "core/err.h"
#include "platform/winspawn.h"

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

/* Our end of a pipe stays ours; the child's end is a CRT descriptor
 * for winspawn (which passes a copy of it). */
static bool
make_pipe(HANDLE *ours, int *theirs, bool child_reads)
{
	HANDLE rd, wr;

	/* 8 KiB: the request (at most 4 KiB) is written before the child
	 * reads, and must not block. */
	if (!CreatePipe(&rd, &wr, NULL, 8192))
		return false;
	*ours = child_reads ? wr : rd;
	*theirs = _open_osfhandle((intptr_t)(child_reads ? rd : wr),
		child_reads ? _O_RDONLY : _O_WRONLY);
	if (*theirs < 0) {
		CloseHandle(rd);
		CloseHandle(wr);
		*ours = NULL;
		return false;
	}
	return true;
}

/*
 * Starts the prompt in the console session as its user: with the user's
 * own token when we are elsewhere (the service in session 0), as
 * ourselves when we are that user in that session.
 */
static int
start_prompt(struct consent *c, const char *self_exe, DWORD sid,
	const int std[3])
{
	char timeout[32];
	char *argv[] = { (char *)self_exe, (char *)"consent-prompt",
		(char *)"--stdin", timeout, NULL };
	struct winspawn ws = {
		.exe = self_exe,
		.argv = argv,
		.session = sid,
		.fds = { std[0], std[1], std[2] },
		.nfds = 3,
	};
	HANDLE token = NULL;
	void *proc = NULL;
	int pid = 0, r;

	snprintf(timeout, sizeof(timeout), "--timeout=%u", c->timeout_s);
	if (sid != winspawn_own_session()) {
		if (!WTSQueryUserToken(sid, &token))
			return OP_ERR_DENIED;
		ws.token = token;
	}
	r = winspawn_start(&ws, &proc, &pid);
	if (token != NULL)
		CloseHandle(token);
	c->proc = proc;
	c->pid = (DWORD)pid;
	return r;
}

int
consent_ask(uv_loop_t *loop, const char *self_exe,
	const struct consent_user *user, const struct consent_request *req,
	consent_done_fn done, void *arg, struct consent **out)
{
	char request[CONSENT_REQUEST_MAX];
	HANDLE in_wr = NULL;
	int std[3] = { -1, -1, -1 };
	struct consent *c;
	unsigned long sid;
	char *end;
	size_t reqlen;
	unsigned secs;
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
	if ((r = consent__request_prepare(req, request, sizeof(request),
		     &reqlen, &secs)) != 0)
		return r;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return OP_ERR_NOMEM;
	c->loop = loop;
	c->done = done;
	c->arg = arg;
	c->timeout_s = secs;
	c->wait_ms = c->timeout_s * 1000 + GRACE_MS;
	snprintf(c->user, sizeof(c->user), "%s", user->name);
	snprintf(c->where, sizeof(c->where), "session %lu", sid);

	r = OP_ERR_INTERNAL;
	if (!make_pipe(&in_wr, &std[0], true) ||
		!make_pipe(&c->out_rd, &std[1], false) ||
		!make_pipe(&c->err_rd, &std[2], false))
		goto fail;
	if ((r = start_prompt(c, self_exe, (DWORD)sid, std)) != 0)
		goto fail;
	for (int i = 0; i < 3; i++) {
		_close(std[i]);
		std[i] = -1;
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
		if (std[i] >= 0)
			_close(std[i]);
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
