/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the brute-force limiter with a sequence of operations, 4 bytes
 * each: op (check / fail / success), source (a few IPv4 and IPv6
 * addresses, some sharing a /64), peer ID, time step (which may go
 * backwards). Checks: the table never exceeds its capacity, a key
 * reported locked by lockout_fail is refused by lockout_check at that
 * moment, every hit names its error and ends in the future.
 */

#include "core/netaddr.h"
#include "policy/lockout.h"
#include "policy-fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
source(uint8_t v, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (v & 0x80) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr.s6_addr[0] = 0x20;
		s6->sin6_addr.s6_addr[1] = 0x01;
		s6->sin6_addr.s6_addr[7] = (uint8_t)(v >> 4 & 3); /* /64 */
		s6->sin6_addr.s6_addr[15] = (uint8_t)(v & 15);
		if ((v & 0x70) == 0x70) { /* IPv4-mapped */
			memset(s6->sin6_addr.s6_addr, 0, 10);
			s6->sin6_addr.s6_addr[10] = 0xff;
			s6->sin6_addr.s6_addr[11] = 0xff;
			s6->sin6_addr.s6_addr[12] = 10;
			s6->sin6_addr.s6_addr[15] = (uint8_t)(v & 7);
		}
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(0x0a000000u | (v & 0x7fu));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ids[] = { NULL, "", "tech", "TECH", "a@b",
		"123456789", "x" };
	struct lockout_conf c = {
		.failures = size > 0 ? (uint32_t)(data[0] % 6) + 1 : 3,
		.window_ms = 60000,
		.duration_ms = 600000,
		.global_per_minute = size > 1 ? data[1] % 40 : 0,
		.otp_rotate_after = 3,
	};
	struct lockout *l = lockout_new(&c, 16, (const uint8_t *)"fuzz-seed-16byte");
	uint64_t now = 1000000;

	if (l == NULL)
		return 0;
	for (size_t i = 2; i + 4 <= size; i += 4) {
		struct sockaddr_storage ss;
		const struct sockaddr *sa = (const struct sockaddr *)&ss;
		const char *id = ids[data[i + 2] % 7];
		struct lockout_result res;
		struct lockout_hit hit;
		int8_t step = (int8_t)data[i + 3];

		source(data[i + 1], &ss);
		if (data[i + 1] == 0x7f)
			sa = NULL;
		now = step < 0 && now < 1000u * (uint64_t)-step ?
			0 :
			now + (uint64_t)((int64_t)step * 1000);
		switch (data[i] % 3) {
		case 0:
			if (lockout_check(l, sa, id, now, &hit) &&
				(hit.error == NULL || hit.until_ms <= now ||
					hit.scope == LOCKOUT_NONE))
				__builtin_trap();
			break;
		case 1:
			lockout_fail(l, sa, id, now, &res);
			if (res.nlocked > 4)
				__builtin_trap();
			if (res.nlocked > 0 && c.duration_ms > 0 &&
				!lockout_check(l, sa, id, now, NULL))
				__builtin_trap();
			break;
		case 2:
			lockout_success(l, sa, id);
			break;
		}
		if (lockout_count(l) > lockout_capacity(l))
			__builtin_trap();
	}
	lockout_free(l);
	return 0;
}
