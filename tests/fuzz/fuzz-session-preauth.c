/* SPDX-License-Identifier: MIT */
/*
 * The pre-authentication session handler over a real socket pair (a
 * Unix socketpair driven through the TCP stream code, so thousands of runs
 * leave no TIME_WAIT ports behind for other tests): each
 * input is what a client sends before login (first byte: 0 = direct-IP
 * plaintext path, where Hash and LoginRequest parsing is reachable; else
 * the secure path, where the PublicKey handling is). The session must
 * close cleanly whatever arrives, without leaks or undefined behaviour.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "core/log.h"
#include "crypto/identity.h"
#include "net/stream.h"
#include "session/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uv_loop_t loop;
static bool inited;
static struct identity_key key;
static struct session_creds creds;
static bool closed;

static void
on_closed(void *arg, struct session *s, bool was_authorized,
	const char *reason)
{
	(void)arg;
	(void)s;
	(void)was_authorized;
	(void)reason;
	closed = true;
}

static const struct session_hooks hooks = { .closed = on_closed };

static void
init_once(void)
{
	inited = true;
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&loop);
	op_log_init("fuzz", OP_LOG_ERROR, OP_LOG_STDERR);
	identity_crypto_init();
	identity_generate(&key);
	memcpy(creds.s.salt, "23456789abcdefghijkmnpqrstuvwxyz", 33);
	memcpy(creds.s.otp, "abcdefghij", 11);
	creds.allow_otp = creds.allow_permanent = true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session_env env = {
		.loop = &loop, .key = &key, .id = "123456789",
		.version = "1.3.0", .hostname = "fuzz", .username = "",
		.creds = &creds, .require_encryption = true,
		.handshake_timeout_ms = 2000, .idle_timeout_ms = 2000,
		.close_delay_ms = 1,
		.hooks = &hooks,
	};
	struct sockaddr_storage peer = { .ss_family = AF_INET };
	bool secure;
	uv_tcp_t *t;
	struct stream *s;
	int fds[2];
	int c;

	if (!inited)
		init_once();
	if (size == 0)
		return 0;
	secure = data[0] != 0;
	data++;
	size--;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
		return 0;
	c = fds[0];
	t = malloc(sizeof(*t));
	uv_tcp_init(&loop, t);
	uv_tcp_open(t, fds[1]);
	if ((s = stream_tcp_take(&loop, t)) == NULL) {
		close(c);
		return 0;
	}
	closed = false;
	(void)session_start(&env, s,
		secure ? CONN_PATH_RELAY_HOST : CONN_PATH_DIRECT_IP, secure,
		&peer, NULL);
	if (size > 0 && write(c, data, size) < 0)
		(void)0;
	shutdown(c, SHUT_WR);
	for (int i = 0; i < 100000 && !closed; i++)
		uv_run(&loop, UV_RUN_ONCE);
	close(c);
	uv_run(&loop, UV_RUN_NOWAIT);
	return 0;
}
