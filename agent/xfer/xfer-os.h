/* SPDX-License-Identifier: MIT */
/*
 * The file operations the xfer jobs need beyond xfer-path.h's openers,
 * one implementation per system (xfer-os-unix.c, xfer-os-win.c), so the
 * listing and transfer logic (xfer-fs.c, -send, -recv) is shared. Every
 * name is a single component relative to a directory fd from the
 * openers; nothing here follows a symbolic link or reparse point. fds
 * are CRT fds on Windows (a handle each). Errors are -errno.
 */
#ifndef OP_XFER_XFER_OS_H
#define OP_XFER_XFER_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Host paths (the configured roots): the system's separator ('/', on
 * Windows also '\\'), and whether a root's path is absolute ("/srv";
 * on Windows "C:\\data" or "\\\\server\\share"). */
bool xfer_os_is_sep(char c);
bool xfer_os_absolute(const char *path);

enum xfer_os_type {
	XFER_OS_GONE,  /* vanished between listing and stat */
	XFER_OS_REG,
	XFER_OS_DIR,
	XFER_OS_LINK,  /* symbolic link, junction: never followed */
	XFER_OS_OTHER, /* FIFO, device, socket */
};

struct xfer_os_stat {
	enum xfer_os_type type;
	uint64_t size;  /* regular files */
	uint64_t mtime; /* seconds since 1970 (the protocol's unit), >= 0 */
	uint32_t uid, gid, mode; /* POSIX only (0 on Windows) */
};

int xfer_os_fstat(int fd, struct xfer_os_stat *st);
/* name beneath dirfd, not followed; -ENOENT when nothing is there. */
int xfer_os_statat(int dirfd, const char *name, struct xfer_os_stat *st);

/* A directory being read: entries in no order, "." and ".." left out. */
struct xfer_os_dir;
/* Takes fd (a directory opened O_RDONLY | O_DIRECTORY) in all cases. */
int xfer_os_dir_open(int fd, struct xfer_os_dir **out);
/* The next name (valid until the next call): 1, 0 at the end, or -errno. */
int xfer_os_dir_next(struct xfer_os_dir *d, const char **name);
/* The last entry's stat (type XFER_OS_GONE if it vanished). */
void xfer_os_dir_stat(struct xfer_os_dir *d, struct xfer_os_stat *st);
/* The directory's own fd, for the calls here (owned by d). */
int xfer_os_dir_fd(struct xfer_os_dir *d);
void xfer_os_dir_close(struct xfer_os_dir *d);

/* The directory fd (even one opened O_PATH) again, for reading. */
int xfer_os_reopen_dir(int fd);
/* Opens name beneath dirfd with open(2) flags (O_RDONLY | O_DIRECTORY,
 * O_RDWR, O_RDWR | O_CREAT | O_EXCL); a link fails. mode: POSIX only (a
 * new file gets the folder's inherited DACL on Windows). */
int xfer_os_open(int dirfd, const char *name, int flags, mode_t mode);

/* Removes name (a link itself, not its target); dir: an empty folder. */
int xfer_os_remove(int dirfd, const char *name, bool dir);
/* Renames from to to, both in dirfd; without replace an existing to is
 * -EEXIST and left alone. */
int xfer_os_rename(int dirfd, const char *from, const char *to,
	bool replace);

/* An exclusive lock, without waiting (-EBUSY when another holds it); it
 * lasts until fd is closed and does not stop reads or writes. */
int xfer_os_lock(int fd);
/* Positioned reads and writes (may be short); -errno. */
ssize_t xfer_os_pread(int fd, void *p, size_t len, uint64_t off);
ssize_t xfer_os_pwrite(int fd, const void *p, size_t len, uint64_t off);
int xfer_os_truncate(int fd, uint64_t size);
int xfer_os_set_mtime(int fd, uint64_t mtime);
int xfer_os_sync(int fd);
/* Makes a rename in dirfd durable (Windows' journal does that itself). */
void xfer_os_sync_dir(int dirfd);
/* A hint that fd is read from start to end. */
void xfer_os_sequential(int fd);

/* When the agent runs as root, gives fd to the owner of the folder
 * dirfd (best effort). Nothing on Windows: the file has inherited the
 * folder's DACL. */
void xfer_os_own_like_dir(int fd, int dirfd);
/* A finished upload's mode: the file it replaces' (`like`, whose owner
 * it also gets as root) or 0644 (like NULL). 0 on Windows, where the
 * inherited DACL stays. */
int xfer_os_set_mode(int fd, const struct xfer_os_stat *like);

#endif
