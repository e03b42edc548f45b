/* SPDX-License-Identifier: MIT */
/*
 * The monitor's Unix side (daemon-monitor.h): the network process run as
 * security.network_user with its socket as fd 3 and its private
 * directory as fd 4, systemd's notifications, signals (SIGTERM and
 * SIGINT stop, SIGHUP is passed on), the consent prompt, the virtual
 * display, logind's user and lock, and the control socket.
 */
#include "cli/daemon.h"
#include "cli/daemon-internal.h"
#include "cli/daemon-monitor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <uv.h>

#include "cli/cli.h"
#include "consent/consent.h"
#include "core/err.h"
#include "core/log.h"
#include "ctl/ctl.h"
#include "monitor/monitor.h"
#include "platform/fdpass.h"
#include "store/state.h"

extern char **environ;

static bool
is_var(const char *entry, const char *name)
{
	size_t n = strlen(name);

	return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

/* environ plus DAEMON_MONITOR_FD_ENV=3 and DAEMON_PRIVATE_FD_ENV=4 (NULL
 * when out of memory). */
static char **
child_env(void)
{
	static char fdvar[] = DAEMON_MONITOR_FD_ENV "=3";
	static char privvar[] = DAEMON_PRIVATE_FD_ENV "=4";
	size_t n = 0, j = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	if ((env = calloc(n + 3, sizeof(*env))) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!is_var(environ[i], DAEMON_MONITOR_FD_ENV) &&
			!is_var(environ[i], DAEMON_PRIVATE_FD_ENV))
			env[j++] = environ[i];
	env[j++] = fdvar;
	env[j] = privvar;
	return env;
}

static void
on_uv_exit(uv_process_t *h, int64_t exit_status, int term_signal)
{
	struct mon_proc *p = h->data;

	uv_close((uv_handle_t *)h, NULL);
	p->on_exit(p, exit_status, term_signal);
}

void
mon_proc_kill(struct mon_proc *p)
{
	(void)uv_process_kill(&p->child, SIGKILL);
}

int
mon_proc_spawn(struct mon_proc *p, int child_end, mon_exit_fn on_exit)
{
	uv_stdio_container_t stdio[5];
	uv_process_options_t o = { 0 };
	char **env = child_env();
	int r;

	if (env == NULL)
		return -ENOMEM;
	for (int i = 0; i < 3; i++) {
		stdio[i].flags = UV_INHERIT_FD;
		stdio[i].data.fd = i;
	}
	stdio[3].flags = UV_INHERIT_FD;
	stdio[3].data.fd = child_end;
	stdio[4].flags = UV_INHERIT_FD;
	stdio[4].data.fd = p->net_dir;
	o.file = "/proc/self/exe";
	o.args = p->cli->argv;
	o.env = env;
	o.stdio = stdio;
	o.stdio_count = 5;
	/* libuv drops the supplementary groups too (setgroups(0)). */
	if (p->drop) {
		o.flags |= UV_PROCESS_SETUID | UV_PROCESS_SETGID;
		o.uid = p->net_uid;
		o.gid = p->net_gid;
	}
	o.exit_cb = on_uv_exit;
	p->on_exit = on_exit;
	p->child.data = p;
	r = uv_spawn(&p->loop, &p->child, &o);
	p->child_pid = r == 0 ? p->child.pid : 0;
	free(env);
	return r;
}

int
mon_proc_reply(struct mon_proc *p, const struct monitor_reply *reply)
{
	return fdpass_send(p->sock, reply->b, reply->len, reply->fds,
		reply->nfds, MSG_DONTWAIT);
}

int
mon_proc_send_event(struct mon_proc *p, const struct mon_buf *ev)
{
	return send(p->ev_sock, ev->b, ev->len, MSG_NOSIGNAL | MSG_DONTWAIT) <
			0 ? -errno : 0;
}

int
mon_proc_events_pair(struct mon_proc *p, int *fd)
{
	int sv[2], size = 1 << 20;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -errno;
	/* Room for every commit event owed (MONITOR_AUDIT_WAITING) even
	 * while the network process is busy: a lost one would leave its
	 * session waiting. */
	if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &size,
		    sizeof(size)) != 0)
		(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size,
			sizeof(size));
	if (p->ev_sock >= 0)
		close(p->ev_sock);
	p->ev_sock = sv[0];
	*fd = sv[1];
	return 0;
}

/* The service manager hears only the main PID (NotifyAccess=main,
 * which keeps the unit's exposure down): the network process's states
 * go through us. */
void
mon_proc_notify(void *arg, enum mon_notify what)
{
	static const char *const msg[MON_NOTIFY_END] = {
		[MON_NOTIFY_READY] = "READY=1",
		[MON_NOTIFY_RELOADING] = "RELOADING=1",
		[MON_NOTIFY_STOPPING] = "STOPPING=1",
		[MON_NOTIFY_WATCHDOG] = "WATCHDOG=1",
	};

	(void)arg;
	(void)sd_notify(0, msg[what]);
}

void
mon_proc_stop_child(struct mon_proc *p)
{
	(void)sd_notify(0, "STOPPING=1");
	if (p->child_running)
		(void)uv_process_kill(&p->child, SIGTERM);
}

static void
on_stop(uv_signal_t *h, int signum)
{
	log_info("monitor: signal %d: stopping", signum);
	daemon_monitor_stop(h->data);
}

static void
on_hup(uv_signal_t *h, int signum)
{
	struct mon_proc *p = h->data;

	(void)signum;
	if (p->child_running)
		(void)uv_process_kill(&p->child, SIGHUP);
}

static void
start_signal(struct mon_proc *p, uv_signal_t *h, uv_signal_cb cb, int sig)
{
	uv_signal_init(&p->loop, h);
	h->data = p;
	uv_signal_start(h, cb, sig);
}

void
mon_proc_signals(struct mon_proc *p, bool start)
{
	if (start) {
		start_signal(p, &p->sig_int, on_stop, SIGINT);
		start_signal(p, &p->sig_term, on_stop, SIGTERM);
		start_signal(p, &p->sig_hup, on_hup, SIGHUP);
		return;
	}
	uv_close((uv_handle_t *)&p->sig_int, NULL);
	uv_close((uv_handle_t *)&p->sig_term, NULL);
	uv_close((uv_handle_t *)&p->sig_hup, NULL);
}

int
mon_proc_hook(struct mon_proc *p, enum mon_type type, struct mon_buf *out,
	int *fd)
{
	switch (type) {
	case MON_FIND_USER:
		return daemon_user_encode(out);
	case MON_LOCK_SESSION:
		return daemon_lock_encode(out);
	case MON_CTL_LISTEN:
		return ctl_listen_fd(state_dir(monitor_state(p->mon)), fd);
	case MON_VD_START:
		return daemon_monitor_vd_start(p, out);
	case MON_VD_STOP:
		daemon_monitor_vd_stop(p);
		return 0;
	case MON_CONSENT_CANCEL:
		daemon_monitor_consent_cancel(p);
		return 0;
	case MON_SECURE_ATTENTION: /* typed on Linux (input-keys.c) */
		mon_put_str(out, "only on Windows");
		return OP_ERR_UNSUPPORTED;
	default:
		return OP_ERR_UNSUPPORTED;
	}
}

int
mon_proc_setup(struct mon_proc *p, struct monitor_opts *mo)
{
	ssize_t n = readlink("/proc/self/exe", p->self_exe,
		sizeof(p->self_exe) - 1);
	int rc;

	p->self_exe[n > 0 ? n : 0] = '\0';
	daemon_private_xauth(p->conf, p->cookie, sizeof(p->cookie));
	mo->cookie_copy = p->cookie;
	mo->consent_ask = daemon_monitor_consent_ask;
	if ((rc = daemon_monitor_net_account(p)) != 0)
		return rc;
	mo->cookie_uid = p->drop ? p->net_uid : geteuid();
	mo->cookie_gid = p->drop ? p->net_gid : getegid();
	return 0;
}

int
mon_proc_state(struct mon_proc *p, const char *state)
{
	return daemon_monitor_net_dir(p, state);
}

void
mon_proc_child_ended(struct mon_proc *p)
{
	daemon_monitor_consent_cancel(p);
	daemon_monitor_vd_stop(p);
}

void
mon_proc_cleanup(struct mon_proc *p)
{
	if (p->net_dir >= 0)
		close(p->net_dir);
	p->net_dir = -1;
}
