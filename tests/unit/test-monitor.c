/* SPDX-License-Identifier: MIT */
/*
 * The monitor's request set (monitor/monitor.c) through the network
 * process's client (monitor-client.c) over a real channel
 * (platform/monchan.h: a SOCK_SEQPACKET pair here, a message-mode named
 * pipe under wine), a thread serving the monitor side as the daemon
 * does; hostile requests straight to monitor_serve and through the
 * channel: each must be refused as a protocol error (the caller ends
 * that network process), never answered, nothing left open. Terminals
 * are in test-monitor-term.c. connect-user and x11-cookie are Unix's;
 * on Windows they are refused (test_desktop_refused).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifndef _WIN32
#include <sys/socket.h>
#include <sys/un.h>
#endif

#include <sodium.h>

#include "core/err.h"
#include "monitor/monitor-client.h"
#include "monitor/monitor.h"
#include "monitor/secrets.h"
#include "platform/monchan.h"
#include "store/state.h"
#include "th-chan.h"
#include "th-fs.h"
#include "th-monitor.h"
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
	ssize_t last; /* the last receive: 0 the end, < 0 refused */
};

/* The daemon's serving loop (daemon-monitor.c): requests carry no
 * descriptors, anything refused ends the network process. */
static void *
serve(void *arg)
{
	struct server *s = arg;
	uint8_t req[MON_MSG_MAX + 1];
	struct monitor_reply reply;
	char why[128];
	int nfds = 0;

	while ((s->last = monchan_recv(s->fd, req, sizeof(req), NULL, 0,
			&nfds, -1)) > 0) {
		int r;

		if (monitor_serve(s->m, req, (size_t)s->last, &reply, why,
			    sizeof(why)) != 0) {
			s->refused++;
			break; /* as daemon-monitor.c: end the process */
		}
		r = monchan_send(s->fd, reply.b, reply.len, reply.fds,
			reply.nfds, MONCHAN_SELF);
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
	ASSERT_INT_EQ(monchan_pair(sv), 0);
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
	ASSERT(contains(opened, (size_t)olen, box_pk, 32));
	ASSERT(contains(opened, (size_t)olen, id.id, strlen(id.id)));

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

/* One hostile message through the channel to the serving loop, after a
 * hello: the loop ends the connection without an answer (the client
 * sees the end), refused says how; nothing is left open. */
static void
hostile_once(const char *sub, const void *msg, size_t len, int fd,
	int refused, bool count)
{
	static uint8_t got[MON_MSG_MAX];
	struct state *mine = NULL;
	struct server srv = { 0 };
	struct mon_identity id;
	pthread_t t;
	int sv[2], nfds = -1;
	long before;

	srv.m = new_monitor(sub, &mine);
	before = th_open_count();
	ASSERT_INT_EQ(monchan_pair(sv), 0);
	srv.fd = sv[0];
	ASSERT_INT_EQ(pthread_create(&t, NULL, serve, &srv), 0);
	ASSERT_INT_EQ(monclient_hello(sv[1], &id), 0);
	ASSERT_INT_EQ(monchan_send(sv[1], msg, len, fd >= 0 ? &fd : NULL,
			      fd >= 0, MONCHAN_SELF),
		0);
	ASSERT_INT_EQ(monchan_recv(sv[1], got, sizeof(got), NULL, 0, &nfds,
			      5000),
		0);
	pthread_join(t, NULL);
	close(sv[1]);
	ASSERT_INT_EQ(srv.refused, refused);
	if (refused == 0)
		ASSERT_INT_EQ(srv.last, -EPROTO);
	if (count)
		TH_SAME_OPEN(before);
	monitor_free(srv.m);
	state_free(mine);
}

static void
test_hostile_channel(void)
{
	static uint8_t big[MONCHAN_MSG_MAX];
	int p[2];

	big[0] = MON_NEW_OTP;
	/* Over MON_MSG_MAX: monitor_serve refuses it. */
	hostile_once("h1", big, MON_MSG_MAX + 1, -1, 1, true);
	/* Longer than the loop reads: the channel refuses it. */
	hostile_once("h2", big, sizeof(big), -1, 0, true);
	/* Unknown, cut short, with bytes left over. */
	hostile_once("h3", (uint8_t[]){ 0xff }, 1, -1, 1, true);
	hostile_once("h4", (uint8_t[]){ MON_SIGN_ID, 0, 32, 1 }, 4, -1, 1,
		true);
	hostile_once("h5", (uint8_t[]){ MON_NEW_OTP, 0 }, 2, -1, 1, true);
	/* A request with a descriptor: requests carry none. On Windows the
	 * test's own copy of it stays open (the monitor never closes what
	 * a request names: monchan-win.c), so only Unix counts. */
	ASSERT_INT_EQ(th_pipe(p), 0);
#ifdef _WIN32
	hostile_once("h6", (uint8_t[]){ MON_NEW_OTP }, 1, p[1], 0, false);
	close(p[1]);
#else
	hostile_once("h6", (uint8_t[]){ MON_NEW_OTP }, 1, p[1], 0, true);
	close(p[1]);
	ASSERT(th_writers_gone(p[0]));
#endif
	close(p[0]);
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

#ifndef _WIN32
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
	ASSERT_INT_EQ(monchan_pair(sv), 0);
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
	ASSERT_INT_EQ(monchan_pair(sv), 0);
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

#else
/* Windows has no desktop users' sockets or X displays: connect-user,
 * user-socket and x11-cookie are refused, malformed ones still end the
 * network process. */
static void
test_desktop_refused(void)
{
	struct state *mine = NULL;
	struct server srv = { 0 };
	struct mon_identity id;
	char err[200];
	pthread_t t;
	int sv[2], sock = -1, hold = -1;
	uint32_t uid = 1, gid = 1;

	srv.m = new_monitor("d", &mine);
	ASSERT_INT_EQ(monchan_pair(sv), 0);
	srv.fd = sv[0];
	ASSERT_INT_EQ(pthread_create(&t, NULL, serve, &srv), 0);
	ASSERT_INT_EQ(monclient_hello(sv[1], &id), 0);
	ASSERT_INT_EQ(monclient_connect_user(sv[1], "/run/user/1/wayland-0",
			      1, true, &sock, &hold),
		OP_ERR_UNSUPPORTED);
	ASSERT_INT_EQ(sock, -1);
	ASSERT_INT_EQ(hold, -1);
	ASSERT_INT_EQ(monclient_user_socket(sv[1], "/run/user/1/bus", &uid,
			      &gid),
		OP_ERR_UNSUPPORTED);
	ASSERT_INT_EQ(monclient_x11_cookie(sv[1], ":0", "C:\\x", 1, err,
			      sizeof(err)),
		OP_ERR_UNSUPPORTED);
	ASSERT_STR_CONTAINS(err, "no X displays");
	close(sv[1]);
	pthread_join(t, NULL);
	ASSERT_INT_EQ(srv.refused, 0);
	ASSERT_INT_EQ(serve_one(srv.m, (uint8_t[]){ MON_CONNECT_USER, 0, 1,
				  'x', 0 }, 5),
		OP_ERR_PROTO);
	monitor_free(srv.m);
	state_free(mine);
}
#endif

int
main(void)
{
	if (th_tempdir("monitor", root, sizeof(root)) != 0 ||
		sodium_init() < 0)
		return 1;
	RUN(test_requests_over_socket);
	RUN(test_hostile_requests);
	RUN(test_hostile_channel);
	RUN(test_proof_rate_limited);
#ifndef _WIN32
	RUN(test_connect_user);
	RUN(test_x11_cookie);
#else
	RUN(test_desktop_refused);
#endif
	th_rm_tree(root);
	return th_done();
}
