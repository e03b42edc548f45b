/* SPDX-License-Identifier: MIT */
/*
 * The virtual display, run by the monitor (vd-start, vd-stop): Xvfb or
 * Xorg with the dummy driver as display.virtual.user, with
 * display.virtual.command, all from the monitor's own config, so the
 * network process can start a display but never choose what runs or as
 * whom. Its readiness and its end reach the network process as events
 * (MON_EV_VD_READY, MON_EV_VD_LOST); a network process that ends takes
 * its display with it.
 */
#include "cli/daemon-internal.h"
#include "cli/daemon-monitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "core/err.h"
#include "core/log.h"
#include "display/vdisplay.h"

/* Where the virtual display's cookie lives. The display user must be
 * able to reach it, so as root it is not under the 0700 state dir: the
 * unit's RuntimeDirectory (0711) or /run/outpost-display. */
static void
runtime_dir(const struct conf *c, char *out, size_t size)
{
	const char *rt = getenv("RUNTIME_DIRECTORY");

	if (geteuid() != 0)
		snprintf(out, size, "%s/display", conf_str(c, CONF_STATE_DIR));
	else if (rt != NULL && rt[0] == '/' && strchr(rt, ':') == NULL)
		snprintf(out, size, "%s/display", rt);
	else
		snprintf(out, size, "/run/outpost-display");
}

static void
send_ready(struct mon_proc *p, int status)
{
	struct vdisplay *v = p->vd;
	struct mon_buf ev = { .len = 0 };

	mon_put_u8(&ev, MON_EV_VD_READY);
	mon_put_u32(&ev, (uint32_t)status);
	mon_put_str(&ev, vdisplay_name(v));
	mon_put_str(&ev, status == 0 ? vdisplay_xauthority(v) : "");
	mon_put_u32(&ev, (uint32_t)vdisplay_xauthority_owner(v));
	mon_put_u32(&ev, (uint32_t)vdisplay_server_pid(v));
	mon_put_u32(&ev, (uint32_t)vdisplay_session_pid(v));
	mon_put_str(&ev, status != 0 ? vdisplay_error(v) : "");
	daemon_monitor_event(p, &ev);
}

static void
on_ready(void *arg, struct vdisplay *v, int status)
{
	struct mon_proc *p = arg;

	(void)v;
	send_ready(p, status);
	if (status != 0) {
		vdisplay_stop(p->vd);
		p->vd = NULL;
	}
}

static void
on_lost(void *arg, struct vdisplay *v)
{
	struct mon_proc *p = arg;
	struct mon_buf ev = { .len = 0 };

	log_warn("monitor: the virtual display %s ended: %s",
		vdisplay_name(v), vdisplay_error(v));
	mon_put_u8(&ev, MON_EV_VD_LOST);
	mon_put_str(&ev, vdisplay_error(v));
	daemon_monitor_event(p, &ev);
	vdisplay_stop(p->vd);
	p->vd = NULL;
}

int
daemon_monitor_vd_start(struct mon_proc *p, struct mon_buf *out)
{
	const struct conf *c = p->conf;
	char rdir[4200], err[160] = "";
	unsigned w = 0, h = 0;
	struct vdisplay_conf vc = {
		.backend = conf_enum(c, CONF_DISPLAY_VIRTUAL_BACKEND) == 1 ?
			VDISPLAY_XORG_DUMMY :
			VDISPLAY_XVFB,
		.user = conf_str(c, CONF_DISPLAY_VIRTUAL_USER),
		.command = conf_str(c, CONF_DISPLAY_VIRTUAL_COMMAND),
		.runtime_dir = rdir,
		.server_path = "",
	};
	int r;

	if (p->vd != NULL) {
		mon_put_str(out, "a virtual display is already running");
		return -EBUSY;
	}
	/* The config check accepted the size. */
	(void)sscanf(conf_str(c, CONF_DISPLAY_VIRTUAL_SIZE), "%ux%u", &w, &h);
	vc.width = w;
	vc.height = h;
	runtime_dir(c, rdir, sizeof(rdir));
	r = vdisplay_start(&p->loop, &vc, on_ready, on_lost, p, &p->vd, err,
		sizeof(err));
	if (r != 0) {
		p->vd = NULL;
		mon_put_str(out, err);
	}
	return r;
}

void
daemon_monitor_vd_stop(struct mon_proc *p)
{
	if (p->vd != NULL)
		vdisplay_stop(p->vd);
	p->vd = NULL;
}
