/* SPDX-License-Identifier: MIT */
/*
 * The PipeWire screen-stream consumer shared by the "mutter" and "portal"
 * backends (capture-pwstream.c). Only files in agent/capture/ include
 * this.
 */
#ifndef OP_CAPTURE_CAPTURE_PWSTREAM_H
#define OP_CAPTURE_CAPTURE_PWSTREAM_H

#include <stdint.h>

#include "capture/capture-internal.h"

struct userbus_rd_ops;

/*
 * A backend's open, once it has its session (src: its calls, which
 * keep it polled for its end and close it with the capture) and a
 * connected PipeWire socket: takes both (closed on failure too),
 * connects PipeWire on pw_fd, consumes the stream node, waits (blocking)
 * for the format and the first frame, then polls the bus and PipeWire
 * on self->loop.
 * 0, or a negative error with a reason in err.
 */
int capture__pws_open(struct capture *self, const struct userbus_rd_ops *src,
	void *session, int pw_fd, uint32_t node, char *err, size_t errlen);

/* The rest of the backend's capture_ops: after its name and open, in
 * its table, CAPTURE_PWS_OPS. */
#define CAPTURE_PWS_OPS \
	.close = capture__pws_close, .displays = capture__pws_displays, \
	.grabber_new = capture__pws_grabber_new, \
	.grabber_free = capture__pws_grabber_free, \
	.grab = capture__pws_grab, .cursor = capture__pws_cursor, \
	.pointer = capture__pws_pointer

void capture__pws_close(struct capture *self);
int capture__pws_displays(struct capture *self, struct capture_display *out,
	int max);
int capture__pws_grabber_new(struct capture *self,
	const struct capture_display *d, uint32_t rows,
	struct capture_grabber **out);
void capture__pws_grabber_free(struct capture_grabber *g);
int capture__pws_grab(struct capture_grabber *g, struct capture_image *img);
int capture__pws_cursor(struct capture *self, struct capture_cursor *out);
int capture__pws_pointer(struct capture *self, int32_t *x, int32_t *y);

#endif
