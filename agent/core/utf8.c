/* SPDX-License-Identifier: MIT */
#include "core/utf8.h"

#include <string.h>

size_t
op_utf8_decode(const uint8_t *s, size_t len, uint32_t *cp)
{
	uint32_t c;
	uint32_t min;
	size_t n;
	size_t i;

	if (len == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3fu);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

bool
op_utf8_unsafe(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
		(c >= 0x200b && c <= 0x200f) ||
		(c >= 0x2028 && c <= 0x202e) ||
		(c >= 0x2060 && c <= 0x206f) || c == 0xfeff ||
		(c >= 0xfff9 && c <= 0xfffb);
}

size_t
op_utf8_next_safe(const uint8_t *s, size_t len, size_t *adv)
{
	uint32_t c = 0;
	size_t n = op_utf8_decode(s, len, &c);

	if (n == 0) {
		*adv = len > 0 ? 1 : 0;
		return 0;
	}
	*adv = n;
	return op_utf8_unsafe(c) ? 0 : n;
}

size_t
op_utf8_sanitize(char *dst, size_t size, const char *s, size_t n)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t o = 0;
	size_t adv;

	if (size == 0)
		return 0;
	for (size_t i = 0; s != NULL && i < n; i += adv) {
		size_t l = op_utf8_next_safe(u + i, n - i, &adv);

		if (l == 0) {
			if (o + 1 >= size)
				break;
			dst[o++] = '?';
			continue;
		}
		if (o + l >= size)
			break;
		memcpy(dst + o, u + i, l);
		o += l;
	}
	dst[o] = '\0';
	return o;
}
