/* SPDX-License-Identifier: MIT */
/*
 * The network process's side of the monitor (monitor.h): one blocking
 * call per request on the channel the monitor passed (platform/
 * monchan.h: a socket on Unix, a pipe on Windows; a request is
 * answered in microseconds; a monitor that does not answer within
 * MONCLIENT_TIMEOUT_MS, or hangs up, is a failure and the caller fails
 * closed). Each function returns 0 or a negative code: the monitor's
 * reply status, OP_ERR_PROTO for a malformed reply, -ETIMEDOUT,
 * -ECONNRESET when the monitor is gone.
 */
#ifndef OP_MONITOR_MONITOR_CLIENT_H
#define OP_MONITOR_MONITOR_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/password.h"
#include "monitor/monitor-msg.h"
#include "monitor/secrets.h"

#define MONCLIENT_TIMEOUT_MS 5000

int monclient_hello(int fd, struct mon_identity *out);
/* Returns the length of SignedId.id written to out, or < 0. */
int monclient_signed_id(int fd, const uint8_t box_pk[static SECRETS_BOX_PK_LEN],
	uint8_t *out, size_t cap);
int monclient_check_proof(int fd,
	const char challenge[static PASSWORD_CHALLENGE_LEN + 1],
	const uint8_t *proof, size_t len, unsigned allow,
	enum secrets_method *out);
int monclient_new_otp(int fd);
int monclient_reload_password(int fd, char salt[static PASSWORD_SALT_LEN + 1],
	bool *has_password);
int monclient_reload_identity(int fd, struct mon_identity *out);
int monclient_print_otp(int fd);
int monclient_reload_config(int fd);
int monclient_notify(int fd, enum mon_notify what);
int monclient_ctl_listen(int fd, int *sock);
int monclient_events(int fd, int *sock);
/* consent-ask: 0 when the prompt is shown (its answer is an event), else
 * an error with why. */
int monclient_consent_ask(int fd, const struct mon_consent *c, char *why,
	size_t why_size);
int monclient_consent_cancel(int fd);
/* vd-start: 0 when it is starting (ready or not comes as an event). */
int monclient_vd_start(int fd, char *why, size_t why_size);
int monclient_vd_stop(int fd);
/* lock-session: why says what was locked, or why not. */
int monclient_lock_session(int fd, char *why, size_t why_size);
/* Windows: the service sends Ctrl+Alt+Del (SendSAS); why: its reason
 * when it cannot. */
int monclient_secure_attention(int fd, char *why, size_t why_size);
/* find-user: the lookup's status (or a transport error); *rd is at the
 * answer's fields (the caller reads them: daemon-user.c). */
int monclient_find_user(int fd, uint8_t reply[static MON_MSG_MAX],
	struct mon_rd *rd);
/* x11-cookie: the monitor copies the cookie into the network process's
 * cookie file; err gets its reason on failure. */
int monclient_x11_cookie(int fd, const char *display, const char *src,
	uint32_t owner, char *err, size_t errlen);
/* term-open: 0 with out, *master and *second (the caller owns both), or
 * the monitor's refusal with out->msg and out->user, or a transport
 * error (*master and *second -1). *second is the typescript (-1: not
 * recorded) on Unix; on Windows ConPTY's input pipe, as *master is only
 * its output (typescripts are refused there). */
int monclient_term_open(int fd, const struct mon_term_open *req,
	struct mon_term_shell *out, int *master, int *second);
/* term-hangup: 0 or OP_ERR_NOT_FOUND (already reaped). */
int monclient_term_hangup(int fd, uint32_t handle);
/* connect-user: *sock (and with held, *hold) on success. */
int monclient_connect_user(int fd, const char *path, uint32_t uid, bool held,
	int *sock, int *hold);
/* user-socket: the owner of a user's socket (connect-user's rules). */
int monclient_user_socket(int fd, const char *path, uint32_t *uid,
	uint32_t *gid);
/* proxy-password: on success out is the password (the monitor read the
 * file of its own config), on failure why it could not. */
int monclient_proxy_password(int fd, char *out, size_t size);
/* config: the monitor's configuration file as *conf_fd (name: its path),
 * or none (name "": the defaults); system: the monitor runs as root, so
 * the defaults are the system service's. On OP_ERR_CONFIG why lists the
 * file's problems, a line each. */
int monclient_config(int fd, bool *system, char *name, size_t name_size,
	char *why, size_t why_size, int *conf_fd);

#endif
