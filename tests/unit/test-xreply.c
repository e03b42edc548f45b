/* SPDX-License-Identifier: MIT */
/*
 * xconn's reply checks (issue 11 item 10), on replies built here the way
 * libxcb hands them over: exactly 32 + 4 * length bytes from the heap
 * (so ASan sees any read past them). Headers that claim more than the
 * reply holds (GetProperty's value_len, a cursor's width x height, a
 * QueryFont struct longer than its length) and connection setups whose
 * vendor, formats, screens, depths or visuals run past the end are
 * refused; honest ones pass.
 */
#include <stdlib.h>
#include <string.h>

#include <xcb/xfixes.h>

#include "core/err.h"
#include "th.h"
#include "xconn/xconn.h"

/* A reply of 32 + 4 * length bytes, zeroed, with the generic header. */
static void *
reply(uint32_t length)
{
	xcb_generic_reply_t *r = calloc(1, 32 + (size_t)length * 4);

	if (r == NULL)
		abort();
	r->response_type = 1; /* a reply */
	r->length = length;
	return r;
}

static void
test_property(void)
{
	xcb_get_property_reply_t *r = reply(2);
	const uint8_t *v;
	size_t n;

	r->format = 8;
	r->value_len = 8;
	ASSERT_INT_EQ(xconn_property_value(r, &v, &n), 0);
	ASSERT_INT_EQ(n, 8);
	ASSERT(v == (const uint8_t *)r + 32);
	/* The lie: 100000 bytes claimed, none sent. xcb would say 100000. */
	r->value_len = 100000;
	ASSERT_INT_EQ(xcb_get_property_value_length(r), 100000);
	ASSERT_INT_EQ(xconn_property_value(r, &v, &n), OP_ERR_PROTO);
	ASSERT(v == NULL && n == 0);
	/* 2^30 items of 4 bytes: no overflow to a small number. */
	r->format = 32;
	r->value_len = 1u << 30;
	ASSERT_INT_EQ(xconn_property_value(r, &v, &n), OP_ERR_PROTO);
	r->value_len = 0xffffffffu;
	ASSERT_INT_EQ(xconn_property_value(r, &v, &n), OP_ERR_PROTO);
	/* One item too many, then just enough. */
	r->format = 16;
	r->value_len = 5;
	ASSERT_INT_EQ(xconn_property_value(r, &v, &n), OP_ERR_PROTO);
	r->value_len = 4;
	ASSERT_INT_EQ(xconn_property_value(r, &v, &n), 0);
	ASSERT_INT_EQ(n, 8);
	/* Formats other than 0, 8, 16, 32 are not X11. */
	r->format = 7;
	r->value_len = 1;
	ASSERT_INT_EQ(xconn_property_value(r, &v, &n), OP_ERR_PROTO);
	r->format = 0; /* no such property */
	r->value_len = 0;
	ASSERT_INT_EQ(xconn_property_value(r, &v, &n), 0);
	ASSERT_INT_EQ(n, 0);
	free(r);
	ASSERT_INT_EQ(xconn_property_value(NULL, &v, &n), OP_ERR_PROTO);
}

static void
test_cursor_and_fixed(void)
{
	xcb_xfixes_get_cursor_image_reply_t *c = reply(0);
	xcb_query_font_reply_t *qf = reply(0);

	/* A 64x64 cursor claimed, no pixels sent. */
	c->width = 64;
	c->height = 64;
	ASSERT(!xconn_reply_fits(c, sizeof(*c), 64u * 64 * 4));
	free(c);
	c = reply(64 * 64);
	c->width = 64;
	c->height = 64;
	ASSERT(xconn_reply_fits(c, sizeof(*c), 64u * 64 * 4));
	ASSERT(!xconn_reply_fits(c, sizeof(*c), 64u * 64 * 4 + 1));
	/* An offset past the end, and the largest claim. */
	ASSERT(!xconn_reply_fits(c, 32 + 64 * 64 * 4 + 4, 0));
	ASSERT(!xconn_reply_fits(c, sizeof(*c), UINT64_MAX));
	free(c);
	/* QueryFont's fixed part is 60 bytes: length 0 holds 32. */
	ASSERT(!xconn_reply_fits(qf, sizeof(*qf), 0));
	free(qf);
	qf = reply(7);
	ASSERT(xconn_reply_fits(qf, sizeof(*qf), 0));
	free(qf);
	ASSERT(!xconn_reply_fits(NULL, 0, 0));
}

/* A setup: vendor "Xfake" (padded to 8), one pixmap format, one screen
 * with one depth of one visual; k says what to break. */
static xcb_setup_t *
setup(int k)
{
	size_t len = sizeof(xcb_setup_t) + 8 + sizeof(xcb_format_t) +
		sizeof(xcb_screen_t) + sizeof(xcb_depth_t) +
		sizeof(xcb_visualtype_t);
	uint8_t *b = calloc(1, len);
	xcb_setup_t *s = (xcb_setup_t *)b;
	xcb_screen_t *scr;
	xcb_depth_t *d;
	size_t off = sizeof(*s);

	if (b == NULL)
		abort();
	s->status = 1;
	s->length = (uint16_t)((len - 8) / 4);
	s->vendor_len = 5;
	memcpy(b + off, "Xfake", 5);
	off += 8;
	s->pixmap_formats_len = 1;
	off += sizeof(xcb_format_t);
	s->roots_len = 1;
	scr = (xcb_screen_t *)(b + off);
	scr->allowed_depths_len = 1;
	off += sizeof(*scr);
	d = (xcb_depth_t *)(b + off);
	d->visuals_len = 1;
	switch (k) {
	case 1:
		s->vendor_len = 0xffff;
		break;
	case 2:
		s->pixmap_formats_len = 255;
		break;
	case 3:
		s->roots_len = 2;
		break;
	case 4:
		scr->allowed_depths_len = 200;
		break;
	case 5:
		d->visuals_len = 1000;
		break;
	case 6:
		s->length -= 1; /* the visual cut short */
		break;
	default:
		break;
	}
	return s;
}

static void
test_setup(void)
{
	xcb_setup_t *s = setup(0);
	xcb_screen_iterator_t it;

	ASSERT(xconn_setup_valid(s));
	/* Once valid, xcb's iterators stay inside. */
	it = xcb_setup_roots_iterator(s);
	ASSERT_INT_EQ(it.rem, 1);
	ASSERT_INT_EQ(it.data->allowed_depths_len, 1);
	free(s);
	for (int k = 1; k <= 6; k++) {
		s = setup(k);
		if (xconn_setup_valid(s))
			TH_FAIL("broken setup %d accepted", k);
		free(s);
	}
	ASSERT(!xconn_setup_valid(NULL));
}

int
main(void)
{
	RUN(test_property);
	RUN(test_cursor_and_fixed);
	RUN(test_setup);
	return th_done();
}
