/* SPDX-License-Identifier: MIT */
/*
 * Connecting to a user's PipeWire socket as that user: the generic
 * fork-drop-connect-pass-the-fd helper is platform_connect_user (shared
 * with the Wayland backends); this only names the socket.
 */
#include "audio/audio.h"

#include <errno.h>
#include <stdio.h>

#include "core/err.h"
#include "platform/userconn.h"

int
audio_connect_user(const char *runtime_dir, uid_t uid, gid_t gid, int *fd)
{
	char path[108];
	int n;

	*fd = -1;
	if (runtime_dir == NULL || runtime_dir[0] != '/')
		return OP_ERR_CONFIG;
	n = snprintf(path, sizeof(path), "%s/pipewire-0", runtime_dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	return platform_connect_user(path, uid, gid, fd);
}
