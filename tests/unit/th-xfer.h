/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the xfer tests: a temporary tree full of traps, file
 * helpers, and a collector that drains an xfer's outbox and results into
 * arrays the tests inspect. Every function here aborts the process on a
 * set-up failure (the test could not mean anything).
 */
#ifndef OP_TESTS_TH_XFER_H
#define OP_TESTS_TH_XFER_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "th-fs.h"
#include "xfer/xfer.h"

static char th_tmp[256];

static inline void
th_die(const char *what)
{
	fprintf(stderr, "test set-up failed: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* A path below the temporary directory (static rotating buffers). */
static inline const char *
tp(const char *rel)
{
	static char bufs[8][1024];
	static int i;
	char *b = bufs[i++ & 7];

	snprintf(b, sizeof(bufs[0]), "%s/%s", th_tmp, rel);
	return b;
}

static inline void
th_write(const char *rel, const void *data, size_t len)
{
	int fd = open(tp(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || (len > 0 && write(fd, data, len) != (ssize_t)len))
		th_die(rel);
	close(fd);
}

static inline void
th_mkdir(const char *rel)
{
	if (mkdir(tp(rel), 0755) != 0 && errno != EEXIST)
		th_die(rel);
}

static inline void
th_symlink(const char *target, const char *rel)
{
	if (symlink(target, tp(rel)) != 0)
		th_die(rel);
}

/* Reads a whole file below the tree (malloc'd, NUL-terminated). */
static inline char *
th_read(const char *rel, size_t *len)
{
	FILE *f = fopen(tp(rel), "rb");
	char *b;
	long n;

	*len = 0;
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if ((b = malloc((size_t)n + 1)) == NULL ||
		fread(b, 1, (size_t)n, f) != (size_t)n)
		th_die(rel);
	fclose(f);
	b[n] = '\0';
	*len = (size_t)n;
	return b;
}

static inline bool
th_exists(const char *rel)
{
	struct stat st;

	return lstat(tp(rel), &st) == 0;
}

static inline void
th_tmp_make(void)
{
	snprintf(th_tmp, sizeof(th_tmp), "/tmp/op-xfer-test-XXXXXX");
	if (mkdtemp(th_tmp) == NULL)
		th_die("mkdtemp");
}

/* Deterministic pseudo-random bytes (xorshift). */
static inline void
th_fill_random(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed ? seed : 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static inline void
th_sha256(const void *p, size_t n, uint8_t out[32])
{
	crypto_hash_sha256(out, p, n);
}

/* How many part files are left in a directory. */
static inline int
th_parts_in(const char *rel)
{
	char cmd[600];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -c '^.outpost-part-'",
		tp(rel));
	if ((p = popen(cmd, "r")) == NULL || fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p != NULL)
		pclose(p);
	return n;
}

/* ------------------------------------------------------ the collector */

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
