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

struct userbus_rd_ops;

/* A backend's open, once its session is up: takes session (closed on
 * failure too) and its calls (src); x, y, w, h is the recorded monitor
 * in global coordinates. 0 or OP_ERR_NOMEM. */
int input__rd_start(struct input *in, const struct userbus_rd_ops *src,
	void *session, int32_t x, int32_t y, int32_t w, int32_t h);

/* The rest of the backend's input_ops. */
void input__rd_close(struct input *in);
int input__rd_state(struct input *in, bool locks, struct input_state *st);
int input__rd_exec(struct input *in, const struct input_act *a, size_t n);
void input__rd_release_all(struct input *in);
unsigned input__rd_held(const struct input *in);

#endif
