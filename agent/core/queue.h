/* SPDX-License-Identifier: MIT */
/*
 * Intrusive lists with the BSD <sys/queue.h> names, written here so every
 * system (Windows has no sys/queue.h) runs the same code. Only the
 * macros the agent uses: LIST (singly linked head, doubly linked
 * entries) and TAILQ (head and tail).
 */
#ifndef OP_CORE_QUEUE_H
#define OP_CORE_QUEUE_H

#include <stddef.h>

#define LIST_HEAD(name, type)                                                 \
	struct name {                                                         \
		struct type *lh_first;                                        \
	}
#define LIST_ENTRY(type)                                                      \
	struct {                                                              \
		struct type *le_next;                                         \
		struct type **le_prev; /* the pointer that points at us */    \
	}
#define LIST_INIT(head) ((head)->lh_first = NULL)
#define LIST_FIRST(head) ((head)->lh_first)
#define LIST_NEXT(elm, field) ((elm)->field.le_next)
#define LIST_INSERT_HEAD(head, elm, field)                                    \
	do {                                                                  \
		if (((elm)->field.le_next = (head)->lh_first) != NULL)        \
			(head)->lh_first->field.le_prev =                     \
				&(elm)->field.le_next;                        \
		(head)->lh_first = (elm);                                     \
		(elm)->field.le_prev = &(head)->lh_first;                     \
	} while (0)
#define LIST_REMOVE(elm, field)                                               \
	do {                                                                  \
		if ((elm)->field.le_next != NULL)                             \
			(elm)->field.le_next->field.le_prev =                 \
				(elm)->field.le_prev;                         \
		*(elm)->field.le_prev = (elm)->field.le_next;                 \
	} while (0)

#define TAILQ_HEAD(name, type)                                                \
	struct name {                                                         \
		struct type *tqh_first;                                       \
		struct type **tqh_last; /* the last element's next pointer */ \
	}
#define TAILQ_ENTRY(type)                                                     \
	struct {                                                              \
		struct type *tqe_next;                                        \
		struct type **tqe_prev;                                       \
	}
#define TAILQ_INIT(head)                                                      \
	do {                                                                  \
		(head)->tqh_first = NULL;                                     \
		(head)->tqh_last = &(head)->tqh_first;                        \
	} while (0)
#define TAILQ_EMPTY(head) ((head)->tqh_first == NULL)
#define TAILQ_FIRST(head) ((head)->tqh_first)
#define TAILQ_NEXT(elm, field) ((elm)->field.tqe_next)
#define TAILQ_FOREACH(var, head, field)                                       \
	for ((var) = TAILQ_FIRST(head); (var) != NULL;                        \
		(var) = TAILQ_NEXT(var, field))
#define TAILQ_INSERT_HEAD(head, elm, field)                                   \
	do {                                                                  \
		if (((elm)->field.tqe_next = (head)->tqh_first) != NULL)      \
			(head)->tqh_first->field.tqe_prev =                   \
				&(elm)->field.tqe_next;                       \
		else                                                          \
			(head)->tqh_last = &(elm)->field.tqe_next;            \
		(head)->tqh_first = (elm);                                    \
		(elm)->field.tqe_prev = &(head)->tqh_first;                   \
	} while (0)
#define TAILQ_INSERT_TAIL(head, elm, field)                                   \
	do {                                                                  \
		(elm)->field.tqe_next = NULL;                                 \
		(elm)->field.tqe_prev = (head)->tqh_last;                     \
		*(head)->tqh_last = (elm);                                    \
		(head)->tqh_last = &(elm)->field.tqe_next;                    \
	} while (0)
#define TAILQ_REMOVE(head, elm, field)                                        \
	do {                                                                  \
		if ((elm)->field.tqe_next != NULL)                            \
			(elm)->field.tqe_next->field.tqe_prev =               \
				(elm)->field.tqe_prev;                        \
		else                                                          \
			(head)->tqh_last = (elm)->field.tqe_prev;             \
		*(elm)->field.tqe_prev = (elm)->field.tqe_next;               \
	} while (0)
/* Moves every element of head2 to the end of head1; head2 ends empty. */
#define TAILQ_CONCAT(head1, head2, field)                                     \
	do {                                                                  \
		if (!TAILQ_EMPTY(head2)) {                                    \
			*(head1)->tqh_last = (head2)->tqh_first;              \
			(head2)->tqh_first->field.tqe_prev =                  \
				(head1)->tqh_last;                            \
			(head1)->tqh_last = (head2)->tqh_last;                \
			TAILQ_INIT(head2);                                    \
		}                                                             \
	} while (0)

#endif
