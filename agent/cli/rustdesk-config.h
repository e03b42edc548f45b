/* SPDX-License-Identifier: MIT */
/*
 * RustDesk's deployment string (what `rustdesk --config` takes and
 * installer names embed; rustdesk/rustdesk src/custom_server.rs): the
 * reversed base64 of {"host","key","api","relay"}, optionally signed with
 * RustDesk's licence key, or "host=...,key=..."; parsed with bounds
 * (4 KiB input, 32 JSON levels). Pure: no I/O.
 */
#ifndef OP_CLI_RUSTDESK_CONFIG_H
#define OP_CLI_RUSTDESK_CONFIG_H

#include <stddef.h>

#define RD_MAX_INPUT 4096 /* bytes of a RustDesk config string */
#define RD_MAX_DEPTH 32   /* JSON nesting in ignored fields */

enum rd_field { RD_HOST, RD_KEY, RD_API, RD_RELAY, RD_NFIELDS };
extern const char *const rd_names[RD_NFIELDS];

struct rd_server {
	char *v[RD_NFIELDS]; /* NULL = absent = "" (serde's default) */
};

/* Frees the values; the struct can be reused. */
void rd_clear(struct rd_server *s);
/* The value of f, "" when absent (borrowed). */
const char *rd_get(const struct rd_server *s, enum rd_field f);
/* Parses input into *out (cleared first). Returns 0, or a negative code
 * with err filled; out holds nothing then. */
int rd_parse(const char *input, struct rd_server *out, char *err,
	size_t errsz);

#endif
