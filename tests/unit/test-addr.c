/* SPDX-License-Identifier: MIT */
/* AddrMangle: hand-computed known answers, edge lengths, random round trips. */

#include "core/err.h"
#include "core/netaddr.h"
#include "th.h"
#include "wire/addr.h"

static struct sockaddr_storage
v4(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s->sin_addr);
	return ss;
}

static struct sockaddr_storage
v6(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	inet_pton(AF_INET6, ip, &s->sin6_addr);
	return ss;
}

static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)b;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)b;

	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
			a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
		memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
}

/*
 * 1.2.3.4:21116 at tm = 0x12345678, by hand from protocol reference 1.5:
 *   ip            = 1 | 2<<8 | 3<<16 | 4<<24         = 0x04030201
 *   ip + tm       = 0x04030201 + 0x12345678          = 0x16375879
 *   port + tm&FFFF = 0x527C + 0x5678                 = 0xA8F4
 *   (ip+tm) << 49 = 0x2C6EB0F2 << 48  -> high u64 0x2C6E,
 *                                        low u64 0xB0F2000000000000
 *   tm << 17      = 0x00002468ACF00000 (low u64)
 *   v             = 0x0000...2C6E : B0F22468ACF0A8F4
 *   16 bytes LE   = F4 A8 F0 AC 68 24 F2 B0 6E 2C 00 00 00 00 00 00
 *   trailing zeros dropped -> 10 bytes.
 */
static void
test_v4_known_answer(void)
{
	static const uint8_t want[] = { 0xF4, 0xA8, 0xF0, 0xAC, 0x68, 0x24,
		0xF2, 0xB0, 0x6E, 0x2C };
	struct sockaddr_storage a = v4("1.2.3.4", 21116);
	struct sockaddr_storage d;
	uint8_t out[ADDR_MANGLE_MAX];
	size_t n = 99;

	/* Only the low 32 bits of the microsecond time are used. */
	ASSERT_INT_EQ(addr_encode_at(&a, 0xABCD00000000ULL | 0x12345678,
		out, &n), 0);
	ASSERT_INT_EQ(n, sizeof(want));
	ASSERT_MEM_EQ(out, want, sizeof(want));
	ASSERT_INT_EQ(addr_decode(want, sizeof(want), &d), 0);
	ASSERT(same_addr(&a, &d));
}

/* Carries: ip + tm overflows 32 bits and port + tm&FFFF overflows 16. */
static void
test_v4_carry(void)
{
	/* From the formula: v = 0x1FFFFFFFE << 49 | 0xFFFFFFFF << 17 |
	 * 0x1FFFE. */
	static const uint8_t want[] = { 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
		0xFD, 0xFF, 0xFF, 0xFF, 0x03 };
	struct sockaddr_storage a = v4("255.255.255.255", 65535);
	struct sockaddr_storage d;
	uint8_t out[ADDR_MANGLE_MAX];
	size_t n;

	ASSERT_INT_EQ(addr_encode_at(&a, 0xFFFFFFFF, out, &n), 0);
	ASSERT_INT_EQ(n, sizeof(want));
	ASSERT_MEM_EQ(out, want, sizeof(want));
	ASSERT_INT_EQ(addr_decode(out, n, &d), 0);
	ASSERT(same_addr(&a, &d));
}

static void
test_v4_mapped(void)
{
	struct sockaddr_storage m = v6("::ffff:127.0.0.1", 21118);
	struct sockaddr_storage a = v4("127.0.0.1", 21118);
	struct sockaddr_storage d;
	uint8_t o1[ADDR_MANGLE_MAX];
	uint8_t o2[ADDR_MANGLE_MAX];
	size_t n1;
	size_t n2;

	ASSERT_INT_EQ(addr_encode_at(&m, 777, o1, &n1), 0);
	ASSERT_INT_EQ(addr_encode_at(&a, 777, o2, &n2), 0);
	ASSERT_INT_EQ(n1, n2);
	ASSERT(n1 <= 16);
	ASSERT_MEM_EQ(o1, o2, n1);
	ASSERT_INT_EQ(addr_decode(o1, n1, &d), 0);
	ASSERT(same_addr(&a, &d));
}

static void
test_v6_known_answer(void)
{
	static const uint8_t want[] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0x01, 0x7C, 0x52 };
	struct sockaddr_storage a = v6("2001:db8::1", 21116);
	struct sockaddr_storage d;
	uint8_t out[ADDR_MANGLE_MAX];
	size_t n;

	ASSERT_INT_EQ(addr_encode_at(&a, 12345, out, &n), 0);
	ASSERT_INT_EQ(n, 18);
	ASSERT_MEM_EQ(out, want, 18);
	ASSERT_INT_EQ(addr_decode(want, 18, &d), 0);
	ASSERT(same_addr(&a, &d));
	ASSERT(!addr_is_unspecified(&d));
}

static void
test_odd_lengths(void)
{
	static const uint8_t junk[64] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct sockaddr_storage z4 = v4("0.0.0.0", 0);
	struct sockaddr_storage z6 = v6("::", 0);
	struct sockaddr_storage d;
	struct sockaddr_storage bad;
	uint8_t out[ADDR_MANGLE_MAX];
	size_t n = 5;

	/* Empty: "absent", 0.0.0.0:0. */
	ASSERT_INT_EQ(addr_decode(NULL, 0, &d), 0);
	ASSERT(same_addr(&d, &z4));
	ASSERT(addr_is_unspecified(&d));
	/* 17 and anything over 18: [::]:0. */
	ASSERT_INT_EQ(addr_decode(junk, 17, &d), 0);
	ASSERT(same_addr(&d, &z6));
	ASSERT(addr_is_unspecified(&d));
	for (size_t len = 19; len <= sizeof(junk); len++) {
		ASSERT_INT_EQ(addr_decode(junk, len, &d), 0);
		ASSERT(same_addr(&d, &z6));
	}
	/* 1..16 always decode to some IPv4 address. */
	for (size_t len = 1; len <= 16; len++) {
		ASSERT_INT_EQ(addr_decode(junk, len, &d), 0);
		ASSERT_INT_EQ(d.ss_family, AF_INET);
	}
	/* A NULL pointer with a length is refused, not dereferenced. */
	ASSERT_INT_EQ(addr_decode(NULL, 4, &d), OP_ERR_PROTO);
	ASSERT_INT_EQ(d.ss_family, 0);
	/* The all-zero IPv4 encoding is empty and decodes back. */
	ASSERT_INT_EQ(addr_encode_at(&z4, 0, out, &n), 0);
	ASSERT_INT_EQ(n, 0);
	/* Unsupported family. */
	memset(&bad, 0, sizeof(bad));
	bad.ss_family = AF_UNIX;
	n = 5;
	ASSERT_INT_EQ(addr_encode_at(&bad, 0, out, &n), OP_ERR_UNSUPPORTED);
	ASSERT_INT_EQ(n, 0);
	ASSERT(addr_is_unspecified(&bad));
	d = v4("10.0.0.1", 0);
	ASSERT(addr_is_unspecified(&d));
	d = v4("10.0.0.1", 1);
	ASSERT(!addr_is_unspecified(&d));
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
test_random_round_trips(void)
{
	for (int i = 0; i < 200000; i++) {
		struct sockaddr_storage a;
		struct sockaddr_storage d;
		uint8_t out[ADDR_MANGLE_MAX];
		uint64_t r = next_rand();
		uint64_t tm = next_rand();
		size_t n;

		memset(&a, 0, sizeof(a));
		if (i & 1) {
			struct sockaddr_in *s = (struct sockaddr_in *)&a;

			s->sin_family = AF_INET;
			s->sin_port = (uint16_t)r;
			s->sin_addr.s_addr = (uint32_t)(r >> 16);
		} else {
			struct sockaddr_in6 *s = (struct sockaddr_in6 *)&a;
			uint64_t r2 = next_rand();

			s->sin6_family = AF_INET6;
			s->sin6_port = (uint16_t)tm;
			memcpy(s->sin6_addr.s6_addr, &r, 8);
			memcpy(s->sin6_addr.s6_addr + 8, &r2, 8);
			/* Keep clear of the IPv4-mapped range here. */
			s->sin6_addr.s6_addr[0] |= 0x20;
		}
		ASSERT_INT_EQ(addr_encode_at(&a, tm, out, &n), 0);
		ASSERT(n <= ADDR_MANGLE_MAX);
		ASSERT(a.ss_family == AF_INET ? n <= 16 : n == 18);
		ASSERT_INT_EQ(addr_decode(out, n, &d), 0);
		ASSERT(same_addr(&a, &d));
	}
	/* The real clock wrapper round-trips too. */
	for (int i = 0; i < 1000; i++) {
		struct sockaddr_storage a = v4("192.168.1.20", (uint16_t)i);
		struct sockaddr_storage d;
		uint8_t out[ADDR_MANGLE_MAX];
		size_t n;

		ASSERT_INT_EQ(addr_encode(&a, out, &n), 0);
		ASSERT_INT_EQ(addr_decode(out, n, &d), 0);
		ASSERT(same_addr(&a, &d));
	}
}

int
main(void)
{
	RUN(test_v4_known_answer);
	RUN(test_v4_carry);
	RUN(test_v4_mapped);
	RUN(test_v6_known_answer);
	RUN(test_odd_lengths);
	RUN(test_random_round_trips);
	return th_done();
}
