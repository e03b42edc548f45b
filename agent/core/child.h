/* SPDX-License-Identifier: MIT */
/*
 * A forked child between fork() and execve(): async-signal-safe steps
 * shared by everything the daemon starts as another user (the consent
 * prompt, terminal shells). The daemon has threads, so after fork only
 * async-signal-safe calls are allowed; these use nothing else.
 *
 * Failures are written to fd 2 as "<prefix><what> failed, errno N<eol>"
 * and end the child with _exit(code).
 */
#ifndef OP_CORE_CHILD_H
#define OP_CORE_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct child_who {
	bool change_ids; /* false: already uid/gid (an unprivileged run) */
	uid_t uid;
	gid_t gid;
	size_t ngroups;
	const gid_t *groups;
};

struct child_say_as {
	const char *prefix; /* e.g. "consent prompt: " */
	const char *eol;    /* "\n", or "\r\n" on a terminal */
	int code;           /* the exit code of a failed step */
};

/* write(2) of s to fd 2. */
void child_say(const char *s);

/* Reports what failed with errno, then _exit(how->code). */
void child_fail(const struct child_say_as *how, const char *what)
	__attribute__((noreturn));

/* Every signal back to its default disposition, none blocked (the daemon
 * ignores SIGPIPE and blocks some). */
void child_default_signals(void);

/* Closes every descriptor from lowfd up. */
void child_close_from(int lowfd);

/* Becomes who for good (groups, gid, uid; root cannot be regained) and
 * checks it; any failure ends the child. */
void child_become(const struct child_who *who, const struct child_say_as *how);

/* SIGKILL when the daemon dies (after child_become, which clears it);
 * ends the child if parent is already gone. */
void child_die_with(pid_t parent, const struct child_say_as *how);

#endif
