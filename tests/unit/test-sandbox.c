/* SPDX-License-Identifier: MIT */
/*
 * platform/sandbox.c in a child process (the filter cannot be taken off
 * again): what it refuses fails with EPERM, what the network process
 * needs still works, and no_new_privs is set.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/sandbox.h"
#include "th.h"

/* Bit i of the child's exit status: check i failed. */
static int
sandboxed_checks(void)
{
	char why[256];
	char *const argv[] = { "true", NULL }, *const envp[] = { NULL };
	int fail = 0, fd, sv[2];
	char mine[4] = "abc", got[4] = "";
	struct iovec lv = { got, sizeof(got) }, rv = { mine, sizeof(mine) };
	pid_t parent = getppid();

	if (sandbox_network_process(why, sizeof(why)) != 0)
		return 0xff; /* every check failed */
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		fail |= 1;
	errno = 0;
	if (execve("/bin/true", argv, envp) != -1 || errno != EPERM)
		fail |= 2;
	errno = 0;
	if (syscall(SYS_execveat, AT_FDCWD, "/bin/true", argv, envp, 0) !=
		-1 || errno != EPERM)
		fail |= 4;
	errno = 0;
	if (unshare(CLONE_NEWUSER) != -1 || errno != EPERM)
		fail |= 8;
	errno = 0;
	if (mount("none", "/tmp", "tmpfs", 0, NULL) != -1 || errno != EPERM)
		fail |= 16;
	/* Another process's memory (the parent's) is refused; its own
	 * (venc-mem-unix.c) is not. */
	errno = 0;
	if (process_vm_readv(parent, &lv, 1, &rv, 1, 0) != -1 ||
		errno != EPERM)
		fail |= 64;
	if (process_vm_readv(getpid(), &lv, 1, &rv, 1, 0) != 4 ||
		memcmp(got, "abc", 4) != 0)
		fail |= 128;
	/* What the network process does all day still works. */
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
		write(fd, "x", 1) != 1 || close(fd) != 0 ||
		socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0 ||
		send(sv[0], "y", 1, 0) != 1 || close(sv[0]) != 0 ||
		close(sv[1]) != 0)
		fail |= 32;
	return fail;
}

static void
test_filter_in_a_child(void)
{
	int status = 0;
	pid_t pid = fork();

	ASSERT(pid >= 0);
	if (pid == 0)
		_exit(sandboxed_checks());
	ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT(WIFEXITED(status));
	ASSERT_INT_EQ(WEXITSTATUS(status), 0);
}

static void
test_the_list_is_not_empty(void)
{
	ASSERT(sandbox_denied_count() >= 40);
}

int
main(void)
{
	RUN(test_filter_in_a_child);
	RUN(test_the_list_is_not_empty);
	return th_done();
}
