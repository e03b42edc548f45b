/* SPDX-License-Identifier: MIT */
/* The §5.4 framing encryption against answers computed with python3-nacl
 * (key 00..1f, nonce = LE counter + 16 zero bytes). */
#include <sodium.h>

#include "core/err.h"
#include "crypto/channel.h"
#include "th.h"

static void
unhex(const char *h, uint8_t *out, size_t *n)
{
	sodium_hex2bin(out, 256, h, strlen(h), NULL, n, NULL);
}

static void
test_known_answers(void)
{
	struct channel tx, rx;
	uint8_t key[32], out[64], want[64], plain[64];
	size_t wlen, plen;
	bool passthru;

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	channel_init(&tx, key);
	channel_init(&rx, key);
	channel_seal(&tx, (const uint8_t *)"hello", 5, out);
	unhex("ee08d01f75845eb548d7815d0bd8d08eaa5ee64c9d", want, &wlen);
	ASSERT_INT_EQ(wlen, 21);
	ASSERT_MEM_EQ(out, want, 21);
	ASSERT_INT_EQ(channel_open(&rx, out, 21, plain, &plen, &passthru), 0);
	ASSERT_INT_EQ(plen, 5);
	ASSERT_MEM_EQ(plain, "hello", 5);
	channel_seal(&tx, (const uint8_t *)"world!", 6, out);
	unhex("b8428625a1295886d66b4027991e42dc5c71b0232e05", want, &wlen);
	ASSERT_MEM_EQ(out, want, 22);
	/* 0- and 1-byte payloads pass through and do not use a nonce. */
	ASSERT_INT_EQ(channel_open(&rx, (const uint8_t *)"x", 1, plain, &plen,
			      &passthru),
		0);
	ASSERT(passthru);
	ASSERT_INT_EQ(plen, 1);
	ASSERT_INT_EQ(channel_open(&rx, out, 22, plain, &plen, &passthru), 0);
	ASSERT(!passthru);
	ASSERT_MEM_EQ(plain, "world!", 6);
	channel_wipe(&tx);
	channel_wipe(&rx);
}

static void
test_replay_and_tamper_fail(void)
{
	struct channel tx, rx;
	uint8_t key[32] = { 7 }, a[32], b[32], plain[32];
	size_t plen;
	bool passthru;

	channel_init(&tx, key);
	channel_init(&rx, key);
	channel_seal(&tx, (const uint8_t *)"first", 5, a);
	channel_seal(&tx, (const uint8_t *)"secnd", 5, b);
	/* Out of order: frame 2 under nonce 1 fails. */
	ASSERT_INT_EQ(channel_open(&rx, b, 21, plain, &plen, &passthru),
		OP_ERR_CRYPTO);
	channel_init(&rx, key);
	ASSERT_INT_EQ(channel_open(&rx, a, 21, plain, &plen, &passthru), 0);
	/* Replay of frame 1 under nonce 2 fails. */
	ASSERT_INT_EQ(channel_open(&rx, a, 21, plain, &plen, &passthru),
		OP_ERR_CRYPTO);
	channel_init(&rx, key);
	a[20] ^= 1;
	ASSERT_INT_EQ(channel_open(&rx, a, 21, plain, &plen, &passthru),
		OP_ERR_CRYPTO);
	ASSERT_INT_EQ(channel_open(&rx, a, 10, plain, &plen, &passthru),
		OP_ERR_CRYPTO);
}

static void
test_key_exchanges(void)
{
	uint8_t sign_pk[32], sign_sk[64], srv_pk[32], srv_sk[32];
	uint8_t signed_pk[64 + 32], our_pk[32], sealed[48], key[32];
	uint8_t got[32];
	unsigned long long slen;

	crypto_sign_keypair(sign_pk, sign_sk);
	crypto_box_keypair(srv_pk, srv_sk);
	crypto_sign(signed_pk, &slen, srv_pk, 32, sign_sk);
	ASSERT_INT_EQ(channel_client_key_exchange(signed_pk, sizeof(signed_pk),
			      sign_pk, our_pk, sealed, key),
		0);
	/* The server side opens it as a session host would. */
	ASSERT_INT_EQ(channel_open_session_key(sealed, 48, our_pk, 32, srv_sk,
			      got),
		0);
	ASSERT_MEM_EQ(got, key, 32);
	ASSERT_INT_EQ(channel_open_session_key(sealed, 47, our_pk, 32, srv_sk,
			      got),
		OP_ERR_CRYPTO);
	sealed[0] ^= 1;
	ASSERT_INT_EQ(channel_open_session_key(sealed, 48, our_pk, 32, srv_sk,
			      got),
		OP_ERR_CRYPTO);
	signed_pk[3] ^= 1;
	ASSERT_INT_EQ(channel_client_key_exchange(signed_pk, sizeof(signed_pk),
			      sign_pk, our_pk, sealed, key),
		OP_ERR_AUTH);
	ASSERT_INT_EQ(channel_client_key_exchange(signed_pk, 10, sign_pk,
			      our_pk, sealed, key),
		OP_ERR_PROTO);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	RUN(test_known_answers);
	RUN(test_replay_and_tamper_fail);
	RUN(test_key_exchanges);
	return th_done();
}
