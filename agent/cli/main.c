/* SPDX-License-Identifier: MIT */
/*
 * outpost: argument parsing and the command table. Keeps no state and
 * parses no untrusted input beyond argv; each command lives in its own
 * cmd-*.c file.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int
cmd_version(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "usage: outpost version (or outpost "
				    "--version, -V)\n";

	(void)cli;
	if (cli_want_help(argc, argv, usage))
		return EX_OK;
	if (cli_no_args(argc, argv, "version", usage) != 0)
		return EX_USAGE;
	printf("outpost %s\n", OP_VERSION);
	return EX_OK;
}

static const struct cli_cmd commands[] = {
	{ "run", cmd_run, "run the agent in the foreground" },
	{ "id", cmd_id, "print this host's ID (--reset makes a new one)" },
	{ "password", cmd_password, "set or clear the permanent password" },
	{ "config", cmd_config, "check, dump or import the configuration" },
	{ "version", cmd_version, "print the version" },
	{ "status", cmd_status, "show the running agent's state" },
	{ "doctor", cmd_doctor, "diagnose connectivity to the servers" },
	{ "audit", cmd_audit, "list, show, export or verify the audit trail" },
	{ "reload", cmd_reload, "make the running agent reload its config" },
	{ "enroll", cmd_enroll,
		"create the identity if needed; print inventory JSON" },
	{ "policy", cmd_policy, "explain what the access policy decides" },
	{ NULL, NULL, NULL },
};

const struct cli_cmd *const cli_command_table = commands;

/* Internal commands the agent starts itself: not in --help or the manual
 * (cli_command_table). consent-prompt runs as the desktop user. */
static const struct cli_cmd hidden_commands[] = {
	{ "consent-prompt", cmd_consent_prompt, "(internal) consent window" },
	{ NULL, NULL, NULL },
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: outpost [-c FILE] COMMAND [ARGS]\n"
		"\n"
		"A headless remote-support agent for stock RustDesk clients.\n"
		"\n"
		"options:\n"
		"  -c FILE        configuration file (default %s;\n"
		"                 when it does not exist the built-in "
		"defaults apply)\n"
		"  -h, --help     show this help; COMMAND --help shows a "
		"command's\n"
		"  -V, --version  print the version\n"
		"\n"
		"commands:\n",
		CLI_DEFAULT_CONFIG);
	for (const struct cli_cmd *c = commands; c->name != NULL; c++)
		fprintf(f, "  %-10s  %s\n", c->name, c->summary);
	/* The same list as README "CLI" (a test compares them). */
	fprintf(f,
		"\nexit codes (sysexits):\n"
		"  0   success\n"
		"  64  usage error\n"
		"  65  bad input data (password, state file; audit verify: "
		"tampered)\n"
		"  66  no input (audit: no such session, nothing recorded)\n"
		"  69  not available (the agent is not running; doctor: a "
		"check failed;\n"
		"      run: no way in, no listener and no rendezvous server)\n"
		"  70  internal error\n"
		"  73  cannot create the state directory\n"
		"  74  I/O error\n"
		"  75  temporary failure (id --reset: the agent is running; "
		"audit forward)\n"
		"  77  unsafe permissions\n"
		"  78  configuration error\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "config", required_argument, NULL, 'c' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { .config_path = CLI_DEFAULT_CONFIG, .argv = argv };
	int ch;

	/* A peer that hangs up must cost us one connection (EPIPE), never
	 * the process. */
#ifdef SIGPIPE /* Windows has none: a send there fails, never kills */
	signal(SIGPIPE, SIG_IGN);
#endif

	/* '+': stop at the command name; its options are its own. */
	while ((ch = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli.config_path = optarg;
			cli.config_explicit = true;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("outpost %s\n", OP_VERSION);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return EX_USAGE;
	}
	for (const struct cli_cmd *c = commands; c->name != NULL; c++) {
		if (strcmp(argv[0], c->name) == 0) {
			/* Commands parse their own argv: 0 makes glibc's getopt start
			 * afresh (not in this loop's '+' mode). */
			optind = 0;
			return c->fn(&cli, argc, argv);
		}
	}
	for (const struct cli_cmd *c = hidden_commands; c->name; c++) {
		if (strcmp(argv[0], c->name) == 0) {
			optind = 0;
			return c->fn(&cli, argc, argv);
		}
	}
	fprintf(stderr, "outpost: unknown command '%s'\n\n", argv[0]);
	usage(stderr);
	return EX_USAGE;
}
