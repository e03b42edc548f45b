#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What an X application on the host actually receives, for the input tests.

As a program (python3-xlib, no window manager needed):

    DISPLAY=:N /usr/bin/python3 tests/integration/xrecorder.py [--geometry WxH+X+Y]

opens a window (default: the whole screen), maps it, gives it the input
focus (XSetInputFocus) and prints one JSON line per event, flushed:

    {"type": "ready", "window": 2097153, "record": true}
    {"type": "key_press", "keycode": 38, "keysym": 97, "state": 0, "string": "a", ...}
    {"type": "key_release", ...}
    {"type": "button_press", "button": 1, "x": 10, "y": 20, "state": 0, ...}
    {"type": "button_release", ...}
    {"type": "motion", "x": 10, "y": 20, "state": 256, ...}
    {"type": "focus_in" | "focus_out", "mode": 0, "detail": 3}
    {"type": "mapping", "first_keycode": 8, "count": 248}

keysym/string follow the core protocol rules (Shift, Lock, Mod5 level 3).
A host that types a character its layout lacks remaps a spare keycode,
presses it and restores the map, often before any client could ask the
server what the keycode meant.  So the keycode meaning is taken from the
RECORD extension: the recorder follows every ChangeKeyboardMapping request
and every device key event in server order, and resolves each key event of
the window with the map as it was at that moment ("source": "record";
"keymap" = the window connection's own, possibly stale, map).

stdin commands (each answered with {"type": "ack", "cmd": ...}):
    fill RRGGBB   repaint the window in that colour (a screen change)
    focus         give the window the input focus again
    quit

As a library: Recorder(display_or_env).start() runs the program, waits for
"ready" and collects events in a thread; see its methods.  keys_down(display)
and pointer_state(display) ask the server directly (XQueryKeymap,
XQueryPointer).
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# ----------------------------------------------------------- keysym rules
LOCK_MASK, SHIFT_MASK, CONTROL_MASK, MOD1_MASK, MOD5_MASK = 2, 1, 4, 8, 0x80
CHANGE_KEYBOARD_MAPPING = 100          # core request opcode

_SPECIAL_TEXT = {0xff08: "\b", 0xff09: "\t", 0xff0d: "\r", 0xff8d: "\r",
                 0xff80: " ", 0xffaa: "*", 0xffab: "+", 0xffad: "-",
                 0xffae: ".", 0xffaf: "/", 0xffbd: "="}


def keysym_text(ks):
    """The text a keysym types ('' for function keys and modifiers)."""
    if 0x20 <= ks <= 0x7e or 0xa0 <= ks <= 0xff:
        return chr(ks)
    if 0x01000100 <= ks <= 0x0110ffff:
        return chr(ks - 0x01000000)
    if 0x20a0 <= ks <= 0x20ac:          # currency block: keysym = code point
        return chr(ks)
    if 0xffb0 <= ks <= 0xffb9:          # KP_0..KP_9
        return chr(ks - 0xffb0 + ord("0"))
    if ks in _SPECIAL_TEXT:
        return _SPECIAL_TEXT[ks]
    try:
        from Xlib import XK
        s = XK.keysym_to_string(ks)
        return s if s and s.isprintable() else ""
    except ImportError:
        return ""


def _case(ks):
    """(lower, upper) keysyms of ks (Latin-1 and Unicode keysyms)."""
    if 0x41 <= ks <= 0x5a:
        return ks + 0x20, ks
    if 0x61 <= ks <= 0x7a:
        return ks, ks - 0x20
    if 0xc0 <= ks <= 0xde and ks != 0xd7:
        return ks + 0x20, ks
    if 0xe0 <= ks <= 0xfe and ks != 0xf7:
        return ks, ks - 0x20
    if 0x01000100 <= ks <= 0x0110ffff:
        c = chr(ks - 0x01000000)
        lo, up = c.lower(), c.upper()
        if len(lo) == 1 and len(up) == 1:
            return 0x01000000 + ord(lo), 0x01000000 + ord(up)
    return ks, ks


def pick_keysym(row, state):
    """The keysym a core client sees for a keycode's keysym list `row`
    under modifier `state` (group 1; Mod5 = ISO_Level3 at indexes 4/5)."""
    row = list(row) + [0] * 6
    base = 4 if state & MOD5_MASK and (row[4] or row[5]) else 0
    lo, up = row[base], row[base + 1]
    if up == 0:
        lo, up = _case(lo)
    if state & SHIFT_MASK:
        ks = up
        if state & LOCK_MASK:
            ks = _case(ks)[1]
    elif state & LOCK_MASK:
        ks = _case(lo)[1]
    else:
        ks = lo
    return ks


# ------------------------------------------------------ the X program
class _KeymapFollower:
    """Follows the server's keyboard map through RECORD and keeps, for each
    device key event, the keysym row its keycode had at that moment."""

    def __init__(self, display_name):
        from Xlib import X, display
        from Xlib.ext import record
        self.X, self.record = X, record
        self.ctl = display.Display(display_name)
        self.rec = display.Display(display_name)
        if not self.ctl.has_extension("RECORD"):
            raise RuntimeError("no RECORD extension")
        info = self.ctl.display.info
        self.min_kc, self.max_kc = info.min_keycode, info.max_keycode
        rows = self.ctl.get_keyboard_mapping(self.min_kc, self.max_kc - self.min_kc + 1)
        self.map = {self.min_kc + i: list(r) for i, r in enumerate(rows)}
        self.cond = threading.Condition()
        self.seen = collections.deque(maxlen=4096)   # (type, keycode, time, row)
        self.changes = 0
        self.ctx = self.ctl.record_create_context(0, [record.AllClients], [{
            "core_requests": (CHANGE_KEYBOARD_MAPPING, CHANGE_KEYBOARD_MAPPING),
            "core_replies": (0, 0), "ext_requests": (0, 0, 0, 0),
            "ext_replies": (0, 0, 0, 0), "delivered_events": (0, 0),
            "device_events": (X.KeyPress, X.KeyRelease), "errors": (0, 0),
            "client_started": False, "client_died": False}])
        self.ctl.sync()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            self.rec.record_enable_context(self.ctx, self._on_data)
        except Exception as e:                          # noqa: BLE001
            emit({"type": "error", "where": "record", "error": repr(e)})

    def _on_data(self, reply):
        from Xlib.protocol import rq
        if reply.category == self.record.FromClient:
            self._on_request(bytes(reply.data), reply.client_swapped)
            return
        if reply.category != self.record.FromServer:
            return
        data = bytes(reply.data)
        while len(data) >= 32:
            ev, data = rq.EventField(None).parse_binary_value(
                data, self.rec.display, None, None)
            if ev.type in (self.X.KeyPress, self.X.KeyRelease):
                with self.cond:
                    self.seen.append((ev.type, ev.detail, ev.time,
                                      list(self.map.get(ev.detail, []))))
                    self.cond.notify_all()

    def _on_request(self, data, swapped):
        import struct
        if len(data) < 8 or data[0] != CHANGE_KEYBOARD_MAPPING:
            return
        bo = (">" if sys.byteorder == "little" else "<") if swapped else "="
        count, first, per = data[1], data[4], data[5]
        n = count * per
        if per == 0 or len(data) < 8 + 4 * n:
            return
        syms = struct.unpack(f"{bo}{n}I", data[8:8 + 4 * n])
        with self.cond:
            for i in range(count):
                self.map[first + i] = list(syms[i * per:(i + 1) * per])
            self.changes += 1

    def row_for(self, etype, keycode, etime, timeout=0.5):
        """The keysym row of the device event matching a delivered one
        (same type, keycode, server time); None if RECORD never saw it."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i, (t, kc, tm, row) in enumerate(self.seen):
                    if t == etype and kc == keycode and tm == etime:
                        del self.seen[i]
                        return row
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)


_out_lock = threading.Lock()


def emit(obj):
    with _out_lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def _commands(display_name, win_id):
    from Xlib import X, display
    d = display.Display(display_name)
    win = d.create_resource_object("window", win_id)
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        cmd = parts[0]
        try:
            if cmd == "fill" and len(parts) == 2:
                win.change_attributes(background_pixel=int(parts[1].lstrip("#"), 16))
                win.clear_area(0, 0, 0, 0)
            elif cmd == "focus":
                win.set_input_focus(X.RevertToParent, X.CurrentTime)
            elif cmd == "quit":
                emit({"type": "ack", "cmd": cmd})
                os._exit(0)
            d.sync()
            emit({"type": "ack", "cmd": line.strip()})
        except Exception as e:                          # noqa: BLE001
            emit({"type": "ack", "cmd": line.strip(), "error": repr(e)})
    os._exit(0)


def run_program(argv=None):
    from Xlib import X, display
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--geometry", default=None, help="WxH+X+Y (default: the screen)")
    ap.add_argument("--no-record", action="store_true",
                    help="do not use RECORD (keysyms from the window's own map)")
    ap.add_argument("--background", default="203040")
    a = ap.parse_args(argv)
    name = os.environ.get("DISPLAY")
    d = display.Display(name)
    scr = d.screen()
    if a.geometry:
        wh, x, y = a.geometry.split("+")
        w, h = (int(v) for v in wh.split("x"))
        x, y = int(x), int(y)
    else:
        x, y, w, h = 0, 0, scr.width_in_pixels, scr.height_in_pixels
    follower = None
    if not a.no_record:
        try:
            follower = _KeymapFollower(name)
        except Exception as e:                          # noqa: BLE001
            emit({"type": "warning", "text": f"keymap via RECORD unavailable: {e!r}"})
    mask = (X.KeyPressMask | X.KeyReleaseMask | X.ButtonPressMask |
            X.ButtonReleaseMask | X.PointerMotionMask | X.FocusChangeMask |
            X.StructureNotifyMask | X.ExposureMask)
    win = scr.root.create_window(x, y, w, h, 0, scr.root_depth, X.InputOutput,
                                 X.CopyFromParent,
                                 background_pixel=int(a.background, 16),
                                 event_mask=mask, override_redirect=True)
    win.set_wm_name("outpost-xrecorder")
    win.map()
    d.sync()
    mapped = focused = False
    while not (mapped and focused):
        ev = d.next_event()
        if ev.type == X.MapNotify:
            mapped = True
            win.set_input_focus(X.RevertToParent, X.CurrentTime)
            d.sync()
        elif ev.type == X.FocusIn:
            focused = True
    threading.Thread(target=_commands, args=(name, win.id), daemon=True).start()
    emit({"type": "ready", "window": win.id, "x": x, "y": y, "width": w,
          "height": h, "record": follower is not None})
    names = {X.KeyPress: "key_press", X.KeyRelease: "key_release",
             X.ButtonPress: "button_press", X.ButtonRelease: "button_release"}
    while True:
        ev = d.next_event()
        if ev.type in (X.KeyPress, X.KeyRelease):
            row, source = None, "keymap"
            if follower is not None:
                row = follower.row_for(ev.type, ev.detail, ev.time)
                if row is not None:
                    source = "record"
            if row is None:
                row = [d.keycode_to_keysym(ev.detail, i) for i in range(6)]
            ks = pick_keysym(row, ev.state)
            emit({"type": names[ev.type], "keycode": ev.detail, "keysym": ks,
                  "state": ev.state, "string": keysym_text(ks), "time": ev.time,
                  "keysyms": [k for k in row[:6]], "source": source})
        elif ev.type in (X.ButtonPress, X.ButtonRelease):
            emit({"type": names[ev.type], "button": ev.detail, "x": ev.event_x,
                  "y": ev.event_y, "root_x": ev.root_x, "root_y": ev.root_y,
                  "state": ev.state, "time": ev.time})
        elif ev.type == X.MotionNotify:
            emit({"type": "motion", "x": ev.event_x, "y": ev.event_y,
                  "root_x": ev.root_x, "root_y": ev.root_y, "state": ev.state,
                  "time": ev.time})
        elif ev.type in (X.FocusIn, X.FocusOut):
            emit({"type": "focus_in" if ev.type == X.FocusIn else "focus_out",
                  "mode": ev.mode, "detail": ev.detail})
        elif ev.type == X.MappingNotify:
            d.refresh_keyboard_mapping(ev)
            emit({"type": "mapping", "request": ev.request,
                  "first_keycode": ev.first_keycode, "count": ev.count})


# ------------------------------------------------------------ library
def _env_of(display_or_env):
    if isinstance(display_or_env, dict):
        return dict(display_or_env)
    env = dict(os.environ, DISPLAY=display_or_env)
    env.pop("XAUTHORITY", None)
    return env


class Recorder:
    """Runs xrecorder.py on an X display and collects its events.

        rec = Recorder(xvfb.env).start()       # or Recorder(":5")
        ... inject ...
        rec.wait_for(lambda e: e["type"] == "key_release" and e["keycode"] == 38)
        rec.text()                              # "hello"
        rec.events("button_press")
        rec.clear(); rec.stop()

    Every event dict gets "t" (time.monotonic() when the line was read)."""

    def __init__(self, display_or_env, geometry=None, record=True, python="/usr/bin/python3"):
        self.env = _env_of(display_or_env)
        self.geometry, self.record, self.python = geometry, record, python
        self.proc = None
        self.ready = None
        self._events = []
        self._other = []                 # ready/ack/warning/error lines
        self._cond = threading.Condition()
        self._stderr = []

    def start(self, timeout=10):
        args = [self.python, os.path.abspath(__file__)]
        if self.geometry:
            args += ["--geometry", self.geometry]
        if not self.record:
            args.append("--no-record")
        self.proc = subprocess.Popen(args, env=self.env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1)
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_err, daemon=True).start()
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.ready is None:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("xrecorder did not get ready: " +
                                       "".join(self._stderr)[-2000:])
                self._cond.wait(min(left, 0.2))
        return self

    def _read(self):
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            ev["t"] = time.monotonic()
            with self._cond:
                if ev["type"] == "ready":
                    self.ready = ev
                elif ev["type"] in ("ack", "warning", "error"):
                    self._other.append(ev)
                else:
                    self._events.append(ev)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _drain_err(self):
        for line in self.proc.stderr:
            self._stderr.append(line)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass
        self.proc = None

    def __enter__(self):
        return self.start() if self.proc is None else self

    def __exit__(self, *exc):
        self.stop()

    @property
    def uses_record(self):
        return bool(self.ready and self.ready.get("record"))

    def command(self, cmd, timeout=5):
        """Sends a stdin command ('fill 336699', 'focus') and waits for its
        ack; returns the ack dict."""
        with self._cond:
            n = len(self._other)
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for ev in self._other[n:]:
                    if ev["type"] == "ack":
                        return ev
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no ack for {cmd!r}")
                self._cond.wait(left)

    def fill(self, colour):
        """Repaints the whole window (a screen change for the video)."""
        return self.command("fill " + colour.lstrip("#"))

    def focus(self):
        return self.command("focus")

    def events(self, type=None, since=0):
        """Events so far (since index `since`), all or of one type (a name
        or a tuple of names: 'key_press', 'key_release', 'button_press',
        'button_release', 'motion', 'focus_in', 'focus_out', 'mapping')."""
        types = (type,) if isinstance(type, str) else type
        with self._cond:
            evs = list(self._events[since:])
        return [e for e in evs if types is None or e["type"] in types]

    def count(self):
        with self._cond:
            return len(self._events)

    def wait_for(self, pred, timeout=5, since=0):
        """First event (index >= since) for which pred(event) is true, or
        None after timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            i = since
            while True:
                while i < len(self._events):
                    if pred(self._events[i]):
                        return self._events[i]
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc is not None and self.proc.poll() is not None
                                 and i >= len(self._events)):
                    return None
                self._cond.wait(min(left, 0.2))

    def wait_quiet(self, quiet=0.3, timeout=5):
        """Waits until no event came for `quiet` s; True if it did go quiet."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            n = self.count()
            time.sleep(quiet)
            if self.count() == n:
                return True
        return False

    def key_presses(self, since=0):
        return self.events("key_press", since)

    def text(self, since=0):
        """Concatenated strings of the key presses."""
        return "".join(e.get("string", "") for e in self.key_presses(since))

    def clear(self):
        with self._cond:
            self._events.clear()

    def stderr(self):
        return "".join(self._stderr)


def keys_down(display):
    """Keycodes the X server reports as pressed (XQueryKeymap)."""
    from Xlib import display as xdisplay
    d = xdisplay.Display(display)
    try:
        km = d.query_keymap()
    finally:
        d.close()
    return [i * 8 + b for i, byte in enumerate(km) for b in range(8) if byte >> b & 1]


def pointer_state(display):
    """(root_x, root_y, modifier/button mask) from XQueryPointer."""
    from Xlib import display as xdisplay
    d = xdisplay.Display(display)
    try:
        p = d.screen().root.query_pointer()
        return p.root_x, p.root_y, p.mask
    finally:
        d.close()


def lock_state(display):
    """{'caps': bool, 'num': bool} from the keyboard LEDs/modifier state."""
    from Xlib import display as xdisplay
    d = xdisplay.Display(display)
    try:
        leds = d.get_keyboard_control().led_mask
        mask = d.screen().root.query_pointer().mask
    finally:
        d.close()
    return {"caps": bool(leds & 1) or bool(mask & LOCK_MASK),
            "num": bool(leds & 2), "leds": leds, "mask": mask}


if __name__ == "__main__":
    run_program()
