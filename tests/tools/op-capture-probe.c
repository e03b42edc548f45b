/* SPDX-License-Identifier: MIT */
/*
 * Drives agent/capture for the integration tests: opens a backend and
 * reports on stdout one JSON line per event or command. Grabs run in
 * libuv's thread pool, as the session's do. Commands on stdin, one per
 * line:
 *
 *   displays            {"event":"displays","list":[{"x":..,"y":..,
 *                        "w":..,"h":..,"name":"..","primary":true}]}
 *   grab I PATH         {"event":"grab","status":0,"ms":..,"w":..,"h":..}
 *                        and the frame as a binary PPM (P6) at PATH
 *   bench I N           {"event":"bench","status":0,"n":N,"mean_ms":..,
 *                        "p50_ms":..,"p95_ms":..,"w":..,"h":..}
 *   seq                 {"event":"seq","seq":[..]}
 *   quit
 *
 * Unprompted: {"event":"damage","seq":[..]}, {"event":"layout"},
 * {"event":"gone"} (the capture is closed then, the probe keeps running).
 *
 *   op-capture-probe BACKEND DISPLAY [XAUTHORITY]
 *   (XAUTHORITY: the backend's second target string; for "portal" the
 *   restore-token file)
 *   {"event":"open_failed","status":..,"message":".."} (exit 3)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "capture/capture.h"
#include "core/err.h"
#include "probe-stdin.h"

static uv_loop_t loop;
static struct capture *cap;
static char line[1024];
static char inbuf[4096];
static void command(char *l);
static void on_eof(bool open);
static struct probe_stdin in = {
	.line = line, .cap = sizeof(line), .buf = inbuf,
	.bufcap = sizeof(inbuf), .command = command, .eof = on_eof};
static bool gone, busy;

struct job {
	uv_work_t work;
	struct capture_grabber *g;
	int display;
	int n;
	char path[512];
	int status;
	uint32_t w, h;
	double *ms;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
print_seq(const char *ev)
{
	struct capture_display d[CAPTURE_MAX_DISPLAYS];
	int n = cap != NULL ? capture_displays(cap, d, CAPTURE_MAX_DISPLAYS)
			    : 0;

	printf("{\"event\":\"%s\",\"seq\":[", ev);
	for (int i = 0; i < n; i++)
		printf("%s%llu", i ? "," : "",
			(unsigned long long)capture_damage_seq(cap, i));
	printf("]}\n");
	fflush(stdout);
}

static void
maybe_close(void)
{
	if (gone && !busy && cap != NULL) {
		capture_close(cap);
		cap = NULL;
	}
}

static void
on_event(void *arg, struct capture *c, unsigned mask)
{
	(void)arg;
	(void)c;
	if (mask & CAPTURE_EV_GONE) {
		printf("{\"event\":\"gone\"}\n");
		fflush(stdout);
		gone = true;
		maybe_close();
		return;
	}
	if (mask & CAPTURE_EV_LAYOUT) {
		printf("{\"event\":\"layout\"}\n");
		fflush(stdout);
	}
	if (mask & CAPTURE_EV_DAMAGE)
		print_seq("damage");
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
write_ppm(const char *path, const struct capture_image *img)
{
	FILE *f = fopen(path, "wb");
	uint8_t *row;

	if (f == NULL)
		return;
	fprintf(f, "P6\n%u %u\n255\n", img->width, img->height);
	row = malloc((size_t)img->width * 3);
	for (uint32_t y = 0; row != NULL && y < img->height; y++) {
		const uint8_t *s = img->data + (size_t)y * img->stride;

		for (uint32_t x = 0; x < img->width; x++) {
			row[x * 3] = s[x * 4 + 2];
			row[x * 3 + 1] = s[x * 4 + 1];
			row[x * 3 + 2] = s[x * 4];
		}
		fwrite(row, 3, img->width, f);
	}
	free(row);
	fclose(f);
}

static void
work(uv_work_t *w)
{
	struct job *j = w->data;
	struct capture_image img;

	for (int i = 0; i < j->n; i++) {
		double t0 = now_ms();

		if ((j->status = capture_grab(j->g, &img)) != 0)
			return;
		j->ms[i] = now_ms() - t0;
		j->w = img.width;
		j->h = img.height;
		if (j->path[0] != '\0')
			write_ppm(j->path, &img);
	}
}

static void
after_work(uv_work_t *w, int status)
{
	struct job *j = w->data;

	(void)status;
	capture_grabber_free(j->g);
	if (j->status != 0) {
		printf("{\"event\":\"%s\",\"status\":%d,\"message\":\"%s\"}\n",
			j->path[0] ? "grab" : "bench", j->status,
			op_strerror(j->status));
	} else if (j->path[0] != '\0') {
		printf("{\"event\":\"grab\",\"status\":0,\"ms\":%.3f,\"w\":%u,"
		       "\"h\":%u}\n",
			j->ms[0], j->w, j->h);
	} else {
		double sum = 0;

		for (int i = 0; i < j->n; i++)
			sum += j->ms[i];
		qsort(j->ms, (size_t)j->n, sizeof(double), cmp_double);
		printf("{\"event\":\"bench\",\"status\":0,\"n\":%d,"
		       "\"mean_ms\":%.3f,\"p50_ms\":%.3f,\"p95_ms\":%.3f,"
		       "\"w\":%u,\"h\":%u}\n",
			j->n, sum / j->n, j->ms[j->n / 2],
			j->ms[(j->n * 95) / 100 < j->n ? (j->n * 95) / 100
						       : j->n - 1],
			j->w, j->h);
	}
	fflush(stdout);
	free(j->ms);
	free(j);
	busy = false;
	maybe_close();
}

static void
start_job(int display, int n, const char *path)
{
	struct job *j = calloc(1, sizeof(*j));
	int r;

	if (cap == NULL || busy || j == NULL || n < 1 || n > 100000 ||
		(j->ms = calloc((size_t)n, sizeof(double))) == NULL) {
		printf("{\"event\":\"error\",\"message\":\"cannot start\"}\n");
		fflush(stdout);
		if (j != NULL)
			free(j->ms);
		free(j);
		return;
	}
	j->display = display;
	j->n = n;
	snprintf(j->path, sizeof(j->path), "%s", path);
	if ((r = capture_grabber_new(cap, display, &j->g)) != 0) {
		printf("{\"event\":\"%s\",\"status\":%d,\"message\":"
		       "\"grabber: %s\"}\n",
			path[0] ? "grab" : "bench", r, op_strerror(r));
		fflush(stdout);
		free(j->ms);
		free(j);
		return;
	}
	busy = true;
	j->work.data = j;
	uv_queue_work(&loop, &j->work, work, after_work);
}

static void
command(char *l)
{
	char path[512];
	int i, n;

	if (strcmp(l, "quit") == 0) {
		uv_close((uv_handle_t *)&in.pipe, NULL);
		gone = true;
		maybe_close();
	} else if (strcmp(l, "seq") == 0) {
		print_seq("seq");
	} else if (strcmp(l, "displays") == 0) {
		struct capture_display d[CAPTURE_MAX_DISPLAYS];

		n = cap != NULL ? capture_displays(cap, d, CAPTURE_MAX_DISPLAYS)
				: 0;
		printf("{\"event\":\"displays\",\"list\":[");
		for (i = 0; i < n; i++)
			printf("%s{\"x\":%d,\"y\":%d,\"w\":%u,\"h\":%u,"
			       "\"name\":\"%s\",\"primary\":%s}",
				i ? "," : "", d[i].x, d[i].y, d[i].width,
				d[i].height, d[i].name,
				d[i].primary ? "true" : "false");
		printf("]}\n");
		fflush(stdout);
	} else if (sscanf(l, "grab %d %511s", &i, path) == 2) {
		start_job(i, 1, path);
	} else if (sscanf(l, "bench %d %d", &i, &n) == 2) {
		start_job(i, n, "");
	} else {
		printf("{\"event\":\"error\",\"message\":\"bad command\"}\n");
		fflush(stdout);
	}
}

static void
on_eof(bool open)
{
	(void)open;
	gone = true;
	maybe_close();
}

int
main(int argc, char **argv)
{
	char err[256];
	int r;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: %s BACKEND DISPLAY [XAUTHORITY]\n",
			argv[0]);
		return 2;
	}
	uv_loop_init(&loop);
	r = capture_open(&loop, argv[1], argv[2], argc == 4 ? argv[3] : NULL,
		on_event, NULL, &cap,
		err, sizeof(err));
	return probe_stdin_run(&in, &loop, r, err,
		r == 0 ? capture_backend_name(cap) : NULL);
}
