/* SPDX-License-Identifier: MIT */
/*
 * The wlroots backend's grabbers. Each owns a connection of its own (made
 * on the loop thread, as the same user as the loop's), bound to the one
 * wl_output it grabs, and a sealed memfd shm buffer. capture_wlr_grab
 * runs on a worker thread: capture_output, wait for the buffer offers,
 * copy, wait for ready, each wait bounded by WLR_TIMEOUT_MS. Frames come
 * as BGRX (XRGB8888/ARGB8888) straight from the shm buffer, or are
 * converted (RGBX formats, y-inverted frames) into a buffer of ours.
 */
#include "capture/capture-wlr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "wayland/wl-util.h"

static void
gf_buffer(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t format,
	uint32_t width, uint32_t height, uint32_t stride)
{
	struct wlr_grabber *g = data;

	(void)f;
	capture_wlr__offer(&g->fb, format, width, height, stride);
	if (g->sc_version < 3)
		g->offers_done = true; /* one offer, no buffer_done */
}

static void
gf_flags(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t flags)
{
	struct wlr_grabber *g = data;

	(void)f;
	g->flags = flags;
}

static void
gf_ready(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t hi,
	uint32_t lo, uint32_t ns)
{
	struct wlr_grabber *g = data;

	(void)f;
	(void)hi;
	(void)lo;
	(void)ns;
	g->ready = true;
}

static void
gf_failed(void *data, struct zwlr_screencopy_frame_v1 *f)
{
	struct wlr_grabber *g = data;

	(void)f;
	g->failed = true;
	g->offers_done = true;
	g->ready = true; /* ends either wait */
}

static void
gf_damage(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t x,
	uint32_t y, uint32_t width, uint32_t height)
{
	(void)data;
	(void)f;
	(void)x;
	(void)y;
	(void)width;
	(void)height;
}

static void
gf_buffer_done(void *data, struct zwlr_screencopy_frame_v1 *f)
{
	struct wlr_grabber *g = data;

	(void)f;
	g->offers_done = true;
}

static const struct zwlr_screencopy_frame_v1_listener grab_listener = {
	.buffer = gf_buffer,
	.flags = gf_flags,
	.ready = gf_ready,
	.failed = gf_failed,
	.damage = gf_damage,
	.linux_dmabuf = capture_wlr__no_dmabuf,
	.buffer_done = gf_buffer_done,
};

static void
greg_global(void *data, struct wl_registry *reg, uint32_t name,
	const char *iface, uint32_t version)
{
	struct wlr_grabber *g = data;

	if (version == 0 || capture_wlr__bind(reg, name, iface, version,
				    &g->shm, &g->sc, &g->sc_version))
		return;
	if (strcmp(iface, "wl_output") == 0 && name == g->global &&
		g->out == NULL) {
		g->out = wl_registry_bind(reg, name, &wl_output_interface, 1);
	}
}

static void
greg_global_remove(void *data, struct wl_registry *reg, uint32_t name)
{
	(void)data;
	(void)reg;
	(void)name; /* the loop connection sees it too and relayouts */
}

static const struct wl_registry_listener grab_registry_listener = {
	.global = greg_global,
	.global_remove = greg_global_remove,
};

static void
grabber_destroy(struct wlr_grabber *g)
{
	wlu_shm_buffer_free(g->fb.buf, g->fb.mem, g->fb.memsize);
	if (g->out != NULL)
		wl_output_destroy(g->out);
	if (g->sc != NULL)
		wlp_screencopy_manager_destroy(g->sc);
	if (g->shm != NULL)
		wl_shm_destroy(g->shm);
	if (g->reg != NULL)
		wl_registry_destroy(g->reg);
	if (g->dpy != NULL)
		wl_display_disconnect(g->dpy);
	free(g->conv);
	free(g);
}

int
capture_wlr_grabber_new(struct capture *c, const struct capture_display *d,
	uint32_t rows,
	struct capture_grabber **out)
{
	(void)rows; /* whole frames only */
	struct wlr *w = c->impl;
	struct wlr_grabber *g;
	ptrdiff_t idx = d - c->disp;
	char err[160]; /* the caller has no room for a reason */
	int r;

	if (idx < 0 || idx >= c->ndisp)
		return OP_ERR_RANGE;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return OP_ERR_NOMEM;
	g->global = w->idx_global[idx];
	if ((r = capture_wlr__open(w, &grab_registry_listener, g, &g->dpy,
		     &g->reg, err, sizeof(err))) != 0)
		goto fail;
	if (g->shm == NULL || g->sc == NULL) {
		r = OP_ERR_UNSUPPORTED;
		goto fail;
	}
	if (g->out == NULL) {
		r = OP_ERR_STATE; /* the output went away meanwhile */
		goto fail;
	}
	*out = &g->base;
	return 0;
fail:
	grabber_destroy(g);
	return r;
}

void
capture_wlr_grabber_free(struct capture_grabber *base)
{
	grabber_destroy((struct wlr_grabber *)base);
}

static int
wait_for(struct wlr_grabber *g, const bool *flag)
{
	int r = wlu_dispatch_until(g->dpy, flag, WLR_TIMEOUT_MS);

	if (r == -ETIMEDOUT) {
		log_warn("wlr capture: the compositor did not deliver a frame "
			 "in %d ms",
			WLR_TIMEOUT_MS);
		return r;
	}
	return r < 0 ? OP_ERR_GONE : 0;
}

/* Our frames are B,G,R,x bytes, top row first. */
static int
deliver(struct wlr_grabber *g, struct capture_image *img)
{
	bool flip = (g->flags & ZWLR_SCREENCOPY_FRAME_V1_FLAGS_Y_INVERT) != 0;
	bool rgb = g->fb.bfmt == WL_SHM_FORMAT_XBGR8888 ||
		g->fb.bfmt == WL_SHM_FORMAT_ABGR8888;
	size_t row = (size_t)g->fb.bw * 4;
	const uint8_t *src = g->fb.mem;

	img->width = g->fb.bw;
	img->height = g->fb.bh;
	if (!flip && !rgb) {
		img->data = g->fb.mem;
		img->stride = g->fb.bstride;
		return 0;
	}
	if (g->conv == NULL && (g->conv = malloc(row * g->fb.bh)) == NULL)
		return OP_ERR_NOMEM;
	for (uint32_t y = 0; y < g->fb.bh; y++) {
		const uint8_t *s =
			src + (size_t)(flip ? g->fb.bh - 1 - y : y) *
				g->fb.bstride;
		uint8_t *o = g->conv + (size_t)y * row;

		if (!rgb) {
			memcpy(o, s, row);
			continue;
		}
		for (uint32_t x = 0; x < g->fb.bw; x++, s += 4, o += 4) {
			o[0] = s[2];
			o[1] = s[1];
			o[2] = s[0];
			o[3] = s[3];
		}
	}
	img->data = g->conv;
	img->stride = row;
	return 0;
}

int
capture_wlr_grab(struct capture_grabber *base, struct capture_image *img)
{
	struct wlr_grabber *g = (struct wlr_grabber *)base;
	struct zwlr_screencopy_frame_v1 *f;
	int r;

	g->fb.offer = g->offers_done = g->ready = g->failed = false;
	g->flags = 0;
	if ((f = wlp_screencopy_capture_output(g->sc, 0, g->out)) == NULL)
		return OP_ERR_NOMEM;
	wlp_screencopy_frame_add_listener(f, &grab_listener, g);
	if ((r = wait_for(g, &g->offers_done)) != 0)
		goto out;
	if (g->failed) {
		r = OP_ERR_STATE; /* the output is off or changing */
		goto out;
	}
	if (!g->fb.offer) {
		r = OP_ERR_UNSUPPORTED;
		goto out;
	}
	/* The conversion buffer is sized for the grabber's display. */
	if (g->fb.fw != base->d.width || g->fb.fh != base->d.height) {
		r = OP_ERR_STATE;
		goto out;
	}
	if ((r = capture_wlr__fit_buffer(&g->fb, g->shm)) != 0)
		goto out;
	wlp_screencopy_frame_copy(f, g->fb.buf);
	if ((r = wait_for(g, &g->ready)) != 0)
		goto out;
	r = g->failed ? OP_ERR_STATE : deliver(g, img);
out:
	wlp_screencopy_frame_destroy(f);
	(void)wl_display_flush(g->dpy);
	return r;
}
