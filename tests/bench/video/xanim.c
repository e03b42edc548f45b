/* SPDX-License-Identifier: MIT */
/*
 * Full-motion test source for the video bench: a full-screen window
 * whose every pixel changes at a steady frame rate, drawn with MIT-SHM
 * PutImage (a 1080p frame costs the X server one copy). ffplay under
 * Xvfb on two busy cores updated the screen only ~14 times a second
 * (the agent's DAMAGE counter), so it measured ffplay, not the agent.
 *
 * The picture pans diagonally over a textured plane (gradients, disks,
 * a grid: content an encoder can motion-compensate, like camera video),
 * with a bouncing box and a frame counter strip that do not follow the
 * pan. Built and started by run.py:
 *
 *   xanim WIDTH HEIGHT FPS        (DISPLAY from the environment)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <time.h>

#include <xcb/shm.h>
#include <xcb/xcb.h>

#define MARGIN 512

static uint32_t
texel(int x, int y)
{
	int cx = (x / 160) * 160 + 80, cy = (y / 160) * 160 + 80;
	int dx = x - cx, dy = y - cy;
	uint32_t r = (uint32_t)(x * 255 / 2600) & 0xff;
	uint32_t g = (uint32_t)(y * 255 / 1700) & 0xff;
	uint32_t b = (uint32_t)((x + y) / 9) & 0xff;

	if (dx * dx + dy * dy < 50 * 50) { /* a disk per cell */
		r = 255 - r;
		b = (uint32_t)((x / 160 * 37 + y / 160 * 91) & 0xff);
	}
	if (x % 80 == 0 || y % 80 == 0) /* grid */
		r = g = b = 230;
	return 0xff000000u | r << 16 | g << 8 | b;
}

int
main(int argc, char **argv)
{
	int w = argc > 1 ? atoi(argv[1]) : 1920;
	int h = argc > 2 ? atoi(argv[2]) : 1080;
	int fps = argc > 3 ? atoi(argv[3]) : 30;
	int pw = w + MARGIN, ph = h + MARGIN;
	xcb_connection_t *c = xcb_connect(NULL, NULL);
	xcb_screen_t *scr;
	xcb_window_t win;
	xcb_gcontext_t gc;
	xcb_shm_seg_t seg;
	uint32_t *plane, *img;
	int shmid;
	struct timespec next;
	uint32_t vals[2];

	if (xcb_connection_has_error(c) || w < 64 || h < 64 || fps < 1) {
		fprintf(stderr, "xanim: no display or bad size\n");
		return 1;
	}
	scr = xcb_setup_roots_iterator(xcb_get_setup(c)).data;
	plane = malloc((size_t)pw * (size_t)ph * 4);
	shmid = shmget(IPC_PRIVATE, (size_t)w * (size_t)h * 4, IPC_CREAT | 0600);
	if (plane == NULL || shmid < 0)
		return 1;
	img = shmat(shmid, NULL, 0);
	shmctl(shmid, IPC_RMID, NULL);
	for (int y = 0; y < ph; y++)
		for (int x = 0; x < pw; x++)
			plane[(size_t)y * (size_t)pw + (size_t)x] = texel(x, y);
	seg = xcb_generate_id(c);
	xcb_shm_attach(c, seg, (uint32_t)shmid, 0);
	win = xcb_generate_id(c);
	vals[0] = scr->black_pixel;
	vals[1] = 1; /* override-redirect: no window manager needed */
	xcb_create_window(c, scr->root_depth, win, scr->root, 0, 0,
		(uint16_t)w, (uint16_t)h, 0, XCB_WINDOW_CLASS_INPUT_OUTPUT,
		scr->root_visual, XCB_CW_BACK_PIXEL | XCB_CW_OVERRIDE_REDIRECT,
		vals);
	xcb_map_window(c, win);
	gc = xcb_generate_id(c);
	xcb_create_gc(c, gc, win, 0, NULL);
	xcb_flush(c);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (unsigned long t = 0;; t++) {
		int ox = (int)((t * 5) % (MARGIN * 2)), oy = (int)((t * 3) % (MARGIN * 2));
		int bx = (int)((t * 23) % (unsigned long)(2 * (w - 200)));
		int by = (int)((t * 17) % (unsigned long)(2 * (h - 200)));

		/* ping-pong so the pan never jumps */
		ox = ox < MARGIN ? ox : 2 * MARGIN - ox - 1;
		oy = oy < MARGIN ? oy : 2 * MARGIN - oy - 1;
		bx = bx < w - 200 ? bx : 2 * (w - 200) - bx;
		by = by < h - 200 ? by : 2 * (h - 200) - by;
		for (int y = 0; y < h; y++)
			memcpy(img + (size_t)y * (size_t)w,
				plane + (size_t)(y + oy) * (size_t)pw + (size_t)ox,
				(size_t)w * 4);
		for (int y = by; y < by + 200; y++)
			for (int x = bx; x < bx + 200; x++)
				img[(size_t)y * (size_t)w + (size_t)x] =
					0xff000000u | (uint32_t)(t * 8 & 0xff) << 16 |
					0x8000u | (uint32_t)(255 - (t * 8 & 0xff));
		for (int y = h - 24; y < h; y++) /* frame counter strip */
			for (int x = 0; x < 32 * 24; x++)
				img[(size_t)y * (size_t)w + (size_t)x] =
					(t >> (x / 24)) & 1 ? 0xffffffffu : 0xff000000u;
		xcb_shm_put_image(c, win, gc, (uint16_t)w, (uint16_t)h, 0, 0,
			(uint16_t)w, (uint16_t)h, 0, 0, scr->root_depth,
			XCB_IMAGE_FORMAT_Z_PIXMAP, 0, seg, 0);
		/* wait for the server to have copied it before drawing more */
		free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c), NULL));
		if (xcb_connection_has_error(c))
			return 0;
		next.tv_nsec += 1000000000L / fps;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		{
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > next.tv_sec + 1) /* far behind: restart */
				next = now;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
}
