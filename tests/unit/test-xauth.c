/* SPDX-License-Identifier: MIT */
/*
 * Opening Xauthority files from a user's environment as root (issue 11
 * item 11): a FIFO, a symlink, a file of another user, a huge file and a
 * directory are each refused quickly with a clear reason, through
 * xconn_open (what capture, input and clipboard call) and through
 * xconn_cookie_copy (the daemon's one read of the user's file). Each
 * attempt runs in a child with a 5 s alarm, so a blocking open (a FIFO
 * without a writer) fails the test instead of hanging it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "xconn/xauth.h"
#include "th.h"
#include "xconn/xconn.h"

static char dir[] = "/tmp/op-xauth-XXXXXX";

static const uint8_t cookie[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	13, 14, 15, 16 };

/* A FamilyWild entry for display 7 with the cookie. */
static void
write_xauth(const char *path)
{
	static const uint8_t head[] = { 0xff, 0xff, 0, 0, 0, 1, '7', 0, 18,
		'M', 'I', 'T', '-', 'M', 'A', 'G', 'I', 'C', '-', 'C', 'O', 'O',
		'K', 'I', 'E', '-', '1', 0, 16 };
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(head, 1, sizeof(head), f) != sizeof(head) ||
		fwrite(cookie, 1, sizeof(cookie), f) != sizeof(cookie) ||
		fclose(f) != 0)
		abort();
}

struct outcome {
	int r;
	char err[300];
	double secs;
	bool killed;
};

/* Runs xconn_open(":7", path) in a child with a 5 s alarm (copy_to: run
 * xconn_cookie_copy from path, owned by owner, to it instead). */
static void
attempt(const char *path, const char *copy_to, uid_t owner,
	struct outcome *o)
{
	struct timespec a, b;
	int p[2];
	pid_t pid;
	int st = 0;

	memset(o, 0, sizeof(*o));
	if (pipe(p) != 0)
		abort();
	clock_gettime(CLOCK_MONOTONIC, &a);
	if ((pid = fork()) == 0) {
		struct outcome c = { 0 };
		xcb_connection_t *conn = NULL;
		int screen = 0;

		alarm(5);
		if (copy_to != NULL) {
			c.r = xconn_cookie_copy(":7", path, owner, copy_to,
				geteuid(), getegid(), c.err, sizeof(c.err));
		} else {
			c.r = xconn_open(":7", path, &conn, &screen, c.err,
				sizeof(c.err));
			if (conn != NULL)
				xcb_disconnect(conn);
		}
		if (write(p[1], &c, sizeof(c)) != (ssize_t)sizeof(c))
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], o, sizeof(*o)) != (ssize_t)sizeof(*o))
		o->killed = true;
	close(p[0]);
	waitpid(pid, &st, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	o->secs = (double)(b.tv_sec - a.tv_sec) +
		(double)(b.tv_nsec - a.tv_nsec) / 1e9;
	if (WIFSIGNALED(st))
		o->killed = true;
}

static void
path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

/* Refused, within a second, with why in the message. */
#define ASSERT_REFUSED(o, code, why)                                     \
	do {                                                             \
		if ((o).killed)                                          \
			TH_FAIL("blocked: killed by the 5 s alarm");     \
		ASSERT_INT_EQ((o).r, code);                              \
		ASSERT_STR_CONTAINS((o).err, why);                       \
		ASSERT((o).secs < 1.0);                                  \
	} while (0)

static void
test_fifo(void)
{
	char p[128];
	struct outcome o;

	path_of(p, sizeof(p), "fifo");
	ASSERT_INT_EQ(mkfifo(p, 0600), 0);
	attempt(p, NULL, 0, &o);
	ASSERT_REFUSED(o, OP_ERR_PERM, "is a FIFO");
	path_of(p, sizeof(p), "fifo");
	attempt(p, "/dev/null/none", getuid(), &o);
	ASSERT_REFUSED(o, OP_ERR_PERM, "is a FIFO");
}

static void
test_symlink(void)
{
	char p[128], target[128];
	struct outcome o;

	path_of(target, sizeof(target), "good");
	path_of(p, sizeof(p), "link");
	ASSERT_INT_EQ(symlink(target, p), 0);
	attempt(p, NULL, 0, &o);
	ASSERT_REFUSED(o, OP_ERR_PERM, "symbolic link");
}

static void
test_other_owner(void)
{
	char p[128], c[128];
	struct outcome o;

	if (geteuid() == 0) {
		path_of(p, sizeof(p), "nobody");
		write_xauth(p);
		ASSERT_INT_EQ(chown(p, 65534, 65534), 0);
	} else {
		snprintf(p, sizeof(p), "/etc/passwd"); /* root's */
	}
	attempt(p, NULL, 0, &o);
	ASSERT_REFUSED(o, OP_ERR_PERM, "belongs to uid");
	/* Root's file is never taken for another user's. */
	path_of(c, sizeof(c), "copy");
	path_of(p, sizeof(p), "good");
	attempt(p, c, 65534, &o);
	ASSERT_REFUSED(o, OP_ERR_PERM, "not to uid 65534");
	if (geteuid() == 0) {
		/* A path root configured: any owner, other checks kept. */
		path_of(p, sizeof(p), "nobody");
		attempt(p, c, OP_XAUTH_ANY_OWNER, &o);
		ASSERT_INT_EQ(o.r, 0);
	}
}

static void
test_huge(void)
{
	char p[128];
	struct outcome o;
	int fd;

	path_of(p, sizeof(p), "huge");
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ASSERT(fd >= 0);
	ASSERT_INT_EQ(ftruncate(fd, (off_t)1 << 30), 0); /* sparse 1 GiB */
	close(fd);
	attempt(p, NULL, 0, &o);
	ASSERT_REFUSED(o, OP_ERR_TOO_LARGE, "larger than 65536 bytes");
}

static void
test_directory(void)
{
	struct outcome o;

	attempt(dir, NULL, 0, &o);
	ASSERT_REFUSED(o, OP_ERR_PERM, "is a directory");
}

static void
test_good_and_copy(void)
{
	char p[128], c[128];
	uint8_t got[16];
	char err[300];
	struct stat st;
	struct outcome o;

	path_of(p, sizeof(p), "good");
	path_of(c, sizeof(c), "copy");
	/* Readable, then no server: the cookie was accepted. */
	attempt(p, NULL, 0, &o);
	ASSERT_INT_EQ(o.r, -ECONNREFUSED);
	attempt(p, c, geteuid(), &o);
	ASSERT_INT_EQ(o.r, 0);
	ASSERT_INT_EQ(lstat(c, &st), 0);
	ASSERT(S_ISREG(st.st_mode));
	ASSERT_INT_EQ(st.st_mode & 0777, 0600);
	ASSERT_INT_EQ(st.st_uid, geteuid());
	ASSERT_INT_EQ(op_xauth_load(c, geteuid(), "7", got, err, sizeof(err)),
		0);
	ASSERT_MEM_EQ(got, cookie, sizeof(cookie));
	/* The wrong display: said so, nothing copied over. */
	ASSERT_INT_EQ(op_xauth_load(c, geteuid(), "8", got, err, sizeof(err)),
		OP_ERR_NOT_FOUND);
	/* A copy never writes through a symlink left at its temp name. */
	path_of(p, sizeof(p), "copy.tmp");
	ASSERT_INT_EQ(symlink("/tmp/op-xauth-victim", p), 0);
	path_of(p, sizeof(p), "good");
	attempt(p, c, geteuid(), &o);
	ASSERT_INT_EQ(o.r, 0);
	ASSERT(access("/tmp/op-xauth-victim", F_OK) != 0);
}

int
main(void)
{
	char p[128];
	int r;

	if (mkdtemp(dir) == NULL)
		return 1;
	path_of(p, sizeof(p), "good");
	write_xauth(p);
	RUN(test_fifo);
	RUN(test_symlink);
	RUN(test_other_owner);
	RUN(test_huge);
	RUN(test_directory);
	RUN(test_good_and_copy);
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	r = system(p);
	(void)r;
	return th_done();
}
