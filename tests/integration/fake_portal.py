#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Test stand-ins on the session bus of portal_util.Portal (Gio, run as
the test user). Two kinds:

  impl LOG MODE NODEFILE
      A portal *backend* (org.freedesktop.impl.portal.ScreenCast and
      .RemoteDesktop, the interfaces xdg-desktop-portal-wlr/-gnome/-kde
      implement) behind the real xdg-desktop-portal frontend: no dialog;
      its one stream is the PipeWire node whose id is in NODEFILE (a real
      video source the test runs). MODE: ok | cancel (Start answers 1) |
      refuse (2) | nostream (Start gives no stream); NODEFILE.mode, when
      it exists, overrides MODE at each Start. org.outpost.TestPortal.
      CloseSessions on /org/outpost/test ends every session as a desktop
      does when the user revokes the share (Session.Closed). It grants
      persist_mode 2 with restore_data, so the frontend makes the restore
      tokens, and logs each call (its options) as a JSON line to LOG.

  frontend LOG MODE
      A hostile org.freedesktop.portal.Desktop itself, for replies the
      real frontend never sends. MODE: badsig (Start's Response carries
      a string where the code is) | hugetoken (a 100 KiB restore token) |
      badsession (CreateSession returns a session handle that is no
      object path) | nostream (Start answers 0 without streams) | impostor (another bus client sends Start's
      Response; the portal itself never answers).
"""
import json
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

IMPL_NAME = "org.freedesktop.impl.portal.desktop.outposttest"
PATH = "/org/freedesktop/portal/desktop"
ASV = "a{sv}"


def method(name, ins, outs=()):
    a = "".join(f'<arg type="{t}" direction="in"/>' for t in ins)
    a += "".join(f'<arg type="{t}" direction="out"/>' for t in outs)
    return f'<method name="{name}">{a}</method>'


def prop(name, t="u"):
    return f'<property name="{name}" type="{t}" access="read"/>'


REQ = ("o", "o", "s", ASV)
RES = ("u", ASV)
IMPL_XML = (
    "<node><interface name='org.freedesktop.impl.portal.ScreenCast'>"
    + method("CreateSession", REQ, RES) + method("SelectSources", REQ, RES)
    + method("Start", ("o", "o", "s", "s", ASV), RES)
    + prop("AvailableSourceTypes") + prop("AvailableCursorModes")
    + prop("version") + "</interface>"
    "<interface name='org.freedesktop.impl.portal.RemoteDesktop'>"
    + method("CreateSession", REQ, RES) + method("SelectDevices", REQ, RES)
    + method("Start", ("o", "o", "s", "s", ASV), RES)
    + method("NotifyPointerMotionAbsolute", ("o", ASV, "u", "d", "d"))
    + method("NotifyPointerButton", ("o", ASV, "i", "u"))
    + method("NotifyPointerAxisDiscrete", ("o", ASV, "u", "i"))
    + method("NotifyKeyboardKeysym", ("o", ASV, "i", "u"))
    + method("NotifyKeyboardKeycode", ("o", ASV, "i", "u"))
    + prop("AvailableDeviceTypes") + prop("version") + "</interface></node>")
CONTROL_XML = ("<node><interface name='org.outpost.TestPortal'>"
               "<method name='CloseSessions'/></interface></node>")
SESSION_XML = ("<node><interface name='org.freedesktop.impl.portal.Session'>"
               "<method name='Close'/><signal name='Closed'/>"
               "</interface></node>")
FRONT_XML = (
    "<node><interface name='org.freedesktop.portal.ScreenCast'>"
    + method("CreateSession", (ASV,), ("o",))
    + method("SelectSources", ("o", ASV), ("o",))
    + method("Start", ("o", "s", ASV), ("o",))
    + method("OpenPipeWireRemote", ("o", ASV), ("h",))
    + prop("AvailableSourceTypes") + prop("AvailableCursorModes")
    + prop("version") + "</interface></node>")


def log(path, **kv):
    with open(path, "a") as f:
        f.write(json.dumps(kv) + "\n")


def plain(v):
    """A GLib.Variant's options as JSON-able values."""
    return json.loads(json.dumps(v, default=str))


class Impl:
    def __init__(self, conn, logpath, mode, nodefile):
        self.conn, self.logpath, self.mode = conn, logpath, mode
        self.nodefile = nodefile
        self.sessions = {}
        info = Gio.DBusNodeInfo.new_for_xml(IMPL_XML)
        for iface in info.interfaces:
            conn.register_object(PATH, iface, self.call, self.get, None)
        self.session_iface = Gio.DBusNodeInfo.new_for_xml(
            SESSION_XML).interfaces[0]
        conn.register_object(
            "/org/outpost/test",
            Gio.DBusNodeInfo.new_for_xml(CONTROL_XML).interfaces[0],
            self.control, None, None)

    def control(self, conn, sender, path, iface, name, params, inv):
        for sh in list(self.sessions):
            conn.emit_signal(None, sh, "org.freedesktop.impl.portal.Session",
                             "Closed", None)
            conn.unregister_object(self.sessions.pop(sh))
        log(self.logpath, call="CloseSessions")
        inv.return_value(None)

    def get(self, conn, sender, path, iface, name):
        return GLib.Variant("u", {"AvailableSourceTypes": 1,
                                  "AvailableCursorModes": 3,
                                  "AvailableDeviceTypes": 3,
                                  "version": 4 if "ScreenCast" in iface
                                  else 2}[name])

    def reply(self, inv, code, results):
        inv.return_value(GLib.Variant("(ua{sv})", (code, results)))

    def call(self, conn, sender, path, iface, name, params, inv):
        kind = "rd" if iface.endswith("RemoteDesktop") else "sc"
        args = params.unpack()
        if name.startswith("Notify"):
            log(self.logpath, call=name, args=plain(args[2:]))
            inv.return_value(None)
            return
        opts = args[-1]
        log(self.logpath, call=f"{kind}.{name}", options=plain(opts))
        if name == "CreateSession":
            sh = args[1]
            self.sessions[sh] = conn.register_object(
                sh, self.session_iface, self.session_call, None, None)
            self.reply(inv, 0, {"session_id": GLib.Variant("s", "t")})
        elif name in ("SelectSources", "SelectDevices"):
            self.reply(inv, 0, {})
        elif name == "Start":
            self.start(kind, inv)

    def start(self, kind, inv):
        try:
            with open(self.nodefile + ".mode") as f:
                self.mode = f.read().strip()
        except FileNotFoundError:
            pass
        code = {"cancel": 1, "refuse": 2}.get(self.mode, 0)
        if code:
            self.reply(inv, code, {})
            return
        with open(self.nodefile) as f:
            node = int(f.read())
        res = {"persist_mode": GLib.Variant("u", 2),
               "restore_data": GLib.Variant(
                   "(suv)", ("outposttest", 1,
                             GLib.Variant("s", "monitor-0")))}
        if self.mode != "nostream":
            res["streams"] = GLib.Variant("a(ua{sv})", [(node, {
                "position": GLib.Variant("(ii)", (0, 0)),
                "size": GLib.Variant("(ii)", (640, 360)),
                "source_type": GLib.Variant("u", 1)})])
        if kind == "rd":
            res["devices"] = GLib.Variant("u", 3)
        self.reply(inv, 0, res)

    def session_call(self, conn, sender, path, iface, name, params, inv):
        log(self.logpath, call="session.Close")
        if path in self.sessions:
            conn.unregister_object(self.sessions.pop(path))
        inv.return_value(None)


class Front:
    """The hostile frontend: answers like a portal, with one fault."""

    def __init__(self, conn, logpath, mode):
        self.conn, self.logpath, self.mode = conn, logpath, mode
        iface = Gio.DBusNodeInfo.new_for_xml(FRONT_XML).interfaces[0]
        conn.register_object(PATH, iface, self.call, self.get, None)
        self.n = 0

    def get(self, conn, sender, path, iface, name):
        return GLib.Variant("u", {"AvailableSourceTypes": 1,
                                  "AvailableCursorModes": 3,
                                  "version": 4}[name])

    def respond(self, sender, token, code_variant, results, conn=None):
        path = (PATH + "/request/" + sender[1:].replace(".", "_") + "/"
                + token)
        body = GLib.Variant(f"({code_variant[0]}a{{sv}})",
                            (code_variant[1], results))
        (conn or self.conn).emit_signal(
            sender, path, "org.freedesktop.portal.Request", "Response", body)
        return path

    def call(self, conn, sender, path, iface, name, params, inv):
        args = params.unpack()
        log(self.logpath, call=name)
        opts = args[-1]
        token = opts.get("handle_token", "x")
        if name == "OpenPipeWireRemote":
            inv.return_dbus_error("org.freedesktop.DBus.Error.Failed", "no")
            return
        reply_path = (PATH + "/request/" + sender[1:].replace(".", "_")
                      + "/" + token)
        inv.return_value(GLib.Variant("(o)", (reply_path,)))
        if name == "CreateSession":
            sh = ("not a path" if self.mode == "badsession"
                  else PATH + "/session/x/s1")
            self.respond(sender, token, ("u", 0),
                         {"session_handle": GLib.Variant("s", sh)})
        elif name == "SelectSources":
            self.respond(sender, token, ("u", 0), {})
        elif name == "Start":
            self.start(sender, token)

    def start(self, sender, token):
        streams = GLib.Variant("a(ua{sv})", [(42, {
            "size": GLib.Variant("(ii)", (640, 360))})])
        if self.mode == "nostream":
            self.respond(sender, token, ("u", 0), {})
        elif self.mode == "badsig":
            self.respond(sender, token, ("s", "0"), {"streams": streams})
        elif self.mode == "hugetoken":
            self.respond(sender, token, ("u", 0), {
                "streams": streams,
                "restore_token": GLib.Variant("s", "A" * 100000)})
        elif self.mode == "impostor":
            # Another client of the same bus answers in the portal's place.
            self.other = Gio.DBusConnection.new_for_address_sync(
                Gio.dbus_address_get_for_bus_sync(Gio.BusType.SESSION, None),
                Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
                | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
            self.respond(sender, token, ("u", 0), {"streams": streams},
                         conn=self.other)
            self.other.flush_sync(None)
        else:
            self.respond(sender, token, ("u", 0), {"streams": streams})


def main():
    kind, logpath, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    conn = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    if kind == "impl":
        Impl(conn, logpath, mode, sys.argv[4])
        name = IMPL_NAME
    else:
        Front(conn, logpath, mode)
        name = "org.freedesktop.portal.Desktop"
    r = conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                       "org.freedesktop.DBus", "RequestName",
                       GLib.Variant("(su)", (name, 4)), None,
                       Gio.DBusCallFlags.NONE, -1, None)
    if r.unpack()[0] != 1:
        sys.exit(f"cannot own {name}")
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
