/* SPDX-License-Identifier: MIT */
/*
 * The monitor's side of secure-attention (Windows): a technician's
 * Ctrl+Alt+Del as SendSAS, the only way Windows accepts it, which works
 * from a LocalSystem service while the SoftwareSASGeneration policy
 * lets services make it. As Chromium's remote-desktop host does, the
 * policy is allowed for the call and put back as it was (an admin's
 * own setting stays). UNTESTED on Windows: wine's SendSAS is a stub that
 * raises an exception, so under wine the request is refused.
 */
#include "cli/daemon-internal.h"

#include <stdbool.h>

#include <windows.h>

#include "core/err.h"
#include "core/log.h"
#include "monitor/monitor-msg.h"

#define SAS_POLICY_KEY \
	L"Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\System"
#define SAS_POLICY_VALUE L"SoftwareSASGeneration"
#define SAS_ALLOW_SERVICES 1u /* bit of the policy's value */
#define SAS_MIN_INTERVAL_MS 1000

typedef VOID(WINAPI *send_sas_fn)(BOOL as_user);

static bool
under_wine(void)
{
	HMODULE nt = GetModuleHandleW(L"ntdll.dll");

	return nt != NULL && GetProcAddress(nt, "wine_get_version") != NULL;
}

/* The policy with services allowed; *restore: what to put back. */
struct sas_policy {
	HKEY key;
	bool had, changed;
	DWORD old;
};

static void
policy_allow(struct sas_policy *p)
{
	DWORD type = 0, len = sizeof(p->old), v;

	if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, SAS_POLICY_KEY, 0, NULL, 0,
		    KEY_QUERY_VALUE | KEY_SET_VALUE, NULL, &p->key,
		    NULL) != ERROR_SUCCESS) {
		p->key = NULL;
		return;
	}
	p->had = RegQueryValueExW(p->key, SAS_POLICY_VALUE, NULL, &type,
			 (BYTE *)&p->old, &len) == ERROR_SUCCESS &&
		type == REG_DWORD && len == sizeof(p->old);
	if (p->had && (p->old & SAS_ALLOW_SERVICES))
		return;
	v = (p->had ? p->old : 0) | SAS_ALLOW_SERVICES;
	p->changed = RegSetValueExW(p->key, SAS_POLICY_VALUE, 0, REG_DWORD,
			     (const BYTE *)&v, sizeof(v)) == ERROR_SUCCESS;
}

static void
policy_restore(struct sas_policy *p)
{
	if (p->key == NULL)
		return;
	if (p->changed && p->had)
		(void)RegSetValueExW(p->key, SAS_POLICY_VALUE, 0, REG_DWORD,
			(const BYTE *)&p->old, sizeof(p->old));
	else if (p->changed)
		(void)RegDeleteValueW(p->key, SAS_POLICY_VALUE);
	RegCloseKey(p->key);
}

int
daemon_sas_encode(bool service, struct mon_buf *out)
{
	static ULONGLONG last;
	ULONGLONG now = GetTickCount64();
	struct sas_policy pol = { 0 };
	send_sas_fn send_sas;
	HMODULE lib;

	if (!service) {
		mon_put_str(out, "only the Windows service can send it");
		return OP_ERR_UNSUPPORTED;
	}
	if (under_wine()) {
		mon_put_str(out, "wine has no SendSAS");
		return OP_ERR_UNSUPPORTED;
	}
	if (last != 0 && now - last < SAS_MIN_INTERVAL_MS) {
		mon_put_str(out, "at most one a second");
		return OP_ERR_STATE;
	}
	lib = LoadLibraryExW(L"sas.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	send_sas = lib != NULL ? (send_sas_fn)(void (*)(void))GetProcAddress(
					 lib, "SendSAS")
			       : NULL;
	if (send_sas == NULL) {
		if (lib != NULL)
			FreeLibrary(lib);
		mon_put_str(out, "this Windows has no SendSAS (sas.dll)");
		return OP_ERR_UNSUPPORTED;
	}
	last = now;
	policy_allow(&pol);
	send_sas(FALSE);
	policy_restore(&pol);
	FreeLibrary(lib);
	log_notice("monitor: Ctrl+Alt+Del sent (SendSAS) for a session");
	return 0;
}
