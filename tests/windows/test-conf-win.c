/* SPDX-License-Identifier: MIT */
/*
 * conf's runtime defaults on Windows: state_dir is a user's
 * (./.outpost-state) for a process that is not LocalSystem, as under
 * wine, and the service's folder C:\ProgramData\Outpost once the
 * defaults are the system's; the generated example says both; Windows
 * paths (drive letters, either separator) for the files' roots and the
 * terminal's shell, and the ones refused (a drive's root, UNC and device
 * paths, . and .., forbidden characters).
 */
#include <stdbool.h>
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

/* One YAML document with roots (and a shell) set to v: loads or not. */
static bool
loads(const char *key, const char *v)
{
	char doc[512];
	struct conf_diags d = { 0 };
	struct conf *c = NULL;
	int r;

	snprintf(doc, sizeof(doc), "policy:\n  %s\n", key);
	snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc), "%s", v);
	r = conf_load_buffer("t.yaml", doc, strlen(doc), &c, &d);
	conf_diags_free(&d);
	conf_unref(c);
	return r == 0;
}

/* Windows paths in policy.files.roots and policy.terminal.shell. */
static void
test_windows_paths(void)
{
	static const char *const good[] = { "'C:\\Shares\\Support'",
		"'d:/share'", "'C:\\Users\\Public\\x y'" };
	static const char *const bad[] = { "'C:\\'", "'C:/'", "'C:'",
		"'relative\\dir'", "'/etc'", "'\\\\server\\share'",
		"'\\\\?\\C:\\x'", "'C:\\a\\..\\b'", "'C:\\a\\.'",
		"'C:\\a\\..'", "'C:\\a|b'", "'C:\\a:b'", "\"C:\\a\\x01b\"",
		"'1:\\x'" };
	char v[128];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(v, sizeof(v), "    roots: [%s]\n", good[i]);
		if (!loads("files:\n", v))
			TH_FAIL("root %s refused", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(v, sizeof(v), "    roots: [%s]\n", bad[i]);
		if (loads("files:\n", v))
			TH_FAIL("root %s accepted", bad[i]);
	}
	ASSERT(loads("terminal:\n",
		"    shell: 'C:\\Windows\\System32\\cmd.exe'\n"));
	ASSERT(!loads("terminal:\n", "    shell: 'C:\\Windows\\'\n"));
	ASSERT(!loads("terminal:\n", "    shell: 'cmd.exe'\n"));
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
	RUN(test_windows_paths);
	RUN(test_system_default); /* last: the switch is for good */
	return th_done();
}
