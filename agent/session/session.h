/* SPDX-License-Identifier: MIT */
/*
 * A connection from a technician's client, from the moment a byte pipe
 * exists (any path of spec §4) until it closes.
 *
 * PARTIAL: this version implements only the host's opening of the secure
 * handshake (§5.3 step 2: SignedId with a fresh box key) and reads the
 * client's first answer; login, the encrypted channel and everything
 * after it are not implemented yet, so every session is then closed with
 * a log line saying so.
 */
#ifndef OP_SESSION_SESSION_H
#define OP_SESSION_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "net/incoming.h"

struct stream;
struct identity_key;
struct session;

struct session_env {
	uv_loop_t *loop;
	const struct identity_key *key; /* signs SignedId */
	const char *id;                 /* our ID, inside IdPk */
	unsigned handshake_timeout_ms;  /* 18000 (§1.6) */
	/* Called once per session when it is gone (for counters). */
	void (*on_closed)(void *arg, struct session *s);
	void *arg;
};

/* Takes ownership of s. Returns the session, or NULL (s closed then). */
struct session *session_start(const struct session_env *env,
	struct stream *s, enum conn_path path, bool secure,
	const struct sockaddr_storage *peer);

/* Closes (asynchronously); on_closed follows. */
void session_close(struct session *self, const char *why);

#endif
