/* SPDX-License-Identifier: MIT */
/*
 * The Windows entries of main.c's table for the commands that need the
 * daemon, or code not ported yet (issue 16): the same names as on Linux,
 * so the table and --help stay one list, but each says so and exits 69.
 * Linked instead of cmd-run.c, cmd-ctl.c, cmd-doctor.c, cmd-enroll.c,
 * cmd-consent.c, cmd-policy.c and cmd-import.c.
 */
#include <stdio.h>

#include "cli/cli.h"

static int
unported(const char *cmd)
{
	fprintf(stderr, "outpost %s: not available on Windows yet (issue 16)\n",
		cmd);
	return EX_UNAVAILABLE;
}

int
cmd_run(struct cli *cli, int argc, char **argv)
{
	(void)cli, (void)argc, (void)argv;
	return unported("run");
}

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	(void)cli, (void)argc, (void)argv;
	return unported("status");
}

int
cmd_reload(struct cli *cli, int argc, char **argv)
{
	(void)cli, (void)argc, (void)argv;
	return unported("reload");
}

int
cmd_doctor(struct cli *cli, int argc, char **argv)
{
	(void)cli, (void)argc, (void)argv;
	return unported("doctor");
}

int
cmd_enroll(struct cli *cli, int argc, char **argv)
{
	(void)cli, (void)argc, (void)argv;
	return unported("enroll");
}

int
cmd_consent_prompt(struct cli *cli, int argc, char **argv)
{
	(void)cli, (void)argc, (void)argv;
	return unported("consent-prompt");
}

/* policy-conf.c (the policy's time zones and files) is POSIX still. */
int
cmd_policy(struct cli *cli, int argc, char **argv)
{
	(void)cli, (void)argc, (void)argv;
	return unported("policy");
}

/* cmd-import.c writes files with POSIX modes and open_memstream. */
int
cmd_config_import(struct cli *cli, int argc, char **argv)
{
	(void)cli, (void)argc, (void)argv;
	return unported("config import");
}

int
cmd_config_import_rustdesk(struct cli *cli, int argc, char **argv)
{
	(void)cli, (void)argc, (void)argv;
	return unported("config import-rustdesk");
}
