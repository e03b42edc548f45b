/* SPDX-License-Identifier: MIT */
/*
 * The agent as a Windows service (issue 16; Windows only, winsvc-win.c):
 * running under the Service Control Manager, reporting its state, and
 * installing or removing the service. What systemd's unit and sd_notify
 * are to the Linux daemon; `outpost run` runs under it when the SCM
 * starts it (cli/cmd-run.c, cli/daemon-monitor-win.c).
 *
 * Threads: the SCM calls the control handler on the dispatcher thread,
 * not the agent's loop: ops->stop and ops->session_change must only do
 * thread-safe things (uv_async_send).
 */
#ifndef OP_PLATFORM_WINSVC_H
#define OP_PLATFORM_WINSVC_H

#include <stddef.h>

struct winsvc_ops {
	/* The service's body, on the service thread: returns the exit code
	 * reported to the SCM (0 = clean stop). Calls winsvc_running()
	 * once it serves. */
	int (*main)(void *arg);
	/* STOP, SHUTDOWN or PRESHUTDOWN: make main return soon. */
	void (*stop)(void *arg);
	/* SESSIONCHANGE: event is a WTS_* code (WTS_SESSION_LOGON, ...),
	 * session the session id. May be NULL. */
	void (*session_change)(void *arg, unsigned event, unsigned session);
	void *arg;
};

/*
 * Runs the service name under the SCM: blocks until ops->main has
 * returned and STOPPED is reported. Returns 0, OP_ERR_STATE when the
 * process was not started by the SCM (a console run), or another
 * negative code.
 */
int winsvc_run(const char *name, const struct winsvc_ops *ops);

/* START_PENDING -> RUNNING (what READY=1 is to systemd). */
void winsvc_running(void);

/*
 * Installs the service name (display: its display name) that runs
 * command_line (the quoted executable and its arguments) as LocalSystem,
 * started at boot and restarted after a failure (5 s, twice, then 60 s).
 * Needs an administrator. 0, or a negative code with why in err.
 */
int winsvc_install(const char *name, const char *display,
	const char *description, const char *command_line, char *err,
	size_t errlen);

/* Stops (waiting up to 20 s) and removes the service. 0,
 * OP_ERR_NOT_FOUND when there is none, or a negative code with err. */
int winsvc_uninstall(const char *name, char *err, size_t errlen);

#endif
