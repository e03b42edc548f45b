/* SPDX-License-Identifier: MIT */
/* Known answers computed independently with Python's hashlib and nacl. */
#include <stdlib.h>

#include <sodium.h>

#include "core/err.h"
#include "crypto/identity.h"
#include "crypto/password.h"
#include "th.h"

static void
hex(const char *h, uint8_t *out, size_t n)
{
	size_t bin_len = 0;

	sodium_hex2bin(out, n, h, strlen(h), NULL, &bin_len, NULL);
}

static void
test_h1_and_proof(void)
{
	uint8_t h1[32], want[32], proof[32];

	password_h1("hunter2", 7, "23456789abcdefghijkmnpqrstuvwxyz", h1);
	hex("12531296378bc31d6a82b1da83bc91b7e62889fa50141db01cc1606bc63dc8ca",
		want, 32);
	ASSERT_MEM_EQ(h1, want, 32);
	hex("eeb0feeb66ccecb6f81de067208af7210b254225041dc58004ffefadc007260f",
		proof, 32);
	ASSERT(password_proof_ok(h1, "abc234", proof, 32));
	ASSERT(!password_proof_ok(h1, "abc235", proof, 32));
	ASSERT(!password_proof_ok(h1, "abc234", proof, 31));
	ASSERT(!password_proof_ok(h1, "abc234", proof, 0));
	proof[31] ^= 1;
	ASSERT(!password_proof_ok(h1, "abc234", proof, 32));
}

static void
test_random_strings(void)
{
	char salt[PASSWORD_SALT_LEN + 1], salt2[PASSWORD_SALT_LEN + 1];
	char ch[PASSWORD_CHALLENGE_LEN + 1];
	char otp[OTP_MAX_LEN + 1];

	password_gen_salt(salt);
	password_gen_salt(salt2);
	ASSERT_INT_EQ(strlen(salt), 32);
	ASSERT(strcmp(salt, salt2) != 0);
	ASSERT_INT_EQ(strspn(salt, "23456789abcdefghijkmnpqrstuvwxyz"), 32);
	password_gen_challenge(ch);
	ASSERT_INT_EQ(strlen(ch), 6);
	ASSERT_INT_EQ(password_gen_otp(OTP_DIGITS, 8, otp, sizeof(otp)), 0);
	ASSERT_INT_EQ(strspn(otp, "0123456789"), 8);
	ASSERT_INT_EQ(password_gen_otp(OTP_SAFE32, 5, otp, sizeof(otp)),
		OP_ERR_RANGE);
	ASSERT_INT_EQ(password_gen_otp(OTP_SAFE32, 33, otp, sizeof(otp)),
		OP_ERR_RANGE);
	ASSERT_INT_EQ(password_gen_otp(OTP_SAFE32, 10, otp, 10), OP_ERR_RANGE);
	/* The default (10 x safe32) must have at least 40 bits. */
	ASSERT(otp_entropy_bits(OTP_SAFE32, 10) >= 50.0 - 1e-9);
}

static void
test_password_text(void)
{
	ASSERT_INT_EQ(password_check_text("", 0), OP_ERR_RANGE);
	ASSERT_INT_EQ(password_check_text("pässwörd", strlen("pässwörd")), 0);
	ASSERT_INT_EQ(password_check_text("a\nb", 3), OP_ERR_PROTO);
	ASSERT_INT_EQ(password_check_text("\xff\xfe", 2), OP_ERR_PROTO);
	ASSERT_INT_EQ(password_check_text("\xc3", 1), OP_ERR_PROTO);
	{
		char big[PASSWORD_MAX_LEN + 1];

		memset(big, 'a', sizeof(big));
		ASSERT_INT_EQ(password_check_text(big, sizeof(big)),
			OP_ERR_RANGE);
		ASSERT_INT_EQ(password_check_text(big, sizeof(big) - 1), 0);
	}
}

static void
test_identity_roundtrip(void)
{
	struct identity_key k, k2;
	char b64[IDENTITY_SK_B64_LEN];
	uint8_t msg[3] = { 1, 2, 3 };
	uint8_t signed_msg[IDENTITY_SIG_LEN + 3];
	uint8_t opened[3];
	unsigned long long olen = 0;

	identity_generate(&k);
	identity_encode(&k, b64);
	ASSERT_INT_EQ(strlen(b64), 88);
	ASSERT_INT_EQ(identity_decode(b64, strlen(b64), &k2), 0);
	ASSERT_MEM_EQ(k.pk, k2.pk, 32);
	ASSERT_MEM_EQ(k.sk, k2.sk, 64);
	identity_sign_combined(&k, msg, 3, signed_msg);
	ASSERT_INT_EQ(crypto_sign_open(opened, &olen, signed_msg,
			      sizeof(signed_msg), k.pk),
		0);
	ASSERT_U64_EQ(olen, 3);
	ASSERT_MEM_EQ(opened, msg, 3);
	/* A spliced key (pk half from another key) is caught. */
	{
		struct identity_key other;
		char bad[IDENTITY_SK_B64_LEN];

		identity_generate(&other);
		memcpy(k.sk + 32, other.pk, 32);
		identity_encode(&k, bad);
		ASSERT_INT_EQ(identity_decode(bad, strlen(bad), &k2),
			OP_ERR_CRYPTO);
	}
	ASSERT_INT_EQ(identity_decode("abc", 3, &k2), OP_ERR_PROTO);
	ASSERT_INT_EQ(identity_decode(b64, 40, &k2), OP_ERR_PROTO);
}

int
main(void)
{
	if (identity_crypto_init() != 0)
		return 1;
	RUN(test_h1_and_proof);
	RUN(test_random_strings);
	RUN(test_password_text);
	RUN(test_identity_roundtrip);
	return th_done();
}
