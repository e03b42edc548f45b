/* SPDX-License-Identifier: MIT */
/* Intrusive lists (BSD sys/queue.h), one include point for portability. */
#ifndef OP_CORE_QUEUE_H
#define OP_CORE_QUEUE_H

#include <sys/queue.h>

#endif
