/* SPDX-License-Identifier: MIT */
/*
 * The X11 backend's state, split between the reading side
 * (clipboard-x11.c) and the owning side (clipboard-x11-owner.c).
 */
#ifndef OP_CLIPBOARD_CLIPBOARD_X11_H
#define OP_CLIPBOARD_CLIPBOARD_X11_H

#include "clipboard/clipboard-internal.h"

#include <uv.h>
#include <xcb/xcb.h>

#include "clipboard/clipboard.h"

/* An INCR transfer we serve is dropped after this long without the
 * requestor deleting the property. */
#define XFER_IDLE_MS 10000
#define XFER_SWEEP_MS 1000
#define MAX_XFERS 8
#define INCR_MAX_THRESHOLD (256 * 1024)
#define INCR_CHUNK (64 * 1024)
/* Longer TARGETS lists are ignored (UTF8_STRING is tried instead). */
#define MAX_TARGETS 256
#define N_PROPS 4

enum atom_id {
	A_CLIPBOARD,
	A_TARGETS,
	A_TIMESTAMP,
	A_MULTIPLE,
	A_UTF8_STRING,
	A_TEXT,
	A_TEXT_PLAIN_UTF8,
	A_PNG,
	A_INCR,
	A_PROP0, /* N_PROPS properties of ours, used in turn */
	A_COUNT = A_PROP0 + N_PROPS
};

/* What we own: shared by the INCR transfers still serving it. */
struct content {
	unsigned refs;
	uint8_t *data[CLIPBOARD_MAX_ITEMS]; /* [CLIPBOARD_TEXT], [_PNG] */
	size_t len[CLIPBOARD_MAX_ITEMS];
	bool has[CLIPBOARD_MAX_ITEMS];
};

/* One INCR transfer we serve. */
struct xfer {
	bool used;
	xcb_window_t win;
	xcb_atom_t prop;
	xcb_atom_t type;
	struct content *ref;
	uint8_t *owned; /* a converted copy (STRING), else NULL */
	const uint8_t *data;
	size_t len;
	size_t off;
	uint64_t last_ms;
};

enum stage { RS_IDLE, RS_TARGETS, RS_TEXT, RS_PNG };

struct reader {
	clipboard_read_fn done;
	void *arg;
	enum stage stage;
	xcb_atom_t target;
	xcb_atom_t prop;
	bool incr;
	xcb_atom_t type;
	uint8_t *buf;
	size_t len;
	size_t cap;
	xcb_atom_t text_target;
	bool want_png;
	bool too_large;
	uint8_t *item[CLIPBOARD_MAX_ITEMS];
	size_t item_len[CLIPBOARD_MAX_ITEMS];
	bool has[CLIPBOARD_MAX_ITEMS];
};

struct clipboard_x11 {
	uv_loop_t *loop;
	xcb_connection_t *conn;
	xcb_window_t win;
	xcb_atom_t atom[A_COUNT];
	uint8_t xfixes_event;
	size_t max_bytes;
	size_t incr_threshold;
	struct clipboard *pub; /* handed to changed */
	clipboard_changed_fn changed;
	void *arg;
	uv_poll_t poll;
	uv_timer_t read_timer;
	uv_timer_t sweep_timer;
	uv_async_t wake;
	int handles; /* initialised handles not yet closed */
	bool closing;
	bool gone;
	struct content *content; /* non-NULL while we own CLIPBOARD */
	xcb_timestamp_t own_time;
	struct xfer xfer[MAX_XFERS];
	struct reader rd;
	unsigned prop_seq;
	unsigned poisoned; /* bit i: an abandoned INCR may write prop i */
};

/* clipboard-x11-owner.c: what we own and serve. */
void clipboard__selection_request(struct clipboard_x11 *cb,
	xcb_selection_request_event_t *e);
void clipboard__selection_clear(struct clipboard_x11 *cb,
	xcb_selection_clear_event_t *e);
/* A requestor deleted a property: the next chunk of an INCR transfer. */
void clipboard__property_deleted(struct clipboard_x11 *cb,
	xcb_property_notify_event_t *e);
int clipboard__x11_set(void *be, const struct clipboard_item *items, int n);
/* Ends every transfer and drops our copy (connection lost or closing). */
void clipboard__release(struct clipboard_x11 *cb);

/* clipboard-x11.c: flushes, and drains the events queued meanwhile on
 * the next loop iteration (after a reply we waited for). */
void clipboard__kick(struct clipboard_x11 *cb);

#endif
