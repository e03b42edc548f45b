/* SPDX-License-Identifier: MIT */
/*
 * The user's session bus, for the clients of a desktop's D-Bus APIs
 * (mutter/ and portal/): where it is and whom to connect as, the sd-bus
 * connection on a socket connected as that user (Hello awaited within a
 * deadline), a service's unique name and the watch on it leaving the
 * bus, and the wait and process loops. It knows no desktop API and calls
 * no method but GetNameOwner; errors are turned into ours by the
 * caller's userbus_failed_fn (Mutter and the portal read D-Bus errors
 * differently). No libuv: the owners poll the bus fd.
 */
#ifndef OP_PLATFORM_USERBUS_H
#define OP_PLATFORM_USERBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

/* The user's runtime directory and whom to connect as. */
struct userbus_target {
	char dir[200];
	uid_t uid;
	gid_t gid;
};

/*
 * The backends' target: dir is the user's runtime directory (NULL or
 * "" = $XDG_RUNTIME_DIR), which must hold the session bus socket "bus".
 * Writes dir (bounded) to t->dir, and whom to connect as: the socket's
 * owner when we are root, else ourselves. 0, OP_ERR_CONFIG (not a path),
 * OP_ERR_NOT_FOUND (no bus socket) or OP_ERR_RANGE (too long), with a
 * reason in err.
 */
int userbus_target(const char *dir, struct userbus_target *t, char *err,
	size_t errlen);

/*
 * Connects to the socket name ("bus", "pipewire-0") in t->dir as t's
 * user (platform_connect_user); with hold != NULL the connecting process
 * stays alive until *hold is closed (platform_connect_user_held). 0 and
 * *fd, or the error with "cannot connect to PATH: ..." in err.
 */
int userbus_connect(const struct userbus_target *t, const char *name,
	int *fd, int *hold, char *err, size_t errlen);

/* The caller's reading of an sd-bus failure r (e: the D-Bus error, or
 * NULL) during what: our error code, with the reason in err. */
typedef int (*userbus_failed_fn)(const char *what, int r,
	const sd_bus_error *e, char *err, size_t errlen);

/*
 * Takes fd (closed on failure too): a bus client on it, file descriptor
 * passing negotiated when fds, method calls limited to call_timeout_us,
 * and the bus's Hello answered before deadline (op_now_us(); sd-bus
 * would otherwise wait for it on the first call with its own, long,
 * timeout). 0 and *out (the caller's: sd_bus_close_unref); OP_ERR_NOMEM;
 * OP_ERR_DENIED (the bus refused us) or -ETIMEDOUT with the reason in
 * err; or what failed("bus", ...) makes of a set-up failure.
 */
int userbus_start(int fd, bool fds, uint64_t call_timeout_us,
	uint64_t deadline, userbus_failed_fn failed, sd_bus **out, char *err,
	size_t errlen);

/*
 * The unique name (":1.42") owning the well-known name, into out (cap
 * bytes): a service's signals are only taken from it, not from another
 * client of the user's bus claiming to be it. 0, or what
 * failed("GetNameOwner", ...) makes of the failure (-EBADMSG for a
 * malformed or too long answer).
 */
int userbus_name_owner(sd_bus *bus, const char *name, char *out, size_t cap,
	userbus_failed_fn failed, char *err, size_t errlen);

/* Copies v, a string read from the bus, into out (cap bytes): 0, or
 * -EBADMSG when it is missing or does not fit. */
int userbus_copy(char *out, size_t cap, const char *v);

/* Reads or skips the variant of one a{sv} entry named key (0 or
 * sd-bus's negative error). */
typedef int (*userbus_entry_fn)(void *arg, sd_bus_message *m,
	const char *key);

/*
 * Walks the a{sv} dictionary at m, handing each entry to fn; leaves m
 * inside the array, after its last entry (the caller exits it when it
 * reads on). 0, or the first negative error (sd-bus's or fn's), which
 * ends the walk.
 */
int userbus_read_dict(sd_bus_message *m, userbus_entry_fn fn, void *arg);

/* A watch on a well-known name losing its owner (the service exited or
 * crashed: it sends no signal of its own then). */
struct userbus_watch {
	sd_bus_slot *slot;
	const char *name;
	bool *gone;
};

/*
 * Sets *gone when name (a string that outlives the watch) loses its
 * owner; the callback runs from sd_bus_process. 0 or sd-bus's negative
 * error. userbus_unwatch ends it (also on a zeroed or failed watch).
 */
int userbus_watch(sd_bus *bus, const char *name, bool *gone,
	struct userbus_watch *w);
void userbus_unwatch(struct userbus_watch *w);

/*
 * Runs the bus until *flag or *stop, or the deadline (op_now_us()): 0
 * when either flag is set (the caller tells which), -ETIMEDOUT, or
 * OP_ERR_GONE when the bus failed.
 */
int userbus_wait(sd_bus *bus, const bool *flag, const bool *stop,
	uint64_t deadline);

/* Handles whatever arrived: 0, or OP_ERR_GONE when the bus failed or
 * *closed is set afterwards. */
int userbus_process(sd_bus *bus, const bool *closed);

/*
 * The first member of a remote-desktop session on the user's bus (Mutter's
 * or the portal's), which the calls below serve for both: the bus, whether
 * the session ended (Closed, or the service left the bus: set from its
 * callbacks), and the recorded monitor's position and size in the
 * compositor's space.
 */
struct userbus_rd {
	sd_bus *bus;
	bool closed;
	int32_t x, y, w, h;
};

/* The bus socket, for the owner's poll (of sd_bus_get_events). */
int userbus_rd_fd(const void *session);
/* Handles whatever arrived: 0, or OP_ERR_GONE once the session ended or
 * the bus failed (then the owner stops polling). */
int userbus_rd_process(void *session);
void userbus_rd_geometry(const void *session, int32_t *x, int32_t *y,
	int32_t *w, int32_t *h);

/*
 * A remote-desktop session on the user's bus, whichever API made it
 * (mutter/ or portal/): what the capture and input backends use of it,
 * so that one adapter of theirs serves both. session is the API's
 * session object, which starts with a struct userbus_rd (fd, process
 * and geometry are the userbus_rd_ calls); all on the owner's thread.
 * The input calls take x, y in pixels of the recorded monitor, evdev
 * buttons and keycodes, axis 0 vertical or 1 horizontal; each is one
 * time-limited call: 0 or a negative error (OP_ERR_GONE, -ETIMEDOUT:
 * the session is then given up; OP_ERR_UNSUPPORTED: no such device was
 * granted).
 */
struct userbus_rd_ops {
	const char *name; /* "mutter": messages, the display's name */
	int (*fd)(const void *session); /* the bus socket, to poll */
	int (*process)(void *session); /* 0, or an error once it ended */
	void (*close)(void *session);
	/* the monitor's position and size in the compositor's space */
	void (*geometry)(const void *session, int32_t *x, int32_t *y,
		int32_t *w, int32_t *h);
	int (*pointer_abs)(void *session, double x, double y);
	int (*button)(void *session, int32_t evdev_button, bool pressed);
	int (*axis_discrete)(void *session, uint32_t axis, int32_t steps);
	int (*keysym)(void *session, uint32_t keysym, bool pressed);
	int (*keycode)(void *session, uint32_t evdev_code, bool pressed);
};

/* A method call without arguments and unanswered (best effort: a
 * session's Stop or Close before the connection goes). */
void userbus_send_noreply(sd_bus *bus, const char *dest, const char *path,
	const char *iface, const char *member);

#endif
