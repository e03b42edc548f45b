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
#include "wayland/wl-output.h"
#include "wayland/wl-util.h"

static void
out_drop(struct wlo_output *o)
{
	wlo_destroy(o);
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
			if (w->outs[i].out != NULL)
				continue;
			(void)wlo_bind(&w->outs[i], reg, name, version, w->xom);
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
	struct wlu_target t = {path, 0, 0, platform_connect_user};
	int r;

	if ((r = wlu_socket_path(display, platform_user_socket, path,
		     sizeof(path), &t.uid, &t.gid,
		     err, errlen)) != 0 ||
		(r = wlu_open_registry(&t, &reg_listener, w, WLR_IN_TIMEOUT_MS,
			 &w->dpy, &w->reg, err, errlen)) != 0)
		return r;
	if (w->seat == NULL || w->vpm == NULL || w->vkm == NULL) {
		snprintf(err, errlen, "the compositor at %s has no %s", path,
			w->seat == NULL	      ? "seat"
				: w->vpm == NULL ? "zwlr_virtual_pointer_manager_v1"
						 : "zwp_virtual_keyboard_manager_v1");
		return OP_ERR_UNSUPPORTED;
	}
	for (int i = 0; i < MAX_OUTPUTS; i++)
		if (w->outs[i].out != NULL)
			wlo_xdg(&w->outs[i], w->xom);
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
