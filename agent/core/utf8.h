/* SPDX-License-Identifier: MIT */
/* Strict UTF-8 decoding, for every module that checks peer text. */
#ifndef OP_CORE_UTF8_H
#define OP_CORE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes the character at s (at most len bytes). Returns its length
 * (1-4) and *cp, or 0 when it is invalid: overlong, a surrogate, above
 * U+10FFFF, truncated, or a stray continuation byte.
 */
size_t op_utf8_decode(const uint8_t *s, size_t len, uint32_t *cp);

#endif
