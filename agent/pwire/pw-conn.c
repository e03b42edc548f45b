/* SPDX-License-Identifier: MIT */
/* See pw-conn.h. */
#include "pwire/pw-conn.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <spa/utils/result.h>

#include "core/err.h"
#include "core/log.h"
#include "core/time.h"

static pthread_once_t pw_once = PTHREAD_ONCE_INIT;

static void
pw_global_init(void)
{
	pw_init(NULL, NULL);
	/* libpipewire logs to stderr; only its errors belong in ours. */
	if (getenv("PIPEWIRE_DEBUG") == NULL)
		pw_log_set_level(SPA_LOG_LEVEL_ERROR);
}

static void
on_core_done(void *data, uint32_t id, int seq)
{
	struct pw_conn *pc = data;

	if (id == PW_ID_CORE && seq == pc->sync_seq)
		pc->synced = true;
}

static void
on_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
	struct pw_conn *pc = data;

	(void)seq;
	if (id != PW_ID_CORE)
		return; /* about an object: the stream reports its own */
	log_warn("pipewire: %s (%s)", message ? message : "error",
		spa_strerror(res));
	if (!pc->failed) {
		pc->failed = true;
		pc->fail_res = res == -EPIPE ? OP_ERR_GONE : res;
	}
	if (pc->on_error != NULL)
		pc->on_error(pc->arg, res, message);
}

static const struct pw_core_events core_events = {
	PW_VERSION_CORE_EVENTS,
	.done = on_core_done,
	.error = on_core_error,
};

int
pw_conn_socket(const char *dir, const char *name, int *out)
{
	struct sockaddr_un sun;
	int fd;
	int n;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		     0)) < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;

		close(fd);
		return e == ENOENT ? OP_ERR_NOT_FOUND : -e;
	}
	*out = fd;
	return 0;
}

static int
wait_sync(struct pw_conn *pc, int timeout_ms)
{
	uint64_t end = op_now_ms() + (uint64_t)timeout_ms;

	pc->sync_seq = pw_core_sync(pc->core, PW_ID_CORE, 0);
	while (!pc->synced && !pc->failed) {
		uint64_t now = op_now_ms();

		if (now >= end)
			return OP_ERR_GONE;
		pw_loop_iterate(pc->loop, (int)(end - now) + 1);
	}
	return pc->failed ? pc->fail_res : 0;
}

int
pw_conn_open(struct pw_conn *pc, int fd, int timeout_ms,
	pw_conn_error_fn on_error, void *arg)
{
	int r = OP_ERR_NOMEM;

	pthread_once(&pw_once, pw_global_init);
	memset(pc, 0, sizeof(*pc));
	pc->on_error = on_error;
	pc->arg = arg;
	if ((pc->loop = pw_loop_new(NULL)) == NULL) {
		close(fd);
		return r;
	}
	pw_loop_enter(pc->loop);
	pc->entered = true;
	if ((pc->context = pw_context_new(pc->loop, NULL, 0)) == NULL) {
		close(fd);
		goto fail;
	}
	/* Takes fd, also on failure. */
	if ((pc->core = pw_context_connect_fd(pc->context, fd, NULL, 0)) ==
		NULL) {
		r = -errno;
		goto fail;
	}
	pw_core_add_listener(pc->core, &pc->core_listener, &core_events, pc);
	if ((r = wait_sync(pc, timeout_ms)) != 0)
		goto fail;
	return 0;
fail:
	pw_conn_close(pc);
	return r;
}

int
pw_conn_fd(const struct pw_conn *pc)
{
	return pw_loop_get_fd(pc->loop);
}

void
pw_conn_close(struct pw_conn *pc)
{
	if (pc->core != NULL) {
		spa_hook_remove(&pc->core_listener);
		pw_core_disconnect(pc->core);
		pc->core = NULL;
	}
	if (pc->context != NULL) {
		pw_context_destroy(pc->context);
		pc->context = NULL;
	}
	if (pc->loop != NULL) {
		if (pc->entered)
			pw_loop_leave(pc->loop);
		pw_loop_destroy(pc->loop);
		pc->loop = NULL;
	}
	pc->entered = false;
}
