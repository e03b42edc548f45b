/* SPDX-License-Identifier: MIT */
/*
 * A FILE that writes to memory, for JSON built with stdio (json.h):
 * open_memstream on Unix; on Windows, which has none, a temporary file
 * that only this process can open and that is deleted when closed,
 * read back at the end.
 */
#ifndef OP_CORE_MEMFILE_H
#define OP_CORE_MEMFILE_H

#include <stddef.h>
#include <stdio.h>

struct op_memfile {
	FILE *f;     /* write here */
	char *buf;   /* Unix: open_memstream's */
	size_t len;
};

/* m->f, or NULL when out of memory (or no temporary file). */
FILE *op_memfile_open(struct op_memfile *m);
/*
 * Closes m->f and returns what was written, NUL-terminated, malloc'd,
 * its length in *len (len may be NULL); NULL when the open or a write
 * failed, or memory ran out.
 */
char *op_memfile_take(struct op_memfile *m, size_t *len);
/* The same into out (size > 0 bytes, NUL-terminated, cut to fit): 0, or
 * -1 when nothing could be had (out is then ""). */
int op_memfile_copy(struct op_memfile *m, char *out, size_t size);

#endif
