/* SPDX-License-Identifier: MIT */
/* The capture backends of Windows: DXGI Desktop Duplication by default
 * (falling back to GDI when it cannot open), GDI. */
#include "capture/capture-internal.h"

const struct capture_ops *const capture__backends[] = {
	&capture__dxgi_ops,
	&capture__gdi_ops,
};
const size_t capture__nbackends =
	sizeof(capture__backends) / sizeof(capture__backends[0]);
