/* SPDX-License-Identifier: MIT */
/*
 * Interface tables and request wrappers for wl-proto.h, written from the
 * protocol descriptions. A signature string lists the arguments (i int,
 * u uint, s string, o object, n new_id); a leading digit is the version
 * that introduced the message. types[] has one entry per argument: the
 * interface of an object or new_id argument, NULL otherwise.
 */
#include "wayland/wl-proto.h"

#include <stddef.h>

/* ------------------------------------------------ zwlr_screencopy (v3) */

static const struct wl_interface *sc_capture_output_types[] = {
	&zwlr_screencopy_frame_v1_interface, NULL, &wl_output_interface,
};
static const struct wl_interface *sc_capture_region_types[] = {
	&zwlr_screencopy_frame_v1_interface, NULL, &wl_output_interface,
	NULL, NULL, NULL, NULL,
};
static const struct wl_interface *sc_buffer_types[] = {
	&wl_buffer_interface,
};
static const struct wl_interface *no_types[] = {
	NULL, NULL, NULL, NULL,
};

static const struct wl_message sc_manager_requests[] = {
	{ "capture_output", "nio", sc_capture_output_types },
	{ "capture_output_region", "nioiiii", sc_capture_region_types },
	{ "destroy", "", NULL },
};

const struct wl_interface zwlr_screencopy_manager_v1_interface = {
	"zwlr_screencopy_manager_v1", 3, 3, sc_manager_requests, 0, NULL,
};

static const struct wl_message sc_frame_requests[] = {
	{ "copy", "o", sc_buffer_types },
	{ "destroy", "", NULL },
	{ "copy_with_damage", "2o", sc_buffer_types },
};

static const struct wl_message sc_frame_events[] = {
	{ "buffer", "uuuu", no_types },
	{ "flags", "u", no_types },
	{ "ready", "uuu", no_types },
	{ "failed", "", NULL },
	{ "damage", "2uuuu", no_types },
	{ "linux_dmabuf", "3uuu", no_types },
	{ "buffer_done", "3", NULL },
};

const struct wl_interface zwlr_screencopy_frame_v1_interface = {
	"zwlr_screencopy_frame_v1", 3, 3, sc_frame_requests, 7,
	sc_frame_events,
};

/* ---------------------------------------------------- zxdg_output (v3) */

static const struct wl_interface *xo_get_types[] = {
	&zxdg_output_v1_interface, &wl_output_interface,
};

static const struct wl_message xo_manager_requests[] = {
	{ "destroy", "", NULL },
	{ "get_xdg_output", "no", xo_get_types },
};

const struct wl_interface zxdg_output_manager_v1_interface = {
	"zxdg_output_manager_v1", 3, 2, xo_manager_requests, 0, NULL,
};

static const struct wl_message xo_requests[] = {
	{ "destroy", "", NULL },
};

static const struct wl_message xo_events[] = {
	{ "logical_position", "ii", no_types },
	{ "logical_size", "ii", no_types },
	{ "done", "", NULL },
	{ "name", "2s", no_types },
	{ "description", "2s", no_types },
};

const struct wl_interface zxdg_output_v1_interface = {
	"zxdg_output_v1", 3, 1, xo_requests, 5, xo_events,
};

/* ------------------------------------- zwlr_virtual_pointer (v2) */

static const struct wl_interface *vp_create_types[] = {
	&wl_seat_interface, &zwlr_virtual_pointer_v1_interface,
};
static const struct wl_interface *vp_create_output_types[] = {
	&wl_seat_interface, &wl_output_interface,
	&zwlr_virtual_pointer_v1_interface,
};

static const struct wl_message vp_manager_requests[] = {
	{ "create_virtual_pointer", "?on", vp_create_types },
	{ "destroy", "", NULL },
	{ "create_virtual_pointer_with_output", "2?o?on",
		vp_create_output_types },
};

const struct wl_interface zwlr_virtual_pointer_manager_v1_interface = {
	"zwlr_virtual_pointer_manager_v1", 2, 3, vp_manager_requests, 0, NULL,
};

static const struct wl_message vp_requests[] = {
	{ "motion", "uff", no_types },
	{ "motion_absolute", "uuuuu", no_types },
	{ "button", "uuu", no_types },
	{ "axis", "uuf", no_types },
	{ "frame", "", NULL },
	{ "axis_source", "u", no_types },
	{ "axis_stop", "uu", no_types },
	{ "axis_discrete", "uufi", no_types },
	{ "destroy", "", NULL },
};

const struct wl_interface zwlr_virtual_pointer_v1_interface = {
	"zwlr_virtual_pointer_v1", 2, 9, vp_requests, 0, NULL,
};

/* ------------------------------------- zwp_virtual_keyboard (v1) */

static const struct wl_interface *vk_create_types[] = {
	&wl_seat_interface, &zwp_virtual_keyboard_v1_interface,
};

static const struct wl_message vk_manager_requests[] = {
	{ "create_virtual_keyboard", "on", vk_create_types },
};

const struct wl_interface zwp_virtual_keyboard_manager_v1_interface = {
	"zwp_virtual_keyboard_manager_v1", 1, 1, vk_manager_requests, 0, NULL,
};

static const struct wl_message vk_requests[] = {
	{ "keymap", "uhu", no_types },
	{ "key", "uuu", no_types },
	{ "modifiers", "uuuu", no_types },
	{ "destroy", "", NULL },
};

const struct wl_interface zwp_virtual_keyboard_v1_interface = {
	"zwp_virtual_keyboard_v1", 1, 4, vk_requests, 0, NULL,
};

/* ---------------------------------------- zwlr_data_control (v2) */

static const struct wl_interface *dc_source_types[] = {
	&zwlr_data_control_source_v1_interface,
};
static const struct wl_interface *dc_device_types[] = {
	&zwlr_data_control_device_v1_interface, &wl_seat_interface,
};
static const struct wl_interface *dc_offer_types[] = {
	&zwlr_data_control_offer_v1_interface,
};

static const struct wl_message dc_manager_requests[] = {
	{ "create_data_source", "n", dc_source_types },
	{ "get_data_device", "no", dc_device_types },
	{ "destroy", "", NULL },
};

const struct wl_interface zwlr_data_control_manager_v1_interface = {
	"zwlr_data_control_manager_v1", 2, 3, dc_manager_requests, 0, NULL,
};

static const struct wl_message dc_device_requests[] = {
	{ "set_selection", "?o", dc_source_types },
	{ "destroy", "", NULL },
	{ "set_primary_selection", "2?o", dc_source_types },
};

static const struct wl_message dc_device_events[] = {
	{ "data_offer", "n", dc_offer_types },
	{ "selection", "?o", dc_offer_types },
	{ "finished", "", NULL },
	{ "primary_selection", "2?o", dc_offer_types },
};

const struct wl_interface zwlr_data_control_device_v1_interface = {
	"zwlr_data_control_device_v1", 2, 3, dc_device_requests, 4,
	dc_device_events,
};

static const struct wl_message dc_source_requests[] = {
	{ "offer", "s", no_types },
	{ "destroy", "", NULL },
};

static const struct wl_message dc_source_events[] = {
	{ "send", "sh", no_types },
	{ "cancelled", "", NULL },
};

const struct wl_interface zwlr_data_control_source_v1_interface = {
	"zwlr_data_control_source_v1", 1, 2, dc_source_requests, 2,
	dc_source_events,
};

static const struct wl_message dc_offer_requests[] = {
	{ "receive", "sh", no_types },
	{ "destroy", "", NULL },
};

static const struct wl_message dc_offer_events[] = {
	{ "offer", "s", no_types },
};

const struct wl_interface zwlr_data_control_offer_v1_interface = {
	"zwlr_data_control_offer_v1", 1, 2, dc_offer_requests, 1,
	dc_offer_events,
};

/* ------------------------------------------------------------ requests */

#define P(x) ((struct wl_proxy *)(x))

struct zwlr_screencopy_frame_v1 *
wlp_screencopy_capture_output(struct zwlr_screencopy_manager_v1 *m,
	int32_t overlay_cursor, struct wl_output *output)
{
	return (struct zwlr_screencopy_frame_v1 *)wl_proxy_marshal_flags(P(m),
		0, &zwlr_screencopy_frame_v1_interface,
		wl_proxy_get_version(P(m)), 0, NULL, overlay_cursor, output);
}

void
wlp_screencopy_manager_destroy(struct zwlr_screencopy_manager_v1 *m)
{
	wl_proxy_marshal_flags(P(m), 2, NULL, wl_proxy_get_version(P(m)),
		WL_MARSHAL_FLAG_DESTROY);
}

int
wlp_screencopy_frame_add_listener(struct zwlr_screencopy_frame_v1 *f,
	const struct zwlr_screencopy_frame_v1_listener *l, void *data)
{
	return wl_proxy_add_listener(P(f), (void (**)(void))l, data);
}

void
wlp_screencopy_frame_copy(struct zwlr_screencopy_frame_v1 *f,
	struct wl_buffer *b)
{
	wl_proxy_marshal_flags(P(f), 0, NULL, wl_proxy_get_version(P(f)), 0,
		b);
}

void
wlp_screencopy_frame_copy_with_damage(struct zwlr_screencopy_frame_v1 *f,
	struct wl_buffer *b)
{
	wl_proxy_marshal_flags(P(f), 2, NULL, wl_proxy_get_version(P(f)), 0,
		b);
}

void
wlp_screencopy_frame_destroy(struct zwlr_screencopy_frame_v1 *f)
{
	wl_proxy_marshal_flags(P(f), 1, NULL, wl_proxy_get_version(P(f)),
		WL_MARSHAL_FLAG_DESTROY);
}

struct zxdg_output_v1 *
wlp_xdg_output_get(struct zxdg_output_manager_v1 *m, struct wl_output *output)
{
	return (struct zxdg_output_v1 *)wl_proxy_marshal_flags(P(m), 1,
		&zxdg_output_v1_interface, wl_proxy_get_version(P(m)), 0, NULL,
		output);
}

int
wlp_xdg_output_add_listener(struct zxdg_output_v1 *o,
	const struct zxdg_output_v1_listener *l, void *data)
{
	return wl_proxy_add_listener(P(o), (void (**)(void))l, data);
}

void
wlp_xdg_output_destroy(struct zxdg_output_v1 *o)
{
	wl_proxy_marshal_flags(P(o), 0, NULL, wl_proxy_get_version(P(o)),
		WL_MARSHAL_FLAG_DESTROY);
}

void
wlp_xdg_output_manager_destroy(struct zxdg_output_manager_v1 *m)
{
	wl_proxy_marshal_flags(P(m), 0, NULL, wl_proxy_get_version(P(m)),
		WL_MARSHAL_FLAG_DESTROY);
}

struct zwlr_virtual_pointer_v1 *
wlp_virtual_pointer_create(struct zwlr_virtual_pointer_manager_v1 *m,
	struct wl_seat *seat)
{
	return (struct zwlr_virtual_pointer_v1 *)wl_proxy_marshal_flags(P(m),
		0, &zwlr_virtual_pointer_v1_interface,
		wl_proxy_get_version(P(m)), 0, seat, NULL);
}

void
wlp_virtual_pointer_manager_destroy(struct zwlr_virtual_pointer_manager_v1 *m)
{
	wl_proxy_marshal_flags(P(m), 1, NULL, wl_proxy_get_version(P(m)),
		WL_MARSHAL_FLAG_DESTROY);
}

void
wlp_virtual_pointer_motion_absolute(struct zwlr_virtual_pointer_v1 *p,
	uint32_t time, uint32_t x, uint32_t y, uint32_t x_extent,
	uint32_t y_extent)
{
	wl_proxy_marshal_flags(P(p), 1, NULL, wl_proxy_get_version(P(p)), 0,
		time, x, y, x_extent, y_extent);
}

void
wlp_virtual_pointer_button(struct zwlr_virtual_pointer_v1 *p, uint32_t time,
	uint32_t button, uint32_t state)
{
	wl_proxy_marshal_flags(P(p), 2, NULL, wl_proxy_get_version(P(p)), 0,
		time, button, state);
}

void
wlp_virtual_pointer_frame(struct zwlr_virtual_pointer_v1 *p)
{
	wl_proxy_marshal_flags(P(p), 4, NULL, wl_proxy_get_version(P(p)), 0);
}

void
wlp_virtual_pointer_axis_source(struct zwlr_virtual_pointer_v1 *p,
	uint32_t source)
{
	wl_proxy_marshal_flags(P(p), 5, NULL, wl_proxy_get_version(P(p)), 0,
		source);
}

void
wlp_virtual_pointer_axis_discrete(struct zwlr_virtual_pointer_v1 *p,
	uint32_t time, uint32_t axis, wl_fixed_t value, int32_t discrete)
{
	wl_proxy_marshal_flags(P(p), 7, NULL, wl_proxy_get_version(P(p)), 0,
		time, axis, value, discrete);
}

void
wlp_virtual_pointer_destroy(struct zwlr_virtual_pointer_v1 *p)
{
	wl_proxy_marshal_flags(P(p), 8, NULL, wl_proxy_get_version(P(p)),
		WL_MARSHAL_FLAG_DESTROY);
}

struct zwp_virtual_keyboard_v1 *
wlp_virtual_keyboard_create(struct zwp_virtual_keyboard_manager_v1 *m,
	struct wl_seat *seat)
{
	return (struct zwp_virtual_keyboard_v1 *)wl_proxy_marshal_flags(P(m),
		0, &zwp_virtual_keyboard_v1_interface,
		wl_proxy_get_version(P(m)), 0, seat, NULL);
}

void
wlp_virtual_keyboard_keymap(struct zwp_virtual_keyboard_v1 *k,
	uint32_t format, int32_t fd, uint32_t size)
{
	wl_proxy_marshal_flags(P(k), 0, NULL, wl_proxy_get_version(P(k)), 0,
		format, fd, size);
}

void
wlp_virtual_keyboard_key(struct zwp_virtual_keyboard_v1 *k, uint32_t time,
	uint32_t key, uint32_t state)
{
	wl_proxy_marshal_flags(P(k), 1, NULL, wl_proxy_get_version(P(k)), 0,
		time, key, state);
}

void
wlp_virtual_keyboard_modifiers(struct zwp_virtual_keyboard_v1 *k,
	uint32_t depressed, uint32_t latched, uint32_t locked, uint32_t group)
{
	wl_proxy_marshal_flags(P(k), 2, NULL, wl_proxy_get_version(P(k)), 0,
		depressed, latched, locked, group);
}

void
wlp_virtual_keyboard_destroy(struct zwp_virtual_keyboard_v1 *k)
{
	wl_proxy_marshal_flags(P(k), 3, NULL, wl_proxy_get_version(P(k)),
		WL_MARSHAL_FLAG_DESTROY);
}

struct zwlr_data_control_device_v1 *
wlp_data_control_get_device(struct zwlr_data_control_manager_v1 *m,
	struct wl_seat *seat)
{
	return (struct zwlr_data_control_device_v1 *)wl_proxy_marshal_flags(
		P(m), 1, &zwlr_data_control_device_v1_interface,
		wl_proxy_get_version(P(m)), 0, NULL, seat);
}

struct zwlr_data_control_source_v1 *
wlp_data_control_create_source(struct zwlr_data_control_manager_v1 *m)
{
	return (struct zwlr_data_control_source_v1 *)wl_proxy_marshal_flags(
		P(m), 0, &zwlr_data_control_source_v1_interface,
		wl_proxy_get_version(P(m)), 0, NULL);
}

void
wlp_data_control_manager_destroy(struct zwlr_data_control_manager_v1 *m)
{
	wl_proxy_marshal_flags(P(m), 2, NULL, wl_proxy_get_version(P(m)),
		WL_MARSHAL_FLAG_DESTROY);
}

int
wlp_data_control_device_add_listener(struct zwlr_data_control_device_v1 *d,
	const struct zwlr_data_control_device_v1_listener *l, void *data)
{
	return wl_proxy_add_listener(P(d), (void (**)(void))l, data);
}

void
wlp_data_control_device_set_selection(struct zwlr_data_control_device_v1 *d,
	struct zwlr_data_control_source_v1 *s)
{
	wl_proxy_marshal_flags(P(d), 0, NULL, wl_proxy_get_version(P(d)), 0,
		s);
}

void
wlp_data_control_device_destroy(struct zwlr_data_control_device_v1 *d)
{
	wl_proxy_marshal_flags(P(d), 1, NULL, wl_proxy_get_version(P(d)),
		WL_MARSHAL_FLAG_DESTROY);
}

int
wlp_data_control_source_add_listener(struct zwlr_data_control_source_v1 *s,
	const struct zwlr_data_control_source_v1_listener *l, void *data)
{
	return wl_proxy_add_listener(P(s), (void (**)(void))l, data);
}

void
wlp_data_control_source_offer(struct zwlr_data_control_source_v1 *s,
	const char *mime_type)
{
	wl_proxy_marshal_flags(P(s), 0, NULL, wl_proxy_get_version(P(s)), 0,
		mime_type);
}

void
wlp_data_control_source_destroy(struct zwlr_data_control_source_v1 *s)
{
	wl_proxy_marshal_flags(P(s), 1, NULL, wl_proxy_get_version(P(s)),
		WL_MARSHAL_FLAG_DESTROY);
}

int
wlp_data_control_offer_add_listener(struct zwlr_data_control_offer_v1 *o,
	const struct zwlr_data_control_offer_v1_listener *l, void *data)
{
	return wl_proxy_add_listener(P(o), (void (**)(void))l, data);
}

void
wlp_data_control_offer_receive(struct zwlr_data_control_offer_v1 *o,
	const char *mime_type, int32_t fd)
{
	wl_proxy_marshal_flags(P(o), 0, NULL, wl_proxy_get_version(P(o)), 0,
		mime_type, fd);
}

void
wlp_data_control_offer_destroy(struct zwlr_data_control_offer_v1 *o)
{
	wl_proxy_marshal_flags(P(o), 1, NULL, wl_proxy_get_version(P(o)),
		WL_MARSHAL_FLAG_DESTROY);
}
