/* SPDX-License-Identifier: MIT */
/*
 * The network process's sandbox (README "Security"): after it has what
 * it needs from the monitor, it forbids itself, for good and for every
 * thread:
 *  - gaining privileges (PR_SET_NO_NEW_PRIVS: no setuid binary, no file
 *    capability can raise them again);
 *  - through a seccomp filter (libseccomp), the system calls a taken-over
 *    network process would want and this one never makes: running
 *    programs (execve, execveat), reading or writing other processes
 *    (ptrace, process_vm_writev, process_vm_readv of another process),
 *    namespaces, mounts, kernel modules, BPF, keyrings, clock and host
 *    changes, and the like. They fail with
 *    EPERM rather than killing the process, so a library that tries one
 *    gets an error it can report.
 * It is a deny list: an allow list of what libuv, sqlite, PipeWire and
 * D-Bus client code call would break with every library update.
 */
#ifndef OP_PLATFORM_SANDBOX_H
#define OP_PLATFORM_SANDBOX_H

#include <stddef.h>

/* Returns 0, or a negative errno with a one-line reason in why. */
int sandbox_network_process(char *why, size_t why_size);

/* How many system calls the filter refuses (for status and tests). */
size_t sandbox_denied_count(void);

#endif
