/* SPDX-License-Identifier: MIT */
/*
 * Where a portal restore token lives between opens: one small file
 * (mode 0600) in the agent's state directory, named by the caller (the
 * backend glue). The file is untrusted on reading: no symlink, a regular
 * file, at most PORTAL_TOKEN_MAX - 1 bytes of [A-Za-z0-9._-] (portals
 * make UUIDs), else it counts as no token.
 */
#ifndef OP_PORTAL_PORTAL_TOKEN_H
#define OP_PORTAL_PORTAL_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

/* A token we would send or store: 1..PORTAL_TOKEN_MAX-1 bytes of
 * [A-Za-z0-9._-]. */
bool portal_token_valid(const char *token);

/* Reads the token at path into out (cap bytes, at least
 * PORTAL_TOKEN_MAX). 0 with out = "" when there is none; OP_ERR_PROTO
 * (out = "") for a file that is not a token; -errno for I/O. */
int portal_token_load(const char *path, char *out, size_t cap);

/* Replaces the file atomically (a temporary beside it, 0600, renamed);
 * token "" removes it. 0 or -errno / OP_ERR_RANGE. */
int portal_token_save(const char *path, const char *token);

#endif
