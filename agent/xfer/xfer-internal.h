/* SPDX-License-Identifier: MIT */
/*
 * Shared by the xfer files: the object, its jobs, the outbox and result
 * helpers (xfer.c), the listings (xfer-fs.c), downloads (xfer-send.c)
 * and uploads (xfer-recv.c).
 */
#ifndef OP_XFER_XFER_INTERNAL_H
#define OP_XFER_XFER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xfer/xfer-path.h"
#include "xfer/xfer.h"

/* The per-file SHA-256 (every transferred byte is hashed for the audit
 * record). Linux: nettle, whose x86 SHA-NI code is 3-4x libsodium's
 * portable one. Windows: libsodium, already cross-built (nettle is not). */
#ifdef _WIN32
#include <sodium/crypto_hash_sha256.h>
#define XFER_SHA256_SIZE crypto_hash_sha256_BYTES
typedef crypto_hash_sha256_state xfer_sha256;
#define xfer_sha256_init(c) ((void)crypto_hash_sha256_init(c))
#define xfer_sha256_update(c, n, p) \
	((void)crypto_hash_sha256_update((c), (p), (n)))
#define xfer_sha256_final(c, out) ((void)crypto_hash_sha256_final((c), (out)))
#else
#include <nettle/sha2.h>
#define XFER_SHA256_SIZE SHA256_DIGEST_SIZE
typedef struct sha256_ctx xfer_sha256;
#define xfer_sha256_init(c) sha256_init(c)
#define xfer_sha256_update(c, n, p) sha256_update((c), (n), (p))
#define xfer_sha256_final(c, out) sha256_digest((c), SHA256_DIGEST_SIZE, (out))
#endif

/* Uploads in progress: ".outpost-part-<hash>-<size>-<mtime>". */
#define XFER_PART_PREFIX ".outpost-part-"

struct xfer_root_state {
	char *name;
	char *path;
	int fd; /* O_PATH | O_DIRECTORY (a directory handle on Windows) */
	bool read_only;
};

/* A path a request named, resolved to a root. */
struct xfer_target {
	struct xfer_root_state *root; /* NULL: the virtual top "/" */
	struct xfer_path p;
	char vpath[XFER_PATH_MAX + XFER_NAME_MAX + 2]; /* "/root/rel" */
};

struct xfer_file {
	char *name; /* relative to the job's base; "" = the base itself */
	uint64_t size;
	uint64_t mtime;
};

enum xfer_job_kind { XFER_JOB_SEND, XFER_JOB_RECV };

/* Per-file states of both job kinds. */
enum xfer_fstate {
	XFER_F_START,    /* not opened yet (send) / waiting for a digest (recv) */
	XFER_F_CONFIRM,  /* our digest is out, waiting for send_confirm */
	XFER_F_PREFIX,   /* resumed: hashing the bytes before the offset */
	XFER_F_STREAM,   /* blocks flow */
	XFER_F_FINISH,   /* recv: done or next file seen, finalise */
	XFER_F_SKIPPED,  /* recv: the client skips this file */
};

struct xfer_job {
	enum xfer_job_kind kind;
	int32_t id;
	struct xfer_root_state *root;
	char *base_rel;   /* the request path below the root */
	char *base_vpath; /* the request path as the client sees it */
	struct xfer_file *files;
	size_t nfiles;
	size_t cur; /* file_num being worked on */
	enum xfer_fstate st;
	int fd;     /* the current file (send) or its part file (recv) */
	int dirfd;  /* recv: the directory the current file goes in */
	char *part; /* recv: the part file's name in dirfd */
	char *leaf;     /* recv: the target's name in dirfd */
	uint64_t pos;      /* next byte read or written */
	uint64_t size;     /* send: size at open; recv: size expected */
	uint64_t mtime;    /* recv: mtime to set */
	uint64_t offset;   /* resumed from */
	uint64_t hash_pos; /* bytes of the file hashed so far */
	uint64_t moved;    /* file bytes moved for the current file */
	uint64_t job_bytes; /* file bytes of the whole job so far */
	xfer_sha256 sha;
	bool target_existed; /* recv: the client agreed to replace it */
	bool no_compress;    /* send: an already compressed file type */
	bool any_skipped;    /* send: the single file was skipped */
	bool hole_tail;      /* recv: the last block was a hole */
	bool live;           /* recv: the current file has no result yet */
	unsigned incompressible; /* send: blocks in a row that did not shrink */
	struct xfer_job *next;
};

struct xfer {
	unsigned allow;
	uint64_t max_file_bytes;
	uint64_t max_job_bytes;
	uint32_t max_files;
	bool overwrite_detection;
	struct xfer_root_state *roots;
	size_t nroots;
	struct xfer_msg *out_head;
	struct xfer_msg *out_tail;
	size_t out_bytes;
	struct xfer_result *res_head;
	struct xfer_result *res_tail;
	struct xfer_job *jobs;
	unsigned njobs;
	int32_t rr_last; /* id of the job that made the last block */
	void *cctx;      /* ZSTD_CCtx, made on first use */
	void *dctx;      /* ZSTD_DCtx */
	uint8_t *buf;    /* ZSTD_compressBound(XFER_BLOCK_SIZE) scratch */
};

/* xfer.c: outbox and results. Return 0 or OP_ERR_NOMEM. */
struct xfer_msg *xfer__msg(struct xfer *self, enum xfer_msg_kind kind,
	int32_t id, int32_t file_num);
void xfer__push(struct xfer *self, struct xfer_msg *m);
/* Queues error{id, "<text>: <vpath>", file_num}; returns r (so callers
 * can `return xfer__error(...)`), OP_ERR_NOMEM when queueing failed. */
int xfer__error(struct xfer *self, int32_t id, int32_t file_num, int r,
	const char *text, const char *vpath);
int xfer__done(struct xfer *self, int32_t id, int32_t file_num);
struct xfer_result *xfer__result(struct xfer *self, enum xfer_op op,
	enum xfer_outcome outcome, int32_t id, int32_t file_num,
	const struct xfer_root_state *root, const char *rel,
	const char *vpath);
void xfer__push_result(struct xfer *self, struct xfer_result *r);
/* Resolves a client path; on failure queues nothing and returns the code
 * with *why. */
int xfer__resolve(struct xfer *self, const char *path,
	struct xfer_target *t, const char **why);
/* Joins base and name ("" = base) into out (XFER_PATH_MAX). */
int xfer__join(char *out, size_t outlen, const char *base, const char *name);
struct xfer_job *xfer__job(struct xfer *self, int32_t id);
struct xfer_job *xfer__job_new(struct xfer *self, enum xfer_job_kind kind,
	int32_t id);
/* A job over files[0..nfiles) beneath t, from file_num on. Takes files
 * only when it returns the job; NULL = no memory. */
struct xfer_job *xfer__job_begin(struct xfer *self, enum xfer_job_kind kind,
	int32_t id, const struct xfer_target *t, struct xfer_file *files,
	size_t nfiles, int32_t file_num);
void xfer__job_free(struct xfer *self, struct xfer_job *job);
void xfer__files_free(struct xfer_file *files, size_t n);
/* The permission a request needs: 0, or the text of the refusal. */
const char *xfer__denied(const struct xfer *self, unsigned need,
	const struct xfer_root_state *root);

/* xfer-fs.c: the recursive file list below base (regular files only,
 * sorted by name, at most max entries and 64 levels). A regular file
 * base gives one entry named "". */
int xfer__list_files(struct xfer *self, const struct xfer_root_state *root,
	const char *base, bool include_hidden, struct xfer_file **out,
	size_t *n);

/* xfer-send.c / xfer-recv.c: one bounded unit of a job; 1 if it did
 * something. The confirm and shutdown handlers of each side. */
int xfer__send_step(struct xfer *self, struct xfer_job *job);
bool xfer__send_ready(const struct xfer_job *job);
int xfer__send_confirm(struct xfer *self, struct xfer_job *job,
	const struct xfer_confirm *c);
void xfer__send_end(struct xfer *self, struct xfer_job *job,
	enum xfer_outcome outcome, const char *error);
int xfer__recv_step(struct xfer *self, struct xfer_job *job);
bool xfer__recv_ready(const struct xfer_job *job);
int xfer__recv_confirm(struct xfer *self, struct xfer_job *job,
	const struct xfer_confirm *c);
void xfer__recv_end(struct xfer *self, struct xfer_job *job,
	enum xfer_outcome outcome, const char *error);

#endif
