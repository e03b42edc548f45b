/* SPDX-License-Identifier: MIT */
/* sfile_free_secret, the same on every system. */
#include "platform/securefile.h"

#include <stdlib.h>

#include <sodium.h>

void
sfile_free_secret(uint8_t *buf, size_t len)
{
	if (buf == NULL)
		return;
	sodium_memzero(buf, len);
	free(buf);
}
