/* SPDX-License-Identifier: MIT */
/* The monitor process's state, shared by daemon-monitor.c, its system
 * sides (daemon-monitor-unix.c, daemon-monitor-win.c) and
 * daemon-monitor-vd.c only. */
#ifndef OP_CLI_DAEMON_MONITOR_H
#define OP_CLI_DAEMON_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "core/compat.h"
#include "monitor/monitor-msg.h"

struct audit;
struct cli;
struct conf;
struct consent;
struct daemon_chan;
struct monitor;
struct vdisplay;

struct mon_proc;
/* The network process ended: its exit status, or the signal that killed
 * it (0 on Windows). */
typedef void (*mon_exit_fn)(struct mon_proc *p, int64_t exit_status,
	int term_signal);

struct mon_proc {
	uv_loop_t loop;
	struct cli *cli;
	struct monitor *mon;
	uv_process_t child;
	int child_pid;
	mon_exit_fn on_exit;
	bool child_running;
	bool child_up;      /* printed its banner: restart it when it dies */
	bool stopping;
	int sock;           /* our end of the pair, -1 when none */
	struct daemon_chan *chan; /* its requests (daemon-chan.h) */
	uv_timer_t restart;
	unsigned backoff_ms;
	uint64_t started_ms;
	int exit_code;
	uv_signal_t sig_int, sig_term, sig_hup; /* Windows: sig_int only */
	int ev_sock;            /* our end of the events pair, -1 when none */
	struct consent *prompt; /* the consent prompt on screen */
	char self_exe[4096];    /* what the prompt runs */
	char cookie[4200];      /* where x11-cookie copies go */
	struct conf *conf;      /* the monitor's own (reload-config) */
	struct vdisplay *vd;    /* the virtual display (vd-start) */
	struct audit *audit;    /* the trail: audit.db is ours alone */
	/* What the network process runs as (daemon-monitor-priv.c). */
	bool drop;              /* setuid/setgid to net_uid/net_gid */
	uid_t net_uid;
	gid_t net_gid;
	int net_dir;            /* its private directory, or -1 */
#ifdef _WIN32
	uv_timer_t stop_timer;  /* a network process told to stop, killed */
	uv_async_t svc_stop;    /* the SCM's stop, from its thread */
	bool service;           /* started by the SCM */
	/* The network process (winspawn.h; child is unused): its handle
	 * and the wait for its end. */
	void *child_proc;
	void *child_wait;
	unsigned long child_session;
	bool child_killed;
	uv_async_t child_exited;
	uv_async_t svc_session; /* the SCM's console session change */
#endif
};

struct monitor_opts;
struct monitor_reply;

/* daemon-monitor.c: stop the network process, then the monitor. */
void daemon_monitor_stop(struct mon_proc *p);

/*
 * The system's side (daemon-monitor-unix.c, daemon-monitor-win.c).
 * setup: what the network process runs as, the prompt, the cookie copy
 * (0 or an exit code); state: its private directory below the state
 * directory (0 or an exit code); spawn: the network process, with
 * child_end as its fd 3 (0 or a uv error), on_exit called once it has
 * ended (and its handle is closed); kill: end it at once; reply and send_event: one
 * message to it (0 or a negative code, never blocking the loop long);
 * events_pair: the events channel, our end kept in ev_sock; notify: the
 * service manager; stop_child: tell it to stop (it may be killed
 * later); signals: start or close the handlers; hook: the requests only
 * one system answers; child_ended: its prompt and display go with it;
 * cleanup: at exit.
 */
int mon_proc_setup(struct mon_proc *p, struct monitor_opts *mo);
int mon_proc_state(struct mon_proc *p, const char *state);
int mon_proc_spawn(struct mon_proc *p, int child_end, mon_exit_fn on_exit);
void mon_proc_kill(struct mon_proc *p);
int mon_proc_reply(struct mon_proc *p, const struct monitor_reply *reply);
int mon_proc_send_event(struct mon_proc *p, const struct mon_buf *ev);
int mon_proc_events_pair(struct mon_proc *p, int *fd);
void mon_proc_notify(void *arg, enum mon_notify what);
void mon_proc_stop_child(struct mon_proc *p);
void mon_proc_signals(struct mon_proc *p, bool start);
int mon_proc_hook(struct mon_proc *p, enum mon_type type,
	struct mon_buf *out, int *fd);
void mon_proc_child_ended(struct mon_proc *p);
void mon_proc_cleanup(struct mon_proc *p);

/* Sends one event to the network process (dropped when there is
 * none). */
void daemon_monitor_event(struct mon_proc *p, const struct mon_buf *ev);

/* security.network_user resolved into drop, net_uid and net_gid:
 * 0, or an exit code (the account is missing). */
int daemon_monitor_net_account(struct mon_proc *p);
/* <state>/net made the network process's (net_dir): 0 or an exit code. */
int daemon_monitor_net_dir(struct mon_proc *p, const char *state);
/* config: the configuration file, opened and checked, as *fd. */
int daemon_monitor_config(struct mon_proc *p, struct mon_buf *out, int *fd);

/* proxy-password: the monitor's server.proxy_password_file, read and
 * checked as the file's owner expects (0600, ours). */
int daemon_monitor_proxy_password(struct mon_proc *p, struct mon_buf *out);

/* consent-ask (monitor_opts.consent_ask) and its withdrawal
 * (daemon-monitor-consent.c). */
int daemon_monitor_consent_ask(void *arg, const struct mon_consent *c,
	struct mon_buf *out);
void daemon_monitor_consent_cancel(struct mon_proc *p);

/* vd-start: 0, or an error with its reason in out. */
int daemon_monitor_vd_start(struct mon_proc *p, struct mon_buf *out);
/* vd-stop, and the end of a network process. */
void daemon_monitor_vd_stop(struct mon_proc *p);

#endif
