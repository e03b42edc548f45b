/* SPDX-License-Identifier: MIT */
/*
 * A PipeWire client connection whose loop the owner embeds in its own:
 * pw_loop (no thread) + context + core on a socket we connected
 * ourselves (so no environment variable decides which server we reach),
 * checked with a sync before use. The owner polls pw_conn_fd() and calls
 * pw_loop_iterate(pc->loop, 0) on each wake-up. Shared by audio
 * (audio-pw.c) and capture (capture-mutter.c).
 */
#ifndef OP_PWIRE_PW_CONN_H
#define OP_PWIRE_PW_CONN_H

#include <stdbool.h>

#include <pipewire/pipewire.h>

/* Called for an error on the core (the server refused us or went away;
 * res is -EPIPE then). message may be NULL. */
typedef void (*pw_conn_error_fn)(void *arg, int res, const char *message);

struct pw_conn {
	struct pw_loop *loop;
	struct pw_context *context;
	struct pw_core *core;
	struct spa_hook core_listener;
	pw_conn_error_fn on_error;
	void *arg;
	bool entered;
	bool failed;
	int fail_res;
	int sync_seq;
	bool synced;
};

/* Connects to the socket dir/name (not as another user: see
 * platform_connect_user for that); 0 and *fd, OP_ERR_NOT_FOUND,
 * -ENAMETOOLONG or -errno. */
int pw_conn_socket(const char *dir, const char *name, int *fd);

/* Zeroes pc, takes fd (also on failure), connects and waits up to
 * timeout_ms for the server's answer to a sync (blocking the caller):
 * an access refusal or a dead socket shows here. 0, or a negative error
 * with pc torn down. on_error may be NULL. */
int pw_conn_open(struct pw_conn *pc, int fd, int timeout_ms,
	pw_conn_error_fn on_error, void *arg);

/* The fd to poll for reading. */
int pw_conn_fd(const struct pw_conn *pc);

/* Tears down what pw_conn_open made; streams must be destroyed first.
 * Safe on a zeroed or torn-down pc. */
void pw_conn_close(struct pw_conn *pc);

#endif
