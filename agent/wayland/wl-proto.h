/* SPDX-License-Identifier: MIT */
/*
 * Client-side bindings, written by hand, for the Wayland protocol
 * extensions the wlroots backends use and Debian ships no XML for:
 *
 *   zwlr_screencopy_manager_v1 / zwlr_screencopy_frame_v1  (version 3)
 *   zxdg_output_manager_v1 / zxdg_output_v1                (version 3)
 *   zwlr_virtual_pointer_manager_v1 / zwlr_virtual_pointer_v1 (version 2)
 *   zwp_virtual_keyboard_manager_v1 / zwp_virtual_keyboard_v1 (version 1)
 *   zwlr_data_control_manager_v1 / _device_v1 / _source_v1 / _offer_v1
 *                                                           (version 2)
 *
 * The interface tables (wl-proto.c) follow the protocols' XML
 * descriptions (wlr-protocols, wayland-protocols; MIT licensed): message
 * names, signatures and argument types in declaration order, which is
 * what the wire opcodes are. Only what we call is wrapped here.
 */
#ifndef OP_WAYLAND_WL_PROTO_H
#define OP_WAYLAND_WL_PROTO_H

#include <stdint.h>

#include <wayland-client-core.h>
#include <wayland-client-protocol.h>

struct zwlr_screencopy_manager_v1;
struct zwlr_screencopy_frame_v1;
struct zxdg_output_manager_v1;
struct zxdg_output_v1;
struct zwlr_virtual_pointer_manager_v1;
struct zwlr_virtual_pointer_v1;
struct zwp_virtual_keyboard_manager_v1;
struct zwp_virtual_keyboard_v1;
struct zwlr_data_control_manager_v1;
struct zwlr_data_control_device_v1;
struct zwlr_data_control_source_v1;
struct zwlr_data_control_offer_v1;

extern const struct wl_interface zwlr_screencopy_manager_v1_interface;
extern const struct wl_interface zwlr_screencopy_frame_v1_interface;
extern const struct wl_interface zxdg_output_manager_v1_interface;
extern const struct wl_interface zxdg_output_v1_interface;
extern const struct wl_interface zwlr_virtual_pointer_manager_v1_interface;
extern const struct wl_interface zwlr_virtual_pointer_v1_interface;
extern const struct wl_interface zwp_virtual_keyboard_manager_v1_interface;
extern const struct wl_interface zwp_virtual_keyboard_v1_interface;
extern const struct wl_interface zwlr_data_control_manager_v1_interface;
extern const struct wl_interface zwlr_data_control_device_v1_interface;
extern const struct wl_interface zwlr_data_control_source_v1_interface;
extern const struct wl_interface zwlr_data_control_offer_v1_interface;

/* zwlr_screencopy_frame_v1.flags */
#define ZWLR_SCREENCOPY_FRAME_V1_FLAGS_Y_INVERT 1u

struct zwlr_screencopy_frame_v1_listener {
	void (*buffer)(void *data, struct zwlr_screencopy_frame_v1 *f,
		uint32_t format, uint32_t width, uint32_t height,
		uint32_t stride);
	void (*flags)(void *data, struct zwlr_screencopy_frame_v1 *f,
		uint32_t flags);
	void (*ready)(void *data, struct zwlr_screencopy_frame_v1 *f,
		uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec);
	void (*failed)(void *data, struct zwlr_screencopy_frame_v1 *f);
	/* since 2 */
	void (*damage)(void *data, struct zwlr_screencopy_frame_v1 *f,
		uint32_t x, uint32_t y, uint32_t width, uint32_t height);
	/* since 3 */
	void (*linux_dmabuf)(void *data, struct zwlr_screencopy_frame_v1 *f,
		uint32_t format, uint32_t width, uint32_t height);
	void (*buffer_done)(void *data, struct zwlr_screencopy_frame_v1 *f);
};

struct zxdg_output_v1_listener {
	void (*logical_position)(void *data, struct zxdg_output_v1 *o,
		int32_t x, int32_t y);
	void (*logical_size)(void *data, struct zxdg_output_v1 *o,
		int32_t width, int32_t height);
	void (*done)(void *data, struct zxdg_output_v1 *o);
	/* since 2 */
	void (*name)(void *data, struct zxdg_output_v1 *o, const char *name);
	void (*description)(void *data, struct zxdg_output_v1 *o,
		const char *description);
};

/* zwlr_screencopy_manager_v1.capture_output: a frame of the whole output,
 * without the cursor unless overlay_cursor. */
struct zwlr_screencopy_frame_v1 *wlp_screencopy_capture_output(
	struct zwlr_screencopy_manager_v1 *m, int32_t overlay_cursor,
	struct wl_output *output);
void wlp_screencopy_manager_destroy(struct zwlr_screencopy_manager_v1 *m);
int wlp_screencopy_frame_add_listener(struct zwlr_screencopy_frame_v1 *f,
	const struct zwlr_screencopy_frame_v1_listener *l, void *data);
void wlp_screencopy_frame_copy(struct zwlr_screencopy_frame_v1 *f,
	struct wl_buffer *b);
/* Version >= 2: the copy waits until the output has damage. */
void wlp_screencopy_frame_copy_with_damage(struct zwlr_screencopy_frame_v1 *f,
	struct wl_buffer *b);
void wlp_screencopy_frame_destroy(struct zwlr_screencopy_frame_v1 *f);

struct zxdg_output_v1 *wlp_xdg_output_get(struct zxdg_output_manager_v1 *m,
	struct wl_output *output);
int wlp_xdg_output_add_listener(struct zxdg_output_v1 *o,
	const struct zxdg_output_v1_listener *l, void *data);
void wlp_xdg_output_destroy(struct zxdg_output_v1 *o);
void wlp_xdg_output_manager_destroy(struct zxdg_output_manager_v1 *m);

/* Virtual pointer: seat may be NULL (the compositor's default seat). */
struct zwlr_virtual_pointer_v1 *wlp_virtual_pointer_create(
	struct zwlr_virtual_pointer_manager_v1 *m, struct wl_seat *seat);
void wlp_virtual_pointer_manager_destroy(
	struct zwlr_virtual_pointer_manager_v1 *m);
void wlp_virtual_pointer_motion_absolute(struct zwlr_virtual_pointer_v1 *p,
	uint32_t time, uint32_t x, uint32_t y, uint32_t x_extent,
	uint32_t y_extent);
void wlp_virtual_pointer_button(struct zwlr_virtual_pointer_v1 *p,
	uint32_t time, uint32_t button, uint32_t state);
void wlp_virtual_pointer_axis_source(struct zwlr_virtual_pointer_v1 *p,
	uint32_t source);
void wlp_virtual_pointer_axis_discrete(struct zwlr_virtual_pointer_v1 *p,
	uint32_t time, uint32_t axis, wl_fixed_t value, int32_t discrete);
void wlp_virtual_pointer_frame(struct zwlr_virtual_pointer_v1 *p);
void wlp_virtual_pointer_destroy(struct zwlr_virtual_pointer_v1 *p);

/* Virtual keyboard: a keymap (format 1 = xkb v1, an fd of size bytes)
 * must come before any key. */
struct zwp_virtual_keyboard_v1 *wlp_virtual_keyboard_create(
	struct zwp_virtual_keyboard_manager_v1 *m, struct wl_seat *seat);
void wlp_virtual_keyboard_keymap(struct zwp_virtual_keyboard_v1 *k,
	uint32_t format, int32_t fd, uint32_t size);
void wlp_virtual_keyboard_key(struct zwp_virtual_keyboard_v1 *k,
	uint32_t time, uint32_t key, uint32_t state);
void wlp_virtual_keyboard_modifiers(struct zwp_virtual_keyboard_v1 *k,
	uint32_t depressed, uint32_t latched, uint32_t locked, uint32_t group);
void wlp_virtual_keyboard_destroy(struct zwp_virtual_keyboard_v1 *k);

struct zwlr_data_control_device_v1_listener {
	/* A new offer (libwayland made the proxy); its mime types follow. */
	void (*data_offer)(void *data, struct zwlr_data_control_device_v1 *d,
		struct zwlr_data_control_offer_v1 *offer);
	/* The clipboard's offer, or NULL when it is empty. */
	void (*selection)(void *data, struct zwlr_data_control_device_v1 *d,
		struct zwlr_data_control_offer_v1 *offer);
	void (*finished)(void *data, struct zwlr_data_control_device_v1 *d);
	/* since 2 */
	void (*primary_selection)(void *data,
		struct zwlr_data_control_device_v1 *d,
		struct zwlr_data_control_offer_v1 *offer);
};

struct zwlr_data_control_source_v1_listener {
	void (*send)(void *data, struct zwlr_data_control_source_v1 *s,
		const char *mime_type, int32_t fd);
	void (*cancelled)(void *data, struct zwlr_data_control_source_v1 *s);
};

struct zwlr_data_control_offer_v1_listener {
	void (*offer)(void *data, struct zwlr_data_control_offer_v1 *o,
		const char *mime_type);
};

struct zwlr_data_control_device_v1 *wlp_data_control_get_device(
	struct zwlr_data_control_manager_v1 *m, struct wl_seat *seat);
struct zwlr_data_control_source_v1 *wlp_data_control_create_source(
	struct zwlr_data_control_manager_v1 *m);
void wlp_data_control_manager_destroy(struct zwlr_data_control_manager_v1 *m);
int wlp_data_control_device_add_listener(
	struct zwlr_data_control_device_v1 *d,
	const struct zwlr_data_control_device_v1_listener *l, void *data);
void wlp_data_control_device_set_selection(
	struct zwlr_data_control_device_v1 *d,
	struct zwlr_data_control_source_v1 *s);
void wlp_data_control_device_destroy(struct zwlr_data_control_device_v1 *d);
int wlp_data_control_source_add_listener(
	struct zwlr_data_control_source_v1 *s,
	const struct zwlr_data_control_source_v1_listener *l, void *data);
void wlp_data_control_source_offer(struct zwlr_data_control_source_v1 *s,
	const char *mime_type);
void wlp_data_control_source_destroy(struct zwlr_data_control_source_v1 *s);
int wlp_data_control_offer_add_listener(struct zwlr_data_control_offer_v1 *o,
	const struct zwlr_data_control_offer_v1_listener *l, void *data);
void wlp_data_control_offer_receive(struct zwlr_data_control_offer_v1 *o,
	const char *mime_type, int32_t fd);
void wlp_data_control_offer_destroy(struct zwlr_data_control_offer_v1 *o);

#endif
