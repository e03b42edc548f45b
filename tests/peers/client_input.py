# SPDX-License-Identifier: MIT
"""Keyboard and mouse input of the technician client (§9): ControlKey,
keyboard-mode, mouse-mask and US-layout X keycode tables, KeyEvent /
MouseEvent builders (key_msg, mouse_msg), and InputMixin of client.Client
(Map/Translate/Legacy keys, type_text, moves, clicks, drags, wheel,
flood_input)."""
import time

try:
    from . import rdproto as rp
    from .client_base import (Message, Sent)
except ImportError:
    import rdproto as rp
    from client_base import (Message, Sent)

# ControlKey values as listed in the protocol reference (§9.2 table and
# Appendix B); names as in message.proto.
CONTROL_KEYS = {
    "Unknown": 0, "Alt": 1, "Backspace": 2, "CapsLock": 3, "Control": 4,
    "Delete": 5, "DownArrow": 6, "End": 7, "Escape": 8, "F1": 9, "F10": 10,
    "F11": 11, "F12": 12, "F2": 13, "F3": 14, "F4": 15, "F5": 16, "F6": 17,
    "F7": 18, "F8": 19, "F9": 20, "Home": 21, "LeftArrow": 22, "Meta": 23,
    "Option": 24, "PageDown": 25, "PageUp": 26, "Return": 27,
    "RightArrow": 28, "Shift": 29, "Space": 30, "Tab": 31, "UpArrow": 32,
    "Numpad0": 33, "Numpad1": 34, "Numpad2": 35, "Numpad3": 36,
    "Numpad4": 37, "Numpad5": 38, "Numpad6": 39, "Numpad7": 40,
    "Numpad8": 41, "Numpad9": 42, "Cancel": 43, "Clear": 44, "Menu": 45,
    "Pause": 46, "Kana": 47, "Hangul": 48, "Junja": 49, "Final": 50,
    "Hanja": 51, "Kanji": 52, "Convert": 53, "Select": 54, "Print": 55,
    "Execute": 56, "Snapshot": 57, "Insert": 58, "Help": 59, "Sleep": 60,
    "Separator": 61, "Scroll": 62, "NumLock": 63, "RWin": 64, "Apps": 65,
    "Multiply": 66, "Add": 67, "Subtract": 68, "Decimal": 69, "Divide": 70,
    "Equals": 71, "NumpadEnter": 72, "RShift": 73, "RControl": 74,
    "RAlt": 75, "VolumeMute": 76, "VolumeUp": 77, "VolumeDown": 78,
    "Power": 79, "CtrlAltDel": 100, "LockScreen": 101,
}
CONTROL_KEY_NAMES = {v: k for k, v in CONTROL_KEYS.items()}
KEYBOARD_MODES = {"legacy": 0, "map": 1, "translate": 2, "auto": 3}

# MouseEvent.mask = (buttons << 3) | type (§9.1).
MOUSE_MOVE, MOUSE_DOWN, MOUSE_UP, MOUSE_WHEEL, MOUSE_TRACKPAD, \
    MOUSE_MOVE_RELATIVE = range(6)
MOUSE_BUTTONS = {"left": 0x01, "right": 0x02, "middle": 0x04, "wheel": 0x04,
                 "back": 0x08, "forward": 0x10}
# The X button each wire button becomes on a Linux host (§9.1).
X_BUTTONS = {"left": 1, "middle": 2, "right": 3, "back": 8, "forward": 9}

# X keycodes (evdev code + 8) of a US pc105 layout: what a client sends in
# Map mode to a "Linux" host (§9.2, §17 item 21).
X_KEYCODES = {
    "Escape": 9, "BackSpace": 22, "Tab": 23, "Return": 36, "Control_L": 37,
    "Shift_L": 50, "Shift_R": 62, "KP_Multiply": 63, "Alt_L": 64,
    "space": 65, "Caps_Lock": 66, "F1": 67, "F2": 68, "F3": 69, "F4": 70,
    "F5": 71, "F6": 72, "F7": 73, "F8": 74, "F9": 75, "F10": 76,
    "Num_Lock": 77, "F11": 95, "F12": 96, "Control_R": 105, "Alt_R": 108,
    "Home": 110, "Up": 111, "Prior": 112, "Left": 113, "Right": 114,
    "End": 115, "Down": 116, "Next": 117, "Insert": 118, "Delete": 119,
    "Super_L": 133, "Super_R": 134,
}
_US_KEYS = [(49, "`~"), (10, "1!"), (11, "2@"), (12, "3#"), (13, "4$"),
            (14, "5%"), (15, "6^"), (16, "7&"), (17, "8*"), (18, "9("),
            (19, "0)"), (20, "-_"), (21, "=+"), (34, "[{"), (35, "]}"),
            (51, "\\|"), (47, ";:"), (48, "'\""), (59, ",<"), (60, ".>"),
            (61, "/?")]
_US_KEYS += [(24 + i, c + c.upper()) for i, c in enumerate("qwertyuiop")]
_US_KEYS += [(38 + i, c + c.upper()) for i, c in enumerate("asdfghjkl")]
_US_KEYS += [(52 + i, c + c.upper()) for i, c in enumerate("zxcvbnm")]
# character -> (X keycode, needs Shift) on a US layout
US_KEYMAP = {" ": (65, False), "\t": (23, False), "\n": (36, False),
             "\r": (36, False)}
for _kc, _pair in _US_KEYS:
    US_KEYMAP[_pair[0]] = (_kc, False)
    US_KEYMAP[_pair[1]] = (_kc, True)
del _kc, _pair


def control_key(v):
    """ControlKey value of a name ('Shift', 'CapsLock') or an int."""
    if isinstance(v, str):
        return CONTROL_KEYS[v]
    return int(v)


def keyboard_mode(v):
    return KEYBOARD_MODES[v.lower()] if isinstance(v, str) else int(v)


def key_msg(mode="map", down=False, press=False, control_key_=None, chr_=None,
            unicode_=None, seq=None, modifiers=()):
    """Message{key_event} (§9.2): mode 'legacy'|'map'|'translate'|'auto' (or
    the int), one of control_key_ (name or value) / chr_ / unicode_ / seq,
    modifiers = ControlKey names or values (CapsLock/NumLock = lock
    states)."""
    m = Message()
    ke = m.key_event
    ke.down, ke.press = bool(down), bool(press)
    if control_key_ is not None:
        ke.control_key = control_key(control_key_)
    elif chr_ is not None:
        ke.chr = chr_ if isinstance(chr_, int) else ord(chr_)
    elif unicode_ is not None:
        ke.unicode = unicode_ if isinstance(unicode_, int) else ord(unicode_)
    elif seq is not None:
        ke.seq = seq
    ke.modifiers.extend(control_key(x) for x in modifiers)
    ke.mode = keyboard_mode(mode)
    return m


def mouse_mask(kind, button=None):
    """(buttons << 3) | type; kind = MOUSE_* or 'move'|'down'|'up'|'wheel'|
    'trackpad'|'move_relative'; button = a MOUSE_BUTTONS name or bit
    value."""
    if isinstance(kind, str):
        kind = {"move": 0, "down": 1, "up": 2, "wheel": 3, "trackpad": 4,
                "move_relative": 5}[kind]
    b = 0
    if button is not None:
        b = MOUSE_BUTTONS[button] if isinstance(button, str) else int(button)
    return (b << 3) | int(kind)


def mouse_msg(mask, x=0, y=0, modifiers=()):
    """Message{mouse_event} (x/y are sint32 on the wire)."""
    m = Message()
    m.mouse_event.mask, m.mouse_event.x, m.mouse_event.y = int(mask), int(x), int(y)
    m.mouse_event.modifiers.extend(control_key(v) for v in modifiers)
    return m


class InputMixin:
    """Key and mouse events of Client."""

    def send_mouse_event(self, x=10, y=10, mask=0, modifiers=()):
        m = Message()
        m.mouse_event.mask, m.mouse_event.x, m.mouse_event.y = mask, x, y
        m.mouse_event.modifiers.extend(modifiers)
        return self.send_message(m)

    def send_key_event(self, chr_=38, down=True, mode=1, press=False):
        m = Message()
        m.key_event.down, m.key_event.press, m.key_event.chr = down, press, chr_
        m.key_event.mode = mode
        return self.send_message(m)


    # -------------------------------------------- keyboard (§9.2)
    def send_key(self, **kw):
        """One KeyEvent built by key_msg(**kw) (mode=, down=, press=,
        control_key_=, chr_=, unicode_=, seq=, modifiers=)."""
        return self.send_message(key_msg(**kw))

    def key_map(self, keycode, down=True, modifiers=()):
        """Map mode: chr = X keycode (evdev + 8), down or up."""
        return self.send_message(key_msg("map", down=down, chr_=int(keycode),
                                         modifiers=modifiers))

    def key_map_tap(self, keycode, modifiers=()):
        """Map mode press then release of one keycode."""
        self.key_map(keycode, True, modifiers)
        return self.key_map(keycode, False, modifiers)

    def key_translate_seq(self, text, modifiers=()):
        """Translate mode: seq = text (down=true, as the client sends it)."""
        return self.send_message(key_msg("translate", down=True, seq=text,
                                         modifiers=modifiers))

    def key_translate_chr(self, keycode, down=True, modifiers=()):
        """Translate mode: chr = positional X keycode, as in Map mode."""
        return self.send_message(key_msg("translate", down=down,
                                         chr_=int(keycode), modifiers=modifiers))

    def key_legacy_control(self, control_key_, down=True, press=False,
                           modifiers=()):
        """Legacy mode: control_key = a CONTROL_KEYS name or value."""
        return self.send_message(key_msg("legacy", down=down, press=press,
                                         control_key_=control_key_,
                                         modifiers=modifiers))

    def key_legacy_char(self, ch, down=True, press=False, modifiers=()):
        """Legacy mode: chr = the character's code point (str of length 1
        or an int)."""
        return self.send_message(key_msg("legacy", down=down, press=press,
                                         chr_=ch if isinstance(ch, int) else ord(ch),
                                         modifiers=modifiers))

    def key_legacy_unicode(self, cp, down=True, modifiers=()):
        """Legacy mode: unicode = a code point (int or 1-char str)."""
        return self.send_message(key_msg("legacy", down=down,
                                         unicode_=cp if isinstance(cp, int) else ord(cp),
                                         modifiers=modifiers))

    def key_legacy_seq(self, text, modifiers=()):
        """Legacy mode: seq = text."""
        return self.send_message(key_msg("legacy", down=True, seq=text,
                                         modifiers=modifiers))

    def type_text(self, text, mode="map", per_char=True, legacy_shift=True,
                  delay=0.0):
        """Types text the way a client in `mode` would.
        'map': US-layout X keycodes (US_KEYMAP); characters that need Shift
        are Shift_L (50) down, key down, key up, Shift up (ValueError for a
        character a US keyboard has no key for).
        'translate': seq per character (per_char=False: one seq).
        'translate-stock': what a stock 1.3/1.4 client sends in Translate
        mode (src/keyboard.rs translate_keyboard_mode): Shift_L as a
        positional chr (keycode) press, the character as seq with down=true
        and the held modifiers, the key's release as a positional chr, then
        Shift_L's release; characters without a US key are seq alone.
        'legacy': chr down and up per character; legacy_shift=True adds
        modifiers=[Shift] to characters a US layout types with Shift, as a
        legacy client holding Shift would.
        delay: seconds between characters.  Returns the messages sent."""
        mode = mode.lower()
        n0 = len(self.sent)
        if mode == "translate" and not per_char:
            self.key_translate_seq(text)
            return len(self.sent) - n0
        for i, ch in enumerate(text):
            if i and delay:
                time.sleep(delay)
            if mode == "map":
                if ch not in US_KEYMAP:
                    raise ValueError(f"no US key for {ch!r}")
                kc, shift = US_KEYMAP[ch]
                if shift:
                    self.key_map(X_KEYCODES["Shift_L"], True)
                    self.key_map(kc, True, ["Shift"])
                    self.key_map(kc, False, ["Shift"])
                    self.key_map(X_KEYCODES["Shift_L"], False)
                else:
                    self.key_map_tap(kc)
            elif mode == "translate":
                self.key_translate_seq(ch)
            elif mode == "translate-stock":
                kc, shift = US_KEYMAP.get(ch, (None, False))
                mods = ["Shift"] if shift else []
                if shift:
                    self.key_translate_chr(X_KEYCODES["Shift_L"], True)
                self.key_translate_seq(ch, modifiers=mods)
                if kc is not None:
                    self.key_translate_chr(kc, False, modifiers=mods)
                if shift:
                    self.key_translate_chr(X_KEYCODES["Shift_L"], False)
            elif mode == "legacy":
                mods = ["Shift"] if (legacy_shift and ch in US_KEYMAP
                                     and US_KEYMAP[ch][1]) else []
                self.key_legacy_char(ch, True, modifiers=mods)
                self.key_legacy_char(ch, False, modifiers=mods)
            else:
                raise ValueError(f"mode {mode!r}")
        return len(self.sent) - n0

    # ----------------------------------------------- mouse (§9.1)
    def mouse_move(self, x, y, modifiers=()):
        """MOVE to global host coordinates."""
        return self.send_message(mouse_msg(MOUSE_MOVE, x, y, modifiers))

    def mouse_move_relative(self, dx, dy):
        return self.send_message(mouse_msg(MOUSE_MOVE_RELATIVE, dx, dy))

    def mouse_down(self, button="left", x=0, y=0, modifiers=()):
        """DOWN of one button ('left'|'right'|'middle'|'back'|'forward' or
        a bit value) with the position fields set."""
        return self.send_message(mouse_msg(mouse_mask(MOUSE_DOWN, button), x, y,
                                           modifiers))

    def mouse_up(self, button="left", x=0, y=0, modifiers=()):
        return self.send_message(mouse_msg(mouse_mask(MOUSE_UP, button), x, y,
                                           modifiers))

    def click(self, x, y, button="left", modifiers=()):
        """Move to (x, y), then DOWN and UP there."""
        self.mouse_move(x, y)
        self.mouse_down(button, x, y, modifiers)
        return self.mouse_up(button, x, y, modifiers)

    def drag(self, x0, y0, x1, y1, steps=10, button="left"):
        """Move to A, DOWN at A, `steps` moves to B, UP at B."""
        self.mouse_move(x0, y0)
        self.mouse_down(button, x0, y0)
        steps = max(1, int(steps))
        for i in range(1, steps + 1):
            self.mouse_move(round(x0 + (x1 - x0) * i / steps),
                            round(y0 + (y1 - y0) * i / steps))
        return self.mouse_up(button, x1, y1)

    def wheel(self, dx=0, dy=0, trackpad=False):
        """WHEEL (type 3; TRACKPAD 4 if trackpad): deltas in notches in x/y.
        Wire y > 0 scrolls up (X button 4), x > 0 left (button 6)."""
        return self.send_message(mouse_msg(MOUSE_TRACKPAD if trackpad else
                                           MOUSE_WHEEL, dx, dy))

    def flood_input(self, n, kind="mouse", rate=None, batch=200, area=(1280, 720),
                    keycode=38):
        """Sends n input events as fast as possible (rate=None) or at about
        `rate` events/s, `batch` frames per write; reads (and handles) what
        the host sends between writes and while a write is blocked, so a
        host that stops reading cannot deadlock us.  kind='mouse': MOVEs
        walking over area=(w, h); 'key': Map-mode down/up of `keycode`
        alternately.  One Sent record per batch (kind 'flood:<kind>').
        Returns {'sent', 'seconds', 'batches', 'received'}."""
        t0 = time.monotonic()
        n_recv = len(self.received)
        w, h = area
        sent = batches = 0
        while sent < n:
            k = min(batch, n - sent)
            wire = []
            seq = None
            for i in range(sent, sent + k):
                if kind == "mouse":
                    m = mouse_msg(MOUSE_MOVE, (i * 7) % w, (i * 3) % h)
                elif kind == "key":
                    m = key_msg("map", down=(i % 2 == 0), chr_=int(keycode))
                else:
                    raise ValueError(f"kind {kind!r}")
                p = m.SerializeToString()
                if self.codec is not None:
                    p = self.codec.seal(p)
                    seq = self.codec.send_seq
                wire.append(rp.encode_frame(p))
            data = b"".join(wire)
            self._sendall_reading(data)
            self.sent.append(Sent(time.monotonic(), f"flood:{kind}", None, data,
                                  self.codec is not None, seq))
            sent += k
            batches += 1
            self._handle_pending()
            if rate:
                ahead = t0 + sent / float(rate) - time.monotonic()
                if ahead > 0:
                    self.pump(ahead)
        return {"sent": sent, "seconds": time.monotonic() - t0,
                "batches": batches, "received": len(self.received) - n_recv}
