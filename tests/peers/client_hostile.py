# SPDX-License-Identifier: MIT
"""Deliberately misbehaving technician (HostileMixin of client.Client):
broken key exchanges, garbage, undecryptable and wrongly-nonced frames,
replays, oversize frames, slow loris; plus the named scenarios
(MISBEHAVIOURS) that misbehave() runs and reports on, as used by the
hostile tests and client.py --misbehave."""
import os
import time

import nacl.public

try:
    from . import rdproto as rp
    from .client_base import (ClientError, Message, SessionClosed, mpb)
except ImportError:
    import rdproto as rp
    from client_base import (ClientError, Message, SessionClosed, mpb)


class HostileMixin:
    """Misbehaving modes of Client."""

    def handshake_empty_public_key(self, read_signed_id=True):
        """Sends PublicKey{} (what a client that cannot verify the host
        sends) and continues in plaintext."""
        if read_signed_id:
            self.read_signed_id(verify=False)
        self._send_public_key(mpb.PublicKey())
        self.channel = "plaintext-empty-public-key"
        return self.channel

    def handshake_empty_message(self, read_signed_id=False):
        """Sends an empty Message (zero-length frame) instead of PublicKey,
        like a client without a sign pk (it does not read SignedId first)."""
        if read_signed_id:
            self.read_signed_id(verify=False)
        self._send_empty_message()
        self.channel = "plaintext-empty-message"
        return self.channel

    def handshake_short_key(self, length=31, read_signed_id=True):
        """PublicKey with an asymmetric_value of `length` bytes (host must
        abort: 'invalid public sign key length')."""
        if read_signed_id:
            self.read_signed_id(verify=False)
        pk = mpb.PublicKey(asymmetric_value=os.urandom(length),
                           symmetric_value=os.urandom(48))
        self._send_public_key(pk)
        self.channel = f"bad-key-length-{length}"
        return self.channel

    def handshake_bad_box(self, read_signed_id=True):
        """A 32-byte asymmetric_value whose symmetric_value was sealed for a
        different key: crypto_box_open fails on the host."""
        if read_signed_id:
            self.read_signed_id(verify=False)
        other = nacl.public.PrivateKey.generate().public_key
        pk, _ = self.make_public_key(bytes(other))
        self._send_public_key(pk)
        self.channel = "bad-box"
        return self.channel

    def send_garbage(self, size=64, framed=True, data=None):
        """Garbage: framed=True -> one BytesCodec frame whose payload does
        not parse as a Message (default 0x07 bytes: field 0, wire type 7);
        framed=False -> raw random bytes.  Never encrypted: before the key
        exchange it is a bad handshake frame, after it an undecryptable one."""
        if data is None:
            data = bytes([0x07]) * size if framed else os.urandom(size)
        if framed:
            return self._write(rp.encode_frame(data), "garbage", None, False, None)
        return self.send_raw(data, "garbage-raw")

    def send_undecryptable(self, size=64):
        """After the key exchange: a frame of random bytes (≥ 2) that fails
        secretbox authentication.  Our send counter is not advanced."""
        return self._write(rp.encode_frame(os.urandom(max(2, size))), "undecryptable",
                           None, False, None)

    def send_wrong_nonce(self, msg=None, skip=1):
        """Seals `msg` (default TestDelay{from_client}) with the counter
        `skip` values ahead of the expected one, i.e. nonce send_seq+1+skip
        (skip=-1 reuses the previous nonce)."""
        if self.codec is None:
            raise ClientError("no session key")
        if msg is None:
            msg = Message()
            msg.test_delay.time = int(time.time() * 1000)
            msg.test_delay.from_client = True
        self.codec.send_seq += skip
        return self.send_message(msg)

    def replay(self, index=None):
        """Re-sends the exact wire bytes of an earlier encrypted frame
        (default: the last one).  Returns them."""
        enc = [s for s in self.sent if s.encrypted]
        if not enc:
            raise ClientError("no encrypted frame sent yet")
        s = enc[-1] if index is None else enc[index]
        return self._write(s.wire, f"replay:{s.kind}", s.msg, True, s.seq)

    def send_oversize_login(self, size=65536, password=None):
        """A LoginRequest of about `size` payload bytes (avatar padded)."""
        lr = self.build_login_request(self.proof(password) if password else b"")
        base = len(lr.SerializeToString()) + 8
        lr.avatar = "A" * max(0, size - base)
        m = Message()
        m.login_request.CopyFrom(lr)
        return self.send_message(m)

    def send_oversize_frame(self, size=65536, body=None):
        """A BytesCodec header declaring `size` bytes followed by `body`
        bytes of it (default: all, random).  Unencrypted."""
        body = size if body is None else body
        return self._write(rp.encode_header(size) + os.urandom(body), "oversize-frame",
                           None, False, None)

    def slow_loris(self, interval=3.0, duration=60.0, data=None, nbytes=1):
        """Trickles `data` (default: a valid-looking 2-byte frame header for
        200 bytes then zeros) `nbytes` at a time every `interval` s, reading
        (and discarding) what the host sends, until the host closes or
        `duration` passes.  Returns {'closed', 'after', 'sent'}."""
        data = bytes(data) if data is not None else rp.encode_header(200) + bytes(200)
        start = time.monotonic()
        sent = 0
        next_send = start
        while True:
            now = time.monotonic()
            if now - start >= duration:
                break
            if now >= next_send and sent < len(data):
                try:
                    self.send_raw(data[sent:sent + nbytes], "slow-loris")
                except SessionClosed:
                    break
                sent += nbytes
                next_send = now + interval
            wait = max(0.0, min(next_send, start + duration) - time.monotonic())
            if self.closed:
                break
            self._read_more(wait if sent < len(data) else start + duration - time.monotonic())
            if self.closed:
                break
        after = (self.eof_time - start) if self.closed and self.eof_time else None
        return {"closed": self.closed, "after": after, "sent": sent}

    def misbehave(self, name, password=None, wait=10.0, **kw):
        """misbehave(self, name, ...): see the module-level function."""
        return misbehave(self, name, password=password, wait=wait, **kw)


# ------------------------------------------------- hostile scenarios
def _after_hash(c, password=None):
    c.handshake()
    c.wait_hash()


def _sc_wrong_password(c, password=None, **kw):
    c.handshake()
    return c.login(kw.get("bad_password", "definitely-not-the-password"))


def _sc_empty_public_key(c, **kw):
    c.handshake_empty_public_key()


def _sc_empty_message(c, **kw):
    c.handshake_empty_message()


def _sc_short_key(c, **kw):
    c.handshake_short_key(kw.get("length", 31))


def _sc_bad_box(c, **kw):
    c.handshake_bad_box()


def _sc_garbage_before(c, **kw):
    c.read_signed_id(verify=False)
    c.send_garbage(kw.get("size", 64), framed=kw.get("framed", True))


def _sc_garbage_after(c, **kw):
    _after_hash(c)
    c.send_undecryptable(kw.get("size", 64))


def _sc_wrong_nonce(c, **kw):
    _after_hash(c)
    c.send_wrong_nonce(skip=kw.get("skip", 1))


def _sc_replay(c, **kw):
    _after_hash(c)
    c.send_test_delay()
    c.replay()


def _sc_input_before_login(c, **kw):
    _after_hash(c)
    c.send_mouse_event(100, 100, 0)
    c.send_key_event()


def _sc_oversize(c, **kw):
    _after_hash(c)
    c.send_oversize_login(kw.get("size", 65536))


def _sc_slow_loris(c, **kw):
    return c.slow_loris(kw.get("interval", 3.0), kw.get("duration", 60.0))


def _sc_idle(c, **kw):
    return None


def _sc_scope_change(c, password=None, **kw):
    c.handshake()
    first = c.login(None)               # stock empty first attempt (no reply)
    return first, c.login(password or "x", my_id=kw.get("other_id", "999888777"))


def _sc_wrong_username(c, password=None, **kw):
    c.handshake()
    return c.login(password or "x", username=kw.get("username", "not-" + c.target_id))


MISBEHAVIOURS = {
    "wrong-password": _sc_wrong_password,
    "empty-public-key": _sc_empty_public_key,
    "empty-message": _sc_empty_message,
    "short-key": _sc_short_key,
    "bad-box": _sc_bad_box,
    "garbage-before": _sc_garbage_before,
    "garbage-after": _sc_garbage_after,
    "wrong-nonce": _sc_wrong_nonce,
    "replay": _sc_replay,
    "input-before-login": _sc_input_before_login,
    "oversize": _sc_oversize,
    "slow-loris": _sc_slow_loris,
    "idle": _sc_idle,
    "scope-change": _sc_scope_change,
    "wrong-username": _sc_wrong_username,
}


def misbehave(c, name, password=None, wait=10.0, **kw):
    """Runs hostile scenario `name` (a MISBEHAVIOURS key) on Client c, then
    waits up to `wait` s for the host to close.  Returns a JSON-friendly
    dict: scenario, result (what the scenario returned, e.g. login answers),
    error (exception text), closed, closed_after (s since the scenario
    started, None if still open), close_reason, login_error, message_boxes,
    messages (counts by kind)."""
    fn = MISBEHAVIOURS[name]
    start = time.monotonic()
    out = {"scenario": name, "result": None, "error": None}
    try:
        r = fn(c, password=password, **kw)
        if isinstance(r, tuple):
            r = [c.peer_info_summary(x) if hasattr(x, "displays") else x for x in r]
        elif hasattr(r, "displays"):
            r = c.peer_info_summary(r)
        out["result"] = r
    except (ClientError, TimeoutError, rp.ProtoError) as e:
        out["error"] = f"{type(e).__name__}: {e}"
    if not c.closed:
        c.wait_closed(max(0.0, start + wait - time.monotonic()) if name != "idle" else wait)
    s = c.summary()
    out.update(closed=c.closed,
               closed_after=(c.eof_time - start) if c.closed and c.eof_time else None,
               close_reason=c.close_reason, login_error=c.login_error,
               message_boxes=s["message_boxes"], messages=s["messages"],
               eof_reason=c.eof_reason)
    return out
