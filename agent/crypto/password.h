/* SPDX-License-Identifier: MIT */
/*
 * Passwords as RustDesk's login needs them (spec §6.2-§6.4): the salt,
 * h1 = SHA-256(password || salt), the per-connection challenge, proof
 * checking, and one-time passwords. Pure; constant-time comparisons.
 * h1 is password-equivalent for the protocol: callers store it 0600.
 */
#ifndef OP_CRYPTO_PASSWORD_H
#define OP_CRYPTO_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PASSWORD_SALT_LEN 32
#define PASSWORD_CHALLENGE_LEN 6
#define PASSWORD_H1_LEN 32
#define PASSWORD_PROOF_LEN 32
#define PASSWORD_MAX_LEN 128 /* longer input is refused, not truncated */
#define OTP_MIN_LEN 6
#define OTP_MAX_LEN 32

enum otp_charset {
	OTP_SAFE32, /* 23456789abcdefghijkmnpqrstuvwxyz: RustDesk's alphabet */
	OTP_DIGITS,
	OTP_ALNUM, /* A-Z a-z 0-9 */
};

/* Parses "safe32|digits|alnum"; returns 0 or OP_ERR_CONFIG. */
int otp_charset_parse(const char *s, enum otp_charset *out);

/* Bits of entropy of a password of len symbols from charset. */
double otp_entropy_bits(enum otp_charset cs, size_t len);

/* Writes PASSWORD_SALT_LEN random safe32 characters and a NUL. */
void password_gen_salt(char out[static PASSWORD_SALT_LEN + 1]);

/* Writes PASSWORD_CHALLENGE_LEN random safe32 characters and a NUL. */
void password_gen_challenge(char out[static PASSWORD_CHALLENGE_LEN + 1]);

/*
 * Writes len (OTP_MIN_LEN..OTP_MAX_LEN) random characters of charset and
 * a NUL into out (size >= len + 1), uniformly from the CSPRNG. Returns 0
 * or OP_ERR_RANGE.
 */
int password_gen_otp(enum otp_charset cs, size_t len, char *out,
	size_t out_size);

/* h1 = SHA-256(password || salt). */
void password_h1(const char *password, size_t len, const char *salt,
	uint8_t out[static PASSWORD_H1_LEN]);

/*
 * True when proof (proof_len bytes, from LoginRequest.password) equals
 * SHA-256(h1 || challenge). Constant time in the proof's content.
 */
bool password_proof_ok(const uint8_t h1[static PASSWORD_H1_LEN],
	const char *challenge, const uint8_t *proof, size_t proof_len);

/*
 * Checks a candidate permanent password's text: 1..PASSWORD_MAX_LEN bytes,
 * valid UTF-8, no control characters. Returns 0, OP_ERR_RANGE or
 * OP_ERR_PROTO.
 */
int password_check_text(const char *pw, size_t len);

#endif
