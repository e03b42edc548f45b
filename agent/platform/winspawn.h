/* SPDX-License-Identifier: MIT */
/*
 * Starting a process in another Windows session (issue 16; Windows only,
 * winspawn-win.c). libuv's uv_spawn starts children with our own token
 * only; a service (session 0, which no user sees) must start the network
 * process in the console session, on its interactive desktop, as RustDesk
 * does: a copy of our token with the session ID changed (needs
 * SeTcbPrivilege, which LocalSystem has).
 *
 * C runtime descriptors 0..nfds-1 are passed the way the C runtime (and
 * libuv) pass them: STARTUPINFO's lpReserved2 table, so the child's CRT
 * finds them as the same descriptor numbers. Only those handles are
 * inherited.
 */
#ifndef OP_PLATFORM_WINSPAWN_H
#define OP_PLATFORM_WINSPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <wchar.h>

#define WINSPAWN_MAX_FDS 8

struct winspawn {
	const char *exe;     /* UTF-8, absolute */
	char *const *argv;   /* argv[0] first, NULL-terminated */
	unsigned long session; /* the session to start it in */
	/* A user's primary token (WTSQueryUserToken) to start it with,
	 * with that user's environment; NULL: ours, moved to session. */
	void *token;
	/* Start it with every privilege deleted from its token but
	 * SeChangeNotifyPrivilege (which everyone has): a LocalSystem child
	 * keeps SYSTEM's access to objects but cannot debug or open other
	 * processes at will, act as part of the OS, back up, restore, take
	 * ownership, load drivers or impersonate. */
	bool drop_privileges;
	/* The child's CRT descriptors 0..nfds-1 (each one of ours, or -1
	 * for none). */
	int fds[WINSPAWN_MAX_FDS];
	int nfds;
};

/*
 * Starts s->exe in session s->session on winsta0\default, as s->token's
 * user, else with a copy of our own token moved to that session (when it
 * is our own session, the token is unchanged). On success *proc is the process handle (the
 * caller waits for it and closes it) and *pid its ID. Returns 0,
 * OP_ERR_DENIED when the token cannot be moved (no SeTcbPrivilege),
 * OP_ERR_CONFIG for a bad exe or argv, or OP_ERR_INTERNAL.
 */
int winspawn_start(const struct winspawn *s, void **proc, int *pid);

/* Our own session's ID; 0xFFFFFFFF when unknown. */
unsigned long winspawn_own_session(void);

/* The console session's ID (the one with the screen, keyboard and
 * mouse); 0xFFFFFFFF when there is none (between sessions). */
unsigned long winspawn_console_session(void);

/*
 * The command line CreateProcess parses back into argv (the rules of
 * CommandLineToArgvW and the C runtime): each argument quoted when it
 * holds a space, tab or quote, backslashes doubled before a quote.
 * Returns the length, or -1 when it does not fit size wide characters.
 */
int winspawn_cmdline(char *const *argv, wchar_t *out, int size);

#endif
