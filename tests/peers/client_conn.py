# SPDX-License-Identifier: MIT
"""The technician client's connection layer (ConnectionMixin of
client.Client): reading frames (decrypted once a key is set, §5.4) and
Messages, dispatching what the host sends to the other mixins (_handle),
waiting (wait_for, pump, wait_closed) and writing frames, including a
sendall() that keeps reading while the host does not.  Relies on the
state Client.__init__ sets up."""
import select
import socket
import time

try:
    from . import rdproto as rp
    from .client_base import (ChannelError, ClientError, Message, PERMISSION_NAMES,
                              Record, SessionClosed, Sent, mpb, msg_kind)
except ImportError:
    import rdproto as rp
    from client_base import (ChannelError, ClientError, Message, PERMISSION_NAMES,
                             Record, SessionClosed, Sent, mpb, msg_kind)


class ConnectionMixin:
    """Socket, framing and the receive dispatcher of Client."""

    def close(self):
        rp.close_quietly(self.sock)
        self.sock = None
        if self.result is not None:
            self.result.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def encrypted(self):
        return self.codec is not None

    def elapsed(self):
        return time.monotonic() - self.t0

    def _mark_closed(self, reason):
        if not self.closed:
            self.closed = True
            self.eof_time = time.monotonic()
            self.eof_reason = reason

    def _read_more(self, timeout):
        """Waits up to timeout for bytes; feeds the decoder.  False on timeout."""
        if self.closed or self.sock is None:
            return False
        r, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if not r:
            return False
        if self._rx is None:
            self._rx = bytearray(1 << 20)   # reused: a fresh 256 KiB bytes per
        try:                                # read cost page faults every time
            got = self.sock.recv_into(self._rx)
            data = memoryview(self._rx)[:got]
        except ConnectionResetError:
            self._mark_closed("reset")
            return True
        except OSError as e:
            self._mark_closed(f"error: {e}")
            return True
        if not data:
            self._mark_closed("eof")
            return True
        self.pending.extend(self.dec.feed(data))
        return True

    # --------------------------------------------------------- receiving
    def recv_frame(self, timeout=None):
        """Next payload, decrypted if a key is set (payloads of ≤ 1 byte pass
        through undecrypted, §5.4).  None on EOF; TimeoutError if nothing
        complete arrives; ChannelError if decryption fails."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while not self.pending:
            if self.closed:
                return None
            if self._acks_due:
                self.flush_acks()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no frame within {timeout:.1f}s")
            if self._acks_due:
                left = min(left, max(0.0, self._acks_due[0] - time.monotonic()))
            self._read_more(left)
        p = self.pending.popleft()
        if self.codec is None:
            return p
        try:
            return self.codec.open(p)
        except rp.ProtoError as e:
            self.received.append(Record(time.monotonic(), "decrypt_error", p))
            raise ChannelError(f"{e} (recv_seq {self.codec.recv_seq}, {len(p)} bytes)") from None

    def recv_message(self, timeout=None, handle=True):
        """Next Message (recorded in .received).  None on EOF; TimeoutError.
        Unparsable payloads are recorded ('unparsable') and skipped, as the
        stock client does.  handle=True: echo TestDelay{from_client:false}
        (if echo_test_delay), note PermissionInfo, close_reason, MessageBox,
        Hash, LoginResponse, PeerInfo."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            p = self.recv_frame(max(0.0, deadline - time.monotonic()))
            if p is None:
                return None
            m = Message()
            try:
                used = m.ParseFromString(p)
                if used is not None and used != len(p):
                    raise ValueError("short parse")
            except Exception:
                self.unparsable += 1
                self.received.append(Record(time.monotonic(), "unparsable", p))
                continue
            kind = msg_kind(m)
            sub = getattr(m, m.WhichOneof("union")) if kind != "empty" else m
            self.received.append(Record(time.monotonic(), kind, sub))
            if handle:
                self._handle(kind, m)
            return m

    def _handle(self, kind, m):
        if kind == "test_delay":
            self.test_delays += 1
            if self.echo_test_delay and not m.test_delay.from_client:
                try:
                    self.send_message(m)        # echoed unchanged
                    self.test_delays_echoed += 1
                except SessionClosed:
                    pass
        elif kind == "misc.permission_info":
            pi = m.misc.permission_info
            self.permissions[PERMISSION_NAMES.get(pi.permission, pi.permission)] = pi.enabled
        elif kind == "misc.close_reason":
            self.close_reason = m.misc.close_reason
        elif kind == "message_box":
            self.message_boxes.append(m.message_box)
        elif kind == "hash":
            self.hash = m.hash
        elif kind == "login_response":
            self.login_responses.append(m.login_response)
            if m.login_response.WhichOneof("union") == "error":
                self.login_error = m.login_response.error
            elif m.login_response.WhichOneof("union") == "peer_info":
                self.peer_info = m.login_response.peer_info
        elif kind == "peer_info":
            self.peer_infos.append(m.peer_info)
        elif kind == "video_frame":
            self._on_video(m.video_frame)
        elif kind == "cursor_data":
            self._on_cursor_data(m.cursor_data)
        elif kind == "cursor_id":
            self.cursor_ids.append((time.monotonic(), m.cursor_id))
        elif kind == "cursor_position":
            self.cursor_positions.append((time.monotonic(), m.cursor_position.x,
                                          m.cursor_position.y))
        elif kind == "clipboard":
            self._on_clipboard([m.clipboard], False)
        elif kind == "multi_clipboards":
            self._on_clipboard(list(m.multi_clipboards.clipboards), True)
        elif kind == "terminal_response":
            self._on_terminal_response(m.terminal_response)
        elif kind == "misc.audio_format":
            self._on_audio_format(m.misc.audio_format)
        elif kind == "audio_frame":
            self._on_audio_frame(m.audio_frame)
        elif kind == "misc.switch_display":
            sd = mpb.SwitchDisplay()
            sd.CopyFrom(m.misc.switch_display)
            self.switch_displays.append((time.monotonic(), sd))

    def wait_for(self, kind, timeout=None):
        """Reads (and handles) messages until one of `kind` (a name or a
        tuple of names, as in Record.kind) arrives; returns that Message.
        Raises SessionClosed on EOF, TimeoutError."""
        kinds = (kind,) if isinstance(kind, str) else tuple(kind)
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kinds} within {timeout:.1f}s")
            m = self.recv_message(left)
            if m is None:
                raise SessionClosed(f"connection closed while waiting for {kinds}"
                                    + (f" (close_reason {self.close_reason!r})"
                                       if self.close_reason else ""), self)
            if msg_kind(m) in kinds:
                return m

    def pump(self, duration):
        """Reads and handles everything for `duration` seconds (keeps the
        TestDelay echo going).  Returns False if the connection closed."""
        deadline = time.monotonic() + duration
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return not self.closed
            try:
                if self.recv_message(left) is None:
                    return False
            except TimeoutError:
                return not self.closed

    def wait_closed(self, timeout=None, echo=None):
        """Reads (recording everything) until EOF.  Returns seconds from
        this call to EOF, or None if still open after timeout.  Decryption
        errors are recorded and reading continues at the raw level."""
        timeout = self.timeout if timeout is None else timeout
        start = time.monotonic()
        deadline = start + timeout
        saved = self.echo_test_delay
        if echo is not None:
            self.echo_test_delay = echo
        try:
            while not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                try:
                    self.recv_message(left)
                except TimeoutError:
                    return None
                except ChannelError:
                    continue
        finally:
            self.echo_test_delay = saved
        return max(0.0, self.eof_time - start)

    def messages(self, kind=None):
        """Received sub-messages of one kind (all Records if kind is None).
        kind='misc' returns every Misc (whatever its variant);
        'misc.<variant>' only that variant's content."""
        if kind is None:
            return list(self.received)
        if kind == "misc":
            return [r.msg for r in self.received
                    if r.kind == "misc" or r.kind.startswith("misc.")]
        return [r.msg for r in self.received if r.kind == kind]

    # ----------------------------------------------------------- sending
    def _write(self, wire, kind, msg, encrypted, seq):
        if self.sock is None:
            raise SessionClosed("client socket already closed", self)
        try:
            self.sock.sendall(wire)
        except socket.timeout:
            raise ClientError(f"send of {len(wire)} bytes timed out (host not reading)") from None
        except OSError as e:
            self._mark_closed(f"send: {e}")
            raise SessionClosed(f"send failed: {e}", self) from None
        self.sent.append(Sent(time.monotonic(), kind, msg, wire, encrypted, seq))
        return wire

    def send_payload(self, payload, kind="payload", msg=None, encrypt=None):
        """Frames (and, if a key is set and encrypt is not False, seals with
        the next nonce) one payload.  Returns the wire bytes."""
        payload = bytes(payload)
        seq = None
        enc = self.codec is not None and encrypt is not False
        if enc:
            payload = self.codec.seal(payload)
            seq = self.codec.send_seq
        return self._write(rp.encode_frame(payload), kind, msg, enc, seq)

    def send_message(self, msg, encrypt=None):
        """Sends a Message (encrypted once the key is set)."""
        return self.send_payload(msg.SerializeToString(), msg_kind(msg), msg, encrypt)

    def send_raw(self, data, kind="raw"):
        """Writes bytes as they are (no framing, no encryption)."""
        return self._write(bytes(data), kind, None, False, None)

    def send_close_reason(self, text="Closed manually by the peer"):
        m = Message()
        m.misc.close_reason = text
        return self.send_message(m)


    # ----------------------------------------------------- flow control
    def _sendall_reading(self, data):
        """sendall() that keeps reading the socket (into the decoder) while
        the kernel buffer is full."""
        if self.sock is None:
            raise SessionClosed("client socket already closed", self)
        view = memoryview(data)
        deadline = time.monotonic() + self.timeout
        while view:
            if time.monotonic() > deadline:
                raise ClientError(f"send stalled for {self.timeout:.0f}s "
                                  "(host not reading)")
            r, w, _ = select.select([self.sock], [self.sock], [], 0.5)
            if r and not self.closed:
                self._read_more(0)
            if w:
                try:
                    k = self.sock.send(view[:262144], socket.MSG_DONTWAIT)
                except BlockingIOError:
                    continue
                except OSError as e:
                    self._mark_closed(f"send: {e}")
                    raise SessionClosed(f"send failed: {e}", self) from None
                view = view[k:]
                deadline = time.monotonic() + self.timeout

    def _handle_pending(self):
        """Handles every complete frame already read, and whatever else is
        readable now, without waiting."""
        deadline = time.monotonic() + 0.05     # a constant stream: stop
        while time.monotonic() < deadline:
            if not self.pending and not self._read_more(0):
                return
            while self.pending:
                try:
                    self.recv_message(0)
                except (TimeoutError, ChannelError):
                    break

    def drain(self):
        """Handles what has arrived so far without waiting (public
        _handle_pending)."""
        self._handle_pending()
        return not self.closed
