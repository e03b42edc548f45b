/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the input planners (input_plan_key, input_plan_mouse): every
 * field of a KeyEvent or MouseEvent and the host state come from the
 * input, with no X server. Layout: byte 0 picks mouse (bit 7) or key,
 * the mode (bits 0-1), down (2), press (3) and the union case (4-6);
 * byte 1 the held modifiers; byte 2 the lock LEDs; then control_key or
 * mask, chr or x, y as little-endian int32; a modifier count and that
 * many int32; the rest is seq. Beyond "no crash", the contracts: only 0
 * or OP_ERR_RANGE, an empty plan on refusal, actions within their
 * ranges, and the same plan twice.
 */
#include <stdint.h>

#include "core/err.h"
#include "input/input-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct input_act p1[INPUT_PLAN_MAX], p2[INPUT_PLAN_MAX];
static int32_t mods[64];

static int32_t
get_i32(const uint8_t *d)
{
	return (int32_t)((uint32_t)d[0] | (uint32_t)d[1] << 8 |
		(uint32_t)d[2] << 16 | (uint32_t)d[3] << 24);
}

static void
check_plan(const struct input_act *a, size_t n, const struct input_state *st)
{
	if (n > INPUT_PLAN_MAX)
		__builtin_trap();
	for (size_t i = 0; i < n; i++) {
		switch (a[i].kind) {
		case INPUT_ACT_KEYCODE:
			if (a[i].v < 8 || a[i].v > 255)
				__builtin_trap();
			break;
		case INPUT_ACT_KEYSYM:
		case INPUT_ACT_TYPE:
			if (a[i].v == 0)
				__builtin_trap();
			break;
		case INPUT_ACT_MOVE:
			if (a[i].x < 0 || a[i].y < 0 || a[i].x >= st->width ||
				a[i].y >= st->height)
				__builtin_trap();
			break;
		case INPUT_ACT_BUTTON:
			if (a[i].v < 1 || a[i].v > 9)
				__builtin_trap();
			break;
		default:
			__builtin_trap();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input_state st = { .width = 1920, .height = 1080 };
	size_t nmods, n1 = 7, n2 = 7, off = 16;
	int r1, r2;

	if (size < off)
		return 0;
	st.mods = data[1];
	st.caps = data[2] & 1;
	st.num = (data[2] >> 1) & 1;
	nmods = data[15] % 41; /* up to past INPUT_MAX_MODIFIERS */
	if (size - off < nmods * 4)
		nmods = (size - off) / 4;
	for (size_t i = 0; i < nmods; i++)
		mods[i] = get_i32(data + off + i * 4);
	off += nmods * 4;
	if (data[0] & 0x80) {
		struct input_mouse_event m = { .mask = get_i32(data + 3),
			.x = get_i32(data + 7), .y = get_i32(data + 11),
			.modifiers = mods, .n_modifiers = nmods };

		r1 = input_plan_mouse(&m, &st, p1, INPUT_PLAN_MAX, &n1);
		r2 = input_plan_mouse(&m, &st, p2, INPUT_PLAN_MAX, &n2);
	} else {
		struct input_key_event k = {
			.mode = (enum input_kmode)(data[0] & 3),
			.down = (data[0] >> 2) & 1,
			.press = (data[0] >> 3) & 1,
			.kind = (enum input_key_kind)((data[0] >> 4) & 7),
			.control_key = get_i32(data + 3),
			.chr = (uint32_t)get_i32(data + 7),
			.seq = (const char *)data + off,
			.seq_len = size - off,
			.modifiers = mods,
			.n_modifiers = nmods,
		};

		r1 = input_plan_key(&k, &st, p1, INPUT_PLAN_MAX, &n1);
		r2 = input_plan_key(&k, &st, p2, INPUT_PLAN_MAX, &n2);
	}
	if (r1 != r2 || n1 != n2)
		__builtin_trap();
	if (r1 != 0 && (r1 != OP_ERR_RANGE || n1 != 0))
		__builtin_trap();
	check_plan(p1, n1, &st);
	/* Field by field: padding bytes are not part of a plan. */
	for (size_t i = 0; i < n1; i++)
		if (p1[i].kind != p2[i].kind || p1[i].down != p2[i].down ||
			p1[i].v != p2[i].v || p1[i].x != p2[i].x ||
			p1[i].y != p2[i].y)
			__builtin_trap();
	return 0;
}
