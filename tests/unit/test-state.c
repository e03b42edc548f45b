/* SPDX-License-Identifier: MIT */
/* The state directory on a real filesystem: creation, stability, modes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "store/state.h"
#include "th-fs.h"
#include "th.h"

static char root[256];

static void
mkpath(char *out, size_t n, const char *a, const char *b)
{
	snprintf(out, n, "%s/%s%s%s", root, a, b ? "/" : "", b ? b : "");
}

static mode_t
mode_of(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? st.st_mode & 07777 : 0xffff;
}

static void
test_create_and_reopen(void)
{
	char dir[512], f[512], why[SFILE_WHY_LEN];
	struct state *s = NULL, *s2 = NULL;
	char id[STATE_ID_MAX + 1];

	mkpath(dir, sizeof(dir), "a", NULL);
	ASSERT_INT_EQ(state_open(dir, "auto", &s, why), 0);
	ASSERT_INT_EQ(strlen(state_id(s)), 9);
	ASSERT(state_id(s)[0] != '0');
	ASSERT_INT_EQ(strlen(state_uuid(s)), 32);
	ASSERT_INT_EQ(mode_of(dir), 0700);
	const char *files[] = { "id", "uuid", "identity.key", "salt" };
	for (size_t i = 0; i < 4; i++) {
		mkpath(f, sizeof(f), "a", files[i]);
		ASSERT_INT_EQ(mode_of(f), 0600);
	}
	snprintf(id, sizeof(id), "%s", state_id(s));
	ASSERT_INT_EQ(state_open(dir, NULL, &s2, why), 0);
	ASSERT_STR_EQ(state_id(s2), id);
	ASSERT_MEM_EQ(state_key(s)->pk, state_key(s2)->pk, 32);
	state_free(s);
	state_free(s2);
}

static void
test_two_dirs_differ(void)
{
	char d1[512], d2[512], why[SFILE_WHY_LEN];
	struct state *s1 = NULL, *s2 = NULL;

	mkpath(d1, sizeof(d1), "b1", NULL);
	mkpath(d2, sizeof(d2), "b2", NULL);
	ASSERT_INT_EQ(state_open(d1, "auto", &s1, why), 0);
	ASSERT_INT_EQ(state_open(d2, "auto", &s2, why), 0);
	ASSERT(strcmp(state_id(s1), state_id(s2)) != 0);
	ASSERT(strcmp(state_uuid(s1), state_uuid(s2)) != 0);
	state_free(s1);
	state_free(s2);
}

static void
test_modes_enforced(void)
{
	char dir[512], f[512], why[SFILE_WHY_LEN];
	struct state *s = NULL;

	mkpath(dir, sizeof(dir), "c", NULL);
	ASSERT_INT_EQ(state_open(dir, "auto", &s, why), 0);
	state_free(s);
	s = NULL;
	mkpath(f, sizeof(f), "c", "identity.key");
	ASSERT_INT_EQ(chmod(f, 0644), 0);
	ASSERT_INT_EQ(state_open(dir, "auto", &s, why), OP_ERR_PERM);
	ASSERT(s == NULL);
	ASSERT_STR_CONTAINS(why, "identity.key");
	ASSERT_STR_CONTAINS(why, "chmod 600");
	ASSERT_INT_EQ(chmod(f, 0600), 0);
	ASSERT_INT_EQ(chmod(dir, 0755), 0);
	ASSERT_INT_EQ(state_open(dir, "auto", &s, why), OP_ERR_PERM);
	ASSERT_STR_CONTAINS(why, "chmod 700");
	ASSERT_INT_EQ(chmod(dir, 0700), 0);
	/* A symlinked key file is refused, not followed. */
	ASSERT_INT_EQ(unlink(f), 0);
	ASSERT_INT_EQ(symlink("/etc/hostname", f), 0);
	ASSERT(state_open(dir, "auto", &s, why) != 0);
	ASSERT_STR_CONTAINS(why, "symlink");
}

static void
test_corrupt_files(void)
{
	char dir[512], f[512], why[SFILE_WHY_LEN];
	struct state *s = NULL;
	int fd;

	mkpath(dir, sizeof(dir), "d", NULL);
	ASSERT_INT_EQ(state_open(dir, "auto", &s, why), 0);
	state_free(s);
	s = NULL;
	mkpath(f, sizeof(f), "d", "id");
	fd = open(f, O_WRONLY | O_TRUNC);
	ASSERT(fd >= 0);
	ASSERT_INT_EQ(write(fd, "12ab\n", 5), 5);
	close(fd);
	ASSERT_INT_EQ(state_open(dir, "auto", &s, why), OP_ERR_PROTO);
	ASSERT_STR_CONTAINS(why, "corrupt");
	/* An oversized file is refused before it is read into memory. */
	fd = open(f, O_WRONLY | O_TRUNC);
	for (int i = 0; i < 100; i++)
		ASSERT_INT_EQ(write(fd, "1234567890", 10), 10);
	close(fd);
	ASSERT_INT_EQ(state_open(dir, "auto", &s, why), OP_ERR_TOO_LARGE);
}

static void
test_password_and_reset(void)
{
	char dir[512], why[SFILE_WHY_LEN];
	struct state *s = NULL, *s2 = NULL;
	uint8_t h1[PASSWORD_H1_LEN], want[PASSWORD_H1_LEN];
	char old_id[STATE_ID_MAX + 1], salt1[PASSWORD_SALT_LEN + 1];

	mkpath(dir, sizeof(dir), "e", NULL);
	ASSERT_INT_EQ(state_open(dir, "auto", &s, why), 0);
	ASSERT(!state_h1(s, h1));
	ASSERT_INT_EQ(state_set_password(s, "", 0, why), OP_ERR_RANGE);
	ASSERT_INT_EQ(state_set_password(s, "correct horse", 13, why), 0);
	snprintf(salt1, sizeof(salt1), "%s", state_salt(s));
	ASSERT_INT_EQ(state_open(dir, "auto", &s2, why), 0);
	ASSERT(state_h1(s2, h1));
	password_h1("correct horse", 13, state_salt(s2), want);
	ASSERT_MEM_EQ(h1, want, 32);
	state_free(s2);
	s2 = NULL;
	/* Same password again: new salt, different stored hash (S4). */
	ASSERT_INT_EQ(state_set_password(s, "correct horse", 13, why), 0);
	ASSERT(strcmp(salt1, state_salt(s)) != 0);
	ASSERT_INT_EQ(state_clear_password(s, why), 0);
	ASSERT_INT_EQ(state_open(dir, "auto", &s2, why), 0);
	ASSERT(!state_h1(s2, h1));
	state_free(s2);
	s2 = NULL;

	snprintf(old_id, sizeof(old_id), "%s", state_id(s));
	ASSERT_INT_EQ(state_reset_identity(s, why), 0);
	ASSERT(strcmp(old_id, state_id(s)) != 0);
	ASSERT_INT_EQ(state_open(dir, "auto", &s2, why), 0);
	ASSERT_STR_EQ(state_id(s2), state_id(s));
	state_free(s2);
	s2 = NULL;
	/* A custom ID overrides and cannot be reset from here. */
	ASSERT_INT_EQ(state_open(dir, "myhost01", &s2, why), 0);
	ASSERT_STR_EQ(state_id(s2), "myhost01");
	ASSERT_INT_EQ(state_reset_identity(s2, why), OP_ERR_STATE);
	state_free(s2);
	state_free(s);
}

int
main(void)
{
	snprintf(root, sizeof(root), "/tmp/op-test-state-XXXXXX");
	if (mkdtemp(root) == NULL)
		return 1;
	RUN(test_create_and_reopen);
	RUN(test_two_dirs_differ);
	RUN(test_modes_enforced);
	RUN(test_corrupt_files);
	RUN(test_password_and_reset);
	th_rm_tree(root);
	return th_done();
}
