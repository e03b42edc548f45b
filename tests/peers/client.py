# SPDX-License-Identifier: MIT
"""The technician's RustDesk client after the pipe exists: the secure
channel (protocol reference §5), login (§6), TestDelay/PermissionInfo/
close-reason handling (§13), plus deliberately misbehaving variants for
hostile tests.  Written from /work/shared/protocol/rustdesk-protocol.md and
rustdesk/rustdesk src/client.rs (secure_connection, create_login_msg,
get_option_message, handle_hash, handle_login_from_ui, handle_test_delay);
it never reads or imports the agent's C code.  Video (§7), cursor (§8)
and display/option control (§13.3/13.4): VideoFrames are collected per
display (video_frames(), video_stats(), write_ivf()), optionally acked
with Misc.video_received, cursor shapes are zstd-decoded (cursor_rgba()).
Input (§9): key events in Map/Translate/Legacy mode (key_map, type_text,
...), mouse moves/clicks/drags/wheel with the §9.1 masks, flood_input();
clipboard (§10): send_clipboard() (MultiClipboards or Clipboard, zstd),
hostile send_clipboard_raw(), received entries in clipboards_received;
terminal (§13.7): open_terminal(), send_terminal_data(), resize_terminal(),
close_terminal(), run_terminal_command(), per-id records in terminals.
The code is split by concern: client_base (constants, errors, records),
client_conn (framing, reading, dispatch), client_media / client_video
(video helpers, VideoMixin), client_input (InputMixin), client_clipboard
(ClipboardMixin), client_terminal (TerminalMixin), client_hostile
(HostileMixin, MISBEHAVIOURS), client_files (FilesMixin: file transfer,
§11), client_audio (AudioMixin: §12, Opus decoded through libopus); this
module
keeps Client itself (handshake, login, summaries), the CLI, and re-exports
every public name, so `client.<name>` works as before.

    import initiator, client
    res = initiator.connect(rs.addr, rs.licence_key, AGENT_ID, "punch")
    c = client.Client(res)                      # host_pk/target_id from res
    c.handshake()                               # SignedId -> PublicKey -> secretbox
    out = c.login("password")                   # str error or PeerInfo
    c.close()

Direct IP (§4.8, plaintext):  c = client.Client(("127.0.0.1", port), direct=True)

CLI (prints one JSON line):
  /usr/bin/python3 tests/peers/client.py --direct 127.0.0.1:PORT --id ID --password PW
      [--kind desktop|file-transfer|terminal|port-forward|rdp|view-camera]
  /usr/bin/python3 tests/peers/client.py --rendezvous 127.0.0.1:N --key K --id ID
      --mode punch|local|relay|client-relay --password PW
  add --misbehave NAME (see MISBEHAVIOURS) to run one hostile scenario instead.
"""
import argparse
import collections
import json
import os
import socket
import sys
import time

import nacl.exceptions
import nacl.public
import nacl.secret

try:
    from . import rdproto as rp
    from . import initiator
    from .client_base import (CONN_TYPE, DEFAULT_TIMEOUT, KINDS, PERMISSION_NAMES,
                              ZERO_NONCE, ChannelError, ClientError, HandshakeError,
                              Message, Record, Sent, SessionClosed, SignatureError,
                              _to_dict, h1_of, mpb, msg_kind, norm_kind, password_proof)
    from .client_conn import ConnectionMixin
    from .client_media import (IVF_FOURCC, PREFER, CursorShape, VideoRecord,
                               cursor_rgba, default_supported_decoding, ivf_header,
                               keyframe_size, option_message, read_ivf,
                               supported_decoding, write_ivf_frames)
    from .client_video import VideoMixin
    from .client_input import (CONTROL_KEY_NAMES, CONTROL_KEYS, KEYBOARD_MODES,
                               MOUSE_BUTTONS, MOUSE_DOWN, MOUSE_MOVE,
                               MOUSE_MOVE_RELATIVE, MOUSE_TRACKPAD, MOUSE_UP,
                               MOUSE_WHEEL, US_KEYMAP, X_BUTTONS, X_KEYCODES,
                               InputMixin, control_key, key_msg, keyboard_mode,
                               mouse_mask, mouse_msg)
    from .client_clipboard import (CLIPBOARD_FORMAT_NAMES, CLIPBOARD_FORMATS,
                                   ClipboardMixin, ClipboardRecord, build_clipboard,
                                   clipboard_format, clipboard_msg, png_size, zstd_bomb,
                                   zstd_decompress)
    from .client_hostile import (MISBEHAVIOURS, HostileMixin, misbehave)
    from .client_files import (FileError, FileResult, FilesMixin, TransferResult)
    from .client_terminal import (TerminalMixin, TerminalRecord, terminal_action,
                                  terminal_option)
    from .client_audio import (AudioFormatRecord, AudioFrameRecord, AudioMixin,
                               OpusDecoder, dominant_frequency)
except ImportError:
    import rdproto as rp
    import initiator
    from client_base import (CONN_TYPE, DEFAULT_TIMEOUT, KINDS, PERMISSION_NAMES,
                             ZERO_NONCE, ChannelError, ClientError, HandshakeError,
                             Message, Record, Sent, SessionClosed, SignatureError,
                             _to_dict, h1_of, mpb, msg_kind, norm_kind, password_proof)
    from client_conn import ConnectionMixin
    from client_media import (IVF_FOURCC, PREFER, CursorShape, VideoRecord, cursor_rgba,
                              default_supported_decoding, ivf_header, keyframe_size,
                              option_message, read_ivf, supported_decoding,
                              write_ivf_frames)
    from client_video import VideoMixin
    from client_input import (CONTROL_KEY_NAMES, CONTROL_KEYS, KEYBOARD_MODES,
                              MOUSE_BUTTONS, MOUSE_DOWN, MOUSE_MOVE,
                              MOUSE_MOVE_RELATIVE, MOUSE_TRACKPAD, MOUSE_UP,
                              MOUSE_WHEEL, US_KEYMAP, X_BUTTONS, X_KEYCODES, InputMixin,
                              control_key, key_msg, keyboard_mode, mouse_mask,
                              mouse_msg)
    from client_clipboard import (CLIPBOARD_FORMAT_NAMES, CLIPBOARD_FORMATS,
                                  ClipboardMixin, ClipboardRecord, build_clipboard,
                                  clipboard_format, clipboard_msg, png_size, zstd_bomb,
                                  zstd_decompress)
    from client_hostile import (MISBEHAVIOURS, HostileMixin, misbehave)
    from client_files import (FileError, FileResult, FilesMixin, TransferResult)
    from client_terminal import (TerminalMixin, TerminalRecord, terminal_action,
                                 terminal_option)
    from client_audio import (AudioFormatRecord, AudioFrameRecord, AudioMixin,
                              OpusDecoder, dominant_frequency)

# The public API as it was when all of this lived in one file.
__all__ = [
    "CLIPBOARD_FORMAT_NAMES", "CLIPBOARD_FORMATS", "CONN_TYPE", "CONTROL_KEY_NAMES",
    "CONTROL_KEYS", "DEFAULT_TIMEOUT", "IVF_FOURCC", "KEYBOARD_MODES", "KINDS",
    "MISBEHAVIOURS", "MOUSE_BUTTONS", "MOUSE_DOWN", "MOUSE_MOVE", "MOUSE_MOVE_RELATIVE",
    "MOUSE_TRACKPAD", "MOUSE_UP", "MOUSE_WHEEL", "PERMISSION_NAMES", "PREFER",
    "US_KEYMAP", "X_BUTTONS", "X_KEYCODES", "ZERO_NONCE", "build_clipboard",
    "ChannelError", "Client", "ClientError", "clipboard_format", "clipboard_msg",
    "ClipboardRecord", "control_key", "cursor_rgba", "CursorShape",
    "default_supported_decoding", "h1_of", "HandshakeError", "ivf_header", "key_msg",
    "keyboard_mode", "keyframe_size", "main", "Message", "misbehave", "mouse_mask",
    "mouse_msg", "mpb", "msg_kind", "norm_kind", "option_message", "password_proof",
    "png_size", "read_ivf", "Record", "Sent", "SessionClosed", "SignatureError",
    "supported_decoding", "VideoRecord", "write_ivf_frames", "zstd_bomb",
    "zstd_decompress", "FileError", "FileResult", "FilesMixin", "TransferResult",
    "TerminalMixin", "TerminalRecord", "terminal_action", "terminal_option",
    "AudioFormatRecord", "AudioFrameRecord", "AudioMixin", "OpusDecoder",
    "dominant_frequency",
]


class Client(FilesMixin, ConnectionMixin, InputMixin, ClipboardMixin, VideoMixin,
             TerminalMixin, HostileMixin, AudioMixin):
    """A stock-like controlling client on one connection.  Blocking, not
    thread-safe (use one Client per thread).

    conn: initiator.Result (sock, leftover, host_pk, target_id and mode are
    taken from it), a connected socket, or an address ((host, port) or
    'host:port') to dial.  host_pk: the host's Ed25519 pk (32 bytes) learnt
    from hbbs' signed IdPk; target_id: the dialed ID (IdPk.id must match);
    direct=True: direct-IP access, no handshake, plaintext, username = the
    address string (override with username=).

    Video: auto_ack=None acks every VideoFrame with Misc.video_received
    when the last LoginRequest had video_ack_required=True; True/False
    forces it on/off.  ack_delay: seconds between a frame's arrival and its
    ack (acks are queued and sent while reading, as a slow decoder would).
    keep_video=False keeps only counters, not frame data."""

    def __init__(self, conn, host_pk=None, target_id=None, direct=None, *, kind="desktop",
                 username=None, my_id="100200300", my_name="Outpost Tester",
                 version="1.4.9", my_platform="Linux", session_id=None, file_dir="",
                 show_hidden=False, forward_host="", forward_port=0, service_id="",
                 option="default", echo_test_delay=True, timeout=DEFAULT_TIMEOUT,
                 connect_timeout=5.0, max_frame=rp.DEFAULT_MAX_FRAME, auto_ack=None,
                 ack_delay=0.0, keep_video=True):
        self.result = None
        leftover = b""
        addr_str = None
        if isinstance(conn, initiator.Result):
            self.result = conn
            sock, leftover = conn.sock, conn.leftover
            host_pk = conn.host_pk if host_pk is None else host_pk
            target_id = conn.target_id if target_id is None else target_id
            if direct is None:
                direct = conn.mode == "direct"
            if conn.peer_addr:
                addr_str = f"{conn.peer_addr[0]}:{conn.peer_addr[1]}"
        elif isinstance(conn, socket.socket):
            sock = conn
            try:
                pa = sock.getpeername()
                if isinstance(pa, tuple):
                    addr_str = f"{pa[0]}:{pa[1]}"
            except OSError:
                pass
        else:
            if isinstance(conn, str):
                addr_str = conn
                conn = rp.split_host_port(conn, initiator.DIRECT_PORT)
            else:
                addr_str = f"{conn[0]}:{conn[1]}"
            sock = socket.create_connection((conn[0], int(conn[1])), timeout=connect_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(timeout)        # bounds sendall(); reads use select()
        self.sock = sock
        self.direct = bool(direct)
        self.host_pk = bytes(host_pk) if host_pk is not None else None
        self.target_id = target_id or ""
        self.kind = norm_kind(kind)
        self.username = username if username is not None else (
            addr_str if self.direct and addr_str else self.target_id)
        self.my_id, self.my_name, self.version = my_id, my_name, version
        self.my_platform = my_platform
        self.session_id = session_id if session_id is not None else (
            int.from_bytes(os.urandom(8), "little") or 1)
        self.file_dir, self.show_hidden = file_dir, show_hidden
        self.forward_host, self.forward_port = forward_host, forward_port
        self.service_id = service_id
        self.option = option
        self.echo_test_delay = echo_test_delay
        self.timeout = timeout
        self.t0 = time.monotonic()

        self.dec = rp.FrameDecoder(max_frame)
        self._rx = None                 # the reused receive buffer
        self.pending = collections.deque(self.dec.feed(leftover))
        self.codec = None               # rp.SecretBoxCodec once the key is set
        self.session_key = None
        self.channel = "plaintext-direct" if self.direct else None
        self.signed_id_raw = None
        self.host_id = None             # IdPk.id inside SignedId
        self.host_box_pk = None         # host's ephemeral Curve25519 pk
        self.box_keypair = None         # our ephemeral nacl PrivateKey
        self.hash = None
        self.received = []              # [Record]
        self.sent = []                  # [Sent]
        self.login_requests = []        # LoginRequest messages sent
        self.login_responses = []       # LoginResponse messages received
        self.login_error = None         # last LoginResponse.error
        self.peer_info = None           # LoginResponse.peer_info (success)
        self.peer_infos = []            # standalone PeerInfo messages after login
        self.permissions = {}           # 'Keyboard' -> bool, from PermissionInfo
        self.close_reason = None        # Misc.close_reason from the host
        self.message_boxes = []         # MessageBox messages
        self.test_delays = 0            # host TestDelays seen
        self.test_delays_echoed = 0
        self.unparsable = 0
        self.closed = False             # EOF / reset seen
        self.eof_time = None            # time.monotonic() of EOF
        self.eof_reason = None          # 'eof' | 'reset' | 'send: <error>'
        # video / cursor (§7, §8)
        self.auto_ack = auto_ack
        self.ack_delay = float(ack_delay)
        self.keep_video = keep_video
        self.video = []                 # [VideoRecord], all displays, arrival order
        self.video_counts = {}          # display -> counters (video_stats())
        self.acks_sent = 0
        self._acks_due = []             # sorted monotonic times of queued acks
        self.cursors = {}               # CursorData.id -> CursorShape (latest)
        self.cursor_shapes = []         # [CursorShape] in arrival order
        self.cursor_ids = []            # [(t, id)] from Message.cursor_id
        self.cursor_positions = []      # [(t, x, y)]
        self.switch_displays = []       # [(t, SwitchDisplay)] from the host
        # clipboard (§10)
        self.clipboards_received = []   # [ClipboardRecord]
        self.clipboard_errors = []      # [(t, why)] entries that did not decompress
        self._audio_init()              # audio (§12): client_audio.AudioMixin

    # ------------------------------------------------------------ basics
    @classmethod
    def via_rendezvous(cls, rendezvous, key, target_id, mode="punch", *, connect_kw=None,
                       **kw):
        """initiator.connect(...) then Client(result, **kw).  conn_type is
        derived from kind= unless connect_kw sets it."""
        ck = dict(connect_kw or {})
        ck.setdefault("conn_type", CONN_TYPE[norm_kind(kw.get("kind", "desktop"))])
        res = initiator.connect(rendezvous, key, target_id, mode, **ck)
        return cls(res, **kw)

    # ---------------------------------------------------------- handshake
    def read_signed_id(self, timeout=None, verify=True, first_message=None):
        """Reads the host's first frame, which must be Message{signed_id}
        (first_message: a Message already read, e.g. by
        initiator.read_first_message).  verify=True: open it with host_pk,
        require IdPk.id == target_id and a 32-byte box pk (HandshakeError
        otherwise).  Returns (id, box_pk) (unverified contents if
        verify=False and the pk is unknown)."""
        if first_message is not None:
            m = first_message
            self.received.append(Record(time.monotonic(), msg_kind(m), getattr(
                m, m.WhichOneof("union")) if m.WhichOneof("union") else m))
        else:
            m = self.recv_message(timeout)
        if m is None:
            raise SessionClosed("connection closed before SignedId", self)
        if m.WhichOneof("union") != "signed_id":
            raise HandshakeError(f"expected signed_id, got {msg_kind(m)}")
        self.signed_id_raw = bytes(m.signed_id.id)
        if not verify:
            if self.host_pk is not None:
                try:
                    self.host_id, self.host_box_pk = rp.open_id_pk(self.signed_id_raw,
                                                                   self.host_pk)
                except rp.ProtoError:
                    pass
            if self.host_box_pk is None and len(self.signed_id_raw) > 64:
                idpk = mpb.IdPk()
                try:
                    idpk.ParseFromString(self.signed_id_raw[64:])
                    self.host_id, self.host_box_pk = idpk.id, bytes(idpk.pk)
                except Exception:
                    pass
            return self.host_id, self.host_box_pk
        if self.host_pk is None:
            raise HandshakeError("no verified host pk to check SignedId with")
        try:
            id_, pk = rp.open_id_pk(self.signed_id_raw, self.host_pk)
        except rp.ProtoError as e:
            raise SignatureError(f"SignedId does not verify: {e}") from None
        if id_ != self.target_id:
            raise HandshakeError(f"SignedId IdPk.id {id_!r} != target {self.target_id!r}")
        if len(pk) != 32:
            raise HandshakeError(f"SignedId box pk has {len(pk)} bytes")
        self.host_id, self.host_box_pk = id_, pk
        return id_, pk

    def send_our_key(self):
        """Our PublicKey (a fresh session key sealed to the host's box
        key); from here the channel is encrypted."""
        pk, key = self.make_public_key()
        self._send_public_key(pk)
        self.set_key(key)
        self.channel = "encrypted"
        return self.channel

    def make_public_key(self, host_box_pk=None, key=None):
        """(PublicKey message, session key): a fresh Curve25519 keypair and
        crypto_box(key, 24 zero bytes, host_box_pk, our sk) (§5.3 step 3)."""
        host_box_pk = self.host_box_pk if host_box_pk is None else host_box_pk
        key = nacl.secret.random(32) if key is None else bytes(key)
        self.box_keypair = nacl.public.PrivateKey.generate()
        sealed = nacl.public.Box(self.box_keypair, nacl.public.PublicKey(bytes(host_box_pk))) \
            .encrypt(key, ZERO_NONCE).ciphertext
        pk = mpb.PublicKey(asymmetric_value=bytes(self.box_keypair.public_key),
                           symmetric_value=sealed)
        return pk, key

    def set_key(self, key):
        """Switches both directions to secretbox framing (counters at 0,
        first nonce 1)."""
        self.session_key = bytes(key)
        self.codec = rp.SecretBoxCodec(self.session_key)

    def _send_public_key(self, pk):
        m = Message()
        m.public_key.CopyFrom(pk)
        return self.send_message(m, encrypt=False)

    def _send_empty_message(self):
        return self.send_payload(b"", kind="empty", msg=Message(), encrypt=False)

    def handshake(self, timeout=None, fallback="raise", first_message=None):
        """§5.3, client side.  Returns the channel state: 'encrypted', or for
        direct=True 'plaintext-direct' (nothing exchanged).
        fallback='raise': HandshakeError when the host cannot be verified
        (nothing is sent).  fallback='stock': do what the stock client does
        (src/client.rs secure_connection): no host pk -> send an empty
        Message without reading; SignedId signature fails -> PublicKey{};
        IdPk.id mismatch or not a SignedId -> empty Message; then plaintext.
        first_message: the host's SignedId Message if already read."""
        if self.direct:
            self.channel = "plaintext-direct"
            return self.channel
        if self.host_pk is None:
            if fallback != "stock":
                raise HandshakeError("no verified host pk (hbbs sent no signed IdPk?)")
            self._send_empty_message()
            self.channel = "plaintext-no-sign-pk"
            return self.channel
        try:
            self.read_signed_id(timeout, first_message=first_message)
        except HandshakeError as e:
            if fallback != "stock":
                raise
            if isinstance(e, SignatureError):
                self._send_public_key(mpb.PublicKey())
                self.channel = "plaintext-pk-mismatch"
            else:
                self._send_empty_message()
                self.channel = "plaintext-sign-failure"
            return self.channel
        return self.send_our_key()

    # ------------------------------------------------------------- login
    def wait_hash(self, timeout=None):
        """The host's Hash (already received or the next one)."""
        if self.hash is None:
            self.wait_for("hash", timeout)
        return self.hash

    def proof(self, password=None, h1=None):
        """LoginRequest.password for the current Hash: b'' without a
        password, else SHA256(SHA256(pw‖salt)‖challenge)."""
        if password is None and h1 is None:
            return b""
        if self.hash is None:
            raise ClientError("no Hash received yet")
        if h1 is None:
            h1 = h1_of(password, self.hash.salt)
        return password_proof(h1, self.hash.challenge)

    def build_login_request(self, proof=b"", kind=None, option="default", **fields):
        """LoginRequest as create_login_msg builds it (src/client.rs):
        username, password, my_id, my_name, my_platform, option (desktop /
        view-camera: supported_decoding; terminal, file transfer, port
        forward: none), session_id, version, os_login{} (always present,
        empty), the kind's union.  fields override any LoginRequest field
        (e.g. username=, my_id=, hwid=, avatar=); kind-specific: dir=,
        show_hidden=, host=, port=, service_id=."""
        kind = norm_kind(kind or self.kind)
        dir_ = fields.pop("dir", self.file_dir)
        show_hidden = fields.pop("show_hidden", self.show_hidden)
        fhost = fields.pop("host", self.forward_host)
        fport = fields.pop("port", self.forward_port)
        service_id = fields.pop("service_id", self.service_id)
        lr = mpb.LoginRequest(username=self.username, password=bytes(proof), my_id=self.my_id,
                              my_name=self.my_name, my_platform=self.my_platform,
                              session_id=self.session_id, version=self.version)
        lr.os_login.SetInParent()
        if option == "default":
            option = self.option
        if option == "default":
            if kind in ("desktop", "view-camera"):
                lr.option.supported_decoding.CopyFrom(default_supported_decoding())
        elif option is not None:
            lr.option.CopyFrom(option)
        if kind == "file-transfer":
            lr.file_transfer.dir = dir_
            lr.file_transfer.show_hidden = bool(show_hidden)
        elif kind in ("port-forward", "rdp"):
            lr.port_forward.host = "RDP" if kind == "rdp" and not fhost else fhost
            lr.port_forward.port = int(fport)
        elif kind == "terminal":
            lr.terminal.service_id = service_id
        elif kind == "view-camera":
            lr.view_camera.SetInParent()
        for k, v in fields.items():
            if isinstance(v, (bytes, str, int, float, bool)):
                setattr(lr, k, v)
            else:
                getattr(lr, k).CopyFrom(v)
        return lr

    def send_login_request(self, proof=b"", **kw):
        """Builds (build_login_request) and sends one LoginRequest."""
        lr = self.build_login_request(proof, **kw)
        m = Message()
        m.login_request.CopyFrom(lr)
        self.send_message(m)
        self.login_requests.append(lr)
        return lr

    def wait_login_response(self, timeout=None):
        """Next LoginResponse: its error string or the PeerInfo."""
        n = len(self.login_responses)
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while len(self.login_responses) == n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no LoginResponse within {timeout:.1f}s")
            self.wait_for("login_response", left)
        lr = self.login_responses[n]
        return lr.error if lr.WhichOneof("union") == "error" else lr.peer_info

    def login(self, password=None, h1=None, *, empty_first=False, empty_wait=0.3,
              reply_timeout=None, timeout=None, proof=None, **fields):
        """Hash -> LoginRequest -> LoginResponse (TestDelay echoed,
        PermissionInfo recorded on the way).  Returns the error string
        (e.g. 'Wrong Password') or the PeerInfo.
        password=None and h1=None: the stock 'no password yet' attempt (empty
        proof); the host should not answer, so this waits only reply_timeout
        (default 1 s) and returns None if nothing came.
        empty_first=True: send the empty attempt first, read for empty_wait
        seconds (a reply to it is kept in .login_responses), then the real one.
        Call again after 'Wrong Password' to retry on the same connection
        (same Hash, as the stock client does).  proof= sends exact bytes.
        fields: LoginRequest overrides (username=, my_id=, kind=, ...).
        Raises SessionClosed if the host closes before answering."""
        timeout = self.timeout if timeout is None else timeout
        self.wait_hash(timeout)
        if empty_first:
            self.send_login_request(b"", **fields)
            self.pump(empty_wait)
            if self.closed:
                raise SessionClosed("connection closed after the empty-password attempt", self)
        if proof is None:
            proof = self.proof(password, h1)
        self.send_login_request(proof, **fields)
        if not proof and password is None and h1 is None:
            try:
                return self.wait_login_response(1.0 if reply_timeout is None else reply_timeout)
            except TimeoutError:
                return None
        return self.wait_login_response(timeout if reply_timeout is None else reply_timeout)

    # ----------------------------------------------------- after login
    def send_test_delay(self, t=None):
        """TestDelay{from_client:true} (the web client's probe; the host
        echoes it)."""
        m = Message()
        m.test_delay.time = int(time.time() * 1000) if t is None else t
        m.test_delay.from_client = True
        return self.send_message(m)

    # ------------------------------------------------------- summaries
    def peer_info_summary(self, pi=None):
        pi = pi or self.peer_info
        if pi is None:
            return None
        return {"username": pi.username, "hostname": pi.hostname, "platform": pi.platform,
                "version": pi.version, "displays": [
                    {"x": d.x, "y": d.y, "width": d.width, "height": d.height,
                     "name": d.name, "online": d.online,
                     "cursor_embedded": d.cursor_embedded} for d in pi.displays],
                "current_display": pi.current_display,
                "features": _to_dict(pi.features) if pi.HasField("features") else None,
                "encoding": _to_dict(pi.encoding) if pi.HasField("encoding") else None,
                "platform_additions": pi.platform_additions}

    def summary(self):
        counts = collections.Counter(r.kind for r in self.received)
        return {"channel": self.channel, "encrypted": self.encrypted,
                "host_id": self.host_id, "login_error": self.login_error,
                "peer_info": self.peer_info_summary(),
                "login_responses": [(lr.error if lr.WhichOneof("union") == "error"
                                     else "peer_info") for lr in self.login_responses],
                "permissions": self.permissions, "close_reason": self.close_reason,
                "message_boxes": [_to_dict(mb) for mb in self.message_boxes],
                "test_delays": self.test_delays, "test_delays_echoed": self.test_delays_echoed,
                "messages": dict(counts), "closed": self.closed,
                "eof_reason": self.eof_reason,
                "video": {str(d): {k: v for k, v in st.items() if not k.endswith("_t")}
                          for d, st in self.video_stats().items()},
                "video_acks": self.acks_sent,
                "cursor_shapes": len(self.cursor_shapes),
                "cursor_positions": len(self.cursor_positions),
                "clipboards": [(CLIPBOARD_FORMAT_NAMES.get(r.fmt, r.fmt),
                                None if r.data is None else len(r.data), r.compressed,
                                r.multi) for r in self.clipboards_received],
                "clipboard_errors": [e for _, e in self.clipboard_errors]}


# ------------------------------------------------------------------ CLI
def main(argv=None):
    ap = argparse.ArgumentParser(description="RustDesk-like technician client (test peer)")
    ap.add_argument("--direct", default=None, help="HOST[:PORT] of a direct-access port")
    ap.add_argument("--rendezvous", default=None, help="hbbs HOST:PORT")
    ap.add_argument("--key", default="", help="licence key = base64 hbbs pk")
    ap.add_argument("--mode", choices=[m for m in initiator.MODES if m != "direct"],
                    default="punch")
    ap.add_argument("--id", default="", help="target host ID")
    ap.add_argument("--password", default=None)
    ap.add_argument("--empty-first", action="store_true",
                    help="send the stock empty-password LoginRequest first")
    ap.add_argument("--kind", default="desktop", choices=KINDS + tuple(
        k.replace("-", "_") for k in KINDS if "-" in k))
    ap.add_argument("--dir", default="", help="file-transfer dir")
    ap.add_argument("--forward", default="", help="port-forward HOST:PORT")
    ap.add_argument("--service-id", default="", help="terminal service_id")
    ap.add_argument("--username", default=None)
    ap.add_argument("--my-id", default="100200300")
    ap.add_argument("--my-name", default="Outpost Tester")
    ap.add_argument("--version", default="1.4.9")
    ap.add_argument("--fallback", choices=("raise", "stock"), default="raise")
    ap.add_argument("--linger", type=float, default=0.0,
                    help="seconds to keep reading after login")
    ap.add_argument("--misbehave", choices=sorted(MISBEHAVIOURS), default=None)
    ap.add_argument("--wait", type=float, default=10.0,
                    help="--misbehave: seconds to wait for the host to close")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--prefer", default=None, choices=("Auto", "VP9", "VP8", "AV1"),
                    help="desktop: send supported_decoding(vp9, vp8, prefer=...)")
    ap.add_argument("--ack", action="store_true",
                    help="log in with video_ack_required and ack every frame")
    ap.add_argument("--ivf", default=None,
                    help="after --linger: write display 0's stream to this IVF file")
    a = ap.parse_args(argv)
    fhost, fport = ("", 0)
    if a.forward:
        fhost, fport = rp.split_host_port(a.forward, 0)
    kw = dict(kind=a.kind, username=a.username, my_id=a.my_id, my_name=a.my_name,
              version=a.version, file_dir=a.dir, forward_host=fhost, forward_port=fport,
              service_id=a.service_id, timeout=a.timeout)
    if a.prefer:
        kw["option"] = option_message(supported_decoding=supported_decoding(prefer=a.prefer))
    out = {"ok": False}
    try:
        if a.direct:
            c = Client(a.direct, target_id=a.id, direct=True, **kw)
            out["path"] = "direct"
        elif a.rendezvous:
            c = Client.via_rendezvous(a.rendezvous, a.key, a.id, a.mode,
                                      connect_kw={"timeout": a.timeout}, **kw)
            out["path"] = a.mode
        else:
            ap.error("need --direct or --rendezvous")
    except (initiator.InitiatorError, OSError) as e:
        out["error"] = f"{type(e).__name__}: {e}"
        print(json.dumps(out))
        return 1
    rc = 0
    try:
        if a.misbehave:
            out.update(misbehave(c, a.misbehave, password=a.password, wait=a.wait))
            out["ok"] = True
        else:
            c.handshake(fallback=a.fallback)
            lkw = {"video_ack_required": True} if a.ack else {}
            r = c.login(a.password, empty_first=a.empty_first, **lkw)
            if isinstance(r, str):
                out["login"] = {"error": r}
            elif r is None:
                out["login"] = None
            else:
                out["login"] = {"peer_info": c.peer_info_summary(r)}
                out["ok"] = True
            if a.linger > 0:
                c.pump(a.linger)
            if a.ivf and c.video_frames(0):
                out["ivf_frames"] = c.write_ivf(a.ivf, display=0)
    except (ClientError, TimeoutError, rp.ProtoError) as e:
        out["error"] = f"{type(e).__name__}: {e}"
        rc = 1
    finally:
        out.update(c.summary())
        c.close()
    if not out["ok"] and rc == 0:
        rc = 1
    print(json.dumps(out, default=str))
    return rc


if __name__ == "__main__":
    sys.exit(main())
