/* SPDX-License-Identifier: MIT */
/* The capture backends of Windows: GDI only (no DXGI yet). */
#include "capture/capture-internal.h"

const struct capture_ops *const capture__backends[] = {
	&capture__gdi_ops,
};
const size_t capture__nbackends =
	sizeof(capture__backends) / sizeof(capture__backends[0]);
