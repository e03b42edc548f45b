/* SPDX-License-Identifier: MIT */
/*
 * Strict UTF-8 decoding, and the one filter for untrusted text shown in
 * logs, terminals and prompts (the audit trail and the consent prompt
 * both use it, so they cannot disagree about what is dangerous).
 */
#ifndef OP_CORE_UTF8_H
#define OP_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decodes the character at s (at most len bytes). Returns its length
 * (1-4) and *cp, or 0 when it is invalid: overlong, a surrogate, above
 * U+10FFFF, truncated, or a stray continuation byte.
 */
size_t op_utf8_decode(const uint8_t *s, size_t len, uint32_t *cp);

/*
 * True for a character that must never be shown as itself: C0 and C1
 * controls (U+0000-U+001F, U+007F-U+009F: ESC and CSI move cursors and
 * forge lines), and invisible or direction-changing formatting that can
 * make one text read as another: zero-width characters and marks
 * (U+200B-U+200F), line/paragraph separators and bidi embeddings and
 * overrides (U+2028-U+202E), word joiner, invisible operators and bidi
 * isolates (U+2060-U+206F), the BOM (U+FEFF) and interlinear
 * annotation (U+FFF9-U+FFFB).
 */
bool op_utf8_unsafe(uint32_t cp);

/*
 * Looks at the next character of s[0..len) (len > 0) for display.
 * Returns its length in bytes (1-4) when it may be copied as it is, or 0
 * when it must be replaced (invalid UTF-8, or op_utf8_unsafe); *adv is
 * how many bytes it occupies (1 for an invalid byte).
 */
size_t op_utf8_next_safe(const uint8_t *s, size_t len, size_t *adv);

/*
 * Copies s[0..n) into dst (size > 0) for display: each invalid byte and
 * each unsafe character becomes one '?'; the copy is cut at a character
 * boundary to fit and always NUL-terminated. NULL s gives "". Returns
 * the length written.
 */
size_t op_utf8_sanitize(char *dst, size_t size, const char *s, size_t n);

#endif
