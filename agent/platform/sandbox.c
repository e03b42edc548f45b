/* SPDX-License-Identifier: MIT */
/* The network process's no_new_privs and seccomp deny list (sandbox.h). */
#include "platform/sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <seccomp.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OP_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define OP_LSAN 1
#endif

static const char *const denied[] = {
	/* running programs: a shell for an attacker */
	"execve", "execveat",
	/* other processes' memory. LeakSanitizer stops the world at exit
	 * by ptracing our own threads: sanitizer builds (tests) keep it. */
#ifndef OP_LSAN
	"ptrace",
#endif
	"process_vm_writev", "kcmp",
	"pidfd_getfd",
	/* namespaces and mounts: the usual ways out of a sandbox */
	"unshare", "setns", "mount", "umount2", "pivot_root", "chroot",
	"move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
	"mount_setattr",
	/* the kernel itself */
	"init_module", "finit_module", "delete_module", "kexec_load",
	"kexec_file_load", "bpf", "perf_event_open", "userfaultfd",
	"add_key", "request_key", "keyctl", "iopl", "ioperm", "syslog",
	"uselib", "lookup_dcookie", "open_by_handle_at",
	"name_to_handle_at", "fanotify_init", "quotactl", "acct",
	/* the host */
	"reboot", "swapon", "swapoff", "sethostname", "setdomainname",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"vhangup",
};

size_t
sandbox_denied_count(void)
{
	return sizeof(denied) / sizeof(denied[0]);
}

int
sandbox_network_process(char *why, size_t why_size)
{
	struct scmp_arg_cmp other_pid = { .arg = 0, .op = SCMP_CMP_NE,
		.datum_a = 0, .datum_b = 0 };
	scmp_filter_ctx ctx;
	int r;

	why[0] = '\0';
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		r = -errno;
		snprintf(why, why_size, "PR_SET_NO_NEW_PRIVS: %s", strerror(-r));
		return r;
	}
	/* Anything not listed is allowed; a foreign architecture's calls
	 * (int 0x80 on x86-64) are killed (libseccomp's bad-arch default). */
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		snprintf(why, why_size, "seccomp_init failed");
		return -ENOMEM;
	}
	for (size_t i = 0; i < sandbox_denied_count(); i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);

		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) !=
			0) {
			snprintf(why, why_size, "seccomp rule for %s: %s",
				denied[i], strerror(-r));
			seccomp_release(ctx);
			return r;
		}
	}
	/* process_vm_readv of another process is refused; of itself it is
	 * allowed: video/venc-mem-unix.c reads libvpx's buffers with it, so a
	 * range another thread unmaps is an error rather than a crash. */
	other_pid.datum_a = (scmp_datum_t)getpid();
	if ((r = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM),
		     SCMP_SYS(process_vm_readv), 1, &other_pid)) != 0) {
		snprintf(why, why_size, "seccomp rule for process_vm_readv: %s",
			strerror(-r));
		seccomp_release(ctx);
		return r;
	}
	/* All threads: libuv's pool threads already exist. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) == 0)
		r = seccomp_load(ctx);
	if (r != 0)
		snprintf(why, why_size, "seccomp_load: %s", strerror(-r));
	seccomp_release(ctx);
	return r;
}
