/* SPDX-License-Identifier: MIT */
/* The monitor process's state, shared by daemon-monitor.c and
 * daemon-monitor-vd.c only. */
#ifndef OP_CLI_DAEMON_MONITOR_H
#define OP_CLI_DAEMON_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "monitor/monitor-msg.h"

struct audit;
struct cli;
struct conf;
struct consent;
struct daemon_chan;
struct monitor;
struct vdisplay;

struct mon_proc {
	uv_loop_t loop;
	struct cli *cli;
	struct monitor *mon;
	uv_process_t child;
	bool child_running;
	bool child_up;      /* printed its banner: restart it when it dies */
	bool stopping;
	int sock;           /* our end of the pair, -1 when none */
	struct daemon_chan *chan; /* its requests (daemon-chan.h) */
	uv_timer_t restart;
	unsigned backoff_ms;
	uint64_t started_ms;
	int exit_code;
	uv_signal_t sig_int, sig_term, sig_hup;
	int ev_sock;            /* our end of the events pair, -1 when none */
	struct consent *prompt; /* the consent prompt on screen */
	char self_exe[4096];    /* what the prompt runs */
	struct conf *conf;      /* the monitor's own (reload-config) */
	struct vdisplay *vd;    /* the virtual display (vd-start) */
	struct audit *audit;    /* the trail: audit.db is ours alone */
	/* What the network process runs as (daemon-monitor-priv.c). */
	bool drop;              /* setuid/setgid to net_uid/net_gid */
	uid_t net_uid;
	gid_t net_gid;
	int net_dir;            /* its private directory, or -1 */
};

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

/* vd-start: 0, or an error with its reason in out. */
int daemon_monitor_vd_start(struct mon_proc *p, struct mon_buf *out);
/* vd-stop, and the end of a network process. */
void daemon_monitor_vd_stop(struct mon_proc *p);

#endif
