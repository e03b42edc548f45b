/* SPDX-License-Identifier: MIT */
/*
 * The control endpoint on Windows: a named pipe,
 * \\.\pipe\outpost-control-<hash of the state directory>. libuv creates
 * it (the first instance exclusively: a squatter's pipe of that name
 * makes the bind fail) with the default DACL, which lets everyone read;
 * right after the bind it gets the private one (LocalSystem,
 * Administrators, the daemon's user). A client is served when its
 * process token is the daemon's user, LocalSystem or an elevated
 * administrator; the CLI's client checks the server's process the same
 * way before it sends anything.
 */
#include "ctl/ctl.h" /* first: uv.h's winsock2.h before windows.h */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aclapi.h>

#include "core/err.h"
#include "ctl/ctl-internal.h"
#include "core/winacl.h"

int
ctl__endpoint(const char *dir, char *out, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a: a name, not a secret */

	for (const unsigned char *p = (const unsigned char *)dir; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	if (snprintf(out, n, "\\\\.\\pipe\\outpost-control-%016llx",
		    (unsigned long long)h) >= (int)n)
		return -ENAMETOOLONG;
	return 0;
}

void
ctl__unlink(const char *endpoint)
{
	(void)endpoint;
}

/* Right after the bind: the private DACL. */
static int
restrict_pipe(uv_pipe_t *listener)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	BOOL present = FALSE, defaulted = FALSE;
	PACL dacl = NULL;
	uv_os_fd_t h;
	DWORD e;
	int r;

	if ((r = uv_fileno((uv_handle_t *)listener, &h)) != 0)
		return r;
	if ((r = winacl_private(false, false, &sd)) != 0)
		return r;
	if (!GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted)) {
		LocalFree(sd);
		return OP_ERR_INTERNAL;
	}
	/* The pipe's instances share one descriptor: this covers those
	 * uv_listen adds. */
	e = SetSecurityInfo(h, SE_KERNEL_OBJECT,
		DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
		NULL, NULL, dacl, NULL);
	LocalFree(sd);
	return e == ERROR_SUCCESS ? 0 : -EACCES;
}

int
ctl_server_start_pipe(uv_loop_t *loop, const char *dir, ctl_handler_fn fn,
	void *arg, struct ctl_server **out)
{
	uv_pipe_t *pipe;
	char name[CTL__ENDPOINT_MAX];
	int r;

	*out = NULL;
	if ((r = ctl__endpoint(dir, name, sizeof(name))) != 0 ||
		(r = ctl__server_new(loop, dir, fn, arg, out, &pipe)) != 0)
		return r;
	if ((r = uv_pipe_bind(pipe, name)) != 0 ||
		(r = restrict_pipe(pipe)) != 0) {
		ctl_server_stop(*out);
		*out = NULL;
		return r;
	}
	return ctl__serve(out);
}

bool
ctl__peer_allowed(uv_pipe_t *p)
{
	uv_os_fd_t h;
	ULONG pid = 0;

	return uv_fileno((uv_handle_t *)p, &h) == 0 &&
		GetNamedPipeClientProcessId(h, &pid) && winacl_pid_trusted(pid);
}

/* One overlapped read or write on h, waiting until deadline (a
 * GetTickCount64 value). Returns the bytes moved, 0 at the end of the
 * stream, or a negative code. */
static int64_t
io_wait(HANDLE h, HANDLE ev, bool wr, void *buf, DWORD len,
	ULONGLONG deadline)
{
	OVERLAPPED ov;
	ULONGLONG now = GetTickCount64();
	DWORD n = 0;
	BOOL ok;

	memset(&ov, 0, sizeof(ov));
	ov.hEvent = ev;
	ok = wr ? WriteFile(h, buf, len, NULL, &ov)
		: ReadFile(h, buf, len, NULL, &ov);
	if (!ok && GetLastError() != ERROR_IO_PENDING)
		return GetLastError() == ERROR_BROKEN_PIPE ? 0 : -EIO;
	if (WaitForSingleObject(ev, now < deadline ? (DWORD)(deadline - now)
						   : 0) != WAIT_OBJECT_0) {
		CancelIo(h);
		GetOverlappedResult(h, &ov, &n, TRUE);
		return -ETIMEDOUT;
	}
	if (!GetOverlappedResult(h, &ov, &n, FALSE))
		return GetLastError() == ERROR_BROKEN_PIPE ? 0 : -EIO;
	return n;
}

/* Opens the pipe, waiting while all instances are busy. */
static int
open_pipe(const WCHAR *name, ULONGLONG deadline, HANDLE *out)
{
	for (;;) {
		ULONGLONG now = GetTickCount64();
		HANDLE h = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0,
			NULL, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);

		if (h != INVALID_HANDLE_VALUE) {
			*out = h;
			return 0;
		}
		if (GetLastError() == ERROR_FILE_NOT_FOUND)
			return -ENOENT; /* no daemon */
		if (GetLastError() != ERROR_PIPE_BUSY)
			return -ECONNREFUSED;
		if (now >= deadline ||
			!WaitNamedPipeW(name, (DWORD)(deadline - now)))
			return -ETIMEDOUT;
	}
}

int
ctl_request(const char *dir, const char *request, int timeout_ms, char **out)
{
	ULONGLONG deadline = GetTickCount64() +
		(ULONGLONG)(timeout_ms > 0 ? timeout_ms : 0);
	char name[CTL__ENDPOINT_MAX], *line = NULL, *buf = NULL;
	WCHAR *wname = NULL;
	HANDLE h = INVALID_HANDLE_VALUE, ev = NULL;
	ULONG pid = 0;
	size_t len = 0, rl;
	int64_t n;
	int r;

	*out = NULL;
	if ((r = ctl__endpoint(dir, name, sizeof(name))) != 0)
		return r;
	if ((wname = winacl_wide(name)) == NULL)
		return OP_ERR_NOMEM;
	if ((r = open_pipe(wname, deadline, &h)) != 0)
		goto out;
	/* Whoever holds the name must be the daemon: our user or the
	 * system, not another user's program waiting for our requests. */
	if (!GetNamedPipeServerProcessId(h, &pid) || !winacl_pid_trusted(pid)) {
		r = -EACCES;
		goto out;
	}
	rl = strlen(request);
	if (rl > CTL_MAX_REQUEST - 1 || (line = malloc(rl + 2)) == NULL ||
		(buf = malloc(CTL_MAX_RESPONSE + 1)) == NULL ||
		(ev = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL) {
		r = rl > CTL_MAX_REQUEST - 1 ? OP_ERR_TOO_LARGE : OP_ERR_NOMEM;
		goto out;
	}
	memcpy(line, request, rl);
	line[rl] = '\n';
	if ((n = io_wait(h, ev, true, line, (DWORD)rl + 1, deadline)) !=
		(int64_t)rl + 1) {
		r = n < 0 ? (int)n : -EIO;
		goto out;
	}
	while ((n = io_wait(h, ev, false, buf + len,
			(DWORD)(CTL_MAX_RESPONSE - len), deadline)) > 0) {
		len += (size_t)n;
		if (len >= CTL_MAX_RESPONSE) {
			r = OP_ERR_TOO_LARGE;
			goto out;
		}
	}
	if (n < 0) {
		r = (int)n;
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
	r = 0;
out:
	if (ev != NULL)
		CloseHandle(ev);
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	free(wname);
	free(line);
	free(buf);
	return r;
}
