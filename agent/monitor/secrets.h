/* SPDX-License-Identifier: MIT */
/*
 * What the host's secrets are used for in a login (spec §5.1, §6.3),
 * as pure functions of the secrets: signing our IdPk with the identity
 * key, and checking a password proof against the one-time and the
 * permanent password. The monitor calls them on the secrets it alone
 * holds; the network process asks it for the results (monitor.h), and
 * tests and fuzzers without a monitor call them directly.
 */
#ifndef OP_MONITOR_SECRETS_H
#define OP_MONITOR_SECRETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/identity.h"
#include "crypto/password.h"

/* IDENTITY_SIG_LEN + IdPk{id <= 16 chars, pk 32 bytes}, with room. */
#define SECRETS_SIGNED_ID_MAX 160
#define SECRETS_BOX_PK_LEN 32

/* What a password check may accept (security.verification). */
#define SECRETS_ALLOW_OTP 1u
#define SECRETS_ALLOW_PERMANENT 2u

enum secrets_method {
	SECRETS_NONE,
	SECRETS_OTP,       /* the one-time password */
	SECRETS_PERMANENT, /* the permanent password */
};

/* The password secrets: the salt is public (sent in Hash), h1 and the
 * one-time password are not. */
struct secrets_creds {
	char salt[PASSWORD_SALT_LEN + 1];
	bool has_h1;
	uint8_t h1[PASSWORD_H1_LEN];
	char otp[OTP_MAX_LEN + 1]; /* "" = none */
};

/*
 * SignedId.id (§5.1): IdPk{id, box_pk} signed in combined mode. id is our
 * ID (1..STATE_ID_MAX chars). Returns the length written to out, or
 * OP_ERR_RANGE when it does not fit cap.
 */
int secrets_signed_id(const struct identity_key *key, const char *id,
	const uint8_t box_pk[static SECRETS_BOX_PK_LEN], uint8_t *out,
	size_t cap);

/*
 * Checks proof (LoginRequest.password) for challenge, against the
 * one-time password, then the permanent one (§6.3), each only when allow
 * (SECRETS_ALLOW_*) says so. Constant time in the proof's content.
 */
enum secrets_method secrets_check_proof(const struct secrets_creds *c,
	const char challenge[static PASSWORD_CHALLENGE_LEN + 1],
	const uint8_t *proof, size_t len, unsigned allow);

/* "one-time-password", "permanent-password" (the audit's method names),
 * or NULL for SECRETS_NONE. */
const char *secrets_method_name(enum secrets_method m);

#endif
