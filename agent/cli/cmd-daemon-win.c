/* SPDX-License-Identifier: MIT */
/*
 * The Windows entries of main.c's table for the commands whose code is
 * not ported yet (issue 16): the same names as on Linux,
 * so the table and --help stay one list, but each says so and exits 69.
 * Linked instead of cmd-doctor.c.
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

/* Each entry has its Linux twin's signature and says it is not here. */
#define UNPORTED(fn, name)                                               \
	int fn(struct cli *cli, int argc, char **argv)                   \
	{                                                                \
		(void)cli, (void)argc, (void)argv;                       \
		return unported(name);                                   \
	}

UNPORTED(cmd_doctor, "doctor")
