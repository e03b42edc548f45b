/* SPDX-License-Identifier: MIT */
/*
 * The network process's own files and its configuration, as the monitor
 * hands them over (daemon-monitor-priv.c says why): the private
 * directory arrives as a descriptor and its files are named through
 * /proc/self/fd/N; the configuration arrives as an open file.
 */
#include "cli/daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "core/err.h"
#include "monitor/monitor-client.h"

static int private_fd = -1;

void
daemon_private_set(int fd)
{
	private_fd = fd;
}

void
daemon_private_path(const struct conf *conf, const char *name, char *out,
	size_t size)
{
	if (private_fd >= 0)
		snprintf(out, size, "/proc/self/fd/%d/%s", private_fd, name);
	else
		snprintf(out, size, "%s/%s/%s", conf_str(conf, CONF_STATE_DIR),
			DAEMON_PRIVATE_DIR, name);
}

int
daemon_conf_from_monitor(int mon_fd, struct conf **out,
	struct conf_diags *diags)
{
	char name[4096], why[MON_MSG_MAX];
	bool system = false;
	int fd, r;

	*out = NULL;
	r = monclient_config(mon_fd, &system, name, sizeof(name), why,
		sizeof(why), &fd);
	if (r == 0 && system)
		conf_use_system_defaults();
	if (r == 0 && name[0] == '\0')
		return (*out = conf_new_default()) != NULL ? 0 : OP_ERR_NOMEM;
	if (r == 0)
		return conf_load_fd(name, fd, out, diags);
	/* The monitor's reading of the file: one problem a line. */
	for (char *line = why, *nl; r == OP_ERR_CONFIG && diags != NULL &&
	     line[0] != '\0'; line = nl != NULL ? nl + 1 : line + strlen(line)) {
		struct conf_diag *v = realloc(diags->v,
			(diags->n + 1) * sizeof(*v));
		char *tab;

		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (v == NULL)
			return OP_ERR_NOMEM;
		diags->v = v;
		if ((tab = strchr(line, '\t')) != NULL)
			*tab = '\0';
		v[diags->n].where = strdup(tab != NULL ? line : name);
		v[diags->n].msg = strdup(tab != NULL ? tab + 1 : line);
		v[diags->n].line = v[diags->n].col = 0;
		diags->n++;
	}
	return r;
}
