/* SPDX-License-Identifier: MIT */
/*
 * See userbus.h. What comes from the bus is untrusted: the unique name
 * GetNameOwner answers is read with a typed read, checked and bounded;
 * NameOwnerChanged is only taken from the bus driver (the match) and
 * read as "sss".
 *
 * Authentication: the socket was connected by a child running as the
 * bus's user (platform_connect_user), so its peer credentials, which
 * dbus-daemon reads with SO_PEERCRED at connect() time, are the user's
 * even though root talks on it afterwards. sd-bus authenticates with
 * "AUTH EXTERNAL" and an empty DATA line (no uid of its own claimed), so
 * the daemon takes the identity from those credentials and the user's
 * bus accepts us as the user.
 */
#include "platform/userbus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/time.h"
#include "platform/userconn.h"

int
userbus_target(const char *dir, struct userbus_target *t, char *err,
	size_t errlen)
{
	char bus[300];
	int n, r;

	if (dir == NULL || dir[0] == '\0')
		dir = getenv("XDG_RUNTIME_DIR");
	if (dir == NULL || dir[0] != '/') {
		snprintf(err, errlen,
			"give the user's runtime directory (a path)");
		return OP_ERR_CONFIG;
	}
	n = snprintf(t->dir, sizeof(t->dir), "%s", dir);
	if (n < 0 || (size_t)n >= sizeof(t->dir) ||
		(size_t)n + 4 >= sizeof(bus)) {
		snprintf(err, errlen, "runtime directory too long");
		return OP_ERR_RANGE;
	}
	snprintf(bus, sizeof(bus), "%s/bus", dir);
	if ((r = platform_user_socket(bus, &t->uid, &t->gid)) != 0) {
		if (r == OP_ERR_NOT_FOUND)
			snprintf(err, errlen, "no session bus socket at %s", bus);
		else
			snprintf(err, errlen, "session bus %s: %s", bus,
				op_strerror(r));
		return r;
	}
	return 0;
}

int
userbus_connect(const struct userbus_target *t, const char *name, int *fd,
	int *hold, char *err, size_t errlen)
{
	char path[300];
	int r;

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	if (hold != NULL)
		r = platform_connect_user_held(path, t->uid, t->gid, fd, hold);
	else
		r = platform_connect_user(path, t->uid, t->gid, fd);
	if (r != 0)
		snprintf(err, errlen, "cannot connect to %s: %s", path,
			op_strerror(r));
	return r;
}

/* Waits for the answer to Hello, with our deadline. */
static int
wait_ready(sd_bus *bus, uint64_t deadline, char *err, size_t errlen)
{
	int r;

	while (sd_bus_is_ready(bus) <= 0) {
		uint64_t now = op_now_us();

		if ((r = sd_bus_process(bus, NULL)) < 0) {
			snprintf(err, errlen,
				"the session bus refused us (%s)",
				strerror(-r));
			return OP_ERR_DENIED;
		}
		if (r > 0)
			continue;
		if (now >= deadline) {
			snprintf(err, errlen,
				"the session bus does not answer");
			return -ETIMEDOUT;
		}
		(void)sd_bus_wait(bus, deadline - now);
	}
	return 0;
}

int
userbus_start(int fd, bool fds, uint64_t call_timeout_us, uint64_t deadline,
	userbus_failed_fn failed, sd_bus **out, char *err, size_t errlen)
{
	sd_bus *bus = NULL;
	int r;

	*out = NULL;
	if (sd_bus_new(&bus) < 0) {
		close(fd);
		return OP_ERR_NOMEM;
	}
	if ((r = sd_bus_set_fd(bus, fd, fd)) < 0) {
		close(fd);
		sd_bus_unref(bus);
		return failed("bus", r, NULL, err, errlen);
	}
	(void)sd_bus_set_bus_client(bus, 1);
	if (fds)
		(void)sd_bus_negotiate_fds(bus, 1);
	(void)sd_bus_set_method_call_timeout(bus, call_timeout_us);
	if ((r = sd_bus_start(bus)) < 0)
		r = failed("bus", r, NULL, err, errlen);
	else
		r = wait_ready(bus, deadline, err, errlen);
	if (r != 0) {
		sd_bus_close_unref(bus);
		return r;
	}
	*out = bus;
	return 0;
}

int
userbus_name_owner(sd_bus *bus, const char *name, char *out, size_t cap,
	userbus_failed_fn failed, char *err, size_t errlen)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *owner = NULL;
	int r;

	r = sd_bus_call_method(bus, "org.freedesktop.DBus",
		"/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner",
		&e, &reply, "s", name);
	if (r >= 0)
		r = sd_bus_message_read(reply, "s", &owner);
	if (r >= 0)
		r = owner != NULL && owner[0] == ':' ?
			userbus_copy(out, cap, owner) : -EBADMSG;
	if (r < 0)
		r = failed("GetNameOwner", r, &e, err, errlen);
	sd_bus_message_unref(reply);
	sd_bus_error_free(&e);
	return r < 0 ? r : 0;
}

int
userbus_copy(char *out, size_t cap, const char *v)
{
	size_t n;

	if (v == NULL || (n = strlen(v)) >= cap)
		return -EBADMSG;
	memcpy(out, v, n + 1);
	return 0;
}

int
userbus_read_dict(sd_bus_message *m, userbus_entry_fn fn, void *arg)
{
	int r = sd_bus_message_enter_container(m, 'a', "{sv}");

	while (r >= 0 &&
		(r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key = NULL;

		if ((r = sd_bus_message_read(m, "s", &key)) < 0)
			break;
		if ((r = fn(arg, m, key)) >= 0)
			r = sd_bus_message_exit_container(m);
	}
	return r < 0 ? r : 0;
}

static int
on_owner_changed(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct userbus_watch *w = arg;
	const char *name = NULL, *old = NULL, *new_owner = NULL;

	(void)ret;
	if (sd_bus_message_read(m, "sss", &name, &old, &new_owner) >= 0 &&
		name != NULL && strcmp(name, w->name) == 0 &&
		(new_owner == NULL || new_owner[0] == '\0'))
		*w->gone = true;
	return 0;
}

int
userbus_watch(sd_bus *bus, const char *name, bool *gone,
	struct userbus_watch *w)
{
	char rule[400];
	int n;

	w->slot = NULL;
	w->name = name;
	w->gone = gone;
	n = snprintf(rule, sizeof(rule),
		"type='signal',sender='org.freedesktop.DBus',"
		"path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
		"member='NameOwnerChanged',arg0='%s'",
		name);
	if (n < 0 || (size_t)n >= sizeof(rule))
		return -ENAMETOOLONG;
	return sd_bus_add_match(bus, &w->slot, rule, on_owner_changed, w);
}

void
userbus_unwatch(struct userbus_watch *w)
{
	w->slot = sd_bus_slot_unref(w->slot);
}

int
userbus_wait(sd_bus *bus, const bool *flag, const bool *stop,
	uint64_t deadline)
{
	while (!*flag && !*stop) {
		uint64_t now = op_now_us();
		int r = sd_bus_process(bus, NULL);

		if (r < 0)
			return OP_ERR_GONE;
		if (r > 0)
			continue;
		if (now >= deadline)
			return -ETIMEDOUT;
		if ((r = sd_bus_wait(bus, deadline - now)) < 0 && r != -EINTR)
			return OP_ERR_GONE;
	}
	return 0;
}

int
userbus_process(sd_bus *bus, const bool *closed)
{
	int r;

	while ((r = sd_bus_process(bus, NULL)) > 0)
		;
	if (r < 0 || *closed)
		return OP_ERR_GONE;
	return 0;
}

int
userbus_rd_fd(const void *session)
{
	const struct userbus_rd *rd = session;

	return sd_bus_get_fd(rd->bus);
}

int
userbus_rd_process(void *session)
{
	struct userbus_rd *rd = session;

	return userbus_process(rd->bus, &rd->closed);
}

void
userbus_rd_geometry(const void *session, int32_t *x, int32_t *y, int32_t *w,
	int32_t *h)
{
	const struct userbus_rd *rd = session;

	*x = rd->x;
	*y = rd->y;
	*w = rd->w;
	*h = rd->h;
}

void
userbus_send_noreply(sd_bus *bus, const char *dest, const char *path,
	const char *iface, const char *member)
{
	sd_bus_message *m = NULL;

	if (sd_bus_message_new_method_call(bus, &m, dest, path, iface,
		    member) >= 0) {
		(void)sd_bus_message_set_expect_reply(m, 0);
		(void)sd_bus_send(bus, m, NULL);
	}
	sd_bus_message_unref(m);
}
