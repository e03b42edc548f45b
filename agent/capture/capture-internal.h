/* SPDX-License-Identifier: MIT */
/*
 * Between capture.c (backend-neutral: display list, damage counters,
 * event delivery, grabber generation checks) and the backends. Only
 * files in agent/capture/ include this.
 */
#ifndef OP_CAPTURE_CAPTURE_INTERNAL_H
#define OP_CAPTURE_CAPTURE_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "capture/capture.h"

/*
 * A backend. All but grab run on the loop thread.
 * open: connect and start watching; fills self->impl. On failure frees
 *   whatever it made and writes err.
 * close: stop watching, disconnect, and eventually (after the uv handles
 *   are closed) call capture__free(self).
 * displays: asks the server for the current display list (already
 *   bounded and clipped); returns the count (>= 0) or a negative error.
 * grabber_new: a grabber (struct capture_grabber first) for rect d;
 *   rows > 0: it will grab bands of at most rows rows (grab_rows), a
 *   backend without grab_rows ignores it.
 * grab: any thread; may only use the grabber and the thread-safe parts
 *   of the connection.
 * grab_rows (may be NULL): like grab, rows [y, y + n) only (checked by
 *   capture.c against the display and the grabber's rows).
 * fallback (may be NULL): when open fails, capture_open logs why and
 *   opens this backend instead (dxgi -> gdi).
 */
struct capture_ops {
	const char *name;
	int (*open)(struct capture *self, const char *display,
		const char *xauthority, char *err, size_t errlen);
	void (*close)(struct capture *self);
	int (*displays)(struct capture *self, struct capture_display *out,
		int max);
	int (*grabber_new)(struct capture *self,
		const struct capture_display *d, uint32_t rows,
		struct capture_grabber **out);
	void (*grabber_free)(struct capture_grabber *g);
	int (*grab)(struct capture_grabber *g, struct capture_image *img);
	int (*grab_rows)(struct capture_grabber *g, uint32_t y, uint32_t n,
		struct capture_image *img);
	int (*cursor)(struct capture *self, struct capture_cursor *out);
	int (*pointer)(struct capture *self, int32_t *x, int32_t *y);
	const struct capture_ops *fallback;
};

struct capture {
	const struct capture_ops *ops;
	uv_loop_t *loop;
	capture_event_fn cb;
	void *arg;
	void *impl; /* the backend's state */
	struct capture_display disp[CAPTURE_MAX_DISPLAYS];
	int ndisp;
	uint64_t seq[CAPTURE_MAX_DISPLAYS];
	/* Bumped (loop thread) when display i's geometry changes or it goes
	 * away; grabs (any thread) compare it with the value at creation. */
	_Atomic uint32_t gen[CAPTURE_MAX_DISPLAYS];
	bool gone; /* CAPTURE_EV_GONE was reported */
	bool closing;
};

/* The backend-neutral head of every backend's grabber. */
struct capture_grabber {
	struct capture *c;
	int display;
	uint32_t gen;
	struct capture_display d; /* copied: grabs must not read c->disp */
	uint32_t rows;            /* grab_rows bands; 0: whole grabs only */
	struct capture_image whole; /* without grab_rows: the y = 0 grab */
};

/* Re-reads the display list through ops->displays; returns true when it
 * changed (then every damage counter grows too). Loop thread. */
bool capture__relayout(struct capture *self);

/* Global rectangle (x, y, w, h) changed: bumps the damage counter of every
 * display it touches; returns true if any. */
bool capture__damage(struct capture *self, int32_t x, int32_t y, uint32_t w,
	uint32_t h);

/* Delivers mask to the owner (nothing after GONE; GONE only once). The
 * owner may call capture_close from inside; callers must not touch self
 * afterwards. */
void capture__emit(struct capture *self, unsigned mask);

/* Frees the neutral part; the backend's close calls it last. */
void capture__free(struct capture *self);

extern const struct capture_ops capture__x11_ops;
extern const struct capture_ops capture__wlr_ops;
extern const struct capture_ops capture__mutter_ops;
extern const struct capture_ops capture__portal_ops;
extern const struct capture_ops capture__gdi_ops;
extern const struct capture_ops capture__dxgi_ops;

/* The backends this system has, the default (backend NULL) first:
 * capture-backends-unix.c or capture-backends-win.c. */
extern const struct capture_ops *const capture__backends[];
extern const size_t capture__nbackends;

#endif
