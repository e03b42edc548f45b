/* SPDX-License-Identifier: MIT */
#include "monitor/monitor-client.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/err.h"
#include "monitor/monitor-internal.h"
#include "platform/monchan.h"

/* Sends req (its type first) and reads the reply into *rd, positioned
 * after the status, with up to max descriptors into fds (*nfds; closed
 * again unless the status is 0). Returns the status or a transport
 * error. */
static int
call_fds(int fd, const struct mon_buf *req, uint8_t reply[static MON_MSG_MAX],
	struct mon_rd *rd, int *fds, int max, int *nfds)
{
	ssize_t n;
	int32_t status;
	int r;

	if (req->overflow)
		return OP_ERR_INTERNAL;
	r = monchan_send(fd, req->b, req->len, NULL, 0, MONCHAN_SELF);
	if (r != 0)
		return r;
	n = monchan_recv(fd, reply, MON_MSG_MAX, fds, max, nfds,
		MONCLIENT_TIMEOUT_MS);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ECONNRESET;
	mon_rd_init(rd, reply, (size_t)n);
	if (mon_get_u8(rd) != req->b[0])
		status = OP_ERR_PROTO;
	else
		status = (int32_t)mon_get_u32(rd);
	if (rd->bad || status > 0)
		status = OP_ERR_PROTO;
	if (status != 0) {
		for (int i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
	}
	return status;
}

int
monclient__call(int fd, const struct mon_buf *req,
	uint8_t reply[static MON_MSG_MAX], struct mon_rd *rd)
{
	int nfds = 0;

	return call_fds(fd, req, reply, rd, NULL, 0, &nfds);
}


/* A request whose reply ends in a reason, also with an error status. */
static int
call_text(int fd, const struct mon_buf *req, char *why, size_t why_size)
{
	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;
	int r;

	why[0] = '\0';
	r = monclient__call(fd, req, reply, &rd);
	if (r == OP_ERR_PROTO || r == -ETIMEDOUT || r == -ECONNRESET ||
		rd.left == 0)
		return r;
	mon_get_str(&rd, why, why_size);
	return mon_rd_done(&rd) ? r : OP_ERR_PROTO;
}

void
monclient__begin(struct mon_buf *w, enum mon_type t)
{
	w->len = 0;
	w->overflow = false;
	mon_put_u8(w, (uint8_t)t);
}

/* A request without fields whose reply has none, or an identity (out
 * not NULL). */
static int
call_identity(int fd, enum mon_type t, struct mon_identity *out)
{
	struct mon_buf w;
	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;
	int r;

	monclient__begin(&w, t);
	if ((r = monclient__call(fd, &w, reply, &rd)) != 0)
		return r;
	if (out != NULL)
		mon_get_identity(&rd, out);
	return mon_rd_done(&rd) ? 0 : OP_ERR_PROTO;
}

static int
call_plain(int fd, enum mon_type t)
{
	return call_identity(fd, t, NULL);
}

int
monclient_hello(int fd, struct mon_identity *out)
{
	return call_identity(fd, MON_HELLO, out);
}

int
monclient_reload_identity(int fd, struct mon_identity *out)
{
	return call_identity(fd, MON_RELOAD_IDENTITY, out);
}

int
monclient_signed_id(int fd, const uint8_t box_pk[static SECRETS_BOX_PK_LEN],
	uint8_t *out, size_t cap)
{
	struct mon_buf w;
	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;
	const uint8_t *p;
	size_t len;
	int r;

	monclient__begin(&w, MON_SIGN_ID);
	mon_put_bytes(&w, box_pk, SECRETS_BOX_PK_LEN);
	if ((r = monclient__call(fd, &w, reply, &rd)) != 0)
		return r;
	mon_get_bytes(&rd, cap, &p, &len);
	if (!mon_rd_done(&rd) || len == 0)
		return OP_ERR_PROTO;
	memcpy(out, p, len);
	return (int)len;
}

int
monclient_check_proof(int fd,
	const char challenge[static PASSWORD_CHALLENGE_LEN + 1],
	const uint8_t *proof, size_t len, unsigned allow,
	enum secrets_method *out)
{
	struct mon_buf w;
	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;
	unsigned m;
	int r;

	*out = SECRETS_NONE;
	monclient__begin(&w, MON_CHECK_PROOF);
	mon_put_str(&w, challenge);
	mon_put_u8(&w, (uint8_t)allow);
	/* A proof longer than any valid one is wrong whatever it holds. */
	mon_put_bytes(&w, proof, len > 64 ? 0 : len);
	r = monclient__call(fd, &w, reply, &rd);
	sodium_memzero(&w, sizeof(w));
	if (r != 0)
		return r;
	m = mon_get_u8(&rd);
	if (!mon_rd_done(&rd) || m > SECRETS_PERMANENT)
		return OP_ERR_PROTO;
	*out = (enum secrets_method)m;
	return 0;
}

int
monclient_new_otp(int fd)
{
	return call_plain(fd, MON_NEW_OTP);
}

int
monclient_find_user(int fd, uint8_t reply[static MON_MSG_MAX],
	struct mon_rd *rd)
{
	struct mon_buf w;

	monclient__begin(&w, MON_FIND_USER);
	return monclient__call(fd, &w, reply, rd);
}

int
monclient_lock_session(int fd, char *why, size_t why_size)
{
	struct mon_buf w;

	monclient__begin(&w, MON_LOCK_SESSION);
	return call_text(fd, &w, why, why_size);
}

int
monclient_secure_attention(int fd, char *why, size_t why_size)
{
	struct mon_buf w;

	monclient__begin(&w, MON_SECURE_ATTENTION);
	return call_text(fd, &w, why, why_size);
}

/* A request without fields answered with one descriptor. */
static int
call_fd(int fd, enum mon_type t, int *sock)
{
	struct mon_buf w;
	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;
	int nfds = 0;
	int r;

	*sock = -1;
	monclient__begin(&w, t);
	if ((r = call_fds(fd, &w, reply, &rd, sock, 1, &nfds)) != 0)
		return r;
	if (!mon_rd_done(&rd) || nfds != 1) {
		if (nfds == 1)
			close(*sock);
		*sock = -1;
		return OP_ERR_PROTO;
	}
	return 0;
}

int
monclient_notify(int fd, enum mon_notify what)
{
	struct mon_buf w;
	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;
	int r;

	monclient__begin(&w, MON_NOTIFY);
	mon_put_u8(&w, (uint8_t)what);
	if ((r = monclient__call(fd, &w, reply, &rd)) != 0)
		return r;
	return mon_rd_done(&rd) ? 0 : OP_ERR_PROTO;
}

int
monclient_ctl_listen(int fd, int *sock)
{
	return call_fd(fd, MON_CTL_LISTEN, sock);
}

int
monclient_events(int fd, int *sock)
{
	return call_fd(fd, MON_EVENTS, sock);
}

int
monclient_consent_ask(int fd, const struct mon_consent *c, char *why,
	size_t why_size)
{
	struct mon_buf w;

	monclient__begin(&w, MON_CONSENT_ASK);
	mon_put_consent(&w, c);
	return call_text(fd, &w, why, why_size);
}

int
monclient_vd_start(int fd, char *why, size_t why_size)
{
	struct mon_buf w;

	monclient__begin(&w, MON_VD_START);
	return call_text(fd, &w, why, why_size);
}

int
monclient_vd_stop(int fd)
{
	return call_plain(fd, MON_VD_STOP);
}

int
monclient_consent_cancel(int fd)
{
	return call_plain(fd, MON_CONSENT_CANCEL);
}

int
monclient_reload_config(int fd)
{
	return call_plain(fd, MON_RELOAD_CONFIG);
}

int
monclient_print_otp(int fd)
{
	return call_plain(fd, MON_PRINT_OTP);
}

int
monclient_connect_user(int fd, const char *path, uint32_t uid, bool held,
	int *sock, int *hold)
{
	struct mon_buf w;
	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;
	int fds[2], nfds = 0;
	int r;

	*sock = -1;
	if (hold != NULL)
		*hold = -1;
	monclient__begin(&w, MON_CONNECT_USER);
	mon_put_str(&w, path);
	mon_put_u32(&w, uid);
	mon_put_u8(&w, held);
	if ((r = call_fds(fd, &w, reply, &rd, fds, 2, &nfds)) != 0)
		return r;
	if (!mon_rd_done(&rd) || nfds != (held ? 2 : 1)) {
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		return OP_ERR_PROTO;
	}
	*sock = fds[0];
	if (held)
		*hold = fds[1];
	return 0;
}

int
monclient_x11_cookie(int fd, const char *display, const char *src,
	uint32_t owner, char *err, size_t errlen)
{
	struct mon_buf w;

	monclient__begin(&w, MON_X11_COOKIE);
	mon_put_str(&w, display);
	mon_put_str(&w, src);
	mon_put_u32(&w, owner);
	return call_text(fd, &w, err, errlen);
}

int
monclient_reload_password(int fd, char salt[static PASSWORD_SALT_LEN + 1],
	bool *has_password)
{
	struct mon_buf w;
	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;
	int r;

	monclient__begin(&w, MON_RELOAD_PASSWORD);
	if ((r = monclient__call(fd, &w, reply, &rd)) != 0)
		return r;
	mon_get_str(&rd, salt, PASSWORD_SALT_LEN + 1);
	*has_password = mon_get_u8(&rd) != 0;
	return mon_rd_done(&rd) ? 0 : OP_ERR_PROTO;
}

int
monclient_term_open(int fd, const struct mon_term_open *req,
	struct mon_term_shell *out, int *master, int *second)
{
	struct mon_buf w;
	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;
	int fds[2], nfds = 0, want;
	int r;

	memset(out, 0, sizeof(*out));
	*master = -1;
	*second = -1;
	monclient__begin(&w, MON_TERM_OPEN);
	mon_put_term_open(&w, req);
	r = call_fds(fd, &w, reply, &rd, fds, 2, &nfds);
	if (r == OP_ERR_PROTO || r == -ETIMEDOUT || r == -ECONNRESET ||
		(r != 0 && rd.left == 0))
		return r;
	mon_get_term_shell(&rd, out);
	/* A shell comes with its master, and its typescript's descriptor
	 * exactly when it has a name (Windows: always its input pipe, never
	 * a typescript). */
#ifdef _WIN32
	want = out->typescript[0] != '\0' ? -1 : 2;
#else
	want = out->typescript[0] != '\0' ? 2 : 1;
#endif
	if (!mon_rd_done(&rd) || (r == 0 && (out->handle == 0 ||
			nfds != want))) {
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		memset(out, 0, sizeof(*out));
		return OP_ERR_PROTO;
	}
	if (r == 0) {
		*master = fds[0];
		*second = nfds == 2 ? fds[1] : -1;
	}
	return r;
}

int
monclient_term_hangup(int fd, uint32_t handle)
{
	struct mon_buf w;
	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;
	int r;

	monclient__begin(&w, MON_TERM_HANGUP);
	mon_put_u32(&w, handle);
	if ((r = monclient__call(fd, &w, reply, &rd)) != 0)
		return r;
	return mon_rd_done(&rd) ? 0 : OP_ERR_PROTO;
}

int
monclient_user_socket(int fd, const char *path, uint32_t *uid, uint32_t *gid)
{
	struct mon_buf w;
	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;
	int r;

	monclient__begin(&w, MON_USER_SOCKET);
	mon_put_str(&w, path);
	if ((r = monclient__call(fd, &w, reply, &rd)) != 0)
		return r;
	*uid = mon_get_u32(&rd);
	*gid = mon_get_u32(&rd);
	return mon_rd_done(&rd) ? 0 : OP_ERR_PROTO;
}

int
monclient_proxy_password(int fd, char *out, size_t size)
{
	struct mon_buf w;

	monclient__begin(&w, MON_PROXY_PASSWORD);
	return call_text(fd, &w, out, size);
}

int
monclient_config(int fd, bool *system, char *name, size_t name_size,
	char *why, size_t why_size, int *conf_fd)
{
	struct mon_buf w;
	uint8_t reply[MON_MSG_MAX];
	struct mon_rd rd;
	int nfds = 0;
	int r;

	*conf_fd = -1;
	name[0] = why[0] = '\0';
	monclient__begin(&w, MON_CONFIG);
	r = call_fds(fd, &w, reply, &rd, conf_fd, 1, &nfds);
	if (r == OP_ERR_PROTO || r == -ETIMEDOUT || r == -ECONNRESET ||
		(r == 0 && rd.left == 0))
		return r == 0 ? OP_ERR_PROTO : r;
	*system = mon_get_u8(&rd) != 0;
	mon_get_str(&rd, name, name_size);
	mon_get_str(&rd, why, why_size);
	/* A file comes with its descriptor, the defaults without one. */
	if (!mon_rd_done(&rd) || (r == 0 && (nfds == 1) != (name[0] != '\0'))) {
		if (nfds == 1)
			close(*conf_fd);
		*conf_fd = -1;
		return OP_ERR_PROTO;
	}
	return r;
}
