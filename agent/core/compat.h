/* SPDX-License-Identifier: MIT */
/*
 * POSIX names the Windows build lacks, so shared headers can keep them.
 * There are no POSIX ids on Windows: fields of these types stay 0 there.
 */
#ifndef OP_CORE_COMPAT_H
#define OP_CORE_COMPAT_H

#include <stdint.h>
#include <sys/types.h>

#ifdef _WIN32
typedef uint32_t uid_t;
typedef uint32_t gid_t;
#endif

#endif
