/* SPDX-License-Identifier: MIT */
/*
 * The messages between the network process and the monitor (monitor.h):
 * one datagram each way per request on a SOCK_SEQPACKET pair, so a
 * message is never split or merged. A request is a type byte and its
 * fields; a reply repeats the type, then a 32-bit status (0 or an
 * OP_ERR_* code) and, on success, its fields. Integers are big-endian,
 * strings and byte strings carry a 16-bit length; nothing is longer
 * than MON_MSG_MAX. Readers check every length against what is left and
 * that nothing is left over: the monitor treats the network process as
 * hostile.
 */
#ifndef OP_MONITOR_MONITOR_MSG_H
#define OP_MONITOR_MONITOR_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MON_MSG_MAX 8192

/* The request set. Keep monitor.c's table and the README's list in step. */
enum mon_type {
	MON_HELLO = 1,       /* -> identity (public half) */
	MON_SIGN_ID,         /* box_pk[32] -> SignedId.id */
	MON_CHECK_PROOF,     /* challenge, allow, proof -> method */
	MON_NEW_OTP,         /* a new one-time password */
	MON_RELOAD_PASSWORD, /* -> salt, has_password */
	MON_RELOAD_IDENTITY, /* -> identity */
	MON_PRINT_OTP,       /* the banner's one-time password line */
	MON_CONNECT_USER,    /* path, uid, held -> fd (+ hold fd) */
	MON_X11_COOKIE,      /* display, src, owner -> the cookie copied */
	MON_RELOAD_CONFIG,   /* the monitor re-reads what it takes from it */
	MON_FIND_USER,       /* -> status, who sits at the machine */
	MON_LOCK_SESSION,    /* lock the active graphical session */
	MON_CTL_LISTEN,      /* -> the control socket's listening fd */
	MON_NOTIFY,          /* u8 enum mon_notify: sd_notify by the main PID */
	MON_EVENTS,          /* -> the socket the monitor's events come on */
	MON_CONSENT_ASK,     /* the request's words -> a prompt is shown */
	MON_CONSENT_CANCEL,  /* the prompt goes away (answered: cancelled) */
	MON_VD_START,        /* the virtual display; ready or not: an event */
	MON_VD_STOP,
	MON_CONFIG,          /* -> system, name, problems; the config's fd */
	MON_TERM_OPEN,       /* id, tag, rows, cols -> a shell: pty master fd
	                      * (+ typescript fd); its exit: an event */
	MON_TERM_HANGUP,     /* handle: that shell is hung up */
	/* The audit trail's calls (audit.h), made by the monitor on its
	 * trail (monitor-audit.c); tag 0 = no commit event wanted. */
	MON_AUDIT_OPEN,       /* info, u8 defer, tag -> u64 session id */
	MON_AUDIT_LOGIN,      /* u64 session */
	MON_AUDIT_RECORDED,   /* u64 session -> u8 written in full */
	MON_AUDIT_AUTHORIZED, /* u64 session, auth, tag */
	MON_AUDIT_DENIED,     /* u64 session, denial, tag */
	MON_AUDIT_LOCKOUT,    /* u64 session, lockout, tag */
	MON_AUDIT_CLOSE,      /* u64 session, reason, u64 in, u64 out, tag */
	MON_AUDIT_EVENT,      /* u64 session, type, fields, tag */
	MON_AUDIT_CONFIG,     /* source, u8 ok, detail, tag */
	MON_AUDIT_PRUNE,      /* tag */
	MON_AUDIT_FLUSH,      /* tag: the forwarding queue's flush */
	MON_AUDIT_STATUS,     /* -> audit_status and forwarding numbers */
	MON_PROXY_PASSWORD,   /* -> server.proxy_password_file's password */
	MON_USER_SOCKET,      /* path -> its owner's uid, gid */
	MON_SECURE_ATTENTION, /* Windows: Ctrl+Alt+Del by SendSAS */
	MON_TYPE_END
};

const char *mon_type_name(unsigned type);

/* Events, monitor to network process, one datagram each on the events
 * socket: MON_EV_CONSENT, u8 enum consent_result, str detail. */
#define MON_EV_CONSENT 1
/* MON_EV_VD_READY: u32 status, str name, str xauthority, u32 its owner,
 * u32 server pid, u32 session pid, str error; MON_EV_VD_LOST: str error. */
#define MON_EV_VD_READY 2
#define MON_EV_VD_LOST 3
/* MON_EV_STOP, MON_EV_RELOAD (no fields): what SIGTERM and SIGHUP are on
 * Unix, for Windows, which has no signals to pass on. */
#define MON_EV_STOP 4
#define MON_EV_RELOAD 5
/* MON_EV_TERM_EXIT: u32 handle, u32 exit status (128+N: killed by N). */
#define MON_EV_TERM_EXIT 10
/* MON_EV_AUDIT_COMMIT: u32 tag, u32 status, u64 seq (audit_commit_fn);
 * MON_EV_AUDIT_FLUSH: u32 tag, u32 status, u64 sent (audit_flush_fn). */
#define MON_EV_AUDIT_COMMIT 20
#define MON_EV_AUDIT_FLUSH 21

/* What notify may tell the service manager (READY=1, ...). */
enum mon_notify {
	MON_NOTIFY_READY,
	MON_NOTIFY_RELOADING,
	MON_NOTIFY_STOPPING,
	MON_NOTIFY_WATCHDOG,
	MON_NOTIFY_END
};

struct mon_buf {
	uint8_t b[MON_MSG_MAX];
	size_t len;
	bool overflow;
};

void mon_put_u8(struct mon_buf *w, uint8_t v);
void mon_put_u32(struct mon_buf *w, uint32_t v);
void mon_put_u64(struct mon_buf *w, uint64_t v);
void mon_put_bytes(struct mon_buf *w, const void *p, size_t len);
void mon_put_str(struct mon_buf *w, const char *s);

struct mon_rd {
	const uint8_t *p;
	size_t left;
	bool bad;
};

void mon_rd_init(struct mon_rd *r, const void *p, size_t len);
uint8_t mon_get_u8(struct mon_rd *r);
uint32_t mon_get_u32(struct mon_rd *r);
uint64_t mon_get_u64(struct mon_rd *r);
/* A byte string of exactly len bytes into out. */
void mon_get_fixed(struct mon_rd *r, void *out, size_t len);
/* A byte string of at most max bytes: *p points into the message. */
void mon_get_bytes(struct mon_rd *r, size_t max, const uint8_t **p,
	size_t *len);
/* A string of at most cap - 1 bytes, no NUL inside, NUL-terminated. */
void mon_get_str(struct mon_rd *r, char *out, size_t cap);
/* True when everything read was well-formed and nothing is left. */
bool mon_rd_done(const struct mon_rd *r);

/* The public half of the host's identity, as the network process needs
 * it: HELLO's and RELOAD_IDENTITY's reply. */
struct mon_identity {
	uint32_t generation; /* how many network processes the monitor started */
	char id[17];         /* STATE_ID_MAX + 1 */
	bool id_custom;
	char uuid[65];
	uint8_t pk[32];
	char salt[33];       /* PASSWORD_SALT_LEN + 1 */
	bool has_password;   /* a permanent password is set */
	/* How the network process before this one ended ("" = none did):
	 * "killed by signal 11", "exited with 70". */
	char previous[64];
};

void mon_put_identity(struct mon_buf *w, const struct mon_identity *id);
void mon_get_identity(struct mon_rd *r, struct mon_identity *out);

/* consent-ask's fields: the words of the prompt (all a peer's, or about
 * it; the prompt sanitizes them again). */
struct mon_consent {
	char peer_id[128];
	char peer_name[128];
	char source[64];
	char kind[32];
	char permissions[160];
	uint32_t timeout_ms;
};

void mon_put_consent(struct mon_buf *w, const struct mon_consent *c);
void mon_get_consent(struct mon_rd *r, struct mon_consent *out);

/* term-open's fields: which terminal (the typescript's name) and its
 * size. Who the shell runs as is the monitor's config's. */
struct mon_term_open {
	int32_t terminal_id;
	int64_t session_tag;
	uint32_t rows;
	uint32_t cols;
};

void mon_put_term_open(struct mon_buf *w, const struct mon_term_open *t);
void mon_get_term_open(struct mon_rd *r, struct mon_term_open *out);

/* term-open's reply fields, also with an error status (then user and msg
 * say why); the pty master (and the typescript, when typescript is not
 * "") come as descriptors. */
struct mon_term_shell {
	uint32_t handle; /* never 0 for a shell */
	uint32_t pid;
	char tty[64];
	char user[64];
	bool tty_chowned;
	char typescript[4352];
	char msg[256];
};

void mon_put_term_shell(struct mon_buf *w, const struct mon_term_shell *s);
void mon_get_term_shell(struct mon_rd *r, struct mon_term_shell *out);

#endif
