/* SPDX-License-Identifier: MIT */
/*
 * The part of a clipboard backend that moves bytes through file
 * descriptors, shared by the Wayland-style backends (wlr data-control,
 * Mutter's RemoteDesktop clipboard): the owner of the clipboard writes a
 * type into a pipe we read, and we write our items into the fds readers
 * hand us. Reading takes text, then PNG (each stage asks the backend for
 * an fd, which may skip it), bounded by max bytes per item and by
 * CLIP_PIPE_READ_TIMEOUT_MS; text must be UTF-8. Sending serves our copy
 * of the items, at most CLIP_PIPE_MAX_SENDS at once, each dropped after
 * CLIP_PIPE_SEND_IDLE_MS. All on the loop thread.
 */
#ifndef OP_CLIPBOARD_CLIPBOARD_PIPE_H
#define OP_CLIPBOARD_CLIPBOARD_PIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "clipboard/clipboard.h"

/* The text types a Wayland-style clipboard offers, best first; we serve
 * the first CLIP_TEXT_SERVED (STRING would be Latin-1). */
extern const char *const clipboard__text_mimes[5];
#define CLIP_TEXT_SERVED 4
#define CLIP_PNG_MIME "image/png"
/* 1 + the index of m in clipboard__text_mimes, or 0. */
int clipboard__text_mime_rank(const char *m);

#define CLIP_PIPE_READ_TIMEOUT_MS 3000
#define CLIP_PIPE_SEND_IDLE_MS 10000
#define CLIP_PIPE_MAX_SENDS 8

/* The fd (non-blocking, ours to close) that the clipboard's owner writes
 * format into; OP_ERR_NOT_FOUND skips the format, another error ends the
 * read with it. */
typedef int (*clip_pipe_receive_fn)(void *be, enum clipboard_format format,
	int *fd);
/* A send finished (ok: everything written); tag is clip_pipe_send's. */
typedef void (*clip_pipe_sent_fn)(void *be, uint32_t tag, bool ok);

struct clip_pipe_send;

struct clip_pipe {
	uv_loop_t *loop;
	size_t max;
	clip_pipe_receive_fn receive;
	clip_pipe_sent_fn sent; /* may be NULL */
	void *be;
	uv_timer_t timer; /* read timeout / deferred completion */
	/* our items, served to readers */
	struct clipboard_item items[CLIPBOARD_MAX_ITEMS];
	int nitems;
	/* the read in progress */
	bool reading;
	clipboard_read_fn done;
	void *done_arg;
	int stage; /* 0 text, 1 png */
	uv_poll_t *rpoll;
	int rfd;
	uint8_t *rbuf;
	size_t rlen, rcap;
	struct clipboard_item got[CLIPBOARD_MAX_ITEMS];
	int ngot;
	int rstatus;
	bool deferred; /* completes from the timer with rstatus */
	struct clip_pipe_send *sends[CLIP_PIPE_MAX_SENDS];
};

/* Initialises p and its timer (a handle: clipboard__pipe_close closes
 * it). */
void clipboard__pipe_init(struct clip_pipe *p, uv_loop_t *loop, size_t max,
	clip_pipe_receive_fn receive, clip_pipe_sent_fn sent, void *be);

/* Starts a read (see clipboard_read). unavailable != 0: the clipboard
 * is empty or gone; done then runs from the loop with that status. */
int clipboard__pipe_read(struct clip_pipe *p, int unavailable,
	clipboard_read_fn done, void *arg);

/* A read answered with our own copy (from the loop): for a clipboard
 * that cannot read back what we set. */
int clipboard__pipe_read_own(struct clip_pipe *p, clipboard_read_fn done,
	void *arg);

/* Validates items (size, UTF-8) and keeps a copy, replacing the last. */
int clipboard__pipe_keep(struct clip_pipe *p,
	const struct clipboard_item *items, int n);
void clipboard__pipe_drop(struct clip_pipe *p);
/* Our copy of format, or NULL. */
const struct clipboard_item *clipboard__pipe_item(const struct clip_pipe *p,
	enum clipboard_format format);

/* Writes our copy of format into fd (taken, also on failure). Returns 0,
 * or an error when nothing will be sent (sent() is not called then). */
int clipboard__pipe_send(struct clip_pipe *p, enum clipboard_format format,
	int fd, uint32_t tag);

/* Ends the read (no callback) and every send, frees the items, and
 * closes the timer with cb; cb finds the backend (be) in its data. */
void clipboard__pipe_close(struct clip_pipe *p, uv_close_cb cb);

/* ---- the backends' connection ------------------------------------------*/

/*
 * What a pipe backend (wlr, mutter) holds besides its connection: the
 * first member of its state, so that the shared open and close below
 * serve both and the last handle's close frees the state. be, in the
 * callbacks, is that state.
 */
struct clip_conn {
	uv_loop_t *loop;
	struct clipboard *pub; /* what changed() is given */
	clipboard_changed_fn changed; /* NULL until the connection is up */
	void *arg;
	uv_poll_t poll; /* on the connection's fd */
	int handles; /* initialised handles not yet closed */
	bool gone, closing;
	struct clip_pipe pipe;
};

/*
 * The start of a backend's open: *out = NULL, err "", and a zeroed state
 * of size bytes (a struct whose first member is a struct clip_conn) with
 * loop, pub and arg; NULL when out of memory.
 */
void *clipboard__conn_new(size_t size, uv_loop_t *loop,
	struct clipboard *pub, void *arg, void **out, char *err,
	size_t errlen);

/*
 * Once connected: changed set, the pipe initialised (receive, sent: see
 * clipboard__pipe_init) and a poll on fd started with on_poll, each
 * counted in c->handles. On failure: the reason in err, closing set, the
 * poll (when initialised) and the pipe closed; the caller then closes
 * its own handles (counted in c->handles beforehand, closed with
 * clipboard__conn_closed) and its connection. 0 or libuv's error.
 */
int clipboard__conn_start(struct clip_conn *c, clipboard_changed_fn changed,
	size_t max, clip_pipe_receive_fn receive, clip_pipe_sent_fn sent,
	int fd, uv_poll_cb on_poll, char *err, size_t errlen);

/* Starts closing: closing set, the poll and the pipe closed (before the
 * caller closes the connection's fd); the state is freed once its last
 * handle is closed. */
void clipboard__conn_close(struct clip_conn *c);

/* The close callback of the state's handles: frees it after the last. */
void clipboard__conn_closed(uv_handle_t *h);

#endif
