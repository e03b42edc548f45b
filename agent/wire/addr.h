/* SPDX-License-Identifier: MIT */
/*
 * RustDesk "AddrMangle" (protocol reference 1.5): the encoding of every
 * `bytes socket_addr*` / `local_addr` field in rendezvous messages.
 *
 * IPv4 addresses (and IPv4-mapped IPv6 ones) are obfuscated with the
 * current time in microseconds and sent as at most 16 bytes; IPv6 addresses
 * are sent as 16 address bytes + the port little-endian (18 bytes). Empty
 * bytes mean "absent" and decode to 0.0.0.0:0.
 *
 * Pure functions, no I/O (addr_encode reads the wall clock).
 */
#ifndef OP_WIRE_ADDR_H
#define OP_WIRE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr_storage;

/* Longest encoding (the IPv6 form); the IPv4 form is at most 16 bytes. */
#define ADDR_MANGLE_MAX 18

/*
 * Encodes sa (AF_INET or AF_INET6) into out, using tm_us (microseconds
 * since the Unix epoch; only the low 32 bits matter) as the obfuscation
 * time for IPv4. IPv4-mapped IPv6 addresses are encoded as IPv4, like
 * RustDesk does. *out_len receives the encoded length (0-18; 0 only for
 * the all-zero IPv4 encoding, which decodes back to 0.0.0.0:0).
 * Returns 0, or OP_ERR_UNSUPPORTED for any other address family.
 * *out_len is zeroed on entry; out is written only on success.
 */
int addr_encode_at(const struct sockaddr_storage *sa, uint64_t tm_us,
	uint8_t out[static ADDR_MANGLE_MAX], size_t *out_len);

/* addr_encode_at with tm_us = op_wall_us(), what a peer expects. */
int addr_encode(const struct sockaddr_storage *sa,
	uint8_t out[static ADDR_MANGLE_MAX], size_t *out_len);

/*
 * Decodes len bytes at in (may be NULL when len is 0) into *out, with
 * RustDesk's semantics:
 *   len 0        -> 0.0.0.0:0 (AF_INET, "absent")
 *   len 1..16    -> IPv4 (de-obfuscated; never fails)
 *   len 18       -> IPv6 (address as sent, port little-endian)
 *   other len    -> [::]:0 (AF_INET6, "unspecified")
 * The result is always a well-formed sockaddr_in or sockaddr_in6 inside
 * *out (zeroed first); callers must still refuse unspecified addresses
 * (see addr_is_unspecified) before connecting anywhere.
 * Returns 0, or OP_ERR_PROTO if in is NULL with a non-zero len (*out is
 * then all zero).
 */
int addr_decode(const uint8_t *in, size_t len, struct sockaddr_storage *out);

/*
 * True if sa is not a usable peer address: not AF_INET/AF_INET6, an
 * unspecified address (0.0.0.0 / ::) or port 0.
 */
bool addr_is_unspecified(const struct sockaddr_storage *sa);

#endif
