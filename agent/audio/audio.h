/* SPDX-License-Identifier: MIT */
/*
 * Audio (spec §12, issue 15): what the desktop plays, as RustDesk's host
 * sends it. Captures the monitor of the default sink of a user's sound
 * server, encodes 20 ms frames with Opus and hands each packet to the
 * owner, who wraps it in Message{audio_frame = AudioFrame{data}} after
 * having sent Misc{audio_format} once (audio_format()).
 *
 * Backends: PipeWire (libpipewire; its loop is embedded in ours by fd
 * with uv_poll and pw_loop_iterate(…, 0), no thread of ours), and
 * PulseAudio's simple API where only pulseaudio runs (pa_simple blocks:
 * it runs in a thread of its own that hands 20 ms frames to the loop
 * through a bounded ring and uv_async_send). On Windows, WASAPI: a
 * loopback capture of the default render endpoint, from a thread that
 * hands frames over the same way (audio-wasapi.c).
 *
 * Silence costs nothing: the PipeWire stream is passive, so an idle sink
 * stops the graph and nothing wakes us; frames that are digital silence
 * are never encoded, and after AUDIO_HANGOVER_MS of silence nothing is
 * sent until sound returns (RustDesk stops after ~8 s of zeros; the
 * client plays a gap as silence).
 *
 * Threads: every function and callback runs on the loop thread.
 * Nothing here knows about sessions, permissions or protobuf.
 */
#ifndef OP_AUDIO_AUDIO_H
#define OP_AUDIO_AUDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

/* What is announced in Misc.audio_format: RustDesk's Linux host values. */
#define AUDIO_SAMPLE_RATE 48000
#define AUDIO_CHANNELS 2
#define AUDIO_FRAME_MS 20
#define AUDIO_FRAME_SAMPLES (AUDIO_SAMPLE_RATE / 1000 * AUDIO_FRAME_MS)
/* One Opus packet never exceeds this (RFC 6716: 1275 bytes per frame). */
#define AUDIO_MAX_PACKET 1500
/* Frames waiting to be encoded; older ones are dropped beyond this. */
#define AUDIO_RING_FRAMES 16
/* Silence after sound that is still sent, so the decoder's tail ends
 * cleanly and a short pause does not stop and restart the stream. */
#define AUDIO_HANGOVER_MS 500

enum audio_backend {
	AUDIO_BACKEND_AUTO,     /* PipeWire if its socket exists, else pulse */
	AUDIO_BACKEND_PIPEWIRE,
	AUDIO_BACKEND_PULSE,
};

/* Where the user's sound server is. */
struct audio_target {
	/* The user's XDG_RUNTIME_DIR ("/run/user/1000"): pipewire-0 and
	 * pulse/native are looked up there. May be NULL with pw_fd >= 0. */
	const char *runtime_dir;
	/* >= 0: an already connected PipeWire socket (audio_connect_user);
	 * audio_open takes it (closed on any failure too). -1: connect to
	 * runtime_dir/pipewire-0 from this process. */
	int pw_fd;
	enum audio_backend backend;
	/* Windows only; NULL: loopback capture of the default render
	 * endpoint (what the desktop plays). Otherwise an active capture
	 * endpoint to record as is, by its friendly name or id (UTF-8,
	 * exact), e.g. "Stereo Mix (Realtek Audio)", or under wine a sound
	 * server's "Monitor of <sink>" (wine 8 has no loopback). Only the
	 * tests set it (a session's through session_grant.audio_device):
	 * no configuration key reaches it yet, the daemon is not built for
	 * Windows. */
	const char *device;
};

struct audio_format {
	uint32_t sample_rate;
	uint32_t channels;
};

struct audio_stats {
	uint64_t frames;   /* 20 ms frames captured */
	uint64_t silent;   /* of which silent and not sent */
	uint64_t packets;  /* Opus packets handed to on_frame */
	uint64_t bytes;    /* their total size */
	uint64_t dropped;  /* frames lost to a full ring (slow loop) */
};

struct audio;

/* One Opus packet (one 20 ms frame), valid during the call only. The
 * callback may call audio_stop or audio_close. */
typedef void (*audio_frame_fn)(void *arg, const uint8_t *data, size_t len);
/* Capture has stopped on its own. status OP_ERR_GONE: the sound server
 * went away; called once, final (audio_start now fails with OP_ERR_GONE).
 * OP_ERR_NOT_FOUND: the server refused this stream (no sink to capture);
 * a later audio_start may try again. The object stays valid until
 * audio_close, which may be called from here. */
typedef void (*audio_error_fn)(void *arg, int status);

/*
 * Connects to the sound server of target (nothing is captured until
 * audio_start). PipeWire: connects the socket (or takes target->pw_fd),
 * then waits up to 2 s for the server's answer, so the loop is blocked
 * that long at most; call it when audio is first wanted, not per frame.
 * Pulse: only checks that the socket exists (the thread connects).
 *
 * Returns 0 and *out, OP_ERR_NOT_FOUND when no server socket exists,
 * OP_ERR_GONE when the server does not answer, a negative errno, or
 * OP_ERR_UNSUPPORTED for a backend that was not built. Callbacks are
 * never called before audio_start.
 */
int audio_open(uv_loop_t *loop, const struct audio_target *target,
	audio_frame_fn on_frame, audio_error_fn on_error, void *arg,
	struct audio **out);

/* Starts capturing (idempotent). 0, OP_ERR_GONE after an error, or a
 * negative error from the backend. Send audio_format() before the first
 * frame: RustDesk's client creates its decoder from it. */
int audio_start(struct audio *a);

/* Stops capturing (idempotent): no on_frame after it returns. The sink
 * may then suspend; audio_start again resumes. */
void audio_stop(struct audio *a);

/* Stops and frees. No callback after it returns. Handles and the pulse
 * thread are released asynchronously: the loop must run a moment more
 * (as after uv_close). audio_close(NULL) is a no-op. */
void audio_close(struct audio *a);

void audio_format(const struct audio *a, struct audio_format *out);
void audio_get_stats(const struct audio *a, struct audio_stats *out);
/* "pipewire", "pulse" or "wasapi". */
const char *audio_backend_name(const struct audio *a);

/*
 * Connects to runtime_dir/pipewire-0 as the user uid:gid, for a daemon
 * running as root when the user's server refuses (or should not see)
 * root: forks a child that drops to uid:gid (groups = {gid}, checked),
 * connects, and passes the socket back over a socketpair (SCM_RIGHTS).
 * Only async-signal-safe calls in the child; the parent waits at most
 * 3 s. Returns 0 and *fd (close-on-exec, non-blocking) for
 * audio_target.pw_fd, OP_ERR_NOT_FOUND when the socket does not exist,
 * -ENAMETOOLONG, -EPERM (not root), or the child's errno.
 */
#ifndef _WIN32
int audio_connect_user(const char *runtime_dir, uid_t uid, gid_t gid,
	int *fd);
#endif

#endif
