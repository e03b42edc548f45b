/* SPDX-License-Identifier: MIT */
/*
 * Every configuration key, declared once. This list feeds enum conf_key,
 * the validator, `config dump`, config/outpost.example.yaml and
 * config/schema/outpost.schema.json.
 *
 * One entry per key:
 *
 *	X(ID, "dotted.path", TYPE, "default", check, "doc")
 *
 * ID       the path upper-cased with '.' -> '_'; becomes the enum
 *          conf_key constant CONF_<ID> (test-conf checks the spelling).
 * path     lower-case [a-z0-9_] components joined by '.'; each component
 *          but the last is a YAML mapping ("section"). A path may not be
 *          both a key and a section (test-conf checks the table).
 * TYPE     one of (bounds are inclusive):
 *            CT_STRING(minlen, maxlen)  maxlen 0 = 4096 bytes
 *            CT_BOOL()                  true/false, yes/no, on/off
 *            CT_INT(min, max)           decimal int64
 *            CT_ENUM("a|b|c")           case-insensitive, stored as given
 *                                       in the list; conf_enum() = index
 *            CT_DURATION(min, max)      seconds; "90", "30s", "10m", "2h",
 *                                       "1d", "1h30m"
 *            CT_HOSTPORT(default_port)  host[:port], [v6][:port]; 0 =
 *                                       the port is required
 *            CT_PATH()                  1..4095 bytes
 *            CT_LIST(max_items)         YAML sequence of strings; 0 =
 *                                       1024 items; check runs per item
 * default  the value as an admin would write it in YAML, parsed by the
 *          same code as the file (a bad default fails test-conf). An
 *          empty default also means "empty is a valid value" (= not
 *          configured) for string, host:port and path keys. Lists
 *          separate items with '\n'. "$NAME" is a default computed at
 *          run time (table in conf-types.c, e.g. depends on the euid).
 * check    NULL or &conf__check_<name>: an extra per-value (per-item for
 *          lists) rule, declared in conf-internal.h, defined in
 *          conf-types.c; it may carry a JSON Schema pattern.
 * doc      one or more sentences for the example file and the schema.
 *
 * Adding a key: add one X(...) entry here (in the section it belongs to;
 * output groups keys by section in first-appearance order), then use
 * conf_*(c, CONF_<ID>). Regenerate config/outpost.example.yaml and the
 * schema with `outpost config example|schema`.
 */
#ifndef OP_CONF_CONF_KEYS_H
#define OP_CONF_CONF_KEYS_H

/* clang-format off */
#define CONF_KEYS(X)							\
X(SERVER_RENDEZVOUS, "server.rendezvous", CT_HOSTPORT(21116), "", NULL,	\
	"ID/rendezvous server (hbbs) as host[:port]. Empty means not "	\
	"configured: the agent then only accepts direct connections.")	\
X(SERVER_RELAY, "server.relay", CT_HOSTPORT(21117), "", NULL,		\
	"Relay server (hbbr) as host[:port]. Empty means the relay "	\
	"that the rendezvous server announces.")			\
X(SERVER_KEY, "server.key", CT_STRING(0, 0), "", &conf__check_b64key,	\
	"Public key of the rendezvous server: the base64 Ed25519 key "	\
	"from hbbs' id_ed25519.pub (32 bytes). Empty means the server "	\
	"is not authenticated.")					\
X(SERVER_PROXY, "server.proxy", CT_STRING(0, 1023), "", NULL,		\
	"Proxy for the TCP connections to the servers, as "		\
	"scheme://[user@]host[:port] with scheme http (CONNECT), "	\
	"https (CONNECT inside TLS to the proxy) or socks5; default "	\
	"ports 8080, 443, 1080. A password in the URL is refused: use "	\
	"server.proxy_password_file. With a proxy the agent registers "	\
	"over TCP, which OSS hbbs does not accept (it takes UDP "	\
	"registration only). Empty means no proxy.")			\
X(SERVER_PROXY_PASSWORD_FILE, "server.proxy_password_file", CT_PATH(),	\
	"", NULL,							\
	"File holding the proxy password (one line, 1-255 bytes), "	\
	"owned by the agent's user with mode 0600. Empty means no "	\
	"password.")							\
X(SERVER_PROXY_CA, "server.proxy_ca", CT_PATH(), "", NULL,		\
	"PEM file with the CA certificates that may sign an https "	\
	"proxy's certificate. Empty means the system store "		\
	"(/etc/ssl/certs/ca-certificates.crt).")			\
X(IDENTITY_ID, "identity.id", CT_STRING(0, 0), "auto",			\
	&conf__check_id,						\
	"The ID peers dial: 'auto' (a random 9-digit ID made on first "	\
	"start and kept in state_dir) or a custom ID of 6-16 "		\
	"characters [A-Za-z0-9_-] starting with a letter.")		\
X(STATE_DIR, "state_dir", CT_PATH(), "$STATE_DIR", NULL,		\
	"Directory for the identity key, the assigned ID and other "	\
	"state.")							\
X(DIRECT_ACCESS_ENABLED, "direct_access.enabled", CT_BOOL(), "true",	\
	NULL, "Accept direct TCP connections on direct_access.listen.")	\
X(DIRECT_ACCESS_LISTEN, "direct_access.listen", CT_HOSTPORT(21118),	\
	"127.0.0.1:21118", &conf__check_listen,				\
	"Address for direct connections as a numeric address with an "	\
	"optional port: 127.0.0.1:21118, 0.0.0.0:21118 (every IPv4 "	\
	"interface), [::1]:21118 or [::]:21118. Host names, localhost "	\
	"included, are refused, not resolved.")				\
X(DIRECT_ACCESS_ALLOW_FROM, "direct_access.allow_from", CT_LIST(256),	\
	"127.0.0.0/8\n::1/128", &conf__check_cidr,			\
	"Networks (CIDR, e.g. 10.0.0.0/8, fd00::/8; an address alone "	\
	"is one host) that may open direct-IP sessions. Direct-IP "	\
	"sessions are plaintext by protocol, so keep this to trusted "	\
	"networks (e.g. a VPN). Empty means no direct-IP sessions at "	\
	"all. IPv4-mapped IPv6 sources match IPv4 networks.")		\
X(LOG_LEVEL, "log.level", CT_ENUM("error|warning|notice|info|debug"),	\
	"info", NULL, "Least severe level that is logged.")		\
X(LOG_TARGET, "log.target", CT_ENUM("auto|journald|syslog|stderr"),	\
	"auto", NULL, "Where logs go; auto = journald when started by "	\
	"systemd, else stderr.")					\
X(ACCESS_ONE_TIME_PASSWORD_LENGTH, "access.one_time_password.length",	\
	CT_INT(6, 32), "10", NULL,					\
	"Length of the one-time password. The default of 10 safe32 "	\
	"characters (5 bits each) gives 50 bits; keep it at 40 bits "	\
	"or more (digits carry 3.3 bits, alnum 5.95 bits per "		\
	"character).")							\
X(ACCESS_ONE_TIME_PASSWORD_CHARSET, "access.one_time_password.charset",	\
	CT_ENUM("safe32|digits|alnum"), "safe32", NULL,			\
	"Alphabet of the one-time password: safe32 = "			\
	"23456789abcdefghijkmnpqrstuvwxyz (no look-alikes), "		\
	"digits = 0-9, alnum = A-Za-z0-9.")				\
X(ACCESS_PERMANENT_PASSWORD_MIN_LENGTH,				\
	"access.permanent_password.min_length", CT_INT(1, 128), "8",	\
	NULL,								\
	"Shortest permanent password `outpost password set` accepts, "	\
	"in characters. A password set before a change keeps "		\
	"working.")							\
X(ACCESS_APPROVE, "access.approve",					\
	CT_ENUM("password|click|password-or-click|password-and-click"),	\
	"password", NULL,						\
	"How a connection is approved: password (the permanent or "	\
	"one-time password), click (the local user clicks Allow; "	\
	"refused when no user is present), password-or-click (either; "	\
	"without a user the password), password-and-click (both; "	\
	"refused when no user is present). See policy.consent for "	\
	"when a present user is asked as well.")			\
X(ACCESS_VERIFICATION, "access.verification",				\
	CT_ENUM("permanent|one-time|both"), "both", NULL,		\
	"Which passwords are accepted: the permanent password (`outpost "\
	"password set`), the one-time password, or both.")		\
X(SECURITY_REQUIRE_ENCRYPTION, "security.require_encryption",		\
	CT_BOOL(), "true", NULL,					\
	"Refuse sessions that did not complete the key exchange. Stock "\
	"RustDesk silently continues in plaintext when the client has "	\
	"no or a different key for the ID server; with true the "	\
	"client is shown 'Encryption required by host policy' instead. "\
	"Direct-IP sessions (plaintext by protocol) are governed by "	\
	"direct_access.allow_from instead.")				\
X(SECURITY_LOGIN_TIMEOUT, "security.login_timeout",			\
	CT_DURATION(5, 600), "60s", NULL,				\
	"How long a connection may take from its first byte to an "	\
	"accepted password (or to a click-only request reaching the "	\
	"local user), whatever it sends meanwhile; then it is closed. "	\
	"The key exchange alone must finish within 18 s.")		\
X(SECURITY_NETWORK_USER, "security.network_user", CT_STRING(1, 32),	\
	"outpost", &conf__check_username,				\
	"Account the network process runs as when the agent runs as root: "\
	"the process that parses every byte from peers, holding no key, "\
	"no password and no capability, under a seccomp filter. The "	\
	"packages create outpost (sysusers.d). File transfer runs as "	\
	"this account: give it access to policy.files.roots. root keeps "\
	"everything in one privileged process (not recommended; status "\
	"and doctor say so).")						\
X(SECURITY_LOCKOUT_FAILURES, "security.lockout.failures",		\
	CT_INT(1, 1000), "5", NULL,					\
	"Wrong passwords within security.lockout.window that lock a "	\
	"source address, its IPv6 /64, or a peer ID for "		\
	"security.lockout.duration. Every lockout is audited.")	\
X(SECURITY_LOCKOUT_WINDOW, "security.lockout.window",			\
	CT_DURATION(1, 86400), "1m", NULL,				\
	"The counting window for security.lockout.failures; it opens "	\
	"at a key's first failure.")					\
X(SECURITY_LOCKOUT_DURATION, "security.lockout.duration",		\
	CT_DURATION(1, 604800), "10m", NULL,				\
	"How long a locked source, /64 or peer ID is refused (the "	\
	"client sees 'Too many wrong attempts').")			\
X(SECURITY_LOCKOUT_GLOBAL_PER_MINUTE,					\
	"security.lockout.global_per_minute", CT_INT(0, 100000), "30",	\
	NULL,								\
	"Wrong passwords per minute from all sources together that "	\
	"lock every login for one minute (the client sees 'Please try "	\
	"1 minute later'); stops a spray from many addresses. 0 turns "	\
	"the global cap off.")						\
X(SECURITY_OTP_ROTATE_AFTER, "security.otp_rotate_after",		\
	CT_INT(1, 100), "3", NULL,					\
	"Wrong passwords (from anyone) after which the one-time "	\
	"password is replaced by a new one.")				\
X(POLICY_CONSENT_WHEN_USER_PRESENT, "policy.consent.when_user_present",\
	CT_ENUM("ask|allow|deny"), "ask", NULL,				\
	"When a user has an active graphical session: ask (a window on "\
	"the user's display shows the peer and what it asks for, with "	\
	"Allow and Deny), allow (no question), or deny (no sessions "	\
	"while someone is at the machine).")				\
X(POLICY_CONSENT_WHEN_NO_USER, "policy.consent.when_no_user",		\
	CT_ENUM("allow|deny"), "allow", NULL,				\
	"When nobody is logged in graphically (unattended servers, "	\
	"kiosks after hours): allow (the password alone decides) or "	\
	"deny. With access.approve click or password-and-click such "	\
	"connections are refused anyway: nobody could click.")		\
X(POLICY_CONSENT_TIMEOUT, "policy.consent.timeout",			\
	CT_DURATION(5, 600), "30s", NULL,				\
	"How long the consent window waits for an answer.")		\
X(POLICY_CONSENT_ON_TIMEOUT, "policy.consent.on_timeout",		\
	CT_ENUM("deny"), "deny", NULL,					\
	"What an unanswered consent window means. Only deny: consent "	\
	"is never assumed from silence.")				\
X(POLICY_ALLOW_KEYBOARD, "policy.allow.keyboard", CT_BOOL(), "true",	\
	NULL, "Let the peer control the mouse and keyboard (false = "	\
	"view only).")							\
X(POLICY_ALLOW_CLIPBOARD, "policy.allow.clipboard",			\
	CT_ENUM("both|to_client|to_host|off|true|false"), "both", NULL,	\
	"Clipboard (text and PNG images) between the host and the "	\
	"peer: both ways, only to_client (copy on the host, paste at the "\
	"technician), only to_host, or off. true/false mean both/off.")	\
X(POLICY_ALLOW_FILE_TRANSFER, "policy.allow.file_transfer",		\
	CT_ENUM("off|download|upload|both|false|true"), "off", NULL,	\
	"File transfer (the client's file manager): download (host to "	\
	"technician), upload (technician to host), both, or off; "	\
	"false/true mean off/both. Only below policy.files.roots, and "	\
	"refused when that is empty. Files are read and written by the "\
	"agent's own user (root) until privilege separation lands.")	\
X(POLICY_ALLOW_AUDIO, "policy.allow.audio", CT_BOOL(), "false", NULL,	\
	"Send what the desktop plays to the peer (desktop sessions, "	\
	"Opus; the client may mute it). Captured from the desktop "	\
	"user's PipeWire (or PulseAudio); the agent, as root, parses "	\
	"that server's messages, so keep it off where local users are "	\
	"not trusted. A virtual display has no sound.")			\
X(POLICY_ALLOW_TERMINAL, "policy.allow.terminal", CT_BOOL(), "false",	\
	NULL, "Allow terminal sessions (RustDesk 1.4.1+ clients): login "\
	"shells on pseudo-terminals, run as policy.terminal.user and, "\
	"under the shipped systemd unit, inside its sandbox (no sudo, "	\
	"read-only system: README 'Terminal'). Refused with 'No "	\
	"permission of terminal' when false.")				\
X(POLICY_ALLOW_PORT_FORWARD, "policy.allow.port_forward", CT_BOOL(),	\
	"false", NULL,							\
	"Allow port-forward (TCP tunnel, RDP) sessions; refused with "	\
	"'No permission of IP tunneling' otherwise.")			\
X(POLICY_ALLOW_RESTART, "policy.allow.restart", CT_BOOL(), "false",	\
	NULL, "Let the peer reboot the machine.")			\
X(POLICY_ALLOW_BLOCK_INPUT, "policy.allow.block_input", CT_BOOL(),	\
	"false", NULL,							\
	"Let the peer block the local keyboard and mouse (needs "	\
	"policy.allow.keyboard).")					\
X(POLICY_ALLOW_RECORDING, "policy.allow.recording", CT_BOOL(), "true",\
	NULL, "Let the peer record the session on its side (advisory: "	\
	"a client could record the screen anyway).")			\
X(POLICY_FILES_ROOTS, "policy.files.roots", CT_LIST(64), "",		\
	&conf__check_abs_dir, 						\
	"Directories the technician may see and transfer files in, each "\
	"shown to the client as a top-level folder named after it. "	\
	"Nothing outside them is reachable: no '..', no symlink is "	\
	"followed. Empty means file transfer is refused. Files are read "\
	"and written as security.network_user, which must be allowed "	\
	"into them (owner, group or ACL).")				\
X(POLICY_FILES_MAX_BYTES, "policy.files.max_bytes",			\
	CT_INT(0, 1099511627776), "0", NULL,				\
	"Largest file, and largest total of one transfer, in bytes; 0 "	\
	"means no limit.")						\
X(POLICY_TERMINAL_USER, "policy.terminal.user", CT_STRING(0, 32), "",	\
	&conf__check_username,						\
	"The account terminal shells run as (its uid, gid, groups and "	\
	"home). Empty means every terminal is refused with a message "	\
	"saying so: a shell never runs as root by default.")		\
X(POLICY_TERMINAL_SHELL, "policy.terminal.shell", CT_STRING(0, 255),	\
	"", &conf__check_abs_file,					\
	"Absolute path of the shell to start instead of the account's "	\
	"login shell from passwd (e.g. for an account whose shell is "	\
	"nologin). Empty means the login shell.")			\
X(POLICY_TERMINAL_ALLOW_ROOT, "policy.terminal.allow_root", CT_BOOL(),	\
	"false", NULL,							\
	"Allow policy.terminal.user to be root (uid 0). Refused unless "\
	"true.")							\
X(POLICY_TERMINAL_RECORD, "policy.terminal.record", CT_BOOL(), "false",\
	NULL, "Keep a typescript (everything the terminal printed) of "	\
	"each terminal in policy.terminal.record_dir, named in its "	\
	"audit record. Fails closed: a terminal whose typescript cannot "\
	"be created is not opened.")					\
X(POLICY_TERMINAL_RECORD_DIR, "policy.terminal.record_dir",		\
	CT_STRING(0, 4095), "$TYPESCRIPT_DIR",				\
	&conf__check_abs_dir,						\
	"Directory of the typescripts (created 0700 when missing; "	\
	"files are 0600).")						\
X(POLICY_TERMINAL_MAX_PER_SESSION, "policy.terminal.max_per_session",	\
	CT_INT(1, 64), "4", NULL,					\
	"Most terminals open at once in one terminal session.")		\
X(POLICY_PEERS_ALLOW_IDS, "policy.peers.allow_ids", CT_LIST(1024), "",\
	&conf__check_glob,						\
	"Peer IDs that may connect, as patterns with * and ? "		\
	"(case-insensitive), matched against the client's ID and "	\
	"against the part before '@' of an ID like 123456789@server, "	\
	"as RustDesk does. Empty means any ID.")			\
X(POLICY_PEERS_DENY_IDS, "policy.peers.deny_ids", CT_LIST(1024), "",	\
	&conf__check_glob,						\
	"Peer IDs that may never connect (patterns as in allow_ids); "	\
	"deny_ids wins over allow_ids.")				\
X(POLICY_PEERS_ALLOW_FROM, "policy.peers.allow_from", CT_LIST(256),	\
	"", &conf__check_cidr,						\
	"Networks (CIDR) that sessions may come from, on any path; "	\
	"relayed sessions come from the relay's address. Empty means "	\
	"any.")								\
X(POLICY_SCHEDULE, "policy.schedule", CT_LIST(64), "",			\
	&conf__check_window,						\
	"When sessions may start: windows like 'Mon-Fri 08:00-18:00', "	\
	"'Sat 10:00-12:00', 'Sat,Sun' (whole days) or '22:00-06:00' "	\
	"(every day). A window whose end is before its start runs "	\
	"overnight into the next day ('Mon-Fri 22:00-06:00' includes "	\
	"Saturday 05:00 but not Monday 05:00). A session is closed when "\
	"the window that admitted it ends. Empty or '*' means always.")	\
X(POLICY_SCHEDULE_TIMEZONE, "policy.schedule_timezone",		\
	CT_STRING(1, 64), "local", &conf__check_tz,			\
	"Time zone of policy.schedule: local (the system's), UTC, or a "\
	"name like Europe/Berlin (must exist in the tz database).")	\
X(POLICY_LIMITS_MAX_SESSIONS, "policy.limits.max_sessions",		\
	CT_INT(1, 256), "4", NULL,					\
	"Sessions that may be open at once; more are refused.")	\
X(POLICY_LIMITS_MAX_DURATION, "policy.limits.max_duration",		\
	CT_DURATION(0, 604800), "0", NULL,				\
	"Longest session; 0 means no limit.")				\
X(POLICY_LIMITS_IDLE_TIMEOUT, "policy.limits.idle_timeout",		\
	CT_DURATION(0, 86400), "30m", NULL,				\
	"Close a session after this long without input from the peer; "	\
	"0 means never.")						\
X(POLICY_LIMITS_CLIPBOARD_MAX_KB, "policy.limits.clipboard_max_kb",	\
	CT_INT(1, 262144), "10240", NULL,				\
	"Largest clipboard content copied either way, in KiB; larger "	\
	"copies are refused and the peer is told.")			\
X(DISPLAY_X11, "display.x11", CT_STRING(0, 16), "",			\
	&conf__check_x11_display,					\
	"X display to capture, like ':0'. Empty means display.wayland "	\
	"when set, else the desktop of the user logged in graphically "	\
	"(found through logind: X11, or a wlroots compositor such as "	\
	"sway), else the virtual display.")				\
X(DISPLAY_XAUTHORITY, "display.xauthority", CT_PATH(), "", NULL,	\
	"Xauthority file for display.x11. Empty means the one in the "	\
	"logged-in user's session environment (or $XAUTHORITY).")	\
X(DISPLAY_WAYLAND, "display.wayland", CT_PATH(), "",			\
	&conf__check_wayland_socket,					\
	"Socket of a wlroots Wayland compositor to share (sway, "	\
	"labwc, ...), like /run/user/1000/wayland-1; when the agent "	\
	"runs as root it connects as the socket's owner. The compositor "\
	"must offer wlr-screencopy (and virtual pointer/keyboard and "	\
	"data-control for control). display.x11 wins when both are set.")\
X(DISPLAY_AUDIO_RUNTIME_DIR, "display.audio_runtime_dir", CT_PATH(), "",	\
	NULL,								\
	"For display.x11: the runtime directory (XDG_RUNTIME_DIR, "	\
	"holding pipewire-0 or pulse/native) of the user whose sound "	\
	"server plays on that display; audio connects as the "		\
	"directory's owner. Empty: a display.x11 has no sound, the "	\
	"logged-in user's display uses /run/user/UID.")		\
X(DISPLAY_VIRTUAL_MODE, "display.virtual.mode", CT_ENUM("auto|never"),	\
	"auto", NULL,							\
	"auto: when a desktop session logs in and no display is found, "\
	"start a private virtual display (and stop it after "		\
	"display.virtual.idle_exit). never: such sessions get a message "\
	"that the host has no display.")				\
X(DISPLAY_VIRTUAL_BACKEND, "display.virtual.backend",			\
	CT_ENUM("xvfb|xorg-dummy"), "xvfb", NULL,			\
	"xvfb runs Xvfb; xorg-dummy runs Xorg with the dummy video "	\
	"driver (package xserver-xorg-video-dummy).")			\
X(DISPLAY_VIRTUAL_SIZE, "display.virtual.size", CT_STRING(7, 9),	\
	"1920x1080", &conf__check_size,					\
	"Size of the virtual display, WIDTHxHEIGHT.")			\
X(DISPLAY_VIRTUAL_USER, "display.virtual.user", CT_STRING(1, 32),	\
	"outpost-display", &conf__check_username,			\
	"Unprivileged user the virtual display and its session command "\
	"run as when the agent runs as root (never root). The packages "\
	"create outpost-display (sysusers.d), an account of its own so "\
	"the display shares files with no other service.")		\
X(DISPLAY_VIRTUAL_COMMAND, "display.virtual.command",			\
	CT_STRING(0, 1023), "", NULL,					\
	"Session command started in the virtual display by /bin/sh -c as "\
	"display.virtual.user, e.g. 'xterm' or 'startxfce4'. Empty means "\
	"a bare X root window.")					\
X(DISPLAY_VIRTUAL_IDLE_EXIT, "display.virtual.idle_exit",		\
	CT_DURATION(0, 604800), "5m", NULL,				\
	"Stop the virtual display this long after its last session "	\
	"ended; 0 means keep it running.")				\
X(VIDEO_CODEC, "video.codec", CT_ENUM("auto|vp9|vp8"), "auto", NULL,	\
	"Codec for the screen stream. auto follows the client's "	\
	"preference among VP9 and VP8 (VP9 when it has none); a client "\
	"that cannot decode the configured codec gets VP9.")		\
X(VIDEO_MAX_FPS, "video.max_fps", CT_INT(1, 120), "30", NULL,		\
	"Upper bound on frames per second per stream; clients may ask "	\
	"for fewer.")							\
X(AUDIT_MAX_AGE, "audit.max_age", CT_DURATION(0, 315360000), "365d",	\
	NULL,								\
	"Audit records older than this are pruned from "		\
	"state_dir/audit.db (the pruning itself is recorded, and the "	\
	"hash chain still verifies). 0 means keep forever.")		\
X(AUDIT_MAX_SIZE_MB, "audit.max_size_mb", CT_INT(0, 1048576), "256",	\
	NULL,								\
	"When audit.db uses more than this many MiB, the oldest "	\
	"records are pruned down to three quarters of it. 0 means no "	\
	"limit.")							\
X(AUDIT_MIRROR, "audit.mirror", CT_ENUM("auto|journald|syslog|none"),	\
	"auto", NULL,							\
	"Where every audit record is copied as it is committed: "	\
	"journald (structured, with a stable MESSAGE_ID per event type "\
	"and OUTPOST_* fields), syslog (LOG_AUTHPRIV), or none; auto = "\
	"journald when it runs, else syslog.")				\
X(AUDIT_FORWARD_ENABLED, "audit.forward.enabled", CT_BOOL(), "false",	\
	NULL,								\
	"Send connection records (new, authorized, close) to a "	\
	"RustDesk Pro compatible API server (POST /api/audit/conn). "	\
	"They wait in a queue inside audit.db until the server answers "\
	"2xx, so nothing is lost while it is down.")			\
X(AUDIT_FORWARD_URL, "audit.forward.url", CT_STRING(0, 1023), "",	\
	NULL,								\
	"Base URL of the API server: https://host[:port][/path] "	\
	"(TLS via mbedTLS, certificate and name verified) or http:// "	\
	"(plaintext, for tests and trusted networks only).")		\
X(AUDIT_FORWARD_CA, "audit.forward.ca", CT_PATH(), "", NULL,		\
	"PEM file with the CA certificates that may sign the API "	\
	"server's certificate. Empty means the system store.")		\
X(AUDIT_FORWARD_TIMEOUT, "audit.forward.timeout", CT_DURATION(1, 300),	\
	"12s", NULL,							\
	"Time allowed for one POST, connection included.")
/* clang-format on */

#endif
