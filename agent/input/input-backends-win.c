/* SPDX-License-Identifier: MIT */
/* The input backends of Windows: SendInput. */
#include "input/input-internal.h"

const struct input_ops *const input__backends[] = {
	&input__win_ops,
};
const size_t input__nbackends =
	sizeof(input__backends) / sizeof(input__backends[0]);
