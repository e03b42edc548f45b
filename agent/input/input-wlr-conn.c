/* SPDX-License-Identifier: MIT */
/*
 * The wlroots input backend's connection: connecting as the socket's
 * owner, the seat, the virtual device managers, the outputs (for the
 * layout's extent) and open/close. See input-wlr.c.
 */
#include "input/input-wlr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "platform/userconn.h"
#include "wayland/wl-util.h"

static void
o_geometry(void *data, struct wl_output *wo, int32_t x, int32_t y,
	int32_t pw, int32_t ph, int32_t subpixel, const char *make,
	const char *model, int32_t transform)
{
	struct win_out *o = data;

	(void)wo;
	(void)pw;
	(void)ph;
	(void)subpixel;
	(void)make;
	(void)model;
	(void)transform;
	o->gx = x;
	o->gy = y;
}

static void
o_mode(void *data, struct wl_output *wo, uint32_t flags, int32_t width,
	int32_t height, int32_t refresh)
{
	struct win_out *o = data;

	(void)wo;
	(void)refresh;
	if (flags & WL_OUTPUT_MODE_CURRENT) {
		o->mw = width > 0 && width <= 32767 ? width : 0;
		o->mh = height > 0 && height <= 32767 ? height : 0;
	}
}

static void
o_done(void *data, struct wl_output *wo)
{
	(void)data;
	(void)wo;
}

static void
o_scale(void *data, struct wl_output *wo, int32_t f)
{
	(void)data;
	(void)wo;
	(void)f;
}

static void
o_string(void *data, struct wl_output *wo, const char *s)
{
	(void)data;
	(void)wo;
	(void)s;
}

static const struct wl_output_listener out_listener = {
	.geometry = o_geometry,
	.mode = o_mode,
	.done = o_done,
	.scale = o_scale,
	.name = o_string,
	.description = o_string,
};

static void
x_position(void *data, struct zxdg_output_v1 *xo, int32_t x, int32_t y)
{
	struct win_out *o = data;

	(void)xo;
	o->lx = x;
	o->ly = y;
	o->logical = true;
}

static void
x_size(void *data, struct zxdg_output_v1 *xo, int32_t w, int32_t h)
{
	struct win_out *o = data;

	(void)xo;
	o->lw = w > 0 && w <= 32767 ? w : 0;
	o->lh = h > 0 && h <= 32767 ? h : 0;
}

static void
x_done(void *data, struct zxdg_output_v1 *xo)
{
	(void)data;
	(void)xo;
}

static void
x_string(void *data, struct zxdg_output_v1 *xo, const char *s)
{
	(void)data;
	(void)xo;
	(void)s;
}

static const struct zxdg_output_v1_listener xdg_listener = {
	.logical_position = x_position,
	.logical_size = x_size,
	.done = x_done,
	.name = x_string,
	.description = x_string,
};

static void
out_xdg(struct wlrin *w, struct win_out *o)
{
	if (o->xo != NULL || w->xom == NULL)
		return;
	if ((o->xo = wlp_xdg_output_get(w->xom, o->out)) != NULL)
		wlp_xdg_output_add_listener(o->xo, &xdg_listener, o);
}

static void
out_drop(struct win_out *o)
{
	if (o->xo != NULL)
		wlp_xdg_output_destroy(o->xo);
	if (o->out != NULL)
		wl_output_destroy(o->out);
	memset(o, 0, sizeof(*o));
}

static void
reg_global(void *data, struct wl_registry *reg, uint32_t name,
	const char *iface, uint32_t version)
{
	struct wlrin *w = data;

	if (version == 0)
		return;
	if (strcmp(iface, "wl_seat") == 0 && w->seat == NULL) {
		w->seat = wl_registry_bind(reg, name, &wl_seat_interface, 1);
	} else if (strcmp(iface, "zwlr_virtual_pointer_manager_v1") == 0 &&
		w->vpm == NULL) {
		w->vpm = wl_registry_bind(reg, name,
			&zwlr_virtual_pointer_manager_v1_interface, 1);
	} else if (strcmp(iface, "zwp_virtual_keyboard_manager_v1") == 0 &&
		w->vkm == NULL) {
		w->vkm = wl_registry_bind(reg, name,
			&zwp_virtual_keyboard_manager_v1_interface, 1);
	} else if (strcmp(iface, "zxdg_output_manager_v1") == 0 &&
		w->xom == NULL && version >= 2) {
		w->xom = wl_registry_bind(reg, name,
			&zxdg_output_manager_v1_interface, 2);
	} else if (strcmp(iface, "wl_output") == 0) {
		for (int i = 0; i < MAX_OUTPUTS; i++) {
			struct win_out *o = &w->outs[i];

			if (o->out != NULL)
				continue;
			o->global = name;
			o->out = wl_registry_bind(reg, name,
				&wl_output_interface, version < 4 ? version : 4);
			if (o->out == NULL)
				return;
			wl_output_add_listener(o->out, &out_listener, o);
			out_xdg(w, o);
			return;
		}
	}
}

static void
reg_global_remove(void *data, struct wl_registry *reg, uint32_t name)
{
	struct wlrin *w = data;

	(void)reg;
	for (int i = 0; i < MAX_OUTPUTS; i++)
		if (w->outs[i].out != NULL && w->outs[i].global == name)
			out_drop(&w->outs[i]);
}

static const struct wl_registry_listener reg_listener = {
	.global = reg_global,
	.global_remove = reg_global_remove,
};

static void
teardown(struct wlrin *w)
{
	for (int i = 0; i < MAX_OUTPUTS; i++)
		if (w->outs[i].out != NULL)
			out_drop(&w->outs[i]);
	if (w->vp != NULL)
		wlp_virtual_pointer_destroy(w->vp);
	if (w->vk != NULL)
		wlp_virtual_keyboard_destroy(w->vk);
	if (w->vpm != NULL)
		wlp_virtual_pointer_manager_destroy(w->vpm);
	if (w->vkm != NULL)
		wl_proxy_destroy((struct wl_proxy *)w->vkm); /* no request */
	if (w->xom != NULL)
		wlp_xdg_output_manager_destroy(w->xom);
	if (w->seat != NULL)
		wl_seat_destroy(w->seat);
	if (w->reg != NULL)
		wl_registry_destroy(w->reg);
	if (w->dpy != NULL) {
		(void)wl_display_flush(w->dpy);
		wl_display_disconnect(w->dpy);
	}
	xkb_state_unref(w->st);
	xkb_keymap_unref(w->km);
	xkb_context_unref(w->ctx);
	free(w);
}

static int
setup(struct wlrin *w, const char *display, char *err, size_t errlen)
{
	char path[108];
	uid_t uid;
	gid_t gid;
	int fd, r;

	if ((r = wlu_socket_path(display, path, sizeof(path), &uid, &gid, err,
		     errlen)) != 0)
		return r;
	if ((r = platform_connect_user(path, uid, gid, &fd)) != 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", path,
			op_strerror(r));
		return r;
	}
	if ((w->dpy = wl_display_connect_to_fd(fd)) == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return OP_ERR_NOMEM;
	}
	if ((w->reg = wl_display_get_registry(w->dpy)) == NULL)
		return OP_ERR_NOMEM;
	wl_registry_add_listener(w->reg, &reg_listener, w);
	if ((r = wlu_roundtrip(w->dpy, WLR_IN_TIMEOUT_MS)) != 0) {
		snprintf(err, errlen, "the compositor at %s does not answer",
			path);
		return r == -ETIMEDOUT ? r : OP_ERR_GONE;
	}
	if (w->seat == NULL || w->vpm == NULL || w->vkm == NULL) {
		snprintf(err, errlen, "the compositor at %s has no %s", path,
			w->seat == NULL	      ? "seat"
				: w->vpm == NULL ? "zwlr_virtual_pointer_manager_v1"
						 : "zwp_virtual_keyboard_manager_v1");
		return OP_ERR_UNSUPPORTED;
	}
	for (int i = 0; i < MAX_OUTPUTS; i++)
		if (w->outs[i].out != NULL)
			out_xdg(w, &w->outs[i]);
	w->vp = wlp_virtual_pointer_create(w->vpm, w->seat);
	w->vk = wlp_virtual_keyboard_create(w->vkm, w->seat);
	if (w->vp == NULL || w->vk == NULL)
		return OP_ERR_NOMEM;
	if ((w->ctx = xkb_context_new(XKB_CONTEXT_NO_ENVIRONMENT_NAMES)) ==
		NULL)
		return OP_ERR_NOMEM;
	if ((r = input_wlr__load_keymap(w)) != 0) {
		snprintf(err, errlen,
			"cannot build a us keymap (xkeyboard-config missing?)");
		return r;
	}
	input_wlr__find_spares(w);
	/* The compositor must have the devices and keymap (and tell us
	 * the outputs) before the first event. */
	if ((r = wlu_roundtrip(w->dpy, WLR_IN_TIMEOUT_MS)) != 0) {
		snprintf(err, errlen, "the compositor at %s refused the "
				      "virtual devices",
			path);
		return r == -ETIMEDOUT ? r : OP_ERR_GONE;
	}
	return 0;
}

static int
wlr_open(struct input *in, const char *display, const char *xauthority,
	char *err, size_t errlen)
{
	struct wlrin *w = calloc(1, sizeof(*w));
	int r;

	(void)xauthority;
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return OP_ERR_NOMEM;
	}
	if ((r = setup(w, display, err, errlen)) != 0) {
		teardown(w);
		return r;
	}
	input__set_backend(in, w);
	return 0;
}

static void
wlr_close(struct input *in)
{
	struct wlrin *w = input__backend(in);

	input__set_backend(in, NULL);
	teardown(w);
}

const struct input_ops input__wlr_ops = {
	.name = "wlr",
	.open = wlr_open,
	.close = wlr_close,
	.state = input_wlr__state,
	.exec = input_wlr__exec,
	.release_all = input_wlr__release_all,
	.held = input_wlr__held,
};
