/* SPDX-License-Identifier: MIT */
/*
 * A private virtual display for machines that have none (headless
 * servers, nobody logged in): an Xvfb (or Xorg with the dummy driver)
 * on a free display number, with its own MIT-MAGIC-COOKIE in a 0600
 * Xauthority file, plus an optional session command (a terminal, a
 * light desktop) in it. Both run as an unprivileged user when the
 * daemon is root. Processes are started with uv_spawn; nothing is
 * polled: the X server reports its display number on a pipe
 * (-displayfd), and exits arrive as libuv exit callbacks.
 *
 * The owner decides when to start and stop (on demand, idle_exit); this
 * module only runs the processes.
 */
#ifndef OP_DISPLAY_VDISPLAY_H
#define OP_DISPLAY_VDISPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

enum vdisplay_backend {
	VDISPLAY_XVFB,
	VDISPLAY_XORG_DUMMY,
};

struct vdisplay_conf {
	enum vdisplay_backend backend;
	uint32_t width, height;  /* 320..8192 x 200..8192 */
	const char *user;        /* run as this user when root ("" = nobody) */
	const char *command;     /* session command, "" = none; run by
				    /bin/sh -c as the user, in its home */
	const char *runtime_dir; /* where the Xauthority (and Xorg config)
				    files go; created 0700 if missing */
	const char *server_path; /* "" = "Xvfb" / "Xorg" from PATH */
};

struct vdisplay;

/* ready: the X server accepts connections (status 0), or failed to
 * start (negative, with a reason in vdisplay_error()). Called once. */
typedef void (*vdisplay_ready_fn)(void *arg, struct vdisplay *v, int status);
/* The X server exited after it was ready (crash, killed): the display is
 * gone. Not called after vdisplay_stop(). */
typedef void (*vdisplay_lost_fn)(void *arg, struct vdisplay *v);

/* Starts the server (asynchronously). Returns 0 and *out (valid until
 * vdisplay_stop), or a negative error when nothing could be started
 * (bad conf, no such user: reason in err). */
int vdisplay_start(uv_loop_t *loop, const struct vdisplay_conf *conf,
	vdisplay_ready_fn ready, vdisplay_lost_fn lost, void *arg,
	struct vdisplay **out, char *err, size_t errlen);

/* ":N" once ready, "" before. */
const char *vdisplay_name(const struct vdisplay *v);
/* The Xauthority file a client needs to connect. */
const char *vdisplay_xauthority(const struct vdisplay *v);
/* Who owns that file: the display user when we switch to it, else us
 * (a client checks the owner before it reads the file). */
uid_t vdisplay_xauthority_owner(const struct vdisplay *v);
/* Why the start failed or the server was lost. */
const char *vdisplay_error(const struct vdisplay *v);
/* PIDs, for status and tests (0 = not running). */
int vdisplay_server_pid(const struct vdisplay *v);
int vdisplay_session_pid(const struct vdisplay *v);

/* Terminates the session command and the server (SIGTERM, SIGKILL after
 * 3 s), removes the Xauthority file and frees v once both have exited.
 * No callback follows. */
void vdisplay_stop(struct vdisplay *v);

#endif
