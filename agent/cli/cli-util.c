/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the commands: loading the config with diagnostics,
 * opening the state directory, help handling, subcommand dispatch.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "core/err.h"
#include "store/state.h"

int
cli_load_conf_quiet(const struct cli *cli, struct conf **out,
	struct conf_diags *diags)
{
	struct stat st;

	*out = NULL;
	if (!cli->config_explicit && stat(cli->config_path, &st) != 0 &&
		errno == ENOENT) {
		if ((*out = conf_new_default()) == NULL)
			return OP_ERR_NOMEM;
		return 0;
	}
	return conf_load_file(cli->config_path, out, diags);
}

int
cli_load_conf(struct cli *cli, struct conf **out)
{
	struct conf_diags diags = { 0 };
	int r;

	r = cli_load_conf_quiet(cli, out, &diags);
	if (r == OP_ERR_NOMEM)
		return EX_OSERR;
	if (r != 0) {
		for (size_t i = 0; i < diags.n; i++)
			fprintf(stderr, "%s: %s\n", diags.v[i].where,
				diags.v[i].msg);
		if (diags.n == 0)
			fprintf(stderr, "%s: %s\n", cli->config_path,
				op_strerror(r));
		conf_diags_free(&diags);
		return EX_CONFIG;
	}
	conf_diags_free(&diags);
	return 0;
}

const char *
cli_state_dir(const struct conf *conf)
{
	return conf_str(conf, CONF_STATE_DIR);
}

int
cli_open_state(const struct conf *conf, struct state **out)
{
	char why[SFILE_WHY_LEN];
	int r;

	r = state_open(cli_state_dir(conf), conf_str(conf, CONF_IDENTITY_ID),
		out, why);
	if (r == 0)
		return 0;
	fprintf(stderr, "outpost: %s\n", why[0] ? why : op_strerror(r));
	if (r == OP_ERR_PERM || r == -EACCES || r == -EPERM)
		return EX_NOPERM;
	if (r == OP_ERR_PROTO)
		return EX_DATAERR;
	if (r == -ENOENT || r == -ENOTDIR)
		return EX_CANTCREAT;
	return EX_IOERR;
}

bool
cli_want_help(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
			strcmp(argv[i], "--help") == 0) {
			fputs(usage, stdout);
			return true;
		}
	}
	return false;
}

int
cli_dispatch(struct cli *cli, const struct cli_cmd *cmds, int argc,
	char **argv, const char *family)
{
	const struct cli_cmd *c;
	FILE *f = stderr;
	int rc = EX_USAGE;

	if (argc >= 2) {
		for (c = cmds; c->name != NULL; c++)
			if (strcmp(argv[1], c->name) == 0)
				return c->fn(cli, argc - 1, argv + 1);
		if (strcmp(argv[1], "-h") == 0 ||
			strcmp(argv[1], "--help") == 0) {
			f = stdout;
			rc = EX_OK;
		} else {
			fprintf(stderr, "outpost %s: unknown subcommand '%s'\n",
				family, argv[1]);
		}
	}
	fprintf(f, "usage: outpost [-c FILE] %s SUBCOMMAND\n\nsubcommands:\n",
		family);
	for (c = cmds; c->name != NULL; c++)
		fprintf(f, "  %-10s  %s\n", c->name, c->summary);
	return rc;
}
