/* SPDX-License-Identifier: MIT */
/*
 * find-user (monitor.h): the monitor looks up who sits at the machine
 * (consent_find_user: logind, then the environment of the user's
 * processes, which only the monitor may read) and the network process
 * gets the answer. Both ends of the encoding are here.
 */
#include "cli/daemon-internal.h"

#include <errno.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "monitor/monitor-client.h"

/* The monitor's side (monitor_opts.find_user). */
int
daemon_user_encode(struct mon_buf *out)
{
	struct consent_user u;
	int r;

	memset(&u, 0, sizeof(u));
	r = consent_find_user(&u);
	mon_put_u32(out, (uint32_t)u.uid);
	mon_put_u32(out, (uint32_t)u.gid);
	mon_put_u8(out, (uint8_t)(u.ngroups < 0 ? 0 : u.ngroups));
	for (int i = 0; i < u.ngroups && i < CONSENT_MAX_GROUPS; i++)
		mon_put_u32(out, (uint32_t)u.groups[i]);
	mon_put_str(out, u.name);
	mon_put_str(out, u.home);
	mon_put_str(out, u.display);
	mon_put_str(out, u.xauthority);
	mon_put_str(out, u.session_id);
	mon_put_str(out, u.session_type);
	return r;
}

static void
decode(struct mon_rd *rd, struct consent_user *u)
{
	unsigned n;

	u->uid = (uid_t)mon_get_u32(rd);
	u->gid = (gid_t)mon_get_u32(rd);
	n = mon_get_u8(rd);
	if (n > CONSENT_MAX_GROUPS)
		rd->bad = true;
	for (unsigned i = 0; i < n && !rd->bad; i++)
		u->groups[i] = (gid_t)mon_get_u32(rd);
	u->ngroups = (int)n;
	mon_get_str(rd, u->name, sizeof(u->name));
	mon_get_str(rd, u->home, sizeof(u->home));
	mon_get_str(rd, u->display, sizeof(u->display));
	mon_get_str(rd, u->xauthority, sizeof(u->xauthority));
	mon_get_str(rd, u->session_id, sizeof(u->session_id));
	mon_get_str(rd, u->session_type, sizeof(u->session_type));
}

int
daemon_find_user(struct daemon *d, struct consent_user *out)
{
	uint8_t reply[MON_MSG_MAX];
	struct consent_user u;
	struct mon_rd rd;
	int r;

	memset(&u, 0, sizeof(u));
	r = monclient_find_user(d->mon_fd, reply, &rd);
	if (r == OP_ERR_PROTO || r == -ETIMEDOUT || r == -ECONNRESET ||
		r == -EPIPE) {
		daemon_monitor_failed(d, r, "find-user");
		memset(out, 0, sizeof(*out));
		return OP_ERR_NOT_FOUND;
	}
	decode(&rd, &u);
	if (!mon_rd_done(&rd)) {
		daemon_monitor_failed(d, OP_ERR_PROTO, "find-user");
		memset(out, 0, sizeof(*out));
		return OP_ERR_NOT_FOUND;
	}
	*out = u;
	return r;
}
