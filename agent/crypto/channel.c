/* SPDX-License-Identifier: MIT */
/*
 * secretbox framing with RustDesk's counter nonces, and the two key
 * exchanges. Never logs, wipes every temporary key.
 */
#include "crypto/channel.h"

#include <string.h>

#include <sodium.h>

#include "core/err.h"

_Static_assert(crypto_secretbox_KEYBYTES == CHANNEL_KEY_LEN, "key size");
_Static_assert(crypto_secretbox_MACBYTES == CHANNEL_MAC_LEN, "mac size");
_Static_assert(crypto_box_PUBLICKEYBYTES == CHANNEL_BOX_PK_LEN, "box pk");

/* Nonce = the counter as 8 bytes little-endian, then 16 zero bytes. */
static void
make_nonce(uint64_t seq, uint8_t nonce[static crypto_secretbox_NONCEBYTES])
{
	memset(nonce, 0, crypto_secretbox_NONCEBYTES);
	for (int i = 0; i < 8; i++)
		nonce[i] = (uint8_t)(seq >> (8 * i));
}

void
channel_init(struct channel *c, const uint8_t key[static CHANNEL_KEY_LEN])
{
	memcpy(c->key, key, CHANNEL_KEY_LEN);
	c->send_seq = 0;
	c->recv_seq = 0;
}

void
channel_wipe(struct channel *c)
{
	sodium_memzero(c, sizeof(*c));
}

void
channel_seal(struct channel *c, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t nonce[crypto_secretbox_NONCEBYTES];

	make_nonce(++c->send_seq, nonce);
	crypto_secretbox_easy(out, in, len, nonce, c->key);
}

int
channel_open(struct channel *c, const uint8_t *in, size_t len, uint8_t *out,
	size_t *out_len, bool *passthru)
{
	uint8_t nonce[crypto_secretbox_NONCEBYTES];

	*out_len = 0;
	*passthru = false;
	if (len <= 1) {
		if (len == 1)
			out[0] = in[0];
		*out_len = len;
		*passthru = true;
		return 0;
	}
	if (len < CHANNEL_MAC_LEN)
		return OP_ERR_CRYPTO;
	make_nonce(++c->recv_seq, nonce);
	if (crypto_secretbox_open_easy(out, in, len, nonce, c->key) != 0)
		return OP_ERR_CRYPTO;
	*out_len = len - CHANNEL_MAC_LEN;
	return 0;
}

int
channel_open_session_key(const uint8_t *sealed, size_t sealed_len,
	const uint8_t *client_pk, size_t client_pk_len,
	const uint8_t our_sk[static 32], uint8_t key_out[static CHANNEL_KEY_LEN])
{
	uint8_t zero_nonce[crypto_box_NONCEBYTES] = { 0 };

	if (sealed_len != CHANNEL_SEALED_KEY_LEN ||
		client_pk_len != CHANNEL_BOX_PK_LEN)
		return OP_ERR_CRYPTO;
	if (crypto_box_open_easy(key_out, sealed, sealed_len, zero_nonce,
		    client_pk, our_sk) != 0) {
		sodium_memzero(key_out, CHANNEL_KEY_LEN);
		return OP_ERR_CRYPTO;
	}
	return 0;
}

int
channel_client_key_exchange(const uint8_t *signed_server_pk,
	size_t signed_len, const uint8_t server_sign_pk[static 32],
	uint8_t our_pk_out[static CHANNEL_BOX_PK_LEN],
	uint8_t sealed_out[static CHANNEL_SEALED_KEY_LEN],
	uint8_t key_out[static CHANNEL_KEY_LEN])
{
	uint8_t server_box_pk[64];
	unsigned long long pk_len = 0;
	uint8_t our_sk[crypto_box_SECRETKEYBYTES];
	uint8_t zero_nonce[crypto_box_NONCEBYTES] = { 0 };
	int r = 0;

	if (signed_len != crypto_sign_BYTES + CHANNEL_BOX_PK_LEN)
		return OP_ERR_PROTO;
	if (crypto_sign_open(server_box_pk, &pk_len, signed_server_pk,
		    signed_len, server_sign_pk) != 0 ||
		pk_len != CHANNEL_BOX_PK_LEN)
		return OP_ERR_AUTH;
	crypto_box_keypair(our_pk_out, our_sk);
	crypto_secretbox_keygen(key_out);
	if (crypto_box_easy(sealed_out, key_out, CHANNEL_KEY_LEN, zero_nonce,
		    server_box_pk, our_sk) != 0)
		r = OP_ERR_CRYPTO;
	sodium_memzero(our_sk, sizeof(our_sk));
	if (r != 0)
		sodium_memzero(key_out, CHANNEL_KEY_LEN);
	return r;
}
