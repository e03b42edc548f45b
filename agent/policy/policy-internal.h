/* SPDX-License-Identifier: MIT */
/* Private to agent/policy/: helpers shared by its .c files. */
#ifndef OP_POLICY_POLICY_INTERNAL_H
#define OP_POLICY_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

/* A short printable excerpt of s (at most 40 bytes, others as \xNN). */
void policy__excerpt(const char *s, char *buf, size_t bufsz);

/* msg with its one "%s" replaced by value (no other conversions: msg
 * is not a printf format) into buf. */
void policy__splice(char *buf, size_t bufsz, const char *msg,
	const char *value);

/* The address of sa as family 4 or 6 and 16 bytes (IPv4 in the first
 * four; IPv4-mapped IPv6 becomes 4). Returns 0, or -1 for NULL or another
 * family. */
int policy__addr_of(const struct sockaddr *sa, uint8_t *family,
	uint8_t addr[16]);

/* Whether minute m (mod 7 * 1440, 0 = Sunday 00:00) is set in a
 * policy_rules.week bitmap (policy-rules.c). */
bool policy__week_get(const uint8_t *week, unsigned m);

/* SipHash-2-4 of in under the key (k0, k1) (lockout.c). */
uint64_t policy__siphash(uint64_t k0, uint64_t k1, const uint8_t *in,
	size_t len);

#endif
