/* SPDX-License-Identifier: MIT */
/*
 * The host's long-term Ed25519 identity (spec §2.3): generated once,
 * registered with hbbs (RegisterPk.pk) and used to sign the per-connection
 * SignedId (§5.3). Pure: no file I/O (the store module persists it).
 */
#ifndef OP_CRYPTO_IDENTITY_H
#define OP_CRYPTO_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#define IDENTITY_PK_LEN 32
#define IDENTITY_SK_LEN 64 /* libsodium form: seed || pk */
#define IDENTITY_SIG_LEN 64
/* base64 (original, padded) of the 64-byte secret key, plus NUL */
#define IDENTITY_SK_B64_LEN 89

struct identity_key {
	uint8_t pk[IDENTITY_PK_LEN];
	uint8_t sk[IDENTITY_SK_LEN];
};

/* Initialises libsodium; returns 0 or OP_ERR_CRYPTO. Call once at start. */
int identity_crypto_init(void);

/* Fills *out with a fresh keypair from the CSPRNG. */
void identity_generate(struct identity_key *out);

/* Wipes the key. */
void identity_wipe(struct identity_key *key);

/*
 * Encodes the secret key as base64 into out (NUL-terminated). The public
 * key is derivable from it, so this is the whole identity.
 */
void identity_encode(const struct identity_key *key,
	char out[static IDENTITY_SK_B64_LEN]);

/*
 * Decodes text written by identity_encode (surrounding whitespace allowed)
 * and checks that the embedded public key matches the seed. Returns 0,
 * OP_ERR_PROTO (not base64 / wrong length) or OP_ERR_CRYPTO (inconsistent
 * key). *out is wiped on failure.
 */
int identity_decode(const char *text, size_t len, struct identity_key *out);

/*
 * Signs msg in combined mode (64-byte signature || msg), as RustDesk's
 * SignedId and IdPk require. out must hold IDENTITY_SIG_LEN + len bytes.
 */
void identity_sign_combined(const struct identity_key *key,
	const uint8_t *msg, size_t len, uint8_t *out);

/* Base64 of the public key (44 chars + NUL), as admins see it. */
void identity_pk_base64(const struct identity_key *key, char out[static 45]);

#endif
