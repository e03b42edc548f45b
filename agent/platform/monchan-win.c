/* SPDX-License-Identifier: MIT */
/*
 * monchan.h on Windows (issue 16): the monitor's channel is a named pipe
 * in message mode (PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE: a message
 * is never split or merged, as a SOCK_SEQPACKET datagram), made by
 * core/winacl.h's winacl_pipe_new like ctl's and term's pipes: one
 * instance (FILE_FLAG_FIRST_PIPE_INSTANCE), a random name, remote
 * clients refused, the private DACL (LocalSystem, Administrators and the
 * service's own account). monchan_pair opens the other end itself at
 * once, so the one instance is taken before anyone else could try; the
 * network process gets that end as a handle, never by name, and so
 * needs no entry in the DACL.
 *
 * Descriptors: Windows has no SCM_RIGHTS. The sender duplicates each
 * handle into the receiving process (DuplicateHandle with the peer's
 * process handle: the monitor holds the network process's, which it
 * created) and the values travel in the message. A frame is
 *
 *   u8 count, count x u64 handle values (little-endian), the payload.
 *
 * The receiver wraps them as CRT descriptors. The network process has no
 * handle of the monitor's process, so the handles it might name are only
 * numbers: the monitor receives with max 0 and refuses such a message
 * without closing anything (closing those numbers could close its own).
 * When a send fails, the copies made in the peer are closed again there.
 *
 * Not done yet: the network process itself (a restricted token, the
 * daemon on Windows); so far both ends live in one process (tests).
 */
#include "platform/monchan.h"

#include <winsock2.h> /* before windows.h, as libuv has it */
#include <windows.h>

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <string.h>

#include "core/err.h"
#include "core/winacl.h"

#define HDR_MAX (1 + 8 * MONCHAN_FDS_MAX)
#define FRAME_MAX (HDR_MAX + MONCHAN_MSG_MAX)

static int
win_err(DWORD e)
{
	switch (e) {
	case ERROR_BROKEN_PIPE:
	case ERROR_NO_DATA:
	case ERROR_PIPE_NOT_CONNECTED:
		return -ECONNRESET;
	default:
		return op_err_from_win32(e);
	}
}

/* A handle as a CRT descriptor (the handle is the descriptor's then);
 * on failure the handle is closed. */
static int
wrap(HANDLE h, int *fd)
{
	*fd = _open_osfhandle((intptr_t)h, _O_BINARY);
	if (*fd < 0) {
		CloseHandle(h);
		return -EMFILE;
	}
	return 0;
}

bool
monchan_is_end(int fd)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);

	return h != INVALID_HANDLE_VALUE && GetFileType(h) == FILE_TYPE_PIPE;
}

int
monchan_pair(int ends[2])
{
	WCHAR name[WINACL_PIPE_NAME_MAX];
	DWORD mode = PIPE_READMODE_MESSAGE;
	HANDLE srv, cli;
	int r;

	ends[0] = ends[1] = -1;
	/* Room for a few messages: a sender waits for the rest. */
	r = winacl_pipe_new("monitor",
		PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
		PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT,
		4 * FRAME_MAX, name, &srv);
	if (r != 0)
		return r;
	cli = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
		OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
	if (cli == INVALID_HANDLE_VALUE) {
		r = op_err_from_win32(GetLastError());
		CloseHandle(srv);
		return r;
	}
	if (!SetNamedPipeHandleState(cli, &mode, NULL, NULL)) {
		r = op_err_from_win32(GetLastError());
		CloseHandle(srv);
		CloseHandle(cli);
		return r;
	}
	if ((r = wrap(srv, &ends[0])) != 0) {
		CloseHandle(cli);
		return r;
	}
	if ((r = wrap(cli, &ends[1])) != 0) {
		_close(ends[0]);
		ends[0] = -1;
		return r;
	}
	return 0;
}

/* One overlapped read or write of len bytes, waiting up to ms (INFINITE
 * for ever). 0 with *done, or a negative code; ERROR_MORE_DATA (a read
 * of part of a longer message) is *more, with *done bytes read. */
static int
io(HANDLE h, bool wr, void *buf, DWORD len, DWORD ms, DWORD *done,
	bool *more)
{
	OVERLAPPED ov;
	DWORD e = 0;
	BOOL ok;

	*done = 0;
	if (more != NULL)
		*more = false;
	memset(&ov, 0, sizeof(ov));
	if ((ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL)
		return op_err_from_win32(GetLastError());
	ok = wr ? WriteFile(h, buf, len, NULL, &ov) :
		  ReadFile(h, buf, len, NULL, &ov);
	if (!ok && (e = GetLastError()) == ERROR_IO_PENDING &&
		WaitForSingleObject(ov.hEvent, ms) != WAIT_OBJECT_0)
		CancelIoEx(h, &ov); /* it may complete all the same */
	if (ok || e == ERROR_IO_PENDING || e == ERROR_MORE_DATA) {
		ok = GetOverlappedResult(h, &ov, done, TRUE);
		e = ok ? 0 : GetLastError();
	}
	CloseHandle(ov.hEvent);
	if (e == ERROR_MORE_DATA && more != NULL) {
		*more = true;
		return 0;
	}
	if (e == ERROR_OPERATION_ABORTED)
		return -ETIMEDOUT;
	return e != 0 ? win_err(e) : 0;
}

/* Closes handles duplicated into peer (a failed send). */
static void
undo(HANDLE peer, const uint64_t *vals, int n)
{
	for (int i = 0; i < n; i++)
		DuplicateHandle(peer, (HANDLE)(uintptr_t)vals[i], NULL, NULL, 0,
			FALSE, DUPLICATE_CLOSE_SOURCE);
}

int
monchan_send(int ch, const void *buf, size_t len, const int *fds, int nfds,
	intptr_t peer)
{
	HANDLE h = (HANDLE)_get_osfhandle(ch);
	HANDLE target = peer == MONCHAN_SELF ? GetCurrentProcess() :
					       (HANDLE)peer;
	uint8_t frame[FRAME_MAX];
	uint64_t vals[MONCHAN_FDS_MAX];
	size_t hdr = 1 + 8 * (size_t)nfds;
	DWORD done = 0;
	int dup = 0;
	int r;

	if (len < 1 || len > MONCHAN_MSG_MAX)
		return -EMSGSIZE;
	if (nfds < 0 || nfds > MONCHAN_FDS_MAX)
		return -EINVAL;
	if (h == INVALID_HANDLE_VALUE)
		return -EBADF;
	frame[0] = (uint8_t)nfds;
	for (; dup < nfds; dup++) {
		HANDLE src = (HANDLE)_get_osfhandle(fds[dup]);
		HANDLE copy = NULL;

		if (src == INVALID_HANDLE_VALUE ||
			!DuplicateHandle(GetCurrentProcess(), src, target,
				&copy, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
			r = src == INVALID_HANDLE_VALUE ? -EBADF :
				op_err_from_win32(GetLastError());
			undo(target, vals, dup);
			return r;
		}
		vals[dup] = (uint64_t)(uintptr_t)copy;
		for (int b = 0; b < 8; b++)
			frame[1 + 8 * dup + b] =
				(uint8_t)(vals[dup] >> (8 * b));
	}
	memcpy(frame + hdr, buf, len);
	r = io(h, true, frame, (DWORD)(hdr + len), MONCHAN_SEND_MS, &done,
		NULL);
	if (r == 0 && done != hdr + len)
		r = -EIO;
	if (r != 0)
		undo(target, vals, nfds);
	return r;
}

/* The rest of a message longer than our buffer, read and dropped. */
static int
drain(HANDLE h)
{
	uint8_t junk[4096];
	DWORD n;
	bool more = true;
	int r = 0;

	while (more && r == 0)
		r = io(h, false, junk, sizeof(junk), INFINITE, &n, &more);
	return r;
}

ssize_t
monchan_recv(int ch, void *buf, size_t cap, int *fds, int max, int *nfds,
	int timeout_ms)
{
	HANDLE h = (HANDLE)_get_osfhandle(ch);
	uint8_t frame[FRAME_MAX];
	HANDLE got[MONCHAN_FDS_MAX];
	DWORD n = 0;
	bool more = false;
	size_t count, hdr, len;
	bool bad = false;
	int r;

	*nfds = 0;
	if (max < 0 || max > MONCHAN_FDS_MAX)
		return -EINVAL;
	if (h == INVALID_HANDLE_VALUE)
		return -EBADF;
	r = io(h, false, frame, sizeof(frame),
		timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms, &n, &more);
	if (r == -ECONNRESET)
		return 0;
	if (r != 0)
		return r;
	if (more) {
		/* Longer than any message we send: refused whole. Its
		 * handles (if any were real) are not looked at. */
		r = drain(h);
		return r == 0 || r == -ECONNRESET ? -EPROTO : r;
	}
	if (n < 1)
		return -EPROTO;
	count = frame[0];
	hdr = 1 + 8 * count;
	if (count > MONCHAN_FDS_MAX || n <= hdr)
		return -EPROTO; /* a frame cut short, or no payload */
	len = n - hdr;
	for (size_t i = 0; i < count; i++) {
		uint64_t v = 0;

		for (int b = 0; b < 8; b++)
			v |= (uint64_t)frame[1 + 8 * i + (size_t)b] << (8 * b);
		got[i] = (HANDLE)(uintptr_t)v;
		bad |= v == 0 || got[i] == INVALID_HANDLE_VALUE;
	}
	if (bad || count > (size_t)max || len > cap) {
		/* Handles duplicated into us by the monitor are closed; with
		 * max 0 none can be (the module's comment). */
		for (size_t i = 0; max > 0 && i < count; i++)
			if (got[i] != NULL && got[i] != INVALID_HANDLE_VALUE)
				CloseHandle(got[i]);
		return -EPROTO;
	}
	for (size_t i = 0; i < count; i++) {
		if ((r = wrap(got[i], &fds[i])) != 0) {
			for (size_t j = i + 1; j < count; j++)
				CloseHandle(got[j]);
			for (int j = 0; j < *nfds; j++)
				_close(fds[j]);
			*nfds = 0;
			return r;
		}
		(*nfds)++;
	}
	memcpy(buf, frame + hdr, len);
	return (ssize_t)len;
}
