/* SPDX-License-Identifier: MIT */
/*
 * Escaped excerpts of text that came from a peer or a file. Pure; never
 * copies more than the caller's bound.
 */
#include "core/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
op_excerpt(const char *s, size_t len, size_t max_in, char *buf,
	size_t bufsz)
{
	size_t o = 0, i;

	if (bufsz == 0)
		return buf;
	for (i = 0; i < len && i < max_in && o + 5 < bufsz; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f) {
			snprintf(buf + o, bufsz - o, "\\x%02x", c);
			o += 4;
		} else {
			buf[o++] = (char)c;
		}
	}
	if (i < len && o + 4 <= bufsz) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

char *
op_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}
