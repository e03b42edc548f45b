/* SPDX-License-Identifier: MIT */
/*
 * xfer_path_parse against a table (test-xfer-path.c here,
 * tests/windows/test-xfer-win.c with Windows' own rules). Portable.
 */
#ifndef OP_TESTS_TH_XFER_PARSE_H
#define OP_TESTS_TH_XFER_PARSE_H

#include <stddef.h>

#include "th.h"
#include "xfer/xfer-path.h"

struct th_parse_case {
	const char *in;
	int want; /* 0 or the error */
	const char *root;
	const char *rel;
};

/* Each case parses to its root and rel, or fails with its error, a
 * reason and a zeroed result. */
static inline void
th_parse_cases(const struct th_parse_case *cases, size_t n)
{
	struct xfer_path p;
	const char *why;

	for (size_t i = 0; i < n; i++) {
		int r;

		why = NULL;
		r = xfer_path_parse(cases[i].in, &p, &why);
		if (r != cases[i].want)
			TH_FAIL("case %zu '%.40s': %d, want %d", i,
				cases[i].in, r, cases[i].want);
		if (r != 0) {
			ASSERT(why != NULL && why[0] != '\0');
			ASSERT_STR_EQ(p.root, "");
			ASSERT_STR_EQ(p.rel, "");
			continue;
		}
		ASSERT_STR_EQ(p.root, cases[i].root);
		ASSERT_STR_EQ(p.rel, cases[i].rel);
	}
}

#endif
