/* SPDX-License-Identifier: MIT */
/*
 * Module-level file-transfer benchmark: one file downloaded through an
 * xfer send job (confined open, 128 KiB blocks, zstd attempt, SHA-256)
 * and uploaded through a receive job (blocks written to a part file,
 * SHA-256, fsync, rename), driven step by step as the session would, but
 * without a network or protobuf. Prints one JSON line with seconds, MB/s,
 * CPU seconds and the process's peak RSS. Run by tests/bench/xfer/run.py.
 *
 *   xfer-bench SRC_FILE DST_DIR [upload-zstd]
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "xfer/xfer.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* VmHWM: this image's peak (getrusage's maxrss would include the
 * parent's memory from before exec). */
static long
maxrss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld", &kib) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kib;
}

static void
die(const char *what)
{
	fprintf(stderr, "xfer-bench: %s\n", what);
	exit(1);
}

static struct xfer *
open_root(const char *dir)
{
	struct xfer_root root = {.path = dir, .name = "r"};
	struct xfer_config cfg = {.allow = XFER_ALLOW_DOWNLOAD |
			XFER_ALLOW_UPLOAD,
		.roots = &root, .nroots = 1, .overwrite_detection = true};
	struct xfer *x = NULL;
	char err[256];

	if (xfer_new(&cfg, &x, err, sizeof(err)) != 0)
		die(err);
	return x;
}

int
main(int argc, char **argv)
{
	char tmp1[4096], tmp2[4096], srcdir[4096], srcname[4096], path[8300];
	unsigned long long wire = 0, data = 0, zblocks = 0, blocks = 0;
	double t0, c0, down_s, down_cpu, up_s, up_cpu;
	bool upload_zstd = argc > 3 && strcmp(argv[3], "upload-zstd") == 0;
	struct xfer_msg *m;
	struct xfer *x;
	struct stat st;
	bool done = false;
	int fd;

	if (argc < 3)
		die("usage: xfer-bench SRC_FILE DST_DIR [upload-zstd]");
	if (stat(argv[1], &st) != 0)
		die("no source file");
	if (argv[1][0] != '/' || argv[2][0] != '/')
		die("absolute paths, please");
	snprintf(tmp1, sizeof(tmp1), "%s", argv[1]);
	snprintf(tmp2, sizeof(tmp2), "%s", argv[1]);
	snprintf(srcdir, sizeof(srcdir), "%s", dirname(tmp1));
	snprintf(srcname, sizeof(srcname), "%s", basename(tmp2));

	/* Download: what the host does for FileAction.send. */
	x = open_root(srcdir);
	snprintf(path, sizeof(path), "/r/%s", srcname);
	t0 = now();
	c0 = cpu();
	if (xfer_send(x, 1, path, false, 0) != 0)
		die("send refused");
	while (!done) {
		if (xfer_step(x, XFER_PENDING_SEND | XFER_PENDING_WORK) == 0 &&
			xfer_pending(x) == 0 && xfer_jobs(x) == 0)
			break;
		while ((m = xfer_take_msg(x)) != NULL) {
			if (m->kind == XFER_MSG_DIGEST) {
				struct xfer_confirm c = {.id = 1,
					.file_num = m->file_num};

				xfer_confirm(x, &c);
			} else if (m->kind == XFER_MSG_BLOCK) {
				wire += m->len;
				blocks++;
				zblocks += m->compressed;
			} else if (m->kind == XFER_MSG_DONE) {
				done = true;
			} else if (m->kind == XFER_MSG_ERROR) {
				die(m->error);
			}
			xfer_msg_free(m);
		}
	}
	down_s = now() - t0;
	down_cpu = cpu() - c0;
	while (xfer_take_result(x) != NULL)
		;
	xfer_free(x);

	/* Upload: the client's blocks as they would arrive, written by the
	 * host into a part file and renamed. */
	x = open_root(argv[2]);
	struct xfer_file_entry fe = {.name = "", .size = (uint64_t)st.st_size,
		.mtime = (uint64_t)st.st_mtime};
	struct xfer_digest d = {.id = 2, .file_size = (uint64_t)st.st_size,
		.last_modified = (uint64_t)st.st_mtime};
	uint8_t *buf = malloc(XFER_BLOCK_SIZE);
	uint8_t *zbuf = malloc(ZSTD_compressBound(XFER_BLOCK_SIZE));
	ssize_t n;

	snprintf(path, sizeof(path), "/r/%s.up", srcname);
	if ((fd = open(argv[1], O_RDONLY)) < 0 || buf == NULL || zbuf == NULL)
		die("open source");
	t0 = now();
	c0 = cpu();
	if (xfer_receive(x, 2, path, &fe, 1, 0, fe.size) != 0 ||
		xfer_client_digest(x, &d) != 0)
		die("receive refused");
	while ((m = xfer_take_msg(x)) != NULL)
		xfer_msg_free(m);
	while ((n = read(fd, buf, XFER_BLOCK_SIZE)) > 0) {
		struct xfer_block b = {.id = 2, .data = buf, .len = (size_t)n};

		if (upload_zstd) {
			size_t z = ZSTD_compress(zbuf,
				ZSTD_compressBound(XFER_BLOCK_SIZE), buf,
				(size_t)n, 3);

			if (!ZSTD_isError(z) && z < (size_t)n) {
				b.data = zbuf;
				b.len = z;
				b.compressed = true;
			}
		}
		data += (unsigned long long)n;
		if (xfer_client_block(x, &b) != 0)
			die("block refused");
		while (xfer_step(x, XFER_PENDING_WORK) == 1)
			;
	}
	close(fd);
	if (xfer_client_done(x, 2, 1) != 0)
		die("done refused");
	while ((m = xfer_take_msg(x)) != NULL) {
		if (m->kind == XFER_MSG_ERROR)
			die(m->error);
		xfer_msg_free(m);
	}
	up_s = now() - t0;
	up_cpu = cpu() - c0;
	while (xfer_take_result(x) != NULL)
		;
	xfer_free(x);
	snprintf(path, sizeof(path), "%s/%s.up", argv[2], srcname);
	unlink(path);
	free(buf);
	free(zbuf);

	printf("{\"bytes\": %lld, \"download\": {\"seconds\": %.3f, "
	       "\"mb_s\": %.1f, \"cpu_s\": %.3f, \"blocks\": %llu, "
	       "\"compressed_blocks\": %llu, \"wire_bytes\": %llu}, "
	       "\"upload\": {\"seconds\": %.3f, \"mb_s\": %.1f, \"cpu_s\": %.3f, "
	       "\"zstd\": %s, \"bytes\": %llu}, \"maxrss_kib\": %ld}\n",
		(long long)st.st_size, down_s, (double)st.st_size / 1e6 / down_s,
		down_cpu, blocks, zblocks, wire, up_s,
		(double)data / 1e6 / up_s, up_cpu, upload_zstd ? "true" : "false",
		data, maxrss_kib());
	return 0;
}
