/* SPDX-License-Identifier: MIT */
/* The wlroots backend's state, shared by capture-wlr.c (the loop
 * connection: outputs, damage watchers) and capture-wlr-grab.c (grabbers
 * with their own connections, used from worker threads). */
#ifndef OP_CAPTURE_CAPTURE_WLR_H
#define OP_CAPTURE_CAPTURE_WLR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "capture/capture-internal.h"
#include "wayland/wl-output.h"
#include "wayland/wl-proto.h"

/* Compositor waits: a hung compositor costs a grab this long at most. */
#define WLR_TIMEOUT_MS 2000

struct wlr;

/* A screencopy frame's shm offer and the buffer we copy it into. */
struct wlr_shm_frame {
	struct wl_buffer *buf;
	void *mem;
	size_t memsize;
	uint32_t bw, bh, bstride, bfmt; /* buf's */
	uint32_t fw, fh, fstride, ffmt; /* this frame's shm offer */
	bool offer;                     /* one we can take was made */
};

/* A wl_output on the loop connection, and its damage watcher. */
struct wlr_out {
	struct wlr *w;
	struct wlo_output wo; /* position, mode, name; .arg = w */
	/* damage watcher: a copy_with_damage always pending */
	struct zwlr_screencopy_frame_v1 *frame;
	struct wlr_shm_frame fb;
	bool warned;          /* about its offers, once */
	bool rearm;            /* start the next watch on the pace timer */
	uint64_t next_ms;      /* not before (loop time) */
};

struct wlr {
	struct capture *c;
	struct wl_display *dpy;
	struct wl_registry *reg;
	struct wl_shm *shm;
	struct zwlr_screencopy_manager_v1 *sc;
	uint32_t sc_version;
	struct zxdg_output_manager_v1 *xom;
	struct wlr_out *outs[CAPTURE_MAX_DISPLAYS];
	uint32_t idx_global[CAPTURE_MAX_DISPLAYS]; /* display i's output */
	unsigned mask;       /* events to emit after this dispatch */
	bool layout_dirty;
	bool running;        /* uv handles made: watchers may start */
	bool stopped;
	bool free_capture;
	bool writable;       /* polling for POLLOUT too */
	int handles;
	uv_poll_t poll;
	uv_timer_t pace;
	/* How grabbers connect: the same socket as the same user. */
	char path[108];
	uid_t uid;
	gid_t gid;
};

struct wlr_grabber {
	struct capture_grabber base; /* first: capture.c's view */
	struct wl_display *dpy;
	struct wl_registry *reg;
	struct wl_shm *shm;
	struct zwlr_screencopy_manager_v1 *sc;
	uint32_t sc_version;
	struct wl_output *out;
	uint32_t global;
	struct wlr_shm_frame fb;
	uint8_t *conv; /* converted frame, when the shm one is not BGRX */
	/* the frame in progress */
	uint32_t flags;
	bool offers_done, ready, failed;
};

/* Connects to w->path as w->uid:w->gid and gets the registry with
 * listener l (see wlu_open_registry). */
int capture_wlr__open(const struct wlr *w, const struct wl_registry_listener *l,
	void *data, struct wl_display **dpy, struct wl_registry **reg,
	char *err, size_t errlen);

/* Binds iface when it is wl_shm or the screencopy manager (version up to
 * 3) and that one is not bound yet; true if it did. */
bool capture_wlr__bind(struct wl_registry *reg, uint32_t name,
	const char *iface, uint32_t version, struct wl_shm **shm,
	struct zwlr_screencopy_manager_v1 **sc, uint32_t *sc_version);

/* A zwlr_screencopy_frame_v1.buffer offer: kept when it is the first
 * one we can take (format and size checked). */
void capture_wlr__offer(struct wlr_shm_frame *b, uint32_t format,
	uint32_t width, uint32_t height, uint32_t stride);

/* zwlr_screencopy_frame_v1.linux_dmabuf: we take shm offers only. */
void capture_wlr__no_dmabuf(void *data, struct zwlr_screencopy_frame_v1 *f,
	uint32_t format, uint32_t width, uint32_t height);

/* Makes b's buffer fit the offer (a new one when it does not): 0, or
 * OP_ERR_NOMEM / -errno with no buffer. */
int capture_wlr__fit_buffer(struct wlr_shm_frame *b, struct wl_shm *shm);

/* The shm formats we read: byte order B,G,R,x or R,G,B,x. */
bool capture_wlr__format_ok(uint32_t fmt);

/* A buffer offer (width, height, stride) we can accept for a display of
 * width x height; false for anything insane. */
bool capture_wlr__offer_ok(uint32_t width, uint32_t height, uint32_t stride);

int capture_wlr_grabber_new(struct capture *c, const struct capture_display *d,
	uint32_t rows, struct capture_grabber **out);
void capture_wlr_grabber_free(struct capture_grabber *base);
int capture_wlr_grab(struct capture_grabber *base, struct capture_image *img);

#endif
