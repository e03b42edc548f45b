/* SPDX-License-Identifier: MIT */
/*
 * A private Xvfb for unit tests that need a real X server (capture,
 * input). The server is started with -displayfd, so no display number is
 * guessed, and with a cookie file written here (one Wild entry with an
 * empty display number, which matches whatever number the server picks),
 * so every client must authenticate. Helpers to write Xauthority entries
 * are shared too. Header-only; functions are static inline so a test
 * that uses only some of them still builds warning-free.
 */
#ifndef OP_TESTS_TH_XVFB_H
#define OP_TESTS_TH_XVFB_H

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xcb/xcb.h>

#include "xconn/xauth.h"

extern char **environ;

struct th_xvfb {
	pid_t pid;
	char display[32]; /* ":N" */
	char dnum[16];    /* "N" */
	char srv_auth[160];
	uint8_t cookie[OP_XAUTH_COOKIE_LEN];
};

static inline void
th_xauth_put_u16(uint8_t *b, size_t *off, size_t v)
{
	b[(*off)++] = (uint8_t)(v >> 8);
	b[(*off)++] = (uint8_t)v;
}

static inline void
th_xauth_put_str(uint8_t *b, size_t *off, const void *s, size_t n)
{
	th_xauth_put_u16(b, off, n);
	memcpy(b + *off, s, n);
	*off += n;
}

/* Appends one Xauthority entry to b at *off (the caller sizes b). */
static inline void
th_xauth_put_entry(uint8_t *b, size_t *off, unsigned family,
	const char *addr, const char *num, const char *name,
	const uint8_t *data, size_t dlen)
{
	th_xauth_put_u16(b, off, family);
	th_xauth_put_str(b, off, addr, strlen(addr));
	th_xauth_put_str(b, off, num, strlen(num));
	th_xauth_put_str(b, off, name, strlen(name));
	th_xauth_put_str(b, off, data, dlen);
}

static inline int
th_write_file(const char *path, const uint8_t *b, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, b, n) == (ssize_t)n;
	close(fd);
	return ok ? 0 : -1;
}

/* Returns a static buffer with the program's path, or NULL. */
static inline char *
th_find_in_path(const char *prog)
{
	static char buf[512];
	const char *path = getenv("PATH");

	if (path == NULL)
		path = "/usr/bin:/bin";
	while (*path != '\0') {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, prog);
		if (access(buf, X_OK) == 0)
			return buf;
		path += n;
		if (*path == ':')
			path++;
	}
	return NULL;
}

/*
 * Starts Xvfb with one screen of the given geometry ("1920x1080x24"),
 * its cookie file in dir. Returns 0 with x->pid, x->display and x->dnum
 * set, or -1 (x->pid is -1 then, or a process th_xvfb_stop() kills).
 */
static inline int
th_xvfb_start(struct th_xvfb *x, const char *dir, const char *geometry,
	const uint8_t cookie[OP_XAUTH_COOKIE_LEN])
{
	uint8_t b[512];
	size_t n = 0, got = 0;
	char fdstr[16], line[32];
	posix_spawn_file_actions_t fa;
	struct pollfd pfd;
	int p[2];
	ssize_t k;
	char *xvfb = th_find_in_path("Xvfb");

	x->pid = -1;
	memcpy(x->cookie, cookie, OP_XAUTH_COOKIE_LEN);
	if (xvfb == NULL)
		return -1;
	/* The number is not known before -displayfd says it, and an empty
	 * number matches any display. */
	snprintf(x->srv_auth, sizeof(x->srv_auth), "%s/server-auth", dir);
	th_xauth_put_entry(b, &n, OP_XAUTH_FAMILY_WILD, "", "",
		"MIT-MAGIC-COOKIE-1", cookie, OP_XAUTH_COOKIE_LEN);
	if (th_write_file(x->srv_auth, b, n) != 0 || pipe(p) != 0)
		return -1;
	snprintf(fdstr, sizeof(fdstr), "%d", p[1]);
	{
		char *argv[] = { xvfb, "-displayfd", fdstr, "-nolisten",
			"tcp", "-noreset", "-auth", x->srv_auth, "-screen",
			"0", (char *)geometry, NULL };

		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addclose(&fa, p[0]);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null",
			O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null",
			O_WRONLY, 0);
		if (posix_spawn(&x->pid, xvfb, &fa, NULL, argv, environ) !=
			0)
			x->pid = -1;
		posix_spawn_file_actions_destroy(&fa);
	}
	close(p[1]);
	if (x->pid < 0) {
		close(p[0]);
		return -1;
	}
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (got < sizeof(line) - 1 && memchr(line, '\n', got) == NULL) {
		if (poll(&pfd, 1, 10000) <= 0)
			break;
		if ((k = read(p[0], line + got, sizeof(line) - 1 - got)) <= 0)
			break;
		got += (size_t)k;
	}
	close(p[0]);
	line[got] = '\0';
	if (got == 0 || memchr(line, '\n', got) == NULL)
		return -1;
	line[strcspn(line, "\n")] = '\0';
	snprintf(x->dnum, sizeof(x->dnum), "%s", line);
	snprintf(x->display, sizeof(x->display), ":%s", x->dnum);
	return 0;
}

/* A client connection with the server's cookie, or NULL. */
static inline xcb_connection_t *
th_xvfb_connect(const struct th_xvfb *x)
{
	char mit[] = "MIT-MAGIC-COOKIE-1";
	uint8_t ck[OP_XAUTH_COOKIE_LEN];
	xcb_auth_info_t a;
	xcb_connection_t *c;

	memcpy(ck, x->cookie, sizeof(ck));
	a.name = mit;
	a.namelen = (int)strlen(mit);
	a.data = (char *)ck;
	a.datalen = (int)sizeof(ck);
	c = xcb_connect_to_display_with_auth_info(x->display, &a, NULL);
	if (xcb_connection_has_error(c)) {
		xcb_disconnect(c);
		return NULL;
	}
	return c;
}

/* Kills the server (if running) and removes its cookie file. */
static inline void
th_xvfb_stop(struct th_xvfb *x)
{
	if (x->pid > 0) {
		kill(x->pid, SIGKILL);
		waitpid(x->pid, NULL, 0);
	}
	x->pid = -1;
	if (x->srv_auth[0] != '\0')
		unlink(x->srv_auth);
}

#endif
