/* SPDX-License-Identifier: MIT */
/*
 * The rate arithmetic of spec §7.3: a client's image-quality option turns
 * into a bitrate ratio, and the ratio times a resolution-dependent base
 * gives the target bitrate. The inputs come straight from a peer's
 * OptionMessage, so every int32 must land on a sane, clamped value.
 */
#include <math.h>
#include <stdint.h>

#include "video/venc.h"

#define RATIO_MIN 0.2
#define RATIO_MAX 40.0
#define RATIO_LOW 0.5
#define RATIO_BALANCED 0.67
#define RATIO_BEST 1.5

/* Matches venc_new's accepted range, so the result can be used as is. */
#define KBPS_MIN 10u
#define KBPS_MAX 100000u

/* The base bitrate table: a few common resolutions and their kbps. */
static const struct {
	uint32_t w, h, kbps;
} base_table[] = {
	{ 640, 480, 400 },
	{ 800, 600, 500 },
	{ 1024, 768, 800 },
	{ 1280, 720, 1000 },
	{ 1366, 768, 1100 },
	{ 1440, 900, 1300 },
	{ 1600, 900, 1500 },
	{ 1920, 1080, 2073 },
	{ 2048, 1080, 2200 },
	{ 2560, 1440, 3000 },
	{ 3440, 1440, 4000 },
	{ 3840, 2160, 5000 },
	{ 7680, 4320, 12000 },
};

double
venc_quality_ratio(int image_quality, int32_t custom)
{
	uint32_t percent;
	double r;

	switch (image_quality) {
	case 2:
		return RATIO_LOW;
	case 3:
		return RATIO_BALANCED;
	case 4:
		return RATIO_BEST;
	default:
		break;
	}
	/* Only a positive custom value is "set"; a negative one is noise. */
	if (custom <= 0)
		return RATIO_BALANCED;
	/* The client sends percent << 8; twelve bits of it count. */
	percent = ((uint32_t)custom >> 8) & 0xfffu;
	r = (double)percent * 2.0 / 100.0;
	if (r < RATIO_MIN)
		r = RATIO_MIN;
	if (r > RATIO_MAX)
		r = RATIO_MAX;
	return r;
}

/* kbps for a display of `pixels`: the row with the nearest pixel count
 * (the first one on a tie), scaled linearly by the pixel ratio. */
static double
base_kbps(uint64_t pixels)
{
	uint64_t best_px = 1920u * 1080u;
	uint64_t best_d = UINT64_MAX;
	double kbps = 2073.0;
	size_t i;

	for (i = 0; i < sizeof(base_table) / sizeof(base_table[0]); i++) {
		uint64_t px = (uint64_t)base_table[i].w * base_table[i].h;
		uint64_t d = px > pixels ? px - pixels : pixels - px;

		if (d < best_d) {
			best_d = d;
			best_px = px;
			kbps = base_table[i].kbps;
		}
	}
	return kbps * ((double)pixels / (double)best_px);
}

uint32_t
venc_target_kbps(uint32_t w, uint32_t h, double ratio)
{
	double k;

	/* NaN fails both comparisons below and ends at the minimum. */
	if (!(ratio >= RATIO_MIN))
		ratio = RATIO_MIN;
	if (ratio > RATIO_MAX)
		ratio = RATIO_MAX;
	/* The base is a whole kbps figure before the ratio applies. */
	k = round(round(base_kbps((uint64_t)w * h)) * ratio);
	if (k < KBPS_MIN)
		return KBPS_MIN;
	if (k > KBPS_MAX)
		return KBPS_MAX;
	return (uint32_t)k;
}
