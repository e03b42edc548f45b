/* SPDX-License-Identifier: MIT */
/* The input backends of Linux and other Unix systems. */
#include "input/input-internal.h"

const struct input_ops *const input__backends[] = {
	&input__x11_ops,
	&input__wlr_ops,
	&input__mutter_ops,
	&input__portal_ops,
};
const size_t input__nbackends =
	sizeof(input__backends) / sizeof(input__backends[0]);
