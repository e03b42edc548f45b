/* SPDX-License-Identifier: MIT */
/*
 * The Windows consent window: NOT WRITTEN YET (issue 16, in progress).
 * Until it is, the prompt reports that it cannot show a window, which
 * the daemon turns into a denial (fail closed).
 */
#include "consent/consent-prompt.h"

#include <stdio.h>

int
consent_prompt_run(const struct consent_prompt *p)
{
	(void)p;
	fprintf(stderr, "the consent window is not built on Windows yet\n");
	return CONSENT_EXIT_NODISPLAY;
}
