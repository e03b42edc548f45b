/* SPDX-License-Identifier: MIT */
/*
 * The backend-neutral half of audio: choosing a backend, the Opus encoder
 * and the delivery of packets and errors to the owner, on the loop
 * thread. Backends (audio-pw.c, audio-pulse.c, audio-wasapi.c) put
 * gated 20 ms frames into the ring and call audio__flush() outside their
 * own library's callbacks, so the owner may stop or close from
 * on_frame/on_error without pulling a PipeWire object out from under
 * PipeWire.
 *
 * Encoder settings are RustDesk's host's (audio_service.rs): 48 kHz
 * stereo, OPUS_APPLICATION_RESTRICTED_LOWDELAY, float input, no bitrate
 * set (libopus' default, about 100 kbit/s for stereo). Frames are 20 ms
 * where RustDesk uses 10 ms: half the messages, and the client decodes
 * whatever frame size a packet carries.
 */
#include "audio/audio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <unistd.h>
#endif

#include <opus.h>

#include "audio/audio-internal.h"
#include "core/err.h"
#include "core/log.h"
#ifndef _WIN32
#include "platform/userconn.h"
#endif

#ifdef _WIN32
static int
pick_ops(const struct audio_target *t, const struct audio_ops **ops)
{
	if (t->backend != AUDIO_BACKEND_AUTO || t->pw_fd >= 0)
		return OP_ERR_UNSUPPORTED;
	*ops = &audio__wasapi_ops;
	return 0;
}

static void
close_fd(int fd)
{
	(void)fd; /* no PipeWire socket on Windows: pick_ops refused it */
}
#else
static int
path_exists(const char *dir, const char *name)
{
	char path[512];
	uid_t uid;
	gid_t gid;
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	/* The network process cannot look into the user's directory. */
	return platform_user_socket(path, &uid, &gid) == 0 ? 1 : 0;
}

static int
pick_ops(const struct audio_target *t, const struct audio_ops **ops)
{
	int pw = 0;
	int pulse = 0;

	if (t->backend == AUDIO_BACKEND_PIPEWIRE ||
		(t->backend == AUDIO_BACKEND_AUTO && t->pw_fd >= 0)) {
		*ops = &audio__pw_ops;
		return 0;
	}
	if (t->runtime_dir == NULL || t->runtime_dir[0] != '/')
		return OP_ERR_CONFIG;
	if (t->backend == AUDIO_BACKEND_PULSE) {
		*ops = &audio__pulse_ops;
		return 0;
	}
	if ((pw = path_exists(t->runtime_dir, "pipewire-0")) < 0)
		return pw;
	if ((pulse = path_exists(t->runtime_dir, "pulse/native")) < 0)
		return pulse;
	if (pw) {
		*ops = &audio__pw_ops;
		return 0;
	}
	if (pulse) {
		*ops = &audio__pulse_ops;
		return 0;
	}
	return OP_ERR_NOT_FOUND;
}

static void
close_fd(int fd)
{
	close(fd);
}
#endif

static int
encoder_new(OpusEncoder **out)
{
	int err = 0;
	OpusEncoder *enc = opus_encoder_create(AUDIO_SAMPLE_RATE,
		AUDIO_CHANNELS, OPUS_APPLICATION_RESTRICTED_LOWDELAY, &err);

	if (enc == NULL || err != OPUS_OK)
		return err == OPUS_ALLOC_FAIL ? OP_ERR_NOMEM : OP_ERR_INTERNAL;
	*out = enc;
	return 0;
}

int
audio_open(uv_loop_t *loop, const struct audio_target *target,
	audio_frame_fn on_frame, audio_error_fn on_error, void *arg,
	struct audio **out)
{
	struct audio *a = NULL;
	const struct audio_ops *ops = NULL;
	int r = OP_ERR_INTERNAL;

	*out = NULL;
	if (loop == NULL || target == NULL || on_frame == NULL ||
		on_error == NULL) {
		r = OP_ERR_CONFIG;
		goto fail;
	}
	if ((r = pick_ops(target, &ops)) != 0)
		goto fail;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		r = OP_ERR_NOMEM;
		goto fail;
	}
	a->loop = loop;
	a->ops = ops;
	a->on_frame = on_frame;
	a->on_error = on_error;
	a->arg = arg;
	audio__ring_init(&a->ring, ops->threaded);
	audio__gate_reset(&a->gate);
	if ((r = encoder_new(&a->enc)) != 0) {
		audio__ring_deinit(&a->ring);
		free(a);
		goto fail;
	}
	/* The backend owns target->pw_fd from here, even on failure. */
	if ((r = ops->open(a, target)) != 0) {
		opus_encoder_destroy(a->enc);
		audio__ring_deinit(&a->ring);
		free(a);
		return r;
	}
	*out = a;
	return 0;
fail:
	if (target != NULL && target->pw_fd >= 0)
		close_fd(target->pw_fd);
	return r;
}

int
audio_start(struct audio *a)
{
	int r;

	if (a->failed || a->closing)
		return OP_ERR_GONE;
	if (a->running)
		return 0;
	audio__gate_reset(&a->gate);
	audio__ring_clear(&a->ring);
	a->stream_error = 0;
	/* Each start is a new stream for the client: fresh codec state. */
	opus_encoder_ctl(a->enc, OPUS_RESET_STATE);
	if ((r = a->ops->start(a)) != 0)
		return r;
	a->running = true;
	return 0;
}

void
audio_stop(struct audio *a)
{
	if (!a->running)
		return;
	a->running = false;
	a->ops->stop(a);
	audio__ring_clear(&a->ring);
}

void
audio_close(struct audio *a)
{
	if (a == NULL || a->closing)
		return;
	audio_stop(a);
	a->closing = true;
	/* Inside one of our callbacks the backend is still on the stack:
	 * audio__flush finishes the close when it unwinds. */
	if (a->depth == 0)
		a->ops->close(a);
}

void
audio__backend_closed(struct audio *a)
{
	opus_encoder_destroy(a->enc);
	audio__ring_deinit(&a->ring);
	free(a);
}

void
audio__emit(void *arg, const struct audio_frame *f)
{
	struct audio *a = arg;

	audio__ring_put(&a->ring, f);
}

void
audio__fail(struct audio *a, int status)
{
	if (a->failed)
		return;
	a->failed = true;
	a->fail_status = status;
}

void
audio__stream_fail(struct audio *a, int status)
{
	if (a->running && a->stream_error == 0)
		a->stream_error = status;
}

/* Encodes and delivers what the ring holds, then a pending error. */
void
audio__flush(struct audio *a)
{
	struct audio_frame f;

	a->depth++;
	while (a->running && !a->closing && audio__ring_get(&a->ring, &f)) {
		opus_int32 n = opus_encode_float(a->enc, f.pcm,
			AUDIO_FRAME_SAMPLES, a->packet, sizeof(a->packet));

		if (n < 0) {
			log_warn("opus_encode_float: %s", opus_strerror(n));
			continue;
		}
		/* A 1-byte packet is Opus' DTX; RustDesk never sends those. */
		if (n < 2)
			continue;
		a->packets++;
		a->bytes += (uint64_t)n;
		a->on_frame(a->arg, a->packet, (size_t)n);
	}
	if (a->failed && !a->error_reported && !a->closing) {
		a->error_reported = true;
		if (a->running) {
			a->running = false;
			a->ops->stop(a);
		}
		audio__ring_clear(&a->ring);
		a->on_error(a->arg, a->fail_status);
	} else if (a->stream_error != 0 && a->running && !a->closing) {
		a->running = false;
		a->ops->stop(a);
		audio__ring_clear(&a->ring);
		a->on_error(a->arg, a->stream_error);
	}
	a->depth--;
	if (a->depth == 0 && a->closing)
		a->ops->close(a);
}

void
audio_format(const struct audio *a, struct audio_format *out)
{
	(void)a;
	out->sample_rate = AUDIO_SAMPLE_RATE;
	out->channels = AUDIO_CHANNELS;
}

void
audio_get_stats(const struct audio *a, struct audio_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->frames = a->gate.frames;
	out->silent = a->gate.silent;
	out->packets = a->packets;
	out->bytes = a->bytes;
	out->dropped = a->ring.dropped;
	if (a->ops->stats != NULL)
		a->ops->stats(a, out);
}

const char *
audio_backend_name(const struct audio *a)
{
	return a->ops->name;
}
