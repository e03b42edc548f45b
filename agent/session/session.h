/* SPDX-License-Identifier: MIT */
/*
 * A connection from a technician's client, from the moment a byte pipe
 * exists (any path of spec §4) until it closes: the secure handshake
 * (§5), the Hash / LoginRequest exchange and its decision (§6), and the
 * keep-alive (§13.1).
 *
 * After login a desktop session streams the screen it was granted
 * (session-video.c, session-screen.c: §7 video, §8 cursor).
 * Keyboard, mouse and clipboard go to the same display
 * (session-input.c), within the grant.
 */
#ifndef OP_SESSION_SESSION_H
#define OP_SESSION_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "core/netaddr.h"
#include "crypto/password.h"
#include "monitor/secrets.h"
#include "net/incoming.h"

struct stream;
struct identity_key;
struct session;
struct xfer_config;
struct xfer_result;
struct capture;
struct input;
struct clipboard;
struct desktop_target;
struct term_account;
struct term_spawner;

enum session_kind {
	SESSION_DESKTOP,
	SESSION_FILE_TRANSFER,
	SESSION_PORT_FORWARD,
	SESSION_VIEW_CAMERA,
	SESSION_TERMINAL,
};

const char *session_kind_name(enum session_kind k);

/* What is known about a session when the login decision is made. */
struct session_info {
	const char *peer_id;   /* LoginRequest.my_id */
	const char *peer_name; /* LoginRequest.my_name */
	/* The technician's address (AF_UNSPEC: a relay path where hbbs did
	 * not say); via: the relay server on relay paths, else NULL. */
	const struct sockaddr_storage *source;
	const struct sockaddr_storage *via;
	enum conn_path path;
	bool encrypted;
	enum session_kind kind;
};

/* The credentials valid now (owned by the daemon, read at each check).
 * With env.secrets set only s.salt and the allow flags are used: the
 * monitor holds the rest. */
struct session_creds {
	struct secrets_creds s;
	bool allow_otp;
	bool allow_permanent;
};

/* Where the host's secrets are when not in this process (the monitor of
 * a privilege-separated daemon). */
struct session_secrets {
	/* SignedId.id for our box key; returns its length or < 0. */
	int (*signed_id)(void *arg, const uint8_t box_pk[32], uint8_t *out,
		size_t cap);
	/* Returns 0 with *out, or < 0 when there is no answer (the login
	 * is refused: fail closed). allow: SECRETS_ALLOW_*. */
	int (*check_proof)(void *arg, const char *challenge,
		const uint8_t *proof, size_t len, unsigned allow,
		enum secrets_method *out);
	void *arg;
};

/* The terminal part of a grant (policy.allow.terminal and
 * policy.terminal.*); everything is copied by the session. */
struct session_term_cfg {
	/* The account shells run as; NULL refuses every open, and
	 * account_error (term_account_lookup's result) and user say why to
	 * the client. */
	const struct term_account *account;
	int account_error;
	const char *user;
	bool allow_root;
	unsigned max_terminals;  /* per session */
	const char *record_dir;  /* typescripts; NULL = none */
	/* Who starts the shells: the monitor's (then account, allow_root
	 * and record_dir are its config's business); NULL = this process. */
	struct term_spawner *spawner;
};

/* One terminal opened, refused or closed, for the audit trail (all
 * borrowed for the duration of the hook). */
struct session_term_record {
	bool open;          /* terminal.open (else terminal.close) */
	int32_t terminal_id;
	bool success;       /* open: the shell started */
	const char *message;  /* open: why it did not */
	const char *user;
	const char *tty;
	uint32_t pid;
	const char *typescript; /* NULL = not recorded */
	/* close: exited says the shell's exit status is known (exit_code,
	 * 128+N for signal N); false when it was hung up with the session
	 * or the permission (reason). */
	bool exited;
	int32_t exit_code;
	uint64_t bytes_in;  /* typed by the client */
	uint64_t bytes_out; /* printed by the terminal */
	const char *reason;
};

#define SESSION_CLIP_MAX_DEFAULT (10u << 20)

/* What an authorization grants. */
struct session_grant {
	unsigned deadline_s; /* end the session after this long; 0 = never */
	/* Bit n set = PermissionInfo.permission n granted (§13.2: Keyboard
	 * 0, Clipboard 2, Audio 3, File 4, Restart 5, Recording 6,
	 * BlockInput 7, PrivacyMode 8); the client is told about the rest. */
	uint32_t permissions;
	/* Desktop sessions: the display to stream (borrowed; the session
	 * calls hooks->screen_released when it no longer uses it). NULL =
	 * none, and no_screen says why (shown to the client). */
	struct capture *screen;
	const char *no_screen;
	/* Keyboard/mouse injection and the clipboard on the same desktop
	 * as screen, opened by the daemon's desktop provider for this
	 * session only (NULL = none: not granted, or the backend could not
	 * open; the provider logged why). Ownership: from the moment done()
	 * is called with this grant the session owns both and closes them,
	 * also when it ends before using them or was not granted what
	 * they serve. */
	struct input *input;
	struct clipboard *clipboard;
	/* What screen, input and clipboard are on (borrowed for the call;
	 * the session keeps only its kind, for status). NULL = none. */
	const struct desktop_target *target;
	/* What may flow through the clipboard: */
	bool clipboard_to_host;
	bool clipboard_to_client;
	size_t clipboard_max;  /* bytes per copy; 0 = SESSION_CLIP_MAX_DEFAULT */
	unsigned idle_s;       /* close after this long without input; 0 = never */
	/* File transfer (file-transfer sessions): roots, directions and
	 * limits (valid during the call; NULL = none). */
	const struct xfer_config *files;
	/* Terminal (policy.allow.terminal): when not NULL the PeerInfo
	 * offers terminals (features.terminal, version 1.4.1, as stock
	 * clients require) and a terminal session serves them. */
	const struct session_term_cfg *terminal;
	/* Audio (desktop sessions with PermissionInfo bit 3). Unix: the
	 * runtime directory of the desktop user's sound server
	 * (XDG_RUNTIME_DIR, holding pipewire-0 or pulse/native; copied) and
	 * the user to connect as when the daemon runs as root; NULL = no
	 * sound server for this display. Windows: audio_device is the
	 * capture endpoint (audio_target.device; NULL = loopback of the
	 * default render endpoint). no_audio, when set, says why there is
	 * none (logged once, and audio is announced off). */
#ifdef _WIN32
	const char *audio_device;
#else
	const char *audio_runtime_dir;
	uid_t audio_uid;
	gid_t audio_gid;
#endif
	const char *no_audio;
};

/* Audio turned on or off in a session (for the audit trail). */
struct session_audio_event {
	bool on;
	/* off: "client-disabled", "withdrawn", "error", "closed" */
	const char *reason;
	const char *backend; /* "pipewire", "pulse" */
	const char *detail;  /* the error's text, or NULL */
	/* off: what was sent while it was on */
	uint64_t packets, bytes, dropped;
};

/*
 * Decisions the daemon makes for the session (policy, lockout, audit).
 * Every hook may be NULL, meaning "allow" / "nothing to do". A returned
 * error string is sent to the client verbatim as LoginResponse.error, so
 * it must be one of RustDesk's (§6.8) for the client to react right.
 */
struct session_hooks {
	/* Before any password check. NULL = admitted. close_after is set
	 * when the connection must end after the error; click_only when the
	 * local user's click alone decides (no password is asked for). */
	const char *(*admit)(void *arg, struct session *s,
		const struct session_info *info, bool *close_after,
		bool *click_only);
	/* Brute-force state: NULL = may try, else the error to send. */
	const char *(*lockout_check)(void *arg,
		const struct session_info *info);
	void (*auth_failed)(void *arg, struct session *s,
		const struct session_info *info);
	/* Write-ahead: the session waits for done(ok) before it sends the
	 * LoginResponse; done(false) refuses the login (fail closed).
	 * g (NULL when refused) says what the session may do. */
	void (*authorize)(void *arg, struct session *s,
		const struct session_info *info, const char *method,
		void (*done)(struct session *s, bool ok, const struct session_grant *g));
	/* The session has begun to close (its state is closing); anything
	 * the daemon holds pending for it should be withdrawn now. */
	void (*closing)(void *arg, struct session *s);
	void (*closed)(void *arg, struct session *s, bool was_authorized,
		const char *reason);
	/* A file transfer or file change finished (for the audit trail). */
	void (*file_result)(void *arg, struct session *s,
		const struct xfer_result *r);
	/* A terminal opened, was refused or closed (for the audit trail). */
	void (*terminal_result)(void *arg, struct session *s,
		const struct session_term_record *r);
	/* Audio started or stopped (see struct session_audio_event). */
	void (*audio_event)(void *arg, struct session *s,
		const struct session_audio_event *ev);
	/* The client could not verify our key: re-publish it to hbbs. */
	void (*key_unverified)(void *arg);
	/* Once per grant with a screen: the session has freed everything it
	 * held on it (also when it closed before using it). */
	void (*screen_released)(void *arg, struct session *s);
};

enum session_codec_pref {
	SESSION_CODEC_AUTO,
	SESSION_CODEC_VP9,
	SESSION_CODEC_VP8,
};

struct session_env {
	uv_loop_t *loop;
	/* The secrets: in the monitor (secrets != NULL), or key and
	 * creds here (tests, fuzzers). */
	const struct session_secrets *secrets;
	const struct identity_key *key; /* signs SignedId */
	const char *id;                 /* our ID, inside IdPk */
	const char *version;            /* PeerInfo.version */
	const char *hostname;
	const char *username;           /* active desktop user, "" none */
	const struct session_creds *creds;
	bool require_encryption;
	unsigned handshake_timeout_ms;  /* key exchange: 18000 (§1.6) */
	/* From connecting to an accepted password (or a click-only request
	 * going to the local user): an absolute limit, whatever the client
	 * sends meanwhile. 0 = 60000. */
	unsigned login_timeout_ms;
	unsigned idle_timeout_ms;       /* 30000 */
	unsigned close_delay_ms;        /* after an error: 1000 (0 = 1) */
	unsigned video_max_fps;         /* 1..120 (0 = 30) */
	enum session_codec_pref video_codec;
	const struct session_hooks *hooks;
	void *arg;
};

/* Takes ownership of s. Returns the session, or NULL (s closed then). */
struct session *session_start(const struct session_env *env,
	struct stream *s, enum conn_path path, bool secure,
	const struct sockaddr_storage *peer,
	const struct sockaddr_storage *via);

/* Closes (asynchronously); the closed hook follows. reason is sent to
 * the client as Misc.close_reason when not NULL. */
void session_close(struct session *self, const char *reason);

/* Ends an authorized session after seconds (policy max_duration, end of
 * a schedule window); reason goes to the client as close_reason. */
void session_set_deadline(struct session *self, unsigned seconds,
	const char *reason);

/* A number the owner attaches (the audit trail's session id). */
void session_set_tag(struct session *self, int64_t tag);
int64_t session_tag(const struct session *self);
/* Bytes received / sent on the connection so far. */
void session_bytes(const struct session *self, uint64_t *in, uint64_t *out);
/* Messages refused in their state (input before login, or for a feature
 * this session is not granted) so far. */
unsigned session_dropped(const struct session *self);
/* Input and clipboard events refused (no permission, invalid, too large)
 * so far. */
unsigned session_dropped_input(const struct session *self);

/* The owner of the granted screen forwards its capture events (a mask
 * of CAPTURE_EV_*); sessions without that screen ignore them. */
void session_screen_event(struct session *self, struct capture *c,
	unsigned mask);

/* Per-stream figures for status (averages over the session). */
struct session_video_stats {
	int display;
	const char *codec; /* "VP9", "VP8" */
	uint32_t width, height;
	uint32_t fps_target, kbps_target;
	uint64_t frames, key_frames, bytes, skipped;
	/* DAMAGE notifications since the stream started, and frames that
	 * waited for the rate budget, for acks, for the socket queue */
	uint64_t damage, rate_waits, ack_waits, queue_waits;
	double capture_ms, convert_ms, encode_ms;
	/* libvpx's quantizer (0-63) averaged over the frames sent, and how
	 * many were coded at the top one: then the content, not the
	 * quantizer, decides each frame's size, and the budget the fps */
	double q_avg;
	uint64_t q_top;
	double latency_ms_p50, latency_ms_p95;
	/* from the first DAMAGE a frame shows to the frame written to the
	 * socket: what a keystroke waits (pacing, budget, encoder, socket) */
	double change_ms_p50, change_ms_p95, change_ms_max;
};
#define SESSION_MAX_STREAMS 16
/* Fills up to max entries; returns how many. */
int session_video_stats(const struct session *self,
	struct session_video_stats *out, int max);

/* The desktop backend this session's screen and input use ("x11",
 * "wlr"), or NULL when it has none. */
const char *session_desktop_backend(const struct session *self);

/* The client asked to lock the desktop when it leaves, and could (it had
 * the keyboard permission). */
bool session_wants_lock(const struct session *self);

/* Narrows what an authorized session may do (a policy reload): keyboard,
 * clipboard directions and audio can only be withdrawn, never widened.
 * The client is told (PermissionInfo), held keys are released and audio
 * capture stops. */
void session_restrict(struct session *self, bool keyboard,
	bool clipboard_to_host, bool clipboard_to_client, bool audio);

/* Audio of this session: true while the desktop's sound is being sent;
 * *packets and *bytes (either may be NULL) count what was sent since the
 * session began. */
bool session_audio_on(const struct session *self, uint64_t *packets,
	uint64_t *bytes);

/* Withdraws the terminal permission (a policy reload): the session's
 * terminals are hung up (and audited), later TerminalActions dropped. A
 * terminal session then has nothing left to do and is closed. */
void session_withdraw_terminal(struct session *self);

/* The LoginRequest.session_id the client sent (0 before login). */
uint64_t session_client_id(const struct session *self);

/*
 * The daemon's login slot (policy.limits.max_sessions): taken when a
 * session enters authorization, and released exactly once, whatever way
 * the session ends. The session only stores the mark; the daemon owns
 * the count.
 */
void session_set_slot(struct session *self, bool held);
bool session_has_slot(const struct session *self);
/* True until the session holds a slot (key exchange and login). */
bool session_is_preauth(const struct session *self);
/* The technician's address (see struct session_info). */
const struct sockaddr_storage *session_source(const struct session *self);

/* Short description for logs: "peer-id from 1.2.3.4:5 (relay)". */
const char *session_describe(const struct session *self);

#endif
