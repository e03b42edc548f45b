/* SPDX-License-Identifier: MIT */
/* Shared by the session module's .c files only. */
#ifndef OP_SESSION_SESSION_INTERNAL_H
#define OP_SESSION_SESSION_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>
#include <uv.h>

#include "crypto/channel.h"
#include "policy/policy.h"
#include "core/desktop.h"
#include "session/session.h"
#include "wire/msg.h"

#define SESSION_PREAUTH_MAX_FRAME 4096
#define SESSION_MAX_FRAME (8 * 1024 * 1024)
#define SESSION_TEST_DELAY_MS 1000
#define SESSION_CLOSE_DELAY_MS 1000 /* let the client read an error */
/* Messages handled per loop turn: a flood of input (10,000 mouse moves in
 * one read) must not hold video pacing and other sessions back. */
#define SESSION_FRAMES_PER_TURN 64
/* Before login a client has nothing to say but PublicKey, a few
 * LoginRequests, TestDelay echoes and early options: more than this many
 * frames or bytes is abuse (each costs a decryption and an unpack). */
#define SESSION_PREAUTH_MAX_FRAMES 512
#define SESSION_PREAUTH_MAX_BYTES (256 * 1024)

enum session_state {
	SS_HANDSHAKE, /* SignedId sent, waiting for PublicKey */
	SS_LOGIN,     /* Hash sent, waiting for a usable LoginRequest */
	SS_AUTHORIZING, /* audit write-ahead in progress */
	SS_AUTHORIZED,
	SS_CLOSING,
};


struct framer;
struct session_audio;
struct session_video;
struct input;
struct clipboard;

/* LoginRequest options kept for after the login decision (the request
 * itself is freed after dispatch). */
struct session_login_opts {
	Hbb__OptionMessage opt;
	Hbb__SupportedDecoding dec;
	bool ack_required;
};

struct session {
	struct session_env env;
	struct stream *s;
	struct framer *fr;
	uv_timer_t handshake_timer;
	uv_timer_t tick; /* TestDelay and idle check */
	uv_idle_t drain; /* handles buffered frames after a loop turn */
	unsigned read_holds; /* SESSION_HOLD_* */
	enum session_state state;
	enum conn_path path;
	bool secure;
	bool encrypted;
	struct channel ch;
	struct sockaddr_storage peer_addr;
	struct sockaddr_storage via_addr; /* the relay; AF_UNSPEC = none */
	char desc[160];
	uint8_t box_pk[crypto_box_PUBLICKEYBYTES];
	uint8_t box_sk[crypto_box_SECRETKEYBYTES];
	char challenge[PASSWORD_CHALLENGE_LEN + 1];
	/* login scope latch (§6.6 step 2) */
	bool latched;
	uint8_t scope[crypto_generichash_BYTES];
	char peer_id[128];
	char peer_name[128];
	enum session_kind kind;
	uint64_t last_rx_ms;
	uint64_t started_ms;
	unsigned preauth_frames;
	uint64_t bytes_in;
	uint64_t bytes_out;
	unsigned dropped; /* messages refused in this state */
	int pending;      /* handles / stream still closing */
	bool was_authorized;
	bool slot;         /* holds a daemon login slot */
	bool closing_soon; /* an error was sent; closing after a delay */
	int64_t tag;
	char deadline_reason[96];
	uint64_t client_session_id;
	char close_reason[128];
	struct session_login_opts login_opts;
	struct capture *screen;       /* granted, until released */
	struct session_video *video;  /* streaming it */
	uint32_t rtt_ms;              /* from our echoed TestDelay */
	/* input and clipboard (session-input.c) */
	struct input *input;
	struct clipboard *clip;
	enum desktop_kind desktop; /* of the granted screen (status) */
	struct session_files *files;  /* file transfer, when granted */
	struct session_term *term;    /* terminals, when granted */
	bool term_offered;            /* PeerInfo features.terminal */
	char ft_dir[512];             /* LoginRequest.file_transfer.dir */
	bool ft_hidden;
	uint32_t perms; /* POLICY_PERM_*: what this session may do, by direction */
	bool keyboard_disabled;       /* OptionMessage.disable_keyboard */
	bool clipboard_disabled;      /* OptionMessage.disable_clipboard */
	bool audio_disabled;          /* OptionMessage.disable_audio */
	struct session_audio *audio;  /* session-audio.c, when granted */
	bool clip_reading;
	bool clip_again;              /* it changed during the read */
	bool client_multi_clip;       /* client >= 1.3.0 */
	size_t clip_max;
	unsigned dropped_input;
	uint64_t drop_log_ms;
	uint64_t last_input_ms;       /* for policy.limits.idle_timeout */
	unsigned idle_s;
	bool lock_after_end;          /* OptionMessage.lock_after_session_end */
	char client_version[32];
};

/* session.c */
int session__send(struct session *ss, const Hbb__Message *m);
void session__close_later(struct session *ss, const char *reason);
/* Closes without a word to the peer; the printf-style reason goes to the
 * log and the audit record (say who ended it and why). */
void session__abort(struct session *ss, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Sends peer_reason (a stock string the client shows) as close_reason;
 * logs and audits the formatted reason instead. */
void session__refuse(struct session *ss, const char *peer_reason,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void session__info(const struct session *ss, struct session_info *out);
/* Rebuilds ss->desc (after the login named the peer). */
void session__describe(struct session *ss);
/* Drops one pending reference; frees when it was the last. */
void session__unref(struct session *ss);

/* session-screen.c: after login, PeerInfo and streaming */
void session__screen_grant(struct session *ss, const struct session_grant *g);
void session__screen_release(struct session *ss);

/* Arms the absolute login deadline (env.login_timeout_ms from the
 * start); closes at once when it has passed. */
void session__arm_login_deadline(struct session *ss);

/* A message the session could not apply (no permission, no backend,
 * invalid): counted (status, audit) and logged with the reason at most
 * once per 5 s. */
void session__dropped(struct session *ss, const char *what, int r);

/* session-dispatch.c: acts on one message per the dispatch table. */
int session__dispatch(struct session *ss, Hbb__Message *m);

/* Reasons to stop reading the client's socket; reading goes on when no
 * reason is left. */
#define SESSION_HOLD_DRAIN 1u /* buffered frames first (a flood) */
#define SESSION_HOLD_FILES 2u /* uploads wait for the disk */
void session__hold_reading(struct session *ss, unsigned why, bool hold);

/* A handler's return: it kept the message (the caller must not free it). */
#define SESSION_MSG_TAKEN 1

/* session-files.c: file transfer (FileAction, FileResponse). */
struct xfer_config;
int session__files_start(struct session *ss, const struct xfer_config *cfg);
/* Closes the runner; the session waits for it (pending). */
void session__files_stop(struct session *ss);
/* Lists dir for a file-transfer session that just logged in. */
int session__files_open_dir(struct session *ss, const char *dir, bool hidden);
/* 0, SESSION_MSG_TAKEN, or an error that ends the session. */
int session__files_on_message(struct session *ss, Hbb__Message *m);

/* session-term.c: terminals (TerminalAction). */
int session__term_start(struct session *ss, const struct session_term_cfg *cfg);
/* Hangs every terminal up (each audited with why) and frees them. */
void session__term_stop(struct session *ss, const char *why);
/* Always 0: a bad terminal message ends that terminal only. */
int session__term_on_message(struct session *ss, Hbb__Message *m);
/* PeerInfo.version when terminals are offered (§16: clients offer
 * terminal sessions from host 1.4.1 with features.terminal). */
#define SESSION_TERMINAL_VERSION "1.4.1"
/* session-audio.c: the desktop's sound (§12). */
/* After login: keeps the grant's sound server and starts audio when the
 * permission is held and the client has not disabled it. Returns the
 * PermissionInfo bits to announce (Audio cleared when there is no sound
 * server for this display). */
uint32_t session__audio_grant(struct session *ss, const struct session_grant *g,
	uint32_t permissions);
/* An OptionMessage (login or Misc.option): disable_audio Yes/No. */
void session__audio_options(struct session *ss, const Hbb__OptionMessage *o);
/* Starts or stops audio to match the permission and the client's option;
 * reason is what an "off" is audited as. */
void session__audio_update(struct session *ss, const char *reason);
/* Session end: audio off ("closed") and everything freed. */
void session__audio_close(struct session *ss);

/* session-auth.c */
int session__on_public_key(struct session *ss, const Hbb__Message *m);
int session__send_hash(struct session *ss);
int session__on_login(struct session *ss, const Hbb__LoginRequest *lr);
int session__send_signed_id(struct session *ss);

/* session-input.c: Misc PermissionInfo (§13.2 numbering: Keyboard 0,
 * Clipboard 2, ...). */
void session__send_permission(struct session *ss, int perm, bool enabled);

#endif
