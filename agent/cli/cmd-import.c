/* SPDX-License-Identifier: MIT */
/*
 * `outpost config import FILE|-` and `outpost config import-rustdesk
 * STRING`: how a fleet pushes configuration to a host. Both validate the
 * complete new file with the agent's own loader first, then replace the
 * config file atomically (temp file in the same directory, fsync, rename,
 * directory fsync; mode 0600, owned by the caller) and ask a running agent
 * to reload over the control socket, so no restart is needed (RustDesk's
 * --config needs one, field notes §2.5). A file identical to the installed
 * one is left alone, which keeps configuration tools idempotent.
 *
 * import-rustdesk reads the deployment string RustDesk takes with
 * `--config` and embeds in installer names (rustdesk/rustdesk
 * src/custom_server.rs): the base64 (URL-safe or standard, padded or not)
 * of a JSON object {"host","key","api","relay"}, written backwards; or
 * the same object signed by RustDesk's licence key; or the plain
 * "host=...,key=...,api=...,relay=..." form; optionally inside an
 * installer name ("rustdesk-licensed-<string>.exe", "<string> (1).exe").
 * host, relay and key become server.rendezvous, server.relay and
 * server.key in the existing file: every key the file sets is kept, but
 * the file is rewritten in canonical form, so its comments are not.
 *
 * Must not: change anything before the new content has validated, put
 * unbounded work behind a hostile string (input is capped at 4 KiB, JSON
 * nesting at 32 levels), or print undecoded bytes to the terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/rustdesk-config.h"
#include "conf/conf.h"
#include "core/err.h"
#include "core/memfile.h"
#include "ctl/ctl.h"
#include "platform/securefile.h"

#define IMPORT_RELOAD_TIMEOUT_MS 5000

#ifdef _WIN32
#define O_CLOEXEC 0
#define READ_MODE (O_RDONLY | O_BINARY)
#define FOPEN_READ "rb"
#define mkdir(d, mode) mkdir(d)
#else
#define READ_MODE (O_RDONLY | O_CLOEXEC)
#define FOPEN_READ "re"
#endif

/* --- reading and installing ------------------------------------------ */

/* Reads path ("-" = stdin) into a NUL-terminated buffer of at most max
 * bytes. Prints why and returns a sysexits code on failure. */
static int
read_bounded(const char *path, size_t max, char **out, size_t *out_len)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, READ_MODE);
	size_t len = 0;
	char *buf;

	*out = NULL;
	*out_len = 0;
	if (fd < 0) {
		fprintf(stderr, "outpost config import: %s: %s\n", path,
			strerror(errno));
		return errno == ENOENT ? EX_NOINPUT : EX_IOERR;
	}
	if ((buf = malloc(max + 2)) == NULL) {
		if (!is_stdin)
			close(fd);
		return EX_OSERR;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "outpost config import: %s: %s\n",
				is_stdin ? "<stdin>" : path, strerror(errno));
			free(buf);
			if (!is_stdin)
				close(fd);
			return EX_IOERR;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			fprintf(stderr, "outpost config import: %s: larger "
					"than %zu bytes\n",
				is_stdin ? "<stdin>" : path, max);
			free(buf);
			if (!is_stdin)
				close(fd);
			return EX_DATAERR;
		}
	}
	if (!is_stdin)
		close(fd);
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

/* True when path holds exactly data (so there is nothing to do). */
static bool
same_content(const char *path, const char *data, size_t len)
{
	char *cur = NULL;
	size_t cur_len = 0;
	bool same = false;
	FILE *f = fopen(path, FOPEN_READ);

	if (f == NULL)
		return false;
	cur = malloc(len + 1);
	if (cur != NULL) {
		cur_len = fread(cur, 1, len + 1, f);
		same = !ferror(f) && cur_len == len &&
			memcmp(cur, data, len) == 0;
	}
	free(cur);
	fclose(f);
	return same;
}

/*
 * Makes sure the directory of path exists (creating one missing level,
 * 0755) and is not writable by others, which the loader would refuse.
 * Prints why and returns a sysexits code on failure.
 */
static int
check_config_dir(const char *path)
{
	char dir[4096];
	char *slash;
	struct stat st;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		fprintf(stderr, "outpost config import: path too long\n");
		return EX_USAGE;
	}
	slash = strrchr(dir, '/');
#ifdef _WIN32
	if (strrchr(dir, '\\') > slash)
		slash = strrchr(dir, '\\');
#endif
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) != 0 && errno == ENOENT) {
		if (mkdir(dir, 0755) != 0) {
			fprintf(stderr, "outpost config import: cannot create "
					"%s: %s\n",
				dir, strerror(errno));
			return EX_CANTCREAT;
		}
		return 0;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "outpost config import: %s is not a "
				"directory\n",
			dir);
		return EX_CANTCREAT;
	}
#ifndef _WIN32 /* Windows: the DACLs, which the loader checks */
	if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0) {
		fprintf(stderr, "outpost config import: %s is world-writable; "
				"the agent would refuse a config in it (chmod "
				"o-w %s)\n",
			dir, dir);
		return EX_CONFIG;
	}
#endif
	return 0;
}

/* Asks the agent whose state directory is dir to reload. Returns 0 when
 * it did, 1 when no agent runs there, or a sysexits code. */
static int
reload_agent(const char *dir)
{
	char *answer = NULL;
	int rc;
	int r;

	r = ctl_request(dir, "reload", IMPORT_RELOAD_TIMEOUT_MS, &answer);
	if (r == -ENOENT || r == -ECONNREFUSED)
		return 1;
	if (r != 0) {
		fprintf(stderr, "outpost config import: could not ask the "
				"running agent to reload (%s); run `outpost "
				"reload`\n",
			op_strerror(r));
		return EX_UNAVAILABLE;
	}
	if (strstr(answer, "\"ok\":true") != NULL) {
		printf("the running agent reloaded its configuration\n");
		rc = 0;
	} else {
		fprintf(stderr, "outpost config import: the running agent "
				"refused the new file and keeps its "
				"configuration: %s\n",
			answer);
		rc = EX_CONFIG;
	}
	free(answer);
	return rc;
}

/*
 * Installs data (already validated as new) at the config path and asks
 * the running agent to reload. old_dir is the state directory of the
 * configuration being replaced (where a running agent listens), new_dir
 * that of the new one. Returns a sysexits code.
 */
static int
install_and_reload(struct cli *cli, const char *data, size_t len,
	const char *old_dir, const char *new_dir, const char *note)
{
	char why[SFILE_WHY_LEN];
	int rc;
	int r;

	if (same_content(cli->config_path, data, len)) {
		printf("%s: unchanged\n", cli->config_path);
		return EX_OK;
	}
	if ((rc = check_config_dir(cli->config_path)) != 0)
		return rc;
	r = sfile_write_atomic(cli->config_path, data, len, 0600, why);
	if (r != 0) {
		fprintf(stderr, "outpost config import: %s\n",
			why[0] ? why : op_strerror(r));
		return r == -EACCES || r == -EPERM || r == -EROFS ?
			EX_CANTCREAT :
			EX_IOERR;
	}
	printf("%s: installed%s\n", cli->config_path, note);
	rc = reload_agent(old_dir);
	if (rc == 1 && strcmp(old_dir, new_dir) != 0)
		rc = reload_agent(new_dir);
	if (rc == 1) {
		printf("the agent is not running; the configuration applies "
		       "when it starts\n");
		rc = EX_OK;
	}
	return rc;
}

/* The state directory of the configuration currently installed (where a
 * running agent has its control socket), or of fallback when there is
 * none or it is invalid. Returns a malloc'd string or NULL. */
static char *
current_state_dir(struct cli *cli, const struct conf *fallback)
{
	struct conf_diags diags = { 0 };
	struct conf *cur = NULL;
	char *dir;

	if (cli_load_conf_quiet(cli, &cur, &diags) == 0)
		dir = strdup(cli_state_dir(cur));
	else
		dir = strdup(cli_state_dir(fallback));
	conf_diags_free(&diags);
	conf_unref(cur);
	return dir;
}

/* Validates data as a complete config named name; on success installs it
 * and reloads. Returns a sysexits code. */
static int
validate_install(struct cli *cli, const char *name, const char *data,
	size_t len, const char *note)
{
	struct conf_diags diags = { 0 };
	struct conf *fresh = NULL;
	char *old_dir = NULL;
	int rc;
	int r;

	r = conf_load_buffer(name, data, len, &fresh, &diags);
	if (r != 0) {
		conf_diags_print(&diags, stderr);
		if (diags.n == 0)
			fprintf(stderr, "%s: %s\n", name, op_strerror(r));
		fprintf(stderr, "outpost config import: nothing was changed\n");
		conf_diags_free(&diags);
		return r == OP_ERR_NOMEM ? EX_OSERR : EX_CONFIG;
	}
	conf_diags_free(&diags);
	if ((old_dir = current_state_dir(cli, fresh)) == NULL) {
		conf_unref(fresh);
		return EX_OSERR;
	}
	rc = install_and_reload(cli, data, len, old_dir, cli_state_dir(fresh),
		note);
	free(old_dir);
	conf_unref(fresh);
	return rc;
}

static const char import_usage[] =
	"usage: outpost [-c FILE] config import NEWFILE|-\n"
	"\n"
	"Validates NEWFILE (or standard input), then installs it as the\n"
	"configuration (FILE, default " CLI_DEFAULT_CONFIG ")\n"
	"atomically with mode 0600, and makes a running agent reload it.\n"
	"Errors are printed as NEWFILE:LINE:COL: message (exit 78) and\n"
	"nothing changes. An identical file is left alone.\n";

int
cmd_config_import(struct cli *cli, int argc, char **argv)
{
	const char *file = NULL;
	char *data = NULL;
	size_t len = 0;
	int rc;

	if (cli_want_help(argc, argv, import_usage))
		return EX_OK;
	if (cli_one_operand(argc, argv, "config import", import_usage,
		    &file) != 0)
		return EX_USAGE;
	if ((rc = read_bounded(file, CONF_MAX_FILE_SIZE, &data, &len)) != 0)
		return rc;
	rc = validate_install(cli, strcmp(file, "-") == 0 ? "<stdin>" : file,
		data, len, "");
	free(data);
	return rc;
}

static void
print_safe(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc(*s >= 0x20 && *s < 0x7f ? *s : '?', f);
}

/* Checks one RustDesk value against the key it maps to, with the
 * agent's loader. Prints why and returns false when it is invalid. */
static bool
rd_check_value(enum rd_field f, enum conf_key key, const char *value)
{
	struct conf_diags diags = { 0 };
	struct conf *c = NULL;
	const char *name = conf_key_name(key);
	struct op_memfile mf;
	char *doc = NULL;
	size_t len = 0;
	FILE *m = op_memfile_open(&mf);
	bool ok;

	if (m == NULL)
		return false;
	/* "server.relay" -> "server:\n  relay: "..."" */
	fprintf(m, "%.*s:\n  %s: ", (int)strcspn(name, "."), name,
		name + strcspn(name, ".") + 1);
	conf_write_yaml_string(m, value);
	fputc('\n', m);
	if ((doc = op_memfile_take(&mf, &len)) == NULL)
		return false;
	ok = conf_load_buffer("<rustdesk>", doc, len, &c, &diags) == 0;
	if (!ok) {
		fprintf(stderr, "outpost config import-rustdesk: RustDesk's "
				"'%s' (for %s): ",
			rd_names[f], name);
		if (diags.n > 0)
			fputs(diags.v[0].msg, stderr);
		else
			fputs("invalid", stderr);
		fputc('\n', stderr);
	}
	conf_diags_free(&diags);
	conf_unref(c);
	free(doc);
	return ok;
}

/* Writes the keys selected in on[] as nested YAML, values from ov[] when
 * set, else from cur. Walks dotted paths as a tree (sections in the
 * order their first key appears in the table, as the dump does). */
static void
emit_tree(FILE *f, const struct conf *cur, const bool *on,
	const char *const *ov, const char *prefix, size_t plen, int indent)
{
	for (int i = 0; i < CONF_KEY_COUNT_; i++) {
		const char *p = conf_key_name((enum conf_key)i);
		size_t start = plen > 0 ? plen + 1 : 0, clen;
		bool dup = false;

		if (!on[i] || (plen > 0 && (strncmp(p, prefix, plen) != 0 ||
						   p[plen] != '.')))
			continue;
		clen = strcspn(p + start, ".");
		for (int j = 0; j < i && !dup; j++) {
			const char *q = conf_key_name((enum conf_key)j);

			dup = on[j] && strncmp(q, p, start + clen) == 0 &&
				(q[start + clen] == '.' ||
					q[start + clen] == '\0');
		}
		if (dup)
			continue;
		fprintf(f, "%*s%.*s:", 2 * indent, "", (int)clen, p + start);
		if (p[start + clen] != '\0') {
			fputc('\n', f);
			emit_tree(f, cur, on, ov, p, start + clen, indent + 1);
			continue;
		}
		if (ov[i] != NULL) {
			fputc(' ', f);
			conf_write_yaml_string(f, ov[i]);
			fputc('\n', f);
			continue;
		}
		switch (conf_key_type((enum conf_key)i)) {
		case CONF_T_LIST: {
			size_t n = conf_list_len(cur, (enum conf_key)i);

			fputs(n == 0 ? " []\n" : "\n", f);
			for (size_t k = 0; k < n; k++) {
				fprintf(f, "%*s- ", 2 * indent + 2, "");
				conf_write_yaml_string(f, conf_list_at(cur,
						     (enum conf_key)i, k));
				fputc('\n', f);
			}
			break;
		}
		case CONF_T_INT:
		case CONF_T_BOOL:
			fprintf(f, " %s\n", conf_str(cur, (enum conf_key)i));
			break;
		default:
			fputc(' ', f);
			conf_write_yaml_string(f, conf_str(cur, (enum conf_key)i));
			fputc('\n', f);
			break;
		}
	}
}

static const char rd_usage[] =
	"usage: outpost [-c FILE] config import-rustdesk STRING|-\n"
	"\n"
	"Reads RustDesk's deployment config string (what `rustdesk --config`\n"
	"takes, or an installer name such as rustdesk-licensed-STRING.exe, or\n"
	"host=HOST,key=KEY,relay=RELAY) and sets server.rendezvous (host),\n"
	"server.relay (relay) and server.key (key) in FILE. Every other key\n"
	"FILE sets is kept; the file is rewritten in canonical form, so its\n"
	"comments are not. RustDesk's api (Server Pro) is not used.\n"
	"The result is validated, installed atomically and a running agent\n"
	"reloads it. A malformed string exits 65, an invalid FILE 78; in\n"
	"both cases nothing changes. - reads the string from standard input;\n"
	"a string that starts with '-' goes after --.\n";

int
cmd_config_import_rustdesk(struct cli *cli, int argc, char **argv)
{
	struct conf_diags diags = { 0 };
	struct rd_server rd = { { NULL } };
	struct conf *cur = NULL;
	const char *ov[CONF_KEY_COUNT_] = { NULL };
	bool on[CONF_KEY_COUNT_] = { false };
	char err[300];
	const char *arg = NULL;
	char *input = NULL;
	char *doc = NULL;
	size_t doclen = 0;
	size_t inlen = 0;
	bool from_file;
	struct op_memfile mf;
	FILE *m;
	int rc;
	int r;

	if (cli_want_help(argc, argv, rd_usage))
		return EX_OK;
	if (cli_one_operand(argc, argv, "config import-rustdesk", rd_usage,
		    &arg) != 0)
		return EX_USAGE;
	if (strcmp(arg, "-") == 0) {
		if ((rc = read_bounded("-", RD_MAX_INPUT, &input, &inlen)) != 0)
			return rc;
	} else {
		if (strlen(arg) > RD_MAX_INPUT) {
			fprintf(stderr, "outpost config import-rustdesk: the "
					"string is longer than %d bytes\n",
				RD_MAX_INPUT);
			return EX_DATAERR;
		}
		if ((input = strdup(arg)) == NULL)
			return EX_OSERR;
		inlen = strlen(input);
	}
	if (strlen(input) != inlen) {
		fprintf(stderr, "outpost config import-rustdesk: NUL byte in "
				"the string\n");
		rc = EX_DATAERR;
		goto out;
	}
	if (rd_parse(input, &rd, err, sizeof(err)) != 0) {
		fprintf(stderr, "outpost config import-rustdesk: not a "
				"RustDesk config string: %s\n",
			err);
		rc = EX_DATAERR;
		goto out;
	}
	if (rd_get(&rd, RD_HOST)[0] == '\0') {
		fprintf(stderr, "outpost config import-rustdesk: the string "
				"has no host (the ID/rendezvous server)\n");
		rc = EX_DATAERR;
		goto out;
	}
	if (!rd_check_value(RD_HOST, CONF_SERVER_RENDEZVOUS,
		    rd_get(&rd, RD_HOST)) ||
		!rd_check_value(RD_RELAY, CONF_SERVER_RELAY,
			rd_get(&rd, RD_RELAY)) ||
		!rd_check_value(RD_KEY, CONF_SERVER_KEY, rd_get(&rd, RD_KEY))) {
		fprintf(stderr, "outpost config import-rustdesk: nothing was "
				"changed\n");
		rc = EX_DATAERR;
		goto out;
	}

	/* The file being merged into: it must be valid (a missing default
	 * file is the same as an empty one). */
	r = cli_load_conf_quiet(cli, &cur, &diags);
	from_file = r == 0 &&
		strcmp(conf_source(cur), CONF_SOURCE_DEFAULT) != 0;
	if (r != 0 && !(cli->config_explicit && access(cli->config_path,
							   F_OK) != 0 &&
			      errno == ENOENT)) {
		conf_diags_print(&diags, stderr);
		fprintf(stderr, "outpost config import-rustdesk: %s is "
				"invalid; fix it (or replace it with `outpost "
				"config import`) first. Nothing was changed.\n",
			cli->config_path);
		rc = r == OP_ERR_NOMEM ? EX_OSERR : EX_CONFIG;
		goto out;
	}
	conf_diags_free(&diags);
	if (cur == NULL && (cur = conf_new_default()) == NULL) {
		rc = EX_OSERR;
		goto out;
	}
	for (int i = 0; i < CONF_KEY_COUNT_; i++)
		on[i] = from_file && conf_is_set(cur, (enum conf_key)i);
	on[CONF_SERVER_RENDEZVOUS] = true;
	ov[CONF_SERVER_RENDEZVOUS] = rd_get(&rd, RD_HOST);
	/* As in RustDesk, an empty relay or key clears the setting. */
	on[CONF_SERVER_RELAY] = rd_get(&rd, RD_RELAY)[0] != '\0';
	ov[CONF_SERVER_RELAY] = rd_get(&rd, RD_RELAY);
	on[CONF_SERVER_KEY] = rd_get(&rd, RD_KEY)[0] != '\0';
	ov[CONF_SERVER_KEY] = rd_get(&rd, RD_KEY);

	if ((m = op_memfile_open(&mf)) == NULL) {
		rc = EX_OSERR;
		goto out;
	}
	fputs("# Outpost configuration. Server settings imported from a "
	      "RustDesk config\n# string by `outpost config import-rustdesk`; "
	      "other keys kept from the\n# previous file.\n",
		m);
	emit_tree(m, cur, on, ov, "", 0, 0);
	if ((doc = op_memfile_take(&mf, &doclen)) == NULL) {
		rc = EX_OSERR;
		goto out;
	}

	printf("server.rendezvous: ");
	print_safe(stdout, rd_get(&rd, RD_HOST));
	printf("\nserver.relay: ");
	if (on[CONF_SERVER_RELAY])
		print_safe(stdout, rd_get(&rd, RD_RELAY));
	else
		printf("(not set: the relay the rendezvous server announces)");
	printf("\nserver.key: ");
	if (on[CONF_SERVER_KEY])
		print_safe(stdout, rd_get(&rd, RD_KEY));
	else
		printf("(not set)");
	printf("\n");
	if (!on[CONF_SERVER_KEY])
		fprintf(stderr, "warning: the string has no key, so the "
				"rendezvous server will not be "
				"authenticated\n");
	if (rd_get(&rd, RD_API)[0] != '\0') {
		fprintf(stderr, "note: api ");
		print_safe(stderr, rd_get(&rd, RD_API));
		fprintf(stderr, " is not used (RustDesk Server Pro's API; "
				"Outpost has no client for it)\n");
	}
	rc = validate_install(cli, cli->config_path, doc, doclen,
		from_file ? " (other keys kept; comments were not)" : "");
out:
	conf_diags_free(&diags);
	conf_unref(cur);
	rd_clear(&rd);
	free(doc);
	free(input);
	return rc;
}
