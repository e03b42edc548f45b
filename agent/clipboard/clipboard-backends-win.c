/* SPDX-License-Identifier: MIT */
/* The clipboard backends of Windows: the Win32 clipboard. */
#include "clipboard/clipboard-internal.h"

const struct clipboard_ops *const clipboard__backends[] = {
	&clipboard__win_ops,
};
const size_t clipboard__nbackends =
	sizeof(clipboard__backends) / sizeof(clipboard__backends[0]);
