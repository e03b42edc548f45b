/* SPDX-License-Identifier: MIT */
/*
 * The pure parts of terminals: UTF-8 safe chunking of output, RustDesk's
 * zstd use for TerminalData, the account refusals' text and bounds. No
 * I/O, no loop.
 */
#ifdef _WIN32
#define _CRT_RAND_S /* rand_s: RtlGenRandom */
#endif
#include "term/term-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sys/random.h>
#endif

#include <zstd.h>

#include "core/err.h"

#define ZSTD_LEVEL 3 /* hbb_common's compress() */
#define ZSTD_WINDOW_LOG 15
_Static_assert(TERM_CHUNK <= (1 << ZSTD_WINDOW_LOG), "a chunk fits the window");

size_t
term__utf8_split(const uint8_t *buf, size_t len)
{
	size_t stop = len > 3 ? len - 3 : 0;

	for (size_t i = len; i > stop; i--) {
		uint8_t b = buf[i - 1];
		size_t need;

		if (b < 0x80)
			return len;
		if ((b & 0xc0) == 0x80)
			continue; /* a continuation: look for its lead */
		if ((b & 0xe0) == 0xc0)
			need = 2;
		else if ((b & 0xf0) == 0xe0)
			need = 3;
		else if ((b & 0xf8) == 0xf0)
			need = 4;
		else
			return len; /* not a lead byte: nothing to wait for */
		return len - (i - 1) >= need ? len : i - 1;
	}
	return len;
}

void
term__procs_init(struct term__procs *ps)
{
	TAILQ_INIT(&ps->list);
	ps->next_handle = 0;
	ps->live = 0;
}

void
term__procs_add(struct term__procs *ps, struct term__proc *p,
	term_exit_fn on_exit, void *arg)
{
	p->handle = ++ps->next_handle ? ps->next_handle : ++ps->next_handle;
	p->on_exit = on_exit;
	p->arg = arg;
	TAILQ_INSERT_TAIL(&ps->list, p, link);
	ps->live++;
}

term_exit_fn
term__procs_remove(struct term__procs *ps, struct term__proc *p)
{
	TAILQ_REMOVE(&ps->list, p, link);
	ps->live--;
	return p->on_exit;
}

struct term__proc *
term__procs_find(struct term__procs *ps, uint32_t handle, bool forget)
{
	struct term__proc *p;

	TAILQ_FOREACH(p, &ps->list, link)
		if (p->handle == handle) {
			if (forget)
				p->on_exit = NULL;
			return p;
		}
	return NULL;
}

void
term__procs_forget_all(struct term__procs *ps,
	void (*fn)(struct term__proc *p))
{
	struct term__proc *p;

	TAILQ_FOREACH(p, &ps->list, link) {
		p->on_exit = NULL;
		fn(p);
	}
}

void
term__shell_init(struct term_shell *out, const struct term_who *who,
	char *msg)
{
	memset(out, 0, sizeof(*out));
	out->master = -1;
#ifdef _WIN32
	out->input = -1;
#endif
	out->record_fd = -1;
	msg[0] = '\0';
	snprintf(out->user, sizeof(out->user), "%s",
		who->account != NULL ? who->account->name :
		who->user != NULL    ? who->user :
				       "");
}

int
term__account_refusal(const struct term_who *who, char *msg, size_t cap)
{
	const char *user = who->user != NULL ? who->user : "";
	int r = who->account != NULL ? 0 :
		who->account_error != 0 ? who->account_error :
					  OP_ERR_CONFIG;

	switch (r) {
	case 0:
		break;
	case OP_ERR_CONFIG:
		snprintf(msg, cap, "No terminal user is configured on this "
				   "host (policy.terminal.user)");
		break;
	case OP_ERR_NOT_FOUND:
		snprintf(msg, cap, "The terminal user '%s' does not exist on "
				   "this host", user);
		break;
	case OP_ERR_RANGE:
		snprintf(msg, cap, "The terminal user '%s' is in too many "
				   "groups", user);
		break;
	default:
		snprintf(msg, cap, "The terminal user '%s' could not be "
				   "looked up: %s", user, op_strerror(r));
		break;
	}
	return r;
}

bool
term__dim_ok(uint32_t rows, uint32_t cols)
{
	return rows >= 1 && rows <= TERM_MAX_DIM && cols >= 1 &&
		cols <= TERM_MAX_DIM;
}

void
term__service_id(char *out, size_t cap)
{
	uint8_t r[16] = { 0 };
	char hex[33];

#ifdef _WIN32
	for (size_t i = 0; i < sizeof(r); i += 4) {
		unsigned v = 0;

		(void)rand_s(&v); /* on failure: 0, only a label */
		memcpy(r + i, &v, 4);
	}
#else
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		/* Only a label for the client's reconnect attempt; never a
		 * secret, so a weaker source is fine. */
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (uint8_t)random();
	}
#endif
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	snprintf(out, cap, "ts_%s", hex);
}

int
term__pack_setup(struct ZSTD_CCtx_s *cc)
{
	/* The window covers a whole chunk, so nothing is lost; fixing it
	 * keeps the context's workspace one size instead of following each
	 * chunk's length (and being reallocated as lengths vary). */
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel,
		    ZSTD_LEVEL)) ||
		ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog,
		    ZSTD_WINDOW_LOG)))
		return OP_ERR_INTERNAL;
	return 0;
}

size_t
term__pack(struct ZSTD_CCtx_s *cc, const uint8_t *src, size_t len,
	uint8_t *dst, size_t cap)
{
	size_t n;

	if (cc == NULL || len <= TERM_COMPRESS_MIN)
		return 0;
	/* One-shot: the frame records its content size, as hbb_common's. */
	n = ZSTD_compress2(cc, dst, cap, src, len);
	if (ZSTD_isError(n) || n >= len)
		return 0;
	return n;
}

int
term__unpack(const uint8_t *src, size_t len, size_t max, uint8_t **out,
	size_t *out_len)
{
	unsigned long long size;
	uint8_t *b;
	size_t n;

	*out = NULL;
	*out_len = 0;
	size = ZSTD_getFrameContentSize(src, len);
	/* hbb_common's compress() always records the size; a frame without
	 * one is not from a stock client. */
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
		return OP_ERR_PROTO;
	if (size > max)
		return OP_ERR_TOO_LARGE;
	if ((b = malloc(size > 0 ? (size_t)size : 1)) == NULL)
		return OP_ERR_NOMEM;
	n = ZSTD_decompress(b, (size_t)size, src, len);
	if (ZSTD_isError(n) || n != size) {
		free(b);
		return OP_ERR_PROTO;
	}
	*out = b;
	*out_len = n;
	return 0;
}
