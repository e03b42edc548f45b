/* SPDX-License-Identifier: MIT */
/* The X11 backend's state, shared by capture-x11.c (connection, events,
 * displays) and capture-x11-grab.c (grabbers, cursor, pointer). */
#ifndef OP_CAPTURE_CAPTURE_X11_H
#define OP_CAPTURE_CAPTURE_X11_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>
#include <xcb/damage.h>
#include <xcb/shm.h>
#include <xcb/xcb.h>

#include "capture/capture-internal.h"

#define X11_BAD_MATCH 8

struct x11 {
	struct capture *c;
	xcb_connection_t *conn;
	xcb_window_t root;
	uint8_t root_depth;
	xcb_damage_damage_t damage;
	uint8_t damage_ev;
	uint8_t xfixes_ev;
	uint8_t randr_ev;
	bool randr; /* RRScreenChangeNotify selected */
	bool monitors; /* RandR 1.5 GetMonitors available */
	bool stopped;  /* poll stopped after the connection broke */
	bool free_capture; /* the last handle close frees c too */
	int handles;   /* uv handles not yet closed */
	uv_poll_t poll;
	uv_async_t wake;
	uv_timer_t recheck;
};

struct x11_grabber {
	struct capture_grabber base; /* first: capture.c's view */
	xcb_connection_t *conn;
	xcb_window_t root;
	uv_async_t *wake;
	xcb_shm_seg_t seg;
	uint8_t *mem;
	size_t mapped; /* > 0: a memfd mapping, else a SysV segment */
	size_t stride;
	uint32_t width, height;
	uint32_t rows; /* rows per band (height: whole grabs only) */
	/* Banded: two halves of rows each; the next band's request is sent
	 * into the other half before the caller converts this one. */
	bool pending;
	uint32_t pend_y, pend_n;
	unsigned pend_half;
	xcb_shm_get_image_cookie_t pend_cookie;
};

/* Tests set it to exercise the SysV fallback, which Xvfb and Xorg
 * never need (both take the memfd). */
extern bool capture_x11_sysv_only;

/* The connection is broken. */
bool capture_x11__broken(struct x11 *x);
/* A reply wait may have queued events: have the loop drain them. */
void capture_x11__nudge(struct x11 *x);

int capture_x11_grabber_new(struct capture *c, const struct capture_display *d,
	uint32_t rows, struct capture_grabber **out);
void capture_x11_grabber_free(struct capture_grabber *base);
int capture_x11_grab(struct capture_grabber *base, struct capture_image *img);
int capture_x11_grab_rows(struct capture_grabber *base, uint32_t y, uint32_t n,
	struct capture_image *img);
int capture_x11_cursor(struct capture *c, struct capture_cursor *out);
int capture_x11_pointer(struct capture *c, int32_t *px, int32_t *py);

#endif
