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

#define DAEMON_MONITOR_FD_ENV "OUTPOST_MONITOR_FD"

/*
 * The monitor: runs until SIGINT/SIGTERM, which it passes on to the
 * network process. Returns a sysexits code: the network process's when
 * it ended before it was up (a bad config, no way in), else 0.
 */
int daemon_monitor_run(struct cli *cli, struct conf *conf);

/*
 * The network process, given the monitor's socket: runs until
 * SIGINT/SIGTERM. Takes a reference on conf. Returns a sysexits code (0
 * after a clean stop).
 */
int daemon_run(struct cli *cli, struct conf *conf, int monitor_fd);

#endif
