/* SPDX-License-Identifier: MIT */
/* The clipboard backends of Linux and other Unix systems. */
#include "clipboard/clipboard-internal.h"

const struct clipboard_ops *const clipboard__backends[] = {
	&clipboard__x11_ops,
	&clipboard__wlr_ops,
	&clipboard__mutter_ops,
};
const size_t clipboard__nbackends =
	sizeof(clipboard__backends) / sizeof(clipboard__backends[0]);
