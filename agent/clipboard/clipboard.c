/* SPDX-License-Identifier: MIT */
/*
 * The backend-neutral clipboard: picks a backend by name and forwards to
 * its ops (clipboard-internal.h): x11 (clipboard-x11.c) and wlr
 * (wlroots data-control, clipboard-wlr.c), mutter (clipboard-mutter.c);
 * on Windows win (clipboard-win.c).
 */
#include "clipboard/clipboard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipboard/clipboard-internal.h"
#include "core/err.h"

struct clipboard {
	const struct clipboard_ops *ops;
	void *be;
	/* Who hears of changes: set at open or later (clipboard_listen),
	 * since the daemon opens the handle before the session exists to
	 * listen. */
	clipboard_changed_fn changed;
	void *arg;
};

static void
forward_changed(void *arg, struct clipboard *cb)
{
	(void)arg;
	if (cb->changed != NULL)
		cb->changed(cb->arg, cb);
}

/* "unknown clipboard backend X (known: x11, wlr, mutter)" */
static void
unknown(const char *backend, char *err, size_t errlen)
{
	size_t len;

	snprintf(err, errlen, "unknown clipboard backend %s (known: ",
		backend != NULL ? backend : "(none)");
	for (size_t i = 0; i < clipboard__nbackends; i++) {
		len = strnlen(err, errlen);
		snprintf(err + len, errlen - len, "%s%s", i > 0 ? ", " : "",
			clipboard__backends[i]->name);
	}
	len = strnlen(err, errlen);
	snprintf(err + len, errlen - len, ")");
}

int
clipboard_open(uv_loop_t *loop, const char *backend, const char *target,
	const char *auth, size_t max_bytes, clipboard_changed_fn changed,
	void *arg, struct clipboard **out, char *err, size_t errlen)
{
	const struct clipboard_ops *ops = NULL;
	struct clipboard *cb;
	int r;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	for (size_t i = 0; i < clipboard__nbackends; i++)
		if (backend != NULL &&
			strcmp(backend, clipboard__backends[i]->name) == 0)
			ops = clipboard__backends[i];
	if (ops == NULL) {
		unknown(backend, err, errlen);
		return OP_ERR_UNSUPPORTED;
	}
	if ((cb = calloc(1, sizeof(*cb))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return OP_ERR_NOMEM;
	}
	cb->ops = ops;
	cb->changed = changed;
	cb->arg = arg;
	if ((r = ops->open(loop, target, auth, max_bytes, cb, forward_changed, cb,
		     &cb->be, err, errlen)) != 0) {
		free(cb);
		return r;
	}
	*out = cb;
	return 0;
}

void
clipboard_listen(struct clipboard *cb, clipboard_changed_fn changed,
	void *arg)
{
	cb->changed = changed;
	cb->arg = arg;
}

void
clipboard_close(struct clipboard *cb)
{
	if (cb == NULL)
		return;
	cb->ops->close(cb->be);
	free(cb);
}

const char *
clipboard_backend_name(const struct clipboard *cb)
{
	return cb->ops->name;
}

int
clipboard_read(struct clipboard *cb, clipboard_read_fn done, void *arg)
{
	return cb->ops->read(cb->be, done, arg);
}

int
clipboard_set(struct clipboard *cb, const struct clipboard_item *items,
	int n)
{
	return cb->ops->set(cb->be, items, n);
}
