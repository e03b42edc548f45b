/* SPDX-License-Identifier: MIT */
/*
 * The pure parts of audio capture: cutting samples into 20 ms frames, the
 * silence gate, and the bounded frame ring between a capture thread (the
 * pulse and WASAPI backends') and the loop. No I/O, no loop, no Opus.
 *
 * RustDesk's host (audio_service.rs, send_f32) drops a buffer only after
 * ~8 s of consecutive all-zero buffers; we start closed (a stream opened
 * on a silent desktop sends nothing at all) and close after
 * AUDIO_HANGOVER_MS, since the client plays a gap as silence either way.
 */
#include "audio/audio-internal.h"

#include <math.h>
#include <string.h>

bool
audio__frame_silent(const float *pcm, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* NaN compares false: counted as sound, then encoded as
		 * whatever Opus makes of it, never silently hidden. */
		if (!(fabsf(pcm[i]) <= AUDIO_SILENCE_LEVEL))
			return false;
	}
	return true;
}

void
audio__gate_reset(struct audio_gate *g)
{
	g->fill = 0;
	g->silent_run = 0;
	g->open = false;
}

static void
gate_frame(struct audio_gate *g, audio_gate_emit_fn emit, void *arg)
{
	g->frames++;
	if (audio__frame_silent(g->cur.pcm, AUDIO_FRAME_FLOATS)) {
		if (!g->open) {
			g->silent++;
			return;
		}
		if (++g->silent_run > AUDIO_HANGOVER_FRAMES) {
			g->open = false;
			g->silent++;
			return;
		}
	} else {
		g->open = true;
		g->silent_run = 0;
	}
	emit(arg, &g->cur);
}

void
audio__gate_push(struct audio_gate *g, const float *pcm, size_t n,
	audio_gate_emit_fn emit, void *arg)
{
	while (n > 0) {
		size_t room = AUDIO_FRAME_FLOATS - g->fill;
		size_t take = n < room ? n : room;

		memcpy(g->cur.pcm + g->fill, pcm, take * sizeof(*pcm));
		g->fill += take;
		pcm += take;
		n -= take;
		if (g->fill == AUDIO_FRAME_FLOATS) {
			gate_frame(g, emit, arg);
			g->fill = 0;
		}
	}
}

void
audio__feeder_reset(struct audio_feeder *f, struct audio_ring *ring)
{
	memset(&f->gate, 0, sizeof(f->gate)); /* its counters too: per run */
	audio__gate_reset(&f->gate);
	f->ring = ring;
	atomic_store(&f->stop, false);
	atomic_store(&f->frames, 0);
	atomic_store(&f->silent, 0);
}

static void
feeder_emit(void *arg, const struct audio_frame *fr)
{
	struct audio_feeder *f = arg;

	if (!atomic_load(&f->stop))
		audio__ring_put(f->ring, fr);
}

bool
audio__feeder_push(struct audio_feeder *f, const float *pcm, size_t n)
{
	uint64_t before = f->gate.frames - f->gate.silent;

	audio__gate_push(&f->gate, pcm, n, feeder_emit, f);
	atomic_store(&f->frames, f->gate.frames);
	atomic_store(&f->silent, f->gate.silent);
	return f->gate.frames - f->gate.silent != before;
}

void
audio__ring_init(struct audio_ring *r, bool lock)
{
	memset(r, 0, sizeof(*r));
	r->locked = lock;
	if (lock)
		pthread_mutex_init(&r->mu, NULL);
}

void
audio__ring_deinit(struct audio_ring *r)
{
	if (r->locked)
		pthread_mutex_destroy(&r->mu);
}

static void
ring_lock(struct audio_ring *r)
{
	if (r->locked)
		pthread_mutex_lock(&r->mu);
}

static void
ring_unlock(struct audio_ring *r)
{
	if (r->locked)
		pthread_mutex_unlock(&r->mu);
}

void
audio__ring_put(struct audio_ring *r, const struct audio_frame *f)
{
	ring_lock(r);
	if (r->count == AUDIO_RING_FRAMES) {
		/* The loop fell behind: keep the newest, latency matters
		 * more than completeness. */
		r->head = (r->head + 1) % AUDIO_RING_FRAMES;
		r->count--;
		r->dropped++;
	}
	r->slot[(r->head + r->count) % AUDIO_RING_FRAMES] = *f;
	r->count++;
	ring_unlock(r);
}

bool
audio__ring_get(struct audio_ring *r, struct audio_frame *f)
{
	bool got = false;

	ring_lock(r);
	if (r->count > 0) {
		*f = r->slot[r->head];
		r->head = (r->head + 1) % AUDIO_RING_FRAMES;
		r->count--;
		got = true;
	}
	ring_unlock(r);
	return got;
}

void
audio__ring_clear(struct audio_ring *r)
{
	ring_lock(r);
	r->head = 0;
	r->count = 0;
	ring_unlock(r);
}
