/* SPDX-License-Identifier: MIT */
/*
 * The hash chain's canonical row encoding, shared by the writer and by
 * `audit verify`, so the two cannot drift apart. Each value is written as
 * a netstring ("<decimal length>:<bytes>,"), which makes the encoding
 * injective: bytes cannot be moved between the type and the fields (or
 * any two columns) without changing the hash. Pure.
 */
#include "audit/audit-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

static void
put_net(crypto_hash_sha256_state *st, const void *p, size_t n)
{
	char len[32];
	int l = snprintf(len, sizeof(len), "%zu:", n);

	crypto_hash_sha256_update(st, (const unsigned char *)len,
		(unsigned long long)l);
	if (n > 0)
		crypto_hash_sha256_update(st, p, (unsigned long long)n);
	crypto_hash_sha256_update(st, (const unsigned char *)",", 1);
}

static void
put_i64(crypto_hash_sha256_state *st, int64_t v)
{
	char s[32];
	int l = snprintf(s, sizeof(s), "%" PRId64, v);

	put_net(st, s, (size_t)l);
}

void
audit__chain_hash(const struct audit_row *r,
	char out[static AUDIT_HASH_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	put_net(&st, AUDIT_CHAIN_TAG, strlen(AUDIT_CHAIN_TAG));
	put_net(&st, r->prev_hash, r->prev_len);
	put_i64(&st, r->id);
	put_i64(&st, r->time_us);
	if (r->has_session)
		put_i64(&st, r->session);
	else
		put_net(&st, "", 0);
	put_net(&st, r->type, r->type_len);
	put_net(&st, r->fields, r->fields_len);
	crypto_hash_sha256_final(&st, h);
	for (size_t i = 0; i < sizeof(h); i++) {
		out[2 * i] = hex[h[i] >> 4];
		out[2 * i + 1] = hex[h[i] & 15];
	}
	out[AUDIT_HASH_HEX] = '\0';
}

bool
audit__hash_text_valid(const char *s, size_t n)
{
	if (s == NULL || n != AUDIT_HASH_HEX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}
