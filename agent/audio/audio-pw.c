/* SPDX-License-Identifier: MIT */
/*
 * The PipeWire backend: a capture stream on the monitor of the default
 * sink (stream.capture.sink; the session manager links it and follows a
 * new default), 48 kHz float stereo, converted by PipeWire if the sink
 * runs otherwise.
 *
 * PipeWire's main loop is embedded in ours: its epoll fd is watched with
 * a uv_poll_t and each wake-up runs pw_loop_iterate(loop, 0); we start no
 * thread (libpipewire keeps its own realtime data thread, which hands each
 * cycle to the main loop because the stream is not RT_PROCESS). Samples
 * go through the gate inside the process callback; encoding and the
 * owner's callbacks happen in audio__flush after pw_loop_iterate returns,
 * never inside a PipeWire callback.
 *
 * The stream is passive (node.passive): it does not keep the sink
 * running, so when nothing plays the graph stops and we are not woken at
 * all. The socket is connected by us (or handed in as an fd) and given to
 * pw_context_connect_fd, so no environment variable decides which server
 * we reach. When the server dies we report once and stop polling.
 */
#include "audio/audio-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pipewire/pipewire.h>
#include <spa/param/audio/format-utils.h>
#include <spa/pod/builder.h>

#include "core/err.h"
#include "core/log.h"
#include "pwire/pw-conn.h"

#define SYNC_TIMEOUT_MS 2000
/* The graph runs at the smallest latency any node asks for. PipeWire's
 * default quantum (21 ms) adds ~10 ms over 480 samples but halves the
 * wake-ups of the whole graph (measured: 0.5 % vs 2.5 % of a core for
 * the capture while a player plays silence); a player that wants less
 * still gets it. */
#define NODE_LATENCY "1024/48000"
/* A pause in the graph longer than this (nothing played, the passive
 * stream was not run) drops the unfinished frame: its tail belongs to
 * the sound before, not to what starts now. */
#define GAP_NS (100u * 1000000u)

struct pw_backend {
	struct audio *a;
	struct pw_conn pw; /* loop, context and core (pwire/pw-conn.c) */
	struct pw_stream *stream;
	struct spa_hook stream_listener;
	uv_poll_t poll;
	bool polling;
	uint64_t last_process_ns;
};

static void
on_core_error(void *data, int res, const char *message)
{
	struct pw_backend *b = data;

	(void)message; /* pw_conn logged it */
	audio__fail(b->a, res == -EPIPE ? OP_ERR_GONE : res);
}

static void
on_state_changed(void *data, enum pw_stream_state old,
	enum pw_stream_state state, const char *error)
{
	struct pw_backend *b = data;

	(void)old;
	/* The server lives on (no sink to capture, a refused link): this
	 * stream is over, a later audio_start may find a sink. */
	if (state == PW_STREAM_STATE_ERROR) {
		log_warn("pipewire stream: %s", error ? error : "error");
		audio__stream_fail(b->a, OP_ERR_NOT_FOUND);
	}
}

/* Consumes every queued buffer: the server's chunk sizes are clamped to
 * the buffer, and only whole float frames are read. */
static void
on_process(void *data)
{
	struct pw_backend *b = data;
	struct pw_buffer *buf;
	uint64_t now = uv_hrtime();

	if (now - b->last_process_ns > GAP_NS)
		b->a->gate.fill = 0;
	b->last_process_ns = now;
	while ((buf = pw_stream_dequeue_buffer(b->stream)) != NULL) {
		struct spa_data *d = &buf->buffer->datas[0];

		if (buf->buffer->n_datas > 0 && d->data != NULL &&
			d->chunk != NULL && b->a->running) {
			uint32_t off = SPA_MIN(d->chunk->offset, d->maxsize);
			uint32_t size = SPA_MIN(d->chunk->size,
				d->maxsize - off);
			const size_t frame = sizeof(float) * AUDIO_CHANNELS;

			size -= size % frame;
			if (off % sizeof(float) == 0 && size > 0)
				audio__gate_push(&b->a->gate,
					(const float *)((uint8_t *)d->data +
						off),
					size / sizeof(float), audio__emit,
					b->a);
		}
		pw_stream_queue_buffer(b->stream, buf);
	}
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.state_changed = on_state_changed,
	.process = on_process,
};

static void
stop_polling(struct pw_backend *b)
{
	if (b->polling) {
		uv_poll_stop(&b->poll);
		b->polling = false;
	}
}

static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct pw_backend *b = h->data;
	struct audio *a = b->a;

	(void)events;
	if (status < 0)
		audio__fail(a, status);
	else
		pw_loop_iterate(b->pw.loop, 0);
	/* A dead connection may leave the fd readable: stop before the
	 * owner hears of it, so nothing spins. */
	if (a->failed)
		stop_polling(b);
	audio__flush(a);
}

static void
teardown(struct pw_backend *b)
{
	if (b->stream != NULL) {
		spa_hook_remove(&b->stream_listener);
		pw_stream_destroy(b->stream);
		b->stream = NULL;
	}
	pw_conn_close(&b->pw);
}

static void
on_poll_closed_early(uv_handle_t *h)
{
	free(h->data);
}

static int
pw_open(struct audio *a, const struct audio_target *t)
{
	struct pw_backend *b = NULL;
	int fd = t->pw_fd;
	int r;

	if (fd < 0 && (r = pw_conn_socket(t->runtime_dir, "pipewire-0",
			       &fd)) != 0)
		return r;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		close(fd);
		return OP_ERR_NOMEM;
	}
	b->a = a;
	a->backend = b;
	/* Takes fd; an access refusal or a dead socket shows here, not in
	 * the middle of a session (blocks up to SYNC_TIMEOUT_MS). */
	if ((r = pw_conn_open(&b->pw, fd, SYNC_TIMEOUT_MS, on_core_error,
		     b)) != 0)
		goto fail;
	if ((r = uv_poll_init(a->loop, &b->poll, pw_conn_fd(&b->pw))) != 0)
		goto fail;
	b->poll.data = b;
	if ((r = uv_poll_start(&b->poll, UV_READABLE, on_poll)) != 0) {
		/* An initialised handle is freed only once closed. */
		teardown(b);
		a->backend = NULL;
		uv_close((uv_handle_t *)&b->poll, on_poll_closed_early);
		return r;
	}
	b->polling = true;
	return 0;
fail:
	teardown(b);
	free(b);
	a->backend = NULL;
	return r;
}

static int
pw_start(struct audio *a)
{
	struct pw_backend *b = a->backend;
	uint8_t pod[1024];
	struct spa_pod_builder pb = SPA_POD_BUILDER_INIT(pod, sizeof(pod));
	const struct spa_pod *params[1];
	struct spa_audio_info_raw info;
	struct pw_properties *props;
	int r;

	props = pw_properties_new(PW_KEY_MEDIA_TYPE, "Audio",
		PW_KEY_MEDIA_CATEGORY, "Capture", PW_KEY_MEDIA_ROLE, "Screen",
		PW_KEY_STREAM_CAPTURE_SINK, "true", PW_KEY_NODE_PASSIVE,
		"true", PW_KEY_NODE_LATENCY, NODE_LATENCY, PW_KEY_NODE_NAME,
		"outpost-audio", PW_KEY_APP_NAME, "Outpost", NULL);
	if (props == NULL)
		return OP_ERR_NOMEM;
	/* Takes props. */
	if ((b->stream = pw_stream_new(b->pw.core, "outpost-audio", props)) ==
		NULL)
		return -errno;
	pw_stream_add_listener(b->stream, &b->stream_listener,
		&stream_events, b);
	memset(&info, 0, sizeof(info));
	info.format = SPA_AUDIO_FORMAT_F32;
	info.rate = AUDIO_SAMPLE_RATE;
	info.channels = AUDIO_CHANNELS;
	info.position[0] = SPA_AUDIO_CHANNEL_FL;
	info.position[1] = SPA_AUDIO_CHANNEL_FR;
	params[0] = spa_format_audio_raw_build(&pb, SPA_PARAM_EnumFormat,
		&info);
	r = pw_stream_connect(b->stream, PW_DIRECTION_INPUT, PW_ID_ANY,
		PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS,
		params, 1);
	if (r < 0) {
		spa_hook_remove(&b->stream_listener);
		pw_stream_destroy(b->stream);
		b->stream = NULL;
		return r;
	}
	return 0;
}

static void
pw_stop(struct audio *a)
{
	struct pw_backend *b = a->backend;

	if (b->stream != NULL) {
		spa_hook_remove(&b->stream_listener);
		pw_stream_destroy(b->stream);
		b->stream = NULL;
	}
}

static void
on_poll_closed(uv_handle_t *h)
{
	struct pw_backend *b = h->data;
	struct audio *a = b->a;

	free(b);
	audio__backend_closed(a);
}

static void
pw_close(struct audio *a)
{
	struct pw_backend *b = a->backend;

	/* Out of libuv's set before PipeWire closes the fd. */
	stop_polling(b);
	teardown(b);
	uv_close((uv_handle_t *)&b->poll, on_poll_closed);
}

const struct audio_ops audio__pw_ops = {
	.name = "pipewire",
	.open = pw_open,
	.start = pw_start,
	.stop = pw_stop,
	.close = pw_close,
};
