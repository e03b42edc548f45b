/* SPDX-License-Identifier: MIT */
/* Minimal JSON output helpers for status answers, schemas and exports. */
#ifndef OP_CORE_JSON_H
#define OP_CORE_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Writes s (at most n bytes, stopping at NUL) as a JSON string literal,
 * escaping quotes, backslashes and control characters. */
void op_json_str(FILE *f, const char *s, size_t n);

/* op_json_str into out (cap bytes, always NUL-terminated when cap > 0,
 * cut when short); returns the length the whole literal needs, as
 * snprintf does. */
size_t op_json_str_buf(char *out, size_t cap, const char *s, size_t n);

/* op_json_str for a NUL-terminated string; NULL is written as null. */
void op_json_cstr(FILE *f, const char *s);

#endif
