/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes xconn's checks of what an X server sends (xconn_setup_valid,
 * xconn_property_value, xconn_reply_fits). The input becomes a buffer
 * the way libxcb hands it over: exactly as long as its own length field
 * says (8 + 4 * length for the setup, 32 + 4 * length for a reply). The
 * contract: whatever the checks accept, xcb's own iterators and accessors
 * then read only inside the buffer (ASan watches), walking every screen,
 * depth and visual, and every byte of the property value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xconn/xconn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the walks read, so they are not optimised away. */
static volatile unsigned sink;

static void
setup_case(const uint8_t *data, size_t size)
{
	size_t len = size < sizeof(xcb_setup_t) ? sizeof(xcb_setup_t) : size;
	xcb_setup_t *s;

	len = (len - 8 + 3) / 4 * 4 + 8;
	if (len > 8 + 4 * 0xffffu || (s = calloc(1, len)) == NULL)
		return;
	memcpy(s, data, size);
	s->length = (uint16_t)((len - 8) / 4);
	if (xconn_setup_valid(s)) {
		xcb_format_iterator_t f = xcb_setup_pixmap_formats_iterator(s);
		xcb_screen_iterator_t it = xcb_setup_roots_iterator(s);

		for (; f.rem > 0; xcb_format_next(&f))
			sink += f.data->depth;
		for (; it.rem > 0; xcb_screen_next(&it)) {
			xcb_depth_iterator_t d =
				xcb_screen_allowed_depths_iterator(it.data);

			sink += it.data->root;
			for (; d.rem > 0; xcb_depth_next(&d)) {
				xcb_visualtype_iterator_t v =
					xcb_depth_visuals_iterator(d.data);

				for (; v.rem > 0; xcb_visualtype_next(&v))
					sink += v.data->visual_id;
			}
		}
	}
	free(s);
}

static void
property_case(const uint8_t *data, size_t size)
{
	size_t len = (size < 32 ? 32 : size + 3) / 4 * 4;
	xcb_get_property_reply_t *r;
	const uint8_t *v;
	size_t n;

	if ((r = calloc(1, len)) == NULL)
		return;
	memcpy(r, data, size);
	r->length = (uint32_t)((len - 32) / 4);
	if (xconn_property_value(r, &v, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			sink += v[i];
		if ((size_t)xcb_get_property_value_length(r) != n)
			__builtin_trap();
	}
	if (xconn_reply_fits(r, 32, (uint64_t)r->value_len) &&
		r->value_len > 0)
		sink += ((const uint8_t *)(r + 1))[r->value_len - 1];
	free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		property_case(data + 1, size - 1);
	else
		setup_case(data + 1, size - 1);
	return 0;
}
