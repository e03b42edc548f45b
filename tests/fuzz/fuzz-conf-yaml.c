/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes conf_load_buffer (libyaml events -> key table -> value parsers).
 * Beyond "no crash, no leak", it checks the contracts: success means no
 * diags and a dump that re-loads to the same values; failure means at
 * least one diag, each with a location and a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

static int
same(const struct conf *a, const struct conf *b)
{
	for (int k = 0; k < CONF_KEY_COUNT_; k++) {
		enum conf_key key = (enum conf_key)k;

		if (conf_key_type(key) == CONF_T_LIST) {
			size_t n = conf_list_len(a, key);

			if (n != conf_list_len(b, key))
				return 0;
			for (size_t i = 0; i < n; i++)
				if (strcmp(conf_list_at(a, key, i),
					    conf_list_at(b, key, i)) != 0)
					return 0;
		} else if (strcmp(conf_str(a, key), conf_str(b, key)) != 0 ||
			conf_int(a, key) != conf_int(b, key)) {
			return 0;
		}
	}
	return 1;
}

static void
check_diags(const struct conf_diags *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].where == NULL || d->v[i].msg == NULL ||
			strncmp(d->v[i].where, name, strlen(name)) != 0 ||
			d->v[i].msg[0] == '\0')
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* conf_write_dump into a buffer: open_memstream where there is one, a
 * temporary file on Windows. Traps when the dump itself fails. */
static int
dump(const struct conf *c, char **buf, size_t *len)
{
#ifdef _WIN32
	FILE *f = tmpfile();
	long n;

	if (f == NULL)
		return -1;
	if (conf_write_dump(c, f) != 0)
		__builtin_trap();
	if ((n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
		(*buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return -1;
	}
	*len = fread(*buf, 1, (size_t)n, f);
	(*buf)[*len] = '\0';
	fclose(f);
	return 0;
#else
	FILE *f = open_memstream(buf, len);

	if (f == NULL)
		return -1;
	if (conf_write_dump(c, f) != 0)
		__builtin_trap();
	fclose(f);
	return 0;
#endif
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c = NULL, *c2 = NULL;
	struct conf_diags d, d2;
	char *buf = NULL;
	size_t len = 0;
	int r;

	r = conf_load_buffer("fuzz", (const char *)data, size, &c, &d);
	check_diags(&d, "fuzz");
	if (r != 0) {
		if (c != NULL || d.n == 0)
			__builtin_trap();
		conf_diags_free(&d);
		return 0;
	}
	if (c == NULL || d.n != 0)
		__builtin_trap();
	if (dump(c, &buf, &len) == 0) {
		r = conf_load_buffer("dump", buf, len, &c2, &d2);
		if (r != 0) {
			for (size_t i = 0; i < d2.n; i++)
				fprintf(stderr, "%s: %s\n", d2.v[i].where,
					d2.v[i].msg);
			fprintf(stderr, "%s", buf);
			__builtin_trap();
		}
		if (!same(c, c2))
			__builtin_trap();
		conf_unref(c2);
		conf_diags_free(&d2);
		free(buf);
	}
	conf_unref(c);
	conf_diags_free(&d);
	return 0;
}
