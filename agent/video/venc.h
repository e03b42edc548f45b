/* SPDX-License-Identifier: MIT */
/*
 * Video encoding for the stream a client decodes (spec §7): libvpx VP9
 * (the default; every client decodes it) or VP8, realtime CBR, fed with
 * BGRA frames that libyuv converts to I420. Pure computation: no loop,
 * no I/O. One encoder is used by one thread at a time (the caller runs
 * venc_encode in a uv_queue_work job, one in flight per display).
 *
 * Also the rate arithmetic of §7.3 (quality ratio, base bitrate), kept
 * here so it is tested without sockets.
 */
#ifndef OP_VIDEO_VENC_H
#define OP_VIDEO_VENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum venc_codec {
	VENC_VP9,
	VENC_VP8,
};

const char *venc_codec_name(enum venc_codec c); /* "VP9", "VP8" */

struct venc_params {
	enum venc_codec codec;
	uint32_t width, height; /* even or odd; 2..8192 */
	uint32_t bitrate_kbps;  /* target, CBR */
	uint32_t fps;           /* 1..120, sizes the rate-control window */
	unsigned threads;       /* 0 = pick (the CPU count, <= 4) */
	int speed;              /* libvpx cpu-used; 0 = codec default (VP9 9;
				   VP8 8, and 16 for the frame after a slow
				   one) */
};

struct venc;

/* Returns 0 and *out, or a negative error (OP_ERR_RANGE for absurd
 * params, OP_ERR_INTERNAL when libvpx refuses). */
int venc_new(const struct venc_params *p, struct venc **out);
void venc_free(struct venc *e);

/* Bytes of zeroed libvpx buffers given back to the kernel when the
 * encoder was created (venc-mem-unix.c; 0 on Windows); for diagnostics. */
size_t venc_released_bytes(const struct venc *e);

/* The threads libvpx encodes with now (VP8 drops to one on a machine
 * whose cores are busy with other work, see venc.c). */
unsigned venc_threads(const struct venc *e);

/* Changes the target bitrate and fps in place (no key frame). */
int venc_set_rate(struct venc *e, uint32_t bitrate_kbps, uint32_t fps);

/* Quality boost for refining a still image: the quantizer is capped low
 * (the frame overshoots the rate once) and the frame is never dropped.
 * Off returns to plain CBR. */
int venc_set_boost(struct venc *e, bool on);

/* One compressed frame: the packets of one encode call, concatenated
 * as separate entries. Owned by the encoder, valid until the next
 * venc_encode or venc_free. */
#define VENC_MAX_PACKETS 4
struct venc_output {
	int npackets; /* 0 when libvpx dropped the frame (rate control) */
	struct {
		const uint8_t *data;
		size_t len;
		bool key;
	} pkt[VENC_MAX_PACKETS];
	double convert_ms; /* BGRA -> I420 */
	double encode_ms;
	bool parallel;     /* VP9 row-mt: encoded on more than one thread */
	int quantizer;     /* libvpx's last quantizer, 0-63 (-1: unknown) */
	bool top_q;        /* at the top quantizer: only fewer frames (or
			      less change) make the stream smaller */
	bool behind;       /* VP8: a scroll went further than a frame can
			      follow; this frame is a step along it (a
			      picture the screen showed before), encode
			      again soon (vscroll.h) */
};

/* Encodes one BGRA frame of the configured size (stride in bytes).
 * pts_ms: milliseconds since the encoder started. force_key asks for a
 * key frame. Returns 0 (see out->npackets) or a negative error. */
int venc_encode(struct venc *e, const uint8_t *bgra, size_t stride,
	int64_t pts_ms, bool force_key, struct venc_output *out);

/* venc_encode in parts, for a picture grabbed in bands (capture_grab_rows):
 * venc_convert_rows converts rows [y, y + n) of the picture (bgra points
 * at row y; y even, n even unless the band ends the picture) into the
 * encoder's I420 picture, venc_encode_converted then encodes that picture
 * (out->convert_ms: the conversions since the last encode). */
int venc_convert_rows(struct venc *e, const uint8_t *bgra, size_t stride,
	uint32_t y, uint32_t n);
int venc_encode_converted(struct venc *e, int64_t pts_ms, bool force_key,
	struct venc_output *out);

/*
 * §7.3 rate arithmetic. image_quality: the ImageQuality enum (0 NotSet,
 * 2 Low, 3 Balanced, 4 Best; anything else = Balanced); custom: the raw
 * OptionMessage.custom_image_quality (percent << 8), 0 = none. Returns
 * the bitrate ratio, clamped to [0.2, 40].
 */
double venc_quality_ratio(int image_quality, int32_t custom);
/* Target kbps for a display of w x h at ratio (base bitrate table of
 * §7.3: ~2073 kbps at 1920x1080, 1000 at 1280x720, 400 at 640x480). */
uint32_t venc_target_kbps(uint32_t w, uint32_t h, double ratio);

#endif
