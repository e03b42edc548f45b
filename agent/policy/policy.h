/* SPDX-License-Identifier: MIT */
/*
 * Access policy: pure decisions about who may open which kind of session,
 * when, with which permissions and whose consent. The daemon fills a
 * struct policy_rules from the configuration (cli/policy-conf.c; policy
 * never includes conf/), the session code describes each connection in a
 * struct policy_request and asks policy_decide(). Nothing here does I/O,
 * reads a clock or keeps global state: the caller passes the local wall
 * time, so every decision is reproducible (and `outpost policy explain`
 * shows exactly what the daemon would do).
 *
 * Order of the checks in policy_decide (the first that fails decides; the
 * LoginResponse strings are the stock ones of spec §6.8, so a stock client
 * shows the matching dialog):
 *  1. encryption: a rendezvous session that did not complete the key
 *     exchange is refused when require_encryption is set
 *     (POLICY_MSG_ENCRYPTION); a direct-IP session (plaintext by protocol)
 *     needs direct_access.enabled and a source in direct_access.allow_from
 *     ("Your ip is blocked by the peer");
 *  2. policy.peers.allow_from ("Your ip is blocked by the peer");
 *  3. at the LOGIN stage only: the peer ID against deny_ids, then
 *     allow_ids ("Your ID is blocked by the peer"), then the session kind
 *     ("No permission of file transfer" / "... of terminal" / "... of IP
 *     tunneling" / "... of viewing camera");
 *  4. policy.schedule, then policy.limits.max_sessions ("Connection not
 *     allowed": the stock generic refusal, which tells an unauthenticated
 *     party nothing about the schedule);
 *  5. consent (policy_consent): may deny, ask the local user, or allow.
 */
#ifndef OP_POLICY_POLICY_H
#define OP_POLICY_POLICY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct sockaddr;

/* LoginResponse.error strings (spec §6.8), exactly as stock clients
 * expect them, plus our close reason for the encryption refusal. */
#define POLICY_MSG_IP_BLOCKED "Your ip is blocked by the peer"
#define POLICY_MSG_ID_BLOCKED "Your ID is blocked by the peer"
#define POLICY_MSG_NOT_ALLOWED "Connection not allowed"
#define POLICY_MSG_NO_FILE "No permission of file transfer"
#define POLICY_MSG_NO_TERMINAL "No permission of terminal"
#define POLICY_MSG_NO_TUNNEL "No permission of IP tunneling"
#define POLICY_MSG_NO_CAMERA "No permission of viewing camera"
/* Sent (LoginResponse.error, then Misc.close_reason) when a client did
 * not complete the key exchange; the client shows it in an error box. */
#define POLICY_MSG_ENCRYPTION \
	"Encryption required by host policy: set this ID server's key " \
	"in the client"
/* While a click is awaited: the client shows "waiting for the remote
 * side to accept" (clients >= 1.2.0, spec §6.6 step 6). */
#define POLICY_MSG_WAIT_CLICK "No Password Access"

#define POLICY_ID_MAX 255    /* longest peer ID / glob pattern, bytes */
#define POLICY_CIDR_MAX 64   /* longest CIDR text */
#define POLICY_WINDOW_MAX 64 /* longest schedule window text */
#define POLICY_RULE_MAX 192  /* decision.rule, with the NUL */
#define POLICY_REASON_MAX 384
#define POLICY_ERR_MAX 192   /* parser error messages */

enum policy_verdict {
	POLICY_DENY = 0,
	POLICY_ALLOW, /* no local click needed */
	POLICY_ASK,   /* allowed once the local user clicks Allow */
};

enum policy_stage {
	POLICY_STAGE_CONNECT, /* after the handshake, before Hash (§6.1) */
	POLICY_STAGE_LOGIN,   /* at the LoginRequest: ID and kind known */
};

enum policy_path {
	POLICY_PATH_RENDEZVOUS, /* punch, LAN or relay: secure handshake */
	POLICY_PATH_DIRECT_IP,  /* direct_access listener: plaintext */
};

/* LoginRequest.union (§6.5); DESKTOP when absent. */
enum policy_kind {
	POLICY_KIND_DESKTOP,
	POLICY_KIND_FILE_TRANSFER,
	POLICY_KIND_TERMINAL,
	POLICY_KIND_PORT_FORWARD,
	POLICY_KIND_CAMERA,
	POLICY_KIND_COUNT_
};

enum policy_approve {
	POLICY_APPROVE_PASSWORD,
	POLICY_APPROVE_CLICK,
	POLICY_APPROVE_PASSWORD_OR_CLICK,
	POLICY_APPROVE_PASSWORD_AND_CLICK,
};

enum policy_verification {
	POLICY_VERIFY_PERMANENT,
	POLICY_VERIFY_ONE_TIME,
	POLICY_VERIFY_BOTH,
};

/* policy.consent.when_user_present / when_no_user. */
enum policy_consent_rule {
	POLICY_CONSENT_ASK,
	POLICY_CONSENT_ALLOW,
	POLICY_CONSENT_DENY,
};

/* What the client must provide to get in. */
enum policy_auth {
	POLICY_AUTH_NONE, /* refused */
	POLICY_AUTH_PASSWORD,
	POLICY_AUTH_CLICK,
	POLICY_AUTH_PASSWORD_OR_CLICK,
	POLICY_AUTH_PASSWORD_AND_CLICK,
};

/*
 * Permission bits. Bits 0..8 are the PermissionInfo.permission enum values
 * of spec §13.2 (bit n = enum value n), so a session sends
 * PermissionInfo{permission = n, enabled = false} for every n in
 * POLICY_PERM_INFO_MASK that is not granted. The higher bits gate session
 * kinds that have no PermissionInfo value.
 */
#define POLICY_PERM_KEYBOARD (1u << 0)
#define POLICY_PERM_CLIPBOARD (1u << 2)
#define POLICY_PERM_AUDIO (1u << 3)
#define POLICY_PERM_FILE (1u << 4)
#define POLICY_PERM_RESTART (1u << 5)
#define POLICY_PERM_RECORDING (1u << 6)
#define POLICY_PERM_BLOCK_INPUT (1u << 7)
#define POLICY_PERM_PRIVACY_MODE (1u << 8)
#define POLICY_PERM_TERMINAL (1u << 16)
#define POLICY_PERM_PORT_FORWARD (1u << 17)
#define POLICY_PERM_CAMERA (1u << 18)
/* A session's grant by direction (the daemon derives them from
 * policy.allow; the policy rules grant CLIPBOARD and FILE as a whole). */
#define POLICY_PERM_CLIP_TO_HOST (1u << 19)
#define POLICY_PERM_CLIP_TO_CLIENT (1u << 20)
#define POLICY_PERM_FILE_DOWNLOAD (1u << 21) /* host -> client */
#define POLICY_PERM_FILE_UPLOAD (1u << 22)   /* client -> host */
#define POLICY_PERM_INFO_MASK 0x1fdu /* 0, 2..8 */
#define POLICY_PERM_ALL (POLICY_PERM_INFO_MASK | POLICY_PERM_TERMINAL | \
	POLICY_PERM_PORT_FORWARD | POLICY_PERM_CAMERA)

/* An IPv4 or IPv6 network. IPv4-mapped IPv6 networks (::ffff:0:0/96 and
 * longer) are stored as IPv4, as are IPv4-mapped sources when matched. */
struct policy_cidr {
	uint8_t family; /* 4 or 6 */
	uint8_t prefix; /* 0..32 or 0..128 */
	uint8_t addr[16];
};

/* A schedule window: days (bit d = tm_wday d, 0 = Sunday) and minutes of
 * the day [start, end). end < start is an overnight window: it opens on
 * the listed days at start and closes the next day at end. */
struct policy_window {
	uint8_t days;
	uint16_t start; /* 0..1439 */
	uint16_t end;   /* 0..1440 */
};

/* One configured list item: the text as written (for rule names) and
 * its parsed form. */
struct policy_item {
	char *text;
	union {
		struct policy_cidr cidr;
		struct policy_window window;
	} u;
};

struct policy_list {
	struct policy_item *v;
	size_t n;
};

/*
 * The rules. Create with policy_rules_new() (every field at the default
 * documented in conf-keys.h), set the scalar fields, add list items with
 * policy_rules_add_*(); after that treat it as immutable: it may then be
 * shared by any number of sessions and threads (ref/unref are atomic).
 */
struct policy_rules {
	/* access. */
	enum policy_approve approve;
	enum policy_verification verification;
	/* security. / direct_access. */
	bool require_encryption;
	bool direct_enabled;
	struct policy_list direct_allow_from; /* CIDRs; empty = none */
	/* policy.consent. */
	enum policy_consent_rule when_user_present; /* ask|allow|deny */
	enum policy_consent_rule when_no_user;      /* allow|deny */
	uint32_t consent_timeout_s;
	/* policy.allow.*: POLICY_PERM_* bits the admin allows. */
	uint32_t allow;
	/* Features this build implements (POLICY_PERM_* bits); the glue sets
	 * them. Allowed but unimplemented features are refused. */
	uint32_t implemented;
	/* policy.peers. */
	struct policy_list allow_ids; /* lower-cased globs; empty = any */
	struct policy_list deny_ids;
	struct policy_list allow_from; /* CIDRs; empty = any */
	/* policy.schedule: windows; always when empty or when they cover
	 * the whole week (e.g. an item "*"). */
	struct policy_list schedule;
	uint8_t week[7 * 1440 / 8]; /* compiled: bit = minute of the week,
				       0 = Sunday 00:00 */
	/* policy.limits. max_sessions counts authorized sessions (0 refuses
	 * every session); 0 = unlimited for the durations. */
	uint32_t max_sessions;
	uint32_t max_duration_s;
	uint32_t idle_timeout_s;
	/* private */
	atomic_uint refs;
};

/* Allocates rules holding the defaults (refs 1), or NULL. */
struct policy_rules *policy_rules_new(void);
struct policy_rules *policy_rules_ref(struct policy_rules *self);
/* Drops a reference; frees on the last. NULL is a no-op. */
void policy_rules_unref(struct policy_rules *self);

enum policy_list_id {
	POLICY_LIST_DIRECT_ALLOW_FROM,
	POLICY_LIST_ALLOW_FROM,
	POLICY_LIST_ALLOW_IDS,
	POLICY_LIST_DENY_IDS,
	POLICY_LIST_SCHEDULE,
};

/* Empties one list (e.g. to replace the default direct_allow_from). */
void policy_rules_clear(struct policy_rules *self, enum policy_list_id list);

/* The configuration key a list comes from ("policy.peers.allow_ids"). */
const char *policy_list_name(enum policy_list_id id);

/*
 * Parses text with the parser that list needs (CIDR, glob or schedule
 * window) and appends it. Returns 0; OP_ERR_CONFIG with err (a sentence
 * completing "'<key>' item ...", never echoing more than 40 bytes of text)
 * for a malformed item; OP_ERR_NOMEM. err may be NULL.
 */
int policy_rules_add(struct policy_rules *self, enum policy_list_id list,
	const char *text, char *err, size_t errsz);

/* ---- Parsers and matchers (pure; hostile input is refused, bounded) ---- */

/* "a.b.c.d[/n]" or "v6[/n]"; without /n the whole address. Host bits
 * after the prefix must be zero. Returns 0 or OP_ERR_CONFIG (err set). */
int policy_cidr_parse(const char *s, struct policy_cidr *out, char *err,
	size_t errsz);
/* Whether sa (AF_INET or AF_INET6; NULL or others never match) is in c. */
bool policy_cidr_match(const struct policy_cidr *c, const struct sockaddr *sa);
/* Canonical text ("10.0.0.0/8") into buf (>= 50 bytes). */
void policy_cidr_format(const struct policy_cidr *c, char *buf,
	size_t bufsz);

/* A glob of 1..POLICY_ID_MAX printable ASCII bytes other than space,
 * '[', ']' and '\': '*' any run, '?' one byte. 0 or OP_ERR_CONFIG. */
int policy_glob_check(const char *pattern, char *err, size_t errsz);
/* ASCII case-insensitive match of the whole of s (O(len(p) * len(s))). */
bool policy_glob_match(const char *pattern, const char *s);
/* RustDesk's ID rule (§6.6 step 3): pattern matches my_id, or the part of
 * my_id before the first '@'. */
bool policy_id_match(const char *pattern, const char *my_id);

/* "Mon-Fri 08:00-18:00", "Sat 10:00-12:00", "Sat,Sun", "22:00-06:00",
 * "Fri-Mon 22:00-06:00", "*" (always; out gets every day, 00:00-24:00).
 * Days are Mon..Sun, case-insensitive, ranges may wrap. Returns 0 or
 * OP_ERR_CONFIG. */
int policy_window_parse(const char *s, struct policy_window *out, char *err,
	size_t errsz);
/* Whether the window covers minute (0..1439) of weekday wday (0..6). */
bool policy_window_match(const struct policy_window *w, int wday,
	int minute);

/* ---- Decisions ---- */

struct policy_request {
	enum policy_stage stage;
	const char *peer_id;   /* LoginRequest.my_id; ignored at CONNECT */
	const char *peer_name; /* my_name; only for messages; may be NULL */
	const struct sockaddr *source; /* NULL = unknown (fails CIDR rules) */
	enum policy_path path;
	bool encrypted;        /* the §5 key exchange completed */
	enum policy_kind kind; /* ignored at CONNECT */
	/* Wall clock in policy.schedule_timezone; tm_wday, tm_hour, tm_min
	 * and tm_sec are used. */
	struct tm local;
	bool user_present;        /* an active graphical session exists */
	unsigned active_sessions; /* authorized sessions, not this one */
};

struct policy_consent {
	enum policy_verdict verdict; /* ASK: prompt, silence = deny */
	enum policy_auth auth;
	uint32_t timeout_s;          /* for ASK */
	char rule[POLICY_RULE_MAX];  /* e.g. "policy.consent.when_no_user" */
	const char *reason;          /* static, human */
};

struct policy_decision {
	enum policy_verdict verdict;
	/* DENY: the LoginResponse.error to send (static); else NULL. */
	const char *error;
	/* The rule that decided, e.g. "policy.peers.deny_ids[2] 'evil*'". */
	char rule[POLICY_RULE_MAX];
	/* Why, in a sentence, with the rules that matched on the way. */
	char reason[POLICY_REASON_MAX];
	uint32_t perms;                 /* granted POLICY_PERM_* bits */
	struct policy_consent consent;  /* for ALLOW and ASK */
	uint32_t max_duration_s;        /* 0 = unlimited */
	uint32_t idle_timeout_s;        /* 0 = none */
	/* Seconds until the schedule window that admitted the session
	 * closes, when the session is then to be ended; 0 = never. */
	uint32_t window_left_s;
};

/* Decides req under rules (see the order at the top). Always writes *out;
 * never fails. */
void policy_decide(const struct policy_rules *rules,
	const struct policy_request *req, struct policy_decision *out);

/*
 * The consent part alone. Semantics (access.approve x user present):
 *   password:            user present: when_user_present ask -> password
 *                        then click (ASK), allow -> password (ALLOW),
 *                        deny -> DENY; no user: when_no_user allow ->
 *                        password, deny -> DENY.
 *   click:               user present and not deny -> click (ASK); no
 *                        user -> DENY (nobody can click).
 *   password-or-click:   user present: ask -> click (ASK: consent is
 *                        required, so the click decides), allow ->
 *                        password or click (ASK); no user: as password.
 *   password-and-click:  user present and not deny -> both (ASK); no
 *                        user -> DENY (both factors are required).
 * No answer within timeout_s is a denial: consent is never assumed.
 */
void policy_consent(const struct policy_rules *rules, bool user_present,
	struct policy_consent *out);

/* The POLICY_PERM_* bits granted to a session of kind (allowed, built and
 * meaningful for that kind; block-input needs keyboard). */
uint32_t policy_permissions(const struct policy_rules *rules,
	enum policy_kind kind);

/* Names for messages and the CLI (static strings). */
const char *policy_verdict_name(enum policy_verdict v);
const char *policy_kind_name(enum policy_kind k);
const char *policy_auth_name(enum policy_auth a);
/* Name of one POLICY_PERM_* bit ("keyboard"), or NULL. */
const char *policy_perm_name(uint32_t bit);
/* Space-separated names of the bits in perms ("-" for none) into buf. */
void policy_perms_format(uint32_t perms, char *buf, size_t bufsz);

#endif
