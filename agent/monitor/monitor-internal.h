/* SPDX-License-Identifier: MIT */
/* Shared by the monitor's files. */
#ifndef OP_MONITOR_MONITOR_INTERNAL_H
#define OP_MONITOR_MONITOR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "monitor/monitor.h"
#include "monitor/secrets.h"

struct term_direct;

/* A token bucket: refills per_s a second up to burst; a use costs one. */
struct monitor__bucket {
	double tokens;
	uint64_t ms;
	uint64_t refused;
};

struct monitor {
	struct state *st;
	struct monitor_opts o;
	struct secrets_creds creds;
	uint32_t generation;
	bool hello_done;
	uint32_t once_done; /* bit per type: MON_ONCE requests answered */
	struct monitor__bucket proofs;
	char xauthority_any[4096];
	char previous[64]; /* how the last network process ended */
	/* terminals (monitor-term.c) */
	struct monitor_term_conf term;
	struct term_direct *terms; /* this network process's shells */
	struct monitor__bucket term_opens;
};

/* The signature of a request's handler (monitor.c's table). */
typedef int (*mon_handler)(struct monitor *m, struct mon_rd *in,
	struct mon_buf *out, struct monitor_reply *fds);

/* May one more use of b happen now? A refusal is logged (what: "password
 * checks"), once per hundred. */
bool monitor__bucket_take(struct monitor *m, struct monitor__bucket *b,
	unsigned burst, unsigned per_s, const char *what);

/* A malformed request: marks it so (monitor_serve ends the network
 * process); a handler's own failures are reply statuses instead. */
int monitor__malformed(struct mon_rd *in);

/* monitor-term.c: term-open and term-hangup. */
int monitor__on_term_open(struct monitor *m, struct mon_rd *in,
	struct mon_buf *out, struct monitor_reply *fds);
int monitor__on_term_hangup(struct monitor *m, struct mon_rd *in,
	struct mon_buf *out, struct monitor_reply *fds);

/*
 * connect-user's check: path is a wayland-*, pipewire-0, bus or
 * pulse/native socket of uid (an existing user) in a directory of uid's
 * that no one else can write. Returns 0 with uid's primary group in *gid,
 * -ENOENT (no such socket), or -EPERM with why filled.
 */
int monitor__user_socket(const char *path, uint32_t uid, gid_t *gid,
	char *why, size_t why_size);

#endif
