/* SPDX-License-Identifier: MIT */
/*
 * agent/audio's WASAPI backend under wine, driven by wine-audio.py, which
 * runs a private PipeWire + pipewire-pulse (wine's winepulse talks to
 * it), plays a known tone into its null sink when this program prints
 * READY, and passes --device "Monitor of <sink>" --freq --amp.
 *
 * The tone is captured through the module's API from that monitor (an
 * ordinary capture endpoint to wine), Opus-encoded by the shared
 * encoder, decoded here and measured: frequency (zero crossings over
 * ~2.8 s), level (least squares at that frequency) and purity; then a
 * stop and a start while it plays must bring more packets. Also: an
 * endpoint that does not exist ends the stream with OP_ERR_NOT_FOUND;
 * loopback of the default render endpoint, which wine 8 cannot do
 * (GetService fails with AUDCLNT_E_WRONG_ENDPOINT_TYPE), ends it with
 * OP_ERR_UNSUPPORTED there, and must run without error elsewhere.
 * OP_AUDIO_DUMP=file keeps the decoded PCM (float stereo) for a look.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opus.h>
#include <uv.h>

#include "audio/audio.h"
#include "core/err.h"
#include "th.h"

#include <windows.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define WANT_PACKETS 150  /* 3 s of sound */
#define SKIP_PACKETS 10   /* the onset (fade-in, codec start) */
#define RESTART_PACKETS 25 /* after a stop and start, within the tone */

static const char *opt_device;
static double opt_freq = 997.0, opt_amp = 0.5;

struct run {
	uv_loop_t loop;
	uv_timer_t timer;
	struct audio *a;
	int error;              /* on_error's status, 0 if none */
	int packets;
	int want;               /* stop the loop after this many */
	uint64_t deadline;      /* uv_now */
	bool ready_printed;
	bool say_ready;
	uint16_t len[WANT_PACKETS];
	uint8_t pkt[WANT_PACKETS][AUDIO_MAX_PACKET];
};

static struct run R;
static float pcm[WANT_PACKETS * AUDIO_FRAME_SAMPLES * 2];

static bool
under_wine(void)
{
	HMODULE nt = GetModuleHandleA("ntdll.dll");

	return nt != NULL && GetProcAddress(nt, "wine_get_version") != NULL;
}

static void
on_frame(void *arg, const uint8_t *data, size_t len)
{
	struct run *r = arg;

	if (r->packets < WANT_PACKETS && len <= AUDIO_MAX_PACKET) {
		memcpy(r->pkt[r->packets], data, len);
		r->len[r->packets] = (uint16_t)len;
	}
	r->packets++;
	if (r->want > 0 && r->packets >= r->want)
		uv_stop(&r->loop);
}

static void
on_error(void *arg, int status)
{
	struct run *r = arg;

	r->error = status;
	uv_stop(&r->loop);
}

static void
on_tick(uv_timer_t *t)
{
	struct run *r = t->data;
	struct audio_stats st;

	audio_get_stats(r->a, &st);
	/* The capture thread is running once the first frame went through
	 * the gate (silence counts); then the tone may start. */
	if (r->say_ready && !r->ready_printed && (st.frames > 0 ||
		uv_now(&r->loop) > r->deadline - 27000)) {
		printf("READY (%llu frames captured so far)\n",
			(unsigned long long)st.frames);
		fflush(stdout);
		r->ready_printed = true;
	}
	if (uv_now(&r->loop) > r->deadline)
		uv_stop(&r->loop);
}

/* Opens device (NULL: loopback), starts, and runs the loop until an
 * error, want packets, or timeout_ms. */
static int
run_capture(const char *device, int want, uint64_t timeout_ms, bool ready)
{
	struct audio_target t = { .pw_fd = -1, .device = device };
	int rc;

	memset(&R, 0, sizeof(R));
	uv_loop_init(&R.loop);
	R.want = want;
	R.say_ready = ready;
	R.deadline = uv_now(&R.loop) + timeout_ms;
	if ((rc = audio_open(&R.loop, &t, on_frame, on_error, &R, &R.a)) != 0)
		return rc;
	if ((rc = audio_start(R.a)) != 0)
		return rc;
	uv_timer_init(&R.loop, &R.timer);
	R.timer.data = &R;
	uv_timer_start(&R.timer, on_tick, 20, 20);
	uv_run(&R.loop, UV_RUN_DEFAULT);
	return 0;
}

static void
finish_run(void)
{
	audio_close(R.a);
	uv_close((uv_handle_t *)&R.timer, NULL);
	uv_run(&R.loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(uv_loop_close(&R.loop), 0);
}

static void
test_unknown_device(void)
{
	ASSERT_INT_EQ(run_capture("Outpost: no such endpoint", 0, 10000,
		false), 0);
	ASSERT_STR_EQ(audio_backend_name(R.a), "wasapi");
	ASSERT_INT_EQ(R.error, OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(R.packets, 0);
	/* The stream failed, not the object: a new start is allowed. */
	ASSERT_INT_EQ(audio_start(R.a), 0);
	audio_stop(R.a);
	finish_run();
}

static void
test_loopback_default(void)
{
	bool wine = under_wine();

	/* Without wine's limit, a second of loopback ends in no error. */
	ASSERT_INT_EQ(run_capture(NULL, 0, wine ? 10000 : 1000, false), 0);
	printf("loopback of the default render endpoint: %s (%d)\n",
		R.error == 0 ? "running" : "ended", R.error);
	if (wine)
		ASSERT_INT_EQ(R.error, OP_ERR_UNSUPPORTED);
	else
		ASSERT_INT_EQ(R.error, 0);
	finish_run();
}

/* Rising zero crossings of one side, interpolated: Hz. */
static double
measure_freq(const float *x, size_t n)
{
	double first = -1, last = -1;
	long k = 0;

	for (size_t i = 1; i < n; i++) {
		float a = x[2 * (i - 1)], b = x[2 * i];

		if (a < 0 && b >= 0) {
			double t = (double)(i - 1) + a / (double)(a - b);

			if (first < 0)
				first = t;
			last = t;
			k++;
		}
	}
	return k < 2 ? 0 : (double)(k - 1) * AUDIO_SAMPLE_RATE / (last - first);
}

/* The amplitude at freq (least squares on sin and cos) and the share of
 * the signal's power it holds. */
static void
measure_tone(const float *x, size_t n, double freq, double *amp,
	double *purity)
{
	double s = 0, c = 0, e = 0;

	for (size_t i = 0; i < n; i++) {
		double t = 2 * M_PI * freq * (double)i / AUDIO_SAMPLE_RATE;

		s += x[2 * i] * sin(t);
		c += x[2 * i] * cos(t);
		e += (double)x[2 * i] * x[2 * i];
	}
	*amp = 2 * sqrt(s * s + c * c) / (double)n;
	*purity = e > 0 ? (*amp * *amp / 2) / (e / (double)n) : 0;
}

static void
test_tone_capture(void)
{
	struct audio_stats st;
	OpusDecoder *dec;
	int err = 0, n = 0, first;
	size_t frames;
	double f, amp[2], pur[2];

	ASSERT_INT_EQ(run_capture(opt_device, WANT_PACKETS, 30000, true), 0);
	audio_get_stats(R.a, &st);
	first = R.packets;
	/* Stopped and started again while the tone plays (a new thread,
	 * a new stream): more packets come. */
	if (R.error == 0 && first >= WANT_PACKETS) {
		audio_stop(R.a);
		ASSERT_INT_EQ(audio_start(R.a), 0);
		R.want = first + RESTART_PACKETS;
		R.deadline = uv_now(&R.loop) + 5000;
		uv_run(&R.loop, UV_RUN_DEFAULT);
		audio_get_stats(R.a, &st);
	}
	printf("captured from \"%s\": %d packets, %d more after a restart, "
		"%llu bytes, %llu frames (%llu silent), %llu dropped, error "
		"%d\n", opt_device, first, R.packets - first,
		(unsigned long long)st.bytes, (unsigned long long)st.frames,
		(unsigned long long)st.silent, (unsigned long long)st.dropped,
		R.error);
	finish_run();
	ASSERT_INT_EQ(R.error, 0);
	ASSERT(first >= WANT_PACKETS);
	ASSERT(R.packets >= first + RESTART_PACKETS);
	ASSERT_U64_EQ(st.packets, (uint64_t)R.packets);
	ASSERT(st.frames >= (uint64_t)R.packets);
	ASSERT_U64_EQ(st.dropped, 0);
	dec = opus_decoder_create(AUDIO_SAMPLE_RATE, AUDIO_CHANNELS, &err);
	ASSERT(dec != NULL);
	for (int i = 0; i < WANT_PACKETS; i++) {
		int got = opus_decode_float(dec, R.pkt[i], R.len[i],
			pcm + (size_t)n * 2, AUDIO_FRAME_SAMPLES, 0);

		if (got != AUDIO_FRAME_SAMPLES) {
			opus_decoder_destroy(dec);
			TH_FAIL("packet %d (%u bytes): decode %d", i,
				R.len[i], got);
		}
		n += got;
	}
	opus_decoder_destroy(dec);
	if (getenv("OP_AUDIO_DUMP") != NULL) {
		FILE *fp = fopen(getenv("OP_AUDIO_DUMP"), "wb");

		if (fp != NULL) {
			fwrite(pcm, sizeof(float), (size_t)n * 2, fp);
			fclose(fp);
		}
	}
	frames = (size_t)(n - SKIP_PACKETS * AUDIO_FRAME_SAMPLES);
	f = measure_freq(pcm + SKIP_PACKETS * AUDIO_FRAME_SAMPLES * 2, frames);
	for (int ch = 0; ch < 2; ch++)
		measure_tone(pcm + SKIP_PACKETS * AUDIO_FRAME_SAMPLES * 2 + ch,
			frames, f, &amp[ch], &pur[ch]);
	printf("tone: %.2f Hz (played %.2f), amplitude L %.4f R %.4f "
		"(%.2f dBFS, played %.2f dBFS), purity L %.4f R %.4f\n", f,
		opt_freq, amp[0], amp[1], 20 * log10(amp[0]),
		20 * log10(opt_amp), pur[0], pur[1]);
	ASSERT(fabs(f - opt_freq) < 1.0);
	for (int ch = 0; ch < 2; ch++) {
		ASSERT(fabs(amp[ch] - opt_amp) < 0.1 * opt_amp);
		ASSERT(pur[ch] > 0.95);
	}
}

int
main(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--device") == 0)
			opt_device = argv[i + 1];
		else if (strcmp(argv[i], "--freq") == 0)
			opt_freq = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--amp") == 0)
			opt_amp = atof(argv[i + 1]);
	}
	RUN(test_unknown_device);
	RUN(test_loopback_default);
	if (opt_device != NULL)
		RUN(test_tone_capture);
	else
		fprintf(stderr, "no --device: the tone capture was not run\n");
	return th_done();
}
