/* SPDX-License-Identifier: MIT */
/*
 * The portal restore-token file (portal/portal-token.c): what a portal
 * or a tampered file can hand us. A saved token reads back, is 0600 and
 * replaces the old one atomically; "" removes it; a missing file is no
 * token; a symlink, a FIFO (no blocking open), a directory, an oversized
 * file and bytes outside [A-Za-z0-9._-] are refused (no token), and such
 * tokens are never written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "portal/portal-session.h"
#include "portal/portal-token.h"
#include "th-fs.h"
#include "th.h"

static char dir[] = "/tmp/op-ptoken-XXXXXX";
static char path[256];

static void
put(const char *name, const char *data, size_t n)
{
	char p[300];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, n) != (ssize_t)n || close(fd) != 0)
		abort();
}

static int
load(const char *name, char *out)
{
	char p[300];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return portal_token_load(p, out, PORTAL_TOKEN_MAX);
}

static void
test_roundtrip(void)
{
	char tok[PORTAL_TOKEN_MAX];
	struct stat st;

	ASSERT_INT_EQ(portal_token_load(path, tok, sizeof(tok)), 0);
	ASSERT_STR_EQ(tok, "");
	ASSERT_INT_EQ(portal_token_save(path,
			      "0b1e2f3a-1111-4222-8333-944445555666"),
		0);
	ASSERT_INT_EQ(stat(path, &st), 0);
	ASSERT_INT_EQ(st.st_mode & 07777, 0600);
	ASSERT_INT_EQ(portal_token_load(path, tok, sizeof(tok)), 0);
	ASSERT_STR_EQ(tok, "0b1e2f3a-1111-4222-8333-944445555666");
	ASSERT_INT_EQ(portal_token_save(path, "second_token.2"), 0);
	ASSERT_INT_EQ(portal_token_load(path, tok, sizeof(tok)), 0);
	ASSERT_STR_EQ(tok, "second_token.2");
	ASSERT_INT_EQ(portal_token_save(path, ""), 0);
	ASSERT(access(path, F_OK) != 0 && errno == ENOENT);
	ASSERT_INT_EQ(portal_token_save(path, ""), 0);
}

static void
test_refused_files(void)
{
	char tok[PORTAL_TOKEN_MAX], big[PORTAL_TOKEN_MAX + 10], p[300];

	memset(big, 'a', sizeof(big));
	put("big", big, sizeof(big));
	put("bad", "abc/../x\n", 9);
	put("nul", "ab\0cd", 5);
	put("empty", "", 0);
	snprintf(p, sizeof(p), "%s/link", dir);
	ASSERT_INT_EQ(symlink(path, p), 0);
	ASSERT_INT_EQ(portal_token_save(path, "good"), 0);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	ASSERT_INT_EQ(mkfifo(p, 0600), 0);
	snprintf(p, sizeof(p), "%s/sub", dir);
	ASSERT_INT_EQ(mkdir(p, 0700), 0);
	ASSERT_INT_EQ(load("big", tok), OP_ERR_PROTO);
	ASSERT_STR_EQ(tok, "");
	ASSERT_INT_EQ(load("bad", tok), OP_ERR_PROTO);
	ASSERT_INT_EQ(load("nul", tok), OP_ERR_PROTO);
	ASSERT_INT_EQ(load("empty", tok), OP_ERR_PROTO);
	ASSERT_INT_EQ(load("link", tok), -ELOOP);
	ASSERT_STR_EQ(tok, "");
	ASSERT_INT_EQ(load("fifo", tok), OP_ERR_PROTO);
	ASSERT(load("sub", tok) != 0);
	ASSERT_STR_EQ(tok, "");
}

static void
test_refused_tokens(void)
{
	char big[PORTAL_TOKEN_MAX + 1];

	memset(big, 'a', PORTAL_TOKEN_MAX);
	big[PORTAL_TOKEN_MAX] = '\0';
	ASSERT(!portal_token_valid(NULL));
	ASSERT(!portal_token_valid(""));
	ASSERT(!portal_token_valid(big));
	big[PORTAL_TOKEN_MAX - 1] = '\0';
	ASSERT(portal_token_valid(big));
	ASSERT(!portal_token_valid("a b"));
	ASSERT(!portal_token_valid("a\nb"));
	ASSERT(!portal_token_valid("../x"));
	ASSERT_INT_EQ(portal_token_save(path, "a\nb"), OP_ERR_RANGE);
	ASSERT_INT_EQ(portal_token_save(path, "a/b"), OP_ERR_RANGE);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/token", dir);
	RUN(test_roundtrip);
	RUN(test_refused_files);
	RUN(test_refused_tokens);
	th_rm_tree(dir);
	return th_done();
}
