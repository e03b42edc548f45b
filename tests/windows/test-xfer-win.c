/* SPDX-License-Identifier: MIT */
/*
 * File transfer's path confinement under wine (xfer-path.c with
 * xfer-path-win.c): the parsers against hostile Windows paths (drive
 * letters, backslashes, UNC and device prefixes, alternate data streams,
 * DOS device names, trailing dots and spaces, the characters Win32
 * reserves, ".."), then real files through the openers beneath a root
 * folder: folders made, a file written, read back and seen by Win32 where
 * it belongs, and the openers' refusals (exists, not a folder, a folder,
 * missing, "..", a device name; a symbolic link where the system can
 * make one, which wine 8 cannot).
 */
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "th-wfs.h"
#include "th-xfer-parse.h"
#include "th.h"
#include "xfer/xfer-path.h"

static char base[MAX_PATH];

static void
test_path_parse_table(void)
{
	static const struct th_parse_case cases[] = {
		{ "/share/a.txt", 0, "share", "a.txt" },
		{ "//share/./sub//b.txt/", 0, "share", "sub/b.txt" },
		{ "/share/caf\xc3\xa9", 0, "share", "caf\xc3\xa9" },
		{ "/share/ lead", 0, "share", " lead" },
		{ "/share/.hidden", 0, "share", ".hidden" },
		/* Only the exact device names. */
		{ "/share/CONSOLE", 0, "share", "CONSOLE" },
		{ "/share/com10", 0, "share", "com10" },
		{ "/share/nul_", 0, "share", "nul_" },
		{ "/share/lpt", 0, "share", "lpt" },
		{ "/share/x.con", 0, "share", "x.con" },
		/* Drive letters, UNC, device namespaces. */
		{ "C:/Windows/System32", OP_ERR_PROTO, NULL, NULL },
		{ "/share/C:/Windows", OP_ERR_PROTO, NULL, NULL },
		{ "C:\\Windows\\System32", OP_ERR_PROTO, NULL, NULL },
		{ "/share/..\\..\\Windows", OP_ERR_PROTO, NULL, NULL },
		{ "/share/a\\..\\b", OP_ERR_PROTO, NULL, NULL },
		{ "\\\\server\\share\\x", OP_ERR_PROTO, NULL, NULL },
		{ "\\\\?\\C:\\x", OP_ERR_PROTO, NULL, NULL },
		{ "//?/C:/x", OP_ERR_PROTO, NULL, NULL },
		{ "/share/\\\\.\\PhysicalDrive0", OP_ERR_PROTO, NULL, NULL },
		/* Alternate data streams. */
		{ "/share/file.txt:secret", OP_ERR_PROTO, NULL, NULL },
		{ "/share/file.txt::$DATA", OP_ERR_PROTO, NULL, NULL },
		{ "/share/dir:$I30:$INDEX_ALLOCATION/x", OP_ERR_PROTO, NULL,
			NULL },
		/* DOS devices, any case, with an extension, with spaces. */
		{ "/share/CON", OP_ERR_PROTO, NULL, NULL },
		{ "/share/nul.txt", OP_ERR_PROTO, NULL, NULL },
		{ "/share/sub/Aux.tar.gz", OP_ERR_PROTO, NULL, NULL },
		{ "/share/com1", OP_ERR_PROTO, NULL, NULL },
		{ "/share/LPT9.log", OP_ERR_PROTO, NULL, NULL },
		{ "/share/con .txt", OP_ERR_PROTO, NULL, NULL },
		{ "/share/CONIN$", OP_ERR_PROTO, NULL, NULL },
		{ "/share/COM\xc2\xb9", OP_ERR_PROTO, NULL, NULL },
		{ "/PRN/x", OP_ERR_PROTO, NULL, NULL },
		/* Names Win32 would shorten into another. */
		{ "/share/secret.", OP_ERR_PROTO, NULL, NULL },
		{ "/share/secret ", OP_ERR_PROTO, NULL, NULL },
		{ "/share/...", OP_ERR_PROTO, NULL, NULL },
		{ "/share/dir./x", OP_ERR_PROTO, NULL, NULL },
		/* Reserved characters, controls. */
		{ "/share/a<b", OP_ERR_PROTO, NULL, NULL },
		{ "/share/a>b", OP_ERR_PROTO, NULL, NULL },
		{ "/share/a\"b", OP_ERR_PROTO, NULL, NULL },
		{ "/share/a|b", OP_ERR_PROTO, NULL, NULL },
		{ "/share/a?b", OP_ERR_PROTO, NULL, NULL },
		{ "/share/*", OP_ERR_PROTO, NULL, NULL },
		{ "/share/a\x01", OP_ERR_PROTO, NULL, NULL },
		/* What every system refuses. */
		{ "/share/../outside", OP_ERR_PROTO, NULL, NULL },
		{ "/share/\xff", OP_ERR_PROTO, NULL, NULL },
	};
	struct xfer_path p;
	const char *why;

	th_parse_cases(cases, sizeof(cases) / sizeof(cases[0]));
	/* The reasons say what is wrong. */
	ASSERT_INT_EQ(xfer_path_parse("/s/a:b", &p, &why), OP_ERR_PROTO);
	ASSERT_STR_CONTAINS(why, "alternate data streams");
	ASSERT_INT_EQ(xfer_path_parse("/s/NUL", &p, &why), OP_ERR_PROTO);
	ASSERT_STR_CONTAINS(why, "reserved device name");
	ASSERT_INT_EQ(xfer_path_parse("/s/a.", &p, &why), OP_ERR_PROTO);
	ASSERT_STR_CONTAINS(why, "end in '.'");
	ASSERT_INT_EQ(xfer_path_parse("/s/a\\b", &p, &why), OP_ERR_PROTO);
	ASSERT_STR_CONTAINS(why, "'\\'");
}

static void
test_names(void)
{
	char out[XFER_PATH_MAX];
	const char *why;

	ASSERT_INT_EQ(xfer_relname_parse("sub/b.txt", out, sizeof(out), &why),
		0);
	ASSERT_STR_EQ(out, "sub/b.txt");
	ASSERT_INT_EQ(xfer_relname_parse("C:\\x", out, sizeof(out), &why),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(xfer_relname_parse("sub/CON", out, sizeof(out), &why),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(xfer_relname_parse("sub/a.txt:ads", out, sizeof(out),
			      &why),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(xfer_relname_parse("sub/x ", out, sizeof(out), &why),
		OP_ERR_PROTO);
	ASSERT_STR_EQ(out, "");
	ASSERT_INT_EQ(xfer_name_check("report.pdf", &why), 0);
	ASSERT_INT_EQ(xfer_name_check("NUL", &why), OP_ERR_PROTO);
	ASSERT_INT_EQ(xfer_name_check("lpt1.txt", &why), OP_ERR_PROTO);
	ASSERT_INT_EQ(xfer_name_check("a:b", &why), OP_ERR_PROTO);
	ASSERT_INT_EQ(xfer_name_check("x.", &why), OP_ERR_PROTO);
	ASSERT_INT_EQ(xfer_name_check("a\\b", &why), OP_ERR_PROTO);
	ASSERT_INT_EQ(xfer_name_check("a*", &why), OP_ERR_PROTO);
}

/* The size of base\rel as Win32 sees it, -1 if it is not a file. */
static long long
win32_size(const char *rel)
{
	char p[MAX_PATH + 64];
	WIN32_FILE_ATTRIBUTE_DATA d;

	snprintf(p, sizeof(p), "%s\\%s", base, rel);
	if (!GetFileAttributesExA(p, GetFileExInfoStandard, &d) ||
		(d.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
		return -1;
	return ((long long)d.nFileSizeHigh << 32) | d.nFileSizeLow;
}

static void
test_files(void)
{
	static unsigned char data[100000], back[100001];
	char p[MAX_PATH + 64];
	const char *last = NULL;
	int root, fd, pfd;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	root = xfer_open_root(base);
	ASSERT(root >= 0);
	/* mkdir -p, twice (the second finds them). */
	fd = xfer_mkdirs(root, "in/deep");
	ASSERT(fd >= 0);
	close(fd);
	fd = xfer_mkdirs(root, "in/deep");
	ASSERT(fd >= 0);
	close(fd);
	/* Written through the opener, O_EXCL. */
	fd = xfer_openat(root, "in/deep/f.bin", O_WRONLY | O_CREAT | O_EXCL,
		0644);
	ASSERT(fd >= 0);
	ASSERT_INT_EQ(write(fd, data, sizeof(data)), sizeof(data));
	close(fd);
	ASSERT_INT_EQ(xfer_openat(root, "in/deep/f.bin",
			      O_WRONLY | O_CREAT | O_EXCL, 0644),
		-EEXIST);
	/* Where Win32 finds it. */
	ASSERT_INT_EQ(win32_size("in\\deep\\f.bin"), sizeof(data));
	/* Read back whole. */
	fd = xfer_openat(root, "in/deep/f.bin", O_RDONLY, 0);
	ASSERT(fd >= 0);
	ASSERT_INT_EQ(read(fd, back, sizeof(back)), sizeof(data));
	ASSERT_INT_EQ(read(fd, back, sizeof(back)), 0);
	close(fd);
	ASSERT_MEM_EQ(back, data, sizeof(data));
	/* Truncated and rewritten. */
	fd = xfer_openat(root, "in/deep/f.bin", O_WRONLY | O_TRUNC, 0);
	ASSERT(fd >= 0);
	ASSERT_INT_EQ(write(fd, "short", 5), 5);
	close(fd);
	ASSERT_INT_EQ(win32_size("in\\deep\\f.bin"), 5);
	/* The parent of a path, and an open relative to it. */
	fd = xfer_open_parent(root, "in/deep/f.bin", &last);
	ASSERT(fd >= 0);
	ASSERT_STR_EQ(last, "f.bin");
	pfd = fd;
	fd = xfer_openat(pfd, last, O_RDONLY, 0);
	close(pfd);
	ASSERT(fd >= 0);
	ASSERT_INT_EQ(read(fd, back, sizeof(back)), 5);
	ASSERT_MEM_EQ(back, "short", 5);
	close(fd);
	fd = xfer_openat(root, "in/deep", O_RDONLY | O_DIRECTORY, 0);
	ASSERT(fd >= 0);
	close(fd);
	fd = xfer_openat(root, "", O_PATH | O_DIRECTORY, 0);
	ASSERT(fd >= 0);
	close(fd);
	/* Refusals. */
	ASSERT_INT_EQ(xfer_openat(root, "in/deep/f.bin",
			      O_RDONLY | O_DIRECTORY, 0),
		-ENOTDIR);
	ASSERT_INT_EQ(xfer_openat(root, "in", O_RDONLY, 0), -EISDIR);
	ASSERT_INT_EQ(xfer_openat(root, "in/deep/f.bin/x", O_RDONLY, 0),
		-ENOTDIR);
	ASSERT_INT_EQ(xfer_openat(root, "missing/x", O_RDONLY, 0), -ENOENT);
	ASSERT_INT_EQ(xfer_openat(root, "../x", O_RDONLY, 0), -EINVAL);
	ASSERT_INT_EQ(xfer_openat(root, "/in", O_RDONLY, 0), -EINVAL);
	/* The opener's own check, for a caller that skipped the parsers. */
	ASSERT_INT_EQ(xfer_openat(root, "in/CON", O_WRONLY | O_CREAT, 0644),
		-EINVAL);
	ASSERT_INT_EQ(xfer_openat(root, "in/deep/f.bin:ads",
			      O_WRONLY | O_CREAT, 0644),
		-EINVAL);
	ASSERT_INT_EQ(xfer_mkdirs(root, "in/deep/f.bin"), -ENOTDIR);
	ASSERT_INT_EQ(xfer_mkdirs(root, "in/nul"), -EINVAL);
	ASSERT_INT_EQ(win32_size("in\\deep\\f.bin"), 5);
	close(root);
	ASSERT_INT_EQ(xfer_open_root("C:\\no\\such\\folder"), -ENOENT);
	snprintf(p, sizeof(p), "%s\\in\\deep\\f.bin", base);
	ASSERT_INT_EQ(xfer_open_root(p), -ENOTDIR);
}

/* base\link -> base\in, a directory symbolic link; false where the
 * system makes none (wine 8 says it did and makes nothing; Windows
 * needs the privilege or developer mode). */
static bool
make_link(void)
{
	char link[MAX_PATH + 64], target[MAX_PATH + 64];
	WCHAR wl[MAX_PATH + 64], wt[MAX_PATH + 64];
	DWORD a;

	snprintf(target, sizeof(target), "%s\\in", base);
	snprintf(link, sizeof(link), "%s\\link", base);
	MultiByteToWideChar(CP_UTF8, 0, target, -1, wt, MAX_PATH + 64);
	MultiByteToWideChar(CP_UTF8, 0, link, -1, wl, MAX_PATH + 64);
	return CreateSymbolicLinkW(wl, wt, SYMBOLIC_LINK_FLAG_DIRECTORY) &&
		(a = GetFileAttributesW(wl)) != INVALID_FILE_ATTRIBUTES &&
		(a & FILE_ATTRIBUTE_REPARSE_POINT);
}

/* The link is refused, not followed, wherever it is in the path. */
static void
test_reparse_point(void)
{
	int root = xfer_open_root(base);

	ASSERT(root >= 0);
	ASSERT_INT_EQ(xfer_openat(root, "link/deep/f.bin", O_RDONLY, 0),
		-ELOOP);
	ASSERT_INT_EQ(xfer_openat(root, "link", O_PATH, 0), -ELOOP);
	ASSERT_INT_EQ(xfer_mkdirs(root, "link/new"), -ELOOP);
	close(root);
}

int
main(void)
{
	if (!thw_tempdir("xfer", base, sizeof(base)))
		return 1;
	RUN(test_path_parse_table);
	RUN(test_names);
	RUN(test_files);
	if (make_link())
		RUN(test_reparse_point);
	else
		printf("not run: test_reparse_point (no symbolic links "
		       "here)\n");
	return th_done();
}
