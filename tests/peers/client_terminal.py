# SPDX-License-Identifier: MIT
"""Terminal sessions of the technician client (protocol reference §13.7:
TerminalAction = Message field 31, TerminalResponse = 32), driven as the
stock RustDesk 1.4.x client drives them: src/ui_session_interface.rs
(open_terminal, send_terminal_input, resize_terminal, close_terminal),
src/client.rs (get_option_message: a terminal login carries no option
unless terminal_persistent is on) and flutter/lib/models/terminal_model.dart
(what the UI does with each response).  Written from those and the spec;
it never reads or imports the agent's C code.

The session: Client(kind="terminal", service_id="") logs in with
LoginRequest.terminal{service_id} (dial with conn type TERMINAL = 5, which
Client.via_rendezvous derives from kind); then, per terminal_id (the stock
client numbers them from 1):
  open_terminal(id, rows, cols)   -> TerminalOpened{success, message, pid,
                                     service_id, persistent_sessions}
  send_terminal_data(id, text)    -> TerminalData (never compressed by the
                                     stock client; compressed=True sends zstd)
  resize_terminal(id, rows, cols)
  close_terminal(id)              -> TerminalClosed{exit_code}
The host's TerminalData is zstd-decompressed when its compressed flag is
set; every data message is checked to decode on its own as UTF-8 (the
stock UI decodes each one separately, so a character cut in two shows as
U+FFFD).  TerminalError{message} is recorded per terminal.

    c = client.Client(addr, host_pk=pk, target_id=ID, kind="terminal")
    c.handshake(); c.login(PASSWORD)
    c.open_terminal(1, rows=24, cols=80)
    assert c.wait_terminal_opened(1).success
    out = c.run_terminal_command(1, "uname -s")        # waits for a marker
    c.send_terminal_data(1, "exit 3\\r")
    assert c.wait_terminal_closed(1) == 3
"""
import os
import time

try:
    from .client_base import (Message, SessionClosed, mpb)
except ImportError:
    from client_base import (Message, SessionClosed, mpb)


class TerminalRecord:
    """What the host said about one terminal_id.  output: every data byte
    (decompressed) in arrival order; opened: the last TerminalOpened (opens:
    all of them); closed: the exit_code once TerminalClosed arrived (None
    before); errors: TerminalError messages; data_msgs / compressed_msgs /
    wire_bytes: counters; split_utf8: data messages that do not decode as
    UTF-8 on their own; decode_errors: compressed messages that failed."""

    def __init__(self, terminal_id):
        self.terminal_id = terminal_id
        self.opened = None
        self.opens = []
        self.output = bytearray()
        self.data_msgs = 0
        self.compressed_msgs = 0
        self.wire_bytes = 0
        self.split_utf8 = 0
        self.decode_errors = []
        self.closed = None
        self.closed_t = None
        self.errors = []

    @property
    def text(self):
        return self.output.decode("utf-8", "replace")

    def summary(self):
        return {"opened": None if self.opened is None else {
                    "success": self.opened.success, "message": self.opened.message,
                    "pid": self.opened.pid, "service_id": self.opened.service_id,
                    "persistent_sessions": list(self.opened.persistent_sessions)},
                "output_bytes": len(self.output), "data_msgs": self.data_msgs,
                "compressed_msgs": self.compressed_msgs, "wire_bytes": self.wire_bytes,
                "split_utf8": self.split_utf8, "closed": self.closed,
                "errors": list(self.errors)}


def terminal_action(kind, terminal_id, **fields):
    """Message{terminal_action{<kind>{terminal_id, fields}}}; kind is
    'open', 'data', 'resize' or 'close'."""
    m = Message()
    sub = getattr(m.terminal_action, kind)
    sub.SetInParent()
    sub.terminal_id = int(terminal_id)
    for k, v in fields.items():
        setattr(sub, k, v)
    return m


def terminal_option(persistent=True):
    """OptionMessage{terminal_persistent} as the stock client sends it when
    its 'keep terminal sessions' toggle is on (pass as login(option=...))."""
    o = mpb.OptionMessage()
    o.terminal_persistent = 1 if persistent else 2      # BoolOption Yes / No
    return o


def _zstd_decompress(data, limit=1 << 26):
    import zstandard
    dobj = zstandard.ZstdDecompressor().decompressobj()
    out = dobj.decompress(bytes(data))
    if len(out) > limit:
        raise ValueError(f"zstd: {len(out)} bytes exceed {limit}")
    return out


class TerminalMixin:
    """Terminal actions and the record of TerminalResponses of Client."""

    @property
    def terminals(self):
        """terminal_id -> TerminalRecord (created on first use)."""
        return self.__dict__.setdefault("_terminals", {})

    def terminal(self, terminal_id=1):
        t = self.terminals.get(terminal_id)
        if t is None:
            t = self.terminals[terminal_id] = TerminalRecord(terminal_id)
        return t

    # ------------------------------------------------------------ actions
    def open_terminal(self, terminal_id=1, rows=24, cols=80):
        """OpenTerminal (the stock client sends 24x80 until its view has a
        size).  Returns the wire bytes."""
        self.terminal(terminal_id)
        return self.send_message(terminal_action("open", terminal_id, rows=int(rows),
                                                 cols=int(cols)))

    def send_terminal_data(self, terminal_id, data, compressed=False):
        """TerminalData: str is UTF-8 encoded; compressed=True sends a zstd
        frame with the flag set (the stock client never does)."""
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        if compressed:
            import zstandard
            raw = zstandard.ZstdCompressor(level=3).compress(raw)
        return self.send_message(terminal_action("data", terminal_id, data=raw,
                                                 compressed=bool(compressed)))

    def send_terminal_raw(self, terminal_id, payload, compressed):
        """Hostile: payload bytes as they are, with the compressed flag as
        given (e.g. not zstd at all, or a zstd bomb)."""
        return self.send_message(terminal_action("data", terminal_id,
                                                 data=bytes(payload),
                                                 compressed=bool(compressed)))

    def resize_terminal(self, terminal_id, rows, cols):
        return self.send_message(terminal_action("resize", terminal_id, rows=int(rows),
                                                 cols=int(cols)))

    def close_terminal(self, terminal_id):
        return self.send_message(terminal_action("close", terminal_id))

    # ------------------------------------------------------------ waiting
    def _wait_terminal(self, pred, what, timeout):
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            r = pred()
            if r is not None:
                return r
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{what} within {timeout:.1f}s")
            try:
                if self.recv_message(left) is None:
                    raise SessionClosed(f"connection closed waiting for {what}"
                                        + (f" (close_reason {self.close_reason!r})"
                                           if self.close_reason else ""), self)
            except TimeoutError:
                pass

    def wait_terminal_opened(self, terminal_id=1, timeout=None, count=1):
        """The count-th TerminalOpened for terminal_id (success or not)."""
        t = self.terminal(terminal_id)
        return self._wait_terminal(
            lambda: t.opens[count - 1] if len(t.opens) >= count else None,
            f"no TerminalOpened for terminal {terminal_id}", timeout)

    def wait_terminal_output(self, terminal_id, pattern, timeout=None, since=0):
        """Reads until pattern (bytes, str or a compiled bytes regex) occurs
        in the terminal's output at or after offset `since`; returns the
        offset just past the match."""
        t = self.terminal(terminal_id)
        if isinstance(pattern, str):
            pattern = pattern.encode("utf-8")

        def found():
            if isinstance(pattern, bytes):
                i = t.output.find(pattern, since)
                return None if i < 0 else i + len(pattern)
            mo = pattern.search(bytes(t.output), since)
            return None if mo is None else mo.end()
        return self._wait_terminal(found, f"no {pattern!r} on terminal {terminal_id}",
                                   timeout)

    def wait_terminal_closed(self, terminal_id=1, timeout=None):
        """The exit_code of the terminal's TerminalClosed."""
        t = self.terminal(terminal_id)
        return self._wait_terminal(lambda: t.closed,
                                   f"no TerminalClosed for terminal {terminal_id}",
                                   timeout)

    def wait_terminal_error(self, terminal_id=1, timeout=None, count=1):
        t = self.terminal(terminal_id)
        return self._wait_terminal(
            lambda: t.errors[count - 1] if len(t.errors) >= count else None,
            f"no TerminalError for terminal {terminal_id}", timeout)

    def run_terminal_command(self, terminal_id, command, timeout=None):
        """Types `command` and Enter, then waits for a marker the shell
        computes (so the echoed command line never matches it).  Returns
        the output from the command's start to the marker, decoded, with
        the terminal's CR LF turned into LF."""
        k = int.from_bytes(os.urandom(3), "little")
        marker = f"__op_done_{k + 1}__"
        since = len(self.terminal(terminal_id).output)
        self.send_terminal_data(terminal_id, f"{command}; echo __op_done_$(({k}+1))__\r")
        end = self.wait_terminal_output(terminal_id, marker, timeout, since)
        out = bytes(self.terminal(terminal_id).output[since:end - len(marker)])
        return out.decode("utf-8", "replace").replace("\r\n", "\n")

    def terminal_summary(self):
        return {str(i): t.summary() for i, t in sorted(self.terminals.items())}

    # ---------------------------------------------------------- receiving
    def _on_terminal_response(self, tr):
        kind = tr.WhichOneof("union")
        if kind is None:
            return
        sub = getattr(tr, kind)
        t = self.terminal(sub.terminal_id)
        if kind == "opened":
            o = mpb.TerminalOpened()
            o.CopyFrom(sub)
            t.opened = o
            t.opens.append(o)
        elif kind == "data":
            t.data_msgs += 1
            t.wire_bytes += len(sub.data)
            data = bytes(sub.data)
            if sub.compressed:
                t.compressed_msgs += 1
                try:
                    data = _zstd_decompress(data)
                except Exception as e:      # zstandard.ZstdError, ValueError
                    t.decode_errors.append(str(e))
                    return
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                t.split_utf8 += 1
            t.output += data
        elif kind == "closed":
            t.closed = sub.exit_code
            t.closed_t = time.monotonic()
        elif kind == "error":
            t.errors.append(sub.message)


__all__ = ["TerminalMixin", "TerminalRecord", "terminal_action", "terminal_option"]
