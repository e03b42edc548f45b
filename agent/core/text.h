/* SPDX-License-Identifier: MIT */
/* Bounded, escaped excerpts of untrusted text for logs and messages;
 * small string helpers every system has. */
#ifndef OP_CORE_TEXT_H
#define OP_CORE_TEXT_H

#include <stddef.h>

/*
 * Writes at most max_in bytes of s[0..len) into buf as printable ASCII:
 * control bytes, DEL and every byte >= 0x80 become \xNN, so nothing a
 * peer sends can forge a log line, move the terminal cursor or reorder
 * text (C1 controls, bidi overrides). "..." marks a cut. Always
 * NUL-terminates when bufsz > 0. Returns buf.
 */
char *op_excerpt(const char *s, size_t len, size_t max_in, char *buf,
	size_t bufsz);

/* The first n bytes of s (no NUL among them is looked for), malloc'd and
 * NUL-terminated; NULL without memory. strndup, which Windows' C library
 * lacks. */
char *op_strndup(const char *s, size_t n);

#endif
