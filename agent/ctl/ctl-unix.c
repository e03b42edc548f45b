/* SPDX-License-Identifier: MIT */
/*
 * The control endpoint on Unix: dir/control.sock, 0600 from bind on (the
 * state directory is 0700 as well), made by the monitor and served by
 * the network process; the client's uid from SO_PEERCRED, and the
 * blocking client the CLI uses.
 */
#include "ctl/ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/err.h"
#include "ctl/ctl-internal.h"

int
ctl__endpoint(const char *dir, char *out, size_t n)
{
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path);

	if (n < max)
		max = n;
	if (snprintf(out, max, "%s/%s", dir, CTL_SOCKET_NAME) >= (int)max)
		return -ENAMETOOLONG;
	return 0;
}

void
ctl__unlink(const char *endpoint)
{
	(void)unlink(endpoint);
}

int
ctl_listen_fd(const char *dir, int *fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r;

	*fd = -1;
	if ((r = ctl__endpoint(dir, sa.sun_path, sizeof(sa.sun_path))) != 0)
		return r;
	(void)unlink(sa.sun_path); /* stale socket of a previous run */
	if ((*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	/* 0600 from the start: nobody else may connect in between. */
	if (bind(*fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		chmod(sa.sun_path, 0600) != 0 || listen(*fd, 8) != 0) {
		r = -errno;
		close(*fd);
		*fd = -1;
		(void)unlink(sa.sun_path);
		return r;
	}
	return 0;
}

int
ctl_server_start_fd(uv_loop_t *loop, const char *dir, int fd,
	ctl_handler_fn fn, void *arg, struct ctl_server **out)
{
	uv_pipe_t *pipe;
	int r;

	if ((r = ctl__server_new(loop, dir, fn, arg, out, &pipe)) != 0) {
		close(fd);
		return r;
	}
	if ((r = uv_pipe_open(pipe, fd)) != 0) {
		close(fd);
		ctl_server_stop(*out);
		*out = NULL;
		return r;
	}
	return ctl__serve(out);
}

bool
ctl__peer_allowed(uv_pipe_t *p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)p, &fd) != 0 ||
		getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

int
ctl_request(const char *dir, const char *request, int timeout_ms, char **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *buf = NULL;
	size_t len = 0;
	int fd;
	int r;

	*out = NULL;
	if ((r = ctl__endpoint(dir, sa.sun_path, sizeof(sa.sun_path))) != 0)
		return r;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		dprintf(fd, "%s\n", request) < 0) {
		r = -errno;
		goto out;
	}
	if ((buf = malloc(CTL_MAX_RESPONSE + 1)) == NULL) {
		r = OP_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if ((r = poll(&p, 1, timeout_ms)) == 0) {
			r = -ETIMEDOUT;
			goto out;
		}
		if (r < 0) {
			r = -errno;
			goto out;
		}
		n = read(fd, buf + len, CTL_MAX_RESPONSE - len);
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len >= CTL_MAX_RESPONSE) {
			r = OP_ERR_TOO_LARGE;
			goto out;
		}
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}
