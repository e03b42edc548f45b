/* SPDX-License-Identifier: MIT */
/*
 * Path confinement (xfer-path.c): the parsers against hostile input, and
 * the openers against a tree of traps, each with openat2 and with the
 * O_NOFOLLOW walk: "..", absolute paths, a symlink in the middle and at
 * the end, /proc/self/root and other magic links, a FIFO, and a symlink
 * swapped in and out (RENAME_EXCHANGE) while another thread opens.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "th-xfer-parse.h"
#include "th-xfer.h"
#include "th.h"
#include "xfer/xfer-path.h"

static int rootfd = -1;

static void
test_path_parse_table(void)
{
	static char longcomp[300], longpath[5000];
	const struct th_parse_case cases[] = {
		{"", 0, "", ""},
		{"/", 0, "", ""},
		{"/share", 0, "share", ""},
		{"share/a.txt", 0, "share", "a.txt"},
		{"//share/./sub//b.txt/", 0, "share", "sub/b.txt"},
		{"/share/...", 0, "share", "..."},
		{"/share/.hidden", 0, "share", ".hidden"},
		{"/share/a\\..\\b", 0, "share", "a\\..\\b"},
		{"/share/caf\xc3\xa9", 0, "share", "caf\xc3\xa9"},
		{"/share/../outside", OP_ERR_PROTO, NULL, NULL},
		{"/share/sub/..", OP_ERR_PROTO, NULL, NULL},
		{"..", OP_ERR_PROTO, NULL, NULL},
		{"/../etc/passwd", OP_ERR_PROTO, NULL, NULL},
		{"/share/\xff", OP_ERR_PROTO, NULL, NULL},
		{"/share/\xc0\xaf", OP_ERR_PROTO, NULL, NULL}, /* overlong '/' */
		{"/share/\xed\xa0\x80", OP_ERR_PROTO, NULL, NULL},
		{longcomp, OP_ERR_TOO_LARGE, NULL, NULL},
		{longpath, OP_ERR_TOO_LARGE, NULL, NULL},
	};
	struct xfer_path p;
	const char *why;

	memset(longcomp, 'a', sizeof(longcomp) - 1);
	longcomp[0] = '/';
	for (size_t i = 0; i + 2 < sizeof(longpath); i += 2)
		memcpy(longpath + i, "/a", 2);
	th_parse_cases(cases, sizeof(cases) / sizeof(cases[0]));
	ASSERT_INT_EQ(xfer_path_parse(NULL, &p, &why), OP_ERR_PROTO);
}

static void
test_relname_and_name(void)
{
	char out[XFER_PATH_MAX];
	const char *why = NULL;
	const char *bad[] = {"", "/etc/passwd", "a/../b", "..", "./", "a/..",
		"a\001b", "dir/\x7f", "\xff", "a/\xc3"};
	const char *bad_names[] = {"", ".", "..", "a/b", "a\nb", "\t",
		"\xc3\x28", "x\x7f"};
	char n256[257];

	ASSERT_INT_EQ(xfer_relname_parse("a/b.txt", out, sizeof(out), &why), 0);
	ASSERT_STR_EQ(out, "a/b.txt");
	ASSERT_INT_EQ(xfer_relname_parse("a/./b//c", out, sizeof(out), &why),
		0);
	ASSERT_STR_EQ(out, "a/b/c");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (xfer_relname_parse(bad[i], out, sizeof(out), &why) == 0)
			TH_FAIL("relname '%s' accepted as '%s'", bad[i], out);
		ASSERT(why != NULL);
		ASSERT_STR_EQ(out, "");
	}
	ASSERT(xfer_relname_parse(NULL, out, sizeof(out), &why) != 0);
	/* Too long for the caller's buffer. */
	ASSERT_INT_EQ(xfer_relname_parse("abcdef/ghij", out, 8, &why),
		OP_ERR_TOO_LARGE);
	ASSERT_INT_EQ(xfer_name_check("report.pdf", &why), 0);
	ASSERT_INT_EQ(xfer_name_check("caf\xc3\xa9 x", &why), 0);
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
		if (xfer_name_check(bad_names[i], &why) == 0)
			TH_FAIL("name '%s' accepted", bad_names[i]);
	memset(n256, 'n', 256);
	n256[256] = '\0';
	ASSERT_INT_EQ(xfer_name_check(n256, &why), OP_ERR_TOO_LARGE);
	ASSERT_INT_EQ(xfer_name_check(NULL, &why), OP_ERR_PROTO);
}

static void
read_fd(int fd, char *buf, size_t n)
{
	ssize_t k = read(fd, buf, n - 1);

	buf[k > 0 ? k : 0] = '\0';
}

/* The trap checks, for the mode currently selected. */
static void
check_traps(const char *mode)
{
	char buf[64];
	int fd;

	fd = xfer_openat(rootfd, "a.txt", O_RDONLY, 0);
	if (fd < 0)
		TH_FAIL("%s: a.txt: %d", mode, fd);
	read_fd(fd, buf, sizeof(buf));
	close(fd);
	ASSERT_STR_EQ(buf, "hello");
	fd = xfer_openat(rootfd, "sub/b.txt", O_RDONLY, 0);
	ASSERT(fd >= 0);
	close(fd);
	/* The root itself. */
	fd = xfer_openat(rootfd, "", O_RDONLY | O_DIRECTORY, 0);
	ASSERT(fd >= 0);
	close(fd);
	/* Symlink in the middle, at the end (relative and absolute), in a
	 * subdirectory, and at the end with O_PATH. */
	ASSERT_INT_EQ(xfer_openat(rootfd, "link_out/secret.txt", O_RDONLY, 0),
		-ELOOP);
	ASSERT_INT_EQ(xfer_openat(rootfd, "abs_link", O_RDONLY, 0), -ELOOP);
	ASSERT_INT_EQ(xfer_openat(rootfd, "abs_link", O_PATH, 0), -ELOOP);
	ASSERT_INT_EQ(xfer_openat(rootfd, "sub/link_mid/secret.txt",
			      O_RDONLY, 0), -ELOOP);
	ASSERT_INT_EQ(xfer_openat(rootfd, "link_out", O_PATH | O_DIRECTORY, 0),
		-ELOOP);
	/* A symlink to something inside is refused too: never followed. */
	ASSERT_INT_EQ(xfer_openat(rootfd, "link_in", O_RDONLY, 0), -ELOOP);
	/* What the parsers never produce is refused anyway. */
	ASSERT_INT_EQ(xfer_openat(rootfd, "../outside/secret.txt", O_RDONLY, 0),
		-EINVAL);
	ASSERT_INT_EQ(xfer_openat(rootfd, "/etc/passwd", O_RDONLY, 0), -EINVAL);
	ASSERT_INT_EQ(xfer_openat(rootfd, "sub/../a.txt", O_RDONLY, 0),
		-EINVAL);
	ASSERT_INT_EQ(xfer_openat(rootfd, "sub/", O_RDONLY, 0), -EINVAL);
	ASSERT_INT_EQ(xfer_openat(rootfd, "a//b", O_RDONLY, 0), -EINVAL);
	/* O_CREAT: a new file, but not through a symlinked directory. */
	fd = xfer_openat(rootfd, "made.txt", O_WRONLY | O_CREAT | O_EXCL, 0600);
	ASSERT(fd >= 0);
	close(fd);
	unlinkat(rootfd, "made.txt", 0);
	ASSERT_INT_EQ(xfer_openat(rootfd, "link_out/new.txt",
			      O_WRONLY | O_CREAT, 0600), -ELOOP);
	ASSERT(!th_exists("outside/new.txt"));
	/* A FIFO opens without blocking (O_NONBLOCK is the caller's). */
	fd = xfer_openat(rootfd, "fifo", O_RDONLY | O_NONBLOCK, 0);
	ASSERT(fd >= 0);
	close(fd);
}

static void
test_traps_openat2(void)
{
	if (!xfer_path_has_openat2()) {
		printf("SKIP test_traps_openat2: the kernel has no openat2\n");
		return;
	}
	xfer_path_force_walk(false);
	check_traps("openat2");
}

static void
test_traps_walk(void)
{
	xfer_path_force_walk(true);
	check_traps("walk");
	xfer_path_force_walk(false);
}

static void
check_proc(void)
{
	int pfd = open("/proc", O_PATH | O_DIRECTORY);
	const char *magic[] = {"self/root/etc/passwd", "self/root",
		"self/cwd/a.txt", "thread-self/root/etc", "self/fd/0",
		"1/root/etc/passwd"};

	ASSERT(pfd >= 0);
	for (size_t i = 0; i < sizeof(magic) / sizeof(magic[0]); i++) {
		int fd = xfer_openat(pfd, magic[i], O_RDONLY, 0);

		if (fd >= 0) {
			close(fd);
			close(pfd);
			TH_FAIL("/proc/%s opened", magic[i]);
		}
		if (fd != -ELOOP && fd != -ENOTDIR)
			TH_FAIL("/proc/%s: %d", magic[i], fd);
	}
	close(pfd);
}

static void
test_proc_self_root(void)
{
	xfer_path_force_walk(false);
	check_proc();
	xfer_path_force_walk(true);
	check_proc();
	xfer_path_force_walk(false);
}

static void
test_open_parent_and_mkdirs(void)
{
	const char *last = NULL;
	struct stat st;
	int fd;

	fd = xfer_open_parent(rootfd, "sub/b.txt", &last);
	ASSERT(fd >= 0);
	ASSERT_STR_EQ(last, "b.txt");
	ASSERT_INT_EQ(fstatat(fd, last, &st, AT_SYMLINK_NOFOLLOW), 0);
	close(fd);
	fd = xfer_open_parent(rootfd, "top.txt", &last);
	ASSERT(fd >= 0);
	ASSERT_STR_EQ(last, "top.txt");
	close(fd);
	ASSERT_INT_EQ(xfer_open_parent(rootfd, "link_out/x", &last), -ELOOP);
	fd = xfer_mkdirs(rootfd, "made/one/two");
	ASSERT(fd >= 0);
	close(fd);
	ASSERT(th_exists("share/made/one/two"));
	fd = xfer_mkdirs(rootfd, "made/one/two"); /* exists: fine */
	ASSERT(fd >= 0);
	close(fd);
	ASSERT_INT_EQ(xfer_mkdirs(rootfd, "link_out/evil"), -ELOOP);
	ASSERT(!th_exists("outside/evil"));
	ASSERT_INT_EQ(xfer_mkdirs(rootfd, "a.txt/x"), -ENOTDIR);
	ASSERT_INT_EQ(xfer_mkdirs(rootfd, "made/bad\x01name"), OP_ERR_PROTO);
	ASSERT_INT_EQ(xfer_mkdirs(rootfd, "../escape"), -EINVAL);
	xfer_path_force_walk(true);
	ASSERT_INT_EQ(xfer_open_parent(rootfd, "sub/link_mid/x", &last),
		-ELOOP);
	xfer_path_force_walk(false);
}

static void
test_errno_text(void)
{
	ASSERT_STR_EQ(xfer_errno_text(-ELOOP),
		"Symbolic links are not followed");
	ASSERT_STR_EQ(xfer_errno_text(-ENOSPC), "No space left on device");
	ASSERT_STR_EQ(xfer_errno_text(-EROFS), "Read-only file system");
	ASSERT_STR_EQ(xfer_errno_text(-EACCES), "Permission denied");
	ASSERT(strlen(xfer_errno_text(-ETIMEDOUT)) > 0);
}

/* --------------------------------------------------------------- race */

static atomic_int race_stop;

static void *
swapper(void *arg)
{
	(void)arg;
	while (!atomic_load(&race_stop))
		renameat2(AT_FDCWD, tp("share/swap"), AT_FDCWD,
			tp("share/swaplink"), RENAME_EXCHANGE);
	return NULL;
}

static void
race(const char *mode, unsigned *opened, unsigned *refused)
{
	char buf[32];

	for (int i = 0; i < 20000; i++) {
		int fd = xfer_openat(rootfd, "swap/secret.txt", O_RDONLY, 0);

		if (fd < 0) {
			if (fd != -ELOOP && fd != -ENOTDIR && fd != -ENOENT)
				TH_FAIL("%s: unexpected %d", mode, fd);
			(*refused)++;
			continue;
		}
		read_fd(fd, buf, sizeof(buf));
		close(fd);
		if (strcmp(buf, "INSIDE") != 0)
			TH_FAIL("%s: escaped, read '%s'", mode, buf);
		(*opened)++;
	}
}

static void
test_symlink_swap_race(void)
{
	pthread_t t;
	unsigned opened2 = 0, refused2 = 0, openedw = 0, refusedw = 0;

	atomic_store(&race_stop, 0);
	ASSERT_INT_EQ(pthread_create(&t, NULL, swapper, NULL), 0);
	xfer_path_force_walk(false);
	race("openat2", &opened2, &refused2);
	xfer_path_force_walk(true);
	race("walk", &openedw, &refusedw);
	xfer_path_force_walk(false);
	atomic_store(&race_stop, 1);
	pthread_join(t, NULL);
	/* Both outcomes happened: the swap really raced the opens. */
	printf("race: openat2 %u opened %u refused; walk %u opened %u "
	       "refused\n", opened2, refused2, openedw, refusedw);
	ASSERT(opened2 + openedw > 0);
	ASSERT(refused2 + refusedw > 0);
}

static void
make_tree(void)
{
	char abs[600];

	th_tmp_make();
	th_mkdir("outside");
	th_write("outside/secret.txt", "SECRET", 6);
	th_mkdir("share");
	th_mkdir("share/sub");
	th_write("share/a.txt", "hello", 5);
	th_write("share/sub/b.txt", "b", 1);
	th_symlink("../outside", "share/link_out");
	snprintf(abs, sizeof(abs), "%s/outside/secret.txt", th_tmp);
	th_symlink(abs, "share/abs_link");
	th_symlink("../../outside", "share/sub/link_mid");
	th_symlink("a.txt", "share/link_in");
	if (mkfifo(tp("share/fifo"), 0644) != 0)
		th_die("mkfifo");
	/* For the race: a real directory and a symlink to swap. */
	th_mkdir("share/swap");
	th_write("share/swap/secret.txt", "INSIDE", 6);
	th_symlink("../outside", "share/swaplink");
	rootfd = open(tp("share"), O_PATH | O_DIRECTORY);
	if (rootfd < 0)
		th_die("open share");
}

int
main(void)
{
	make_tree();
	RUN(test_path_parse_table);
	RUN(test_relname_and_name);
	RUN(test_traps_openat2);
	RUN(test_traps_walk);
	RUN(test_proc_self_root);
	RUN(test_open_parent_and_mkdirs);
	RUN(test_errno_text);
	RUN(test_symlink_swap_race);
	close(rootfd);
	th_rm_tree(th_tmp);
	return th_done();
}
