/* SPDX-License-Identifier: MIT */
/*
 * A stand-in host for file-transfer interop tests until the session
 * serves file transfer: plaintext RustDesk framing on 127.0.0.1 (as a
 * direct-IP session), Hash, any LoginRequest accepted with a PeerInfo,
 * then every FileAction / FileResponse goes through xfer-wire.c to the
 * real xfer module, whose outbox goes back as Messages. Not the agent:
 * no encryption, no password, no policy beyond the xfer config. One
 * connection at a time; the audit results of each are printed on stdout
 * as JSON lines, after a first line {"port": N}.
 *
 *   op-xfer-host PORT ROOT [off|download|upload|both] [max_bytes]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "wire/codec.h"
#include "wire/msg.h"
#include "xfer/xfer-wire.h"
#include "xfer/xfer.h"

#define MAX_FRAME (8 << 20)

struct conn {
	int fd;
	struct opbuf *in;
	struct opbuf *out;
};

static int
send_msg(void *arg, const Hbb__Message *m)
{
	struct conn *c = arg;
	const uint8_t *p;
	size_t n;
	int r;

	opbuf_reset(c->out);
	if ((r = wire_msg_put_framed(c->out, m)) != 0)
		return r;
	p = opbuf_ptr(c->out);
	n = opbuf_len(c->out);
	while (n > 0) {
		ssize_t w = write(c->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
print_result(const struct xfer_result *r)
{
	char hex[65] = "";

	for (int i = 0; r->has_sha256 && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", r->sha256[i]);
	/* Paths come from our own test trees: plain ASCII, no escaping. */
	printf("{\"op\": \"%s\", \"outcome\": \"%s\", \"id\": %d, "
	       "\"file_num\": %d, \"path\": \"%s\", \"size\": %llu, "
	       "\"offset\": %llu, \"bytes\": %llu, \"sha256\": \"%s\", "
	       "\"error\": \"%s\"}\n",
		xfer_op_name(r->op), xfer_outcome_name(r->outcome), r->id,
		r->file_num, r->path, (unsigned long long)r->size,
		(unsigned long long)r->offset, (unsigned long long)r->bytes, hex,
		r->error ? r->error : "");
	fflush(stdout);
}

static int
flush_out(struct xfer *x, struct conn *c)
{
	struct xfer_msg *m;
	struct xfer_result *r;
	int ret = 0;

	while ((m = xfer_take_msg(x)) != NULL) {
		if (ret == 0)
			ret = xfer_wire_emit(m, send_msg, c);
		xfer_msg_free(m);
	}
	while ((r = xfer_take_result(x)) != NULL) {
		print_result(r);
		xfer_result_free(r);
	}
	return ret;
}

static void
login_ok(struct conn *c)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__LoginResponse lr = HBB__LOGIN_RESPONSE__INIT;
	Hbb__PeerInfo pi = HBB__PEER_INFO__INIT;

	pi.username = "tester";
	pi.hostname = "op-xfer-host";
	pi.platform = "Linux";
	pi.version = "1.4.9";
	lr.union_case = HBB__LOGIN_RESPONSE__UNION_PEER_INFO;
	lr.peer_info = &pi;
	m.union_case = HBB__MESSAGE__UNION_LOGIN_RESPONSE;
	m.login_response = &lr;
	send_msg(c, &m);
}

/* Handles one frame payload; < 0 ends the connection. */
static int
on_payload(struct xfer *x, struct conn *c, const uint8_t *p, size_t n)
{
	Hbb__Message *m = NULL;
	int r;

	if ((r = wire_msg_unpack(p, n, WIRE_BUDGET_FOR(n), &m)) != 0)
		return r;
	if (m->union_case == HBB__MESSAGE__UNION_LOGIN_REQUEST)
		login_ok(c);
	else if (m->union_case == HBB__MESSAGE__UNION_FILE_ACTION)
		(void)xfer_wire_action(x, m->file_action);
	else if (m->union_case == HBB__MESSAGE__UNION_FILE_RESPONSE)
		(void)xfer_wire_response(x, m->file_response);
	wire_msg_free(m);
	return flush_out(x, c);
}

/* Reads what is there (waiting up to ms) and handles whole frames. */
static int
pump_in(struct xfer *x, struct conn *c, int ms)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	size_t hl, pl;
	uint8_t *dst;
	ssize_t n;
	int r;

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	if ((r = opbuf_reserve(c->in, 65536, &dst)) != 0)
		return r;
	if ((n = read(c->fd, dst, 65536)) <= 0)
		return -1;
	opbuf_commit(c->in, (size_t)n);
	while ((r = codec_decode(opbuf_ptr(c->in), opbuf_len(c->in), MAX_FRAME,
			&hl, &pl)) == 0) {
		if ((r = on_payload(x, c, opbuf_ptr(c->in) + hl, pl)) != 0)
			return r;
		opbuf_consume(c->in, hl + pl);
	}
	return r == OP_ERR_INCOMPLETE ? 0 : r;
}

static void
serve(int fd, const struct xfer_config *cfg)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Hash h = HBB__HASH__INIT;
	struct conn c = {.fd = fd, .in = opbuf_new(2 * MAX_FRAME),
		.out = opbuf_new(2 * MAX_FRAME)};
	struct xfer *x = NULL;
	char err[256];
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (c.in == NULL || c.out == NULL ||
		xfer_new(cfg, &x, err, sizeof(err)) != 0) {
		fprintf(stderr, "op-xfer-host: %s\n", err);
		goto out;
	}
	h.salt = "salt";
	h.challenge = "challenge";
	m.union_case = HBB__MESSAGE__UNION_HASH;
	m.hash = &h;
	send_msg(&c, &m);
	for (;;) {
		/* Client messages first, then one step of the jobs. */
		if (pump_in(x, &c, xfer_pending(x) ? 0 : 200) != 0)
			break;
		if (xfer_step(x, XFER_PENDING_SEND | XFER_PENDING_WORK) == 1 &&
			flush_out(x, &c) != 0)
			break;
	}
	xfer_shutdown(x);
	flush_out(x, &c);
out:
	xfer_free(x);
	opbuf_free(c.in);
	opbuf_free(c.out);
	close(fd);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	struct xfer_root root = {0};
	struct xfer_config cfg = {.roots = &root, .nroots = 1,
		.overwrite_detection = true};
	const char *allow = argc > 3 ? argv[3] : "both";
	int ls, one = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: op-xfer-host PORT ROOT [off|download|"
				"upload|both] [max_bytes]\n");
		return 64;
	}
	root.path = argv[2];
	cfg.allow = strcmp(allow, "both") == 0 ? 3u :
		strcmp(allow, "download") == 0 ? XFER_ALLOW_DOWNLOAD :
		strcmp(allow, "upload") == 0   ? XFER_ALLOW_UPLOAD :
						 0u;
	cfg.max_file_bytes = cfg.max_job_bytes =
		argc > 4 ? strtoull(argv[4], NULL, 10) : 0;
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
		setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		listen(ls, 4) != 0 ||
		getsockname(ls, (struct sockaddr *)&sa, &sl) != 0) {
		perror("op-xfer-host: listen");
		return 1;
	}
	printf("{\"port\": %d}\n", ntohs(sa.sin_port));
	fflush(stdout);
	for (;;) {
		int fd = accept(ls, NULL, NULL);

		if (fd >= 0)
			serve(fd, &cfg);
	}
}
