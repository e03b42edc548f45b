/* SPDX-License-Identifier: MIT */
/*
 * The remote-desktop input logic shared by the "mutter" and "portal"
 * backends (input-rd.c). Only files in agent/input/ include this.
 */
#ifndef OP_INPUT_INPUT_RD_H
#define OP_INPUT_INPUT_RD_H

#include <stdbool.h>
#include <stdint.h>

#include "input/input-internal.h"

/* The session's notifications; each returns 0 or a negative error
 * (OP_ERR_GONE, -ETIMEDOUT: the session is then given up). */
struct input_rd_source {
	int (*process)(void *session); /* 0, or an error once it ended */
	void (*close)(void *session);
	/* x, y: pixels of the recorded monitor */
	int (*pointer_abs)(void *session, double x, double y);
	int (*button)(void *session, int32_t evdev_button, bool pressed);
	int (*axis_discrete)(void *session, uint32_t axis, int32_t steps);
	int (*keysym)(void *session, uint32_t keysym, bool pressed);
	int (*keycode)(void *session, uint32_t evdev_code, bool pressed);
};

/* A backend's open, once its session is up: takes session (closed on
 * failure too); x, y, w, h is the recorded monitor in global
 * coordinates. 0 or OP_ERR_NOMEM. */
int input__rd_start(struct input *in, const struct input_rd_source *src,
	void *session, int32_t x, int32_t y, int32_t w, int32_t h);

/* The rest of the backend's input_ops. */
void input__rd_close(struct input *in);
int input__rd_state(struct input *in, bool locks, struct input_state *st);
int input__rd_exec(struct input *in, const struct input_act *a, size_t n);
void input__rd_release_all(struct input *in);
unsigned input__rd_held(const struct input *in);

#endif
