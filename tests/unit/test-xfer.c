/* SPDX-License-Identifier: MIT */
/*
 * The xfer object and its one-shot actions: configuration errors, the
 * virtual namespace of roots, read_dir (types, hidden files, symlinks
 * shown but not followed, bad names left out), all_files,
 * read_empty_dirs, create/remove/rename with their traps, and the policy
 * (direction off/download/upload, read-only roots).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "th-xfer.h"
#include "th.h"
#include "xfer/xfer.h"

static struct xfer_root roots[3];

static struct xfer *
make(unsigned allow)
{
	struct xfer_config cfg = {.allow = allow, .roots = roots, .nroots = 3,
		.overwrite_detection = true};

	return th_xfer_new(&cfg);
}

static void
test_config_errors(void)
{
	struct xfer_root bad[2] = {{.path = "relative/dir"}};
	struct xfer_config cfg = {.allow = 3, .roots = bad, .nroots = 1};
	struct xfer *x = NULL;
	char err[256];

	ASSERT_INT_EQ(xfer_new(&cfg, &x, err, sizeof(err)), OP_ERR_CONFIG);
	ASSERT_STR_CONTAINS(err, "not an absolute path");
	ASSERT(x == NULL);
	bad[0].path = tp("missing");
	ASSERT_INT_EQ(xfer_new(&cfg, &x, err, sizeof(err)), -ENOENT);
	ASSERT_STR_CONTAINS(err, "policy.files.roots[0]");
	ASSERT_STR_CONTAINS(err, "No such file");
	bad[0].path = tp("share/a.txt");
	ASSERT_INT_EQ(xfer_new(&cfg, &x, err, sizeof(err)), -ENOTDIR);
	bad[0].path = tp("share");
	bad[0].name = "bad/name";
	ASSERT_INT_EQ(xfer_new(&cfg, &x, err, sizeof(err)), OP_ERR_CONFIG);
	bad[0].name = "x";
	bad[1].path = tp("share2");
	bad[1].name = "x";
	cfg.nroots = 2;
	ASSERT_INT_EQ(xfer_new(&cfg, &x, err, sizeof(err)), OP_ERR_CONFIG);
	ASSERT_STR_CONTAINS(err, "used twice");
	cfg.nroots = 0;
	ASSERT_INT_EQ(xfer_new(&cfg, &x, err, sizeof(err)), OP_ERR_CONFIG);
	xfer_free(NULL);
}

static void
test_top_level(void)
{
	struct xfer *x = make(3);
	struct th_col c = {0};
	struct xfer_msg *m;

	ASSERT_INT_EQ(xfer_read_dir(x, "", false), 0);
	ASSERT_INT_EQ(xfer_read_dir(x, "/", false), 0);
	th_col_drain(&c, x);
	ASSERT_INT_EQ(c.n, 2);
	m = c.m[0];
	ASSERT_INT_EQ(m->kind, XFER_MSG_DIR);
	ASSERT_STR_EQ(m->path, "/");
	ASSERT_INT_EQ(m->nentries, 3);
	/* Basenames, the duplicate "share" numbered, a given name kept. */
	ASSERT(th_entry(m, "share") != NULL);
	ASSERT(th_entry(m, "share-2") != NULL);
	ASSERT(th_entry(m, "ro") != NULL);
	ASSERT_INT_EQ(th_entry(m, "share")->type, XFER_ENTRY_DIR);
	th_col_clear(&c);
	/* Not a root: refused without touching the host path. */
	ASSERT_INT_EQ(xfer_read_dir(x, "/etc", false), -ENOENT);
	th_col_drain(&c, x);
	ASSERT_INT_EQ(th_last(&c)->kind, XFER_MSG_ERROR);
	ASSERT_INT_EQ(th_last(&c)->id, 0);
	ASSERT_STR_EQ(th_error(&c), "Not a shared folder: /etc");
	th_col_clear(&c);
	xfer_free(x);
}

static void
test_read_dir(void)
{
	struct xfer *x = make(3);
	struct th_col c = {0};
	const struct xfer_entry *e;
	struct xfer_msg *m;

	ASSERT_INT_EQ(xfer_read_dir(x, "/share", false), 0);
	ASSERT_INT_EQ(xfer_read_dir(x, "share/", true), 0);
	th_col_drain(&c, x);
	ASSERT_INT_EQ(c.n, 2);
	m = c.m[0];
	ASSERT_STR_EQ(m->path, "/share");
	ASSERT(th_entry(m, ".hidden") == NULL);
	ASSERT(th_entry(m, "bad\xff") == NULL); /* not UTF-8: left out */
	e = th_entry(m, "a.txt");
	ASSERT(e != NULL);
	ASSERT_INT_EQ(e->type, XFER_ENTRY_FILE);
	ASSERT_U64_EQ(e->size, 5);
	ASSERT_U64_EQ(e->mtime, 1600000000);
	ASSERT(!e->hidden);
	ASSERT_INT_EQ(th_entry(m, "sub")->type, XFER_ENTRY_DIR);
	ASSERT_U64_EQ(th_entry(m, "sub")->size, 0);
	/* Symlinks are listed as links, whatever they point at. */
	ASSERT_INT_EQ(th_entry(m, "link_out")->type, XFER_ENTRY_FILE_LINK);
	ASSERT_INT_EQ(th_entry(m, "abs_link")->type, XFER_ENTRY_FILE_LINK);
	ASSERT_U64_EQ(th_entry(m, "abs_link")->size, 0);
	ASSERT_INT_EQ(th_entry(m, "fifo")->type, XFER_ENTRY_FILE);
	ASSERT_U64_EQ(th_entry(m, "empty.txt")->size, 0);
	m = c.m[1];
	ASSERT_STR_EQ(m->path, "/share");
	e = th_entry(m, ".hidden");
	ASSERT(e != NULL);
	ASSERT(e->hidden);
	th_col_clear(&c);
	/* Traps: each an error for id 0. */
	const char *bad[] = {"/share/link_out", "/share/link_out/secret.txt",
		"/share/../outside", "/share/sub/link_mid", "/share/a.txt",
		"/share/nope", "/share/\xff"};
	const char *want[] = {"Symbolic links are not followed",
		"Symbolic links are not followed", "'..' is not allowed",
		"Symbolic links are not followed", "Not a directory",
		"No such file or directory", "not valid UTF-8"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT(xfer_read_dir(x, bad[i], true) != 0);
		th_col_drain(&c, x);
		ASSERT_INT_EQ(c.n, 1);
		ASSERT_INT_EQ(c.m[0]->kind, XFER_MSG_ERROR);
		ASSERT_STR_CONTAINS(c.m[0]->error, want[i]);
		th_col_clear(&c);
	}
	xfer_free(x);
}

static void
test_all_files_and_empty_dirs(void)
{
	struct xfer *x = make(3);
	struct th_col c = {0};
	struct xfer_msg *m;

	ASSERT_INT_EQ(xfer_all_files(x, 7, "/share", false), 0);
	th_col_drain(&c, x);
	m = th_last(&c);
	ASSERT_INT_EQ(m->kind, XFER_MSG_DIR);
	ASSERT_INT_EQ(m->id, 7);
	/* Regular files only, sorted; no links, FIFOs or hidden ones. */
	ASSERT_INT_EQ(m->nentries, 5);
	ASSERT_STR_EQ(m->entries[0].name, "a.txt");
	ASSERT_STR_EQ(m->entries[1].name, "empty.txt");
	ASSERT_STR_EQ(m->entries[2].name, "sub/b.txt");
	ASSERT_STR_EQ(m->entries[3].name, "sub/deep/c.txt");
	ASSERT_STR_EQ(m->entries[4].name, "swap/inner.txt");
	th_col_clear(&c);
	ASSERT_INT_EQ(xfer_all_files(x, 8, "/share", true), 0);
	th_col_drain(&c, x);
	ASSERT(th_entry(th_last(&c), ".hidden") != NULL);
	ASSERT(th_entry(th_last(&c), ".hdir/x.txt") != NULL);
	/* An upload in progress is never part of a recursive list. */
	ASSERT(th_entry(th_last(&c), "sub/.outpost-part-00-1-2") == NULL);
	th_col_clear(&c);
	/* A single file: one entry named "". */
	ASSERT_INT_EQ(xfer_all_files(x, 9, "/share/sub/b.txt", false), 0);
	th_col_drain(&c, x);
	ASSERT_INT_EQ(th_last(&c)->nentries, 1);
	ASSERT_STR_EQ(th_last(&c)->entries[0].name, "");
	th_col_clear(&c);
	/* Errors carry file_num -1, as RustDesk's. */
	ASSERT(xfer_all_files(x, 10, "/share/link_out", false) != 0);
	ASSERT(xfer_all_files(x, 11, "/share/fifo", false) != 0);
	ASSERT(xfer_all_files(x, 12, "/", false) != 0);
	th_col_drain(&c, x);
	ASSERT_INT_EQ(c.n, 3);
	ASSERT_INT_EQ(c.m[0]->file_num, -1);
	ASSERT_STR_CONTAINS(c.m[0]->error, "Symbolic links");
	ASSERT_STR_CONTAINS(c.m[1]->error, "Not a regular file");
	ASSERT_INT_EQ(c.m[2]->id, 12);
	th_col_clear(&c);
	ASSERT_INT_EQ(xfer_read_empty_dirs(x, "/share", false), 0);
	th_col_drain(&c, x);
	m = th_last(&c);
	ASSERT_INT_EQ(m->kind, XFER_MSG_EMPTY_DIRS);
	ASSERT_STR_EQ(m->path, "/share");
	ASSERT_INT_EQ(m->ndirs, 1);
	ASSERT_STR_EQ(m->dirs[0], "/share/emptydir");
	th_col_clear(&c);
	xfer_free(x);
}

static void
test_file_limit(void)
{
	struct xfer_config cfg = {.allow = 3, .roots = roots, .nroots = 1,
		.max_files = 3};
	struct xfer *x = NULL;
	struct th_col c = {0};

	ASSERT_INT_EQ(xfer_new(&cfg, &x, NULL, 0), 0);
	ASSERT_INT_EQ(xfer_all_files(x, 1, "/share", false), OP_ERR_TOO_LARGE);
	ASSERT_INT_EQ(xfer_read_dir(x, "/share", true), OP_ERR_TOO_LARGE);
	th_col_drain(&c, x);
	ASSERT_INT_EQ(c.n, 2);
	ASSERT_STR_CONTAINS(c.m[0]->error, "Too many files");
	ASSERT_STR_CONTAINS(c.m[1]->error, "Too many entries");
	th_col_clear(&c);
	xfer_free(x);
}

static void
test_modify(void)
{
	struct xfer *x = make(3);
	struct th_col c = {0};
	size_t len;
	char *s;

	ASSERT_INT_EQ(xfer_create_dir(x, 1, "/share/new/x/y"), 0);
	ASSERT(th_exists("share/new/x/y"));
	ASSERT_INT_EQ(xfer_create_dir(x, 2, "/share/new/x/y"), 0); /* -p */
	ASSERT_INT_EQ(xfer_rename(x, 3, "/share/new/x", "z"), 0);
	ASSERT(th_exists("share/new/z/y"));
	ASSERT_INT_EQ(xfer_remove_dir(x, 4, "/share/new", true), 0);
	ASSERT(!th_exists("share/new"));
	th_col_drain(&c, x);
	ASSERT_INT_EQ(c.n, 4);
	for (size_t i = 0; i < 4; i++) {
		ASSERT_INT_EQ(c.m[i]->kind, XFER_MSG_DONE);
		ASSERT_INT_EQ(c.m[i]->id, (int)i + 1);
		ASSERT_INT_EQ(c.m[i]->file_num, 0);
	}
	ASSERT_INT_EQ(c.nr, 4);
	ASSERT_INT_EQ(c.r[0]->op, XFER_OP_MKDIR);
	ASSERT_STR_EQ(c.r[0]->path, "/share/new/x/y");
	ASSERT_STR_EQ(c.r[0]->host_path, tp("share/new/x/y"));
	ASSERT_INT_EQ(c.r[2]->op, XFER_OP_RENAME);
	ASSERT_STR_EQ(c.r[2]->new_path, "/share/new/z");
	th_col_clear(&c);
	/* remove_file on a symlink removes the link, not its target. */
	th_symlink(tp("outside/secret.txt"), "share/victim");
	ASSERT_INT_EQ(xfer_remove_file(x, 5, "/share/victim", 3), 0);
	ASSERT(!th_exists("share/victim"));
	s = th_read("outside/secret.txt", &len);
	ASSERT(s != NULL && strcmp(s, "SECRET") == 0);
	free(s);
	th_col_drain(&c, x);
	ASSERT_INT_EQ(th_last(&c)->file_num, 3);
	th_col_clear(&c);
	/* Refusals, each with the reason. */
	th_mkdir("share/full");
	th_write("share/full/keep.txt", "k", 1);
	th_mkdir("share/full/empty");
	th_symlink("/etc", "share/full/etc");
	ASSERT(xfer_remove_dir(x, 6, "/share/full", false) != 0);
	ASSERT(xfer_remove_dir(x, 7, "/share/full", true) != 0);
	/* Recursive removed the empty directory and the link, not the file. */
	ASSERT(th_exists("share/full/keep.txt"));
	ASSERT(!th_exists("share/full/empty"));
	ASSERT(!th_exists("share/full/etc"));
	ASSERT(xfer_remove_file(x, 8, "/share/sub", 0) != 0);
	ASSERT(xfer_remove_file(x, 9, "/share", 0) != 0);
	ASSERT(xfer_remove_dir(x, 10, "/share/link_out/x", false) != 0);
	ASSERT(xfer_rename(x, 11, "/share/a.txt", "..") != 0);
	ASSERT(xfer_rename(x, 12, "/share/a.txt", "sub") != 0);
	ASSERT(xfer_rename(x, 13, "/share/a.txt", "x/y") != 0);
	ASSERT(xfer_create_dir(x, 14, "/share/bad\x01name") != 0);
	ASSERT(xfer_create_dir(x, 15, "/share/link_out/new") != 0);
	ASSERT(xfer_create_dir(x, 16, "/") != 0);
	th_col_drain(&c, x);
	ASSERT_INT_EQ(c.n, 11);
	ASSERT_STR_EQ(c.m[0]->error, "Directory not empty: /share/full");
	ASSERT_STR_EQ(c.m[1]->error, "Directory not empty: /share/full");
	ASSERT_STR_EQ(c.m[2]->error, "Is a directory: /share/sub");
	ASSERT_STR_CONTAINS(c.m[3]->error, "shared folder itself");
	ASSERT_STR_CONTAINS(c.m[4]->error, "Symbolic links");
	ASSERT_STR_CONTAINS(c.m[5]->error, "'..' are not names");
	ASSERT_STR_EQ(c.m[6]->error, "Already exists: /share/a.txt");
	ASSERT_STR_CONTAINS(c.m[7]->error, "'/'");
	ASSERT_STR_CONTAINS(c.m[8]->error, "Not a valid folder name");
	ASSERT_STR_CONTAINS(c.m[9]->error, "Symbolic links");
	ASSERT_INT_EQ(c.m[10]->id, 16);
	for (size_t i = 0; i < c.n; i++)
		ASSERT_INT_EQ(c.m[i]->kind, XFER_MSG_ERROR);
	ASSERT(!th_exists("outside/new"));
	ASSERT(th_exists("share/a.txt"));
	th_col_clear(&c);
	xfer_free(x);
}

static void
test_policy(void)
{
	struct xfer *x = make(XFER_ALLOW_DOWNLOAD);
	struct xfer *off = make(0);
	struct xfer_file_entry fe = {.name = "", .size = 1};
	struct th_col c = {0};

	ASSERT_INT_EQ(xfer_read_dir(x, "/share", false), 0);
	ASSERT_INT_EQ(xfer_create_dir(x, 1, "/share/nope"), OP_ERR_DENIED);
	ASSERT_INT_EQ(xfer_rename(x, 2, "/share/a.txt", "b"), OP_ERR_DENIED);
	ASSERT_INT_EQ(xfer_remove_file(x, 3, "/share/a.txt", 0),
		OP_ERR_DENIED);
	ASSERT_INT_EQ(xfer_receive(x, 4, "/share/up", &fe, 1, 0, 1),
		OP_ERR_DENIED);
	th_col_drain(&c, x);
	ASSERT_STR_CONTAINS(c.m[1]->error, "not allowed by its policy");
	ASSERT_INT_EQ(c.m[4]->id, 4);
	th_col_clear(&c);
	ASSERT(!th_exists("share/nope"));
	ASSERT(th_exists("share/a.txt"));
	xfer_free(x);
	/* Upload only: no downloads. */
	x = make(XFER_ALLOW_UPLOAD);
	ASSERT_INT_EQ(xfer_send(x, 5, "/share/a.txt", false, 0), OP_ERR_DENIED);
	/* A read-only root refuses every change, even with upload allowed. */
	ASSERT_INT_EQ(xfer_create_dir(x, 6, "/ro/new"), OP_ERR_DENIED);
	ASSERT_INT_EQ(xfer_receive(x, 7, "/ro/up", &fe, 1, 0, 1),
		OP_ERR_DENIED);
	th_col_drain(&c, x);
	ASSERT_STR_CONTAINS(c.m[0]->error, "Downloads");
	ASSERT_STR_CONTAINS(c.m[1]->error, "read-only");
	th_col_clear(&c);
	xfer_free(x);
	/* Off: not even a listing. */
	ASSERT_INT_EQ(xfer_read_dir(off, "/", false), OP_ERR_DENIED);
	th_col_drain(&c, off);
	ASSERT_STR_CONTAINS(th_error(&c), "disabled");
	th_col_clear(&c);
	xfer_free(off);
}

static void
make_tree(void)
{
	struct timespec ts[2] = {{1600000000, 0}, {1600000000, 0}};

	th_tmp_make();
	th_mkdir("outside");
	th_write("outside/secret.txt", "SECRET", 6);
	th_mkdir("share");
	th_mkdir("share/sub");
	th_mkdir("share/sub/deep");
	th_mkdir("share/emptydir");
	th_mkdir("share/swap");
	th_mkdir("share/.hdir");
	th_write("share/a.txt", "hello", 5);
	utimensat(AT_FDCWD, tp("share/a.txt"), ts, 0);
	th_write("share/.hidden", "h", 1);
	th_write("share/.hdir/x.txt", "x", 1);
	th_write("share/empty.txt", "", 0);
	th_write("share/sub/b.txt", "b", 1);
	th_write("share/sub/.outpost-part-00-1-2", "p", 1);
	th_write("share/sub/deep/c.txt", "c", 1);
	th_write("share/swap/inner.txt", "i", 1);
	th_write("share/bad\xff", "?", 1);
	th_symlink("../outside", "share/link_out");
	th_symlink(tp("outside/secret.txt"), "share/abs_link");
	th_symlink("../../outside", "share/sub/link_mid");
	if (mkfifo(tp("share/fifo"), 0644) != 0)
		th_die("mkfifo");
	th_mkdir("other");
	th_mkdir("other/share");
	th_mkdir("rodir");
	roots[0] = (struct xfer_root){.path = strdup(tp("share"))};
	roots[1] = (struct xfer_root){.path = strdup(tp("other/share/"))};
	roots[2] = (struct xfer_root){.path = strdup(tp("rodir")), .name = "ro",
		.read_only = true};
}

int
main(void)
{
	make_tree();
	RUN(test_config_errors);
	RUN(test_top_level);
	RUN(test_read_dir);
	RUN(test_all_files_and_empty_dirs);
	RUN(test_file_limit);
	RUN(test_modify);
	RUN(test_policy);
	th_rm_tree(th_tmp);
	return th_done();
}
