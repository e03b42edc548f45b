/* SPDX-License-Identifier: MIT */
/* core/sock.h on Windows (Winsock 2). */
#include "core/sock.h"

static INIT_ONCE wsa_once = INIT_ONCE_STATIC_INIT;
static int wsa_status;

static BOOL CALLBACK
wsa_start(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	WSADATA data;

	(void)once;
	(void)param;
	(void)ctx;
	/* Never cleaned up: Winsock stays up for the life of the process,
	 * as libuv (which starts it for its own loop) also leaves it. */
	wsa_status = WSAStartup(MAKEWORD(2, 2), &data);
	return TRUE;
}

op_sock_t
op_sock_open(int family, int type, int protocol)
{
	InitOnceExecuteOnce(&wsa_once, wsa_start, NULL, NULL);
	if (wsa_status != 0) {
		WSASetLastError(wsa_status);
		return INVALID_SOCKET;
	}
	/* Overlapped, as libuv's IOCP loop needs for uv_tcp_open. */
	return WSASocketW(family, type, protocol, NULL, 0,
		WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
}

void
op_sock_close(op_sock_t s)
{
	closesocket(s);
}

int
op_sock_error(void)
{
	return WSAGetLastError();
}

/*
 * Windows has no SO_REUSEPORT: its SO_REUSEADDR alone lets several
 * sockets bind one address, listening or connected, provided the socket
 * already holding it set SO_REUSEADDR too (so since Windows Server 2003);
 * that is what hole punching needs. It is looser than POSIX: while our
 * sockets hold the port, another process may bind it as well and take
 * connections meant for us. SO_EXCLUSIVEADDRUSE would prevent that, but
 * it cannot be combined with SO_REUSEADDR and would refuse our own second
 * and third socket on the port, so the punch could not work with it. The
 * shared port lives for one punch attempt (seconds), and a session on a
 * punched connection is authenticated and encrypted end to end, so a
 * process that grabs the port can spoil the attempt but not read or join
 * a session.
 */
int
op_sock_share_addr(op_sock_t s)
{
	BOOL one = TRUE;

	return setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (const char *)&one,
		       sizeof(one)) == 0 ? 0 : -1;
}
