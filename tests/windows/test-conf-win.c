/* SPDX-License-Identifier: MIT */
/*
 * conf's runtime defaults on Windows: state_dir is a user's
 * (./.outpost-state) for a process that is not LocalSystem, as under
 * wine, and the service's folder C:\ProgramData\Outpost once the
 * defaults are the system's; the generated example says both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "th.h"

static void
test_user_default(void)
{
	struct conf *c = conf_new_default();

	ASSERT(c != NULL);
	ASSERT_STR_EQ(conf_str(c, CONF_STATE_DIR), "./.outpost-state");
	conf_unref(c);
}

static void
test_example_says_both(void)
{
	char buf[1 << 16];
	FILE *f = tmpfile();
	size_t n;

	ASSERT(f != NULL);
	ASSERT_INT_EQ(conf_write_example(f), 0);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* wrapped at 80 columns */
	ASSERT_STR_CONTAINS(buf, "Default: C:\\ProgramData\\Outpost when "
		"running as LocalSystem (the\n# service), else "
		"./.outpost-state");
	ASSERT_STR_CONTAINS(buf,
		"#state_dir: \"C:\\\\ProgramData\\\\Outpost\"");
}

static void
test_system_default(void)
{
	struct conf *c;

	conf_use_system_defaults();
	c = conf_new_default();
	ASSERT(c != NULL);
	ASSERT_STR_EQ(conf_str(c, CONF_STATE_DIR), "C:\\ProgramData\\Outpost");
	conf_unref(c);
}

int
main(void)
{
	RUN(test_user_default);
	RUN(test_example_says_both);
	RUN(test_system_default); /* last: the switch is for good */
	return th_done();
}
