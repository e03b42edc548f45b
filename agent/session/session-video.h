/* SPDX-License-Identifier: MIT */
/*
 * The screen part of an authorized desktop session, shared by
 * session-video.c (streams: pacing, the off-loop grab+encode job,
 * sending), session-video-stats.c (their figures) and session-screen.c
 * (what the client asks: options, codec, displays, refresh; the cursor;
 * layout changes). Session module only.
 */
#ifndef OP_SESSION_SESSION_VIDEO_H
#define OP_SESSION_SESSION_VIDEO_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "capture/capture.h"
#include "video/venc.h"
#include "wire/msg.h"

struct session;

#define VIDEO_LAT_SAMPLES 256
#define VIDEO_ACK_WINDOW 2          /* frames sent but not acknowledged */
#define VIDEO_ACK_TIMEOUT_MS 3000   /* then the window reopens anyway */
#define VIDEO_MAX_QUEUED (512u << 10) /* socket back-pressure, bytes */
#define VIDEO_KEY_MIN_GAP_MS 250    /* refresh floods are coalesced */
#define VIDEO_MIN_FPS 5             /* auto-adjust floor */
#define VIDEO_CURSOR_CACHE 32
/* After the screen stops changing, the same image is encoded again (at
 * most this many times) so a realtime encoder's first rough frame is
 * refined; it stops early once a frame is this small (converged). */
#define VIDEO_REFINE_FRAMES 4
#define VIDEO_REFINE_DONE_BYTES 400
#define VIDEO_REFINE_GAP_MS 100
#define VIDEO_CURSOR_POLL_MS 33
/* The rate budget (§7.3): a stream earns its target bitrate in bits as
 * time passes, up to this many ms worth (the burst after a pause), and
 * spends each frame's size when it is sent. A frame starts only while
 * the budget is not in debt: over any window the stream sends at most
 * target x window + the burst + one frame. */
#define VIDEO_BUDGET_BURST_MS 250
/* A refinement frame of a 1080p page of text is 400-500 KB: over a
 * second of a 3 Mbit/s budget that a keystroke's frame (a few hundred
 * bytes) waited behind. So the debt a refinement frame leaves lets
 * changes through: after it, frames of a change may start in debt until
 * they have sent this many ms worth of the target (the first frame of a
 * bigger change may overshoot it once; refinement itself still waits
 * for the debt to be paid). */
#define VIDEO_CHANGE_ALLOW_MS 100
/*
 * Adapting to the network (§7.3; RustDesk's video_qos lowers fps and
 * quality past 200/500/1000 ms of delay). Once a second the worst
 * delivery delay of the period (a frame's send to its ack, the TestDelay
 * round trip without acks) scales the target bitrate: above
 * VIDEO_NET_SLOW_MS down by a quarter (or to 90 % of the rate the client
 * acknowledged while frames waited, at most halving); over
 * VIDEO_NET_OK_MS while frames waited on acks or the socket, down 10 %;
 * under VIDEO_NET_OK_MS with nothing waiting and no decrease for
 * VIDEO_NET_RAISE_MS, up 20 %. Fewer bits per second mean fewer frames
 * (the budget) at the top quantizer, so fps follows.
 */
#define VIDEO_NET_SLOW_MS 200
#define VIDEO_NET_OK_MS 150
#define VIDEO_NET_RAISE_MS 2000
#define VIDEO_NET_MIN_SCALE 0.1
#define VIDEO_INFLIGHT 16 /* frames remembered for their ack delay */

/* One display being streamed. Fields marked [job] belong to the worker
 * while busy; the loop thread touches them only when !busy. */
struct vstream {
	struct session_video *v;
	int display;
	struct capture_display geom;
	struct capture_grabber *grabber; /* [job] */
	uint32_t grab_band;              /* rows it grabs at once */
	struct venc *enc;                /* [job] */
	struct venc_params params;       /* [job] what enc was made with */
	uv_work_t work;
	bool busy;
	bool dead;      /* unsubscribed or closing: free after the job */
	bool stale;     /* geometry changed: new grabber and encoder */
	bool want_key;
	bool behind;    /* the last frame was a step of a scroll (venc) */
	unsigned refine;    /* refinement frames left */
	uint64_t seen_seq;  /* damage_seq of the last frame started */
	uint64_t next_ms;   /* earliest start of the next frame (fps) */
	uint64_t last_key_ms;
	uint64_t enc_start_ms;
	uint64_t changed_ms;     /* first DAMAGE not in a started frame */
	uint64_t job_changed_ms; /* the job's frame shows a change from then */
	/* job inputs and outputs */
	bool job_key;
	bool job_damage; /* the screen changed since the previous frame */
	int64_t job_pts;
	uint32_t job_kbps, job_fps;
	enum venc_codec job_codec;
	uint64_t job_t0_us;
	int job_r;
	double job_grab_ms;
	struct venc_output job_out;
	/* rate budget, bits (negative: in debt) */
	double budget;
	double change_allow; /* bits changes may send in a refinement's debt */
	uint64_t budget_ms;
	/* why the next frame waited (counted once per frame) */
	uint8_t waited;
	/* figures */
	uint64_t frames, key_frames, bytes, skipped;
	uint64_t damage0;                 /* damage_seq at the start */
	uint64_t rate_waits, ack_waits, queue_waits;
	double sum_capture_ms, sum_convert_ms, sum_encode_ms;
	double sum_q;           /* over the frames with a known quantizer */
	uint64_t q_n, q_top;
	uint32_t lat_ms[VIDEO_LAT_SAMPLES];
	unsigned lat_n;
	/* from a change of the screen to its frame written to the socket */
	uint32_t chg_ms[VIDEO_LAT_SAMPLES];
	unsigned chg_n;
	uint32_t chg_max_ms;
};

struct session_video {
	struct session *ss;
	struct capture *cap;
	uv_timer_t pace;
	uv_timer_t cursor_timer;
	int ndisplays;
	struct capture_display disp[CAPTURE_MAX_DISPLAYS];
	int current; /* PeerInfo.current_display */
	struct vstream *streams[CAPTURE_MAX_DISPLAYS]; /* by display */
	/* what the client asked for (§7.2, §7.3, §13.3) */
	int image_quality;
	int32_t custom_quality;
	unsigned fps_target; /* min(config, client) */
	unsigned fps_now;    /* auto-adjusted down when acks lag */
	enum venc_codec codec;
	bool ack_required;
	unsigned unacked;
	uint64_t last_ack_ms;
	unsigned blocked_ticks;
	uint64_t last_raise_ms;
	/* network adaptation */
	double net_scale;         /* multiplies the quality's bitrate */
	uint64_t net_period_ms;   /* start of the current period */
	uint64_t net_down_ms;     /* last decrease */
	uint32_t net_delay_ms;    /* worst ack delay of the period */
	uint64_t net_acked;       /* bytes acknowledged in the period */
	bool net_lagged;          /* frames waited on acks or the socket */
	struct {
		uint64_t ms;
		uint32_t bytes;
	} inflight[VIDEO_INFLIGHT];
	unsigned inflight_head, inflight_n;
	bool show_cursor_pos;
	int32_t cur_x, cur_y;
	uint64_t cursor_ids[VIDEO_CURSOR_CACHE];
	unsigned cursor_n;
	/* refresh flood accounting */
	uint64_t refresh_window_ms;
	unsigned refresh_in_window;
	unsigned refresh_ignored;
	bool stopping;
	int refs; /* jobs in flight + timers still closing */
};

/* session-video.c */
struct session_video *session__video_new(struct session *ss,
	struct capture *cap);
/* Tears down; jobs finish first, then hooks->screen_released. */
void session__video_stop(struct session_video *v);
/* Subscribes exactly the displays in set (n entries). */
void session__video_subscribe(struct session_video *v, const int *set,
	int n, bool add);
/* Something may need a frame: (re)arm the pacing timer. */
void session__video_kick(struct session_video *v);
void session__video_refresh(struct session_video *v, int display);
/* Encoder parameters changed (codec, quality, fps). */
void session__video_reconfigure(struct session_video *v, bool codec_changed);
void session__video_layout_changed(struct session_video *v);
/* The current target bitrate (TestDelay.target_bitrate); 0 = none. */
uint32_t session__video_kbps(const struct session_video *v);
/* The client acknowledged a frame (Misc.video_received). */
void session__video_acked(struct session_video *v);

/* The stream's target bitrate now (quality x network scale). */
uint32_t session__video_stream_kbps(const struct session_video *v,
	const struct vstream *st);

/* session-screen.c */
void session__screen_options(struct session_video *v,
	const Hbb__OptionMessage *o, bool at_login);
void session__screen_fill_display(const struct capture_display *d,
	Hbb__DisplayInfo *out);
int session__screen_on_misc(struct session *ss, const Hbb__Misc *misc);
void session__screen_cursor(struct session_video *v);
void session__screen_message_box(struct session *ss, const char *title,
	const char *text);
void session__screen_on_layout(struct session_video *v);
void session__screen_cursor_poll(uv_timer_t *t);
void session__screen_start(struct session *ss, struct session_video *v);

#endif
