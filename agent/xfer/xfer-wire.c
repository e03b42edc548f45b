/* SPDX-License-Identifier: MIT */
/*
 * Maps RustDesk's FileAction / FileResponse (protobuf-c structs from
 * wire_msg_unpack) to xfer calls, and xfer's outbox messages back to
 * Messages built on the stack for the session to send. Pure conversion:
 * no I/O beyond what the xfer calls do, no state. Protobuf strings from
 * wire_msg_unpack are already NUL-free UTF-8; xfer checks paths anyway.
 */
#include "xfer/xfer-wire.h"

#include <stdlib.h>

#include "core/err.h"
#include "xfer/xfer.h"

static int
receive(struct xfer *x, const Hbb__FileTransferReceiveRequest *r)
{
	struct xfer_file_entry *v = NULL;
	int ret;

	if (r->n_files > 0 &&
		(v = calloc(r->n_files, sizeof(*v))) == NULL)
		return OP_ERR_NOMEM;
	for (size_t i = 0; i < r->n_files; i++) {
		v[i].name = r->files[i]->name;
		v[i].size = r->files[i]->size;
		v[i].mtime = r->files[i]->modified_time;
	}
	ret = xfer_receive(x, r->id, r->path, v, r->n_files, r->file_num,
		r->total_size);
	free(v);
	return ret;
}

static int
confirm(struct xfer *x, const Hbb__FileTransferSendConfirmRequest *c)
{
	struct xfer_confirm xc = {.id = c->id, .file_num = c->file_num};

	switch (c->union_case) {
	case HBB__FILE_TRANSFER_SEND_CONFIRM_REQUEST__UNION_SKIP:
		xc.skip = c->skip; /* skip=false: confirmed from the start */
		break;
	case HBB__FILE_TRANSFER_SEND_CONFIRM_REQUEST__UNION_OFFSET_BLK:
		xc.offset = c->offset_blk;
		break;
	default:
		return OP_ERR_STATE;
	}
	return xfer_confirm(x, &xc);
}

int
xfer_wire_action(struct xfer *x, const Hbb__FileAction *fa)
{
	switch (fa->union_case) {
	case HBB__FILE_ACTION__UNION_READ_DIR:
		return xfer_read_dir(x, fa->read_dir->path,
			fa->read_dir->include_hidden);
	case HBB__FILE_ACTION__UNION_SEND:
		/* Printer jobs are RustDesk's remote printing, not files: its
		 * host ignores them here too. */
		if (fa->send->file_type ==
			HBB__FILE_TRANSFER_SEND_REQUEST__FILE_TYPE__Printer)
			return OP_ERR_UNSUPPORTED;
		return xfer_send(x, fa->send->id, fa->send->path,
			fa->send->include_hidden, fa->send->file_num);
	case HBB__FILE_ACTION__UNION_RECEIVE:
		return receive(x, fa->receive);
	case HBB__FILE_ACTION__UNION_CREATE:
		return xfer_create_dir(x, fa->create->id, fa->create->path);
	case HBB__FILE_ACTION__UNION_REMOVE_DIR:
		return xfer_remove_dir(x, fa->remove_dir->id,
			fa->remove_dir->path, fa->remove_dir->recursive);
	case HBB__FILE_ACTION__UNION_REMOVE_FILE:
		return xfer_remove_file(x, fa->remove_file->id,
			fa->remove_file->path, fa->remove_file->file_num);
	case HBB__FILE_ACTION__UNION_ALL_FILES:
		return xfer_all_files(x, fa->all_files->id,
			fa->all_files->path, fa->all_files->include_hidden);
	case HBB__FILE_ACTION__UNION_CANCEL:
		return xfer_cancel(x, fa->cancel->id);
	case HBB__FILE_ACTION__UNION_SEND_CONFIRM:
		return confirm(x, fa->send_confirm);
	case HBB__FILE_ACTION__UNION_RENAME:
		return xfer_rename(x, fa->rename->id, fa->rename->path,
			fa->rename->new_name);
	case HBB__FILE_ACTION__UNION_READ_EMPTY_DIRS:
		return xfer_read_empty_dirs(x, fa->read_empty_dirs->path,
			fa->read_empty_dirs->include_hidden);
	default:
		return OP_ERR_UNSUPPORTED;
	}
}

int
xfer_wire_response(struct xfer *x, const Hbb__FileResponse *fr)
{
	switch (fr->union_case) {
	case HBB__FILE_RESPONSE__UNION_DIGEST: {
		const Hbb__FileTransferDigest *d = fr->digest;
		struct xfer_digest xd = {.id = d->id, .file_num = d->file_num,
			.last_modified = d->last_modified,
			.file_size = d->file_size,
			.transferred_size = d->transferred_size,
			.is_upload = d->is_upload,
			.is_identical = d->is_identical,
			.is_resume = d->is_resume};

		return xfer_client_digest(x, &xd);
	}
	case HBB__FILE_RESPONSE__UNION_BLOCK: {
		const Hbb__FileTransferBlock *b = fr->block;
		struct xfer_block xb = {.id = b->id, .file_num = b->file_num,
			.data = b->data.data, .len = b->data.len,
			.compressed = b->compressed};

		return xfer_client_block(x, &xb);
	}
	case HBB__FILE_RESPONSE__UNION_DONE:
		return xfer_client_done(x, fr->done->id, fr->done->file_num);
	case HBB__FILE_RESPONSE__UNION_ERROR:
		return xfer_client_error(x, fr->error->id, fr->error->file_num,
			fr->error->error);
	default:
		return OP_ERR_UNSUPPORTED;
	}
}

/* FileEntry structs and the pointer array protobuf-c wants, in one
 * allocation. */
static Hbb__FileEntry **
entries_new(const struct xfer_entry *v, size_t n)
{
	Hbb__FileEntry **p;
	Hbb__FileEntry *e;

	if ((p = malloc(n * (sizeof(*p) + sizeof(*e)) + 1)) == NULL)
		return NULL;
	e = (Hbb__FileEntry *)(void *)(p + n);
	for (size_t i = 0; i < n; i++) {
		hbb__file_entry__init(&e[i]);
		e[i].entry_type = (Hbb__FileType)v[i].type;
		e[i].name = v[i].name;
		e[i].is_hidden = v[i].hidden;
		e[i].size = v[i].size;
		e[i].modified_time = v[i].mtime;
		p[i] = &e[i];
	}
	return p;
}

static int
emit_empty_dirs(const struct xfer_msg *xm, Hbb__Message *m,
	Hbb__FileResponse *fr, xfer_wire_send_fn send, void *arg)
{
	Hbb__ReadEmptyDirsResponse ed = HBB__READ_EMPTY_DIRS_RESPONSE__INIT;
	Hbb__FileDirectory **p = NULL;
	Hbb__FileDirectory *d;
	int r;

	if (xm->ndirs > 0 && (p = malloc(xm->ndirs * (sizeof(*p) +
					   sizeof(*d)))) == NULL)
		return OP_ERR_NOMEM;
	d = p != NULL ? (Hbb__FileDirectory *)(void *)(p + xm->ndirs) : NULL;
	for (size_t i = 0; i < xm->ndirs; i++) {
		hbb__file_directory__init(&d[i]);
		d[i].path = xm->dirs[i];
		p[i] = &d[i];
	}
	ed.path = xm->path;
	ed.n_empty_dirs = xm->ndirs;
	ed.empty_dirs = p;
	fr->union_case = HBB__FILE_RESPONSE__UNION_EMPTY_DIRS;
	fr->empty_dirs = &ed;
	r = send(arg, m);
	free(p);
	return r;
}

int
xfer_wire_emit(const struct xfer_msg *xm, xfer_wire_send_fn send, void *arg)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__FileResponse fr = HBB__FILE_RESPONSE__INIT;
	Hbb__FileAction fa = HBB__FILE_ACTION__INIT;
	Hbb__FileDirectory dir = HBB__FILE_DIRECTORY__INIT;
	Hbb__FileTransferBlock blk = HBB__FILE_TRANSFER_BLOCK__INIT;
	Hbb__FileTransferError err = HBB__FILE_TRANSFER_ERROR__INIT;
	Hbb__FileTransferDone done = HBB__FILE_TRANSFER_DONE__INIT;
	Hbb__FileTransferDigest dg = HBB__FILE_TRANSFER_DIGEST__INIT;
	Hbb__FileTransferSendConfirmRequest sc =
		HBB__FILE_TRANSFER_SEND_CONFIRM_REQUEST__INIT;
	Hbb__FileEntry **entries = NULL;
	int r;

	m.union_case = HBB__MESSAGE__UNION_FILE_RESPONSE;
	m.file_response = &fr;
	switch (xm->kind) {
	case XFER_MSG_DIR:
		if (xm->nentries > 0 &&
			(entries = entries_new(xm->entries, xm->nentries)) == NULL)
			return OP_ERR_NOMEM;
		dir.id = xm->id;
		dir.path = xm->path;
		dir.n_entries = xm->nentries;
		dir.entries = entries;
		fr.union_case = HBB__FILE_RESPONSE__UNION_DIR;
		fr.dir = &dir;
		break;
	case XFER_MSG_BLOCK:
		blk.id = xm->id;
		blk.file_num = xm->file_num;
		blk.data.data = xm->data;
		blk.data.len = xm->len;
		blk.compressed = xm->compressed;
		fr.union_case = HBB__FILE_RESPONSE__UNION_BLOCK;
		fr.block = &blk;
		break;
	case XFER_MSG_ERROR:
		err.id = xm->id;
		err.file_num = xm->file_num;
		err.error = xm->error;
		fr.union_case = HBB__FILE_RESPONSE__UNION_ERROR;
		fr.error = &err;
		break;
	case XFER_MSG_DONE:
		done.id = xm->id;
		done.file_num = xm->file_num;
		fr.union_case = HBB__FILE_RESPONSE__UNION_DONE;
		fr.done = &done;
		break;
	case XFER_MSG_DIGEST:
		dg.id = xm->digest.id;
		dg.file_num = xm->digest.file_num;
		dg.last_modified = xm->digest.last_modified;
		dg.file_size = xm->digest.file_size;
		dg.is_upload = xm->digest.is_upload;
		dg.is_identical = xm->digest.is_identical;
		dg.transferred_size = xm->digest.transferred_size;
		dg.is_resume = xm->digest.is_resume;
		fr.union_case = HBB__FILE_RESPONSE__UNION_DIGEST;
		fr.digest = &dg;
		break;
	case XFER_MSG_EMPTY_DIRS:
		return emit_empty_dirs(xm, &m, &fr, send, arg);
	case XFER_MSG_CONFIRM:
		sc.id = xm->id;
		sc.file_num = xm->file_num;
		if (xm->skip) {
			sc.union_case =
				HBB__FILE_TRANSFER_SEND_CONFIRM_REQUEST__UNION_SKIP;
			sc.skip = true;
		} else {
			sc.union_case =
				HBB__FILE_TRANSFER_SEND_CONFIRM_REQUEST__UNION_OFFSET_BLK;
			sc.offset_blk = xm->offset;
		}
		fa.union_case = HBB__FILE_ACTION__UNION_SEND_CONFIRM;
		fa.send_confirm = &sc;
		m.union_case = HBB__MESSAGE__UNION_FILE_ACTION;
		m.file_action = &fa;
		break;
	default:
		return OP_ERR_INTERNAL;
	}
	r = send(arg, &m);
	free(entries);
	return r;
}
