/* SPDX-License-Identifier: MIT */
/*
 * File transfer, host side (spec §11): RustDesk's FileAction requests and
 * the client's FileResponse messages of an upload go in as plain structs,
 * the host's FileResponse messages (and the FileAction.send_confirm of an
 * upload) come out of an outbox, and one audit result per file comes out
 * of a result queue. No protobuf and no loop: the session converts, sends
 * and schedules.
 *
 * Namespace. The technician sees the configured roots
 * (policy.files.roots) as top-level directories of a virtual tree: root
 * "/srv/share" is "/share" (its basename; duplicates get "-2", "-3"),
 * "/" lists the roots, and nothing else exists. Every path a client sends
 * ("/share/a/b", with or without the leading '/') is split into root +
 * relative path, ".." is refused outright, and each filesystem access is
 * made relative to the root's directory fd with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), or a component walk with
 * O_NOFOLLOW where openat2 is missing: no symlink is ever followed,
 * whether in the middle, at the end, or swapped in during the walk.
 * Listings show symlinks (FileLink) without following them.
 *
 * Threads. A struct xfer belongs to one session and is not thread-safe.
 * Every function below except xfer_pending, xfer_take_* and the frees
 * may block on filesystem I/O, but each does a bounded amount of it: one
 * listing (at most max_files entries), one block of at most
 * XFER_BLOCK_SIZE bytes, one prefix-hash chunk of XFER_HASH_CHUNK bytes,
 * or one finalisation (fsync + rename). The session runs them in
 * uv_queue_work, one at a time per xfer, and drains the outbox and the
 * results on the loop thread in the after-work callback.
 *
 * Memory is bounded: files are streamed block by block, the outbox holds
 * what the calls since the last drain produced (at most one block per
 * xfer_step), listings are capped by max_files.
 */
#ifndef OP_XFER_XFER_H
#define OP_XFER_XFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xfer;

/* Bytes of file data per FileTransferBlock (RustDesk's 128 KiB). */
#define XFER_BLOCK_SIZE (128 * 1024)
/* Bytes hashed per xfer_step when a resumed file's prefix is hashed. */
#define XFER_HASH_CHUNK (4 * 1024 * 1024)
#define XFER_DEFAULT_MAX_FILES 10000
/* Concurrent jobs (sends + receives) per xfer. */
#define XFER_MAX_JOBS 16

/* policy.allow.file_transfer: off = 0, download, upload, both. */
#define XFER_ALLOW_DOWNLOAD 1u /* host -> client: FileAction.send */
/* client -> host: receive, create, remove_file, remove_dir, rename */
#define XFER_ALLOW_UPLOAD 2u

/* RustDesk's FileType values (FileEntry.entry_type). */
enum xfer_entry_type {
	XFER_ENTRY_DIR = 0,
	XFER_ENTRY_DIR_LINK = 2,
	XFER_ENTRY_FILE = 4,
	XFER_ENTRY_FILE_LINK = 5,
};

struct xfer_root {
	const char *path; /* a host directory, absolute */
	const char *name; /* what the client sees; NULL: the basename */
	bool read_only;   /* no upload, create, remove or rename below it */
};

struct xfer_config {
	unsigned allow; /* XFER_ALLOW_* */
	const struct xfer_root *roots;
	size_t nroots;
	uint64_t max_file_bytes; /* policy.files.max_bytes; 0: no limit */
	uint64_t max_job_bytes;  /* per send/receive; 0: no limit */
	uint32_t max_files;      /* per listing and job; 0: the default */
	/* Clients >= 1.1.10 exchange a digest and a confirmation before each
	 * file (spec §11.4/11.5); older ones do not. */
	bool overwrite_detection;
};

/* What the session hands in (borrowed for the duration of the call). */
struct xfer_file_entry { /* FileTransferReceiveRequest.files[i] */
	const char *name;
	uint64_t size;
	uint64_t mtime;
};

struct xfer_digest { /* FileTransferDigest, both directions */
	int32_t id;
	int32_t file_num;
	uint64_t last_modified;
	uint64_t file_size;
	uint64_t transferred_size;
	bool is_upload;
	bool is_identical;
	bool is_resume;
};

struct xfer_confirm { /* FileTransferSendConfirmRequest */
	int32_t id;
	int32_t file_num;
	bool skip;       /* oneof skip */
	uint32_t offset; /* oneof offset_blk: a byte offset despite its name */
};

struct xfer_block { /* FileTransferBlock from the client */
	int32_t id;
	int32_t file_num;
	const uint8_t *data;
	size_t len;
	bool compressed;
};

/* What comes out: one message to send. */
enum xfer_msg_kind {
	XFER_MSG_DIR,        /* FileResponse.dir {id, path, entries} */
	XFER_MSG_BLOCK,      /* FileResponse.block {id, file_num, data, compressed} */
	XFER_MSG_ERROR,      /* FileResponse.error {id, error, file_num} */
	XFER_MSG_DONE,       /* FileResponse.done {id, file_num} */
	XFER_MSG_DIGEST,     /* FileResponse.digest {digest} */
	XFER_MSG_EMPTY_DIRS, /* FileResponse.empty_dirs {path, dirs[i]: FileDirectory{path}} */
	XFER_MSG_CONFIRM,    /* FileAction.send_confirm {id, file_num, skip | offset_blk} */
};

struct xfer_entry {
	enum xfer_entry_type type;
	char *name;
	bool hidden;
	uint64_t size;
	uint64_t mtime; /* Unix seconds */
};

struct xfer_msg {
	enum xfer_msg_kind kind;
	int32_t id;
	int32_t file_num;
	char *path;                 /* DIR, EMPTY_DIRS */
	struct xfer_entry *entries; /* DIR */
	size_t nentries;
	char **dirs; /* EMPTY_DIRS */
	size_t ndirs;
	uint8_t *data; /* BLOCK (NULL when len is 0) */
	size_t len;
	bool compressed;
	char *error;               /* ERROR: for the technician's eyes */
	struct xfer_digest digest; /* DIGEST */
	bool skip;                 /* CONFIRM */
	uint32_t offset;           /* CONFIRM */
	struct xfer_msg *next;     /* private */
};

/* One audit record per file moved or changed. */
enum xfer_op {
	XFER_OP_DOWNLOAD,
	XFER_OP_UPLOAD,
	XFER_OP_MKDIR,
	XFER_OP_REMOVE_FILE,
	XFER_OP_REMOVE_DIR,
	XFER_OP_RENAME,
};

enum xfer_outcome {
	XFER_OK,
	XFER_SKIPPED,     /* the client chose to skip it */
	XFER_FAILED,      /* error says why; a partial upload was removed */
	XFER_CANCELLED,   /* FileAction.cancel; a partial upload was removed */
	XFER_INTERRUPTED, /* xfer_shutdown; a partial upload is kept to resume */
};

struct xfer_result {
	enum xfer_op op;
	enum xfer_outcome outcome;
	int32_t id;
	int32_t file_num;
	char *path;      /* as the client names it: "/share/a.txt" */
	char *host_path; /* root path + relative path, for the admin */
	char *new_path;  /* RENAME: the new client path */
	uint64_t size;   /* the file's size (OK: the whole file) */
	uint64_t offset; /* resumed from this byte */
	uint64_t bytes;  /* file bytes moved by this session */
	bool has_sha256; /* OK transfers: SHA-256 of the whole file */
	uint8_t sha256[32];
	char *error; /* FAILED */
	struct xfer_result *next; /* private */
};

/*
 * Opens the roots (each must be an existing directory; its own path may
 * contain symlinks, it is the admin's). Returns 0 and *out, or a negative
 * error with a one-line reason naming the root in err: -errno from open,
 * OP_ERR_CONFIG (not a directory, no roots, a bad name), OP_ERR_NOMEM.
 */
int xfer_new(const struct xfer_config *cfg, struct xfer **out, char *err,
	size_t errlen);
/* Closes everything; queued messages and results are dropped (drain
 * them first). Partial uploads stay on disk for a later resume. NULL is
 * a no-op. */
void xfer_free(struct xfer *self);
/* Ends every job (the connection is gone): results XFER_INTERRUPTED are
 * queued, partial uploads are kept for a resume. */
void xfer_shutdown(struct xfer *self);

/*
 * Client requests (FileAction). Each queues its answer; when the request
 * fails the answer is a FileTransferError (or nothing, for read_dir and
 * read_empty_dirs, as RustDesk's host does: see xfer_read_dir) and the
 * negative code is returned for the session's log only: a failed request
 * never ends the session. OP_ERR_NOMEM is the only local failure.
 */

/* FileAction.read_dir. "" and "/" list the roots. On failure the error
 * is queued as XFER_MSG_ERROR with id 0 and file_num 0: stock hosts send
 * nothing, so the session may drop it (a stock client matches errors to
 * jobs by id). */
int xfer_read_dir(struct xfer *self, const char *path, bool include_hidden);
/* FileAction.read_empty_dirs: the empty directories below path. */
int xfer_read_empty_dirs(struct xfer *self, const char *path,
	bool include_hidden);
/* FileAction.all_files: the regular files below path, recursively, names
 * relative with '/'; errors with file_num -1 (as RustDesk). */
int xfer_all_files(struct xfer *self, int32_t id, const char *path,
	bool include_hidden);
/* FileAction.create: mkdir -p. done{id, 0} or error{id, .., 0}. */
int xfer_create_dir(struct xfer *self, int32_t id, const char *path);
/* FileAction.remove_file (a symlink is removed, never followed). */
int xfer_remove_file(struct xfer *self, int32_t id, const char *path,
	int32_t file_num);
/* FileAction.remove_dir: rmdir; recursive also removes empty
 * subdirectories and symlinks (files stay: clients delete them one by one
 * first), then fails with "Directory not empty" if anything is left. */
int xfer_remove_dir(struct xfer *self, int32_t id, const char *path,
	bool recursive);
/* FileAction.rename: new_name is a bare name in the same directory; an
 * existing new_name is not replaced. */
int xfer_rename(struct xfer *self, int32_t id, const char *path,
	const char *new_name);
/* FileAction.send (download): queues dir{id, path, files} now; blocks
 * come from xfer_step. file_num > 0 resumes a multi-file job there. */
int xfer_send(struct xfer *self, int32_t id, const char *path,
	bool include_hidden, int32_t file_num);
/* FileAction.receive (upload into path; a single file has name "" and
 * path is the file). Nothing is queued on success (RustDesk waits for the
 * client's digest). */
int xfer_receive(struct xfer *self, int32_t id, const char *path,
	const struct xfer_file_entry *files, size_t nfiles, int32_t file_num,
	uint64_t total_size);
/* FileAction.send_confirm, for a send (answer to our digest) or a
 * receive (answer to the digest we sent back). */
int xfer_confirm(struct xfer *self, const struct xfer_confirm *c);
/* FileAction.cancel: ends the job; a partial upload is removed. */
int xfer_cancel(struct xfer *self, int32_t id);

/* The client's FileResponse during an upload (is_upload digests, blocks,
 * done, error). Unknown job ids are ignored (OP_ERR_NOT_FOUND). */
int xfer_client_digest(struct xfer *self, const struct xfer_digest *d);
int xfer_client_block(struct xfer *self, const struct xfer_block *b);
int xfer_client_done(struct xfer *self, int32_t id, int32_t file_num);
int xfer_client_error(struct xfer *self, int32_t id, int32_t file_num,
	const char *text);

#define XFER_PENDING_SEND 1u /* a download can produce a block */
#define XFER_PENDING_WORK 2u /* hashing or finalising, no output bytes */
/* What xfer_step would do now. No I/O; loop thread. */
unsigned xfer_pending(const struct xfer *self);
/*
 * Does one bounded unit of the work allowed by `what` (XFER_PENDING_*):
 * the session passes XFER_PENDING_WORK always and XFER_PENDING_SEND
 * while its send queue has room (flow control). Jobs take turns.
 * Returns 1 when it did something, 0 when there was nothing to do.
 */
int xfer_step(struct xfer *self, unsigned what);

/* Drain (loop thread, between calls): the oldest queued message or
 * result, now owned by the caller, or NULL. */
struct xfer_msg *xfer_take_msg(struct xfer *self);
void xfer_msg_free(struct xfer_msg *m);
struct xfer_result *xfer_take_result(struct xfer *self);
void xfer_result_free(struct xfer_result *r);
/* Bytes of block data waiting in the outbox. */
size_t xfer_queued_bytes(const struct xfer *self);
/* Number of jobs (sends + receives) in progress. */
unsigned xfer_jobs(const struct xfer *self);

const char *xfer_op_name(enum xfer_op op);           /* "download", ... */
const char *xfer_outcome_name(enum xfer_outcome o);  /* "ok", ... */

#endif
