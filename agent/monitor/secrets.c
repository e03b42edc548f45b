/* SPDX-License-Identifier: MIT */
#include "monitor/secrets.h"

#include <string.h>

#include <sodium.h>

#include "core/err.h"
#include "message.pb-c.h"

int
secrets_signed_id(const struct identity_key *key, const char *id,
	const uint8_t box_pk[static SECRETS_BOX_PK_LEN], uint8_t *out,
	size_t cap)
{
	Hbb__IdPk idpk = HBB__ID_PK__INIT;
	uint8_t raw[SECRETS_SIGNED_ID_MAX];
	size_t len;

	idpk.id = (char *)id;
	idpk.pk.data = (uint8_t *)box_pk;
	idpk.pk.len = SECRETS_BOX_PK_LEN;
	len = hbb__id_pk__get_packed_size(&idpk);
	if (len > sizeof(raw) || IDENTITY_SIG_LEN + len > cap)
		return OP_ERR_RANGE;
	hbb__id_pk__pack(&idpk, raw);
	identity_sign_combined(key, raw, len, out);
	return (int)(IDENTITY_SIG_LEN + len);
}

enum secrets_method
secrets_check_proof(const struct secrets_creds *c,
	const char challenge[static PASSWORD_CHALLENGE_LEN + 1],
	const uint8_t *proof, size_t len, unsigned allow)
{
	enum secrets_method m = SECRETS_NONE;
	uint8_t h1[PASSWORD_H1_LEN];

	if ((allow & SECRETS_ALLOW_OTP) && c->otp[0] != '\0') {
		password_h1(c->otp, strlen(c->otp), c->salt, h1);
		if (password_proof_ok(h1, challenge, proof, len))
			m = SECRETS_OTP;
		sodium_memzero(h1, sizeof(h1));
	}
	if (m == SECRETS_NONE && (allow & SECRETS_ALLOW_PERMANENT) &&
		c->has_h1 && password_proof_ok(c->h1, challenge, proof, len))
		m = SECRETS_PERMANENT;
	return m;
}

const char *
secrets_method_name(enum secrets_method m)
{
	switch (m) {
	case SECRETS_OTP:
		return "one-time-password";
	case SECRETS_PERMANENT:
		return "permanent-password";
	default:
		return NULL;
	}
}
