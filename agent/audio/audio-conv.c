/* SPDX-License-Identifier: MIT */
/*
 * Converting a capture device's format to ours (48 kHz interleaved float
 * stereo), for backends whose server does not convert for us (WASAPI
 * hands out the mix format of the endpoint). Pure, no I/O.
 *
 * Channels: mono is copied to both sides; with more than two, the first
 * two (front left and right in every WAVEFORMATEXTENSIBLE layout) are
 * kept and the rest dropped, not mixed down. Rates other than 48 kHz go
 * through linear interpolation: cheap and click-free, not a band-limited
 * resampler (some aliasing above ~10 kHz when downsampling). Float
 * samples are clamped to full scale, NaN read as silence.
 */
#include "audio/audio-internal.h"

#include <string.h>

#include "core/err.h"

int
audio__conv_init(struct audio_conv *c, enum audio_sample_fmt fmt,
	unsigned channels, unsigned rate)
{
	memset(c, 0, sizeof(*c));
	if (fmt != AUDIO_FMT_F32 && fmt != AUDIO_FMT_S16)
		return OP_ERR_UNSUPPORTED;
	if (channels < 1 || channels > AUDIO_CONV_MAX_CHANNELS)
		return OP_ERR_UNSUPPORTED;
	if (rate < AUDIO_CONV_MIN_RATE || rate > AUDIO_CONV_MAX_RATE)
		return OP_ERR_UNSUPPORTED;
	c->fmt = fmt;
	c->channels = channels;
	c->rate = rate;
	return 0;
}

size_t
audio__conv_bytes_per_frame(const struct audio_conv *c)
{
	return c->channels * (c->fmt == AUDIO_FMT_F32 ? 4u : 2u);
}

/* Input frame i as a stereo pair. */
static void
in_pair(const struct audio_conv *c, const uint8_t *in, size_t i, float *l,
	float *r)
{
	const uint8_t *p = in + i * audio__conv_bytes_per_frame(c);
	size_t step = c->fmt == AUDIO_FMT_F32 ? 4u : 2u;
	float v[2];

	for (unsigned k = 0; k < 2; k++) {
		/* Mono: the one channel on both sides. */
		const uint8_t *s = p + (c->channels == 1 ? 0 : k) * step;

		if (c->fmt == AUDIO_FMT_F32) {
			memcpy(&v[k], s, sizeof(float));
			/* A driver's NaN or overshoot must not reach the
			 * gate and the encoder. */
			if (v[k] != v[k])
				v[k] = 0.0f;
			else if (v[k] > 1.0f)
				v[k] = 1.0f;
			else if (v[k] < -1.0f)
				v[k] = -1.0f;
		} else {
			int16_t x;

			memcpy(&x, s, sizeof(x));
			v[k] = (float)x / 32768.0f;
		}
	}
	*l = v[0];
	*r = v[1];
}

size_t
audio__conv_run(struct audio_conv *c, const void *in, size_t frames,
	float *out, size_t out_frames, size_t *used)
{
	const uint8_t *src = in;
	size_t n = 0;
	size_t i = 0;

	if (c->rate == AUDIO_SAMPLE_RATE) {
		for (; i < frames && n < out_frames; i++, n++)
			in_pair(c, src, i, &out[2 * n], &out[2 * n + 1]);
		*used = i;
		return n;
	}
	/*
	 * Output sample t lies at input position t * rate / 48000, counted
	 * in 1/48000ths of an input frame (c->pos) between the previous
	 * input frame (c->prev) and the next one.
	 */
	while (i < frames) {
		float l;
		float r;

		in_pair(c, src, i, &l, &r);
		if (!c->primed) {
			c->prev[0] = l;
			c->prev[1] = r;
			c->primed = true;
			i++;
			continue;
		}
		while (c->pos < AUDIO_SAMPLE_RATE) {
			float f = (float)c->pos / (float)AUDIO_SAMPLE_RATE;

			if (n == out_frames) {
				*used = i;
				return n;
			}
			out[2 * n] = c->prev[0] + (l - c->prev[0]) * f;
			out[2 * n + 1] = c->prev[1] + (r - c->prev[1]) * f;
			n++;
			c->pos += c->rate;
		}
		c->pos -= AUDIO_SAMPLE_RATE;
		c->prev[0] = l;
		c->prev[1] = r;
		i++;
	}
	*used = i;
	return n;
}
