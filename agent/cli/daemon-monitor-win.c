/* SPDX-License-Identifier: MIT */
/*
 * The monitor's Windows side (daemon-monitor.h). The network process is
 * the same outpost.exe, its end of the channel (a named pipe,
 * monchan-win.c) passed as CRT descriptor 3 (winspawn.h), with no
 * privileges but SeChangeNotifyPrivilege. Handles in replies are duplicated
 * into it (monchan_send's peer). Windows has no signals to pass on: a
 * stop is MON_EV_STOP, and a network process that has not ended 15 s
 * later is terminated. Stops come from Ctrl-C or Ctrl-Break in a
 * console, and from the SCM when it runs as the service.
 *
 * The consent prompt is started in the console session
 * (consent-win.c), from session 0 too.
 *
 * Under the SCM the network process is started in the console session
 * on its interactive desktop (mon_proc_spawn), as RustDesk does, and
 * moved when the console session changes.
 *
 * A technician's Ctrl+Alt+Del comes as secure-attention: SendSAS, from
 * the service only (daemon-sas-win.c).
 *
 * Not yet: another account for the network process (it runs as the
 * monitor's, LocalSystem for the service, its privileges deleted), a
 * virtual display (refused); locking is the network process's own
 * (LockWorkStation in the console session, daemon-desktop-win.c).
 */
#include "cli/daemon.h"
#include "cli/daemon-internal.h"
#include "cli/daemon-monitor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <uv.h>
#include <windows.h>

#include "cli/cli.h"
#include "core/err.h"
#include "core/log.h"
#include "monitor/monitor.h"
#include "platform/monchan.h"
#include "platform/winspawn.h"
#include "platform/winsvc.h"

#define STOP_GRACE_MS 15000

int
mon_proc_setup(struct mon_proc *p, struct monitor_opts *mo)
{
	size_t n = sizeof(p->self_exe);

	if (uv_exepath(p->self_exe, &n) != 0) {
		log_error("monitor: cannot find outpost.exe's own path");
		return EX_OSERR;
	}
	/* x11-cookie: refused (NULL). */
	mo->cookie_copy = NULL;
	mo->consent_ask = daemon_monitor_consent_ask;
	p->drop = false;
	return 0;
}

int
mon_proc_state(struct mon_proc *p, const char *state)
{
	(void)state;
	p->net_dir = -1; /* its files are named by path (daemon-private.c) */
	return 0;
}

/* The wait's thread: the network process started by winspawn ended. */
static void CALLBACK
on_child_wait(void *arg, BOOLEAN timed_out)
{
	struct mon_proc *p = arg;

	(void)timed_out;
	uv_async_send(&p->child_exited);
}

static void
on_child_exited(uv_async_t *a)
{
	struct mon_proc *p = a->data;
	DWORD code = 1;

	if (p->child_proc == NULL)
		return;
	(void)UnregisterWait(p->child_wait); /* it has fired: no wait */
	p->child_wait = NULL;
	if (!GetExitCodeProcess(p->child_proc, &code))
		code = 1;
	CloseHandle(p->child_proc);
	p->child_proc = NULL;
	uv_unref((uv_handle_t *)&p->child_exited);
	p->on_exit(p, code, p->child_killed ? SIGKILL : 0);
}

/*
 * The network process, with no privileges but SeChangeNotifyPrivilege
 * (winspawn.h). A service starts it in the console session, on its
 * interactive desktop (winsta0\\default), so that it serves the screen
 * the user sees: a service's own session (0 on Windows) and window
 * station are never shown. No console session (between sessions): our
 * own for now; a session change starts it again.
 */
int
mon_proc_spawn(struct mon_proc *p, int child_end, mon_exit_fn on_exit)
{
	unsigned long own = winspawn_own_session();
	unsigned long console = winspawn_console_session();
	struct winspawn ws = {
		.exe = p->self_exe,
		.argv = p->cli->argv,
		.session = p->service && console != 0xFFFFFFFFul ? console :
								   own,
		.drop_privileges = true,
		.fds = { 0, 1, 2, child_end },
		.nfds = 4,
	};
	int pid, r;

	/* Inherited by the child (our own never reads it again). */
	if ((r = uv_os_setenv(DAEMON_MONITOR_FD_ENV, "3")) != 0)
		return r;
	p->on_exit = on_exit;
	if ((r = winspawn_start(&ws, &p->child_proc, &pid)) != 0)
		return r == OP_ERR_DENIED ? UV_EPERM : UV_EINVAL;
	if (!RegisterWaitForSingleObject(&p->child_wait, p->child_proc,
		    on_child_wait, p, INFINITE, WT_EXECUTEONLYONCE)) {
		TerminateProcess(p->child_proc, 1);
		CloseHandle(p->child_proc);
		p->child_proc = NULL;
		return UV_EINVAL;
	}
	p->child_pid = pid;
	p->child_session = ws.session;
	p->child_killed = false;
	uv_ref((uv_handle_t *)&p->child_exited);
	log_info("monitor: network process %d started in session %lu", pid,
		ws.session);
	return 0;
}

void
mon_proc_kill(struct mon_proc *p)
{
	if (p->child_proc != NULL) {
		p->child_killed = true;
		TerminateProcess(p->child_proc, 1);
	}
}

static intptr_t
child_handle(struct mon_proc *p)
{
	return p->child_running && p->child_proc != NULL ?
		       (intptr_t)p->child_proc :
		       -1;
}

int
mon_proc_reply(struct mon_proc *p, const struct monitor_reply *reply)
{
	return monchan_send(p->sock, reply->b, reply->len, reply->fds,
		reply->nfds, child_handle(p));
}

int
mon_proc_send_event(struct mon_proc *p, const struct mon_buf *ev)
{
	return monchan_send(p->ev_sock, ev->b, ev->len, NULL, 0,
		child_handle(p));
}

int
mon_proc_events_pair(struct mon_proc *p, int *fd)
{
	int ends[2], r;

	if ((r = monchan_pair(ends)) != 0)
		return r;
	if (p->ev_sock >= 0)
		close(p->ev_sock);
	p->ev_sock = ends[0];
	*fd = ends[1];
	return 0;
}

void
mon_proc_notify(void *arg, enum mon_notify what)
{
	struct mon_proc *p = arg;

	if (what == MON_NOTIFY_READY && p->service)
		winsvc_running();
}

static void
on_stop_timeout(uv_timer_t *t)
{
	struct mon_proc *p = t->data;

	if (!p->child_running)
		return;
	log_error("monitor: the network process did not stop within %d s; "
		  "ending it", STOP_GRACE_MS / 1000);
	mon_proc_kill(p);
}

void
mon_proc_stop_child(struct mon_proc *p)
{
	struct mon_buf ev = { .len = 0 };
	int r = -ENOTCONN;

	mon_put_u8(&ev, MON_EV_STOP);
	if (p->ev_sock >= 0)
		r = mon_proc_send_event(p, &ev);
	if (r != 0) {
		log_warn("monitor: cannot tell the network process to stop "
			 "(%s); ending it", op_strerror(r));
		mon_proc_kill(p);
		return;
	}
	uv_timer_start(&p->stop_timer, on_stop_timeout, STOP_GRACE_MS, 0);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	log_info("monitor: %s: stopping",
		signum == SIGINT ? "Ctrl-C" : "Ctrl-Break");
	daemon_monitor_stop(h->data);
}

static void
on_service_stop(uv_async_t *h)
{
	log_info("monitor: the service is stopping");
	daemon_monitor_stop(h->data);
}

/* The console session changed (a log-on, a switch of users): a network
 * process in another session serves a screen nobody sees; it is stopped
 * and, as after any end once it was up, started again (in the console
 * session). */
static void
on_service_session(uv_async_t *h)
{
	struct mon_proc *p = h->data;
	unsigned long console = winspawn_console_session();

	if (!p->service || !p->child_running || p->child_proc == NULL ||
		console == 0xFFFFFFFFul || console == p->child_session)
		return;
	log_notice("monitor: the console is now session %lu; moving the "
		   "network process there from session %lu",
		console, p->child_session);
	mon_proc_stop_child(p);
}

/* The running monitor, for the SCM's thread; a stop that comes before
 * it runs is remembered. */
static uv_mutex_t svc_lock;
static uv_once_t svc_once = UV_ONCE_INIT;
static struct mon_proc *svc_running;
static bool svc_stop_early, as_service;

static void
svc_lock_init(void)
{
	(void)uv_mutex_init(&svc_lock);
}

void
daemon_monitor_as_service(bool yes)
{
	as_service = yes;
}

void
daemon_monitor_service_stop(void)
{
	uv_once(&svc_once, svc_lock_init);
	uv_mutex_lock(&svc_lock);
	if (svc_running != NULL)
		uv_async_send(&svc_running->svc_stop);
	else
		svc_stop_early = true;
	uv_mutex_unlock(&svc_lock);
}

void
daemon_monitor_service_session(void)
{
	uv_once(&svc_once, svc_lock_init);
	uv_mutex_lock(&svc_lock);
	if (svc_running != NULL)
		uv_async_send(&svc_running->svc_session);
	uv_mutex_unlock(&svc_lock);
}

void
mon_proc_signals(struct mon_proc *p, bool start)
{
	if (start) {
		uv_signal_init(&p->loop, &p->sig_int);
		p->sig_int.data = p;
		uv_signal_start(&p->sig_int, on_signal, SIGINT);
		uv_signal_init(&p->loop, &p->sig_term);
		p->sig_term.data = p;
		uv_signal_start(&p->sig_term, on_signal, SIGBREAK);
		uv_timer_init(&p->loop, &p->stop_timer);
		p->stop_timer.data = p;
		uv_async_init(&p->loop, &p->svc_stop, on_service_stop);
		p->svc_stop.data = p;
		uv_unref((uv_handle_t *)&p->svc_stop);
		uv_async_init(&p->loop, &p->svc_session, on_service_session);
		p->svc_session.data = p;
		uv_unref((uv_handle_t *)&p->svc_session);
		/* Referenced while a winspawn child runs. */
		uv_async_init(&p->loop, &p->child_exited, on_child_exited);
		p->child_exited.data = p;
		uv_unref((uv_handle_t *)&p->child_exited);
		p->service = as_service;
		uv_once(&svc_once, svc_lock_init);
		uv_mutex_lock(&svc_lock);
		svc_running = p;
		if (svc_stop_early)
			uv_async_send(&p->svc_stop);
		uv_mutex_unlock(&svc_lock);
		return;
	}
	uv_once(&svc_once, svc_lock_init);
	uv_mutex_lock(&svc_lock);
	svc_running = NULL;
	uv_mutex_unlock(&svc_lock);
	uv_close((uv_handle_t *)&p->sig_int, NULL);
	uv_close((uv_handle_t *)&p->sig_term, NULL);
	uv_close((uv_handle_t *)&p->stop_timer, NULL);
	uv_close((uv_handle_t *)&p->svc_stop, NULL);
	uv_close((uv_handle_t *)&p->svc_session, NULL);
	uv_close((uv_handle_t *)&p->child_exited, NULL);
}

int
mon_proc_hook(struct mon_proc *p, enum mon_type type, struct mon_buf *out,
	int *fd)
{
	(void)fd;
	switch (type) {
	case MON_FIND_USER:
		return daemon_user_encode(out);
	case MON_LOCK_SESSION:
	case MON_VD_START:
		mon_put_str(out, "not available on Windows yet");
		return OP_ERR_UNSUPPORTED;
	case MON_CONSENT_CANCEL:
		daemon_monitor_consent_cancel(p);
		return 0;
	case MON_SECURE_ATTENTION:
		return daemon_sas_encode(p->service, out);
	case MON_VD_STOP:
		return 0;
	default:
		return OP_ERR_UNSUPPORTED;
	}
}

void
mon_proc_child_ended(struct mon_proc *p)
{
	uv_timer_stop(&p->stop_timer);
	daemon_monitor_consent_cancel(p);
}

void
mon_proc_cleanup(struct mon_proc *p)
{
	(void)p;
}
