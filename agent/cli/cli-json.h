/* SPDX-License-Identifier: MIT */
/*
 * A small JSON reader for the agent's answers on the control socket, so
 * `outpost status` can print them as a table. One document becomes a flat
 * array of nodes linked by index (first child, next sibling).
 */
#ifndef OP_CLI_CLI_JSON_H
#define OP_CLI_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define CJ_MAX_DEPTH 32

enum cj_type { CJ_NULL, CJ_BOOL, CJ_NUM, CJ_STR, CJ_ARR, CJ_OBJ };

struct cj_node {
	enum cj_type type;
	const char *key; /* member name inside an object, else NULL */
	const char *str; /* CJ_STR: the decoded text (NUL-terminated) */
	double num;      /* CJ_NUM; CJ_BOOL: 1 or 0 */
	size_t child;    /* index of the first element/member, 0 = none */
	size_t next;     /* index of the next sibling, 0 = none */
};

struct cj_doc {
	struct cj_node *v; /* v[0] is the root */
	size_t n;
	size_t cap;
	char *text; /* the input, with the strings decoded in place */
};

/*
 * Parses json (NUL-terminated) into *out. Returns 0, OP_ERR_PROTO for
 * anything that is not one JSON value (or nests deeper than
 * CJ_MAX_DEPTH), or OP_ERR_NOMEM. *out is zeroed first; free it with
 * cj_free on every path.
 */
int cj_parse(const char *json, struct cj_doc *out);
void cj_free(struct cj_doc *self);

/* The member key of object obj (NULL: the root), or NULL when obj is not
 * an object or has no such member. */
const struct cj_node *cj_get(const struct cj_doc *self,
	const struct cj_node *obj, const char *key);
/* Element i of an array, or NULL. */
const struct cj_node *cj_at(const struct cj_doc *self,
	const struct cj_node *arr, size_t i);
/* Typed views: the string (NULL unless CJ_STR), the number (dflt unless
 * CJ_NUM), whether it is true. All take NULL. */
const char *cj_str(const struct cj_node *n);
double cj_num(const struct cj_node *n, double dflt);
bool cj_true(const struct cj_node *n);

#endif
