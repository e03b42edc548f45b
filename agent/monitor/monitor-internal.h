/* SPDX-License-Identifier: MIT */
/* Shared by the monitor's files. */
#ifndef OP_MONITOR_MONITOR_INTERNAL_H
#define OP_MONITOR_MONITOR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * connect-user's check: path is a wayland-*, pipewire-0, bus or
 * pulse/native socket of uid (an existing user) in a directory of uid's
 * that no one else can write. Returns 0 with uid's primary group in *gid,
 * -ENOENT (no such socket), or -EPERM with why filled.
 */
int monitor__user_socket(const char *path, uint32_t uid, gid_t *gid,
	char *why, size_t why_size);

#endif
