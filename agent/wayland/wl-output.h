/* SPDX-License-Identifier: MIT */
/*
 * One wl_output and its xdg-output, as the wlroots backends (capture,
 * input) track them: position, current mode, transform, logical box and
 * name. The values are stored as the compositor sent them (the name made
 * printable); each user bounds what it uses.
 */
#ifndef OP_WAYLAND_WL_OUTPUT_H
#define OP_WAYLAND_WL_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "wayland/wl-proto.h"

struct wlo_output {
	uint32_t global; /* registry name: the same for every client */
	struct wl_output *out;
	struct zxdg_output_v1 *xo;
	int32_t gx, gy, transform; /* wl_output.geometry */
	int32_t mode_w, mode_h;    /* current mode, pixels */
	int32_t lx, ly, lw, lh;    /* xdg-output logical box */
	bool have_mode, have_logical, done;
	char name[64];
	/* Called on wl_output.done and zxdg_output_v1.done, or NULL. */
	void (*changed)(void *arg);
	void *arg;
};

/* Binds the wl_output global name (version up to 4) into o, which must be
 * zeroed with changed/arg set, names it "output-<name>" until the
 * compositor names it, and asks xom (may be NULL) for its xdg-output.
 * 0, or -1 when the bind failed (o->out stays NULL). */
int wlo_bind(struct wlo_output *o, struct wl_registry *reg, uint32_t name,
	uint32_t version, struct zxdg_output_manager_v1 *xom);

/* Asks for the xdg-output when there is none yet and xom is not NULL
 * (the manager may be announced after the output). */
void wlo_xdg(struct wlo_output *o, struct zxdg_output_manager_v1 *xom);

/* Releases (or destroys) both proxies; o's fields are left as they are. */
void wlo_destroy(struct wlo_output *o);

#endif
