/* SPDX-License-Identifier: MIT */
/* The capture backends of Linux and other Unix systems; x11 is the
 * default. */
#include "capture/capture-internal.h"

const struct capture_ops *const capture__backends[] = {
	&capture__x11_ops,
	&capture__wlr_ops,
	&capture__mutter_ops,
	&capture__portal_ops,
};
const size_t capture__nbackends =
	sizeof(capture__backends) / sizeof(capture__backends[0]);
