/* SPDX-License-Identifier: MIT */
/*
 * audio-conv.c (a capture device's format to 48 kHz float stereo), the
 * same test on Linux and under wine: every channel count 1..32 and rates
 * 8000..384000 in float and 16-bit, fed in odd chunks into small output
 * buffers; the tone comes out at its frequency and level on the right
 * sides, the other channels are dropped; bad formats are refused and
 * non-finite or out-of-range samples are tamed.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio-internal.h"
#include "core/err.h"
#include "th.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define TONE_HZ 440.0
#define SECONDS 0.5
/* Half a second at the highest rates. */
#define MAX_IN_FRAMES (AUDIO_CONV_MAX_RATE / 2)
#define MAX_OUT_FRAMES (AUDIO_SAMPLE_RATE / 2 + 16)

static uint8_t in_buf[MAX_IN_FRAMES * AUDIO_CONV_MAX_CHANNELS * 4];
static float out_buf[MAX_OUT_FRAMES * 2];

/* Input frame i: the tone at 0.5 on channel 0 and at 0.25 on channel 1,
 * full-scale noise on every other channel (must not leak). */
static void
make_input(enum audio_sample_fmt fmt, unsigned ch, unsigned rate,
	size_t frames)
{
	uint32_t seed = 12345;

	for (size_t i = 0; i < frames; i++) {
		double v = sin(2 * M_PI * TONE_HZ * (double)i / rate);

		for (unsigned c = 0; c < ch; c++) {
			double x;

			seed = seed * 1103515245u + 12345u;
			x = c == 0 ? 0.5 * v : c == 1 ? 0.25 * v :
				(double)(seed >> 8) / (1 << 23) - 1.0;
			if (fmt == AUDIO_FMT_F32) {
				float f = (float)x;

				memcpy(in_buf + (i * ch + c) * 4, &f, 4);
			} else {
				int16_t s = (int16_t)lrint(x * 32767.0);

				memcpy(in_buf + (i * ch + c) * 2, &s, 2);
			}
		}
	}
}

/* Runs frames through c in chunks of `chunk` input frames into an output
 * window of `window` frames at a time; returns the output frames. */
static size_t
convert(struct audio_conv *c, size_t frames, size_t chunk, size_t window)
{
	size_t bpf = audio__conv_bytes_per_frame(c);
	size_t done = 0, out = 0;

	while (done < frames) {
		size_t n = frames - done < chunk ? frames - done : chunk;
		const uint8_t *p = in_buf + done * bpf;

		while (n > 0) {
			size_t used = 0;
			size_t room = MAX_OUT_FRAMES - out;
			size_t got = audio__conv_run(c, p, n,
				out_buf + 2 * out, room < window ? room : window,
				&used);

			if (got == 0 && used == 0)
				return out; /* output full */
			out += got;
			p += used * bpf;
			n -= used;
			done += used;
		}
	}
	return out;
}

/* The amplitude of the TONE_HZ component of one side (least squares on
 * sin and cos), skipping the first 10 ms. */
static double
tone_amp(size_t frames, int side)
{
	double s = 0, c = 0;
	size_t n = 0;

	for (size_t i = AUDIO_SAMPLE_RATE / 100; i < frames; i++, n++) {
		double t = 2 * M_PI * TONE_HZ * (double)i / AUDIO_SAMPLE_RATE;

		s += out_buf[2 * i + side] * sin(t);
		c += out_buf[2 * i + side] * cos(t);
	}
	return n == 0 ? 0 : 2 * sqrt(s * s + c * c) / (double)n;
}

/* The frequency of one side from its rising zero crossings. */
static double
tone_freq(size_t frames, int side)
{
	double first = -1, last = -1;
	long crossings = 0;

	for (size_t i = 1; i < frames; i++) {
		float a = out_buf[2 * (i - 1) + side], b = out_buf[2 * i + side];

		if (a < 0 && b >= 0) {
			double t = (double)(i - 1) + a / (double)(a - b);

			if (first < 0)
				first = t;
			last = t;
			crossings++;
		}
	}
	if (crossings < 2)
		return 0;
	return (double)(crossings - 1) * AUDIO_SAMPLE_RATE / (last - first);
}

static void
check_format(enum audio_sample_fmt fmt, unsigned ch, unsigned rate)
{
	struct audio_conv c;
	size_t in_frames = (size_t)(rate * SECONDS);
	size_t want = (size_t)(AUDIO_SAMPLE_RATE * SECONDS);
	size_t out;
	/* Resampling drops up to one input frame's worth at the end. */
	size_t slack = AUDIO_SAMPLE_RATE / rate + 2;
	double left = 0.5, right = ch == 1 ? 0.5 : 0.25;

	ASSERT_INT_EQ(audio__conv_init(&c, fmt, ch, rate), 0);
	ASSERT_INT_EQ(audio__conv_bytes_per_frame(&c),
		ch * (fmt == AUDIO_FMT_F32 ? 4 : 2));
	make_input(fmt, ch, rate, in_frames);
	/* Odd chunks and windows: the phase carries across calls. */
	out = convert(&c, in_frames, 37 + ch, 7 + rate % 101);
	if (out + slack < want || out > want + 1)
		TH_FAIL("%u ch %u Hz fmt %d: %zu frames out, want %zu", ch,
			rate, (int)fmt, out, want);
	if (fabs(tone_amp(out, 0) - left) > 0.05 * left ||
		fabs(tone_amp(out, 1) - right) > 0.05 * right)
		TH_FAIL("%u ch %u Hz fmt %d: levels %.4f %.4f", ch, rate,
			(int)fmt, tone_amp(out, 0), tone_amp(out, 1));
	if (fabs(tone_freq(out, 0) - TONE_HZ) > 0.5)
		TH_FAIL("%u ch %u Hz fmt %d: %.3f Hz", ch, rate, (int)fmt,
			tone_freq(out, 0));
	for (size_t i = 0; i < 2 * out; i++)
		ASSERT(out_buf[i] >= -1.0f && out_buf[i] <= 1.0f);
}

static void
test_every_channel_count(void)
{
	for (unsigned ch = 1; ch <= AUDIO_CONV_MAX_CHANNELS; ch++) {
		check_format(AUDIO_FMT_F32, ch, 48000);
		check_format(AUDIO_FMT_S16, ch, 44100);
		if (th_cur_failed)
			return;
	}
}

static void
test_rates(void)
{
	static const unsigned rates[] = { 8000, 11025, 16000, 22050, 32000,
		44100, 47999, 48000, 48001, 88200, 96000, 176400, 192000,
		352800, 384000 };

	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		check_format(AUDIO_FMT_F32, 2, rates[i]);
		check_format(AUDIO_FMT_S16, 6, rates[i]);
		check_format(AUDIO_FMT_F32, 1, rates[i]);
		if (th_cur_failed)
			return;
	}
}

static void
test_refused(void)
{
	struct audio_conv c;

	ASSERT_INT_EQ(audio__conv_init(&c, 0, 2, 48000), OP_ERR_UNSUPPORTED);
	ASSERT_INT_EQ(audio__conv_init(&c, (enum audio_sample_fmt)3, 2,
		48000), OP_ERR_UNSUPPORTED);
	ASSERT_INT_EQ(audio__conv_init(&c, AUDIO_FMT_F32, 0, 48000),
		OP_ERR_UNSUPPORTED);
	ASSERT_INT_EQ(audio__conv_init(&c, AUDIO_FMT_F32,
		AUDIO_CONV_MAX_CHANNELS + 1, 48000), OP_ERR_UNSUPPORTED);
	ASSERT_INT_EQ(audio__conv_init(&c, AUDIO_FMT_S16, 65535, 48000),
		OP_ERR_UNSUPPORTED);
	ASSERT_INT_EQ(audio__conv_init(&c, AUDIO_FMT_F32, 2, 0),
		OP_ERR_UNSUPPORTED);
	ASSERT_INT_EQ(audio__conv_init(&c, AUDIO_FMT_F32, 2,
		AUDIO_CONV_MIN_RATE - 1), OP_ERR_UNSUPPORTED);
	ASSERT_INT_EQ(audio__conv_init(&c, AUDIO_FMT_F32, 2,
		AUDIO_CONV_MAX_RATE + 1), OP_ERR_UNSUPPORTED);
	ASSERT_INT_EQ(audio__conv_init(&c, AUDIO_FMT_F32, 2, UINT32_MAX),
		OP_ERR_UNSUPPORTED);
	ASSERT_INT_EQ(audio__conv_init(&c, AUDIO_FMT_S16,
		AUDIO_CONV_MAX_CHANNELS, AUDIO_CONV_MAX_RATE), 0);
	ASSERT_INT_EQ(audio__conv_init(&c, AUDIO_FMT_S16, 1,
		AUDIO_CONV_MIN_RATE), 0);
}

static void
test_hostile_samples(void)
{
	static const float bad[] = { NAN, -NAN, INFINITY, -INFINITY, 1e30f,
		-1e30f, 1.5f, -1.5f, 0.25f, -0.25f };
	static const float want[] = { 0, 0, 1, -1, 1, -1, 1, -1, 0.25f,
		-0.25f };
	const size_t n = sizeof(bad) / sizeof(bad[0]) / 2;
	struct audio_conv c;
	size_t used = 0;

	ASSERT_INT_EQ(audio__conv_init(&c, AUDIO_FMT_F32, 2, 48000), 0);
	ASSERT_INT_EQ(audio__conv_run(&c, bad, n, out_buf, n, &used), n);
	ASSERT_INT_EQ(used, n);
	for (size_t i = 0; i < 2 * n; i++)
		if (out_buf[i] != want[i])
			TH_FAIL("sample %zu: %g, want %g", i,
				(double)out_buf[i], (double)want[i]);
	/* Resampled too: nothing non-finite or beyond full scale. */
	ASSERT_INT_EQ(audio__conv_init(&c, AUDIO_FMT_F32, 2, 8000), 0);
	for (int k = 0; k < 4; k++)
		audio__conv_run(&c, bad, n, out_buf, MAX_OUT_FRAMES, &used);
	for (size_t i = 0; i < 2 * 6 * n; i++)
		ASSERT(out_buf[i] >= -1.0f && out_buf[i] <= 1.0f);
}

static void
test_s16_extremes_and_empty(void)
{
	static const int16_t in[] = { INT16_MIN, INT16_MAX, 0, -1 };
	struct audio_conv c;
	size_t used = 7;

	ASSERT_INT_EQ(audio__conv_init(&c, AUDIO_FMT_S16, 2, 48000), 0);
	ASSERT_INT_EQ(audio__conv_run(&c, in, 0, out_buf, 4, &used), 0);
	ASSERT_INT_EQ(used, 0);
	ASSERT_INT_EQ(audio__conv_run(&c, in, 2, out_buf, 0, &used), 0);
	ASSERT_INT_EQ(used, 0);
	ASSERT_INT_EQ(audio__conv_run(&c, in, 2, out_buf, 4, &used), 2);
	ASSERT(out_buf[0] == -1.0f);
	ASSERT(out_buf[1] == 32767.0f / 32768.0f);
	ASSERT(out_buf[2] == 0.0f);
	ASSERT(out_buf[3] == -1.0f / 32768.0f);
	/* Mono: the one channel on both sides. */
	ASSERT_INT_EQ(audio__conv_init(&c, AUDIO_FMT_S16, 1, 48000), 0);
	ASSERT_INT_EQ(audio__conv_run(&c, in, 4, out_buf, 4, &used), 4);
	ASSERT(out_buf[0] == -1.0f && out_buf[1] == -1.0f);
	ASSERT(out_buf[6] == out_buf[7] && out_buf[7] == -1.0f / 32768.0f);
}

int
main(void)
{
	RUN(test_refused);
	RUN(test_s16_extremes_and_empty);
	RUN(test_hostile_samples);
	RUN(test_every_channel_count);
	RUN(test_rates);
	return th_done();
}
