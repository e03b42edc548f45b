/* SPDX-License-Identifier: MIT */
/*
 * A tiny unit-test harness (OpenSSH test_helper model). Each test is a
 * void function; a failed assertion prints file:line and the values, marks
 * the test failed and returns from it. th_done() prints the totals and
 * returns the exit code for main().
 */
#ifndef OP_TESTS_TH_H
#define OP_TESTS_TH_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int th_failed_tests;
static int th_passed_tests;
static int th_cur_failed;

#define TH_FAIL(...)                                                     \
	do {                                                             \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);          \
		fprintf(stderr, __VA_ARGS__);                            \
		fputc('\n', stderr);                                     \
		th_cur_failed = 1;                                       \
		return;                                                  \
	} while (0)

#define ASSERT(c)                                                        \
	do {                                                             \
		if (!(c))                                                \
			TH_FAIL("assertion failed: %s", #c);             \
	} while (0)

#define ASSERT_INT_EQ(a, b)                                              \
	do {                                                             \
		long long th_a_ = (long long)(a), th_b_ = (long long)(b); \
		if (th_a_ != th_b_)                                      \
			TH_FAIL("%s == %s: %lld != %lld", #a, #b, th_a_, \
				th_b_);                                  \
	} while (0)

#define ASSERT_U64_EQ(a, b)                                              \
	do {                                                             \
		uint64_t th_a_ = (uint64_t)(a), th_b_ = (uint64_t)(b);   \
		if (th_a_ != th_b_)                                      \
			TH_FAIL("%s == %s: %" PRIu64 " != %" PRIu64, #a,  \
				#b, th_a_, th_b_);                       \
	} while (0)

#define ASSERT_STR_EQ(a, b)                                              \
	do {                                                             \
		const char *th_a_ = (a), *th_b_ = (b);                   \
		if (th_a_ == NULL || th_b_ == NULL ||                    \
			strcmp(th_a_, th_b_) != 0)                       \
			TH_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,    \
				th_a_ ? th_a_ : "(null)",                \
				th_b_ ? th_b_ : "(null)");               \
	} while (0)

#define ASSERT_STR_CONTAINS(hay, needle)                                 \
	do {                                                             \
		const char *th_h_ = (hay), *th_n_ = (needle);            \
		if (th_h_ == NULL || strstr(th_h_, th_n_) == NULL)       \
			TH_FAIL("%s does not contain \"%s\": \"%s\"",    \
				#hay, th_n_, th_h_ ? th_h_ : "(null)");  \
	} while (0)

#define ASSERT_MEM_EQ(a, b, n)                                           \
	do {                                                             \
		if (memcmp((a), (b), (n)) != 0)                          \
			TH_FAIL("%s and %s differ in %zu bytes", #a, #b, \
				(size_t)(n));                            \
	} while (0)

#define RUN(fn)                                                          \
	do {                                                             \
		th_cur_failed = 0;                                       \
		fn();                                                    \
		if (th_cur_failed) {                                     \
			fprintf(stderr, "FAIL %s\n", #fn);               \
			th_failed_tests++;                               \
		} else {                                                 \
			th_passed_tests++;                               \
		}                                                        \
	} while (0)

static inline int
th_done(void)
{
	printf("%d passed, %d failed\n", th_passed_tests, th_failed_tests);
	return th_failed_tests == 0 && th_passed_tests > 0 ? 0 : 1;
}

#endif
