/* SPDX-License-Identifier: MIT */
/* The rendezvous message handler over arbitrary datagrams: the first byte
 * advances the clock, so duplicate suppression and timers are exercised. */
#include <stdint.h>

#include "net/rdv-state.h"

static struct rdv_state st;
static uint64_t now = 1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rdv_push p;

	if (now == 1)
		rdv_state_init(&st, 0);
	if (size > 0) {
		now += (uint64_t)data[0] * 37;
		data++;
		size--;
	}
	(void)rdv_tick(&st, now, (uint32_t)size);
	(void)rdv_on_datagram(&st, data, size, now, &p);
	if (p.kind != RDV_PUSH_NONE && p.socket_addr_len > 18)
		__builtin_trap();
	return 0;
}
