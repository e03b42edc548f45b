/* SPDX-License-Identifier: MIT */
/*
 * `outpost password set|clear`. The password is read from stdin (scripts,
 * Ansible) or a no-echo TTY prompt; never from argv (S3). Buffers holding
 * it are wiped before return.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _WIN32
#include <winsock2.h> /* before windows.h, as ctl.h includes it */
#include <windows.h>
#else
#include <termios.h>
#endif

#include <sodium.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "core/err.h"
#include "ctl/ctl.h"
#include "store/state.h"

/* Tells a running agent (if any) to re-read the password files, so a
 * change takes effect without a restart. */
static void
notify_daemon(const struct state *st)
{
	char *answer = NULL;

	if (ctl_request(state_dir(st), "password-changed", 5000, &answer) == 0)
		fprintf(stderr, "the running agent picked up the change\n");
	free(answer);
}

#define PW_BUF (PASSWORD_MAX_LEN + 3) /* room to detect "too long" */

/* Reads one line (up to n - 1 bytes) from fd; strips "\n" / "\r\n".
 * Returns its length, -1 on error, -2 when too long. */
static int
read_line(int fd, char *buf, size_t n, bool until_eof)
{
	size_t len = 0;

	for (;;) {
		char c;
		ssize_t k = read(fd, &c, 1);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0 || (!until_eof && c == '\n'))
			break;
		if (len + 1 >= n)
			return -2;
		buf[len++] = c;
	}
	/* Piped input: one trailing newline (echo, here-strings) is not part
	 * of the password. */
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return (int)len;
}

/* Turning the terminal's echo off for the prompt, and back on. */
#ifdef _WIN32
struct echo_saved {
	HANDLE h;
	DWORD mode;
};

static int
echo_off(struct echo_saved *s)
{
	s->h = GetStdHandle(STD_INPUT_HANDLE);
	if (!GetConsoleMode(s->h, &s->mode))
		return -1;
	return SetConsoleMode(s->h, s->mode & ~(DWORD)ENABLE_ECHO_INPUT) ?
		0 : -1;
}

static void
echo_restore(const struct echo_saved *s)
{
	SetConsoleMode(s->h, s->mode);
}
#else
struct echo_saved {
	struct termios old;
};

static int
echo_off(struct echo_saved *s)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &s->old) != 0)
		return -1;
	raw = s->old;
	raw.c_lflag &= (tcflag_t)~ECHO;
	return tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
}

static void
echo_restore(const struct echo_saved *s)
{
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &s->old);
}
#endif

static int
prompt_noecho(const char *prompt, char *buf, size_t n)
{
	struct echo_saved saved;
	int len;

	fputs(prompt, stderr);
	fflush(stderr);
	if (echo_off(&saved) != 0)
		return -1;
	len = read_line(STDIN_FILENO, buf, n, false);
	echo_restore(&saved);
	fputc('\n', stderr);
	return len;
}

static int
read_password(char *pw, size_t n)
{
	char again[PW_BUF];
	int len;

	if (!isatty(STDIN_FILENO))
		return read_line(STDIN_FILENO, pw, n, true);
	len = prompt_noecho("New permanent password: ", pw, n);
	if (len < 0)
		return len;
	if (prompt_noecho("Retype it: ", again, sizeof(again)) != len ||
		sodium_memcmp(pw, again, (size_t)len) != 0) {
		sodium_memzero(again, sizeof(again));
		fprintf(stderr, "outpost password set: the passwords do not "
				"match\n");
		return -3;
	}
	sodium_memzero(again, sizeof(again));
	return len;
}

/* The minimum is counted in characters (UTF-8 code points), not bytes:
 * "pässwort" is 8 long. Invalid text is left to state_set_password. */
static int
check_length(const struct conf *conf, const char *pw, size_t len)
{
	int64_t min = conf_int(conf, CONF_ACCESS_PERMANENT_PASSWORD_MIN_LENGTH);
	size_t chars = 0;

	if (password_check_text(pw, len) != 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		chars += ((unsigned char)pw[i] & 0xc0) != 0x80;
	if ((int64_t)chars >= min)
		return 0;
	fprintf(stderr, "outpost password set: too short: %zu character%s; "
			"at least %lld (access.permanent_password.min_length"
			"%s%s)\n",
		chars, chars == 1 ? "" : "s", (long long)min,
		conf_is_set(conf, CONF_ACCESS_PERMANENT_PASSWORD_MIN_LENGTH) ?
			" in " :
			"",
		conf_is_set(conf, CONF_ACCESS_PERMANENT_PASSWORD_MIN_LENGTH) ?
			conf_source(conf) :
			"");
	return EX_DATAERR;
}

static const char set_usage[] =
	"usage: outpost [-c FILE] password set < FILE\n"
	"\n"
	"Sets the permanent password, read from standard input (one line;\n"
	"a trailing newline is dropped) or from a no-echo prompt on a "
	"terminal.\n"
	"At least access.permanent_password.min_length characters (8 by\n"
	"default). Only a salted hash is stored (mode 0600). It is never\n"
	"accepted on the command line.\n";

static int
pw_set(struct cli *cli, int argc, char **argv)
{
	struct conf *conf = NULL;
	struct state *st = NULL;
	char why[SFILE_WHY_LEN];
	char pw[PW_BUF];
	int len;
	int rc;
	int r;

	if (cli_want_help(argc, argv, set_usage))
		return EX_OK;
	if (argc > 1)
		return cli_usage_error("password set", set_usage,
			"takes no arguments; the password is read from "
			"standard input");
	if ((rc = cli_load_conf(cli, &conf)) != 0)
		return rc;
	if ((rc = cli_open_state(conf, &st)) != 0)
		goto out;
	len = read_password(pw, sizeof(pw));
	if (len == -2 || len > PASSWORD_MAX_LEN) {
		fprintf(stderr, "outpost password set: longer than %d bytes\n",
			PASSWORD_MAX_LEN);
		rc = EX_DATAERR;
		goto out;
	}
	if (len == 0) {
		fprintf(stderr, "outpost password set: empty password "
				"refused (use `password clear`)\n");
		rc = EX_DATAERR;
		goto out;
	}
	if (len < 0) {
		if (len == -1)
			fprintf(stderr, "outpost password set: cannot read "
					"standard input\n");
		rc = EX_DATAERR;
		goto out;
	}
	if ((rc = check_length(conf, pw, (size_t)len)) != 0)
		goto out;
	r = state_set_password(st, pw, (size_t)len, why);
	if (r != 0) {
		fprintf(stderr, "outpost password set: %s\n",
			why[0] ? why : op_strerror(r));
		rc = r == OP_ERR_RANGE || r == OP_ERR_PROTO ? EX_DATAERR :
							      EX_IOERR;
		goto out;
	}
	fprintf(stderr, "permanent password set for %s\n", state_id(st));
	notify_daemon(st);
	rc = EX_OK;
out:
	sodium_memzero(pw, sizeof(pw));
	state_free(st);
	conf_unref(conf);
	return rc;
}

static int
pw_clear(struct cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"usage: outpost [-c FILE] password clear\n\n"
		"Removes the permanent password; only one-time passwords "
		"then work.\n";
	struct conf *conf = NULL;
	struct state *st = NULL;
	char why[SFILE_WHY_LEN];
	uint8_t h1[PASSWORD_H1_LEN];
	int rc;
	int r;

	if (cli_want_help(argc, argv, usage))
		return EX_OK;
	if (cli_no_args(argc, argv, "password clear", usage) != 0)
		return EX_USAGE;
	if ((rc = cli_load_conf(cli, &conf)) != 0)
		return rc;
	if ((rc = cli_open_state(conf, &st)) != 0)
		goto out;
	if (!state_h1(st, h1)) {
		fprintf(stderr, "no permanent password is set for %s: nothing "
				"to clear\n",
			state_id(st));
		rc = EX_OK;
		goto out;
	}
	if ((r = state_clear_password(st, why)) != 0) {
		fprintf(stderr, "outpost password clear: %s\n", why);
		rc = EX_IOERR;
		goto out;
	}
	fprintf(stderr, "permanent password cleared for %s\n", state_id(st));
	notify_daemon(st);
	rc = EX_OK;
out:
	sodium_memzero(h1, sizeof(h1));
	state_free(st);
	conf_unref(conf);
	return rc;
}

int
cmd_password(struct cli *cli, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "set", pw_set, "read a new permanent password from stdin" },
		{ "clear", pw_clear, "remove the permanent password" },
		{ NULL, NULL, NULL },
	};

	return cli_dispatch(cli, cmds, argc, argv, "password");
}
