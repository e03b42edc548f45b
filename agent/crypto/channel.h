/* SPDX-License-Identifier: MIT */
/*
 * RustDesk's symmetric framing encryption (spec §5.4) and the key
 * exchanges that set it up (§5.3 for sessions, §3.7 for a Pro server's
 * TCP registration). Pure: operates on caller buffers.
 *
 * Interop hazard, kept on purpose because stock peers require it: both
 * directions use the same key and both counters start at 1, so the two
 * directions' nonce sequences coincide. Payloads of 0 or 1 bytes are
 * passed through without decryption and without advancing the counter
 * (heartbeats); callers must never treat such a frame as a message.
 * Any open failure is terminal for the connection.
 */
#ifndef OP_CRYPTO_CHANNEL_H
#define OP_CRYPTO_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHANNEL_KEY_LEN 32
#define CHANNEL_MAC_LEN 16
#define CHANNEL_BOX_PK_LEN 32
#define CHANNEL_SEALED_KEY_LEN (CHANNEL_KEY_LEN + 16)

struct channel {
	uint8_t key[CHANNEL_KEY_LEN];
	uint64_t send_seq;
	uint64_t recv_seq;
};

void channel_init(struct channel *c, const uint8_t key[static CHANNEL_KEY_LEN]);
void channel_wipe(struct channel *c);

/* Encrypts len bytes into out (len + CHANNEL_MAC_LEN bytes). */
void channel_seal(struct channel *c, const uint8_t *in, size_t len,
	uint8_t *out);

/*
 * Decrypts a received payload into out (len - CHANNEL_MAC_LEN bytes) and
 * sets *out_len. Payloads of <= 1 byte are copied as they are (*passthru
 * set) without touching the counter. Returns 0 or OP_ERR_CRYPTO.
 */
int channel_open(struct channel *c, const uint8_t *in, size_t len,
	uint8_t *out, size_t *out_len, bool *passthru);

/*
 * The host side of the session key exchange (§5.3 step 4): opens the
 * client's sealed 32-byte key with our ephemeral box secret key and the
 * client's box public key (all-zero nonce). Returns 0 or OP_ERR_CRYPTO.
 */
int channel_open_session_key(const uint8_t *sealed, size_t sealed_len,
	const uint8_t *client_pk, size_t client_pk_len,
	const uint8_t our_sk[static 32], uint8_t key_out[static CHANNEL_KEY_LEN]);

/*
 * The client side of a Pro server's KeyExchange (§3.7): verifies the
 * server's signed box key (combined signature) with the rendezvous
 * server's Ed25519 key, makes a fresh secretbox key and seals it to the
 * server. Writes our box pk and the sealed key for the reply, and the key
 * itself. Returns 0, OP_ERR_AUTH (bad signature) or OP_ERR_PROTO.
 */
int channel_client_key_exchange(const uint8_t *signed_server_pk,
	size_t signed_len, const uint8_t server_sign_pk[static 32],
	uint8_t our_pk_out[static CHANNEL_BOX_PK_LEN],
	uint8_t sealed_out[static CHANNEL_SEALED_KEY_LEN],
	uint8_t key_out[static CHANNEL_KEY_LEN]);

#endif
