/* SPDX-License-Identifier: MIT */
#include "wayland/wl-output.h"

#include <stdio.h>

#include "wayland/wl-util.h"

static void
wo_geometry(void *data, struct wl_output *wo, int32_t x, int32_t y,
	int32_t pw, int32_t ph, int32_t subpixel, const char *make,
	const char *model, int32_t transform)
{
	struct wlo_output *o = data;

	(void)wo;
	(void)pw;
	(void)ph;
	(void)subpixel;
	(void)make;
	(void)model;
	o->gx = x;
	o->gy = y;
	o->transform = transform;
}

static void
wo_mode(void *data, struct wl_output *wo, uint32_t flags, int32_t width,
	int32_t height, int32_t refresh)
{
	struct wlo_output *o = data;

	(void)wo;
	(void)refresh;
	if (!(flags & WL_OUTPUT_MODE_CURRENT))
		return;
	o->mode_w = width;
	o->mode_h = height;
	o->have_mode = true;
}

static void
wo_done(void *data, struct wl_output *wo)
{
	struct wlo_output *o = data;

	(void)wo;
	o->done = true;
	if (o->changed != NULL)
		o->changed(o->arg);
}

static void
wo_scale(void *data, struct wl_output *wo, int32_t factor)
{
	(void)data;
	(void)wo;
	(void)factor;
}

static void
wo_name(void *data, struct wl_output *wo, const char *name)
{
	struct wlo_output *o = data;

	(void)wo;
	if (o->xo == NULL) /* xdg-output's name wins */
		wlu_copy_name(o->name, sizeof(o->name), name);
}

static void
wo_description(void *data, struct wl_output *wo, const char *d)
{
	(void)data;
	(void)wo;
	(void)d;
}

static const struct wl_output_listener output_listener = {
	.geometry = wo_geometry,
	.mode = wo_mode,
	.done = wo_done,
	.scale = wo_scale,
	.name = wo_name,
	.description = wo_description,
};

static void
xo_position(void *data, struct zxdg_output_v1 *xo, int32_t x, int32_t y)
{
	struct wlo_output *o = data;

	(void)xo;
	o->lx = x;
	o->ly = y;
	o->have_logical = true;
}

static void
xo_size(void *data, struct zxdg_output_v1 *xo, int32_t w, int32_t h)
{
	struct wlo_output *o = data;

	(void)xo;
	o->lw = w;
	o->lh = h;
}

static void
xo_done(void *data, struct zxdg_output_v1 *xo)
{
	struct wlo_output *o = data;

	(void)xo;
	if (o->changed != NULL)
		o->changed(o->arg);
}

static void
xo_name(void *data, struct zxdg_output_v1 *xo, const char *name)
{
	struct wlo_output *o = data;

	(void)xo;
	wlu_copy_name(o->name, sizeof(o->name), name);
}

static void
xo_description(void *data, struct zxdg_output_v1 *xo, const char *d)
{
	(void)data;
	(void)xo;
	(void)d;
}

static const struct zxdg_output_v1_listener xdg_output_listener = {
	.logical_position = xo_position,
	.logical_size = xo_size,
	.done = xo_done,
	.name = xo_name,
	.description = xo_description,
};

void
wlo_xdg(struct wlo_output *o, struct zxdg_output_manager_v1 *xom)
{
	if (o->xo != NULL || xom == NULL || o->out == NULL)
		return;
	if ((o->xo = wlp_xdg_output_get(xom, o->out)) != NULL)
		wlp_xdg_output_add_listener(o->xo, &xdg_output_listener, o);
}

int
wlo_bind(struct wlo_output *o, struct wl_registry *reg, uint32_t name,
	uint32_t version, struct zxdg_output_manager_v1 *xom)
{
	o->global = name;
	snprintf(o->name, sizeof(o->name), "output-%u", name);
	o->out = wl_registry_bind(reg, name, &wl_output_interface,
		version < 4 ? version : 4);
	if (o->out == NULL)
		return -1;
	wl_output_add_listener(o->out, &output_listener, o);
	wlo_xdg(o, xom);
	return 0;
}

void
wlo_destroy(struct wlo_output *o)
{
	if (o->xo != NULL)
		wlp_xdg_output_destroy(o->xo);
	o->xo = NULL;
	if (o->out == NULL)
		return;
	if (wl_output_get_version(o->out) >= WL_OUTPUT_RELEASE_SINCE_VERSION)
		wl_output_release(o->out);
	else
		wl_output_destroy(o->out);
	o->out = NULL;
}
