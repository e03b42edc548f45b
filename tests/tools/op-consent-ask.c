/* SPDX-License-Identifier: MIT */
/*
 * op-consent-ask: drives consent_ask end to end for the integration tests
 * (tests/integration/test_consent.py), the way the daemon will.
 *
 *   op-consent-ask --self OUTPOST [--user NAME --display :N]
 *                  [--timeout-ms N] [--peer-name S]
 *
 * Without --user the user comes from consent_find_user() (logind, or the
 * OUTPOST_CONSENT_TEST_DISPLAY test hook). SIGUSR1 cancels the request.
 * Prints "pid N" once the prompt runs, then "result NAME" and "detail
 * TEXT" when done is called, and exits 0 only when the loop ends with
 * every handle closed.
 */
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "consent/consent.h"
#include "core/err.h"

static struct consent *pending;
static int calls;
static uv_signal_t sig;

static void
on_done(void *arg, enum consent_result r, const char *detail)
{
	(void)arg;
	calls++;
	pending = NULL;
	printf("result %s\ndetail %s\n", consent_result_name(r), detail);
	fflush(stdout);
	uv_close((uv_handle_t *)&sig, NULL);
}

static void
on_usr1(uv_signal_t *s, int signum)
{
	(void)s;
	(void)signum;
	if (pending != NULL)
		consent_cancel(pending);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "self", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "display", required_argument, NULL, 'd' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "peer-name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *self = NULL;
	const char *user = NULL;
	const char *display = NULL;
	struct consent_request req = {
		.peer_id = "123456789",
		.peer_name = "Test Technician",
		.source = "203.0.113.5:41234",
		.kind = "desktop",
		.permissions = "keyboard, clipboard",
		.timeout_ms = 10000,
	};
	struct consent_user u;
	uv_loop_t loop;
	int ch;
	int r;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			self = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'd':
			display = optarg;
			break;
		case 't':
			req.timeout_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			req.peer_name = optarg;
			break;
		default:
			return 64;
		}
	}
	if (self == NULL)
		return 64;
	if (user != NULL) {
		struct passwd *pw = getpwnam(user);

		if (pw == NULL || display == NULL)
			return 64;
		r = consent_user_from_uid(pw->pw_uid, display, NULL, &u);
	} else {
		r = consent_find_user(&u);
	}
	if (r != 0) {
		printf("nouser %s\n", op_strerror(r));
		return 2;
	}
	uv_loop_init(&loop);
	uv_signal_init(&loop, &sig);
	uv_signal_start(&sig, on_usr1, SIGUSR1);
	r = consent_ask(&loop, self, &u, &req, on_done, NULL, &pending);
	if (r != 0) {
		printf("askfail %s\n", op_strerror(r));
		return 3;
	}
	printf("pid %d\n", (int)consent_pid(pending));
	fflush(stdout);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop) != 0 || calls != 1) {
		printf("unclean calls=%d\n", calls);
		return 1;
	}
	printf("clean\n");
	return 0;
}
