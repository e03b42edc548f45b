/* SPDX-License-Identifier: MIT */
/*
 * The cross-built libraries (zstd, sqlite3, libvpx, libyuv, libopus) and
 * mbedtls' hashing, linked statically and
 * run under wine: known answers and round trips, so a broken build of one
 * of them fails here first.
 */
#include <math.h>
#include <string.h>

#include <libyuv.h>
#include <mbedtls/sha256.h>
#include <opus.h>
#include <sqlite3.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>
#include <zstd.h>

#include "th.h"

static void
test_zstd_roundtrip(void)
{
	static uint8_t src[100000], z[110000], back[100000];
	size_t n, m;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i % 251 < 200 ? 'a' : i);
	n = ZSTD_compress(z, sizeof(z), src, sizeof(src), 3);
	ASSERT(!ZSTD_isError(n));
	ASSERT(n < sizeof(src) / 10);
	m = ZSTD_decompress(back, sizeof(back), z, n);
	ASSERT(!ZSTD_isError(m));
	ASSERT_INT_EQ(m, sizeof(src));
	ASSERT_MEM_EQ(back, src, m);
}

static void
test_sqlite_query(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	ASSERT_INT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
	ASSERT_INT_EQ(sqlite3_exec(db,
			      "create table t(k integer primary key, v text);"
			      "insert into t(v) values('x'),('yy'),('zzz');",
			      NULL, NULL, NULL),
		SQLITE_OK);
	ASSERT_INT_EQ(sqlite3_prepare_v2(db,
			      "select count(*), sum(length(v)) from t", -1,
			      &st, NULL),
		SQLITE_OK);
	ASSERT_INT_EQ(sqlite3_step(st), SQLITE_ROW);
	ASSERT_INT_EQ(sqlite3_column_int(st, 0), 3);
	ASSERT_INT_EQ(sqlite3_column_int(st, 1), 6);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* FIPS 180-2's "abc". */
static void
test_mbedtls_sha256(void)
{
	static const uint8_t want[32] = { 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01,
		0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10,
		0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	uint8_t got[32];

	ASSERT_INT_EQ(mbedtls_sha256_ret((const uint8_t *)"abc", 3, got, 0), 0);
	ASSERT_MEM_EQ(got, want, sizeof(want));
}

/* Mid grey in BT.601 limited range: R = G = B = (128 - 16) * 255 / 219. */
static void
test_libyuv_grey(void)
{
	static uint8_t y[16 * 16], u[8 * 8], v[8 * 8], argb[16 * 16 * 4];

	memset(y, 128, sizeof(y));
	memset(u, 128, sizeof(u));
	memset(v, 128, sizeof(v));
	ASSERT_INT_EQ(I420ToARGB(y, 16, u, 8, v, 8, argb, 64, 16, 16), 0);
	for (size_t i = 0; i < sizeof(argb); i += 4) {
		ASSERT(argb[i] >= 129 && argb[i] <= 132); /* B */
		ASSERT_INT_EQ(argb[i + 1], argb[i]);      /* G */
		ASSERT_INT_EQ(argb[i + 2], argb[i]);      /* R */
		ASSERT_INT_EQ(argb[i + 3], 255);
	}
}

/* A 64x64 gradient through the VP8 encoder and decoder: the luma comes
 * back within 30 dB PSNR. */
static void
test_vpx_roundtrip(void)
{
	enum { W = 64, H = 64 };
	vpx_codec_ctx_t enc, dec;
	vpx_codec_enc_cfg_t cfg;
	vpx_image_t img;
	const vpx_codec_cx_pkt_t *pkt;
	vpx_codec_iter_t it = NULL;
	vpx_image_t *out;
	double se = 0;
	int frames = 0;

	ASSERT_INT_EQ(vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0),
		VPX_CODEC_OK);
	cfg.g_w = W;
	cfg.g_h = H;
	cfg.rc_target_bitrate = 2000;
	cfg.g_lag_in_frames = 0; /* the frame comes out of its own encode */
	ASSERT_INT_EQ(vpx_codec_enc_init(&enc, vpx_codec_vp8_cx(), &cfg, 0),
		VPX_CODEC_OK);
	ASSERT_INT_EQ(vpx_codec_dec_init(&dec, vpx_codec_vp8_dx(), NULL, 0),
		VPX_CODEC_OK);
	ASSERT(vpx_img_alloc(&img, VPX_IMG_FMT_I420, W, H, 1) != NULL);
	for (int r = 0; r < H; r++)
		for (int c = 0; c < W; c++)
			img.planes[0][r * img.stride[0] + c] =
				(uint8_t)(16 + 3 * (r + c) / 2);
	memset(img.planes[1], 128, (size_t)img.stride[1] * H / 2);
	memset(img.planes[2], 128, (size_t)img.stride[2] * H / 2);
	ASSERT_INT_EQ(vpx_codec_encode(&enc, &img, 0, 1, VPX_EFLAG_FORCE_KF,
			      VPX_DL_GOOD_QUALITY),
		VPX_CODEC_OK);
	while ((pkt = vpx_codec_get_cx_data(&enc, &it)) != NULL) {
		if (pkt->kind != VPX_CODEC_CX_FRAME_PKT)
			continue;
		ASSERT_INT_EQ(vpx_codec_decode(&dec, pkt->data.frame.buf,
				      (unsigned)pkt->data.frame.sz, NULL, 0),
			VPX_CODEC_OK);
		frames++;
	}
	ASSERT_INT_EQ(frames, 1);
	it = NULL;
	ASSERT((out = vpx_codec_get_frame(&dec, &it)) != NULL);
	ASSERT_INT_EQ(out->d_w, W);
	for (int r = 0; r < H; r++)
		for (int c = 0; c < W; c++) {
			double d = (double)out->planes[0][r * out->stride[0] + c] -
				img.planes[0][r * img.stride[0] + c];
			se += d * d;
		}
	ASSERT(10 * log10(255.0 * 255.0 / (se / (W * H) + 1e-9)) > 30);
	vpx_img_free(&img);
	vpx_codec_destroy(&enc);
	vpx_codec_destroy(&dec);
}

/* A 1 kHz sine through Opus (48 kHz stereo, 20 ms frames) and back: the
 * decoded second half second is that sine, at its amplitude, in both
 * channels (projection on sin/cos, so the codec's delay does not matter). */
static void
test_opus_roundtrip(void)
{
	enum { RATE = 48000, FRAME = 960, FRAMES = 50 };
	static float in[FRAME * 2], out[FRAME * 2];
	double s[2] = { 0 }, c[2] = { 0 }, e[2] = { 0 };
	unsigned char pkt[1500];
	int err = 0;
	long n = 0;
	OpusEncoder *enc = opus_encoder_create(RATE, 2,
		OPUS_APPLICATION_RESTRICTED_LOWDELAY, &err);
	OpusDecoder *dec;

	ASSERT(enc != NULL && err == OPUS_OK);
	dec = opus_decoder_create(RATE, 2, &err);
	ASSERT(dec != NULL && err == OPUS_OK);
	for (int f = 0; f < FRAMES; f++) {
		opus_int32 len;
		int got;

		for (int i = 0; i < FRAME; i++) {
			float v = 0.5f * (float)sin(2 * M_PI * 1000.0 *
				(f * FRAME + i) / RATE);

			in[2 * i] = v;
			in[2 * i + 1] = v;
		}
		len = opus_encode_float(enc, in, FRAME, pkt, sizeof(pkt));
		ASSERT(len > 2);
		got = opus_decode_float(dec, pkt, len, out, FRAME, 0);
		ASSERT_INT_EQ(got, FRAME);
		if (f < FRAMES / 2)
			continue;
		for (int i = 0; i < FRAME; i++, n++) {
			double t = 2 * M_PI * 1000.0 * (f * FRAME + i) / RATE;

			for (int ch = 0; ch < 2; ch++) {
				s[ch] += out[2 * i + ch] * sin(t);
				c[ch] += out[2 * i + ch] * cos(t);
				e[ch] += out[2 * i + ch] * out[2 * i + ch];
			}
		}
	}
	for (int ch = 0; ch < 2; ch++) {
		double amp = 2 * sqrt(s[ch] * s[ch] + c[ch] * c[ch]) / (double)n;

		/* The amplitude within 10 %, and 95 % of the energy in the
		 * tone (a sine's power is amp^2 / 2). */
		ASSERT(fabs(amp - 0.5) < 0.05);
		ASSERT(amp * amp / 2 > 0.95 * e[ch] / (double)n);
	}
	opus_encoder_destroy(enc);
	opus_decoder_destroy(dec);
}

int
main(void)
{
	RUN(test_zstd_roundtrip);
	RUN(test_sqlite_query);
	RUN(test_mbedtls_sha256);
	RUN(test_libyuv_grey);
	RUN(test_vpx_roundtrip);
	RUN(test_opus_roundtrip);
	return th_done();
}
