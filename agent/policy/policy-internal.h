/* SPDX-License-Identifier: MIT */
/* Private to agent/policy/: helpers shared by its .c files. */
#ifndef OP_POLICY_POLICY_INTERNAL_H
#define OP_POLICY_POLICY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr;

/* A short printable excerpt of s (at most 40 bytes, others as \xNN). */
void policy__excerpt(const char *s, char *buf, size_t bufsz);

/* The address of sa as family 4 or 6 and 16 bytes (IPv4 in the first
 * four; IPv4-mapped IPv6 becomes 4). Returns 0, or -1 for NULL or another
 * family. */
int policy__addr_of(const struct sockaddr *sa, uint8_t *family,
	uint8_t addr[16]);

#endif
