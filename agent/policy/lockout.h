/* SPDX-License-Identifier: MIT */
/*
 * Brute-force limiter for password logins (beyond spec §6.9): failures
 * are counted per source address, per IPv6 /64 (an attacker holds a
 * whole /64), per claimed peer ID and globally. A key with `failures`
 * failures inside one `window` (a fixed window opened by its first
 * failure) is locked for `duration`; `global_per_minute` failures from
 * everyone inside one minute lock every login for a minute. Every
 * `otp_rotate_after` failures (counted across all sources, never reset by
 * a success) the caller is told to rotate the one-time password.
 *
 * The table has a fixed capacity chosen at creation: a spray of sources
 * evicts the least recently failed keys, preferring keys that are not
 * locked, so memory stays bounded. The hash is keyed (SipHash-2-4 with a
 * caller-supplied seed), so chosen addresses cannot make lookups slow.
 *
 * Pure: no clock (now_ms is passed in, monotonic milliseconds), no I/O;
 * one table is used from one thread (the loop).
 */
#ifndef OP_POLICY_LOCKOUT_H
#define OP_POLICY_LOCKOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;
struct lockout;

/* Stock LoginResponse errors (spec §6.8) answered while locked. */
#define LOCKOUT_MSG_LOCKED "Too many wrong attempts"
#define LOCKOUT_MSG_LOCKED_V6 "Too many wrong attempts for IPv6 prefix /64"
#define LOCKOUT_MSG_GLOBAL "Please try 1 minute later"

#define LOCKOUT_KEY_MAX 64 /* bytes of a peer ID that are kept */
#define LOCKOUT_GLOBAL_MS 60000u

struct lockout_conf {
	uint32_t failures;          /* per key per window; >= 1 */
	uint64_t window_ms;         /* >= 1 */
	uint64_t duration_ms;       /* lock length */
	uint32_t global_per_minute; /* 0 = no global cap */
	uint32_t otp_rotate_after;  /* 0 = never signal */
};

enum lockout_scope {
	LOCKOUT_NONE,
	LOCKOUT_SOURCE,   /* one address */
	LOCKOUT_PREFIX64, /* an IPv6 /64 */
	LOCKOUT_PEER_ID,  /* a claimed peer ID (lower-cased) */
	LOCKOUT_GLOBAL,   /* every login */
};

/* One locked key: for the answer to the client and for the audit. */
struct lockout_hit {
	enum lockout_scope scope;
	uint64_t until_ms;
	const char *error;  /* static LOCKOUT_MSG_* */
	char key[LOCKOUT_KEY_MAX * 4 + 8]; /* "10.0.0.1", "2001:db8::/64",
					      "id 123456789" (escaped) */
};

struct lockout_result {
	unsigned nlocked;               /* keys that became locked now */
	struct lockout_hit locked[4];
	bool rotate_otp;                /* rotate the one-time password */
	uint32_t worst;                 /* highest failure count of a key */
};

/*
 * Creates a table for capacity keys (>= 16; rounded up internally for the
 * hash index), with seed keying the hash (use random bytes). Returns NULL
 * on allocation failure. This is the only allocation: the table never
 * grows.
 */
struct lockout *lockout_new(const struct lockout_conf *conf, size_t capacity,
	const uint8_t seed[static 16]);
void lockout_free(struct lockout *self);

/* Applies new limits (on reload); counters and locks are kept. */
void lockout_set_conf(struct lockout *self, const struct lockout_conf *conf);

/*
 * Before checking a password: returns true and fills *hit (may be NULL)
 * with the lock that ends last if the attempt must not be evaluated (the
 * client gets hit->error, the connection may stay open, §6.9). src may be
 * NULL (then only the ID and the global lock apply), peer_id NULL or "".
 */
bool lockout_check(const struct lockout *self, const struct sockaddr *src,
	const char *peer_id, uint64_t now_ms, struct lockout_hit *hit);

/* Records one failed password. *out lists the keys that became locked by
 * it (audit each) and whether to rotate the one-time password. */
void lockout_fail(struct lockout *self, const struct sockaddr *src,
	const char *peer_id, uint64_t now_ms, struct lockout_result *out);

/* A successful login clears the counters of src, its /64 and peer_id (not
 * the global count or the OTP count). */
void lockout_success(struct lockout *self, const struct sockaddr *src,
	const char *peer_id);

/* Keys in use (<= lockout_capacity) and the capacity. */
size_t lockout_count(const struct lockout *self);
size_t lockout_capacity(const struct lockout *self);

const char *lockout_scope_name(enum lockout_scope s);

#endif
