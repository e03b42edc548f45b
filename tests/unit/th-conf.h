/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the conf unit tests (test-conf*.c): diagnostics
 * lookup, a private temp dir, test data paths, dumps and loads.
 * Header-only; static inline so a test that uses some still builds
 * warning-free.
 */
#ifndef OP_TESTS_TH_CONF_H
#define OP_TESTS_TH_CONF_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static inline void
print_diags(const struct conf_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "    %s: %s\n", d->v[i].where, d->v[i].msg);
}

/* Index of the diag at line:col whose message contains sub, or -1. */
static inline long
find_diag(const struct conf_diags *d, const char *sub, unsigned line,
	unsigned col)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].line == line && d->v[i].col == col &&
			strstr(d->v[i].msg, sub) != NULL)
			return (long)i;
	return -1;
}

static char tmpdir[256];

static inline const char *
tmp_path(const char *name)
{
	static char p[512];

	if (tmpdir[0] == '\0') {
		const char *t = getenv("TMPDIR");

		snprintf(tmpdir, sizeof(tmpdir), "%s/test-conf-XXXXXX",
			t != NULL && t[0] != '\0' ? t : "/tmp");
		if (mkdtemp(tmpdir) == NULL)
			return NULL;
	}
	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

static inline int
write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, data, len);
	close(fd);
	if (w < 0 || (size_t)w != len)
		return -1;
	return chmod(path, mode);
}

static inline const char *
data_path(const char *name)
{
	static char p[1024];
	const char *d = getenv("OP_TEST_DATA");

	snprintf(p, sizeof(p), "%s/conf/%s", d != NULL ? d : "tests/unit/data",
		name);
	return p;
}

/* Dumps c into a malloc'ed string (NULL on failure). */
static inline char *
dump_str(const struct conf *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	if (conf_write_dump(c, f) != 0) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

/* Whether two snapshots of the same table hold the same values. */
static inline bool
same_values(const struct conf *a, const struct conf *b)
{
	if (a->table != b->table)
		return false;
	for (size_t k = 0; k < a->table->n; k++) {
		const struct conf_value *x = &a->v[k], *y = &b->v[k];

		if (x->num != y->num || x->nitems != y->nitems)
			return false;
		if ((x->text == NULL) != (y->text == NULL) ||
			(x->text != NULL && strcmp(x->text, y->text) != 0))
			return false;
		for (size_t i = 0; i < x->nitems; i++)
			if (strcmp(x->items[i], y->items[i]) != 0)
				return false;
	}
	return true;
}

static inline int
load(const char *yaml, struct conf **c, struct conf_diags *d)
{
	return conf_load_buffer("t.yaml", yaml, strlen(yaml), c, d);
}

/* ---- tests ------------------------------------------------------------- */

/* The first key whose "leaf: " does not appear in text, or NULL: dumps
 * and the example must list every key. */
static inline const char *
missing_key(const char *text)
{
	for (int k = 0; k < CONF_KEY_COUNT_; k++) {
		const char *name = conf_key_name((enum conf_key)k);
		const char *leaf = strrchr(name, '.');
		char pat[128];

		snprintf(pat, sizeof(pat), "%s: ",
			leaf != NULL ? leaf + 1 : name);
		if (strstr(text, pat) == NULL)
			return name;
	}
	return NULL;
}

#endif
