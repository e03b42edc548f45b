/* SPDX-License-Identifier: MIT */
/*
 * The PulseAudio fallback, for desktops where only pulseaudio runs:
 * pa_simple recording from "@DEFAULT_MONITOR@" (what the default sink
 * plays), float stereo 48 kHz, 20 ms fragments.
 *
 * pa_simple blocks, so each audio_start runs a thread of its own that
 * reads, gates (silent frames never wake the loop) and puts frames into
 * the audio's bounded ring, then wakes the loop with uv_async_send; the
 * loop encodes. audio_stop only raises the run's stop flag: the thread
 * notices after its current read (20 ms while the sink runs) and exits
 * by itself, so the loop never waits on pulse. The object is freed once
 * every thread it started has exited. A server that hangs holds its
 * thread (and the object) until it answers or dies; at most
 * MAX_RUNS threads exist per audio object.
 *
 * The connection is made from the daemon's own credentials: pulseaudio
 * accepts another user's client only with that user's cookie (or in
 * system mode); pipewire-pulse accepts it.
 */
#include "audio/audio-internal.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pulse/error.h>
#include <pulse/simple.h>

#include "core/err.h"
#include "core/log.h"

#define MAX_RUNS 4

struct pulse_run {
	struct pulse_run *next;
	struct pulse_backend *b;
	pthread_t thread;
	atomic_bool exited;
	atomic_int error;
	struct audio_feeder feed;
};

struct pulse_backend {
	struct audio *a;
	char server[640];
	uv_async_t async;
	struct pulse_run *runs;  /* current first, then stopping ones */
	struct pulse_run *cur;
	int nruns;
	uint64_t frames_done, silent_done;
	bool closing;
};

static void *
pulse_thread(void *arg)
{
	struct pulse_run *run = arg;
	struct pulse_backend *b = run->b;
	const pa_sample_spec ss = {
		.format = PA_SAMPLE_FLOAT32LE,
		.rate = AUDIO_SAMPLE_RATE,
		.channels = AUDIO_CHANNELS,
	};
	pa_buffer_attr ba;
	pa_simple *s;
	int err = 0;
	float *pcm = malloc(sizeof(float) * AUDIO_FRAME_FLOATS);
	memset(&ba, 0xff, sizeof(ba)); /* (uint32_t)-1: server default */
	ba.fragsize = (uint32_t)(sizeof(float) * AUDIO_FRAME_FLOATS);
	s = pa_simple_new(b->server, "Outpost", PA_STREAM_RECORD,
		"@DEFAULT_MONITOR@", "Desktop audio", &ss, NULL, &ba, &err);
	if (s == NULL || pcm == NULL) {
		atomic_store(&run->error, pcm == NULL ? OP_ERR_NOMEM :
			err == PA_ERR_NOENTITY ? OP_ERR_NOT_FOUND : OP_ERR_GONE);
		goto out;
	}
	while (!atomic_load(&run->feed.stop)) {
		if (pa_simple_read(s, pcm, sizeof(float) * AUDIO_FRAME_FLOATS,
			    &err) < 0) {
			atomic_store(&run->error, OP_ERR_GONE);
			break;
		}
		if (audio__feeder_push(&run->feed, pcm, AUDIO_FRAME_FLOATS))
			uv_async_send(&b->async);
	}
out:
	if (s != NULL)
		pa_simple_free(s);
	free(pcm);
	atomic_store(&run->exited, true);
	uv_async_send(&b->async);
	return NULL;
}

static void
on_async_closed(uv_handle_t *h)
{
	struct pulse_backend *b = h->data;
	struct audio *a = b->a;

	free(b);
	audio__backend_closed(a);
}

/* Joins the threads that have exited and takes their verdict. */
static void
reap(struct pulse_backend *b)
{
	struct pulse_run **pp = &b->runs;

	while (*pp != NULL) {
		struct pulse_run *run = *pp;
		int e;

		if (!atomic_load(&run->exited)) {
			pp = &run->next;
			continue;
		}
		pthread_join(run->thread, NULL);
		e = atomic_load(&run->error);
		if (run == b->cur) {
			bool stopped = atomic_load(&run->feed.stop);

			b->cur = NULL;
			if (e == OP_ERR_NOT_FOUND && !stopped)
				audio__stream_fail(b->a, e); /* no monitor */
			else if (e != 0 && !stopped)
				audio__fail(b->a, e);
		}
		b->frames_done += atomic_load(&run->feed.frames);
		b->silent_done += atomic_load(&run->feed.silent);
		*pp = run->next;
		b->nruns--;
		free(run);
	}
}

static void
on_async(uv_async_t *h)
{
	struct pulse_backend *b = h->data;

	reap(b);
	if (b->closing) {
		if (b->runs == NULL)
			uv_close((uv_handle_t *)&b->async, on_async_closed);
		return;
	}
	audio__flush(b->a);
}

static int
pulse_open(struct audio *a, const struct audio_target *t)
{
	struct pulse_backend *b;
	int n;
	int r;

	if (t->pw_fd >= 0)
		close(t->pw_fd);
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return OP_ERR_NOMEM;
	b->a = a;
	n = snprintf(b->server, sizeof(b->server), "unix:%s/pulse/native",
		t->runtime_dir);
	if (n < 0 || (size_t)n >= sizeof(b->server)) {
		free(b);
		return -ENAMETOOLONG;
	}
	if ((r = uv_async_init(a->loop, &b->async, on_async)) != 0) {
		free(b);
		return r;
	}
	b->async.data = b;
	a->backend = b;
	return 0;
}

static int
pulse_start(struct audio *a)
{
	struct pulse_backend *b = a->backend;
	struct pulse_run *run;
	sigset_t all;
	sigset_t old;
	int r;

	reap(b);
	if (b->nruns >= MAX_RUNS)
		return -EBUSY; /* earlier threads are stuck in pulse */
	if ((run = calloc(1, sizeof(*run))) == NULL)
		return OP_ERR_NOMEM;
	run->b = b;
	audio__feeder_reset(&run->feed, &a->ring);
	/* Signals stay with the loop thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&run->thread, NULL, pulse_thread, run);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		free(run);
		return -r;
	}
	run->next = b->runs;
	b->runs = run;
	b->cur = run;
	b->nruns++;
	return 0;
}

static void
pulse_stop(struct audio *a)
{
	struct pulse_backend *b = a->backend;

	if (b->cur != NULL) {
		atomic_store(&b->cur->feed.stop, true);
		b->cur = NULL;
	}
}

static void
pulse_close(struct audio *a)
{
	struct pulse_backend *b = a->backend;

	pulse_stop(a);
	b->closing = true;
	/* Let on_async finish: it closes once every thread has gone. */
	uv_async_send(&b->async);
}

static void
pulse_stats(const struct audio *a, struct audio_stats *out)
{
	const struct pulse_backend *b = a->backend;

	out->frames = b->frames_done;
	out->silent = b->silent_done;
	for (const struct pulse_run *r = b->runs; r != NULL; r = r->next) {
		out->frames += atomic_load(&r->feed.frames);
		out->silent += atomic_load(&r->feed.silent);
	}
}

const struct audio_ops audio__pulse_ops = {
	.name = "pulse",
	.threaded = true,
	.open = pulse_open,
	.start = pulse_start,
	.stop = pulse_stop,
	.close = pulse_close,
	.stats = pulse_stats,
};
