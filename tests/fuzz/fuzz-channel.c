/* SPDX-License-Identifier: MIT */
/* channel_open over arbitrary frames with a fixed key: the first byte
 * picks the receive counter, so valid-looking nonces are reached too. */
#include <stdint.h>
#include <stdlib.h>

#include "crypto/channel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[CHANNEL_KEY_LEN] = { 1, 2, 3 };
	struct channel c;
	uint8_t *out;
	size_t out_len;
	bool passthru;

	if (size == 0)
		return 0;
	channel_init(&c, key);
	c.recv_seq = data[0];
	if ((out = malloc(size)) == NULL)
		return 0;
	(void)channel_open(&c, data + 1, size - 1, out, &out_len, &passthru);
	if (out_len > size)
		__builtin_trap();
	free(out);
	return 0;
}
