/* SPDX-License-Identifier: MIT */
/*
 * The X11 backend's grabbers (MIT-SHM GetImage into a memfd shared with
 * the server, or a SysV segment marked IPC_RMID at once), the cursor
 * shape (XFixes) and the pointer position. capture_x11_grab may run on a
 * worker thread: it uses only its grabber and the (thread-safe) xcb
 * connection.
 */
#include "capture/capture-x11.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include <xcb/xfixes.h>

#include "core/err.h"
#include "core/log.h"
#include "xconn/xconn.h"

bool capture_x11_sysv_only;

/* MIT-SHM 1.2: a memfd handed to the server over the socket. It works
 * whatever user the X server runs as (a virtual display runs as nobody,
 * which could not attach a 0600 SysV segment of ours) and whatever IPC
 * namespace it lives in. */
static int
attach_memfd(struct x11 *x, struct x11_grabber *g, size_t size)
{
	xcb_generic_error_t *e;
	int fd = memfd_create("outpost-grab", MFD_CLOEXEC);
	void *mem;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) != 0 ||
		(mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0)) == MAP_FAILED) {
		int r = -errno;

		close(fd);
		return r;
	}
	g->seg = xcb_generate_id(x->conn);
	/* xcb closes fd once it is sent. */
	e = xcb_request_check(x->conn,
		xcb_shm_attach_fd_checked(x->conn, g->seg, fd, 0));
	capture_x11__nudge(x);
	if (e != NULL || capture_x11__broken(x)) {
		free(e);
		munmap(mem, size);
		return capture_x11__broken(x) ? OP_ERR_GONE : -EACCES;
	}
	g->mem = mem;
	g->mapped = size;
	return 0;
}

/* The classic SysV segment, for servers without MIT-SHM 1.2. */
static int
attach_sysv(struct x11 *x, struct x11_grabber *g, size_t size)
{
	xcb_generic_error_t *e;
	void *mem;
	int shmid;

	if ((shmid = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600)) < 0)
		return -errno;
	mem = shmat(shmid, NULL, 0);
	if (mem == (void *)-1) {
		int r = -errno;

		shmctl(shmid, IPC_RMID, NULL);
		return r;
	}
	g->seg = xcb_generate_id(x->conn);
	e = xcb_request_check(x->conn,
		xcb_shm_attach_checked(x->conn, g->seg, (uint32_t)shmid, 0));
	/* Both sides are attached (or the server refused): once the last
	 * one detaches, the kernel frees the segment, even if we crash. */
	shmctl(shmid, IPC_RMID, NULL);
	capture_x11__nudge(x);
	if (e != NULL || capture_x11__broken(x)) {
		if (e != NULL)
			log_warn("the X server cannot attach our shared memory "
				 "(error %u)",
				e->error_code);
		free(e);
		shmdt(mem);
		return capture_x11__broken(x) ? OP_ERR_GONE : -EACCES;
	}
	g->mem = mem;
	return 0;
}

int
capture_x11_grabber_new(struct capture *c, const struct capture_display *d,
	uint32_t rows, struct capture_grabber **out)
{
	struct x11 *x = c->impl;
	struct x11_grabber *g = calloc(1, sizeof(*g));
	size_t size;
	int r;

	if (g == NULL)
		return OP_ERR_NOMEM;
	g->conn = x->conn;
	g->root = x->root;
	g->wake = &x->wake;
	g->width = d->width;
	g->height = d->height;
	g->stride = (size_t)d->width * 4;
	g->rows = rows != 0 && rows < d->height ? rows : d->height;
	size = g->stride * g->rows * (g->rows < d->height ? 2u : 1u);
	r = capture_x11_sysv_only ? -ENOSYS : attach_memfd(x, g, size);
	if (r != 0 && r != OP_ERR_GONE)
		r = attach_sysv(x, g, size);
	if (r != 0) {
		free(g);
		return r;
	}
	*out = &g->base;
	return 0;
}

void
capture_x11_grabber_free(struct capture_grabber *base)
{
	struct x11_grabber *g = (struct x11_grabber *)base;
	struct x11 *x = base->c->impl;

	if (x->conn != NULL && !capture_x11__broken(x)) {
		if (g->pending)
			xcb_discard_reply(x->conn, g->pend_cookie.sequence);
		xcb_shm_detach(x->conn, g->seg);
		xcb_flush(x->conn);
	}
	if (g->mapped > 0)
		munmap(g->mem, g->mapped);
	else
		shmdt(g->mem);
	free(g);
}

static xcb_shm_get_image_cookie_t
request(struct x11_grabber *g, uint32_t y, uint32_t n, unsigned half)
{
	return xcb_shm_get_image(g->conn, g->root, (int16_t)g->base.d.x,
		(int16_t)(g->base.d.y + (int32_t)y), (uint16_t)g->width,
		(uint16_t)n, ~0u, XCB_IMAGE_FORMAT_Z_PIXMAP, g->seg,
		(uint32_t)(g->stride * g->rows * half));
}

/*
 * Rows [y, y + n) (capture.c checked the bounds). Banded, the request
 * for the band after this one goes out before this one is returned, so
 * the server fills it while the caller converts this one (the grab of a
 * band is a round trip to a server that may be busy: one at a time,
 * 1080p scrolling took 2.1 ms a frame whole and 4.6 ms in 8 bands).
 */
int
capture_x11_grab_rows(struct capture_grabber *base, uint32_t y, uint32_t n,
	struct capture_image *img)
{
	struct x11_grabber *g = (struct x11_grabber *)base;
	xcb_shm_get_image_cookie_t ck;
	xcb_shm_get_image_reply_t *rep;
	xcb_generic_error_t *e = NULL;
	unsigned half = 0;
	int r = 0;

	if (n > g->rows || y > g->height || n > g->height - y)
		return OP_ERR_RANGE;
	if (g->pending && g->pend_y == y && g->pend_n == n) {
		ck = g->pend_cookie;
		half = g->pend_half;
	} else {
		if (g->pending)
			xcb_discard_reply(g->conn, g->pend_cookie.sequence);
		ck = request(g, y, n, 0);
	}
	g->pending = false;
	if (g->rows < g->height && y + n < g->height) {
		g->pend_y = y + n;
		g->pend_n = g->height - g->pend_y < g->rows ?
			g->height - g->pend_y : g->rows;
		g->pend_half = half ^ 1u;
		g->pend_cookie = request(g, g->pend_y, g->pend_n, g->pend_half);
		g->pending = true;
		xcb_flush(g->conn);
	}
	rep = xcb_shm_get_image_reply(g->conn, ck, &e);
	uv_async_send(g->wake); /* see the top comment */
	if (rep == NULL) {
		if (xcb_connection_has_error(g->conn) != 0)
			r = OP_ERR_GONE;
		else if (e != NULL && e->error_code == X11_BAD_MATCH)
			r = OP_ERR_STATE; /* outside the screen: it shrank */
		else
			r = OP_ERR_PROTO;
		free(e);
		return r;
	}
	if ((rep->depth != 24 && rep->depth != 32) ||
		rep->size != g->stride * n)
		r = OP_ERR_UNSUPPORTED;
	free(rep);
	if (r != 0)
		return r;
	img->data = g->mem + g->stride * g->rows * half;
	img->width = g->width;
	img->height = n;
	img->stride = g->stride;
	return 0;
}

int
capture_x11_grab(struct capture_grabber *base, struct capture_image *img)
{
	struct x11_grabber *g = (struct x11_grabber *)base;

	return capture_x11_grab_rows(base, 0, g->height, img);
}

static uint8_t
unpremultiply(uint32_t c, uint32_t a)
{
	uint32_t v = (c * 255 + a / 2) / a;

	return (uint8_t)(v > 255 ? 255 : v);
}

int
capture_x11_cursor(struct capture *c, struct capture_cursor *out)
{
	struct x11 *x = c->impl;
	xcb_xfixes_get_cursor_image_reply_t *rep;
	const uint32_t *px;
	size_t n;
	uint8_t *rgba;

	rep = xcb_xfixes_get_cursor_image_reply(x->conn,
		xcb_xfixes_get_cursor_image(x->conn), NULL);
	capture_x11__nudge(x);
	if (rep == NULL)
		return capture_x11__broken(x) ? OP_ERR_GONE : OP_ERR_PROTO;
	n = (size_t)rep->width * rep->height;
	if (rep->width == 0 || rep->height == 0 ||
		rep->width > CAPTURE_MAX_CURSOR_DIM ||
		rep->height > CAPTURE_MAX_CURSOR_DIM) {
		free(rep);
		return OP_ERR_RANGE;
	}
	/* xcb's cursor_image_length is width * height from the header:
	 * the pixels must be in what the server actually sent. */
	if (!xconn_reply_fits(rep, sizeof(*rep), (uint64_t)n * 4)) {
		free(rep);
		return OP_ERR_PROTO;
	}
	if ((rgba = malloc(n * 4)) == NULL) {
		free(rep);
		return OP_ERR_NOMEM;
	}
	/* XFixes gives premultiplied ARGB in host order; peers want
	 * straight RGBA bytes. */
	px = xcb_xfixes_get_cursor_image_cursor_image(rep);
	for (size_t i = 0; i < n; i++) {
		uint32_t p = px[i], a = p >> 24;
		uint8_t *o = rgba + i * 4;

		if (a == 0) {
			memset(o, 0, 4);
			continue;
		}
		o[0] = unpremultiply((p >> 16) & 0xff, a);
		o[1] = unpremultiply((p >> 8) & 0xff, a);
		o[2] = unpremultiply(p & 0xff, a);
		o[3] = (uint8_t)a;
	}
	out->serial = rep->cursor_serial;
	out->hotx = rep->xhot;
	out->hoty = rep->yhot;
	out->width = rep->width;
	out->height = rep->height;
	out->rgba = rgba;
	free(rep);
	return 0;
}

int
capture_x11_pointer(struct capture *c, int32_t *px, int32_t *py)
{
	struct x11 *x = c->impl;
	xcb_query_pointer_reply_t *rep;

	rep = xcb_query_pointer_reply(x->conn,
		xcb_query_pointer(x->conn, x->root), NULL);
	capture_x11__nudge(x);
	if (rep == NULL)
		return capture_x11__broken(x) ? OP_ERR_GONE : OP_ERR_PROTO;
	*px = rep->root_x;
	*py = rep->root_y;
	free(rep);
	return 0;
}
