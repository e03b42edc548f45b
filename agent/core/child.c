/* SPDX-License-Identifier: MIT */
#include "core/child.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

void
child_say(const char *s)
{
	ssize_t n = write(2, s, strlen(s));

	(void)n;
}

void
child_fail(const struct child_say_as *how, const char *what)
{
	char num[16];
	int e = errno;
	size_t i = sizeof(num) - 1;

	num[i] = '\0';
	do {
		num[--i] = (char)('0' + e % 10);
		e /= 10;
	} while (e > 0 && i > 0);
	child_say(how->prefix);
	child_say(what);
	child_say(" failed, errno ");
	child_say(num + i);
	child_say(how->eol);
	_exit(how->code);
}

void
child_default_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int i = 1; i < NSIG; i++)
		(void)sigaction(i, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

void
child_close_from(int lowfd)
{
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0U) != 0)
		for (int fd = lowfd; fd < 65536; fd++)
			(void)close(fd);
}

void
child_become(const struct child_who *who, const struct child_say_as *how)
{
	if (who->change_ids) {
		if (setgroups(who->ngroups, who->groups) != 0)
			child_fail(how, "setgroups");
		if (setresgid(who->gid, who->gid, who->gid) != 0)
			child_fail(how, "setresgid");
		if (setresuid(who->uid, who->uid, who->uid) != 0)
			child_fail(how, "setresuid");
		if (who->uid != 0 && setresuid(0, 0, 0) == 0) {
			errno = EPERM;
			child_fail(how, "dropping root for good");
		}
	}
	if (getuid() != who->uid || geteuid() != who->uid ||
		getgid() != who->gid || getegid() != who->gid) {
		errno = EPERM;
		child_fail(how, "checking the user and group");
	}
}

void
child_die_with(pid_t parent, const struct child_say_as *how)
{
	if (prctl(PR_SET_PDEATHSIG, (unsigned long)SIGKILL, 0L, 0L, 0L) != 0)
		child_fail(how, "PR_SET_PDEATHSIG");
	if (getppid() != parent) {
		errno = ESRCH;
		child_fail(how, "finding the daemon");
	}
}
