/* SPDX-License-Identifier: MIT */
/*
 * The control endpoint on Windows, under wine: the daemon side (ctl.c on
 * a named pipe) answers a client thread's ctl_request; no daemon means
 * -ENOENT; a raw client that sends no newline within the request limit
 * is dropped; the pipe carries the private DACL's three entries. Another user's client cannot be made under wine (every
 * process has the same token): the token check is untested here.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "ctl/ctl.h"
#include "th.h"

#include <aclapi.h>
#include <sddl.h>

static const char *dir = "C:\\ProgramData\\Outpost-ctl-test";

static void
handler(void *arg, const char *request, char *out, size_t out_size)
{
	(void)arg;
	snprintf(out, out_size, "{\"got\":\"%s\"}", request);
}

struct client {
	uv_async_t done;
	int r_ok, r_none;
	char *ans;
	long raw_read; /* bytes the server sent a newline-less client */
	int dacl_aces; /* -1: not reported */
	int dacl_ours; /* ACEs for SY, BA or S-1-5-21-... (us) */
	bool dacl_protected;
};

/* A client that sends 300 bytes and no newline: the server must hang up
 * without an answer. Also reads the pipe's DACL. */
static void
raw_client(struct client *c)
{
	char name[128], junk[300], buf[64];
	uint64_t h = 0xcbf29ce484222325ull;
	PSECURITY_DESCRIPTOR sd = NULL;
	SECURITY_DESCRIPTOR_CONTROL ctl;
	PACL dacl = NULL;
	DWORD n = 0, rev;
	HANDLE p;

	for (const unsigned char *s = (const unsigned char *)dir; *s; s++)
		h = (h ^ *s) * 0x100000001b3ull;
	snprintf(name, sizeof(name), "\\\\.\\pipe\\outpost-control-%016llx",
		(unsigned long long)h);
	c->raw_read = -1;
	c->dacl_aces = -1;
	p = CreateFileA(name, GENERIC_READ | GENERIC_WRITE | READ_CONTROL, 0,
		NULL, OPEN_EXISTING, 0, NULL);
	if (p == INVALID_HANDLE_VALUE)
		return;
	if (GetSecurityInfo(p, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION,
		    NULL, NULL, &dacl, NULL, &sd) == ERROR_SUCCESS &&
		dacl != NULL) {
		c->dacl_aces = dacl->AceCount;
		for (DWORD i = 0; i < dacl->AceCount; i++) {
			ACCESS_ALLOWED_ACE *a;
			LPSTR sid = NULL;

			if (GetAce(dacl, i, (void **)&a) &&
				a->Header.AceType == ACCESS_ALLOWED_ACE_TYPE &&
				ConvertSidToStringSidA((PSID)&a->SidStart,
					&sid)) {
				c->dacl_ours += strcmp(sid, "S-1-5-18") == 0 ||
					strcmp(sid, "S-1-5-32-544") == 0 ||
					strncmp(sid, "S-1-5-21-", 9) == 0;
				LocalFree(sid);
			}
		}
		c->dacl_protected = GetSecurityDescriptorControl(sd, &ctl,
					    &rev) &&
			(ctl & SE_DACL_PROTECTED);
		LocalFree(sd);
	}
	memset(junk, 'x', sizeof(junk));
	WriteFile(p, junk, sizeof(junk), &n, NULL);
	c->raw_read = 0;
	while (ReadFile(p, buf, sizeof(buf), &n, NULL) && n > 0)
		c->raw_read += n;
	CloseHandle(p);
}

static void
client_thread(void *arg)
{
	struct client *c = arg;
	char *none = NULL;

	c->r_ok = ctl_request(dir, "status", 3000, &c->ans);
	c->r_none = ctl_request("C:\\nowhere", "status", 1000, &none);
	free(none);
	raw_client(c);
	uv_async_send(&c->done);
}

static void
on_done(uv_async_t *a)
{
	uv_close((uv_handle_t *)a, NULL);
}

static void
test_ctl(void)
{
	uv_loop_t loop;
	struct ctl_server *srv = NULL;
	struct client c = { 0 };
	uv_thread_t t;

	ASSERT_INT_EQ(uv_loop_init(&loop), 0);
	ASSERT_INT_EQ(ctl_server_start_pipe(&loop, dir, handler, NULL, &srv),
		0);
	ASSERT_INT_EQ(uv_async_init(&loop, &c.done, on_done), 0);
	ASSERT_INT_EQ(uv_thread_create(&t, client_thread, &c), 0);
	/* Runs until the client thread is done (its async closes). */
	while (uv_loop_alive(&loop) && !uv_is_closing((uv_handle_t *)&c.done))
		uv_run(&loop, UV_RUN_ONCE);
	uv_thread_join(&t);
	ctl_server_stop(srv);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);

	ASSERT_INT_EQ(c.r_ok, 0);
	ASSERT_STR_EQ(c.ans, "{\"got\":\"status\"}\n");
	free(c.ans);
	ASSERT_INT_EQ(c.r_none, -ENOENT);
	ASSERT_INT_EQ(c.raw_read, 0);
	/* The default DACL has Everyone and Anonymous on it; ours only
	 * the three. (wine does not report the protected flag back.) */
	printf("pipe DACL: %d ACEs, %d of them ours, protected %d\n",
		c.dacl_aces, c.dacl_ours, c.dacl_protected);
	ASSERT_INT_EQ(c.dacl_aces, 3);
	ASSERT_INT_EQ(c.dacl_ours, 3);
}

int
main(void)
{
	RUN(test_ctl);
	return th_done();
}
