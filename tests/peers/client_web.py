# SPDX-License-Identifier: MIT
"""RustDesk's own web client (v1, TypeScript: rustdesk/rustdesk
flutter/web/v1/js/src/connection.ts) as a test peer.  It differs from the
desktop client in ways a host must survive (protocol reference §17, issue
18):

  * it reaches hbbs and hbbr over websocket (port + 2 of each), asks hbbs
    with nat_type SYMMETRIC, so the host starts a relay, and refuses a
    RelayResponse without `version` ("Remote version is low");
  * a failed key check makes it send PublicKey{} (not an empty Message);
  * LoginRequest: my_id/my_name "web", no version, no platform, no
    supported_decoding, video_ack_required; it may send the request twice
    (the retry arrives after the host authorized);
  * it decodes vp9s only: any other codec is ignored and never acked; a
    vp9s frame is acked with Misc.video_received once decoded;
  * its message loop ENDS on a Misc it does not handle: a PermissionInfo
    for anything but Keyboard, Clipboard or Audio, or a close_reason
    (handleMisc returns a false value), after which it stops reading; this
    peer records why in .loop_ended and closes, as the page then does;
  * refresh(), setImageQuality() and toggleOption() send Misc messages at
    any time, also before the first frame.

    res = client_web.connect(rs.ws_addr, key, agent_id)
    c = client_web.WebClient(res)
    c.handshake()
    pi = c.login_web(password)          # LoginRequest twice
    c.send_early_misc()                 # option, fps, refresh, TestDelay
    c.run(3.0)                          # the msgLoop
"""
import time
import uuid as uuidlib

try:
    from . import initiator
    from . import rdproto as rp
    from . import wsock
    from .client import Client
    from .client_base import Message, SessionClosed, mpb
except ImportError:
    import initiator
    import rdproto as rp
    import wsock
    from client import Client
    from client_base import Message, SessionClosed, mpb

pb = rp.pb
WS_OFFSET = 2                     # hbbs 21116 -> 21118, hbbr 21117 -> 21119
# PermissionInfo values handleMisc knows; any other ends its loop.
WEB_PERMISSIONS = {0: "keyboard", 2: "clipboard", 3: "audio"}


def _ws_addr(server, default_port):
    host, port = rp.split_host_port(server, default_port)
    return (host, port + WS_OFFSET)


def connect(rendezvous_ws, key, target_id, *, timeout=10.0, conn_type=0):
    """connection.ts _start + connectRelay.  rendezvous_ws: (host, port)
    of hbbs' websocket port.  Returns an initiator.Result whose sock
    carries BytesCodec frames over the websocket bridge."""
    res = initiator.Result("web", target_id)
    t0 = time.monotonic()
    fs = rp.FramedSocket(wsock.ws_socket(tuple(rendezvous_ws), timeout=timeout))
    try:
        fs.send(rp.rmsg("punch_hole_request", id=target_id, licence_key=key,
                        conn_type=conn_type, nat_type=rp.NAT_SYMMETRIC))
        kind, msg = fs.recv_msg(timeout)
    finally:
        fs.close()
    res.timings["rendezvous"] = time.monotonic() - t0
    if kind == "punch_hole_response":
        res.punch_hole_response = msg
        raise initiator.InitiatorError(
            msg.other_failure or f"punch hole failure {msg.failure}", msg.failure, msg)
    if kind != "relay_response":
        raise initiator.InitiatorError(f"web client: unexpected answer {kind}",
                                       response=msg)
    res.relay_response = msg
    if not msg.version:
        raise initiator.InitiatorError("Remote version is low, not support web",
                                       response=msg)
    res.relay_server, res.relay_uuid = msg.relay_server, msg.uuid
    # The web client falls back to an unverified session when the pk does
    # not verify; the handshake below reacts to a missing pk.
    initiator._check_pk(res, msg.pk if msg.WhichOneof("union") == "pk" else b"",
                        key, "ignore")
    relay = _ws_addr(msg.relay_server or f"{rendezvous_ws[0]}:{rendezvous_ws[1]}",
                     initiator.RELAY_PORT)
    res.relay_addr = relay
    s = wsock.ws_socket(relay, timeout=timeout)
    s.sendall(rp.encode_frame(rp.rmsg("request_relay", licence_key=key,
                                      uuid=msg.uuid or str(uuidlib.uuid4()))))
    res.sock = s
    res.timings["total"] = time.monotonic() - t0
    return res


class WebClient(Client):
    """The web client after the relay is joined.  .loop_ended: None while
    its message loop would still run, else why it stopped."""

    def __init__(self, conn, **kw):
        kw.setdefault("my_id", "web")
        kw.setdefault("my_name", "web")
        kw.setdefault("version", "")
        kw.setdefault("my_platform", "")
        kw.setdefault("option", None)
        kw.setdefault("auto_ack", False)        # acks only what it decodes
        super().__init__(conn, **kw)
        self.loop_ended = None
        self.ignored_frames = 0                 # non-VP9 frames dropped
        self.vp9_acks = 0

    # ---------------------------------------------------------- set-up
    def handshake(self, timeout=None, fallback="stock", first_message=None):
        """connection.ts secure(): every failure sends PublicKey{}."""
        if self.host_pk is None:
            self._send_public_key(mpb.PublicKey())
            self.channel = "plaintext-no-sign-pk"
            return self.channel
        try:
            self.read_signed_id(timeout, first_message=first_message)
        except (SessionClosed, TimeoutError):
            raise
        except Exception:
            self._send_public_key(mpb.PublicKey())
            self.channel = "plaintext-sign-failure"
            return self.channel
        return self.send_our_key()

    def build_login_request(self, proof=b"", kind=None, option="default", **fields):
        """_sendLoginMessage: username, my_id, my_name, password, option
        (only when a setting is stored) and video_ack_required; nothing
        else (no version, platform, session_id or os_login)."""
        lr = mpb.LoginRequest(username=self.username, my_id=self.my_id,
                              my_name=self.my_name, password=bytes(proof),
                              video_ack_required=True)
        opt = self.option if option == "default" else option
        if opt is not None:
            lr.option.CopyFrom(opt)
        for k, v in fields.items():
            setattr(lr, k, v)
        return lr

    def login_web(self, password, *, repeat=True, empty_first=False, gap=0.005,
                  timeout=None):
        """Hash -> LoginRequest (twice with repeat=True: the second after
        `gap` seconds, with the same proof, so it reaches the host after
        it authorized the first).  empty_first: an empty-password request
        first (no password stored), as login() without one sends.
        Returns the LoginResponse's error or PeerInfo."""
        self.wait_hash(timeout)
        if empty_first:
            self.send_login_request(b"")
        proof = self.proof(password)
        self.send_login_request(proof)
        if repeat:
            time.sleep(gap)
            self.send_login_request(proof)
        return self.wait_login_response(timeout)

    def send_early_misc(self, quality=mpb.ImageQuality.Value("Balanced"), fps=30):
        """What the page sends right after PeerInfo (and at any time):
        setImageQuality(), a custom fps option, refresh(), and a TestDelay
        probe of its own."""
        for opt in (mpb.OptionMessage(image_quality=quality),
                    mpb.OptionMessage(custom_fps=fps)):
            m = Message()
            m.misc.option.CopyFrom(opt)
            self.send_message(m)
        m = Message()
        m.misc.refresh_video = True
        self.send_message(m)
        self.send_test_delay()

    # ------------------------------------------------------- msgLoop
    def _handle(self, kind, m):
        super()._handle(kind, m)
        if kind == "misc.permission_info":
            p = m.misc.permission_info.permission
            if p not in WEB_PERMISSIONS:
                self._end_loop(f"permission_info {p} (not keyboard/clipboard/audio)")
        elif kind == "misc.close_reason":
            self._end_loop(f"close_reason {m.misc.close_reason!r}")
        elif kind == "video_frame":
            if m.video_frame.WhichOneof("union") == "vp9s":
                try:
                    self.send_video_received()
                    self.vp9_acks += 1
                except SessionClosed:
                    pass
            else:
                self.ignored_frames += 1

    def _end_loop(self, why):
        if self.loop_ended is None:
            self.loop_ended = why
            self.pending.clear()
            self.close()
            self._mark_closed(f"web client loop ended: {why}")

    def run(self, duration):
        """The msgLoop for `duration` seconds; False once it ended."""
        self.pump(duration)
        return self.loop_ended is None and not self.closed
