/* SPDX-License-Identifier: MIT */
/*
 * The monitor's channel (platform/monchan.h), the same test on Linux (a
 * socketpair) and under wine (a message-mode named pipe): message
 * boundaries kept, a message over the maximum refused, descriptors
 * arriving usable, a peer that closes, and on Windows the frames a
 * hostile writer could make by hand.
 */
#include "platform/monchan.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "th-chan.h"
#include "th.h"

/* Room for the longest message at an offset of a few bytes. */
static uint8_t big[MONCHAN_MSG_MAX + 16];

static void
test_boundaries(void)
{
	static const size_t sizes[] = { 1, 2, 100, 4096, MONCHAN_MSG_MAX };
	static uint8_t got[MONCHAN_MSG_MAX];
	int ch[2], nfds = -1;
	ssize_t n;

	ASSERT_INT_EQ(monchan_pair(ch), 0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	/* Sent one after the other before any is read: never merged. */
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		ASSERT_INT_EQ(monchan_send(ch[1], big + i, sizes[i], NULL, 0,
				      MONCHAN_SELF),
			0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = monchan_recv(ch[0], got, sizeof(got), NULL, 0, &nfds, 1000);
		ASSERT_INT_EQ(n, (ssize_t)sizes[i]);
		ASSERT_INT_EQ(nfds, 0);
		ASSERT_MEM_EQ(got, big + i, sizes[i]);
	}
	/* Both ways. */
	ASSERT_INT_EQ(monchan_send(ch[0], "pong", 4, NULL, 0, MONCHAN_SELF),
		0);
	ASSERT_INT_EQ(monchan_recv(ch[1], got, 4, NULL, 0, &nfds, 1000), 4);
	ASSERT_MEM_EQ(got, "pong", 4);
	/* Nothing more: a timeout, not an end. */
	ASSERT_INT_EQ(monchan_recv(ch[0], got, sizeof(got), NULL, 0, &nfds,
			      50),
		-ETIMEDOUT);
	close(ch[0]);
	close(ch[1]);
}

static void
test_limits(void)
{
	uint8_t got[64];
	int ch[2], fds[3] = { 0, 1, 2 }, nfds = -1;

	ASSERT_INT_EQ(monchan_pair(ch), 0);
	ASSERT_INT_EQ(monchan_send(ch[1], big, MONCHAN_MSG_MAX + 1, NULL, 0,
			      MONCHAN_SELF),
		-EMSGSIZE);
	ASSERT_INT_EQ(monchan_send(ch[1], big, 0, NULL, 0, MONCHAN_SELF),
		-EMSGSIZE);
	ASSERT_INT_EQ(monchan_send(ch[1], big, 1, fds, MONCHAN_FDS_MAX + 1,
			      MONCHAN_SELF),
		-EINVAL);
	/* Longer than the reader takes: refused and consumed; the next one
	 * arrives whole. */
	ASSERT_INT_EQ(monchan_send(ch[1], big, 65, NULL, 0, MONCHAN_SELF), 0);
	ASSERT_INT_EQ(monchan_send(ch[1], big, 64, NULL, 0, MONCHAN_SELF), 0);
	ASSERT_INT_EQ(monchan_recv(ch[0], got, sizeof(got), NULL, 0, &nfds,
			      1000),
		-EPROTO);
	ASSERT_INT_EQ(monchan_recv(ch[0], got, sizeof(got), NULL, 0, &nfds,
			      1000),
		64);
	ASSERT_MEM_EQ(got, big, 64);
	close(ch[0]);
	close(ch[1]);
}

/* A peer that does not read: a send waits MONCHAN_SEND_MS for room,
 * then fails; nothing of it arrives, the channel still works. */
static void
test_full(void)
{
	static uint8_t got[MONCHAN_MSG_MAX];
	int ch[2], nfds = -1, sent = 0, r = 0;

	ASSERT_INT_EQ(monchan_pair(ch), 0);
	while (sent < 1000 && (r = monchan_send(ch[1], big, MONCHAN_MSG_MAX,
				       NULL, 0, MONCHAN_SELF)) == 0)
		sent++;
	ASSERT_INT_EQ(r, -ETIMEDOUT);
	ASSERT(sent > 0);
	for (int i = 0; i < sent; i++) {
		ASSERT_INT_EQ(monchan_recv(ch[0], got, sizeof(got), NULL, 0,
				      &nfds, 1000),
			MONCHAN_MSG_MAX);
		ASSERT_MEM_EQ(got, big, MONCHAN_MSG_MAX);
	}
	ASSERT_INT_EQ(monchan_recv(ch[0], got, sizeof(got), NULL, 0, &nfds,
			      50),
		-ETIMEDOUT);
	ASSERT_INT_EQ(monchan_send(ch[1], "ok", 2, NULL, 0, MONCHAN_SELF), 0);
	ASSERT_INT_EQ(monchan_recv(ch[0], got, sizeof(got), NULL, 0, &nfds,
			      1000),
		2);
	close(ch[0]);
	close(ch[1]);
}

/* Descriptors: a pipe's write end passed, written through, read at the
 * other end; refused ones closed, none left behind (the pipe's reader
 * sees the end once every write end is closed). */
static void
test_descriptors(void)
{
	char got[16];
	int ch[2], p[2], q[2], r[2], in[MONCHAN_FDS_MAX], nfds = -1;
	long before;

	ASSERT_INT_EQ(monchan_pair(ch), 0);
	ASSERT_INT_EQ(th_pipe(p), 0);
	ASSERT_INT_EQ(th_pipe(q), 0);
	before = th_open_count();
	ASSERT_INT_EQ(monchan_send(ch[0], "fd", 2, (int[]){ p[1], q[0] }, 2,
			      MONCHAN_SELF),
		0);
	ASSERT_INT_EQ(monchan_recv(ch[1], got, sizeof(got), in, 2, &nfds,
			      1000),
		2);
	ASSERT_INT_EQ(nfds, 2);
	ASSERT(in[0] != p[1] && in[1] != q[0]);
	/* The copies work, and are copies: the originals are closed first. */
	close(p[1]);
	close(q[0]);
	ASSERT_INT_EQ(write(in[0], "through", 7), 7);
	ASSERT_INT_EQ(read(p[0], got, sizeof(got)), 7);
	ASSERT_MEM_EQ(got, "through", 7);
	ASSERT_INT_EQ(write(q[1], "back", 4), 4);
	ASSERT_INT_EQ(read(in[1], got, sizeof(got)), 4);
	ASSERT_MEM_EQ(got, "back", 4);
	ASSERT(!th_writers_gone(p[0]));
	close(in[0]);
	ASSERT(th_writers_gone(p[0]));
	close(in[1]);
	TH_SAME_OPEN(before - 2);
	close(p[0]);
	close(q[1]);

	/* More than the reader takes: refused, the copies closed. */
	ASSERT_INT_EQ(th_pipe(p), 0);
	ASSERT_INT_EQ(th_pipe(q), 0);
	before = th_open_count();
	ASSERT_INT_EQ(monchan_send(ch[0], "x", 1, (int[]){ p[1], q[1] }, 2,
			      MONCHAN_SELF),
		0);
	ASSERT_INT_EQ(monchan_recv(ch[1], got, sizeof(got), in, 1, &nfds,
			      1000),
		-EPROTO);
	ASSERT_INT_EQ(nfds, 0);
	TH_SAME_OPEN(before);
	close(p[1]);
	close(q[1]);
	ASSERT(th_writers_gone(p[0]));
	ASSERT(th_writers_gone(q[0]));
	close(p[0]);
	close(q[0]);
#ifndef _WIN32
	/* Any to a reader that takes none (the monitor): refused, closed.
	 * (On Windows the monitor never closes what a request names: that
	 * direction cannot make handles, test_hostile_frames says why.) */
	ASSERT_INT_EQ(th_pipe(p), 0);
	ASSERT_INT_EQ(monchan_send(ch[0], "x", 1, (int[]){ p[1] }, 1,
			      MONCHAN_SELF),
		0);
	ASSERT_INT_EQ(monchan_recv(ch[1], got, sizeof(got), NULL, 0, &nfds,
			      1000),
		-EPROTO);
	close(p[1]);
	ASSERT(th_writers_gone(p[0]));
	close(p[0]);
#endif
	/* A descriptor that is not open: nothing sent, nothing kept of the
	 * good one before it. */
	ASSERT_INT_EQ(th_pipe(r), 0);
	before = th_open_count();
	ASSERT(monchan_send(ch[0], "x", 1, (int[]){ r[1], 999 }, 2,
		       MONCHAN_SELF) < 0);
	ASSERT_INT_EQ(monchan_recv(ch[1], got, sizeof(got), in, 2, &nfds, 50),
		-ETIMEDOUT);
	TH_SAME_OPEN(before);
	close(r[1]);
	ASSERT(th_writers_gone(r[0]));
	close(r[0]);
	close(ch[0]);
	close(ch[1]);
}

/* The peer goes away: what it sent still arrives whole, then the end;
 * a send to it fails, and the descriptor's copy is undone. */
static void
test_peer_closes(void)
{
	uint8_t got[MONCHAN_MSG_MAX];
	int ch[2], p[2], nfds = -1;

	ASSERT_INT_EQ(monchan_pair(ch), 0);
	ASSERT_INT_EQ(th_pipe(p), 0);
	ASSERT_INT_EQ(monchan_send(ch[1], big, MONCHAN_MSG_MAX, NULL, 0,
			      MONCHAN_SELF),
		0);
	close(ch[1]);
	ASSERT_INT_EQ(monchan_recv(ch[0], got, sizeof(got), NULL, 0, &nfds,
			      1000),
		MONCHAN_MSG_MAX);
	ASSERT_MEM_EQ(got, big, MONCHAN_MSG_MAX);
	ASSERT_INT_EQ(monchan_recv(ch[0], got, sizeof(got), NULL, 0, &nfds,
			      1000),
		0);
	ASSERT_INT_EQ(monchan_send(ch[0], "x", 1, (int[]){ p[1] }, 1,
			      MONCHAN_SELF),
		-ECONNRESET);
	close(p[1]);
	ASSERT(th_writers_gone(p[0]));
	close(p[0]);
	close(ch[0]);
}

#ifdef _WIN32
/* Writes a raw frame on the channel's pipe, as a hostile peer could. */
static void
raw(int ch, const void *b, size_t len)
{
	HANDLE h = (HANDLE)_get_osfhandle(ch);
	OVERLAPPED ov;
	DWORD n = 0;

	memset(&ov, 0, sizeof(ov));
	ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
	ASSERT(ov.hEvent != NULL);
	if (!WriteFile(h, b, (DWORD)len, NULL, &ov))
		ASSERT_INT_EQ(GetLastError(), ERROR_IO_PENDING);
	ASSERT(GetOverlappedResult(h, &ov, &n, TRUE));
	ASSERT_INT_EQ(n, len);
	CloseHandle(ov.hEvent);
}

/*
 * Frames only a hostile peer would write: cut short, too many handles,
 * handle values of 0 or -1, longer than any message. And the rule that
 * keeps the monitor safe: a reader taking no handles (the monitor) never
 * closes what a frame names, as those could be its own handles.
 */
static void
test_hostile_frames(void)
{
	static uint8_t f[MONCHAN_MSG_MAX + 100];
	uint8_t got[64];
	int ch[2], in[2], nfds = -1, p[2];
	HANDLE mine;
	DWORD flags;
	long before;

	ASSERT_INT_EQ(monchan_pair(ch), 0);
	ASSERT_INT_EQ(th_pipe(p), 0);
	before = th_open_count();
	/* Two handles promised, five bytes there. */
	memset(f, 0, sizeof(f));
	f[0] = 2;
	raw(ch[1], f, 5);
	ASSERT_INT_EQ(monchan_recv(ch[0], got, sizeof(got), in, 2, &nfds,
			      1000),
		-EPROTO);
	/* A header and no payload. */
	f[0] = 0;
	raw(ch[1], f, 1);
	ASSERT_INT_EQ(monchan_recv(ch[0], got, sizeof(got), in, 2, &nfds,
			      1000),
		-EPROTO);
	/* More handles than any message has. */
	f[0] = MONCHAN_FDS_MAX + 1;
	raw(ch[1], f, 1 + 8 * (MONCHAN_FDS_MAX + 1) + 1);
	ASSERT_INT_EQ(monchan_recv(ch[0], got, sizeof(got), in, 2, &nfds,
			      1000),
		-EPROTO);
	/* Values that are no handle. */
	f[0] = 1;
	raw(ch[1], f, 1 + 8 + 1); /* 0 */
	ASSERT_INT_EQ(monchan_recv(ch[0], got, sizeof(got), in, 2, &nfds,
			      1000),
		-EPROTO);
	memset(f + 1, 0xff, 8); /* INVALID_HANDLE_VALUE */
	raw(ch[1], f, 1 + 8 + 1);
	ASSERT_INT_EQ(monchan_recv(ch[0], got, sizeof(got), in, 2, &nfds,
			      1000),
		-EPROTO);
	/* Longer than any message: drained, refused; the next one whole. */
	f[0] = 0;
	raw(ch[1], f, sizeof(f));
	ASSERT_INT_EQ(monchan_send(ch[1], "next", 4, NULL, 0, MONCHAN_SELF),
		0);
	ASSERT_INT_EQ(monchan_recv(ch[0], got, sizeof(got), in, 2, &nfds,
			      1000),
		-EPROTO);
	ASSERT_INT_EQ(monchan_recv(ch[0], got, sizeof(got), in, 2, &nfds,
			      1000),
		4);
	ASSERT_MEM_EQ(got, "next", 4);
	ASSERT_INT_EQ(nfds, 0);
	TH_SAME_OPEN(before);
	/* One of the reader's own handles named to a reader taking none:
	 * refused, and still open. */
	mine = (HANDLE)_get_osfhandle(p[1]);
	f[0] = 1;
	for (int b = 0; b < 8; b++)
		f[1 + b] = (uint8_t)((uint64_t)(uintptr_t)mine >> (8 * b));
	raw(ch[1], f, 1 + 8 + 1);
	ASSERT_INT_EQ(monchan_recv(ch[0], got, sizeof(got), NULL, 0, &nfds,
			      1000),
		-EPROTO);
	ASSERT(GetHandleInformation(mine, &flags));
	ASSERT_INT_EQ(write(p[1], "ok", 2), 2);
	TH_SAME_OPEN(before);
	close(p[0]);
	close(p[1]);
	close(ch[0]);
	close(ch[1]);
}
#endif

int
main(void)
{
	RUN(test_boundaries);
	RUN(test_limits);
	RUN(test_full);
	RUN(test_descriptors);
	RUN(test_peer_closes);
#ifdef _WIN32
	RUN(test_hostile_frames);
#endif
	return th_done();
}
