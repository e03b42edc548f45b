/* SPDX-License-Identifier: MIT */
/*
 * `outpost consent-prompt` (internal, not in --help): the consent window.
 * The daemon starts it as the desktop user with the request on stdin
 * (--stdin); tests may pass the request as options instead. It prints
 * "allow", "deny" or "timeout" (consent/consent-prompt.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "consent/consent-prompt.h"

static const char consent_usage[] =
	"usage: outpost consent-prompt [--stdin] [--timeout=SECONDS]\n"
	"         [--peer-id=ID] [--peer-name=NAME] [--source=ADDR]\n"
	"         [--kind=KIND] [--permissions=TEXT]\n"
	"\n"
	"Internal: shows the consent window (X11: on $DISPLAY; Windows: on\n"
	"the current desktop) and prints allow,\n"
	"deny or timeout. The agent runs it as the desktop user; --stdin\n"
	"reads the request as key=value lines.\n";

/* Reads the whole request from stdin, at most CONSENT_REQUEST_MAX. */
static int
read_request(struct consent_prompt *p)
{
	char buf[CONSENT_REQUEST_MAX + 1];
	size_t len = 0;

	while (len < sizeof(buf)) {
		ssize_t n = read(0, buf + len, sizeof(buf) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return consent_prompt_parse(p, buf, len) == 0 ? 0 : -1;
}

int
cmd_consent_prompt(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "stdin", no_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ "peer-id", required_argument, NULL, 'p' },
		{ "peer-name", required_argument, NULL, 'n' },
		{ "source", required_argument, NULL, 's' },
		{ "kind", required_argument, NULL, 'k' },
		{ "permissions", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct consent_prompt p;
	bool from_stdin = false;
	int ch;

	(void)cli;
	memset(&p, 0, sizeof(p));
	p.timeout_s = 30;
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		char *end;
		unsigned long v;

		switch (ch) {
		case 'i':
			from_stdin = true;
			break;
		case 't':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v < 1 || v > 600) {
				fprintf(stderr, "outpost consent-prompt: "
						"--timeout must be 1..600\n");
				return EX_USAGE;
			}
			p.timeout_s = (unsigned)v;
			break;
		case 'p':
			consent_prompt_set(&p, "peer_id", optarg);
			break;
		case 'n':
			consent_prompt_set(&p, "peer_name", optarg);
			break;
		case 's':
			consent_prompt_set(&p, "source", optarg);
			break;
		case 'k':
			consent_prompt_set(&p, "kind", optarg);
			break;
		case 'P':
			consent_prompt_set(&p, "permissions", optarg);
			break;
		case 'h':
			printf("%s", consent_usage);
			return EX_OK;
		default:
			fprintf(stderr, "%s", consent_usage);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s", consent_usage);
		return EX_USAGE;
	}
	if (from_stdin && read_request(&p) != 0) {
		fprintf(stderr, "outpost consent-prompt: bad request on "
				"stdin\n");
		return EX_DATAERR;
	}
	return consent_prompt_run(&p);
}
