/* SPDX-License-Identifier: MIT */
/*
 * The runner (xfer-uv.c) and the protobuf mapping (xfer-wire.c) on a real
 * loop: Messages are packed and unpacked with protobuf-c as the session
 * would get them, answers come back through the send callback on the
 * loop thread. A download is confirmed from the send callback, stalls
 * while the session says its queue is full and resumes on a kick; sint32
 * file_num -1 survives the round trip; close in the middle of a job
 * interrupts it, delivers the result and calls closed() later, once.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "core/buf.h"
#include "core/err.h"
#include "th-xfer.h"
#include "th.h"
#include "wire/msg.h"
#include "xfer/xfer-uv.h"
#include "xfer/xfer-wire.h"
#include "xfer/xfer.h"

#define FILE_SIZE (3 * 1024 * 1024 + 5)

struct state {
	uv_loop_t *loop;
	struct xfer_runner *run;
	pthread_t loop_thread;
	bool room;
	unsigned dirs, digests, blocks, dones, errors, results, closed;
	int32_t last_error_file_num;
	char last_error[256];
	size_t data;
	enum xfer_outcome last_outcome;
	bool wrong_thread;
};

/* A Message as the session gets it: packed, then wire_msg_unpack'ed. */
static Hbb__Message *
roundtrip(const Hbb__Message *m)
{
	size_t n = hbb__message__get_packed_size(m);
	uint8_t *buf = malloc(n + 1);
	Hbb__Message *out = NULL;

	hbb__message__pack(m, buf);
	if (wire_msg_unpack(buf, n, WIRE_BUDGET_FOR(n), &out) != 0)
		exit(3);
	free(buf);
	return out;
}

static void
push_confirm(struct state *s, int32_t id, int32_t file_num)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__FileAction fa = HBB__FILE_ACTION__INIT;
	Hbb__FileTransferSendConfirmRequest c =
		HBB__FILE_TRANSFER_SEND_CONFIRM_REQUEST__INIT;

	c.id = id;
	c.file_num = file_num;
	c.union_case = HBB__FILE_TRANSFER_SEND_CONFIRM_REQUEST__UNION_OFFSET_BLK;
	fa.union_case = HBB__FILE_ACTION__UNION_SEND_CONFIRM;
	fa.send_confirm = &c;
	m.union_case = HBB__MESSAGE__UNION_FILE_ACTION;
	m.file_action = &fa;
	xfer_runner_push(s->run, roundtrip(&m));
}

static int
on_send(void *arg, const Hbb__Message *m)
{
	struct state *s = arg;
	Hbb__Message *back;
	Hbb__FileResponse *fr;

	if (!pthread_equal(pthread_self(), s->loop_thread))
		s->wrong_thread = true;
	/* What the client would decode. */
	back = roundtrip(m);
	fr = back->file_response;
	if (back->union_case == HBB__MESSAGE__UNION_FILE_RESPONSE) {
		switch (fr->union_case) {
		case HBB__FILE_RESPONSE__UNION_DIR:
			s->dirs++;
			break;
		case HBB__FILE_RESPONSE__UNION_DIGEST:
			s->digests++;
			push_confirm(s, fr->digest->id, fr->digest->file_num);
			break;
		case HBB__FILE_RESPONSE__UNION_BLOCK:
			s->blocks++;
			s->data += fr->block->data.len;
			break;
		case HBB__FILE_RESPONSE__UNION_DONE:
			s->dones++;
			break;
		case HBB__FILE_RESPONSE__UNION_ERROR:
			s->errors++;
			s->last_error_file_num = fr->error->file_num;
			snprintf(s->last_error, sizeof(s->last_error), "%s",
				fr->error->error);
			break;
		default:
			break;
		}
	}
	wire_msg_free(back);
	return 0;
}

static void
on_result(void *arg, const struct xfer_result *r)
{
	struct state *s = arg;

	s->results++;
	s->last_outcome = r->outcome;
}

static bool
on_room(void *arg)
{
	return ((struct state *)arg)->room;
}

static void
on_closed(void *arg)
{
	((struct state *)arg)->closed++;
}

static void
push_action(struct state *s, Hbb__FileAction *fa)
{
	Hbb__Message m = HBB__MESSAGE__INIT;

	m.union_case = HBB__MESSAGE__UNION_FILE_ACTION;
	m.file_action = fa;
	ASSERT_INT_EQ(xfer_runner_push(s->run, roundtrip(&m)), 0);
}

static void
run_until(struct state *s, bool (*done)(struct state *))
{
	for (int i = 0; i < 2000 && !done(s); i++)
		uv_run(s->loop, UV_RUN_ONCE);
}

static bool
got_done(struct state *s)
{
	return s->dones > 0;
}

static bool
got_error(struct state *s)
{
	return s->errors > 0;
}

static bool
is_closed(struct state *s)
{
	return s->closed > 0;
}

static void
test_runner(void)
{
	uv_loop_t loop;
	struct state s = {.loop = &loop, .room = true};
	struct xfer_root root = {.path = tp("share")};
	struct xfer_config cfg = {.allow = 3, .roots = &root, .nroots = 1,
		.overwrite_detection = true};
	struct xfer_runner_cbs cbs = {.send = on_send, .result = on_result,
		.room = on_room, .arg = &s};
	struct xfer *x = NULL;
	Hbb__FileAction fa = HBB__FILE_ACTION__INIT;
	Hbb__ReadDir rd = HBB__READ_DIR__INIT;
	Hbb__ReadAllFiles af = HBB__READ_ALL_FILES__INIT;
	Hbb__FileTransferSendRequest sr = HBB__FILE_TRANSFER_SEND_REQUEST__INIT;

	uv_loop_init(&loop);
	s.loop_thread = pthread_self();
	ASSERT_INT_EQ(xfer_new(&cfg, &x, NULL, 0), 0);
	ASSERT_INT_EQ(xfer_runner_new(&loop, x, &cbs, &s.run), 0);
	rd.path = "/share";
	fa.union_case = HBB__FILE_ACTION__UNION_READ_DIR;
	fa.read_dir = &rd;
	push_action(&s, &fa);
	/* all_files errors carry file_num -1: a sint32 on the wire. */
	af.id = 4;
	af.path = "/share/missing";
	fa.union_case = HBB__FILE_ACTION__UNION_ALL_FILES;
	fa.all_files = &af;
	push_action(&s, &fa);
	run_until(&s, got_error);
	ASSERT_INT_EQ(s.dirs, 1);
	ASSERT_INT_EQ(s.last_error_file_num, -1);
	ASSERT_STR_CONTAINS(s.last_error, "No such file or directory");
	/* A download, confirmed from the send callback. */
	sr.id = 7;
	sr.path = "/share/big.bin";
	fa.union_case = HBB__FILE_ACTION__UNION_SEND;
	fa.send = &sr;
	push_action(&s, &fa);
	s.room = false; /* the session's queue is full */
	for (int i = 0; i < 50; i++)
		uv_run(&loop, UV_RUN_NOWAIT), usleep(1000);
	ASSERT_INT_EQ(s.digests, 1);
	ASSERT_INT_EQ(s.blocks, 0); /* nothing while there is no room */
	s.room = true;
	xfer_runner_kick(s.run);
	run_until(&s, got_done);
	ASSERT_INT_EQ(s.dones, 1);
	ASSERT_INT_EQ(s.data, FILE_SIZE);
	ASSERT_INT_EQ(s.blocks, FILE_SIZE / XFER_BLOCK_SIZE + 2);
	ASSERT_INT_EQ(s.results, 1);
	ASSERT_INT_EQ(s.last_outcome, XFER_OK);
	/* Close in the middle of another download. */
	sr.id = 8;
	push_action(&s, &fa);
	uv_run(&loop, UV_RUN_ONCE);
	xfer_runner_close(s.run, on_closed, &s);
	ASSERT_INT_EQ(s.closed, 0); /* never from inside close */
	run_until(&s, is_closed);
	ASSERT_INT_EQ(s.closed, 1);
	ASSERT_INT_EQ(s.results, 2);
	ASSERT_INT_EQ(s.last_outcome, XFER_INTERRUPTED);
	ASSERT(!s.wrong_thread);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
}

static void
test_queue_limit(void)
{
	uv_loop_t loop;
	struct state s = {.loop = &loop, .room = true};
	struct xfer_root root = {.path = tp("share")};
	struct xfer_config cfg = {.allow = 3, .roots = &root, .nroots = 1};
	struct xfer_runner_cbs cbs = {.send = on_send, .arg = &s};
	struct xfer *x = NULL;
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__FileAction fa = HBB__FILE_ACTION__INIT;
	Hbb__ReadDir rd = HBB__READ_DIR__INIT;
	int r = 0;

	uv_loop_init(&loop);
	s.loop_thread = pthread_self();
	ASSERT_INT_EQ(xfer_new(&cfg, &x, NULL, 0), 0);
	ASSERT_INT_EQ(xfer_runner_new(&loop, x, &cbs, &s.run), 0);
	rd.path = "/share";
	fa.union_case = HBB__FILE_ACTION__UNION_READ_DIR;
	fa.read_dir = &rd;
	m.union_case = HBB__MESSAGE__UNION_FILE_ACTION;
	m.file_action = &fa;
	/* A client that floods faster than the worker: refused past the cap,
	 * without the loop ever turning. */
	for (int i = 0; i < XFER_RUNNER_MAX_QUEUE + 10 && r == 0; i++)
		r = xfer_runner_push(s.run, roundtrip(&m));
	ASSERT_INT_EQ(r, OP_ERR_TOO_LARGE);
	xfer_runner_close(s.run, NULL, NULL);
	ASSERT_INT_EQ(xfer_runner_push(s.run, roundtrip(&m)), OP_ERR_STATE);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
}

int
main(void)
{
	uint8_t *data = malloc(FILE_SIZE);

	th_tmp_make();
	th_mkdir("share");
	th_fill_random(data, FILE_SIZE, 9);
	th_write("share/big.bin", data, FILE_SIZE);
	free(data);
	RUN(test_runner);
	RUN(test_queue_limit);
	th_rm_tree(th_tmp);
	return th_done();
}
