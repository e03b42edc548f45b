/* SPDX-License-Identifier: MIT */
/*
 * The PipeWire screen-stream consumer shared by the D-Bus backends,
 * "mutter" (capture-mutter.c: Mutter's own ScreenCast, PipeWire on the
 * user's pipewire-0) and "portal" (capture-portal.c: xdg-desktop-portal
 * ScreenCast, PipeWire on the fd of OpenPipeWireRemote). The backend
 * opens its D-Bus session and a PipeWire socket and hands both here
 * (capture__pws_open) with the stream's node id; everything after that
 * is this file's. Stream frames are consumed with shm buffers (MemFd or
 * MemPtr, mapped by PipeWire). Compositors only send a frame when the
 * monitor's content changed, so each frame is damage: the display's
 * counter grows once per frame.
 *
 * Loop: the bus fd and PipeWire's loop fd each have a uv_poll_t; we
 * start no thread. The process callback copies the newest frame, under
 * a lock, into one BGRx buffer that grabs (any thread) copy out of.
 * Frames are untrusted: format and size are checked when negotiated
 * (CAPTURE_MAX_DIM), and every buffer's offset, stride and size against
 * the mapped memory before a byte is read.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <spa/param/video/format-utils.h>
#include <spa/pod/builder.h>

#include "capture/capture-pwstream.h"
#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "platform/userbus.h"
#include "pwire/pw-conn.h"

/* Opening: PipeWire's answer, then its format and first frame. */
#define FIRST_FRAME_TIMEOUT_MS 5000
#define PW_SYNC_TIMEOUT_MS 2000

struct mut {
	struct capture *c;
	const struct userbus_rd_ops *src;
	void *session; /* src's */
	struct pw_conn pw;
	struct pw_stream *stream;
	struct spa_hook stream_listener;
	uv_poll_t bus_poll, pw_poll;
	int handles; /* initialised uv handles still to close */
	bool bus_polling; /* bus_poll was initialised */
	unsigned mask;
	bool failed;
	bool layout_dirty;
	/* the negotiated format (loop thread) */
	bool have_format;
	uint32_t width, height, format;
	/* the newest frame, BGRx, width * 4 per row; grabs copy it */
	pthread_mutex_t lock;
	uint8_t *frame;
	uint32_t fw, fh;
	bool have_frame;
	bool dead; /* under lock: the session or PipeWire went away */
	uint64_t frames;
};

struct mut_grabber {
	struct capture_grabber base; /* first: capture.c's view */
	uint8_t *buf;
	uint32_t w, h;
};

static bool
format_ok(uint32_t f)
{
	return f == SPA_VIDEO_FORMAT_BGRx || f == SPA_VIDEO_FORMAT_BGRA ||
		f == SPA_VIDEO_FORMAT_RGBx || f == SPA_VIDEO_FORMAT_RGBA;
}

static void
fail(struct mut *m)
{
	m->failed = true;
	m->mask |= CAPTURE_EV_GONE;
	/* Grabs in flight must not return the last frame as if live. */
	pthread_mutex_lock(&m->lock);
	m->have_frame = false;
	m->dead = true;
	pthread_mutex_unlock(&m->lock);
}

static void
on_pw_error(void *arg, int res, const char *message)
{
	(void)res;
	(void)message;
	fail(arg);
}

static void
on_state_changed(void *data, enum pw_stream_state old,
	enum pw_stream_state state, const char *error)
{
	struct mut *m = data;

	(void)old;
	if (state == PW_STREAM_STATE_ERROR) {
		log_warn("%s screencast stream: %s", m->src->name,
			error ? error : "error");
		fail(m);
	} else if (state == PW_STREAM_STATE_UNCONNECTED && m->have_format) {
		fail(m); /* the compositor ended the stream */
	}
}

/* Once the format is fixed: buffers of exactly one tightly packed plane
 * in memory we can map (no dmabuf). */
static void
ask_buffers(struct mut *m)
{
	uint8_t pod[512];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(pod, sizeof(pod));
	const struct spa_pod *params[1];
	int32_t stride = (int32_t)(m->width * 4);

	params[0] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamBuffers,
		SPA_PARAM_Buffers,
		SPA_PARAM_BUFFERS_buffers, SPA_POD_CHOICE_RANGE_Int(4, 2, 8),
		SPA_PARAM_BUFFERS_blocks, SPA_POD_Int(1),
		SPA_PARAM_BUFFERS_size,
		SPA_POD_Int(stride * (int32_t)m->height),
		SPA_PARAM_BUFFERS_stride, SPA_POD_Int(stride),
		SPA_PARAM_BUFFERS_dataType,
		SPA_POD_CHOICE_FLAGS_Int((1 << SPA_DATA_MemPtr) |
			(1 << SPA_DATA_MemFd)));
	(void)pw_stream_update_params(m->stream, params, 1);
}

static void
on_param_changed(void *data, uint32_t id, const struct spa_pod *param)
{
	struct mut *m = data;
	struct spa_video_info_raw info;
	uint32_t media_type, media_subtype;

	if (id != SPA_PARAM_Format || param == NULL)
		return;
	if (spa_format_parse(param, &media_type, &media_subtype) < 0 ||
		media_type != SPA_MEDIA_TYPE_video ||
		media_subtype != SPA_MEDIA_SUBTYPE_raw ||
		spa_format_video_raw_parse(param, &info) < 0 ||
		!format_ok(info.format) || info.size.width == 0 ||
		info.size.height == 0 || info.size.width > CAPTURE_MAX_DIM ||
		info.size.height > CAPTURE_MAX_DIM) {
		log_warn("%s screencast: a video format we cannot take",
			m->src->name);
		fail(m);
		return;
	}
	if (!m->have_format || info.size.width != m->width ||
		info.size.height != m->height)
		m->layout_dirty = true;
	m->have_format = true;
	m->width = info.size.width;
	m->height = info.size.height;
	m->format = info.format;
	ask_buffers(m);
}

/* Copies one buffer into m->frame as BGRx; false when it does not hold
 * a whole frame of the negotiated format. */
static bool
take_frame(struct mut *m, const struct spa_data *d)
{
	const struct spa_chunk *ch = d->chunk;
	size_t row = (size_t)m->width * 4, stride, off, need;
	bool swap = m->format == SPA_VIDEO_FORMAT_RGBx ||
		m->format == SPA_VIDEO_FORMAT_RGBA;
	size_t size = (size_t)m->width * m->height * 4;

	if ((d->type != SPA_DATA_MemPtr && d->type != SPA_DATA_MemFd) ||
		d->data == NULL || ch == NULL || ch->size == 0 ||
		(ch->flags & SPA_CHUNK_FLAG_CORRUPTED))
		return false;
	stride = ch->stride > 0 ? (size_t)ch->stride : row;
	off = ch->offset;
	need = stride * (m->height - 1) + row;
	if (stride < row || stride > row + 4096 || off > d->maxsize ||
		need > d->maxsize - off)
		return false;
	pthread_mutex_lock(&m->lock);
	if (m->frame == NULL || m->fw != m->width || m->fh != m->height) {
		uint8_t *p = realloc(m->frame, size);

		if (p == NULL) {
			pthread_mutex_unlock(&m->lock);
			return false;
		}
		m->frame = p;
		m->fw = m->width;
		m->fh = m->height;
	}
	for (uint32_t y = 0; y < m->height; y++) {
		const uint8_t *s = (const uint8_t *)d->data + off + y * stride;
		uint8_t *t = m->frame + (size_t)y * row;

		if (!swap) {
			memcpy(t, s, row);
			continue;
		}
		for (size_t x = 0; x < row; x += 4) {
			t[x] = s[x + 2];
			t[x + 1] = s[x + 1];
			t[x + 2] = s[x];
			t[x + 3] = 0xff;
		}
	}
	m->have_frame = true;
	pthread_mutex_unlock(&m->lock);
	return true;
}

/* Only the newest queued buffer matters: older ones go straight back. */
static void
on_process(void *data)
{
	struct mut *m = data;
	struct pw_buffer *b, *last = NULL;

	while ((b = pw_stream_dequeue_buffer(m->stream)) != NULL) {
		if (last != NULL)
			pw_stream_queue_buffer(m->stream, last);
		last = b;
	}
	if (last == NULL)
		return;
	if (m->have_format && last->buffer->n_datas >= 1 &&
		take_frame(m, &last->buffer->datas[0])) {
		m->frames++;
		if (capture__damage(m->c, 0, 0, m->width, m->height))
			m->mask |= CAPTURE_EV_DAMAGE;
	}
	pw_stream_queue_buffer(m->stream, last);
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.state_changed = on_state_changed,
	.param_changed = on_param_changed,
	.process = on_process,
};

static int
stream_connect(struct mut *m, uint32_t node)
{
	uint8_t pod[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(pod, sizeof(pod));
	const struct spa_pod *params[1];
	struct pw_properties *props;

	props = pw_properties_new(PW_KEY_MEDIA_TYPE, "Video",
		PW_KEY_MEDIA_CATEGORY, "Capture", PW_KEY_MEDIA_ROLE, "Screen",
		PW_KEY_APP_NAME, "Outpost", NULL);
	if (props == NULL)
		return OP_ERR_NOMEM;
	if ((m->stream = pw_stream_new(m->pw.core, "outpost-screen",
		     props)) == NULL) /* takes props */
		return -errno;
	pw_stream_add_listener(m->stream, &m->stream_listener, &stream_events,
		m);
	params[0] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_Format,
		SPA_PARAM_EnumFormat,
		SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
		SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw),
		SPA_FORMAT_VIDEO_format,
		SPA_POD_CHOICE_ENUM_Id(5, SPA_VIDEO_FORMAT_BGRx,
			SPA_VIDEO_FORMAT_BGRx, SPA_VIDEO_FORMAT_BGRA,
			SPA_VIDEO_FORMAT_RGBx, SPA_VIDEO_FORMAT_RGBA),
		SPA_FORMAT_VIDEO_size,
		SPA_POD_CHOICE_RANGE_Rectangle(&SPA_RECTANGLE(1280, 720),
			&SPA_RECTANGLE(1, 1),
			&SPA_RECTANGLE(CAPTURE_MAX_DIM, CAPTURE_MAX_DIM)),
		SPA_FORMAT_VIDEO_framerate,
		SPA_POD_CHOICE_RANGE_Fraction(&SPA_FRACTION(30, 1),
			&SPA_FRACTION(0, 1), &SPA_FRACTION(120, 1)));
	/* The node id the compositor or portal announced is the target (its
	 * documented use, as xdg-desktop-portal-gnome and OBS do). */
	return pw_stream_connect(m->stream, PW_DIRECTION_INPUT, node,
		PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS,
		params, 1);
}

/* Emits what the last dispatch gathered; the owner may close us from
 * inside, so nothing touches m afterwards. */
static void
flush(struct mut *m)
{
	unsigned mask = m->mask;

	m->mask = 0;
	if (m->failed) {
		uv_poll_stop(&m->pw_poll);
		if (m->bus_polling)
			uv_poll_stop(&m->bus_poll);
	}
	if (m->layout_dirty && !m->failed) {
		m->layout_dirty = false;
		if (capture__relayout(m->c))
			mask |= CAPTURE_EV_LAYOUT;
	}
	capture__emit(m->c, mask);
}

static void
on_pw_poll(uv_poll_t *h, int status, int events)
{
	struct mut *m = h->data;

	(void)events;
	if (status < 0)
		fail(m);
	else
		pw_loop_iterate(m->pw.loop, 0);
	flush(m);
}

static void
on_bus_poll(uv_poll_t *h, int status, int events)
{
	struct mut *m = h->data;

	(void)events;
	if (status < 0 || m->src->process(m->session) != 0)
		fail(m);
	flush(m);
}

/* Runs PipeWire (blocking the caller, like the other backends' opens)
 * until the format is agreed and the first frame came. */
static int
wait_first_frame(struct mut *m, char *err, size_t errlen)
{
	uint64_t end = op_now_ms() + FIRST_FRAME_TIMEOUT_MS;

	while (!m->failed && !(m->have_format && m->frames > 0)) {
		uint64_t now = op_now_ms();

		if (now >= end)
			break;
		pw_loop_iterate(m->pw.loop, (int)(end - now) + 1);
	}
	if (!m->failed && m->have_format && m->frames > 0)
		return 0;
	snprintf(err, errlen, "%s's PipeWire stream %s", m->src->name,
		m->have_format ? "sent no frame" : "agreed on no video format");
	return m->failed ? OP_ERR_GONE : -ETIMEDOUT;
}

static void
teardown(struct mut *m)
{
	if (m->stream != NULL) {
		spa_hook_remove(&m->stream_listener);
		pw_stream_destroy(m->stream);
		m->stream = NULL;
	}
	pw_conn_close(&m->pw);
	if (m->session != NULL)
		m->src->close(m->session);
	m->session = NULL;
}

static void
free_mut(struct mut *m)
{
	pthread_mutex_destroy(&m->lock);
	free(m->frame);
	free(m);
}

static int
connect_stream(struct mut *m, int pw_fd, uint32_t node, char *err,
	size_t errlen)
{
	int r;

	if ((r = pw_conn_open(&m->pw, pw_fd, PW_SYNC_TIMEOUT_MS, on_pw_error,
		     m)) != 0) {
		snprintf(err, errlen, "%s's PipeWire does not answer",
			m->src->name);
		return r;
	}
	if ((r = stream_connect(m, node)) < 0) {
		snprintf(err, errlen, "cannot connect to %s's stream",
			m->src->name);
		return r;
	}
	return wait_first_frame(m, err, errlen);
}

int
capture__pws_open(struct capture *self, const struct userbus_rd_ops *src,
	void *session, int pw_fd, uint32_t node, char *err, size_t errlen)
{
	struct mut *m;
	int r;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		src->close(session);
		close(pw_fd);
		return OP_ERR_NOMEM;
	}
	m->c = self;
	m->src = src;
	m->session = session;
	pthread_mutex_init(&m->lock, NULL);
	self->impl = m;
	if ((r = connect_stream(m, pw_fd, node, err, errlen)) != 0) {
		teardown(m);
		free_mut(m);
		self->impl = NULL;
		return r;
	}
	m->layout_dirty = false;
	m->mask = 0;
	(void)capture__relayout(self);
	if ((r = uv_poll_init(self->loop, &m->pw_poll,
		     pw_conn_fd(&m->pw))) != 0) {
		snprintf(err, errlen, "cannot watch PipeWire: %s",
			op_strerror(r));
		teardown(m);
		free_mut(m);
		self->impl = NULL;
		return r;
	}
	m->pw_poll.data = m;
	m->handles = 1;
	/* An initialised handle is only released by uv_close: from here
	 * on a failure is reported as GONE, not by failing the open. */
	if (uv_poll_init(self->loop, &m->bus_poll, src->fd(session)) == 0) {
		m->bus_poll.data = m;
		m->bus_polling = true;
		m->handles = 2;
	}
	if (!m->bus_polling ||
		uv_poll_start(&m->pw_poll, UV_READABLE, on_pw_poll) != 0 ||
		uv_poll_start(&m->bus_poll, UV_READABLE, on_bus_poll) != 0)
		fail(m);
	return 0;
}

static void
on_handle_closed(uv_handle_t *h)
{
	struct mut *m = h->data;
	struct capture *c = m->c;

	if (--m->handles > 0)
		return;
	free_mut(m);
	capture__free(c);
}

void
capture__pws_close(struct capture *self)
{
	struct mut *m = self->impl;

	/* Out of libuv's set before the fds are closed. */
	uv_poll_stop(&m->pw_poll);
	if (m->bus_polling)
		uv_poll_stop(&m->bus_poll);
	teardown(m);
	uv_close((uv_handle_t *)&m->pw_poll, on_handle_closed);
	if (m->bus_polling)
		uv_close((uv_handle_t *)&m->bus_poll, on_handle_closed);
}

int
capture__pws_displays(struct capture *self, struct capture_display *out,
	int max)
{
	struct mut *m = self->impl;
	int32_t w, h;

	if (!m->have_format || max < 1)
		return 0;
	memset(&out[0], 0, sizeof(out[0]));
	/* Where the compositor says the monitor is; the size is the
	 * stream's. */
	m->src->geometry(m->session, &out[0].x, &out[0].y, &w, &h);
	out[0].width = m->width;
	out[0].height = m->height;
	out[0].primary = true;
	snprintf(out[0].name, sizeof(out[0].name), "%s-primary",
		m->src->name);
	return 1;
}

int
capture__pws_grabber_new(struct capture *self, const struct capture_display *d,
	uint32_t rows, struct capture_grabber **out)
{
	struct mut_grabber *g;

	(void)self;
	(void)rows; /* whole frames only (no grab_rows) */
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return OP_ERR_NOMEM;
	g->w = d->width;
	g->h = d->height;
	if ((g->buf = malloc((size_t)g->w * g->h * 4)) == NULL) {
		free(g);
		return OP_ERR_NOMEM;
	}
	*out = &g->base;
	return 0;
}

void
capture__pws_grabber_free(struct capture_grabber *base)
{
	struct mut_grabber *g = (struct mut_grabber *)base;

	free(g->buf);
	free(g);
}

/* Any thread: the newest frame the compositor sent (one per change). */
int
capture__pws_grab(struct capture_grabber *base, struct capture_image *img)
{
	struct mut_grabber *g = (struct mut_grabber *)base;
	struct mut *m = base->c->impl;
	int r = 0;

	pthread_mutex_lock(&m->lock);
	if (m->dead)
		r = OP_ERR_GONE;
	else if (!m->have_frame || m->fw != g->w || m->fh != g->h)
		r = OP_ERR_STATE;
	else
		memcpy(g->buf, m->frame, (size_t)g->w * g->h * 4);
	pthread_mutex_unlock(&m->lock);
	if (r != 0)
		return r;
	img->data = g->buf;
	img->width = g->w;
	img->height = g->h;
	img->stride = (size_t)g->w * 4;
	return 0;
}

int
capture__pws_cursor(struct capture *c, struct capture_cursor *out)
{
	(void)c;
	(void)out;
	return OP_ERR_UNSUPPORTED;
}

int
capture__pws_pointer(struct capture *c, int32_t *x, int32_t *y)
{
	(void)c;
	(void)x;
	(void)y;
	return OP_ERR_UNSUPPORTED;
}
