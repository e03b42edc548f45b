/* SPDX-License-Identifier: MIT */
/*
 * A Mutter remote-desktop session over the user's session bus (sd-bus):
 * org.gnome.Mutter.RemoteDesktop.CreateSession, its SessionId, a linked
 * org.gnome.Mutter.ScreenCast session that records one monitor, Start,
 * and the stream's PipeWire node id (PipeWireStreamAdded). Mutter shows
 * no consent dialog on this path: whoever can talk on the user's bus may
 * do this, which is why we connect as that user and nobody else.
 *
 * One bus connection per session: Mutter ends a session when the
 * connection that made it goes away, so closing is enough to clean up
 * even when the Stop call is lost. Every call is time-limited; a session
 * never blocks longer than the timeout given to mutter_session_open (for
 * opening) or MUTTER_CALL_TIMEOUT_MS (each input call).
 *
 * Loop integration is the owner's: poll userbus_rd_fd() for
 * mutter_session_events() and call userbus_rd_process().
 */
#ifndef OP_MUTTER_MUTTER_SESSION_H
#define OP_MUTTER_MUTTER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MUTTER_CALL_TIMEOUT_MS 2000

struct mutter_session;
struct userbus_rd_ops;
struct userbus_target;

/*
 * Takes bus_fd (a connected socket to the session bus, made by the
 * bus's user: see the comment on auth in platform/userbus.c), also on
 * failure. connector: the monitor to record ("" or NULL = the primary
 * one). Returns 0 and *out once Mutter announced the PipeWire node, or a
 * negative error (OP_ERR_GONE, -ETIMEDOUT, OP_ERR_UNSUPPORTED when
 * Mutter's interfaces are not on the bus, ...) with a reason in err.
 */
int mutter_session_open(int bus_fd, const char *connector, int timeout_ms,
	struct mutter_session **out, char *err, size_t errlen);
/*
 * The backends' open of "the user's RemoteDesktop session": the target
 * of dir (userbus_target: the user's runtime directory, NULL = ours),
 * its bus connected as its owner (userbus_connect), and
 * mutter_session_open on it, recording the primary monitor. t (NULL =
 * not wanted) receives the target, for the backend's other sockets
 * (pipewire-0). 0 and *out, or a negative error with the reason in err.
 */
int mutter_session_open_user(const char *dir, int timeout_ms,
	struct userbus_target *t, struct mutter_session **out, char *err,
	size_t errlen);

void mutter_session_close(struct mutter_session *s);

uint32_t mutter_session_node(const struct mutter_session *s);

/* The session starts with a struct userbus_rd: userbus_rd_geometry
 * gives the recorded monitor's logical position and size, from the
 * stream's Parameters (read once at open; sizes bounded to 1..16384);
 * userbus_rd_fd the bus socket, which waits for the poll events
 * (POLLIN/POLLOUT) of mutter_session_events; userbus_rd_process handles
 * whatever arrived (OP_ERR_GONE once Mutter closed the session or the
 * bus went away). */
int mutter_session_events(const struct mutter_session *s);

/* The session as the capture and input backends use it (userbus.h);
 * its input calls are RemoteDesktop's Notify* methods, in the
 * coordinates of the recorded stream. */
extern const struct userbus_rd_ops mutter_rd_ops;

/* Mutter tells clients about the session's virtual pointer and
 * keyboard only with their first event, which the client then misses
 * (measured with wev on mutter 43: the first click and the first key
 * were lost). This sends a relative motion of 0,0 and a press+release
 * of KEY_UNKNOWN (240: no keysym in any xkb layout) so that the first
 * real event arrives. 0 or a negative error. */
int mutter_session_prime(struct mutter_session *s);

/*
 * The clipboard of the session (Mutter's EnableClipboard): owner(arg,
 * mimes, n, ours) whenever the clipboard changes hands (ours: our
 * SetSelection did it), with at most MUTTER_MAX_MIMES types of at most
 * MUTTER_MAX_MIME_LEN bytes (longer ones are left out); transfer(arg,
 * mime, serial) when a client pastes what we set: answer with
 * mutter_session_selection_write and _done. Callbacks run from
 * userbus_rd_process. 0 or a negative error.
 */
#define MUTTER_MAX_MIMES 32
#define MUTTER_MAX_MIME_LEN 128
typedef void (*mutter_owner_fn)(void *arg, const char *const *mimes, int n,
	bool ours);
typedef void (*mutter_transfer_fn)(void *arg, const char *mime,
	uint32_t serial);
int mutter_session_clipboard(struct mutter_session *s, mutter_owner_fn owner,
	mutter_transfer_fn transfer, void *arg);
/* Offers mimes as our selection (n = 0: none). */
int mutter_session_selection_set(struct mutter_session *s,
	const char *const *mimes, int n);
/* The clipboard's content as mime: *fd (ours to close) is written by
 * Mutter. */
int mutter_session_selection_read(struct mutter_session *s, const char *mime,
	int *fd);
/* Where to write our content for transfer serial (*fd ours to close),
 * and whether all of it was written. */
int mutter_session_selection_write(struct mutter_session *s, uint32_t serial,
	int *fd);
int mutter_session_selection_done(struct mutter_session *s, uint32_t serial,
	bool ok);

#endif
