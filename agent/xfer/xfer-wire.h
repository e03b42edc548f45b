/* SPDX-License-Identifier: MIT */
/*
 * The protobuf side of file transfer, for the session: a received
 * FileAction / FileResponse (from wire_msg_unpack) goes to the matching
 * xfer call, and an outbox message becomes the Message to send. xfer.c
 * and its tests never see protobuf; this file is the only mapping between
 * the two (field by field, sint32 file_num included).
 *
 * xfer-uv.h packages the following for a session; without it (one xfer
 * per file-transfer session; every xfer call may block on the
 * filesystem, so each runs in uv_queue_work, one at a time):
 *
 *   work:  xfer_wire_action(x, m->file_action)    or xfer_wire_response
 *          then while (xfer_step(x, allowed) == 1 && budget) ...
 *   after: while ((xm = xfer_take_msg(x)))  xfer_wire_emit(xm, send, ss),
 *          xfer_msg_free(xm);  while ((r = xfer_take_result(x))) audit(r);
 *          again while xfer_pending(x) (XFER_PENDING_SEND only while the
 *          socket's queue has room).
 */
#ifndef OP_XFER_XFER_WIRE_H
#define OP_XFER_XFER_WIRE_H

#include "message.pb-c.h"

struct xfer;
struct xfer_msg;

/*
 * Hands a client's FileAction to xfer (read_dir, send, receive, create,
 * remove_dir, remove_file, all_files, cancel, send_confirm, rename,
 * read_empty_dirs). A send_confirm without skip or offset_blk, and a send
 * of file_type Printer, are ignored, as RustDesk's host does. Returns the xfer call's result (answers are in
 * the outbox either way), OP_ERR_UNSUPPORTED for an unset or unknown
 * case, OP_ERR_NOMEM.
 */
int xfer_wire_action(struct xfer *x, const Hbb__FileAction *fa);

/* Hands a client's FileResponse of an upload (digest, block, done,
 * error) to xfer. Same returns; dir and empty_dirs from a client are
 * OP_ERR_UNSUPPORTED. */
int xfer_wire_response(struct xfer *x, const Hbb__FileResponse *fr);

/* Sends one Message; the message and what it points to are valid during
 * the call only. */
typedef int (*xfer_wire_send_fn)(void *arg, const Hbb__Message *m);

/*
 * Builds the Message for one outbox message (Message.file_response, or
 * Message.file_action.send_confirm for XFER_MSG_CONFIRM) and passes it to
 * send. Returns send's result, or OP_ERR_NOMEM (send not called).
 */
int xfer_wire_emit(const struct xfer_msg *xm, xfer_wire_send_fn send,
	void *arg);

#endif
