/* SPDX-License-Identifier: MIT */
/*
 * Ed25519 identity key handling with libsodium. Never writes key material
 * anywhere but the caller's buffers, and wipes what it decodes on error.
 */
#include "crypto/identity.h"

#include <string.h>

#include <sodium.h>

#include "core/err.h"

int
identity_crypto_init(void)
{
	return sodium_init() < 0 ? OP_ERR_CRYPTO : 0;
}

void
identity_generate(struct identity_key *out)
{
	crypto_sign_keypair(out->pk, out->sk);
}

void
identity_wipe(struct identity_key *key)
{
	sodium_memzero(key, sizeof(*key));
}

void
identity_encode(const struct identity_key *key,
	char out[static IDENTITY_SK_B64_LEN])
{
	sodium_bin2base64(out, IDENTITY_SK_B64_LEN, key->sk, sizeof(key->sk),
		sodium_base64_VARIANT_ORIGINAL);
}

int
identity_decode(const char *text, size_t len, struct identity_key *out)
{
	uint8_t derived[IDENTITY_PK_LEN];
	size_t bin_len = 0;
	const char *end = NULL;

	memset(out, 0, sizeof(*out));
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
				  text[len - 1] == ' '))
		len--;
	if (sodium_base642bin(out->sk, sizeof(out->sk), text, len, NULL,
		    &bin_len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
		bin_len != IDENTITY_SK_LEN || end != text + len) {
		identity_wipe(out);
		return OP_ERR_PROTO;
	}
	crypto_sign_ed25519_sk_to_pk(out->pk, out->sk);
	/* Recompute from the seed to catch a corrupted or spliced file. */
	{
		uint8_t pk2[IDENTITY_PK_LEN];
		uint8_t sk2[IDENTITY_SK_LEN];

		crypto_sign_seed_keypair(pk2, sk2, out->sk);
		memcpy(derived, pk2, sizeof(derived));
		sodium_memzero(sk2, sizeof(sk2));
	}
	if (sodium_memcmp(derived, out->pk, sizeof(derived)) != 0) {
		identity_wipe(out);
		return OP_ERR_CRYPTO;
	}
	return 0;
}

void
identity_sign_combined(const struct identity_key *key, const uint8_t *msg,
	size_t len, uint8_t *out)
{
	crypto_sign(out, NULL, msg, len, key->sk);
}

void
identity_pk_base64(const struct identity_key *key, char out[static 45])
{
	sodium_bin2base64(out, 45, key->pk, sizeof(key->pk),
		sodium_base64_VARIANT_ORIGINAL);
}
