/* SPDX-License-Identifier: MIT */
#include "wayland/wl-util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
broken(struct wl_display *dpy)
{
	int e = wl_display_get_error(dpy);

	return e != 0 ? -e : -EPIPE;
}

int
wlu_dispatch_timeout(struct wl_display *dpy, int ms)
{
	struct pollfd p = { .fd = wl_display_get_fd(dpy) };
	int n;

	while (wl_display_prepare_read(dpy) != 0)
		if ((n = wl_display_dispatch_pending(dpy)) < 0)
			return broken(dpy);
	/* Flush what we asked; a full socket means wait for POLLOUT too. */
	p.events = POLLIN;
	if (wl_display_flush(dpy) < 0) {
		if (errno != EAGAIN) {
			wl_display_cancel_read(dpy);
			return broken(dpy);
		}
		p.events |= POLLOUT;
	}
	do
		n = poll(&p, 1, ms);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		wl_display_cancel_read(dpy);
		return n == 0 ? -ETIMEDOUT : -errno;
	}
	if (p.revents & POLLIN) {
		if (wl_display_read_events(dpy) < 0)
			return broken(dpy);
	} else {
		wl_display_cancel_read(dpy);
		if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
			return -EPIPE;
	}
	if ((n = wl_display_dispatch_pending(dpy)) < 0)
		return broken(dpy);
	return n;
}

int
wlu_dispatch_until(struct wl_display *dpy, const bool *flag, int ms)
{
	int64_t deadline = now_ms() + ms;

	/* Events already queued may set it. */
	if (wl_display_dispatch_pending(dpy) < 0)
		return broken(dpy);
	while (!*flag) {
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		if ((r = wlu_dispatch_timeout(dpy, (int)left)) < 0 &&
			r != -ETIMEDOUT)
			return r;
	}
	return 0;
}

static void
sync_done(void *data, struct wl_callback *cb, uint32_t serial)
{
	(void)cb;
	(void)serial;
	*(bool *)data = true;
}

static const struct wl_callback_listener sync_listener = {
	.done = sync_done,
};

int
wlu_roundtrip(struct wl_display *dpy, int ms)
{
	bool done = false;
	struct wl_callback *cb = wl_display_sync(dpy);
	int r;

	if (cb == NULL)
		return broken(dpy);
	wl_callback_add_listener(cb, &sync_listener, &done);
	r = wlu_dispatch_until(dpy, &done, ms);
	wl_callback_destroy(cb);
	return r;
}

struct wl_buffer *
wlu_shm_buffer(struct wl_shm *shm, uint32_t width, uint32_t height,
	uint32_t stride, uint32_t format, void **mem, size_t *size)
{
	size_t sz = (size_t)stride * height;
	struct wl_shm_pool *pool;
	struct wl_buffer *b;
	void *m;
	int fd;

	*mem = NULL;
	*size = 0;
	if (sz == 0 || sz > INT32_MAX || width > INT32_MAX ||
		height > INT32_MAX || stride > INT32_MAX) {
		errno = ERANGE;
		return NULL;
	}
	fd = memfd_create("outpost-wl-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return NULL;
	/* The compositor gets the fd: it must not be able to shrink the
	 * file and make our reads fault (SIGBUS). */
	if (ftruncate(fd, (off_t)sz) != 0 ||
		fcntl(fd, F_ADD_SEALS,
			F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0 ||
		(m = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0)) == MAP_FAILED) {
		int e = errno;

		close(fd);
		errno = e;
		return NULL;
	}
	pool = wl_shm_create_pool(shm, fd, (int32_t)sz);
	close(fd);
	if (pool == NULL) {
		munmap(m, sz);
		errno = ENOMEM;
		return NULL;
	}
	b = wl_shm_pool_create_buffer(pool, 0, (int32_t)width,
		(int32_t)height, (int32_t)stride, format);
	wl_shm_pool_destroy(pool);
	if (b == NULL) {
		munmap(m, sz);
		errno = ENOMEM;
		return NULL;
	}
	*mem = m;
	*size = sz;
	return b;
}

void
wlu_shm_buffer_free(struct wl_buffer *b, void *mem, size_t size)
{
	if (b != NULL)
		wl_buffer_destroy(b);
	if (mem != NULL)
		munmap(mem, size);
}

void
wlu_copy_name(char *dst, size_t cap, const char *src)
{
	size_t i = 0;

	if (cap == 0)
		return;
	for (; src != NULL && src[i] != '\0' && i < cap - 1; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	dst[i] = '\0';
}

int
wlu_socket_path(const char *display, wlu_probe_fn probe, char *path,
	size_t cap, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	const char *dir = getenv("XDG_RUNTIME_DIR");
	int n, r;

	if (display == NULL || display[0] == '\0')
		display = getenv("WAYLAND_DISPLAY");
	if (display == NULL || display[0] == '\0')
		display = "wayland-0";
	if (display[0] == '/')
		n = snprintf(path, cap, "%s", display);
	else if (dir != NULL && dir[0] == '/')
		n = snprintf(path, cap, "%s/%s", dir, display);
	else {
		snprintf(err, errlen,
			"Wayland display %s: no XDG_RUNTIME_DIR; give a path",
			display);
		return OP_ERR_CONFIG;
	}
	if (n < 0 || (size_t)n >= cap) {
		snprintf(err, errlen, "Wayland socket path is too long");
		return -ENAMETOOLONG;
	}
	if ((r = probe(path, uid, gid)) != 0) {
		if (r == OP_ERR_NOT_FOUND)
			snprintf(err, errlen, "no Wayland socket at %s", path);
		else
			snprintf(err, errlen, "Wayland socket %s: %s", path,
				op_strerror(r));
		return r;
	}
	return 0;
}

int
wlu_roundtrip_err(struct wl_display *dpy, int ms, const char *path,
	char *err, size_t errlen)
{
	int r = wlu_roundtrip(dpy, ms);

	if (r == 0)
		return 0;
	snprintf(err, errlen, "the compositor at %s does not answer", path);
	return r == -ETIMEDOUT ? r : OP_ERR_GONE;
}

int
wlu_open_registry(const struct wlu_target *t,
	const struct wl_registry_listener *l, void *data, int ms,
	struct wl_display **dpy, struct wl_registry **reg, char *err,
	size_t errlen)
{
	int fd, r;

	if ((r = t->connect(t->path, t->uid, t->gid, &fd)) != 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", t->path,
			op_strerror(r));
		return r;
	}
	if ((*dpy = wl_display_connect_to_fd(fd)) == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return OP_ERR_NOMEM;
	}
	if ((*reg = wl_display_get_registry(*dpy)) == NULL)
		return OP_ERR_NOMEM;
	wl_registry_add_listener(*reg, l, data);
	return wlu_roundtrip_err(*dpy, ms, t->path, err, errlen);
}
