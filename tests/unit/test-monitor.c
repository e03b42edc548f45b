/* SPDX-License-Identifier: MIT */
/*
 * The monitor's request set (monitor/monitor.c) through the network
 * process's client (monitor-client.c) over a real SOCK_SEQPACKET pair, a
 * thread serving the monitor side; and hostile requests straight to
 * monitor_serve: each must be refused as a protocol error (the caller
 * ends that network process), never answered. Terminals: real shells
 * started by the monitor (a libuv loop in the serving thread reaps them),
 * their masters passed over the socket, exits as events, the cap, the
 * rate limit, and no shell left once the network process is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "core/err.h"
#include "monitor/monitor-client.h"
#include "monitor/monitor.h"
#include "monitor/secrets.h"
#include "platform/fdpass.h"
#include "store/state.h"
#include "term/term.h"
#include "th-fs.h"
#include "th.h"

static char root[256];
static uint64_t fake_ms = 1000;
static char printed[64];

static uint64_t
now_ms(void)
{
	return fake_ms;
}

static void
print_otp(void *arg, const char *otp)
{
	(void)arg;
	snprintf(printed, sizeof(printed), "%s", otp);
}

static void
make_monitor(const char *sub, struct monitor **m_out, struct state **st_out)
{
	char dir[512], why[SFILE_WHY_LEN];
	struct state *st = NULL, *copy = NULL;
	struct monitor_opts o = { .otp_charset = OTP_SAFE32, .otp_len = 10,
		.print_otp = print_otp, .now_ms = now_ms };
	struct monitor *m = NULL;

	snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	ASSERT_INT_EQ(state_open(dir, "auto", &st, why), 0);
	ASSERT_INT_EQ(state_set_password(st, "hunter2", 7, why), 0);
	ASSERT_INT_EQ(state_open(dir, "auto", &copy, why), 0);
	ASSERT_INT_EQ(monitor_new(st, &o, &m), 0);
	monitor_child_started(m);
	*st_out = copy; /* the test's own view of the same secrets */
	*m_out = m;
}

static struct monitor *
new_monitor(const char *sub, struct state **st_out)
{
	struct monitor *m = NULL;

	make_monitor(sub, &m, st_out);
	if (m == NULL) {
		fprintf(stderr, "cannot make a monitor\n");
		exit(1);
	}
	return m;
}

struct server {
	struct monitor *m;
	int fd;
	int refused; /* requests monitor_serve called protocol errors */
};

static void *
serve(void *arg)
{
	struct server *s = arg;
	uint8_t req[MON_MSG_MAX + 1];
	struct monitor_reply reply;
	char why[128];
	ssize_t n;

	while ((n = recv(s->fd, req, sizeof(req), 0)) > 0) {
		int r;

		if (monitor_serve(s->m, req, (size_t)n, &reply, why,
			    sizeof(why)) != 0) {
			s->refused++;
			break; /* as daemon-monitor.c: end the process */
		}
		r = fdpass_send(s->fd, reply.b, reply.len, reply.fds,
			reply.nfds, 0);
		for (int i = 0; i < reply.nfds; i++)
			close(reply.fds[i]);
		if (r != 0)
			break;
	}
	close(s->fd);
	return NULL;
}

static void
proof_for(const char *pw, const char *salt, const char *challenge,
	uint8_t out[32])
{
	uint8_t h1[PASSWORD_H1_LEN];
	crypto_hash_sha256_state h;

	password_h1(pw, strlen(pw), salt, h1);
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, h1, sizeof(h1));
	crypto_hash_sha256_update(&h, (const uint8_t *)challenge,
		strlen(challenge));
	crypto_hash_sha256_final(&h, out);
}

static void
test_requests_over_socket(void)
{
	struct state *mine = NULL;
	struct server srv = { 0 };
	struct mon_identity id;
	uint8_t box_pk[32], blob[SECRETS_SIGNED_ID_MAX], proof[32];
	uint8_t opened[SECRETS_SIGNED_ID_MAX];
	unsigned long long olen;
	enum secrets_method meth;
	char salt[PASSWORD_SALT_LEN + 1], otp[OTP_MAX_LEN + 1];
	pthread_t t;
	bool has;
	int sv[2], n;

	srv.m = new_monitor("a", &mine);
	ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	srv.fd = sv[0];
	ASSERT_INT_EQ(pthread_create(&t, NULL, serve, &srv), 0);

	ASSERT_INT_EQ(monclient_hello(sv[1], &id), 0);
	ASSERT_STR_EQ(id.id, state_id(mine));
	ASSERT_STR_EQ(id.uuid, state_uuid(mine));
	ASSERT_MEM_EQ(id.pk, state_key(mine)->pk, 32);
	ASSERT_STR_EQ(id.salt, state_salt(mine));
	ASSERT(id.has_password);
	ASSERT_INT_EQ(id.generation, 1);

	/* sign-id: a valid SignedId for our ID and the given key. */
	randombytes_buf(box_pk, sizeof(box_pk));
	n = monclient_signed_id(sv[1], box_pk, blob, sizeof(blob));
	ASSERT(n > 64);
	ASSERT_INT_EQ(crypto_sign_open(opened, &olen, blob, (size_t)n,
			      state_key(mine)->pk), 0);
	ASSERT(memmem(opened, olen, box_pk, 32) != NULL);
	ASSERT(memmem(opened, olen, id.id, strlen(id.id)) != NULL);

	/* check-proof: the permanent password, a wrong one, one not
	 * allowed. */
	proof_for("hunter2", id.salt, "abcdef", proof);
	ASSERT_INT_EQ(monclient_check_proof(sv[1], "abcdef", proof, 32,
			      SECRETS_ALLOW_PERMANENT, &meth), 0);
	ASSERT_INT_EQ(meth, SECRETS_PERMANENT);
	ASSERT_INT_EQ(monclient_check_proof(sv[1], "abcdef", proof, 32,
			      SECRETS_ALLOW_OTP, &meth), 0);
	ASSERT_INT_EQ(meth, SECRETS_NONE);
	proof[0] ^= 1;
	ASSERT_INT_EQ(monclient_check_proof(sv[1], "abcdef", proof, 32,
			      SECRETS_ALLOW_PERMANENT, &meth), 0);
	ASSERT_INT_EQ(meth, SECRETS_NONE);

	/* print-otp shows the one-time password; its proof is accepted
	 * once, then it is replaced. */
	ASSERT_INT_EQ(monclient_print_otp(sv[1]), 0);
	snprintf(otp, sizeof(otp), "%s", printed);
	ASSERT_INT_EQ(strlen(otp), 10);
	proof_for(otp, id.salt, "zzzzzz", proof);
	ASSERT_INT_EQ(monclient_check_proof(sv[1], "zzzzzz", proof, 32,
			      SECRETS_ALLOW_OTP | SECRETS_ALLOW_PERMANENT,
			      &meth), 0);
	ASSERT_INT_EQ(meth, SECRETS_OTP);
	ASSERT_INT_EQ(monclient_check_proof(sv[1], "zzzzzz", proof, 32,
			      SECRETS_ALLOW_OTP, &meth), 0);
	ASSERT_INT_EQ(meth, SECRETS_NONE);

	/* reload-password: a password cleared on disk is gone. */
	{
		char why[SFILE_WHY_LEN];

		ASSERT_INT_EQ(state_clear_password(mine, why), 0);
	}
	ASSERT_INT_EQ(monclient_reload_password(sv[1], salt, &has), 0);
	ASSERT(!has);
	proof_for("hunter2", salt, "abcdef", proof);
	ASSERT_INT_EQ(monclient_check_proof(sv[1], "abcdef", proof, 32,
			      SECRETS_ALLOW_PERMANENT, &meth), 0);
	ASSERT_INT_EQ(meth, SECRETS_NONE);
	ASSERT_INT_EQ(monclient_new_otp(sv[1]), 0);

	/* Asking for hello or print-otp again is out of turn: the monitor
	 * refuses and the connection ends. */
	ASSERT(monclient_hello(sv[1], &id) != 0);
	pthread_join(t, NULL);
	ASSERT_INT_EQ(srv.refused, 1);
	close(sv[1]);
	monitor_free(srv.m);
	state_free(mine);
}

/* Serves one request; returns monitor_serve's result. */
static int
serve_one(struct monitor *m, const void *req, size_t len)
{
	struct monitor_reply reply = { .len = 99, .nfds = 9 };
	char why[128];
	int r = monitor_serve(m, req, len, &reply, why, sizeof(why));

	for (int i = 0; i < reply.nfds && r == 0; i++)
		close(reply.fds[i]);
	/* A refused request has no reply. */
	return r != 0 && (reply.len != 0 || reply.nfds != 0) ?
		OP_ERR_INTERNAL : r;
}

static void
test_hostile_requests(void)
{
	struct state *mine = NULL;
	struct monitor *m = new_monitor("b", &mine);
	uint8_t big[MON_MSG_MAX + 1] = { MON_HELLO };
	static const uint8_t hello[] = { MON_HELLO };

	/* Before hello nothing else is answered. */
	ASSERT_INT_EQ(serve_one(m, (uint8_t[]){ MON_NEW_OTP }, 1),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(serve_one(m, (uint8_t[]){ MON_HELLO, 0 }, 2),
		OP_ERR_PROTO); /* trailing byte */
	ASSERT_INT_EQ(serve_one(m, big, sizeof(big)), OP_ERR_PROTO);
	ASSERT_INT_EQ(serve_one(m, hello, 0), OP_ERR_PROTO);
	/* The audit requests too (test-monitor-audit.c has the rest). */
	ASSERT_INT_EQ(serve_one(m, (uint8_t[]){ MON_AUDIT_STATUS }, 1),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(serve_one(m, hello, 1), 0);
	ASSERT_INT_EQ(serve_one(m, hello, 1), OP_ERR_PROTO); /* once */
	/* Without a trail they are refused, not malformed. */
	ASSERT_INT_EQ(serve_one(m, (uint8_t[]){ MON_AUDIT_STATUS }, 1), 0);
	ASSERT_INT_EQ(serve_one(m, (uint8_t[]){ 0 }, 1), OP_ERR_PROTO);
	ASSERT_INT_EQ(serve_one(m, (uint8_t[]){ MON_TYPE_END }, 1),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(serve_one(m, (uint8_t[]){ 0xff }, 1), OP_ERR_PROTO);
	/* sign-id: the key must be exactly 32 bytes. */
	ASSERT_INT_EQ(serve_one(m, (uint8_t[]){ MON_SIGN_ID, 0, 31 }, 3),
		OP_ERR_PROTO);
	{
		uint8_t req[1 + 2 + 33] = { MON_SIGN_ID, 0, 33 };

		ASSERT_INT_EQ(serve_one(m, req, sizeof(req)), OP_ERR_PROTO);
		req[2] = 32;
		ASSERT_INT_EQ(serve_one(m, req, sizeof(req) - 1), 0);
		ASSERT_INT_EQ(serve_one(m, req, sizeof(req)), OP_ERR_PROTO);
	}
	/* check-proof: challenge of the wrong length, a NUL inside, unknown
	 * allow bits, a length past the end. */
	{
		uint8_t ok[] = { MON_CHECK_PROOF, 0, 6, 'a', 'b', 'c', 'd',
			'e', 'f', 3, 0, 1, 'x' };

		ASSERT_INT_EQ(serve_one(m, ok, sizeof(ok)), 0);
		ok[4] = 0;
		ASSERT_INT_EQ(serve_one(m, ok, sizeof(ok)), OP_ERR_PROTO);
		ok[4] = 'b';
		ok[9] = 4;
		ASSERT_INT_EQ(serve_one(m, ok, sizeof(ok)), OP_ERR_PROTO);
		ok[9] = 3;
		ok[11] = 2;
		ASSERT_INT_EQ(serve_one(m, ok, sizeof(ok)), OP_ERR_PROTO);
		ok[11] = 1;
		ok[2] = 5;
		ASSERT_INT_EQ(serve_one(m, ok, sizeof(ok)), OP_ERR_PROTO);
	}
	/* Refused requests changed nothing: a new network process starts
	 * over at hello. */
	monitor_child_started(m);
	ASSERT_INT_EQ(serve_one(m, hello, 1), 0);
	ASSERT_INT_EQ(monitor_generation(m), 2);
	monitor_free(m);
	state_free(mine);
}

static void
test_proof_rate_limited(void)
{
	struct state *mine = NULL;
	struct monitor *m = new_monitor("c", &mine);
	uint8_t req[MON_MSG_MAX];
	struct monitor_reply reply;
	struct mon_buf w = { .len = 0 };
	uint8_t proof[32];
	char why[128];
	int good = 0;

	ASSERT_INT_EQ(serve_one(m, (uint8_t[]){ MON_HELLO }, 1), 0);
	proof_for("hunter2", state_salt(mine), "abcdef", proof);
	mon_put_u8(&w, MON_CHECK_PROOF);
	mon_put_str(&w, "abcdef");
	mon_put_u8(&w, SECRETS_ALLOW_PERMANENT);
	mon_put_bytes(&w, proof, sizeof(proof));
	memcpy(req, w.b, w.len);
	/* The right password, asked 100 times at once: only the burst is
	 * checked, the rest is refused however right. */
	for (int i = 0; i < 100; i++) {
		ASSERT_INT_EQ(monitor_serve(m, req, w.len, &reply, why,
				      sizeof(why)), 0);
		ASSERT_INT_EQ(reply.len, 6);
		good += reply.b[5] == SECRETS_PERMANENT;
	}
	ASSERT_INT_EQ(good, MONITOR_PROOF_BURST);
	/* A second later MONITOR_PROOF_PER_S more. */
	fake_ms += 1000;
	good = 0;
	for (int i = 0; i < 100; i++) {
		ASSERT_INT_EQ(monitor_serve(m, req, w.len, &reply, why,
				      sizeof(why)), 0);
		good += reply.b[5] == SECRETS_PERMANENT;
	}
	ASSERT_INT_EQ(good, MONITOR_PROOF_PER_S);
	monitor_free(m);
	state_free(mine);
}

/* A listening socket at dir/name, dir and socket owned by uid. */
static int
listen_as(const char *dir, const char *name, uid_t uid, mode_t dir_mode)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	(void)mkdir(dir, 0700);
	if (chown(dir, uid, uid) != 0 || chmod(dir, dir_mode) != 0)
		return -1;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", dir, name);
	unlink(sun.sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
		listen(fd, 4) != 0 || chown(sun.sun_path, uid, uid) != 0)
		return -1;
	return fd;
}

static void
test_connect_user(void)
{
	const uid_t nobody = 65534;
	struct state *mine = NULL;
	struct server srv = { 0 };
	struct mon_identity id;
	char dir[512], bad[512], path[600];
	pthread_t t;
	int sv[2], lfd, sock = -1, hold = -1;

	if (geteuid() != 0) {
		printf("skip test_connect_user: needs root\n");
		return;
	}
	ASSERT_INT_EQ(chmod(root, 0755), 0); /* nobody must reach its dir */
	snprintf(dir, sizeof(dir), "%s/run-nobody", root);
	snprintf(bad, sizeof(bad), "%s/run-open", root);
	ASSERT((lfd = listen_as(dir, "wayland-1", nobody, 0700)) >= 0);
	srv.m = new_monitor("d", &mine);
	ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	srv.fd = sv[0];
	ASSERT_INT_EQ(pthread_create(&t, NULL, serve, &srv), 0);
	ASSERT_INT_EQ(monclient_hello(sv[1], &id), 0);

	/* The user's own compositor socket: connected as the user. */
	snprintf(path, sizeof(path), "%s/wayland-1", dir);
	ASSERT_INT_EQ(monclient_connect_user(sv[1], path, nobody, false, &sock,
			      NULL), 0);
	ASSERT(sock >= 0);
	{
		int c = accept(lfd, NULL, NULL);
		struct ucred cred;
		socklen_t cl = sizeof(cred);

		ASSERT(c >= 0);
		ASSERT_INT_EQ(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred,
				      &cl), 0);
		ASSERT_INT_EQ(cred.uid, nobody);
		close(c);
	}
	close(sock);
	/* Refused: as no user, as a user who does not own it, another
	 * kind of socket, a socket someone else may have put there, a
	 * path with "..", no such socket. */
	ASSERT_INT_EQ(monclient_connect_user(sv[1], path, 0x7ffffff0u, false,
			      &sock, NULL), -EPERM);
	ASSERT_INT_EQ(monclient_connect_user(sv[1], path, 0, false, &sock,
			      NULL), -EPERM);
	close(listen_as(dir, "systemd-private", nobody, 0700));
	snprintf(path, sizeof(path), "%s/systemd-private", dir);
	ASSERT_INT_EQ(monclient_connect_user(sv[1], path, nobody, false, &sock,
			      NULL), -EPERM);
	close(listen_as(bad, "wayland-0", nobody, 0777));
	snprintf(path, sizeof(path), "%s/wayland-0", bad);
	ASSERT_INT_EQ(monclient_connect_user(sv[1], path, nobody, false, &sock,
			      NULL), -EPERM);
	snprintf(path, sizeof(path), "%s/../run-nobody/wayland-1", dir);
	ASSERT_INT_EQ(monclient_connect_user(sv[1], path, nobody, false, &sock,
			      NULL), -EPERM);
	snprintf(path, sizeof(path), "%s/wayland-9", dir);
	ASSERT_INT_EQ(monclient_connect_user(sv[1], path, nobody, false, &sock,
			      NULL), -ENOENT);
	/* Held: the holder process stays until hold is closed. */
	snprintf(path, sizeof(path), "%s/wayland-1", dir);
	if (access("/bin/cat", X_OK) == 0) {
		ASSERT_INT_EQ(monclient_connect_user(sv[1], path, nobody, true,
				      &sock, &hold), 0);
		ASSERT(hold >= 0);
		close(hold);
		close(sock);
	}
	ASSERT_INT_EQ(srv.refused, 0);
	close(sv[1]);
	pthread_join(t, NULL);
	close(lfd);
	monitor_free(srv.m);
	state_free(mine);
}

/* A FamilyWild entry for display 7 with cookie 1..16 (as test-xauth). */
static int
write_xauth(const char *path, uid_t owner)
{
	static const uint8_t rec[] = { 0xff, 0xff, 0, 0, 0, 1, '7', 0, 18,
		'M', 'I', 'T', '-', 'M', 'A', 'G', 'I', 'C', '-', 'C', 'O', 'O',
		'K', 'I', 'E', '-', '1', 0, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
		11, 12, 13, 14, 15, 16 };
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(rec, 1, sizeof(rec), f) != sizeof(rec) ||
		fclose(f) != 0)
		return -1;
	return chown(path, owner, owner);
}

static void
test_x11_cookie(void)
{
	char dir[512], user_xa[600], admin_xa[600], copy[600], err[200];
	char sdir[512], why[SFILE_WHY_LEN];
	struct monitor_opts o = { .otp_charset = OTP_SAFE32, .otp_len = 10 };
	struct monitor *m = NULL;
	struct state *st = NULL;
	struct server srv = { 0 };
	struct mon_identity id;
	struct stat sb;
	pthread_t t;
	int sv[2];

	if (geteuid() != 0) {
		printf("skip test_x11_cookie: needs root\n");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/x11", root);
	snprintf(sdir, sizeof(sdir), "%s/e", root);
	ASSERT_INT_EQ(mkdir(dir, 0755), 0);
	snprintf(user_xa, sizeof(user_xa), "%s/user.xauth", dir);
	snprintf(admin_xa, sizeof(admin_xa), "%s/admin.xauth", dir);
	snprintf(copy, sizeof(copy), "%s/display.xauth", dir);
	ASSERT_INT_EQ(write_xauth(user_xa, 65534), 0);
	ASSERT_INT_EQ(write_xauth(admin_xa, 0), 0);
	o.cookie_copy = copy;
	o.xauthority_any = admin_xa;
	ASSERT_INT_EQ(state_open(sdir, "auto", &st, why), 0);
	ASSERT_INT_EQ(monitor_new(st, &o, &m), 0);
	monitor_child_started(m);
	srv.m = m;
	ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	srv.fd = sv[0];
	ASSERT_INT_EQ(pthread_create(&t, NULL, serve, &srv), 0);
	ASSERT_INT_EQ(monclient_hello(sv[1], &id), 0);

	/* The user's file, owned by the user: copied, ours, 0600. */
	ASSERT_INT_EQ(monclient_x11_cookie(sv[1], ":7", user_xa, 65534, err,
			      sizeof(err)), 0);
	ASSERT_INT_EQ(stat(copy, &sb), 0);
	ASSERT_INT_EQ(sb.st_mode & 0777, 0600);
	ASSERT_INT_EQ(sb.st_uid, 0);
	unlink(copy);
	/* Claiming another owner: refused by the file check, with why. */
	ASSERT(monclient_x11_cookie(sv[1], ":7", user_xa, 1000, err,
		       sizeof(err)) != 0);
	ASSERT(err[0] != '\0');
	/* Any owner: only the configured display.xauthority. */
	ASSERT_INT_EQ(monclient_x11_cookie(sv[1], ":7", user_xa,
			      (uint32_t)-1, err, sizeof(err)), OP_ERR_PERM);
	ASSERT_INT_EQ(monclient_x11_cookie(sv[1], ":7", "/etc/shadow",
			      (uint32_t)-1, err, sizeof(err)), OP_ERR_PERM);
	ASSERT_INT_EQ(monclient_x11_cookie(sv[1], ":7", admin_xa, (uint32_t)-1,
			      err, sizeof(err)), 0);
	ASSERT_INT_EQ(access(copy, F_OK), 0);
	ASSERT_INT_EQ(srv.refused, 0);
	close(sv[1]);
	pthread_join(t, NULL);
	monitor_free(m);
}

/* ---- terminals ---- */

/* The monitor's side with a loop: requests from the socket, events to
 * ev (the events socket), shells reaped on the loop. Ends when the
 * network process (the test) hangs up, and then hangs its shells up as
 * daemon-monitor.c does. */
struct loop_server {
	struct monitor *m;
	uv_loop_t loop;
	uv_poll_t poll;
	int fd;
	int ev; /* our end of the events pair */
	int refused;
};

static void
send_event(void *arg, const struct mon_buf *ev)
{
	struct loop_server *s = arg;

	(void)send(s->ev, ev->b, ev->len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void
on_loop_closed(uv_handle_t *h)
{
	close(((struct loop_server *)h->data)->fd);
}

static void
on_loop_request(uv_poll_t *h, int status, int events)
{
	struct loop_server *s = h->data;
	uint8_t req[MON_MSG_MAX + 1];
	struct monitor_reply reply;
	char why[128];
	ssize_t n = status < 0 ? -1 : recv(s->fd, req, sizeof(req), 0);

	(void)events;
	if (n > 0 && monitor_serve(s->m, req, (size_t)n, &reply, why,
			     sizeof(why)) == 0) {
		(void)fdpass_send(s->fd, reply.b, reply.len, reply.fds,
			reply.nfds, 0);
		for (int i = 0; i < reply.nfds; i++)
			close(reply.fds[i]);
		return;
	}
	if (n > 0)
		s->refused++;
	uv_close((uv_handle_t *)h, on_loop_closed);
	monitor_terms_end(s->m); /* the network process is gone */
}

static void *
serve_loop(void *arg)
{
	struct loop_server *s = arg;

	uv_poll_init(&s->loop, &s->poll, s->fd);
	s->poll.data = s;
	uv_poll_start(&s->poll, UV_READABLE, on_loop_request);
	uv_run(&s->loop, UV_RUN_DEFAULT); /* until every shell is reaped */
	return NULL;
}

static struct term_account shell_acct;

/* nobody (with bash) as root, else ourselves. */
static bool
pick_shell_account(void)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *name = geteuid() == 0 ? "nobody" :
		pw != NULL ? pw->pw_name : "";

	return access("/bin/bash", X_OK) == 0 &&
		term_account_lookup(name, "/bin/bash", &shell_acct) == 0;
}

static struct monitor *
term_monitor(const char *sub, struct loop_server *s, const char *user,
	const char *record_dir, unsigned max_live)
{
	char dir[512], why[SFILE_WHY_LEN];
	struct monitor_opts o = { .otp_charset = OTP_SAFE32, .otp_len = 10,
		.now_ms = now_ms, .event = send_event, .arg = s,
		.loop = &s->loop };
	struct monitor_term_conf tc = { .max_live = max_live };
	struct monitor *m = NULL;
	struct state *st = NULL;

	snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	if (uv_loop_init(&s->loop) != 0 ||
		state_open(dir, "auto", &st, why) != 0 ||
		monitor_new(st, &o, &m) != 0)
		return NULL;
	monitor_child_started(m);
	snprintf(tc.user, sizeof(tc.user), "%s", user);
	snprintf(tc.shell, sizeof(tc.shell), "/bin/bash");
	if (record_dir != NULL)
		snprintf(tc.record_dir, sizeof(tc.record_dir), "%s",
			record_dir);
	monitor_set_terminal(m, &tc);
	s->m = m;
	return m;
}

/* Reads the pty until text shows (or 10 s). */
static bool
pty_wait(int master, const char *text)
{
	char buf[8192];
	size_t len = 0;

	for (int i = 0; i < 200; i++) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(master, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return false;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, text) != NULL)
			return true;
		if (len > sizeof(buf) / 2) {
			memmove(buf, buf + len / 2, len - len / 2);
			len -= len / 2;
		}
	}
	return false;
}

/* The next MON_EV_TERM_EXIT (within ms): 0 with handle and code. */
static int
next_exit(int ev, unsigned ms, uint32_t *handle, int32_t *code)
{
	struct pollfd p = { .fd = ev, .events = POLLIN };
	uint8_t b[64];
	struct mon_rd rd;
	ssize_t n;

	if (poll(&p, 1, (int)ms) != 1 ||
		(n = recv(ev, b, sizeof(b), MSG_DONTWAIT)) <= 0)
		return -1;
	mon_rd_init(&rd, b, (size_t)n);
	if (mon_get_u8(&rd) != MON_EV_TERM_EXIT)
		return -1;
	*handle = mon_get_u32(&rd);
	*code = (int32_t)mon_get_u32(&rd);
	return mon_rd_done(&rd) ? 0 : -1;
}

/* term-open's answer, descriptors included. */
struct tshell {
	uint32_t handle;
	uint32_t pid;
	char tty[64];
	char user[64];
	char typescript[4352];
	char msg[256];
	int master;
	int record_fd;
};

static int
topen(int fd, const struct mon_term_open *q, struct tshell *out)
{
	struct mon_term_shell s;
	int r = monclient_term_open(fd, q, &s, &out->master, &out->record_fd);

	out->handle = s.handle;
	out->pid = s.pid;
	memcpy(out->tty, s.tty, sizeof(out->tty));
	memcpy(out->user, s.user, sizeof(out->user));
	memcpy(out->typescript, s.typescript, sizeof(out->typescript));
	memcpy(out->msg, s.msg, sizeof(out->msg));
	return r;
}

static pid_t
parent_of(uint32_t pid)
{
	char path[64];
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fscanf(f, "%*d %*s %*c %d", &ppid) != 1)
		ppid = -1;
	fclose(f);
	return (pid_t)ppid;
}

static void
test_terminals(void)
{
	static const char cmd_a[] = "echo \"mon-$(stty size)-$((6*7))\"; exit 3\r";
	static const char cmd_c[] = "trap '' HUP; sleep 300 & "
				    "echo job-$((5*5))\r";
	struct loop_server srv = { 0 };
	struct mon_identity id;
	struct tshell a, b, c, d;
	struct mon_term_open q = { .terminal_id = 1, .session_tag = 42,
		.rows = 30, .cols = 100 };
	char ts[512];
	struct stat sb, sf;
	pthread_t t;
	int sv[2], ev[2];
	uint32_t handle;
	int32_t code;

	if (!pick_shell_account()) {
		printf("skip test_terminals: no bash or no account\n");
		return;
	}
	snprintf(ts, sizeof(ts), "%s/typescripts", root);
	ASSERT(term_monitor("t", &srv, shell_acct.name, ts, 2) != NULL);
	ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ev), 0);
	srv.fd = sv[0];
	srv.ev = ev[0];
	ASSERT_INT_EQ(pthread_create(&t, NULL, serve_loop, &srv), 0);
	ASSERT_INT_EQ(monclient_hello(sv[1], &id), 0);

	/* A shell as the configured account, its master ours, recorded. */
	ASSERT_INT_EQ(topen(sv[1], &q, &a), 0);
	ASSERT(a.handle != 0 && a.pid > 0 && a.master >= 0);
	ASSERT_STR_EQ(a.user, shell_acct.name);
	ASSERT(strncmp(a.tty, "/dev/pts/", 9) == 0);
	ASSERT_STR_CONTAINS(a.typescript, "/session-42-terminal-1-");
	ASSERT(a.record_fd >= 0);
	ASSERT_INT_EQ(stat(a.typescript, &sf), 0);
	ASSERT_INT_EQ(fstat(a.record_fd, &sb), 0);
	ASSERT(sb.st_ino == sf.st_ino && (sf.st_mode & 0777) == 0600);
	/* The monitor's child (here: this process). */
	ASSERT_INT_EQ(parent_of(a.pid), getpid());
	/* The size asked for, and an exit status as an event. */
	ASSERT(write(a.master, cmd_a, strlen(cmd_a)) == (ssize_t)strlen(cmd_a));
	ASSERT(pty_wait(a.master, "mon-30 100-42"));
	ASSERT_INT_EQ(next_exit(ev[1], 10000, &handle, &code), 0);
	ASSERT_INT_EQ(handle, a.handle);
	ASSERT_INT_EQ(code, 3);
	close(a.master);
	close(a.record_fd);

	/* Two alive at most (max_live 2), with the reason. */
	q.terminal_id = 2;
	ASSERT_INT_EQ(topen(sv[1], &q, &b), 0);
	q.terminal_id = 3;
	ASSERT_INT_EQ(topen(sv[1], &q, &c), 0);
	q.terminal_id = 4;
	ASSERT_INT_EQ(topen(sv[1], &q, &d), OP_ERR_TOO_LARGE);
	ASSERT(d.master < 0 && d.record_fd < 0);
	ASSERT_STR_CONTAINS(d.msg, "Too many terminals");
	ASSERT_STR_EQ(d.user, shell_acct.name);
	ASSERT(pty_wait(b.master, "$"));
	/* term-hangup: SIGHUP, reported as 128 + 1 (once the network
	 * process closes its master too: bash waits in read(2) until the
	 * tty hangs up); a handle that is not (any more) ours is not found,
	 * which ends nothing. */
	ASSERT_INT_EQ(monclient_term_hangup(sv[1], b.handle), 0);
	close(b.master);
	ASSERT_INT_EQ(next_exit(ev[1], 10000, &handle, &code), 0);
	ASSERT_INT_EQ(handle, b.handle);
	ASSERT_INT_EQ(code, 129);
	ASSERT_INT_EQ(monclient_term_hangup(sv[1], b.handle),
		OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(monclient_term_hangup(sv[1], 0x7777), OP_ERR_NOT_FOUND);
	close(b.record_fd);
	/* A shell that ignores SIGHUP, with a job: the network process
	 * goes away, both are gone once the monitor is done with them (the
	 * grace period's SIGKILL), and no event tells of it. */
	ASSERT(write(c.master, cmd_c, strlen(cmd_c)) == (ssize_t)strlen(cmd_c));
	ASSERT(pty_wait(c.master, "job-25"));
	ASSERT_INT_EQ(srv.refused, 0);
	close(sv[1]);
	pthread_join(t, NULL);
	ASSERT(kill((pid_t)c.pid, 0) != 0 && errno == ESRCH);
	ASSERT_INT_EQ(next_exit(ev[1], 100, &handle, &code), -1);
	close(c.master);
	close(c.record_fd);
	close(ev[0]);
	close(ev[1]);
	monitor_free(srv.m);
	ASSERT_INT_EQ(uv_loop_close(&srv.loop), 0);
}

/* The status of a reply monitor_serve made. */
static int32_t
reply_status(const struct monitor_reply *r)
{
	return (int32_t)((uint32_t)r->b[1] << 24 | (uint32_t)r->b[2] << 16 |
		(uint32_t)r->b[3] << 8 | r->b[4]);
}

static void
test_terminal_hostile(void)
{
	static const struct mon_term_open bad[] = {
		{ .terminal_id = -1, .rows = 24, .cols = 80 },
		{ .terminal_id = 1, .rows = 0, .cols = 80 },
		{ .terminal_id = 1, .rows = 24, .cols = 0 },
		{ .terminal_id = 1, .rows = TERM_MAX_DIM + 1, .cols = 80 },
		{ .terminal_id = 1, .rows = 24, .cols = 0xffffffffu },
	};
	struct loop_server srv = { 0 };
	struct monitor *m;
	struct mon_buf w = { .len = 0 };
	struct mon_term_open q = { .terminal_id = 1, .rows = 24, .cols = 80 };
	struct monitor_reply reply;
	char why[128];
	int refused = 0, config = 0;

	/* No user configured: every open is refused without a fork. */
	ASSERT((m = term_monitor("th", &srv, "", NULL, 4)) != NULL);
	ASSERT_INT_EQ(serve_one(m, (uint8_t[]){ MON_HELLO }, 1), 0);
	/* Malformed: short, trailing, a negative id, sizes out of range. */
	mon_put_u8(&w, MON_TERM_OPEN);
	mon_put_term_open(&w, &q);
	ASSERT_INT_EQ(serve_one(m, w.b, w.len - 1), OP_ERR_PROTO);
	w.b[w.len] = 0;
	ASSERT_INT_EQ(serve_one(m, w.b, w.len + 1), OP_ERR_PROTO);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mon_buf b = { .len = 0 };

		mon_put_u8(&b, MON_TERM_OPEN);
		mon_put_term_open(&b, &bad[i]);
		ASSERT_INT_EQ(serve_one(m, b.b, b.len), OP_ERR_PROTO);
	}
	ASSERT_INT_EQ(serve_one(m, (uint8_t[]){ MON_TERM_HANGUP, 0, 0, 1 }, 4),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(serve_one(m,
			      (uint8_t[]){ MON_TERM_HANGUP, 0, 0, 0, 1, 0 }, 6),
		OP_ERR_PROTO);
	/* Valid but not ours: not found, an answer. */
	ASSERT_INT_EQ(monitor_serve(m,
			      (uint8_t[]){ MON_TERM_HANGUP, 0, 0, 0, 1 }, 5,
			      &reply, why, sizeof(why)), 0);
	ASSERT_INT_EQ(reply_status(&reply), OP_ERR_NOT_FOUND);
	/* The rate limit: MONITOR_TERM_BURST opens, then MONITOR_TERM_PER_S
	 * a second, however they would end; a refusal says why. */
	for (int i = 0; i < MONITOR_TERM_BURST + 10; i++) {
		ASSERT_INT_EQ(monitor_serve(m, w.b, w.len, &reply, why,
				      sizeof(why)), 0);
		ASSERT_INT_EQ(reply.nfds, 0);
		refused += reply_status(&reply) == -EAGAIN;
		config += reply_status(&reply) == OP_ERR_CONFIG;
	}
	ASSERT_INT_EQ(config, MONITOR_TERM_BURST);
	ASSERT_INT_EQ(refused, 10);
	ASSERT(memmem(reply.b, reply.len, "try again", 9) != NULL);
	fake_ms += 1000;
	config = 0;
	for (int i = 0; i < 10; i++) {
		ASSERT_INT_EQ(monitor_serve(m, w.b, w.len, &reply, why,
				      sizeof(why)), 0);
		config += reply_status(&reply) == OP_ERR_CONFIG;
	}
	ASSERT_INT_EQ(config, MONITOR_TERM_PER_S);
	ASSERT(memmem(reply.b, reply.len, "policy.terminal.user", 20) == NULL);
	monitor_free(m);
	ASSERT_INT_EQ(uv_loop_close(&srv.loop), 0);
}

int
main(void)
{
	snprintf(root, sizeof(root), "/tmp/op-test-monitor-XXXXXX");
	if (mkdtemp(root) == NULL || sodium_init() < 0)
		return 1;
	RUN(test_requests_over_socket);
	RUN(test_hostile_requests);
	RUN(test_proof_rate_limited);
	RUN(test_connect_user);
	RUN(test_x11_cookie);
	RUN(test_terminals);
	RUN(test_terminal_hostile);
	th_rm_tree(root);
	return th_done();
}
