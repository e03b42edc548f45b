/* SPDX-License-Identifier: MIT */
/*
 * The backend-neutral part of input injection: backend selection, and
 * the path every event takes: ask the backend for the host state, let the
 * pure planner (input-keys.c) validate the event and turn it into
 * actions, then let the backend run them. Validation is complete before
 * the first action, so a refused event injects nothing. This file must
 * not know about X: anything backend-specific sits behind input_ops.
 */
#include "input/input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "input/input-internal.h"

struct input {
	uv_loop_t *loop;
	const struct input_ops *ops;
	void *be;
	struct input_act plan[INPUT_PLAN_MAX];
	int (*sas)(void *arg);
	void *sas_arg;
};

void *
input__backend(const struct input *in)
{
	return in->be;
}

void
input__set_backend(struct input *in, void *be)
{
	in->be = be;
}

int
input_open(uv_loop_t *loop, const char *backend, const char *display,
	const char *xauthority, struct input **out, char *err, size_t errlen)
{
	const struct input_ops *ops = NULL;
	struct input *in;
	int r;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	for (size_t i = 0; backend != NULL && i < input__nbackends; i++)
		if (strcmp(backend, input__backends[i]->name) == 0)
			ops = input__backends[i];
	if (ops == NULL) {
		snprintf(err, errlen, "unknown input backend %s",
			backend != NULL ? backend : "(none)");
		return OP_ERR_UNSUPPORTED;
	}
	if ((in = calloc(1, sizeof(*in))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return OP_ERR_NOMEM;
	}
	in->loop = loop;
	in->ops = ops;
	if ((r = in->ops->open(in, display, xauthority, err, errlen)) != 0) {
		free(in);
		return r;
	}
	*out = in;
	return 0;
}

void
input_close(struct input *in)
{
	if (in == NULL)
		return;
	in->ops->release_all(in);
	in->ops->close(in);
	free(in);
}

const char *
input_backend_name(const struct input *in)
{
	return in->ops->name;
}

int
input_mouse(struct input *in, const struct input_mouse_event *ev)
{
	struct input_state st;
	size_t n;
	int r;

	if ((r = in->ops->state(in, false, &st)) != 0 ||
		(r = input_plan_mouse(ev, &st, in->plan, INPUT_PLAN_MAX,
			 &n)) != 0)
		return r;
	return in->ops->exec(in, in->plan, n);
}

void
input_set_secure_attention(struct input *in, int (*fn)(void *arg),
	void *arg)
{
	in->sas = fn;
	in->sas_arg = arg;
}

int
input_key(struct input *in, const struct input_key_event *ev)
{
	struct input_state st;
	size_t n;
	int r;

	if (in->sas != NULL && ev->kind == INPUT_KEY_CONTROL &&
		ev->control_key == INPUT_CK_CTRL_ALT_DEL) {
		if (!ev->down && !ev->press)
			return 0; /* the press did it */
		if (in->sas(in->sas_arg) == 0)
			return 0;
	}
	/* Lock LEDs cost a round trip; only a press can need them. */
	if ((r = in->ops->state(in, ev->down || ev->press, &st)) != 0 ||
		(r = input_plan_key(ev, &st, in->plan, INPUT_PLAN_MAX, &n)) !=
			0)
		return r;
	return in->ops->exec(in, in->plan, n);
}

void
input_release_all(struct input *in)
{
	in->ops->release_all(in);
}

unsigned
input_held(const struct input *in)
{
	return in->ops->held(in);
}
