/* SPDX-License-Identifier: MIT */
/*
 * Messages arriving on one end of a monitor channel (platform/monchan.h),
 * delivered on the loop: the monitor's requests, the network process's
 * events. On Unix the socket is polled (daemon-chan-unix.c); a Windows
 * pipe cannot be, so a thread reads it and hands each message over,
 * one at a time (daemon-chan-win.c).
 */
#ifndef OP_CLI_DAEMON_CHAN_H
#define OP_CLI_DAEMON_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

struct daemon_chan;

/* n > 0: a message of n bytes; 0: the other end closed; < 0: a failure
 * (-EPROTO: longer than the cap, or malformed). After 0 or < 0 no more
 * calls come. Runs on the loop. */
typedef void (*daemon_chan_fn)(void *arg, const uint8_t *msg, ssize_t n);

/* Watches fd (not taken) for messages of at most cap bytes. 0 and *out,
 * or a negative code. The watch starts unreferenced: it does not keep
 * the loop alive unless daemon_chan_ref says so. */
int daemon_chan_start(uv_loop_t *loop, int fd, size_t cap, daemon_chan_fn fn,
	void *arg, struct daemon_chan **out);
/* Whether the watch keeps the loop alive (no-op once it has ended). */
void daemon_chan_ref(struct daemon_chan *c, bool ref);
/* Stops the watch and frees it (on the loop); fd stays open. NULL no-op. */
void daemon_chan_stop(struct daemon_chan *c);

#endif
