/* SPDX-License-Identifier: MIT */
/*
 * Starting a terminal's shell: the account lookup, the pty, and the child
 * that becomes the configured user.
 *
 * Everything that may allocate or take locks (NSS, getgrouplist, the tty
 * group, argv and environment strings) happens before fork: the daemon
 * has threads (libuv's pool, the audit writer), so the child may only use
 * async-signal-safe system calls. In the child, in this order: default
 * signals and an empty mask; a new session with the pty slave as its
 * controlling terminal and as fds 0-2; every other fd closed;
 * setgroups, setresgid, setresuid, each checked, and a check that root
 * cannot be regained; PR_SET_PDEATHSIG (after setresuid, which clears
 * it); umask 022; chdir home (or /); execve of the login shell ("-bash")
 * with a six-variable environment. Failures are written to the pty, so
 * the technician reads them, and exit 126 (setup) or 127 (exec).
 *
 * Deliberately not PR_SET_NO_NEW_PRIVS: an administrator's shell must be
 * able to run sudo, as over ssh. Nothing here ever runs a shell command
 * line built from input.
 */
#include "term/term-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "core/child.h"
#include "core/err.h"

#define CHILD_EXIT_SETUP 126
#define CHILD_EXIT_EXEC 127
#define PATH_USER "/usr/local/bin:/usr/bin:/bin:/usr/games"
#define PATH_ROOT "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Everything the child needs, prepared before fork. */
struct child_plan {
	int slave;
	pid_t parent;
	bool change_ids;
	const struct term_account *a;
	const char *home;
	char *const *argv;
	char *const *envp;
};

int
term_account_lookup(const char *name, const char *shell,
	struct term_account *out)
{
	struct passwd pw;
	struct passwd *res = NULL;
	char buf[16384];
	int n;
	int r;

	memset(out, 0, sizeof(*out));
	if (name == NULL || name[0] == '\0')
		return OP_ERR_CONFIG;
	if (strlen(name) >= sizeof(out->name))
		return OP_ERR_NOT_FOUND;
	if (shell != NULL && shell[0] != '\0' &&
		(shell[0] != '/' || strlen(shell) >= sizeof(out->shell)))
		return OP_ERR_CONFIG;
	do
		r = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	while (r == EINTR);
	if (r != 0)
		return -r;
	if (res == NULL)
		return OP_ERR_NOT_FOUND;
	n = TERM_MAX_GROUPS;
	if (getgrouplist(name, pw.pw_gid, out->groups, &n) < 0) {
		memset(out, 0, sizeof(*out));
		return OP_ERR_RANGE;
	}
	out->ngroups = n;
	out->uid = pw.pw_uid;
	out->gid = pw.pw_gid;
	snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(out->home, sizeof(out->home), "%s",
		pw.pw_dir != NULL && pw.pw_dir[0] == '/' ? pw.pw_dir : "/");
	if (shell != NULL && shell[0] != '\0')
		snprintf(out->shell, sizeof(out->shell), "%s", shell);
	else if (pw.pw_shell != NULL && pw.pw_shell[0] == '/' &&
		strlen(pw.pw_shell) < sizeof(out->shell))
		snprintf(out->shell, sizeof(out->shell), "%s", pw.pw_shell);
	else
		snprintf(out->shell, sizeof(out->shell), "/bin/sh");
	return 0;
}

int32_t
term__exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

int
term__may_switch(const struct term_account *a, bool allow_root)
{
	if (a->uid == 0 && !allow_root)
		return OP_ERR_DENIED;
	if (geteuid() == 0)
		return 0;
	/* Unprivileged (a developer's run): only as ourselves. */
	if (a->uid != getuid() || a->uid != geteuid() || a->gid != getgid() ||
		a->gid != getegid())
		return OP_ERR_PERM;
	return 0;
}

/* Runs in the forked child: async-signal-safe calls only. */
static void __attribute__((noreturn))
child_exec(const struct child_plan *p)
{
	static const struct child_say_as how = {
		.prefix = "\r\noutpost: cannot start the terminal: ",
		.eol = "\r\n", .code = CHILD_EXIT_SETUP };
	static const struct child_say_as how_exec = {
		.prefix = "\r\noutpost: cannot start the terminal: ",
		.eol = "\r\n", .code = CHILD_EXIT_EXEC };
	const struct term_account *a = p->a;
	const struct child_who who = { .change_ids = p->change_ids,
		.uid = a->uid, .gid = a->gid, .ngroups = (size_t)a->ngroups,
		.groups = a->groups };

	child_default_signals(); /* the daemon ignores SIGPIPE */
	if (setsid() < 0 || ioctl(p->slave, TIOCSCTTY, 0) < 0)
		_exit(CHILD_EXIT_SETUP);
	if (dup2(p->slave, 0) < 0 || dup2(p->slave, 1) < 0 ||
		dup2(p->slave, 2) < 0)
		_exit(CHILD_EXIT_SETUP);
	child_close_from(3);
	child_become(&who, &how);
	/* After setresuid, which clears it: die with the daemon. */
	child_die_with(p->parent, &how);
	(void)umask(022);
	if (chdir(p->home) != 0 && chdir("/") != 0)
		child_fail(&how, "chdir");
	execve(a->shell, p->argv, p->envp);
	child_fail(&how_exec, "execve");
}

/* LANG for the shell: the configured value when it looks like a locale
 * name, else C.UTF-8. */
static const char *
shell_lang(const char *l)
{
	if (l == NULL || l[0] == '\0' || strlen(l) > 48)
		return "C.UTF-8";
	for (const char *p = l; *p; p++)
		if (!(*p >= 'A' && *p <= 'Z') && !(*p >= 'a' && *p <= 'z') &&
			!(*p >= '0' && *p <= '9') && !strchr("_.@-", *p))
			return "C.UTF-8";
	return l;
}

/* The slave end, as the shell's user (sshd's 0620, group tty). */
static int
open_slave(int master, const struct term_account *a, char *tty, size_t cap,
	bool *chowned)
{
	struct termios tio;
	struct group gr;
	struct group *res = NULL;
	char buf[4096];
	gid_t tty_gid = a->gid;
	mode_t mode = 0600;
	int slave;

	*chowned = true;
	if (ptsname_r(master, tty, cap) != 0)
		snprintf(tty, cap, "?");
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0 && (slave = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return -errno;
	if (geteuid() == 0) {
		if (getgrnam_r("tty", &gr, buf, sizeof(buf), &res) == 0 &&
			res != NULL) {
			tty_gid = gr.gr_gid;
			mode = 0620;
		}
		/* Best effort: without CAP_CHOWN (the shipped unit's
		 * sandbox) the tty stays root's, mode 0620 group tty; the
		 * shell has it open anyway, only tools that reopen it by
		 * name (screen, write) notice. */
		if (fchown(slave, a->uid, tty_gid) != 0 ||
			fchmod(slave, mode) != 0)
			*chowned = false;
	}
	/* The client speaks UTF-8: let line editing erase whole characters. */
	if (tcgetattr(slave, &tio) == 0) {
		tio.c_iflag |= IUTF8;
		(void)tcsetattr(slave, TCSANOW, &tio);
	}
	return slave;
}

int
term__spawn(const struct term_account *a, const char *lang, uint16_t rows,
	uint16_t cols, struct term__child *out)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	char e_home[530];
	char e_user[80];
	char e_logname[80];
	char e_shell[270];
	char e_lang[64];
	char argv0[64];
	char *envp[9];
	char *argv[2];
	const char *base;
	struct child_plan plan;
	int master = -1;
	int slave = -1;
	int n = 0;
	int r;

	out->pid = 0;
	out->pidfd = -1;
	out->master = -1;
	out->tty[0] = '\0';
	if ((master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return -errno;
	if (grantpt(master) != 0 || unlockpt(master) != 0 ||
		ioctl(master, TIOCSWINSZ, &ws) != 0 ||
		fcntl(master, F_SETFL, O_NONBLOCK | O_RDWR) != 0) {
		r = -errno;
		goto fail;
	}
	if ((slave = open_slave(master, a, out->tty, sizeof(out->tty),
		     &out->tty_chowned)) < 0) {
		r = slave;
		slave = -1;
		goto fail;
	}

	base = strrchr(a->shell, '/');
	snprintf(argv0, sizeof(argv0), "-%s",
		base != NULL ? base + 1 : a->shell);
	argv[0] = argv0;
	argv[1] = NULL;
	snprintf(e_home, sizeof(e_home), "HOME=%s", a->home);
	snprintf(e_user, sizeof(e_user), "USER=%s", a->name);
	snprintf(e_logname, sizeof(e_logname), "LOGNAME=%s", a->name);
	snprintf(e_shell, sizeof(e_shell), "SHELL=%s", a->shell);
	snprintf(e_lang, sizeof(e_lang), "LANG=%s", shell_lang(lang));
	envp[n++] = e_home;
	envp[n++] = e_user;
	envp[n++] = e_logname;
	envp[n++] = e_shell;
	envp[n++] = (char *)(a->uid == 0 ? "PATH=" PATH_ROOT :
					   "PATH=" PATH_USER);
	envp[n++] = (char *)"TERM=xterm-256color";
	envp[n++] = e_lang;
	envp[n] = NULL;

	plan = (struct child_plan){
		.slave = slave,
		.parent = getpid(),
		.change_ids = getuid() != a->uid || geteuid() != a->uid ||
			getgid() != a->gid || getegid() != a->gid ||
			geteuid() == 0,
		.a = a,
		.home = a->home,
		.argv = argv,
		.envp = envp,
	};
	out->pid = fork();
	if (out->pid < 0) {
		r = -errno;
		out->pid = 0;
		goto fail;
	}
	if (out->pid == 0)
		child_exec(&plan);
	close(slave);
	slave = -1;
	out->pidfd = (int)syscall(SYS_pidfd_open, out->pid, 0U);
	if (out->pidfd < 0) {
		r = -errno;
		(void)kill(out->pid, SIGKILL);
		(void)waitpid(out->pid, NULL, 0); /* just killed: immediate */
		out->pid = 0;
		goto fail;
	}
	(void)fcntl(out->pidfd, F_SETFD, FD_CLOEXEC);
	out->master = master;
	return 0;
fail:
	if (slave >= 0)
		close(slave);
	close(master);
	return r;
}

/* The session of /proc/PID/stat: the 6th field, counted after the ")"
 * that ends the command name (which may hold spaces and parentheses). */
static pid_t
session_of(const char *pid)
{
	char path[64];
	char buf[512];
	const char *p;
	long sid;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
		sscanf(p + 1, " %*c %*d %*d %ld", &sid) != 1)
		return -1;
	return (pid_t)sid;
}

int
term__signal_session(pid_t sid, int sig)
{
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (sid <= 1 || (d = opendir("/proc")) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9' ||
			session_of(e->d_name) != sid)
			continue;
		if (kill((pid_t)strtol(e->d_name, NULL, 10), sig) == 0)
			n++;
		if (sig == SIGHUP)
			(void)kill((pid_t)strtol(e->d_name, NULL, 10), SIGCONT);
	}
	closedir(d);
	return n;
}
