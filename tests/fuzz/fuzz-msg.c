/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the peer Message unpack path (UTF-8/duplicate pre-scan, budgeted
 * protobuf-c unpack, limit checks) as a session does with a decrypted frame
 * payload. Invariants: WIRE_BUDGET_FOR(size) is enough for anything we
 * accept (a refusal for a repeated field's element cap is not the
 * budget's: with no budget limit it is refused too), and whatever we
 * accept re-packs into something we accept.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "wire/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct wire_limits lim = { 4096, 1 << 20, 256, true };
	Hbb__Message *m = NULL;
	Hbb__Message *m2 = NULL;
	struct opbuf *b = opbuf_new(4 * size + 64);
	int r = wire_msg_unpack(data, size, WIRE_BUDGET_FOR(size), &m);

	if (r == OP_ERR_TOO_LARGE) {
		Hbb__Message *unbounded = NULL;

		if (wire_msg_unpack(data, size, SIZE_MAX, &unbounded) == 0)
			__builtin_trap(); /* the budget was too small */
		wire_msg_free(unbounded);
	}
	if (r == 0) {
		(void)wire_check_limits(&m->base, &lim);
		if (wire_msg_put(b, m) != 0 ||
			wire_msg_unpack(opbuf_ptr(b), opbuf_len(b),
				WIRE_BUDGET_FOR(opbuf_len(b)), &m2) != 0)
			__builtin_trap();
	}
	wire_msg_free(m2);
	wire_msg_free(m);
	opbuf_free(b);
	return 0;
}
