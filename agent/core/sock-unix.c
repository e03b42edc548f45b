/* SPDX-License-Identifier: MIT */
/* core/sock.h on POSIX. */
#include "core/sock.h"

#include <errno.h>
#include <unistd.h>

op_sock_t
op_sock_open(int family, int type, int protocol)
{
	return socket(family, type | SOCK_CLOEXEC, protocol);
}

void
op_sock_close(op_sock_t s)
{
	close(s);
}

int
op_sock_error(void)
{
	return errno;
}

/* SO_REUSEADDR alone does not let two sockets bind one address while
 * either is connected or listening; SO_REUSEPORT does, and only between
 * sockets of the same user that all set it. */
int
op_sock_share_addr(op_sock_t s)
{
	int one = 1;

	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
		setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
		return -1;
	return 0;
}
