/* SPDX-License-Identifier: MIT */
/*
 * agent/audio without a sound server: the frame assembler and silence
 * gate, the bounded ring, and audio_open's refusals (no socket, a socket
 * that is not a server, a server that never answers). Real capture is
 * tested against PipeWire in tests/integration/test_audio.py.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "audio/audio-internal.h"
#include "audio/audio.h"
#include "core/err.h"
#include "th.h"

static float pcm[AUDIO_FRAME_FLOATS * 4];
static int emitted;
static float first_sample;

static void
count_emit(void *arg, const struct audio_frame *f)
{
	(void)arg;
	if (emitted++ == 0)
		first_sample = f->pcm[0];
}

static void
fill(float v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pcm[i] = v;
}

static void
push_frames(struct audio_gate *g, float v, int frames)
{
	fill(v, AUDIO_FRAME_FLOATS);
	for (int i = 0; i < frames; i++)
		audio__gate_push(g, pcm, AUDIO_FRAME_FLOATS, count_emit, NULL);
}

static void
test_silence_never_sent(void)
{
	struct audio_gate g;

	memset(&g, 0, sizeof(g));
	audio__gate_reset(&g);
	emitted = 0;
	push_frames(&g, 0.0f, 500);
	/* Below one 16-bit step is still silence. */
	push_frames(&g, AUDIO_SILENCE_LEVEL, 10);
	push_frames(&g, -AUDIO_SILENCE_LEVEL, 10);
	ASSERT_INT_EQ(emitted, 0);
	ASSERT_U64_EQ(g.frames, 520);
	ASSERT_U64_EQ(g.silent, 520);
}

static void
test_sound_then_hangover(void)
{
	struct audio_gate g;

	memset(&g, 0, sizeof(g));
	audio__gate_reset(&g);
	emitted = 0;
	push_frames(&g, 0.0f, 3);
	push_frames(&g, 0.25f, 10);
	ASSERT_INT_EQ(emitted, 10);
	ASSERT(first_sample == 0.25f);
	/* Silence after sound goes on for the hangover, then stops. */
	push_frames(&g, 0.0f, 100);
	ASSERT_INT_EQ(emitted, 10 + AUDIO_HANGOVER_FRAMES);
	ASSERT_U64_EQ(g.silent, 3 + 100 - AUDIO_HANGOVER_FRAMES);
	/* One quiet sample in a frame is sound. */
	fill(0.0f, AUDIO_FRAME_FLOATS);
	pcm[AUDIO_FRAME_FLOATS - 1] = 2.0f * AUDIO_SILENCE_LEVEL;
	audio__gate_push(&g, pcm, AUDIO_FRAME_FLOATS, count_emit, NULL);
	ASSERT_INT_EQ(emitted, 11 + AUDIO_HANGOVER_FRAMES);
	/* A pause shorter than the hangover does not stop the stream. */
	push_frames(&g, 0.0f, AUDIO_HANGOVER_FRAMES - 1);
	push_frames(&g, 0.5f, 1);
	ASSERT_INT_EQ(emitted, 11 + 2 * AUDIO_HANGOVER_FRAMES);
}

static void
test_nan_is_sound(void)
{
	struct audio_gate g;

	memset(&g, 0, sizeof(g));
	audio__gate_reset(&g);
	emitted = 0;
	fill(0.0f, AUDIO_FRAME_FLOATS);
	pcm[7] = NAN;
	ASSERT(!audio__frame_silent(pcm, AUDIO_FRAME_FLOATS));
	audio__gate_push(&g, pcm, AUDIO_FRAME_FLOATS, count_emit, NULL);
	ASSERT_INT_EQ(emitted, 1);
}

static void
test_odd_chunks_make_whole_frames(void)
{
	struct audio_gate g;
	size_t total = AUDIO_FRAME_FLOATS * 3 + 123;
	size_t off = 0;
	size_t step = 1;

	memset(&g, 0, sizeof(g));
	audio__gate_reset(&g);
	emitted = 0;
	fill(0.5f, total);
	/* Chunks of 1, 2, 4, ... floats, as odd quanta would deliver. */
	while (off < total) {
		size_t n = step < total - off ? step : total - off;

		audio__gate_push(&g, pcm + off, n, count_emit, NULL);
		off += n;
		step = step * 2 + 1;
	}
	ASSERT_INT_EQ(emitted, 3);
	ASSERT_U64_EQ(g.fill, 123);
	audio__gate_reset(&g);
	ASSERT_U64_EQ(g.fill, 0);
	ASSERT(!g.open);
}

static void
test_ring_bounded_keeps_newest(void)
{
	static struct audio_ring r;
	static struct audio_frame f;

	audio__ring_init(&r, true);
	for (int i = 0; i < AUDIO_RING_FRAMES + 5; i++) {
		f.pcm[0] = (float)i;
		audio__ring_put(&r, &f);
	}
	ASSERT_U64_EQ(r.dropped, 5);
	for (int i = 5; i < AUDIO_RING_FRAMES + 5; i++) {
		ASSERT(audio__ring_get(&r, &f));
		ASSERT(f.pcm[0] == (float)i);
	}
	ASSERT(!audio__ring_get(&r, &f));
	audio__ring_put(&r, &f);
	audio__ring_clear(&r);
	ASSERT(!audio__ring_get(&r, &f));
	audio__ring_deinit(&r);
}

static void
on_frame(void *arg, const uint8_t *data, size_t len)
{
	(void)arg;
	(void)data;
	(void)len;
}

static void
on_error(void *arg, int status)
{
	(void)arg;
	(void)status;
}

static int
open_dir(const char *dir, enum audio_backend be)
{
	uv_loop_t loop;
	struct audio *a = (struct audio *)1;
	struct audio_target t = { .runtime_dir = dir, .pw_fd = -1,
		.backend = be };
	int r;

	uv_loop_init(&loop);
	r = audio_open(&loop, &t, on_frame, on_error, NULL, &a);
	if (r == 0)
		audio_close(a);
	else if (a != NULL)
		r = OP_ERR_INTERNAL; /* *out must be cleared on failure */
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return r;
}

static int
listen_at(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
		listen(fd, 4) != 0)
		return -1;
	return fd;
}

static void
test_open_refusals(void)
{
	char dir[] = "/tmp/op-audio-XXXXXX";
	char path[128];
	uv_loop_t loop;
	struct audio *a = NULL;
	struct audio_target t = { .runtime_dir = "relative", .pw_fd = -1 };
	int lfd;
	int fd = -1;

	uv_loop_init(&loop);
	ASSERT_INT_EQ(audio_open(&loop, &t, on_frame, on_error, NULL, &a),
		OP_ERR_CONFIG);
	t.runtime_dir = "/";
	ASSERT_INT_EQ(audio_open(&loop, &t, NULL, on_error, NULL, &a),
		OP_ERR_CONFIG);
	ASSERT(a == NULL);
	uv_loop_close(&loop);

	ASSERT(mkdtemp(dir) != NULL);
	ASSERT_INT_EQ(open_dir(dir, AUDIO_BACKEND_AUTO), OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(open_dir(dir, AUDIO_BACKEND_PIPEWIRE), OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(audio_connect_user(dir, getuid(), getgid(), &fd),
		OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(fd, -1);
	/* A server that accepts and never answers: refused after 2 s. */
	snprintf(path, sizeof(path), "%s/pipewire-0", dir);
	ASSERT((lfd = listen_at(path)) >= 0);
	ASSERT_INT_EQ(open_dir(dir, AUDIO_BACKEND_AUTO), OP_ERR_GONE);
	/* The same through the as-user helper (here: as ourselves). */
	ASSERT_INT_EQ(audio_connect_user(dir, getuid(), getgid(), &fd), 0);
	ASSERT(fd >= 0);
	close(fd);
	close(lfd);
	/* Bound but no longer listening. */
	ASSERT(open_dir(dir, AUDIO_BACKEND_AUTO) == -ECONNREFUSED);
	unlink(path);
	rmdir(dir);
}

static void
test_format_is_rustdesks(void)
{
	struct audio_format f;

	audio_format(NULL, &f);
	ASSERT_INT_EQ(f.sample_rate, 48000);
	ASSERT_INT_EQ(f.channels, 2);
	ASSERT_INT_EQ(AUDIO_FRAME_SAMPLES, 960);
	ASSERT(AUDIO_MAX_PACKET >= 1276);
}

int
main(void)
{
	RUN(test_silence_never_sent);
	RUN(test_sound_then_hangover);
	RUN(test_nan_is_sound);
	RUN(test_odd_chunks_make_whole_frames);
	RUN(test_ring_bounded_keeps_newest);
	RUN(test_open_refusals);
	RUN(test_format_is_rustdesks);
	return th_done();
}
