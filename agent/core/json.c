/* SPDX-License-Identifier: MIT */
#include "core/json.h"

#include <string.h>

void
op_json_str(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Appends len bytes of p at *at (counted even past cap). */
static void
put(char *out, size_t cap, size_t *at, const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++, (*at)++)
		if (*at + 1 < cap)
			out[*at] = p[i];
}

size_t
op_json_str_buf(char *out, size_t cap, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t at = 0;

	put(out, cap, &at, "\"", 1);
	for (size_t i = 0; i < n && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		char e[2] = { '\\', (char)c };

		if (c == '"' || c == '\\')
			put(out, cap, &at, e, 2);
		else if (c < 0x20 || c == 0x7f)
			put(out, cap, &at, u, 6);
		else
			put(out, cap, &at, &s[i], 1);
	}
	put(out, cap, &at, "\"", 1);
	if (cap > 0)
		out[at < cap ? at : cap - 1] = '\0';
	return at;
}

void
op_json_cstr(FILE *f, const char *s)
{
	if (s == NULL)
		fputs("null", f);
	else
		op_json_str(f, s, strlen(s));
}
