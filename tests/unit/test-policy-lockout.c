/* SPDX-License-Identifier: MIT */
/*
 * The brute-force limiter (policy/lockout.h): per source, per IPv6 /64,
 * per peer ID, the global cap, OTP rotation, success, time going
 * backwards, and bounded memory under a spray of 100k sources.
 */
#include <stdio.h>
#include <string.h>

#include "core/netaddr.h"
#include "policy/lockout.h"
#include "policy/policy-internal.h"
#include "th.h"
#include "th-net.h"

#define MIN 60000u
#define SEED ((const uint8_t *)"0123456789abcdef")

static const struct lockout_conf dflt = {
	.failures = 5,
	.window_ms = MIN,
	.duration_ms = 10 * MIN,
	.global_per_minute = 30,
	.otp_rotate_after = 3,
};


static void
test_siphash_vectors(void)
{
	/* Reference vectors of SipHash-2-4, key 00..0f, messages 00..n-1. */
	static const uint64_t want[] = { 0x726fdb47dd0e0e31ULL,
		0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL };
	uint8_t msg[16];

	for (int i = 0; i < 16; i++)
		msg[i] = (uint8_t)i;
	for (size_t n = 0; n < 3; n++)
		ASSERT_U64_EQ(policy__siphash(0x0706050403020100ULL,
				      0x0f0e0d0c0b0a0908ULL, msg, n),
			want[n]);
	ASSERT_U64_EQ(policy__siphash(0x0706050403020100ULL,
			      0x0f0e0d0c0b0a0908ULL, msg, 15),
		0xa129ca6149be45e5ULL);
}

static void
test_source_lock(void)
{
	struct lockout *l = lockout_new(&dflt, 64, SEED);
	struct sockaddr_storage s1, s2;
	struct lockout_result res;
	struct lockout_hit hit;
	uint64_t t = 1000000;

	ASSERT(l != NULL);
	th_addr("192.0.2.7", &s1);
	th_addr("192.0.2.8", &s2);
	for (int i = 1; i <= 4; i++) {
		ASSERT(!lockout_check(l, (struct sockaddr *)&s1, NULL, t, NULL));
		lockout_fail(l, (struct sockaddr *)&s1, NULL, t, &res);
		ASSERT_INT_EQ(res.nlocked, 0);
		ASSERT_INT_EQ(res.worst, i);
		t += 10000;
	}
	lockout_fail(l, (struct sockaddr *)&s1, NULL, t, &res);
	ASSERT_INT_EQ(res.nlocked, 1);
	ASSERT_INT_EQ(res.locked[0].scope, LOCKOUT_SOURCE);
	ASSERT_STR_EQ(res.locked[0].key, "192.0.2.7");
	ASSERT_U64_EQ(res.locked[0].until_ms, t + 10 * MIN);
	ASSERT(lockout_check(l, (struct sockaddr *)&s1, NULL, t + 1, &hit));
	ASSERT_STR_EQ(hit.error, "Too many wrong attempts");
	ASSERT_U64_EQ(hit.until_ms, t + 10 * MIN);
	ASSERT(!lockout_check(l, (struct sockaddr *)&s2, NULL, t + 1, NULL));
	ASSERT(lockout_check(l, (struct sockaddr *)&s1, NULL,
		t + 10 * MIN - 1, NULL));
	ASSERT(!lockout_check(l, (struct sockaddr *)&s1, NULL, t + 10 * MIN,
		NULL));
	/* IPv4-mapped IPv6 is the same source. */
	lockout_free(l);
	l = lockout_new(&dflt, 64, SEED);
	for (int i = 0; i < 5; i++)
		lockout_fail(l, th_addr("::ffff:192.0.2.7", &s1), NULL, t, &res);
	ASSERT(lockout_check(l, th_addr("192.0.2.7", &s2), NULL, t, NULL));
	lockout_free(l);
}

static void
test_window_expiry(void)
{
	struct lockout *l = lockout_new(&dflt, 64, SEED);
	struct sockaddr_storage s;
	struct lockout_result res;
	uint64_t t = 5000;

	ASSERT(l != NULL);
	th_addr("198.51.100.1", &s);
	/* 4 per minute, for 10 minutes: never locked. */
	for (int m = 0; m < 10; m++)
		for (int i = 0; i < 4; i++) {
			lockout_fail(l, (struct sockaddr *)&s, NULL,
				t + (uint64_t)m * MIN + (uint64_t)i * 1000,
				&res);
			ASSERT_INT_EQ(res.nlocked, 0);
		}
	ASSERT(!lockout_check(l, (struct sockaddr *)&s, NULL, t + 10 * MIN,
		NULL));
	/* A clock going backwards restarts the window, no underflow. */
	lockout_fail(l, (struct sockaddr *)&s, NULL, 10, &res);
	ASSERT_INT_EQ(res.worst, 1);
	lockout_free(l);
}

static void
test_peer_id_lock(void)
{
	struct lockout *l = lockout_new(&dflt, 64, SEED);
	struct sockaddr_storage s;
	struct lockout_result res;
	struct lockout_hit hit;
	char ip[32];

	ASSERT(l != NULL);
	for (int i = 0; i < 5; i++) {
		snprintf(ip, sizeof(ip), "203.0.113.%d", i + 1);
		lockout_fail(l, th_addr(ip, &s), i % 2 ? "Tech42" : "tech42",
			1000, &res);
	}
	ASSERT_INT_EQ(res.nlocked, 1);
	ASSERT_INT_EQ(res.locked[0].scope, LOCKOUT_PEER_ID);
	ASSERT_STR_EQ(res.locked[0].key, "id tech42");
	/* Any source, same ID (case-insensitive): locked. */
	ASSERT(lockout_check(l, th_addr("203.0.113.200", &s), "TECH42", 2000, &hit));
	ASSERT_INT_EQ(hit.scope, LOCKOUT_PEER_ID);
	ASSERT(!lockout_check(l, th_addr("203.0.113.200", &s), "other", 2000,
		NULL));
	ASSERT(!lockout_check(l, NULL, NULL, 2000, NULL));
	lockout_free(l);
}

static void
test_ipv6_prefix(void)
{
	struct lockout *l = lockout_new(&dflt, 64, SEED);
	struct sockaddr_storage s;
	struct lockout_result res;
	struct lockout_hit hit;
	char ip[64];

	ASSERT(l != NULL);
	/* Five addresses of one /64: each below its own limit. */
	for (int i = 0; i < 5; i++) {
		snprintf(ip, sizeof(ip), "2001:db8:1:2::%x", i + 1);
		lockout_fail(l, th_addr(ip, &s), NULL, 1000, &res);
	}
	ASSERT_INT_EQ(res.nlocked, 1);
	ASSERT_INT_EQ(res.locked[0].scope, LOCKOUT_PREFIX64);
	ASSERT_STR_EQ(res.locked[0].key, "2001:db8:1:2::/64");
	ASSERT(lockout_check(l, th_addr("2001:db8:1:2:ffff::9", &s), NULL, 2000,
		&hit));
	ASSERT_STR_EQ(hit.error, "Too many wrong attempts for IPv6 prefix /64");
	ASSERT(!lockout_check(l, th_addr("2001:db8:1:3::1", &s), NULL, 2000, NULL));
	lockout_free(l);
}

static void
test_global_cap(void)
{
	struct lockout_conf c = dflt;
	struct lockout *l;
	struct sockaddr_storage s;
	struct lockout_result res;
	struct lockout_hit hit;
	char ip[32];
	int locked_at = -1;

	c.otp_rotate_after = 0;
	l = lockout_new(&c, 256, SEED);
	ASSERT(l != NULL);
	for (int i = 0; i < 30; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 200, i % 200 + 1);
		lockout_fail(l, th_addr(ip, &s), NULL, 1000 + (uint64_t)i, &res);
		ASSERT(!res.rotate_otp);
		for (unsigned j = 0; j < res.nlocked; j++)
			if (res.locked[j].scope == LOCKOUT_GLOBAL)
				locked_at = i;
	}
	ASSERT_INT_EQ(locked_at, 29);
	ASSERT(lockout_check(l, th_addr("172.16.0.1", &s), "fresh", 2000, &hit));
	ASSERT_INT_EQ(hit.scope, LOCKOUT_GLOBAL);
	ASSERT_STR_EQ(hit.error, "Please try 1 minute later");
	ASSERT(lockout_check(l, NULL, NULL, 1029 + MIN - 1, NULL));
	ASSERT(!lockout_check(l, th_addr("172.16.0.1", &s), "fresh", 1029 + MIN,
		NULL));
	lockout_free(l);
	/* 0 turns it off. */
	c.global_per_minute = 0;
	l = lockout_new(&c, 256, SEED);
	for (int i = 0; i < 100; i++) {
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 200, i % 200 + 1);
		lockout_fail(l, th_addr(ip, &s), NULL, 1000, &res);
	}
	ASSERT(!lockout_check(l, th_addr("172.16.0.1", &s), NULL, 1000, NULL));
	lockout_free(l);
}

static void
test_otp_rotation(void)
{
	struct lockout *l = lockout_new(&dflt, 64, SEED);
	struct sockaddr_storage s;
	struct lockout_result res;
	int rotations[8] = { 0 };

	ASSERT(l != NULL);
	for (int i = 0; i < 7; i++) {
		lockout_fail(l, th_addr(i % 2 ? "192.0.2.1" : "192.0.2.2", &s),
			"x", 1000, &res);
		rotations[i] = res.rotate_otp;
	}
	ASSERT(!rotations[0] && !rotations[1] && rotations[2]);
	ASSERT(!rotations[3] && !rotations[4] && rotations[5]);
	/* A success elsewhere does not reset the OTP count. */
	lockout_success(l, th_addr("192.0.2.9", &s), "y");
	lockout_fail(l, th_addr("192.0.2.3", &s), NULL, 1000, &res);
	ASSERT(!res.rotate_otp); /* the 8th */
	lockout_fail(l, th_addr("192.0.2.3", &s), NULL, 1000, &res);
	ASSERT(res.rotate_otp);  /* the 9th */
	lockout_free(l);
}

static void
test_success_clears(void)
{
	struct lockout *l = lockout_new(&dflt, 64, SEED);
	struct sockaddr_storage s;
	struct lockout_result res;

	ASSERT(l != NULL);
	for (int i = 0; i < 4; i++)
		lockout_fail(l, th_addr("2001:db8::5", &s), "tech", 1000, &res);
	ASSERT_INT_EQ(lockout_count(l), 3); /* source, /64, ID */
	lockout_success(l, th_addr("2001:db8::5", &s), "tech");
	ASSERT_INT_EQ(lockout_count(l), 0);
	lockout_fail(l, th_addr("2001:db8::5", &s), "tech", 1000, &res);
	ASSERT_INT_EQ(res.worst, 1);
	lockout_free(l);
}

/* A spray of 100k sources: memory stays fixed, a locked key survives. */
static void
test_spray_bounded(void)
{
	struct lockout_conf c = dflt;
	struct lockout *l;
	struct sockaddr_storage s;
	struct lockout_result res;
	char ip[32];

	c.global_per_minute = 0; /* else the cap stops the spray first */
	l = lockout_new(&c, 1024, SEED);
	ASSERT(l != NULL);
	for (int i = 0; i < 5; i++)
		lockout_fail(l, th_addr("192.0.2.66", &s), NULL, 1000, &res);
	ASSERT(lockout_check(l, th_addr("192.0.2.66", &s), NULL, 1000, NULL));
	for (unsigned i = 0; i < 100000; i++) {
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", (i >> 16) & 255,
			(i >> 8) & 255, i & 255);
		lockout_fail(l, th_addr(ip, &s), NULL, 2000, &res);
		if (lockout_count(l) > lockout_capacity(l))
			TH_FAIL("count %zu > capacity",
				(size_t)lockout_count(l));
	}
	ASSERT_INT_EQ(lockout_capacity(l), 1024);
	ASSERT_INT_EQ(lockout_count(l), 1024);
	ASSERT(lockout_check(l, th_addr("192.0.2.66", &s), NULL, 3000, NULL));
	/* IPv6 spray with IDs: three keys per failure, still bounded. */
	for (unsigned i = 0; i < 20000; i++) {
		char id[16];

		snprintf(ip, sizeof(ip), "2001:db8:%x::1", i);
		snprintf(id, sizeof(id), "id%u", i);
		lockout_fail(l, th_addr(ip, &s), id, 4000, &res);
	}
	ASSERT_INT_EQ(lockout_count(l), 1024);
	ASSERT(lockout_check(l, th_addr("192.0.2.66", &s), NULL, 5000, NULL));
	lockout_free(l);
}

static void
test_reload_keeps_state(void)
{
	struct lockout_conf c = dflt;
	struct lockout *l = lockout_new(&c, 16, SEED);
	struct sockaddr_storage s;
	struct lockout_result res;

	ASSERT(l != NULL);
	for (int i = 0; i < 3; i++)
		lockout_fail(l, th_addr("192.0.2.1", &s), NULL, 1000, &res);
	c.failures = 4;
	lockout_set_conf(l, &c);
	lockout_fail(l, th_addr("192.0.2.1", &s), NULL, 1000, &res);
	ASSERT_INT_EQ(res.nlocked, 1);
	c.failures = 0; /* clamped to 1 */
	lockout_set_conf(l, &c);
	lockout_fail(l, th_addr("192.0.2.2", &s), NULL, 1000, &res);
	ASSERT_INT_EQ(res.nlocked, 1);
	ASSERT_STR_EQ(lockout_scope_name(LOCKOUT_PREFIX64), "ipv6-prefix");
	lockout_free(l);
	lockout_free(NULL);
}

int
main(void)
{
	RUN(test_siphash_vectors);
	RUN(test_source_lock);
	RUN(test_window_expiry);
	RUN(test_peer_id_lock);
	RUN(test_ipv6_prefix);
	RUN(test_global_cap);
	RUN(test_otp_rotation);
	RUN(test_success_clears);
	RUN(test_spray_bounded);
	RUN(test_reload_keeps_state);
	return th_done();
}
