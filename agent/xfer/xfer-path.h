/* SPDX-License-Identifier: MIT */
/*
 * Path confinement for file transfer: parsing what clients send into a
 * root name + a relative path, and opening relative paths beneath a
 * directory fd without ever following a symlink. Used by xfer.c and
 * directly by the unit tests and the xfer-path fuzz target.
 *
 * The parsers never touch the filesystem and never resolve "..": it is
 * refused, not interpreted. The openers never concatenate host paths:
 * every access is relative to an fd the caller holds.
 *
 * On Windows the parsers also refuse what Win32 would read as something
 * else: '\' and ':' (drive letters, UNC and device prefixes, alternate
 * data streams), the characters <>"|?*, trailing dots and spaces (Win32
 * drops them, so "a." would alias "a") and the DOS device names (CON,
 * NUL, COM1, LPT1, ..., also with an extension: "nul.txt"). The fds are
 * the CRT's over handles opened relative to the directory's handle, and
 * a reparse point (symbolic link, junction) is never followed.
 */
#ifndef OP_XFER_XFER_PATH_H
#define OP_XFER_XFER_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef _WIN32
/* The open flags mingw's CRT lacks, beyond its own _O_ bits, for
 * xfer_openat on Windows (xfer-path-win.c never follows a reparse point
 * and makes no inheritable handle, whatever the flags). */
#define O_PATH 0x01000000
#define O_DIRECTORY 0x02000000
#define O_NOFOLLOW 0
#define O_CLOEXEC 0
#ifndef O_NONBLOCK
#define O_NONBLOCK 0 /* regular files only: nothing blocks */
#endif
#endif

#define XFER_NAME_MAX 255  /* bytes per component (NAME_MAX) */
#define XFER_PATH_MAX 4096 /* bytes per path, NUL included (PATH_MAX) */

struct xfer_path {
	/* The first component (a root's name); "" for the top "/". */
	char root[XFER_NAME_MAX + 1];
	/* Below the root, components joined by '/': no empty, "." or ".."
	 * component, no leading or trailing '/'; "" is the root itself. */
	char rel[XFER_PATH_MAX];
};

/*
 * Parses a client path ("/share/a/b", "share/a/", "//share/./a"): '/'
 * separates, empty and "." components are dropped. Refused with
 * OP_ERR_PROTO and a static reason in *why (may be NULL): NULL input,
 * invalid UTF-8, a ".." component; OP_ERR_TOO_LARGE: a component over
 * XFER_NAME_MAX bytes or a result over XFER_PATH_MAX - 1. *out is
 * zeroed first and written only on success.
 */
int xfer_path_parse(const char *in, struct xfer_path *out,
	const char **why);

/*
 * Parses a name relative to a directory (FileEntry.name of an upload:
 * "a/b.txt") into out (normalised like rel above). Refused as above and
 * also when absolute, empty after normalisation, or when a component
 * fails xfer_name_check.
 */
int xfer_relname_parse(const char *in, char *out, size_t outlen,
	const char **why);

/*
 * A single name the host is asked to create (a rename target, a directory
 * or file an upload creates): non-empty, at most XFER_NAME_MAX bytes,
 * valid UTF-8, no '/', not "." or "..", no control characters (C0, DEL),
 * and on Windows none of the above. 0 or OP_ERR_PROTO / OP_ERR_TOO_LARGE
 * with *why.
 */
int xfer_name_check(const char *name, const char **why);

/* Opens a configured root folder (trusted: links are followed here) as
 * the dirfd the calls below take. The fd or -errno. */
int xfer_open_root(const char *path);

/*
 * Opens rel ("" = dirfd itself) beneath dirfd with flags (O_CLOEXEC and
 * O_NOFOLLOW are added; mode when O_CREAT). No symlink anywhere in rel is
 * followed (-ELOOP), nothing outside dirfd is reached (-EXDEV), and with
 * O_PATH the result is never a symlink. Returns the fd or -errno. rel
 * must come from the parsers above (no ".."; -EINVAL otherwise).
 */
int xfer_openat(int dirfd, const char *rel, int flags, mode_t mode);

/* Like xfer_openat for the parent of rel, O_PATH | O_DIRECTORY; *last
 * points into rel at its last component ("" when rel is ""). */
int xfer_open_parent(int dirfd, const char *rel, const char **last);

/*
 * mkdir -p of rel beneath dirfd (each created component must pass
 * xfer_name_check; mode 0755; when running as root the new directory is
 * given to the owner of its parent). Returns an O_PATH | O_DIRECTORY fd
 * of rel, or -errno / OP_ERR_PROTO.
 */
int xfer_mkdirs(int dirfd, const char *rel);

/*
 * Which way xfer_openat resolves: openat2 when the kernel has it (Linux
 * 5.6+), else the component walk. Tests force the walk to cover both.
 */
bool xfer_path_has_openat2(void);
void xfer_path_force_walk(bool walk);

/* A short text for a filesystem error, for the technician
 * ("Symbolic links are not followed", "No space left on device", ...). */
const char *xfer_errno_text(int r);

#endif
