/* SPDX-License-Identifier: MIT */
/*
 * The ACL checks under wine. securefile.h: the descriptors folders and
 * files are made with (a protected DACL for LocalSystem, Administrators
 * and us only); secret files are written, replaced and read back, and
 * refused when their DACL lets anyone else in (Everyone), when too large
 * or missing; a folder with a wide DACL is refused with the icacls
 * command that fixes it. conf_load_file: a configuration file others may
 * read is loaded. The checks' refusals (write, generic write, delete,
 * DACL change; a folder's delete-child; inherit-only and deny entries;
 * another owner) on named pipes made with each DACL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "core/err.h"
#include "platform/securefile.h"
#include "core/winacl.h"
#include "th-wfs.h"
#include "th.h"

#include <aclapi.h>
#include <sddl.h>

static char base[MAX_PATH];

static void
path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s\\%s", base, name);
}

/* sd's DACL is protected and allows exactly: SY, BA and the user we run
 * as all access (with flags), and, when users, BUILTIN\Users read. */
static bool
sd_private(PSECURITY_DESCRIPTOR sd, BYTE flags, bool users)
{
	SECURITY_DESCRIPTOR_CONTROL ctl = 0;
	BOOL present = FALSE, defaulted = FALSE;
	PACL dacl = NULL;
	DWORD rev;
	int seen = 0;

	if (!GetSecurityDescriptorControl(sd, &ctl, &rev) ||
		!(ctl & SE_DACL_PROTECTED) ||
		!GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted) ||
		!present || dacl == NULL || dacl->AceCount != (users ? 4 : 3))
		return false;
	for (DWORD i = 0; i < dacl->AceCount; i++) {
		ACCESS_ALLOWED_ACE *a;
		LPSTR s = NULL;
		bool ok;

		if (!GetAce(dacl, i, (void **)&a) ||
			a->Header.AceType != ACCESS_ALLOWED_ACE_TYPE ||
			!ConvertSidToStringSidA((PSID)&a->SidStart, &s))
			return false;
		if (strcmp(s, "S-1-5-32-545") == 0)
			ok = users && a->Mask == FILE_GENERIC_READ &&
				a->Header.AceFlags == 0;
		else
			ok = (strcmp(s, "S-1-5-18") == 0 ||
				     strcmp(s, "S-1-5-32-544") == 0 ||
				     strncmp(s, "S-1-5-21-", 9) == 0) &&
				a->Mask == FILE_ALL_ACCESS &&
				a->Header.AceFlags == flags;
		LocalFree(s);
		if (!ok)
			return false;
		seen++;
	}
	return seen == dacl->AceCount;
}

/* A folder or file (with "secret" in it) made with the given SDDL, as
 * another tool would. */
static bool
make_with(const char *path, const WCHAR *sddl, bool dir)
{
	return thw_make_file(path, sddl, dir, "secret");
}

/* The descriptors we create objects with. wine keeps no descriptor on
 * disk (it maps one to Unix mode bits and back), so what a folder or
 * file ends up with is checked on real Windows only. */
static void
test_descriptors(void)
{
	PSECURITY_DESCRIPTOR sd = NULL;

	ASSERT_INT_EQ(winacl_private(true, false, &sd), 0);
	ASSERT(sd_private(sd, OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE,
		false));
	LocalFree(sd);
	ASSERT_INT_EQ(winacl_private(false, false, &sd), 0);
	ASSERT(sd_private(sd, 0, false));
	LocalFree(sd);
	ASSERT_INT_EQ(winacl_private(false, true, &sd), 0);
	ASSERT(sd_private(sd, 0, true));
	LocalFree(sd);
}

static void
test_dir(void)
{
	char d[MAX_PATH + 32], why[SFILE_WHY_LEN];

	path_of(d, sizeof(d), "state");
	ASSERT_INT_EQ(sfile_ensure_dir(d, why), 0);
	ASSERT_INT_EQ(sfile_ensure_dir(d, why), 0); /* exists: checked */

	/* A folder Everyone may read. */
	path_of(d, sizeof(d), "wide");
	ASSERT(make_with(d, L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
			    L"(A;OICI;FR;;;WD)",
		true));
	ASSERT_INT_EQ(sfile_ensure_dir(d, why), OP_ERR_PERM);
	printf("  refused: %s\n", why);
	ASSERT(strstr(why, "S-1-1-0") != NULL);
	ASSERT_STR_CONTAINS(why, "icacls");

	/* A file is not a folder. */
	path_of(d, sizeof(d), "plain");
	ASSERT(make_with(d, L"D:P(A;;FA;;;SY)", false));
	ASSERT_INT_EQ(sfile_ensure_dir(d, why), OP_ERR_PERM);
	ASSERT_STR_CONTAINS(why, "not a directory");
}

static void
test_files(void)
{
	char f[MAX_PATH + 32], why[SFILE_WHY_LEN];
	uint8_t *buf = NULL;
	size_t len = 0;

	path_of(f, sizeof(f), "state\\secret");
	ASSERT_INT_EQ(sfile_write_atomic(f, "s3cret", 6, 0600, why), 0);
	ASSERT_INT_EQ(sfile_read_secret(f, 64, &buf, &len, why), 0);
	ASSERT_INT_EQ(len, 6);
	ASSERT_STR_EQ((char *)buf, "s3cret");
	sfile_free_secret(buf, len);

	/* Replaced atomically. */
	ASSERT_INT_EQ(sfile_write_atomic(f, "other!!", 7, 0600, why), 0);
	ASSERT_INT_EQ(sfile_read_secret(f, 64, &buf, &len, why), 0);
	ASSERT_STR_EQ((char *)buf, "other!!");
	sfile_free_secret(buf, len);

	/* Bounds. */
	ASSERT_INT_EQ(sfile_read_secret(f, 3, &buf, &len, why),
		OP_ERR_TOO_LARGE);
	ASSERT(buf == NULL);
	path_of(f, sizeof(f), "state\\missing");
	ASSERT_INT_EQ(sfile_read_secret(f, 64, &buf, &len, why), -ENOENT);

	/* 0644 (Users may read) is written; that such a file is then
	 * refused as a secret needs a system that keeps the Users ACE
	 * (wine's mode-bit mapping drops it). */
	path_of(f, sizeof(f), "state\\public");
	ASSERT_INT_EQ(sfile_write_atomic(f, "pub", 3, 0644, why), 0);

	/* Written by someone else with Everyone on it. */
	path_of(f, sizeof(f), "state\\foreign");
	ASSERT(make_with(f, L"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;WD)", false));
	ASSERT_INT_EQ(sfile_read_secret(f, 64, &buf, &len, why), OP_ERR_PERM);
	printf("  refused: %s\n", why);
	ASSERT(strstr(why, "S-1-1-0") != NULL);
	ASSERT_STR_CONTAINS(why, "icacls");
}

/* conf_load_file: 0, or the diags joined in why. */
static int
load(const char *path, char *why, size_t n)
{
	struct conf_diags dg = { 0 };
	struct conf *c = NULL;
	int r = conf_load_file(path, &c, &dg);

	why[0] = '\0';
	for (size_t i = 0; i < dg.n; i++)
		snprintf(why + strlen(why), n - strlen(why), "%s; ",
			dg.v[i].msg);
	conf_unref(c);
	conf_diags_free(&dg);
	return r;
}

static void
test_conf_file(void)
{
	static const char yaml[] = "log:\n  level: debug\n";
	char f[MAX_PATH + 32], why[1024];

	/* Everyone may read: fine. */
	path_of(f, sizeof(f), "state\\outpost.yaml");
	ASSERT(thw_make_file(f, L"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;WD)",
		false, yaml));
	ASSERT_INT_EQ(load(f, why, sizeof(why)), 0);

	/* What wine keeps of a file's DACL cannot say "Everyone may
	 * write" (it maps a DACL to mode bits and never sets o+w): the
	 * refusals are checked on pipes below, through the same code. */
}

/* A named pipe made with sddl (wine keeps kernel objects' descriptors
 * as given, unlike files'): winacl_check_* on its handle. */
static int
check_on(const WCHAR *sddl, int which, bool dir, char *why, size_t n)
{
	static int seq;
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, FALSE };
	WCHAR name[64];
	HANDLE h;
	int r;

	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl,
		    SDDL_REVISION_1, &sa.lpSecurityDescriptor, NULL))
		return 1;
	_snwprintf(name, 64, L"\\\\.\\pipe\\op-acl-%lu-%d",
		(unsigned long)GetCurrentProcessId(), seq++);
	name[63] = 0;
	h = CreateNamedPipeW(name, PIPE_ACCESS_DUPLEX | READ_CONTROL,
		PIPE_TYPE_BYTE, 1, 64, 64, 0, &sa);
	LocalFree(sa.lpSecurityDescriptor);
	if (h == INVALID_HANDLE_VALUE)
		return 2;
	why[0] = '\0';
	r = which == 0 ? winacl_check_private(h, why, n)
		       : winacl_check_writers(h, dir, why, n);
	CloseHandle(h);
	return r;
}

#define PRIV L"(A;;FA;;;SY)(A;;FA;;;BA)"

static void
test_check_logic(void)
{
	char why[320];

	/* Read for Everyone: no secret, but nobody can change it. */
	ASSERT_INT_EQ(check_on(L"O:BAD:P" PRIV L"(A;;FR;;;WD)", 0, false, why,
			      sizeof(why)),
		OP_ERR_PERM);
	ASSERT_STR_CONTAINS(why, "lets Everyone (S-1-1-0) in");
	ASSERT_INT_EQ(check_on(L"O:BAD:P" PRIV L"(A;;FR;;;WD)", 1, false, why,
			      sizeof(why)),
		0);
	/* Write, generic write (mapped), delete, DACL changes. */
	ASSERT_INT_EQ(check_on(L"O:BAD:P" PRIV L"(A;;FW;;;WD)", 1, false, why,
			      sizeof(why)),
		OP_ERR_PERM);
	ASSERT_STR_CONTAINS(why, "change or replace it");
	ASSERT_INT_EQ(check_on(L"O:BAD:P" PRIV L"(A;;GW;;;BU)", 1, false, why,
			      sizeof(why)),
		OP_ERR_PERM);
	ASSERT(strstr(why, "S-1-5-32-545") != NULL);
	ASSERT_INT_EQ(check_on(L"O:BAD:P" PRIV L"(A;;SD;;;AU)", 1, false, why,
			      sizeof(why)),
		OP_ERR_PERM);
	ASSERT_INT_EQ(check_on(L"O:BAD:P" PRIV L"(A;;WD;;;WD)", 1, false, why,
			      sizeof(why)),
		OP_ERR_PERM);
	/* A folder: deleting entries replaces files; adding does not. */
	ASSERT_INT_EQ(check_on(L"O:BAD:P" PRIV L"(A;;0x40;;;WD)", 1, true, why,
			      sizeof(why)),
		OP_ERR_PERM);
	ASSERT_INT_EQ(check_on(L"O:BAD:P" PRIV L"(A;;0x6;;;BU)", 1, true, why,
			      sizeof(why)),
		0);
	/* Inherit-only and deny entries grant nothing here. */
	ASSERT_INT_EQ(check_on(L"O:BAD:P" PRIV L"(A;OICIIO;FA;;;WD)", 0, false,
			      why, sizeof(why)),
		0);
	ASSERT_INT_EQ(check_on(L"O:BAD:P" PRIV L"(D;;FA;;;WD)", 0, false, why,
			      sizeof(why)),
		0);
	/* Owned by someone else: an owner may rewrite the DACL. */
	ASSERT_INT_EQ(check_on(L"O:BUD:P" PRIV, 1, false, why, sizeof(why)),
		OP_ERR_PERM);
	ASSERT_STR_CONTAINS(why, "it is owned by");
	ASSERT(strstr(why, "S-1-5-32-545") != NULL);
}

int
main(void)
{
	/* A fresh folder under %TEMP% (not checked itself). */
	if (!thw_tempdir("sfile", base, sizeof(base)))
		return 1;
	RUN(test_descriptors);
	RUN(test_dir);
	RUN(test_files);
	RUN(test_conf_file);
	RUN(test_check_logic);
	return th_done();
}
