/* SPDX-License-Identifier: MIT */
/*
 * What the xfer tests of Linux and of Windows (under wine) share: whole
 * files read back by path, and the collector, which drains an xfer's
 * outbox and results into arrays the tests inspect and runs its steps.
 */
#ifndef OP_TESTS_TH_XFER_COL_H
#define OP_TESTS_TH_XFER_COL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xfer/xfer.h"

/* An xfer the test cannot do without: exits when cfg is refused. */
static inline struct xfer *
th_xfer_new(const struct xfer_config *cfg)
{
	struct xfer *x = NULL;
	char err[256];

	if (xfer_new(cfg, &x, err, sizeof(err)) != 0) {
		fprintf(stderr, "xfer_new: %s\n", err);
		exit(2);
	}
	return x;
}

/* A whole file (malloc'd, NUL-terminated); NULL when it is not there or
 * cannot be read. */
static inline char *
th_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long n;

	*len = 0;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
		fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)n + 1)) &&
		fread(b, 1, (size_t)n, f) == (size_t)n) {
		b[n] = '\0';
		*len = (size_t)n;
	} else {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

/* The file at path holds exactly data. */
static inline bool
th_same(const char *path, const void *data, size_t len)
{
	size_t n;
	char *s = th_slurp(path, &n);
	bool ok = s != NULL && n == len && memcmp(s, data, len) == 0;

	free(s);
	return ok;
}

#define TH_MAX_MSGS 4096

struct th_col {
	struct xfer_msg *m[TH_MAX_MSGS];
	size_t n;
	struct xfer_result *r[256];
	size_t nr;
};

static inline void
th_col_drain(struct th_col *c, struct xfer *x)
{
	struct xfer_msg *m;
	struct xfer_result *r;

	while ((m = xfer_take_msg(x)) != NULL) {
		if (c->n == TH_MAX_MSGS) {
			xfer_msg_free(m);
			continue;
		}
		c->m[c->n++] = m;
	}
	while ((r = xfer_take_result(x)) != NULL) {
		if (c->nr == 256) {
			xfer_result_free(r);
			continue;
		}
		c->r[c->nr++] = r;
	}
}

static inline void
th_col_clear(struct th_col *c)
{
	for (size_t i = 0; i < c->n; i++)
		xfer_msg_free(c->m[i]);
	for (size_t i = 0; i < c->nr; i++)
		xfer_result_free(c->r[i]);
	c->n = c->nr = 0;
}

/* The last message drained (NULL when none). */
static inline struct xfer_msg *
th_last(const struct th_col *c)
{
	return c->n > 0 ? c->m[c->n - 1] : NULL;
}

/* The first message of a kind, or NULL. */
static inline struct xfer_msg *
th_find(const struct th_col *c, enum xfer_msg_kind kind)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->m[i]->kind == kind)
			return c->m[i];
	return NULL;
}

static inline size_t
th_count(const struct th_col *c, enum xfer_msg_kind kind)
{
	size_t k = 0;

	for (size_t i = 0; i < c->n; i++)
		k += c->m[i]->kind == kind;
	return k;
}

/* The error text of the last ERROR message, or "". */
static inline const char *
th_error(const struct th_col *c)
{
	for (size_t i = c->n; i > 0; i--)
		if (c->m[i - 1]->kind == XFER_MSG_ERROR)
			return c->m[i - 1]->error;
	return "";
}

static inline const struct xfer_entry *
th_entry(const struct xfer_msg *m, const char *name)
{
	for (size_t i = 0; m != NULL && i < m->nentries; i++)
		if (strcmp(m->entries[i].name, name) == 0)
			return &m->entries[i];
	return NULL;
}

/* Runs xfer_step until nothing is left to do (bounded), draining. */
static inline int
th_run(struct xfer *x, struct th_col *c, unsigned max_steps)
{
	int steps = 0;

	while (max_steps-- > 0 && xfer_step(x, XFER_PENDING_SEND |
						      XFER_PENDING_WORK) == 1) {
		steps++;
		th_col_drain(c, x);
	}
	th_col_drain(c, x);
	return steps;
}

#endif
