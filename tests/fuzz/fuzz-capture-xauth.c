/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the Xauthority parser (op_xauth_find): the input is the
 * whole file. The first byte picks the display number ("0" to "9") and
 * whether a hostname ("h") is required for Local entries. Beyond "no
 * crash", the checks are the contracts: only the documented results, a
 * found cookie is 16 bytes that occur in the input, the same answer
 * twice, and nothing written to the cookie on failure.
 */
#include <stdint.h>
#include <string.h>

#include "xconn/xauth.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t canary[OP_XAUTH_COOKIE_LEN] = { 0xa5, 0x5a };
	uint8_t c1[OP_XAUTH_COOKIE_LEN], c2[OP_XAUTH_COOKIE_LEN];
	char num[2];
	const char *host;
	int r1, r2;

	if (size < 1)
		return 0;
	num[0] = (char)('0' + (data[0] & 0x7f) % 10);
	num[1] = '\0';
	host = data[0] & 0x80 ? "h" : NULL;
	memcpy(c1, canary, sizeof(c1));
	memcpy(c2, canary, sizeof(c2));
	r1 = op_xauth_find(data + 1, size - 1, num, host, c1);
	r2 = op_xauth_find(data + 1, size - 1, num, host, c2);
	if (r1 != r2 || memcmp(c1, c2, sizeof(c1)) != 0)
		__builtin_trap();
	if (r1 == 0) {
		if (memmem(data + 1, size - 1, c1, sizeof(c1)) == NULL)
			__builtin_trap();
	} else if (r1 == OP_ERR_PROTO || r1 == OP_ERR_NOT_FOUND ||
		r1 == OP_ERR_TOO_LARGE) {
		if (memcmp(c1, canary, sizeof(c1)) != 0)
			__builtin_trap();
	} else {
		__builtin_trap();
	}
	return 0;
}
