/* SPDX-License-Identifier: MIT */
/*
 * The state folder under wine (store/state.c over securefile-win.c):
 * created with its identity files, stable when reopened, the password
 * set, re-read and removed; files written by someone else are refused:
 * an identity key Everyone may read (with the icacls command that fixes
 * it), corrupt and oversized files, a file where the folder should be.
 */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "store/state.h"
#include "th-wfs.h"
#include "th.h"

static char base[MAX_PATH];

static void
path_of(char *out, size_t n, const char *dir, const char *name)
{
	snprintf(out, n, "%s\\%s%s%s", base, dir, name ? "\\" : "",
		name ? name : "");
}

/* path exists as a file we can read back through the private check. */
static bool
private_file(const char *path)
{
	char why[SFILE_WHY_LEN];
	uint8_t *buf = NULL;
	size_t len = 0;
	int r = sfile_read_secret(path, 4096, &buf, &len, why);

	sfile_free_secret(buf, len);
	return r == 0 && len > 0;
}

static void
test_create_and_reopen(void)
{
	static const char *files[] = { "id", "uuid", "identity.key", "salt" };
	char dir[MAX_PATH + 64], f[MAX_PATH + 64], why[SFILE_WHY_LEN];
	char id[STATE_ID_MAX + 1];
	struct state *s = NULL, *s2 = NULL;

	path_of(dir, sizeof(dir), "a", NULL);
	ASSERT_INT_EQ(state_open(dir, "auto", &s, why), 0);
	ASSERT_INT_EQ(strlen(state_id(s)), 9);
	ASSERT(state_id(s)[0] != '0');
	ASSERT_INT_EQ(strlen(state_uuid(s)), 32);
	for (size_t i = 0; i < 4; i++) {
		path_of(f, sizeof(f), "a", files[i]);
		ASSERT(private_file(f));
	}
	snprintf(id, sizeof(id), "%s", state_id(s));
	ASSERT_INT_EQ(state_open(dir, NULL, &s2, why), 0);
	ASSERT_STR_EQ(state_id(s2), id);
	ASSERT_STR_EQ(state_uuid(s2), state_uuid(s));
	ASSERT_MEM_EQ(state_key(s)->pk, state_key(s2)->pk, IDENTITY_PK_LEN);
	ASSERT_MEM_EQ(state_key(s)->sk, state_key(s2)->sk, IDENTITY_SK_LEN);
	state_free(s);
	state_free(s2);
}

static void
test_password(void)
{
	char dir[MAX_PATH + 64], f[MAX_PATH + 64], why[SFILE_WHY_LEN];
	uint8_t h1[PASSWORD_H1_LEN], want[PASSWORD_H1_LEN];
	struct state *s = NULL, *s2 = NULL;

	path_of(dir, sizeof(dir), "b", NULL);
	ASSERT_INT_EQ(state_open(dir, "auto", &s, why), 0);
	ASSERT(!state_h1(s, h1));
	ASSERT_INT_EQ(state_set_password(s, "correct horse", 13, why), 0);
	path_of(f, sizeof(f), "b", "password.h1");
	ASSERT(private_file(f));
	/* Another process (a fresh state) sees it. */
	ASSERT_INT_EQ(state_open(dir, "auto", &s2, why), 0);
	ASSERT(state_h1(s2, h1));
	password_h1("correct horse", 13, state_salt(s2), want);
	ASSERT_MEM_EQ(h1, want, PASSWORD_H1_LEN);
	/* Cleared here (the file is deleted), re-read there. */
	ASSERT_INT_EQ(state_clear_password(s, why), 0);
	ASSERT(!private_file(f));
	ASSERT_INT_EQ(state_clear_password(s, why), 0); /* already gone */
	ASSERT_INT_EQ(state_reload_password(s2, why), 0);
	ASSERT(!state_h1(s2, h1));
	state_free(s2);
	state_free(s);
}

static void
test_foreign_key_refused(void)
{
	char dir[MAX_PATH + 64], f[MAX_PATH + 64], why[SFILE_WHY_LEN];
	struct state *s = NULL;

	path_of(dir, sizeof(dir), "c", NULL);
	ASSERT_INT_EQ(state_open(dir, "auto", &s, why), 0);
	state_free(s);
	s = NULL;
	/* Replaced by a key file Everyone may read. */
	path_of(f, sizeof(f), "c", "identity.key");
	ASSERT_INT_EQ(sfile_remove(f, why), 0);
	ASSERT(thw_make_file(f, L"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;WD)",
		false, "AAAA\n"));
	ASSERT_INT_EQ(state_open(dir, "auto", &s, why), OP_ERR_PERM);
	ASSERT(s == NULL);
	printf("  refused: %s\n", why);
	ASSERT_STR_CONTAINS(why, "identity.key");
	ASSERT_STR_CONTAINS(why, "S-1-1-0");
	ASSERT_STR_CONTAINS(why, "icacls");
}

static void
test_corrupt_refused(void)
{
	char dir[MAX_PATH + 64], f[MAX_PATH + 64], why[SFILE_WHY_LEN];
	char big[1001];
	struct state *s = NULL;

	path_of(dir, sizeof(dir), "d", NULL);
	ASSERT_INT_EQ(state_open(dir, "auto", &s, why), 0);
	state_free(s);
	s = NULL;
	path_of(f, sizeof(f), "d", "id");
	ASSERT_INT_EQ(sfile_write_atomic(f, "12ab\n", 5, 0600, why), 0);
	ASSERT_INT_EQ(state_open(dir, "auto", &s, why), OP_ERR_PROTO);
	ASSERT_STR_CONTAINS(why, "corrupt");
	/* Oversized: refused before it is read. */
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ASSERT_INT_EQ(sfile_write_atomic(f, big, strlen(big), 0600, why), 0);
	ASSERT_INT_EQ(state_open(dir, "auto", &s, why), OP_ERR_TOO_LARGE);
	/* A file where the folder should be. */
	path_of(f, sizeof(f), "e", NULL);
	ASSERT(thw_make_file(f, L"D:P(A;;FA;;;SY)(A;;FA;;;BA)", false, "x"));
	ASSERT_INT_EQ(state_open(f, "auto", &s, why), OP_ERR_PERM);
	ASSERT_STR_CONTAINS(why, "not a directory");
	ASSERT(s == NULL);
}

int
main(void)
{
	if (!thw_tempdir("store", base, sizeof(base)))
		return 1;
	RUN(test_create_and_reopen);
	RUN(test_password);
	RUN(test_foreign_key_refused);
	RUN(test_corrupt_refused);
	return th_done();
}
