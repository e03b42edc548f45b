/* SPDX-License-Identifier: MIT */
/*
 * Connecting to a user's Unix socket (PipeWire, a Wayland compositor) as
 * that user, for a root daemon:
 * a forked child drops to the user (setgroups, setresgid, setresuid, each
 * checked, and root must not come back), connects, and hands the socket
 * to us over a socketpair with SCM_RIGHTS. The server then sees a client
 * of its own user, never root. The child runs only async-signal-safe
 * calls (we may have threads: libuv's pool, PipeWire's data thread) and
 * exits at once; it never execs anything.
 *
 * The held variant (platform_connect_user_held) is for servers that
 * inspect the connecting process after connect(): xdg-desktop-portal
 * opens /proc/PID/root of its bus client. The connection is made by a
 * grandchild (no reaping needed) that, once it has handed the socket
 * over, execs /bin/cat reading the socketpair: exec drops our memory
 * image (a forked copy of the daemon must not become inspectable by the
 * user, which its new credentials would allow after exec) and all other
 * fds are closed first. cat ends when we close the other end or die.
 */
#include "platform/userconn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "platform/fdpass.h"

#define CONNECT_MS 2000
#define PARENT_MS 3000
#define HOLDER "/bin/cat"
#define MAX_FD_SCAN 65536

/* The child's report: 0 with the fd attached, or a positive errno. */
static void
child_report(int sock, int err, int fd)
{
	(void)fdpass_send(sock, &err, sizeof(err), &fd, fd >= 0 ? 1 : 0, 0);
}

static int
child_connect(const struct sockaddr_un *sun, uid_t uid, gid_t gid)
{
	struct pollfd p;
	socklen_t len = sizeof(int);
	int soerr = 0;
	int fd;

	if (geteuid() == 0 && (setgroups(1, &gid) != 0 ||
		setresgid(gid, gid, gid) != 0 ||
		setresuid(uid, uid, uid) != 0))
		return -errno;
	if (getuid() != uid || geteuid() != uid ||
		(uid != 0 && setresuid(0, 0, 0) == 0))
		return -EPERM;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		     0)) < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
		return fd;
	if (errno != EAGAIN && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		return -e;
	}
	/* A full backlog: wait a little for the server. */
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, CONNECT_MS) != 1 ||
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 ||
		soerr != 0) {
		close(fd);
		return soerr != 0 ? -soerr : -ETIMEDOUT;
	}
	return fd;
}

static int
recv_fd(int sock, int *fd)
{
	int err = EPROTO;
	struct pollfd p = { .fd = sock, .events = POLLIN };
	ssize_t n;
	int nfds = 0;

	if (poll(&p, 1, PARENT_MS) != 1)
		return -ETIMEDOUT;
	n = fdpass_recv(sock, &err, sizeof(err), fd, 1, &nfds, 0);
	if (n != (ssize_t)sizeof(err)) {
		if (nfds == 1)
			close(*fd);
		return n < 0 ? (int)n : -EPROTO;
	}
	if (nfds == 1 && err == 0)
		return 0;
	if (nfds == 1)
		close(*fd);
	return err > 0 ? (err == ENOENT ? OP_ERR_NOT_FOUND : -err) : -EPROTO;
}

/* The held grandchild after its report: stdin = the socketpair,
 * stdout/stderr = /dev/null, fd 3 = the exec pipe (close-on-exec: its
 * end tells the parent that our image is gone), nothing else open, then
 * cat. */
static void
grandchild_hold(int sock, int exec_fd)
{
	static char *const argv[] = { "cat", NULL };
	static char *const envp[] = { NULL };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0 || dup2(sock, 0) != 0 || dup2(null, 1) != 1 ||
		dup2(null, 2) != 2 || dup3(exec_fd, 3, O_CLOEXEC) != 3)
		_exit(127);
	if (syscall(SYS_close_range, 4u, ~0u, 0u) != 0)
		for (int i = 4; i < MAX_FD_SCAN; i++)
			(void)close(i);
	execve(HOLDER, argv, envp);
	_exit(127);
}

/* EOF on the exec pipe: the grandchild exec'd (or died). */
static int
wait_exec(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, PARENT_MS) != 1)
		return -ETIMEDOUT;
	return read(fd, &c, 1) == 0 ? 0 : -EPROTO;
}

static int
connect_as(const char *path, uid_t uid, gid_t gid, int *fd, int *hold)
{
	struct sockaddr_un sun;
	int sv[2], ep[2] = { -1, -1 };
	pid_t pid;
	int status;
	int n;
	int r;

	*fd = -1;
	if (hold != NULL)
		*hold = -1;
	if (path == NULL || path[0] != '/')
		return OP_ERR_CONFIG;
	if (geteuid() != 0 && geteuid() != uid)
		return -EPERM;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -errno;
	if (hold != NULL && pipe2(ep, O_CLOEXEC) != 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if ((pid = fork()) < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		if (hold != NULL) {
			close(ep[0]);
			close(ep[1]);
		}
		return r;
	}
	if (pid == 0) {
		int c;

		close(sv[0]);
		if (hold != NULL)
			close(ep[0]);
		/* Held: the child only forks; init reaps the grandchild. */
		if (hold != NULL && fork() != 0)
			_exit(0);
		if (hold == NULL)
			(void)prctl(PR_SET_PDEATHSIG, (unsigned long)SIGKILL,
				0L, 0L, 0L);
		c = child_connect(&sun, uid, gid);
		child_report(sv[1], c < 0 ? -c : 0, c);
		if (hold == NULL || c < 0)
			_exit(0);
		close(c);
		grandchild_hold(sv[1], ep[1]);
	}
	close(sv[1]);
	if (hold != NULL) {
		close(ep[1]);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	r = recv_fd(sv[0], fd);
	/* The server may look at the process as soon as we talk: not before
	 * it is cat (EOF on the exec pipe), or it would see our image. */
	if (hold != NULL && r == 0 && (r = wait_exec(ep[0])) != 0) {
		close(*fd);
		*fd = -1;
	}
	if (hold != NULL)
		close(ep[0]);
	if (hold != NULL && r == 0)
		*hold = sv[0];
	else
		close(sv[0]); /* a held grandchild that hangs sees EOF */
	if (hold != NULL)
		return r;
	if (r == -ETIMEDOUT)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return r;
}

static platform_user_connector connector;
static void *connector_arg;

void
platform_set_user_connector(platform_user_connector fn, void *arg)
{
	connector = fn;
	connector_arg = arg;
}

int
platform_connect_user_here(const char *path, uid_t uid, gid_t gid, int *fd,
	int *hold)
{
	return connect_as(path, uid, gid, fd, hold);
}

int
platform_connect_user(const char *path, uid_t uid, gid_t gid, int *fd)
{
	if (connector != NULL)
		return connector(connector_arg, path, uid, gid, fd, NULL);
	return connect_as(path, uid, gid, fd, NULL);
}

int
platform_connect_user_held(const char *path, uid_t uid, gid_t gid, int *fd,
	int *hold)
{
	if (connector != NULL)
		return connector(connector_arg, path, uid, gid, fd, hold);
	return connect_as(path, uid, gid, fd, hold);
}

static platform_user_prober prober;
static void *prober_arg;

void
platform_set_user_prober(platform_user_prober fn, void *arg)
{
	prober = fn;
	prober_arg = arg;
}

int
platform_user_socket_here(const char *path, uid_t *uid, gid_t *gid)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? OP_ERR_NOT_FOUND :
							     -errno;
	if (!S_ISSOCK(st.st_mode))
		return OP_ERR_NOT_FOUND;
	*uid = st.st_uid;
	*gid = st.st_gid;
	return 0;
}

int
platform_user_socket(const char *path, uid_t *uid, gid_t *gid)
{
	int r;

	if (prober != NULL)
		return prober(prober_arg, path, uid, gid);
	if ((r = platform_user_socket_here(path, uid, gid)) != 0)
		return r;
	if (geteuid() != 0) { /* we can only be ourselves */
		*uid = geteuid();
		*gid = getegid();
	}
	return 0;
}
