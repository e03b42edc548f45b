/* SPDX-License-Identifier: MIT */
/* Shared inside agent/audio/ only: the frame assembler and silence gate,
 * the frame ring, and the backend interface. */
#ifndef OP_AUDIO_AUDIO_INTERNAL_H
#define OP_AUDIO_AUDIO_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audio/audio.h"

#define AUDIO_FRAME_FLOATS (AUDIO_FRAME_SAMPLES * AUDIO_CHANNELS)
#define AUDIO_HANGOVER_FRAMES (AUDIO_HANGOVER_MS / AUDIO_FRAME_MS)
/* Samples at or below this magnitude count as silence: under one step of
 * 16-bit audio, i.e. digital silence with a little rounding noise. */
#define AUDIO_SILENCE_LEVEL (1.0f / 65536.0f)

/* One 20 ms frame, interleaved float stereo. */
struct audio_frame {
	float pcm[AUDIO_FRAME_FLOATS];
};

/*
 * Cuts a stream of interleaved samples into 20 ms frames and decides which
 * to send: nothing while silent, everything from the first audible frame
 * on, until AUDIO_HANGOVER_FRAMES silent frames in a row. Pure.
 */
struct audio_gate {
	struct audio_frame cur;
	size_t fill;            /* floats in cur */
	unsigned silent_run;    /* consecutive silent frames */
	bool open;
	uint64_t frames;
	uint64_t silent;        /* frames not passed */
};

typedef void (*audio_gate_emit_fn)(void *arg, const struct audio_frame *f);

void audio__gate_reset(struct audio_gate *g);
/* Feeds n interleaved floats (any count; a partial frame is kept);
 * emit() gets each frame to send. */
void audio__gate_push(struct audio_gate *g, const float *pcm, size_t n,
	audio_gate_emit_fn emit, void *arg);
bool audio__frame_silent(const float *pcm, size_t n);

/* A bounded FIFO of frames; with lock=true safe between one producer
 * thread and the loop. When full, the oldest frame is dropped. */
struct audio_ring {
	pthread_mutex_t mu;
	bool locked;
	unsigned head, count;
	uint64_t dropped;
	struct audio_frame slot[AUDIO_RING_FRAMES];
};

void audio__ring_init(struct audio_ring *r, bool lock);
void audio__ring_deinit(struct audio_ring *r);
void audio__ring_put(struct audio_ring *r, const struct audio_frame *f);
/* Copies the oldest frame out; false when empty. */
bool audio__ring_get(struct audio_ring *r, struct audio_frame *f);
void audio__ring_clear(struct audio_ring *r);

/*
 * A capture thread's end of the ring (the pulse and WASAPI backends):
 * its gate, the stop flag the loop raises, and the gate's counters
 * published for audio_get_stats.
 */
struct audio_feeder {
	struct audio_ring *ring;
	atomic_bool stop;       /* set by the loop: queue nothing more */
	atomic_uint_fast64_t frames, silent;
	struct audio_gate gate; /* the thread's */
};

/* Before the thread starts: a fresh gate and counters, stop cleared. */
void audio__feeder_reset(struct audio_feeder *f, struct audio_ring *ring);
/* On the thread: gates n interleaved floats into the ring and publishes
 * the counters; true when a frame was queued (wake the loop). */
bool audio__feeder_push(struct audio_feeder *f, const float *pcm, size_t n);

/* A capture device's own format, converted to ours (audio-conv.c). */
enum audio_sample_fmt {
	AUDIO_FMT_F32 = 1,      /* float, native endian */
	AUDIO_FMT_S16,          /* signed 16-bit, native endian */
};

#define AUDIO_CONV_MAX_CHANNELS 32
#define AUDIO_CONV_MIN_RATE 8000
#define AUDIO_CONV_MAX_RATE 384000

struct audio_conv {
	enum audio_sample_fmt fmt;
	unsigned channels, rate;
	uint32_t pos;           /* resampling phase, 1/48000ths of a frame */
	float prev[2];          /* the last input frame (resampling) */
	bool primed;
};

/* 0, or OP_ERR_UNSUPPORTED for another sample type, no channel or more
 * than AUDIO_CONV_MAX_CHANNELS, or a rate outside the MIN..MAX range. */
int audio__conv_init(struct audio_conv *c, enum audio_sample_fmt fmt,
	unsigned channels, unsigned rate);
size_t audio__conv_bytes_per_frame(const struct audio_conv *c);
/* Converts up to `frames` input frames into at most out_frames stereo
 * frames (2 * out_frames floats); *used gets the input frames consumed
 * (fewer when out is full: call again with the rest). Returns the
 * output frames written. */
size_t audio__conv_run(struct audio_conv *c, const void *in, size_t frames,
	float *out, size_t out_frames, size_t *used);

struct audio_ops {
	const char *name;
	/* Frames come from a thread of the backend's: the ring is locked. */
	bool threaded;
	/* Connects (PipeWire) or checks (pulse); fills a->backend. */
	int (*open)(struct audio *a, const struct audio_target *t);
	int (*start)(struct audio *a);
	void (*stop)(struct audio *a);
	/* Releases everything; calls audio__backend_closed(a) once done
	 * (possibly later, from the loop). */
	void (*close)(struct audio *a);
	/* Optional: fills frames and silent where the gate runs in the
	 * backend's thread. */
	void (*stats)(const struct audio *a, struct audio_stats *out);
};

extern const struct audio_ops audio__pw_ops;
extern const struct audio_ops audio__pulse_ops;
extern const struct audio_ops audio__wasapi_ops;

struct audio {
	uv_loop_t *loop;
	const struct audio_ops *ops;
	void *backend;
	audio_frame_fn on_frame;
	audio_error_fn on_error;
	void *arg;
	struct audio_ring ring;  /* frames to encode, filled by the backend */
	struct audio_gate gate;  /* used by backends that feed from the loop */
	struct OpusEncoder *enc;
	bool running;
	bool failed;             /* server gone: final, reported once */
	bool error_reported;
	int stream_error;        /* this stream failed (e.g. no sink): not
				  * final, reported once per audio_start */
	bool closing;
	int depth;               /* nesting of our callbacks */
	int fail_status;
	uint64_t packets, bytes;
	uint8_t packet[AUDIO_MAX_PACKET];
};

/* Backend → core, on the loop thread. */
void audio__emit(void *a, const struct audio_frame *f); /* gate output */
void audio__flush(struct audio *a);  /* encode and deliver the ring */
void audio__fail(struct audio *a, int status); /* report once (deferred) */
void audio__stream_fail(struct audio *a, int status); /* this stream only */
void audio__backend_closed(struct audio *a);

#endif
