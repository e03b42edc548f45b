/* SPDX-License-Identifier: MIT */
/*
 * SOCKS5 client messages (RFC 1928) with username/password
 * authentication (RFC 1929): request builders and bounded parsers for the
 * proxy's replies.
 *
 * Must not: trust a length the proxy declares beyond the bytes it sent
 * (a reply is complete only when every declared byte is there), or treat
 * an unknown version, reserved byte or address type as anything but
 * OP_ERR_PROTO. Pure: no I/O, no allocation outside the caller's opbuf.
 */
#include "core/netaddr.h"
#include "net/proxy-internal.h"

#include <string.h>

#include "core/buf.h"
#include "core/err.h"

#define SOCKS5_VERSION 0x05
#define SOCKS5_AUTH_VERSION 0x01
#define SOCKS5_CMD_CONNECT 0x01
#define SOCKS5_ATYP_IPV4 0x01
#define SOCKS5_ATYP_DOMAIN 0x03
#define SOCKS5_ATYP_IPV6 0x04

int
socks5_parse_method(const uint8_t *p, size_t len, uint8_t *method)
{
	*method = 0;
	if (len >= 1 && p[0] != SOCKS5_VERSION)
		return OP_ERR_PROTO;
	if (len < 2)
		return OP_ERR_INCOMPLETE;
	*method = p[1];
	return 0;
}

int
socks5_parse_auth(const uint8_t *p, size_t len, uint8_t *status)
{
	*status = 0xff;
	/* Some servers answer the sub-negotiation with version 5; RFC 1929
	 * says 1. Accept both, refuse anything else. */
	if (len >= 1 && p[0] != SOCKS5_AUTH_VERSION && p[0] != SOCKS5_VERSION)
		return OP_ERR_PROTO;
	if (len < 2)
		return OP_ERR_INCOMPLETE;
	*status = p[1];
	return 0;
}

int
socks5_parse_reply(const uint8_t *p, size_t len, struct socks5_reply *out)
{
	size_t need;

	memset(out, 0, sizeof(*out));
	if ((len >= 1 && p[0] != SOCKS5_VERSION) || (len >= 3 && p[2] != 0))
		return OP_ERR_PROTO;
	if (len < 4)
		return OP_ERR_INCOMPLETE;
	switch (p[3]) {
	case SOCKS5_ATYP_IPV4:
		need = 4 + 4 + 2;
		break;
	case SOCKS5_ATYP_IPV6:
		need = 4 + 16 + 2;
		break;
	case SOCKS5_ATYP_DOMAIN:
		if (len < 5)
			return OP_ERR_INCOMPLETE;
		if (p[4] == 0)
			return OP_ERR_PROTO;
		need = 4 + 1 + (size_t)p[4] + 2;
		break;
	default:
		return OP_ERR_PROTO;
	}
	if (len < need)
		return OP_ERR_INCOMPLETE;
	out->rep = p[1];
	out->atyp = p[3];
	out->len = need;
	return 0;
}

int
socks5_greeting(struct opbuf *out, bool offer_userpass)
{
	uint8_t m[4] = { SOCKS5_VERSION, 1, SOCKS5_METHOD_NONE, 0 };

	if (offer_userpass) {
		m[1] = 2;
		m[3] = SOCKS5_METHOD_USERPASS;
	}
	return opbuf_put(out, m, offer_userpass ? 4 : 3);
}

int
socks5_auth_request(struct opbuf *out, const char *user,
	const char *password)
{
	size_t ul = strlen(user);
	size_t pl = strlen(password);
	int r;

	/* RFC 1929: ULEN and PLEN are 1..255. */
	if (ul == 0 || ul > 255 || pl == 0 || pl > 255)
		return OP_ERR_RANGE;
	if ((r = opbuf_put_u8(out, SOCKS5_AUTH_VERSION)) != 0 ||
		(r = opbuf_put_u8(out, (uint8_t)ul)) != 0 ||
		(r = opbuf_put(out, user, ul)) != 0 ||
		(r = opbuf_put_u8(out, (uint8_t)pl)) != 0 ||
		(r = opbuf_put(out, password, pl)) != 0)
		return r;
	return 0;
}

int
socks5_connect_request(struct opbuf *out, const char *host, uint16_t port)
{
	uint8_t addr[16];
	uint8_t hdr[4] = { SOCKS5_VERSION, SOCKS5_CMD_CONNECT, 0, 0 };
	uint8_t pb[2] = { (uint8_t)(port >> 8), (uint8_t)(port & 0xff) };
	size_t hl = strlen(host);
	int r;

	if (inet_pton(AF_INET, host, addr) == 1) {
		hdr[3] = SOCKS5_ATYP_IPV4;
		if ((r = opbuf_put(out, hdr, 4)) != 0 ||
			(r = opbuf_put(out, addr, 4)) != 0)
			return r;
	} else if (inet_pton(AF_INET6, host, addr) == 1) {
		hdr[3] = SOCKS5_ATYP_IPV6;
		if ((r = opbuf_put(out, hdr, 4)) != 0 ||
			(r = opbuf_put(out, addr, 16)) != 0)
			return r;
	} else {
		/* A name: the proxy resolves it (the client may not be able
		 * to, and must not leak the lookup). */
		if (hl == 0 || hl > 255)
			return OP_ERR_RANGE;
		hdr[3] = SOCKS5_ATYP_DOMAIN;
		if ((r = opbuf_put(out, hdr, 4)) != 0 ||
			(r = opbuf_put_u8(out, (uint8_t)hl)) != 0 ||
			(r = opbuf_put(out, host, hl)) != 0)
			return r;
	}
	return opbuf_put(out, pb, 2);
}

const char *
socks5_reply_text(uint8_t rep)
{
	static const char *const text[] = {
		[0] = "succeeded",
		[1] = "general SOCKS server failure",
		[2] = "connection not allowed by ruleset",
		[3] = "network unreachable",
		[4] = "host unreachable",
		[5] = "connection refused",
		[6] = "TTL expired",
		[7] = "command not supported",
		[8] = "address type not supported",
	};

	return rep < sizeof(text) / sizeof(text[0]) ? text[rep] :
						      "unassigned reply code";
}

int
socks5_reply_error(uint8_t rep)
{
	switch (rep) {
	case 0:
		return 0;
	case 1:
	case 2:
		return OP_ERR_DENIED;
	case 3:
		return UV_ENETUNREACH;
	case 4:
		return UV_EHOSTUNREACH;
	case 5:
		return UV_ECONNREFUSED;
	case 6:
		return UV_ETIMEDOUT;
	case 7:
	case 8:
		return OP_ERR_UNSUPPORTED;
	default:
		return OP_ERR_PROTO;
	}
}
