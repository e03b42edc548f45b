/* SPDX-License-Identifier: MIT */
/*
 * The daemon: owns the libuv loop, signals, config reload and the
 * long-lived state. Wires modules together; contains no protocol logic.
 */
#ifndef OP_CLI_DAEMON_H
#define OP_CLI_DAEMON_H

struct cli;
struct conf;

/*
 * Runs until SIGINT/SIGTERM. Takes a reference on conf. Returns a
 * sysexits code (0 after a clean stop).
 */
int daemon_run(struct cli *cli, struct conf *conf);

#endif
