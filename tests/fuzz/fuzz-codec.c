/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the BytesCodec decoder: the input is treated as a TCP byte stream
 * and split into frames until the decoder asks for more or refuses a size.
 * Every accepted header must be no shorter than the one we would write.
 */
#include <stddef.h>
#include <stdint.h>

#include "wire/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t h[CODEC_MAX_HEADER];
	size_t off = 0;
	size_t hl;
	size_t pl;

	while (codec_decode(data + off, size - off, 1 << 16, &hl, &pl) == 0) {
		if (hl < 1 || hl > 4 || codec_header(pl, h) > hl ||
			hl + pl > size - off)
			__builtin_trap();
		off += hl + pl;
	}
	return 0;
}
