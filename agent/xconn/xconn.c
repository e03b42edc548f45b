/* SPDX-License-Identifier: MIT */
/* X connections with an explicit cookie file (xconn.h). */
#include "xconn/xconn.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xauth.h"

int
xconn_open(const char *display, const char *xauthority,
	xcb_connection_t **conn, int *screen, char *err, size_t errlen)
{
	const char *shown = display != NULL ? display : getenv("DISPLAY");
	char mit[] = "MIT-MAGIC-COOKIE-1";
	uint8_t cookie[OP_XAUTH_COOKIE_LEN];
	xcb_auth_info_t auth;
	char *host = NULL;
	char num[16];
	int dnum = 0;
	int r;

	*conn = NULL;
	if (shown == NULL || shown[0] == '\0') {
		snprintf(err, errlen, "no display given and $DISPLAY unset");
		return OP_ERR_CONFIG;
	}
	if (xauthority == NULL || xauthority[0] == '\0') {
		*conn = xcb_connect(display, screen);
	} else {
		if (xcb_parse_display(display, &host, &dnum, screen) == 0) {
			snprintf(err, errlen, "cannot parse display %s", shown);
			return OP_ERR_CONFIG;
		}
		free(host);
		snprintf(num, sizeof(num), "%d", dnum);
		if ((r = op_xauth_load(xauthority, num, cookie, err,
			     errlen)) != 0)
			return r;
		auth.name = mit;
		auth.namelen = (int)strlen(mit);
		auth.data = (char *)cookie;
		auth.datalen = (int)sizeof(cookie);
		*conn = xcb_connect_to_display_with_auth_info(display, &auth,
			screen);
		explicit_bzero(cookie, sizeof(cookie));
	}
	if (xcb_connection_has_error(*conn) != 0) {
		snprintf(err, errlen,
			"cannot open display %s (no server, or the cookie "
			"was refused)",
			shown);
		return -ECONNREFUSED;
	}
	return 0;
}
