/* SPDX-License-Identifier: MIT */
/*
 * Password derivations and random secrets. Never logs, never keeps copies:
 * every intermediate digest is wiped before return.
 */
#include "crypto/password.h"

#include <math.h>
#include <string.h>

#include <sodium.h>

#include "core/err.h"

static const char safe32[] = "23456789abcdefghijkmnpqrstuvwxyz";
static const char digits[] = "0123456789";
static const char alnum[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static const char *
charset_chars(enum otp_charset cs, size_t *n)
{
	switch (cs) {
	case OTP_DIGITS:
		*n = sizeof(digits) - 1;
		return digits;
	case OTP_ALNUM:
		*n = sizeof(alnum) - 1;
		return alnum;
	default:
		*n = sizeof(safe32) - 1;
		return safe32;
	}
}

int
otp_charset_parse(const char *s, enum otp_charset *out)
{
	if (strcmp(s, "safe32") == 0)
		*out = OTP_SAFE32;
	else if (strcmp(s, "digits") == 0)
		*out = OTP_DIGITS;
	else if (strcmp(s, "alnum") == 0)
		*out = OTP_ALNUM;
	else
		return OP_ERR_CONFIG;
	return 0;
}

double
otp_entropy_bits(enum otp_charset cs, size_t len)
{
	size_t n;

	charset_chars(cs, &n);
	return (double)len * log2((double)n);
}

static void
random_chars(const char *set, size_t n, char *out, size_t len)
{
	for (size_t i = 0; i < len; i++)
		out[i] = set[randombytes_uniform((uint32_t)n)];
	out[len] = '\0';
}

void
password_gen_salt(char out[static PASSWORD_SALT_LEN + 1])
{
	random_chars(safe32, sizeof(safe32) - 1, out, PASSWORD_SALT_LEN);
}

void
password_gen_challenge(char out[static PASSWORD_CHALLENGE_LEN + 1])
{
	random_chars(safe32, sizeof(safe32) - 1, out, PASSWORD_CHALLENGE_LEN);
}

int
password_gen_otp(enum otp_charset cs, size_t len, char *out, size_t out_size)
{
	const char *set;
	size_t n;

	if (len < OTP_MIN_LEN || len > OTP_MAX_LEN || out_size < len + 1)
		return OP_ERR_RANGE;
	set = charset_chars(cs, &n);
	random_chars(set, n, out, len);
	return 0;
}

void
password_h1(const char *password, size_t len, const char *salt,
	uint8_t out[static PASSWORD_H1_LEN])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)password, len);
	crypto_hash_sha256_update(&st, (const uint8_t *)salt, strlen(salt));
	crypto_hash_sha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

bool
password_proof_ok(const uint8_t h1[static PASSWORD_H1_LEN],
	const char *challenge, const uint8_t *proof, size_t proof_len)
{
	crypto_hash_sha256_state st;
	uint8_t want[PASSWORD_PROOF_LEN];
	bool ok;

	if (proof_len != PASSWORD_PROOF_LEN)
		return false;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, h1, PASSWORD_H1_LEN);
	crypto_hash_sha256_update(&st, (const uint8_t *)challenge,
		strlen(challenge));
	crypto_hash_sha256_final(&st, want);
	ok = sodium_memcmp(want, proof, PASSWORD_PROOF_LEN) == 0;
	sodium_memzero(want, sizeof(want));
	sodium_memzero(&st, sizeof(st));
	return ok;
}

int
password_check_text(const char *pw, size_t len)
{
	size_t i = 0;

	if (len == 0 || len > PASSWORD_MAX_LEN)
		return OP_ERR_RANGE;
	while (i < len) {
		unsigned char c = (unsigned char)pw[i];
		size_t n;

		if (c < 0x20 || c == 0x7f)
			return OP_ERR_PROTO;
		if (c < 0x80)
			n = 1;
		else if ((c & 0xe0) == 0xc0 && c >= 0xc2)
			n = 2;
		else if ((c & 0xf0) == 0xe0)
			n = 3;
		else if ((c & 0xf8) == 0xf0 && c <= 0xf4)
			n = 4;
		else
			return OP_ERR_PROTO;
		if (n > len - i)
			return OP_ERR_PROTO;
		for (size_t k = 1; k < n; k++)
			if (((unsigned char)pw[i + k] & 0xc0) != 0x80)
				return OP_ERR_PROTO;
		i += n;
	}
	return 0;
}
