/* SPDX-License-Identifier: MIT */
/*
 * `outpost config check|dump|example|schema|man` (import and
 * import-rustdesk live in cmd-import.c). check prints one
 * FILE:LINE:COL: message line per error and exits 78; example and schema
 * regenerate config/outpost.example.yaml and config/schema/ from the key
 * declarations (a test keeps the committed copies equal to them).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "conf/conf.h"

static const char check_usage[] =
	"usage: outpost [-c FILE] config check [FILE | -c FILE]\n\n"
	"Validates the configuration: FILE, or the global -c FILE, or\n"
	CLI_DEFAULT_CONFIG " (the built-in defaults when it does not "
	"exist).\nPrints FILE:LINE:COL: message for each error and exits "
	"78, or exits 0.\n";

static int
cfg_check(struct cli *cli, int argc, char **argv)
{
	struct conf *conf = NULL;
	int rc;

	if (cli_want_help(argc, argv, check_usage))
		return EX_OK;
	if ((rc = cli_config_operand(cli, argc, argv, "config check",
		     check_usage)) != 0)
		return rc;
	if ((rc = cli_load_conf(cli, &conf)) != 0)
		return rc;
	printf("%s: OK\n", conf_source(conf));
	conf_unref(conf);
	return EX_OK;
}

static const char dump_usage[] =
	"usage: outpost [-c FILE] config dump [FILE | -c FILE]\n\n"
	"Prints the effective configuration of FILE (or the global -c FILE),\n"
	"defaults included, as YAML.\n";

static int
cfg_dump(struct cli *cli, int argc, char **argv)
{
	struct conf *conf = NULL;
	int rc;

	if (cli_want_help(argc, argv, dump_usage))
		return EX_OK;
	if ((rc = cli_config_operand(cli, argc, argv, "config dump",
		     dump_usage)) != 0)
		return rc;
	if ((rc = cli_load_conf(cli, &conf)) != 0)
		return rc;
	rc = conf_write_dump(conf, stdout) == 0 ? EX_OK : EX_IOERR;
	conf_unref(conf);
	return rc;
}

static int
cfg_example(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "usage: outpost config example\n\n"
				    "Prints an example config with every key, "
				    "commented.\n";

	(void)cli;
	if (cli_want_help(argc, argv, usage))
		return EX_OK;
	if (cli_no_args(argc, argv, "config example", usage) != 0)
		return EX_USAGE;
	return conf_write_example(stdout) == 0 ? EX_OK : EX_IOERR;
}

static int
cfg_schema(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "usage: outpost config schema\n\n"
				    "Prints the JSON Schema of the config "
				    "file.\n";

	(void)cli;
	if (cli_want_help(argc, argv, usage))
		return EX_OK;
	if (cli_no_args(argc, argv, "config schema", usage) != 0)
		return EX_USAGE;
	return conf_write_schema(stdout) == 0 ? EX_OK : EX_IOERR;
}

static int cfg_man(struct cli *cli, int argc, char **argv);

static const struct cli_cmd config_cmds[] = {
	{ "check", cfg_check, "validate [FILE]; errors as FILE:LINE:COL" },
	{ "dump", cfg_dump, "print the effective config [of FILE] as YAML" },
	{ "example", cfg_example, "print the commented example" },
	{ "schema", cfg_schema, "print the JSON Schema" },
	{ "import", cmd_config_import,
		"validate FILE (or - for stdin), install it, reload" },
	{ "import-rustdesk", cmd_config_import_rustdesk,
		"merge RustDesk's --config string (host, key, relay)" },
	{ "man", cfg_man, "print the outpost(8) manual page (roff)" },
	{ NULL, NULL, NULL },
};

/* The manual page: main.c's commands, with the config family expanded. */
static int
cfg_man(struct cli *cli, int argc, char **argv)
{
	struct conf_man_cmd v[64];
	char names[16][48];
	size_t n = 0, k = 0;

	static const char usage[] =
		"usage: outpost config man\n\nPrints the outpost(8) manual "
		"page in roff, generated from\nthe key declarations "
		"(view it with: outpost config man | man -l -).\n";

	(void)cli;
	if (cli_want_help(argc, argv, usage))
		return EX_OK;
	if (cli_no_args(argc, argv, "config man", usage) != 0)
		return EX_USAGE;
	for (const struct cli_cmd *c = cli_command_table;
		c->name != NULL && n < 48; c++) {
		if (strcmp(c->name, "config") != 0) {
			v[n++] = (struct conf_man_cmd){ c->name, c->summary };
			continue;
		}
		for (const struct cli_cmd *s = config_cmds;
			s->name != NULL && k < 16; s++, k++) {
			snprintf(names[k], sizeof(names[k]), "config %s",
				s->name);
			v[n++] = (struct conf_man_cmd){ names[k], s->summary };
		}
	}
	return conf_write_man(stdout, v, n) == 0 ? EX_OK : EX_IOERR;
}

int
cmd_config(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, config_cmds, argc, argv, "config");
}
