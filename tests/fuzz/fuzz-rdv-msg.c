/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the RendezvousMessage path as the registration loop runs it on a
 * UDP datagram from hbbs: budgeted unpack, wire_rdv_check, AddrMangle
 * decode of the pushed peer address, and re-packing into a datagram.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/netaddr.h"
#include "wire/addr.h"
#include "wire/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t dgram[1 << 17];
	Hbb__RendezvousMessage *m = NULL;
	struct sockaddr_storage sa;
	size_t n;
	int r = wire_rdv_unpack(data, size, WIRE_BUDGET_FOR(size), &m);

	if (r == OP_ERR_TOO_LARGE)
		__builtin_trap();
	if (r != 0)
		return 0;
	if (wire_rdv_check(m) == 0 && m->union_case ==
		HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE)
		(void)addr_decode(m->punch_hole->socket_addr.data,
			m->punch_hole->socket_addr.len, &sa);
	if (size <= sizeof(dgram) / 4 &&
		wire_rdv_pack(m, dgram, sizeof(dgram), &n) != 0)
		__builtin_trap();
	wire_rdv_free(m);
	return 0;
}
