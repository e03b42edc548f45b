/* SPDX-License-Identifier: MIT */
/*
 * The monitor process of `outpost run` (daemon.h): opens the state,
 * keeps the identity key, the password hash and the one-time password
 * (monitor/monitor.c answers the requests), and runs the network
 * process: the same command again, with its end of a monitor channel
 * (platform/monchan.h) as fd 3. A network process that dies after it was up (it printed
 * the banner) is started again, after 1 s doubling to 30 s while it
 * keeps dying within a minute; one that ends before that ends the
 * monitor with its exit code (a config or start-up error is not cured by
 * retrying). A malformed request ends the network process (SIGKILL).
 * A stop (SIGTERM/SIGINT; on Windows Ctrl-C or the SCM) is passed on
 * and the monitor exits when the network process has; so is a reload
 * (SIGHUP). How, and the rest that differs between systems, is in
 * daemon-monitor-unix.c and daemon-monitor-win.c (mon_proc_*). The terminal shells
 * it starts for a network process (monitor/monitor-term.c) are hung up
 * when that process ends, however it ends.
 *
 * The audit trail is the monitor's too (monitor/monitor-audit.h): it
 * opens audit.db, writes what the network process asks for, and closes
 * the sessions a network process that died left open.
 */
#include "cli/daemon.h"
#include "cli/daemon-internal.h"
#include "cli/daemon-chan.h"
#include "cli/daemon-monitor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "conf/conf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "monitor/monitor.h"
#include "platform/monchan.h"
#include "store/state.h"

#define RESTART_MIN_MS 1000
#define RESTART_MAX_MS 30000
#define STABLE_MS 60000 /* a run this long resets the backoff */

static void spawn_child(struct mon_proc *p);

/* The trail's settings from conf and the monitor's identity (after a
 * reload of either). */
static void
audit_apply(struct mon_proc *p, const struct conf *conf)
{
	struct audit_opts ao;
	char why[512] = "invalid settings";

	if (p->audit == NULL)
		return;
	if (cli_audit_opts(conf, monitor_state(p->mon), NULL, &ao, why,
		    sizeof(why)) != 0 ||
		audit_set_opts(p->audit, &ao) != 0)
		log_error("reload: the audit trail keeps its settings: %s",
			why);
}

static void
print_otp(void *arg, const char *otp)
{
	(void)arg;
	/* The rest of the banner is the network process's: the line comes
	 * in its place because the network process waits for the reply. */
	if (daemon_stdout_is_journal())
		printf("  one-time password:  (not printed to the journal)\n");
	else
		printf("  one-time password:  %s\n", otp);
	fflush(stdout);
}

static void
close_sock(struct mon_proc *p)
{
	daemon_chan_stop(p->chan);
	p->chan = NULL;
	if (p->sock >= 0)
		close(p->sock);
	p->sock = -1;
}

/* Ends it at once (TerminateProcess on Windows). */
static void
kill_child(struct mon_proc *p)
{
	if (p->child_running)
		mon_proc_kill(p);
}

static void
on_request(void *arg, const uint8_t *req, ssize_t n)
{
	struct mon_proc *p = arg;
	struct monitor_reply reply;
	char why[128];
	int r;

	if (n == 0 || (n < 0 && n != -EPROTO)) {
		/* hung up: its exit is handled in on_child_exit */
		close_sock(p);
		return;
	}
	if (n < 0 || monitor_serve(p->mon, req, (size_t)n, &reply, why,
			     sizeof(why)) != 0) {
		log_error("monitor: the network process sent %s; ending it",
			n < 0 ? "an oversized message" : why);
		close_sock(p);
		kill_child(p);
		return;
	}
	if (req[0] == MON_RELOAD_IDENTITY)
		audit_apply(p, p->conf);
	if (req[0] == MON_PRINT_OTP && !p->child_up) {
		p->child_up = true;
		log_info("monitor: network process %d is up",
			p->child_pid);
	}
	r = mon_proc_reply(p, &reply);
	for (int i = 0; i < reply.nfds; i++)
		close(reply.fds[i]);
	if (r != 0) {
		close_sock(p);
		kill_child(p);
	}
}

static void
on_restart(uv_timer_t *t)
{
	spawn_child(t->data);
}

static void
on_child_exit(struct mon_proc *p, int64_t exit_status, int term_signal)
{
	uint64_t ran = op_now_ms() - p->started_ms;
	char how[64];

	p->child_running = false;
	close_sock(p);
	snprintf(how, sizeof(how), "%s %d",
		term_signal ? "killed by signal" : "exited with",
		term_signal ? term_signal : (int)exit_status);
	/* Also when stopping: its sessions still open are closed on the
	 * trail. */
	monitor_child_ended(p->mon, how);
	/* Its prompt goes with it. */
	if (p->ev_sock >= 0)
		close(p->ev_sock);
	p->ev_sock = -1;
	mon_proc_child_ended(p);
	monitor_terms_end(p->mon); /* no orphan shells */
	if (p->stopping || !p->child_up) {
		if (!p->stopping || exit_status != 0 || term_signal != 0)
			p->exit_code = term_signal != 0 ? EX_SOFTWARE :
							   (int)exit_status;
		if (!p->stopping && term_signal != 0)
			log_error("monitor: the network process was killed by "
				  "signal %d while starting",
				term_signal);
		uv_stop(&p->loop);
		return;
	}
	if (ran >= STABLE_MS)
		p->backoff_ms = RESTART_MIN_MS;
	log_error("monitor: the network process (pid %d) was %s after %llu "
		  "s; starting it again in %u ms",
		p->child_pid, how, (unsigned long long)(ran / 1000),
		p->backoff_ms);
	uv_timer_start(&p->restart, on_restart, p->backoff_ms, 0);
	p->backoff_ms = p->backoff_ms * 2 > RESTART_MAX_MS ? RESTART_MAX_MS :
							     p->backoff_ms * 2;
}

static void
spawn_child(struct mon_proc *p)
{
	int sv[2], r;

	if (p->stopping)
		return;
	if ((r = monchan_pair(sv)) != 0) {
		log_error("monitor: cannot start the network process: %s",
			op_strerror(r));
		uv_timer_start(&p->restart, on_restart, RESTART_MAX_MS, 0);
		return;
	}
	monitor_child_started(p->mon);
	r = mon_proc_spawn(p, sv[1], on_child_exit);
	close(sv[1]);
	if (r != 0) {
		log_error("monitor: cannot start the network process: %s",
			uv_strerror(r));
		close(sv[0]);
		p->exit_code = EX_OSERR;
		uv_stop(&p->loop);
		return;
	}
	p->child_running = true;
	p->child_up = false;
	p->started_ms = op_now_ms();
	p->sock = sv[0];
	if ((r = daemon_chan_start(&p->loop, p->sock, MON_MSG_MAX, on_request,
		     p, &p->chan)) != 0) {
		log_error_r(r, "monitor: watching the network process");
		close_sock(p);
		kill_child(p);
		return;
	}
	daemon_chan_ref(p->chan, true);
}

void
daemon_monitor_stop(struct mon_proc *p)
{
	p->stopping = true;
	uv_timer_stop(&p->restart);
	if (p->child_running)
		mon_proc_stop_child(p);
	else
		uv_stop(&p->loop);
}

/* policy.terminal.*: how term-open starts shells. */
static void
set_terminal(struct mon_proc *p, const struct conf *c)
{
	struct monitor_term_conf t = {
		.allow_root = conf_bool(c, CONF_POLICY_TERMINAL_ALLOW_ROOT),
		.max_live = (unsigned)(conf_int(c, CONF_POLICY_LIMITS_MAX_SESSIONS) *
			conf_int(c, CONF_POLICY_TERMINAL_MAX_PER_SESSION)),
	};

	snprintf(t.user, sizeof(t.user), "%s",
		conf_str(c, CONF_POLICY_TERMINAL_USER));
	snprintf(t.shell, sizeof(t.shell), "%s",
		conf_str(c, CONF_POLICY_TERMINAL_SHELL));
	if (conf_bool(c, CONF_POLICY_TERMINAL_RECORD))
		snprintf(t.record_dir, sizeof(t.record_dir), "%s",
			conf_str(c, CONF_POLICY_TERMINAL_RECORD_DIR));
	monitor_set_terminal(p->mon, &t);
}

/* reload-config: what the monitor itself takes from the config; an
 * invalid file keeps the old, as in the network process. */
static void
reload_config(struct mon_proc *p)
{
	struct conf_diags diags = { 0 };
	struct conf *fresh = NULL;

	if (cli_load_conf_quiet(p->cli, &fresh, &diags) == 0) {
		monitor_set_xauthority(p->mon,
			conf_str(fresh, CONF_DISPLAY_XAUTHORITY));
		set_terminal(p, fresh);
		audit_apply(p, fresh);
		conf_unref(p->conf);
		p->conf = fresh;
	}
	conf_diags_free(&diags);
}

static void
event_cb(void *arg, const struct mon_buf *ev)
{
	daemon_monitor_event(arg, ev);
}

void
daemon_monitor_event(struct mon_proc *p, const struct mon_buf *ev)
{
	int r;

	if (p->ev_sock >= 0 && !ev->overflow &&
		(r = mon_proc_send_event(p, ev)) != 0)
		log_error("monitor: event %u for the network process lost: %s",
			ev->b[0], op_strerror(r));
}

/* The requests the monitor module leaves to us (monitor_opts.hook);
 * the system's own in mon_proc_hook. */
static int
hook(void *arg, enum mon_type type, struct mon_buf *out, int *fd)
{
	struct mon_proc *p = arg;

	switch (type) {
	case MON_RELOAD_CONFIG:
		reload_config(p);
		return 0;
	case MON_EVENTS:
		return mon_proc_events_pair(p, fd);
	case MON_CONFIG:
		return daemon_monitor_config(p, out, fd);
	case MON_PROXY_PASSWORD:
		return daemon_monitor_proxy_password(p, out);
	default:
		return mon_proc_hook(p, type, out, fd);
	}
}

static void
close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int
daemon_monitor_run(struct cli *cli, struct conf *conf)
{
	struct mon_proc p = { .cli = cli, .sock = -1, .ev_sock = -1,
		.net_dir = -1,
		.backoff_ms = RESTART_MIN_MS, .exit_code = EX_OK };
	struct monitor_opts mo = { .print_otp = print_otp };
	struct state *st = NULL;
	int rc, r;

	daemon_apply_log_conf(conf);
	p.conf = conf_ref(conf);
	mo.require_grant = true;
	mo.hook = hook;
	mo.notify = mon_proc_notify;
	mo.event = event_cb;
	mo.loop = &p.loop;
	mo.arg = &p;
	mo.xauthority_any = conf_str(conf, CONF_DISPLAY_XAUTHORITY);
	if ((rc = mon_proc_setup(&p, &mo)) != 0)
		return rc;
	if ((rc = cli_open_state(conf, &st)) != 0)
		return rc;
	if ((rc = mon_proc_state(&p, state_dir(st))) != 0) {
		state_free(st);
		return rc;
	}
	(void)otp_charset_parse(
		conf_str(conf, CONF_ACCESS_ONE_TIME_PASSWORD_CHARSET),
		&mo.otp_charset);
	mo.otp_len = (size_t)conf_int(conf,
		CONF_ACCESS_ONE_TIME_PASSWORD_LENGTH);
	if ((r = uv_loop_init(&p.loop)) != 0) {
		log_error("event loop: %s", uv_strerror(r));
		state_free(st);
		return EX_OSERR;
	}
	if ((r = monitor_new(st, &mo, &p.mon)) != 0) {
		log_error_r(r, "one-time password");
		state_free(st);
		(void)uv_loop_close(&p.loop);
		return EX_CONFIG;
	}
	set_terminal(&p, conf);
	{
		char why[512];

		/* Before the network process: no session may happen off the
		 * record (S17). */
		if ((r = cli_audit_open(&p.loop, p.conf, monitor_state(p.mon),
			     NULL, &p.audit, why, sizeof(why))) != 0) {
			log_error("audit trail: %s", why);
			monitor_free(p.mon);
			uv_loop_close(&p.loop);
			conf_unref(p.conf);
			return EX_CANTCREAT;
		}
		monitor_set_audit(p.mon, p.audit);
	}
	mon_proc_signals(&p, true);
	uv_timer_init(&p.loop, &p.restart);
	p.restart.data = &p;
	spawn_child(&p);
	uv_run(&p.loop, UV_RUN_DEFAULT);
	/* Stopped while the network process still runs (it cannot be
	 * started, or a bug): it must not outlive us. */
	kill_child(&p);
	if (p.child_running)
		monitor_child_ended(p.mon, "ended with the monitor");
	close_sock(&p);
	mon_proc_child_ended(&p);
	monitor_terms_end(p.mon);
	if (p.ev_sock >= 0)
		close(p.ev_sock);
	p.ev_sock = -1;
	/* A cancelled prompt (and a hung-up shell) is reaped and freed by its own handles: let
	 * them finish (the signals and the timer would keep the loop). */
	/* What is queued is written first (the loop runs until it is). */
	audit_close(p.audit, NULL, NULL);
	p.audit = NULL;
	monitor_set_audit(p.mon, NULL);
	mon_proc_signals(&p, false);
	uv_close((uv_handle_t *)&p.restart, NULL);
	uv_run(&p.loop, UV_RUN_DEFAULT);
	uv_walk(&p.loop, close_walk, NULL);
	uv_run(&p.loop, UV_RUN_DEFAULT);
	uv_loop_close(&p.loop);
	monitor_free(p.mon);
	mon_proc_cleanup(&p);
	conf_unref(p.conf);
	return p.exit_code;
}
