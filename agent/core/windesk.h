/* SPDX-License-Identifier: MIT */
/*
 * Following the input desktop (Windows only, windesk-win.c). A session's
 * window station has several desktops and one of them has input: the
 * user's ("Default"), or "Winlogon" for the log-on and lock screens and
 * UAC's secure prompts. A thread draws from and injects into the desktop
 * it is attached to, so a thread that grabs the screen or sends input
 * attaches itself to the input desktop before it works, as TigerVNC and
 * RustDesk do; otherwise an unattended machine at its log-on screen
 * shows a stale or black picture and ignores the technician's keys.
 *
 * Opening "Winlogon" needs the access SYSTEM has (the service's network
 * process runs as LocalSystem in the console session); a user's process
 * cannot open it and stays where it is (-EACCES).
 */
#ifndef OP_CORE_WINDESK_H
#define OP_CORE_WINDESK_H

#include <stddef.h>

/*
 * Attach the calling thread to the desktop that has input now. 1: it
 * was on another and has moved, 0: it already was there, else a
 * negative error (-EACCES: the input desktop cannot be opened by us, or
 * the thread owns windows or hooks and cannot move). name (may be NULL):
 * the input desktop's name.
 */
int windesk_follow_input(char *name, size_t namelen);

/* The name of the desktop the calling thread is attached to ("" when
 * unknown). */
void windesk_thread_name(char *name, size_t namelen);

#endif
