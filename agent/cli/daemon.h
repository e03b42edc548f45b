/* SPDX-License-Identifier: MIT */
/*
 * The daemon: owns the libuv loop, signals, config reload and the
 * long-lived state. Wires modules together; contains no protocol logic.
 *
 * `outpost run` is two processes (privilege separation, README
 * "Security"): the monitor (daemon-monitor.c), which holds the host's
 * secrets and starts, watches and restarts the network process; and the
 * network process (daemon.c and the rest), which the monitor runs as the
 * same command with DAEMON_MONITOR_FD_ENV naming its end of the monitor
 * socket.
 */
#ifndef OP_CLI_DAEMON_H
#define OP_CLI_DAEMON_H

struct cli;
struct conf;

#include <stdbool.h>
#include <stddef.h>

struct conf_diags;

#define DAEMON_MONITOR_FD_ENV "OUTPOST_MONITOR_FD"
/* The network process's private directory (daemon-monitor-priv.c): its
 * name in the state directory, and the variable naming its descriptor. */
#define DAEMON_PRIVATE_DIR "net"
#define DAEMON_PRIVATE_FD_ENV "OUTPOST_PRIVATE_FD"

/*
 * The monitor: runs until SIGINT/SIGTERM, which it passes on to the
 * network process. Returns a sysexits code: the network process's when
 * it ended before it was up (a bad config, no way in), else 0.
 */
int daemon_monitor_run(struct cli *cli, struct conf *conf);
#ifdef _WIN32
/* Whether daemon_monitor_run runs under the SCM (it reports RUNNING);
 * and the SCM's stop, from its own thread (daemon-monitor-win.c). */
void daemon_monitor_as_service(bool yes);
void daemon_monitor_service_stop(void);
/* The SCM's SESSIONCHANGE (any thread). */
void daemon_monitor_service_session(void);
#endif

/*
 * The network process, given the monitor's socket: runs until
 * SIGINT/SIGTERM. Takes a reference on conf. Returns a sysexits code (0
 * after a clean stop).
 */
int daemon_run(struct cli *cli, struct conf *conf, int monitor_fd);

/* The network process: its private directory's descriptor (-1: none,
 * the directory is named by its path). */
void daemon_private_set(int fd);
/* The path of a file in the private directory (in the monitor: below the
 * state directory). */
void daemon_private_path(const struct conf *conf, const char *name,
	char *out, size_t size);
/* The network process's configuration, as the monitor opened it: 0 and
 * *out; OP_ERR_CONFIG with diags; a transport error. */
int daemon_conf_from_monitor(int mon_fd, struct conf **out,
	struct conf_diags *diags);

#endif
