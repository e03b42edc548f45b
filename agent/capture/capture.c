/* SPDX-License-Identifier: MIT */
/*
 * The backend-neutral half of screen capture: picks the backend, keeps
 * the display list and one damage counter per display, checks that a
 * grabber still matches its display, and delivers events. It never
 * talks to a display server itself; that is the backends' job
 * (capture-x11.c, capture-wlr.c, ...; the list per system is in
 * capture-backends-unix.c / capture-backends-win.c).
 */
#include "capture/capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture-internal.h"
#include "core/err.h"
#include "core/log.h"

static bool
display_same(const struct capture_display *a, const struct capture_display *b)
{
	return a->x == b->x && a->y == b->y && a->width == b->width &&
		a->height == b->height && a->primary == b->primary &&
		strcmp(a->name, b->name) == 0;
}

bool
capture__relayout(struct capture *self)
{
	struct capture_display d[CAPTURE_MAX_DISPLAYS];
	bool changed;
	int n = self->ops->displays(self, d, CAPTURE_MAX_DISPLAYS);

	if (n < 0)
		return false; /* a broken connection is reported as GONE */
	changed = n != self->ndisp;
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++) {
		bool had = i < self->ndisp, has = i < n;

		if (had != has ||
			(has && !display_same(&self->disp[i], &d[i]))) {
			changed = true;
			atomic_fetch_add(&self->gen[i], 1);
		}
	}
	if (!changed)
		return false;
	memcpy(self->disp, d, sizeof(d[0]) * (size_t)n);
	self->ndisp = n;
	/* Viewers remember the last value they encoded; growing every
	 * counter makes them all send a fresh frame of the new layout. */
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++)
		self->seq[i]++;
	return true;
}

bool
capture__damage(struct capture *self, int32_t x, int32_t y, uint32_t w,
	uint32_t h)
{
	bool any = false;
	int64_t x1 = (int64_t)x + w, y1 = (int64_t)y + h;

	for (int i = 0; i < self->ndisp; i++) {
		const struct capture_display *d = &self->disp[i];

		if (x < (int64_t)d->x + d->width && x1 > d->x &&
			y < (int64_t)d->y + d->height && y1 > d->y) {
			self->seq[i]++;
			any = true;
		}
	}
	return any;
}

void
capture__emit(struct capture *self, unsigned mask)
{
	if (self->gone || self->closing || mask == 0)
		return;
	if (mask & CAPTURE_EV_GONE) {
		self->gone = true;
		mask = CAPTURE_EV_GONE; /* nothing else matters any more */
	}
	self->cb(self->arg, self, mask);
}

void
capture__free(struct capture *self)
{
	free(self);
}

/* "capture backend X is not available (x11, wlr, ...)" */
static void
unsupported(const char *backend, char *err, size_t errlen)
{
	size_t len;

	snprintf(err, errlen, "capture backend %s is not available (", backend);
	for (size_t i = 0; i < capture__nbackends; i++) {
		len = strnlen(err, errlen);
		snprintf(err + len, errlen - len, "%s%s", i > 0 ? ", " : "",
			capture__backends[i]->name);
	}
	len = strnlen(err, errlen);
	snprintf(err + len, errlen - len, ")");
}

int
capture_open(uv_loop_t *loop, const char *backend, const char *display,
	const char *xauthority, capture_event_fn cb, void *arg,
	struct capture **out, char *err, size_t errlen)
{
	const struct capture_ops *ops = NULL;
	struct capture *c;
	int r;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (backend == NULL)
		backend = capture__backends[0]->name;
	for (size_t i = 0; i < capture__nbackends; i++)
		if (strcmp(capture__backends[i]->name, backend) == 0)
			ops = capture__backends[i];
	if (ops == NULL) {
		unsupported(backend, err, errlen);
		return OP_ERR_UNSUPPORTED;
	}
	if (loop == NULL || cb == NULL) {
		snprintf(err, errlen, "capture_open: no loop or callback");
		return OP_ERR_INTERNAL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return OP_ERR_NOMEM;
	}
	c->ops = ops;
	c->loop = loop;
	c->cb = cb;
	c->arg = arg;
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++) {
		c->seq[i] = 1;
		atomic_init(&c->gen[i], 0);
	}
	while ((r = ops->open(c, display, xauthority, err, errlen)) != 0 &&
		ops->fallback != NULL) {
		log_notice("capture: %s: %s; trying %s", ops->name,
			errlen > 0 ? err : "failed", ops->fallback->name);
		c->ops = ops = ops->fallback;
		if (errlen > 0)
			err[0] = '\0';
	}
	if (r != 0) {
		free(c);
		return r;
	}
	/* The first layout is no change: counters start at 1. */
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++)
		c->seq[i] = 1;
	*out = c;
	return 0;
}

void
capture_close(struct capture *c)
{
	if (c == NULL || c->closing)
		return;
	c->closing = true;
	c->ops->close(c); /* calls capture__free when its handles are closed */
}

const char *
capture_backend_name(const struct capture *c)
{
	return c->ops->name;
}

int
capture_displays(const struct capture *c, struct capture_display *out,
	int max)
{
	int n;

	if (c->gone)
		return OP_ERR_GONE;
	if (c->ndisp == 0)
		return OP_ERR_NOT_FOUND;
	if (max <= 0)
		return OP_ERR_RANGE;
	n = c->ndisp < max ? c->ndisp : max;
	memcpy(out, c->disp, sizeof(out[0]) * (size_t)n);
	return n;
}

uint64_t
capture_damage_seq(const struct capture *c, int display)
{
	if (display < 0 || display >= c->ndisp)
		return 0;
	return c->seq[display];
}

int
capture_grabber_new(struct capture *c, int display,
	struct capture_grabber **out)
{
	return capture_grabber_new_rows(c, display, 0, out);
}

int
capture_grabber_new_rows(struct capture *c, int display, uint32_t rows,
	struct capture_grabber **out)
{
	struct capture_grabber *g = NULL;
	int r;

	*out = NULL;
	if (c->gone)
		return OP_ERR_GONE;
	if (display < 0 || display >= c->ndisp)
		return OP_ERR_RANGE;
	if (c->ops->grab_rows == NULL || rows >= c->disp[display].height)
		rows = 0;
	if ((r = c->ops->grabber_new(c, &c->disp[display], rows, &g)) != 0)
		return r;
	g->rows = rows;
	memset(&g->whole, 0, sizeof(g->whole));
	g->c = c;
	g->display = display;
	g->gen = atomic_load(&c->gen[display]);
	g->d = c->disp[display];
	*out = g;
	return 0;
}

void
capture_grabber_free(struct capture_grabber *g)
{
	if (g != NULL)
		g->c->ops->grabber_free(g);
}

int
capture_grab(struct capture_grabber *g, struct capture_image *img)
{
	memset(img, 0, sizeof(*img));
	if (atomic_load(&g->c->gen[g->display]) != g->gen)
		return OP_ERR_STATE;
	if (g->rows != 0)
		return OP_ERR_RANGE;
	return g->c->ops->grab(g, img);
}

int
capture_grab_rows(struct capture_grabber *g, uint32_t y, uint32_t n,
	struct capture_image *img)
{
	int r;

	memset(img, 0, sizeof(*img));
	if (atomic_load(&g->c->gen[g->display]) != g->gen)
		return OP_ERR_STATE;
	if (n == 0 || y >= g->d.height || n > g->d.height - y ||
		(g->rows != 0 && n > g->rows))
		return OP_ERR_RANGE;
	if (g->c->ops->grab_rows != NULL)
		return g->c->ops->grab_rows(g, y, n, img);
	if (y == 0) {
		memset(&g->whole, 0, sizeof(g->whole));
		if ((r = g->c->ops->grab(g, &g->whole)) != 0)
			return r;
	}
	/* A whole frame must be there and match the display. */
	if (g->whole.data == NULL || g->whole.height != g->d.height)
		return OP_ERR_STATE;
	*img = g->whole;
	img->data += (size_t)y * g->whole.stride;
	img->height = n;
	return 0;
}

int
capture_cursor(struct capture *c, struct capture_cursor *out)
{
	memset(out, 0, sizeof(*out));
	if (c->gone)
		return OP_ERR_GONE;
	return c->ops->cursor(c, out);
}

void
capture_cursor_free(struct capture_cursor *cur)
{
	if (cur == NULL)
		return;
	free(cur->rgba);
	cur->rgba = NULL;
}

int
capture_pointer(struct capture *c, int32_t *x, int32_t *y)
{
	*x = 0;
	*y = 0;
	if (c->gone)
		return OP_ERR_GONE;
	return c->ops->pointer(c, x, y);
}
