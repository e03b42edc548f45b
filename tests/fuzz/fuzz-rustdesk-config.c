/* SPDX-License-Identifier: MIT */
/* RustDesk's deployment-string parser (config import-rustdesk) over
 * arbitrary input: it must accept or refuse cleanly, and what it accepts
 * must come back as NUL-terminated strings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/rustdesk-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd_server s = { { NULL } };
	char err[256];
	char *in;

	if (size > 2 * RD_MAX_INPUT || (in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (rd_parse(in, &s, err, sizeof(err)) == 0) {
		for (int f = 0; f < RD_NFIELDS; f++)
			if (strlen(rd_get(&s, (enum rd_field)f)) > size)
				__builtin_trap();
	}
	rd_clear(&s);
	free(in);
	return 0;
}
