/* SPDX-License-Identifier: MIT */
/*
 * What term.c needs of the system for one terminal's pty, one
 * implementation per system so the host logic (ids, caps, flow control,
 * draining, zstd) is shared: term-io-unix.c (the pty master, watched
 * with a uv_poll, read and written without blocking) and term-io-win.c
 * (ConPTY's two pipes as libuv streams). The shells themselves are the
 * spawner's (term-direct.c, term-direct-win.c).
 */
#ifndef OP_TERM_TERM_OS_H
#define OP_TERM_TERM_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct term;
struct term_host;

/* Wraps t->c's pty ends in loop handles (counted in t->handles); 0 or a
 * libuv error, after which term__abandon cleans up. */
int term__io_start(struct term_host *h, struct term *t);
/* Reads output while want_read, waits to write while want_write. */
void term__io_want(struct term *t, bool want_read, bool want_write);
/* Closes the handles (and with them the pty ends); idempotent. */
void term__io_close(struct term *t);
/* The pty ends when term__io_start never ran. */
void term__io_release(struct term *t);
/* Writes what the pty takes now: how many of len bytes it took, len
 * when the pty is gone (nobody reads). */
size_t term__io_write(struct term *t, const uint8_t *data, size_t len);
/* The new size: 0 or an error. */
int term__io_resize(struct term *t, uint16_t rows, uint16_t cols);

/* term.c's side, called by the implementations from the loop: */
/* rbuf[0..total) holds output (the carry included); eof: no more. */
void term__on_output(struct term *t, size_t total, bool eof);
/* May the session take output now? false pauses every terminal. */
bool term__may_read(struct term *t);
/* The pty takes input again. */
void term__on_writable(struct term *t);
/* The pty failed or hung up. */
void term__on_io_eof(struct term *t);
/* A handle of t's closed (uv_close callback). */
void term__on_handle_closed(struct term *t);

#endif
