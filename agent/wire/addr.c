/* SPDX-License-Identifier: MIT */
/*
 * AddrMangle, RustDesk's reversible socket-address obfuscation (hbb_common
 * src/lib.rs, protocol reference 1.5). hbbs writes the addresses of waiting
 * peers into PunchHole / FetchLocalAddr / RequestRelay.socket_addr this
 * way, and routes our PunchHoleSent / RelayResponse replies by the decoded
 * socket_addr we echo, so both directions must match RustDesk bit for bit,
 * including its wrap-around arithmetic.
 *
 * This file must not do I/O or allocate, and must accept any byte string on
 * decode without reading past it: the input comes from the network.
 */
#include "wire/addr.h"

#include <string.h>


#include "core/err.h"
#include "core/netaddr.h"
#include "core/time.h"

/* GCC and Clang both provide it; RustDesk's formula is defined on u128. */
__extension__ typedef unsigned __int128 u128;

static int
encode_v4(const uint8_t ip4[static 4], uint16_t port, uint64_t tm_us,
	uint8_t out[static ADDR_MANGLE_MAX], size_t *out_len)
{
	uint32_t tm = (uint32_t)tm_us;
	uint32_t ip;
	u128 v;
	size_t n = 16;

	/* The octets a.b.c.d read as a little-endian u32. */
	ip = (uint32_t)ip4[0] | (uint32_t)ip4[1] << 8 |
		(uint32_t)ip4[2] << 16 | (uint32_t)ip4[3] << 24;
	/* ip + tm is taken in 128 bits, so its carry lands in bit 81. */
	v = ((u128)ip + tm) << 49 | (u128)tm << 17 |
		(u128)((uint32_t)port + (tm & 0xFFFF));
	for (size_t i = 0; i < 16; i++)
		out[i] = (uint8_t)(v >> (8 * i));
	/* RustDesk drops every trailing zero byte. */
	while (n > 0 && out[n - 1] == 0)
		n--;
	*out_len = n;
	return 0;
}

int
addr_encode_at(const struct sockaddr_storage *sa, uint64_t tm_us,
	uint8_t out[static ADDR_MANGLE_MAX], size_t *out_len)
{
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;
	uint16_t port;

	*out_len = 0;
	switch (sa->ss_family) {
	case AF_INET:
		s4 = (const struct sockaddr_in *)sa;
		return encode_v4((const uint8_t *)&s4->sin_addr,
			ntohs(s4->sin_port), tm_us, out, out_len);
	case AF_INET6:
		s6 = (const struct sockaddr_in6 *)sa;
		port = ntohs(s6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			return encode_v4(s6->sin6_addr.s6_addr + 12, port,
				tm_us, out, out_len);
		memcpy(out, s6->sin6_addr.s6_addr, 16);
		out[16] = (uint8_t)port;
		out[17] = (uint8_t)(port >> 8);
		*out_len = 18;
		return 0;
	default:
		return OP_ERR_UNSUPPORTED;
	}
}

int
addr_encode(const struct sockaddr_storage *sa,
	uint8_t out[static ADDR_MANGLE_MAX], size_t *out_len)
{
	return addr_encode_at(sa, op_wall_us(), out, out_len);
}

int
addr_decode(const uint8_t *in, size_t len, struct sockaddr_storage *out)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
	u128 v = 0;
	uint32_t tm;
	uint32_t ip;
	uint16_t port;

	memset(out, 0, sizeof(*out));
	if (in == NULL && len > 0)
		return OP_ERR_PROTO;
	if (len == 18) {
		s6->sin6_family = AF_INET6;
		memcpy(s6->sin6_addr.s6_addr, in, 16);
		s6->sin6_port = htons((uint16_t)(in[16] | in[17] << 8));
		return 0;
	}
	if (len > 16) {
		/* RustDesk's answer to a length it does not know. */
		s6->sin6_family = AF_INET6;
		return 0;
	}
	/* Zero-padded to 16 bytes, little-endian; len 0 gives 0.0.0.0:0. */
	for (size_t i = len; i > 0; i--)
		v = v << 8 | in[i - 1];
	tm = (uint32_t)(v >> 17);
	/* Both subtractions wrap in 128 bits and are then truncated, as in
	 * RustDesk; unsigned arithmetic makes that well defined here. */
	ip = (uint32_t)((v >> 49) - tm);
	port = (uint16_t)((v & 0xFFFFFF) - (tm & 0xFFFF));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	memcpy(&s4->sin_addr, (uint8_t[4]){ (uint8_t)ip, (uint8_t)(ip >> 8),
		(uint8_t)(ip >> 16), (uint8_t)(ip >> 24) }, 4);
	return 0;
}

bool
addr_is_unspecified(const struct sockaddr_storage *sa)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	switch (sa->ss_family) {
	case AF_INET:
		return s4->sin_addr.s_addr == htonl(INADDR_ANY) ||
			s4->sin_port == 0;
	case AF_INET6:
		return IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr) ||
			s6->sin6_port == 0;
	default:
		return true;
	}
}
