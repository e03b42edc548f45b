# SPDX-License-Identifier: MIT
"""The technician (controlling client) side of RustDesk connection set-up,
up to the first session bytes (protocol reference §4.0-§4.5, §4.8, §5.2;
rustdesk/rustdesk src/client.rs _start_inner / request_relay / create_relay).

    res = connect(('127.0.0.1', rs.port), rs.public_key_b64, '123456', 'punch')
    res.sock        # connected blocking socket = byte pipe to the host
    res.host_pk     # host's Ed25519 pk from hbbs' signed IdPk (or None)
    res.punch_hole_response / res.relay_response   # what hbbs answered
    res.close()

Modes
  punch         PunchHoleRequest -> PunchHoleResponse (not is_local) -> TCP
                connect to the host's public address (retried until
                punch_timeout, from the hbbs connection's local port).
  local         same, but the answer must be the LAN form (is_local, from the
                host's LocalAddr after hbbs sent FetchLocalAddr).
  relay         host-initiated relay: hbbs answers the PunchHoleRequest with
                the host's RelayResponse; join the relay with its uuid.
  client-relay  PunchHoleRequest (preflight, for the signed pk and relay
                server), then RequestRelay to hbbs on a new connection with a
                fresh uuid (up to 3 attempts), wait for the host's
                RelayResponse, join the relay.
  direct        plain TCP to the host's direct-access port (no hbbs).
A failure PunchHoleResponse raises InitiatorError(.failure = its code).

CLI: /usr/bin/python3 tests/peers/initiator.py --rendezvous 127.0.0.1:21116
     --key KEY --id 123456 --mode punch [--send TEXT] [--read-frame]
"""
import argparse
import json
import socket
import sys
import time
import uuid as uuidlib

try:
    from . import rdproto as rp
except ImportError:
    import rdproto as rp

pb, mpb = rp.pb, rp.mpb
MODES = ("punch", "local", "relay", "client-relay", "direct")
RELAY_PORT, DIRECT_PORT, RENDEZVOUS_PORT = 21117, 21118, 21116
FAILURES = {v: n for n, v in pb.PunchHoleResponse.Failure.items()}


class InitiatorError(Exception):
    """Set-up failed.  failure = PunchHoleResponse.Failure code (or None);
    response = the message that caused it (or None)."""

    def __init__(self, text, failure=None, response=None):
        super().__init__(text)
        self.failure = failure
        self.failure_name = FAILURES.get(failure) if failure is not None else None
        self.response = response


class Result:
    """What connect() established and learned."""

    def __init__(self, mode, target_id):
        self.mode, self.target_id = mode, target_id
        self.sock = None
        self.leftover = b""             # bytes read from the pipe already
        self.peer_addr = None           # host address connected to (punch/local/direct)
        self.local_addr = None          # our end of the pipe
        self.is_local = None
        self.nat_type = None
        self.relay_server = ""
        self.relay_uuid = None
        self.relay_addr = None
        self.signed_pk = b""            # PunchHoleResponse.pk / RelayResponse.pk as received
        self.signed_id = None           # IdPk.id inside it
        self.host_pk = None             # verified host Ed25519 pk (32 bytes) or None
        self.pk_error = None
        self.punch_hole_response = None
        self.relay_response = None
        self.request_relay_sent = []    # RequestRelay messages sent to hbbs (client-relay)
        self.connect_attempts = 0
        self.timings = {}

    def close(self):
        rp.close_quietly(self.sock)
        self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def summary(self):
        """JSON-friendly dict."""
        def enc(v):
            if isinstance(v, bytes):
                return rp.b64(v)
            if hasattr(v, "DESCRIPTOR"):
                from google.protobuf import json_format
                return json_format.MessageToDict(v, preserving_proto_field_name=True)
            return v
        keys = ("mode", "target_id", "peer_addr", "local_addr", "is_local", "nat_type",
                "relay_server", "relay_uuid", "relay_addr", "signed_id", "host_pk",
                "pk_error", "punch_hole_response", "relay_response", "connect_attempts",
                "timings")
        return {k: enc(getattr(self, k)) for k in keys}


def _addr(a, default_port):
    if isinstance(a, (tuple, list)):
        return (a[0], int(a[1]))
    return rp.split_host_port(a, default_port)


def _check_pk(res, signed, verify_key, policy):
    res.signed_pk = bytes(signed)
    if signed and verify_key:
        try:
            id_, pk = rp.open_id_pk(signed, verify_key)
            res.signed_id = id_
            if id_ != res.target_id:
                res.pk_error = f"IdPk.id {id_!r} != target {res.target_id!r}"
            elif len(pk) != 32:
                res.pk_error = f"IdPk.pk has {len(pk)} bytes"
            else:
                res.host_pk = pk
        except (rp.ProtoError, ValueError) as e:
            res.pk_error = str(e)
    elif signed:
        res.pk_error = "no rendezvous key to verify with"
    if policy == "ignore":
        return
    if res.pk_error:
        raise InitiatorError(f"signed IdPk rejected: {res.pk_error}")
    if policy == "require" and res.host_pk is None:
        raise InitiatorError("hbbs sent no signed IdPk (host version empty?)")


def _secure_tcp(fs, verify_key, timeout):
    """Client half of the Pro KeyExchange, if the server starts one."""
    p = fs.recv(timeout)
    kind, msg = rp.parse_rmsg(p) if p is not None else (None, None)
    if kind != "key_exchange":
        raise InitiatorError(f"expected KeyExchange from the rendezvous server, got {kind}")
    reply, codec = rp.kx_client_reply(msg.keys[0], verify_key)
    fs.send(reply)
    fs.codec = codec


def punch_request(rendezvous, key, target_id, *, nat_type=rp.NAT_UNKNOWN, conn_type=0,
                  version="1.4.9", token="", force_relay=False, udp_port=0,
                  attempts=3, timeout=10.0, secure_tcp=False, verify_key=None,
                  source_ip=None):
    """Sends PunchHoleRequest like the client (re-sent after 3 s, 6 s, ...)
    and returns (kind, msg, framed_socket, my_addr) for the first non-
    KeyExchange answer; kind is None on EOF/timeout.  The caller closes
    framed_socket.  source_ip: bind the hbbs connection to that address
    (e.g. 127.0.0.5, so hbbs sees a client other than 127.0.0.1)."""
    fs = rp.FramedSocket.connect(_addr(rendezvous, RENDEZVOUS_PORT), timeout,
                                 bind=(source_ip, 0) if source_ip else None)
    my_addr = fs.sock.getsockname()[:2]
    deadline = time.monotonic() + timeout
    try:
        if secure_tcp:
            _secure_tcp(fs, verify_key or key, timeout)
        req = rp.rmsg("punch_hole_request", id=target_id, token=token, nat_type=nat_type,
                      licence_key=key, conn_type=conn_type, version=version,
                      udp_port=udp_port, force_relay=force_relay)
        for i in range(1, max(1, attempts) + 1):
            fs.send(req)
            wait = min(i * 3.0, deadline - time.monotonic()) if i < attempts else \
                deadline - time.monotonic()
            if wait <= 0:
                break
            try:
                kind, msg = fs.recv_msg(wait)
            except TimeoutError:
                continue
            if kind is None:
                break
            return kind, msg, fs, my_addr
    except BaseException:
        fs.close()
        raise
    return None, None, fs, my_addr


def _connect_punch(res, my_addr, peer, timeout, bind_local):
    """TCP connect to the host, from our hbbs-connection port if possible,
    retrying refused connects (the host may not be listening yet)."""
    deadline = time.monotonic() + timeout
    last = None
    fam = socket.AF_INET6 if ":" in peer[0] else socket.AF_INET
    while True:
        res.connect_attempts += 1
        s = rp.reuse_socket(fam)
        try:
            if bind_local and res.connect_attempts == 1:
                try:
                    s.bind(my_addr)
                except OSError:
                    pass            # ephemeral port then
            s.settimeout(max(0.1, deadline - time.monotonic()))
            s.connect(peer)
            s.settimeout(None)
            return s
        except OSError as e:
            s.close()
            last = e
        if time.monotonic() + 0.05 >= deadline:
            raise InitiatorError(f"cannot connect to host {peer}: {last}")
        time.sleep(0.05)


def create_relay(relay_server, key, target_id, uuid, conn_type=0, timeout=10.0):
    """Connects to hbbr and sends RequestRelay{licence_key, id, uuid,
    conn_type}; returns (socket, (host, port)).  hbbr answers nothing."""
    if not relay_server:
        raise InitiatorError("no relay server")
    addr = rp.split_host_port(relay_server, RELAY_PORT)
    fs = rp.FramedSocket.connect(addr, timeout)
    fs.send(rp.rmsg("request_relay", licence_key=key, id=target_id, uuid=uuid,
                    conn_type=conn_type))
    s, _ = fs.detach()
    s.settimeout(None)
    return s, addr


def connect(rendezvous, key, target_id, mode="punch", *, relay_server=None, conn_type=0,
            nat_type=rp.NAT_UNKNOWN, version="1.4.9", token="", force_relay=False,
            timeout=10.0, attempts=3, punch_timeout=5.0, bind_local=True,
            pk_policy="verify", verify_key=None, direct_addr=None,
            client_relay_preflight=True, relay_attempts=3, relay_ack_timeout=18.0,
            secure=None, secure_tcp=False, strict=True, source_ip=None):
    """Runs the client's half of connection set-up; returns a Result with a
    connected socket.  key = the licence key string sent to hbbs/hbbr and
    (unless verify_key is given) the base64 Ed25519 pk that verifies hbbs'
    signed IdPk.  pk_policy: 'verify' (default: a present signature must
    verify and name target_id), 'require' (must also be present), 'ignore'.
    strict: the answer must match the mode (e.g. 'punch' rejects is_local).
    source_ip: the address our hbbs connection comes from (loopback tests
    of per-source rules)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    res = Result(mode, target_id)
    t0 = time.monotonic()
    verify_key = verify_key if verify_key is not None else key
    if mode == "direct":
        peer = _addr(direct_addr or rendezvous, DIRECT_PORT)
        res.sock = _connect_punch(res, None, peer, punch_timeout, False)
        res.peer_addr, res.local_addr = peer, res.sock.getsockname()[:2]
        res.timings["total"] = time.monotonic() - t0
        return res
    kind, msg, fs, my_addr = punch_request(
        rendezvous, key, target_id, nat_type=nat_type, conn_type=conn_type, version=version,
        token=token, force_relay=force_relay, attempts=attempts, timeout=timeout,
        secure_tcp=secure_tcp, verify_key=verify_key, source_ip=source_ip)
    res.timings["rendezvous"] = time.monotonic() - t0
    try:
        if kind is None:
            raise InitiatorError("no answer from the rendezvous server")
        if kind == "punch_hole_response":
            res.punch_hole_response = msg
            if not msg.socket_addr:
                if msg.other_failure:
                    raise InitiatorError(msg.other_failure, msg.failure, msg)
                raise InitiatorError(f"punch hole failure "
                                     f"{FAILURES.get(msg.failure, msg.failure)}",
                                     msg.failure, msg)
            res.is_local = msg.is_local
            res.nat_type = msg.nat_type if msg.WhichOneof("union") == "nat_type" else None
            res.relay_server = msg.relay_server
            res.peer_addr = rp.addr_decode(msg.socket_addr)
            _check_pk(res, msg.pk, verify_key, pk_policy)
        elif kind == "relay_response":
            res.relay_response = msg
            res.relay_server, res.relay_uuid = msg.relay_server, msg.uuid
            _check_pk(res, msg.pk if msg.WhichOneof("union") == "pk" else b"",
                      verify_key, pk_policy)
        else:
            raise InitiatorError(f"unexpected answer {kind}", response=msg)
    except BaseException:
        fs.close()
        raise
    if strict:
        want = {"punch": "punch_hole_response", "local": "punch_hole_response",
                "relay": "relay_response", "client-relay": "punch_hole_response"}[mode]
        if kind != want:
            fs.close()
            raise InitiatorError(f"mode {mode}: expected {want}, got {kind}", response=msg)
        if mode in ("punch", "local") and bool(res.is_local) != (mode == "local"):
            fs.close()
            raise InitiatorError(f"mode {mode}: got is_local={res.is_local}", response=msg)

    if kind == "relay_response":
        fs.close()
        res.sock, res.relay_addr = create_relay(res.relay_server, key, target_id,
                                                res.relay_uuid, conn_type, timeout)
    elif mode == "client-relay":
        fs.close()
        _client_relay(res, rendezvous, key, target_id, relay_server or res.relay_server,
                      conn_type, token, relay_attempts, relay_ack_timeout,
                      res.host_pk is not None if secure is None else secure, timeout)
    else:
        fs.close()      # like the client: drop the hbbs socket, then connect
        res.sock = _connect_punch(res, my_addr, res.peer_addr, punch_timeout, bind_local)
    res.local_addr = res.sock.getsockname()[:2]
    res.timings["total"] = time.monotonic() - t0
    return res


def _client_relay(res, rendezvous, key, target_id, relay_server, conn_type, token,
                  attempts, ack_timeout, secure, timeout):
    if not relay_server:
        raise InitiatorError("client-relay: no relay server (hbbs/host gave none)")
    res.relay_server = relay_server
    for _ in range(max(1, attempts)):
        fs = rp.FramedSocket.connect(_addr(rendezvous, RENDEZVOUS_PORT), timeout)
        try:
            u = str(uuidlib.uuid4())
            req = pb.RequestRelay(id=target_id, token=token, uuid=u,
                                  relay_server=relay_server, secure=secure)
            res.request_relay_sent.append(req)
            fs.send(rp.wrap("request_relay", req))
            try:
                kind, msg = fs.recv_msg(ack_timeout)
            except TimeoutError:
                continue
            if kind == "relay_response":
                res.relay_response = msg
                if msg.refuse_reason:
                    raise InitiatorError(f"relay refused: {msg.refuse_reason}", response=msg)
                res.relay_uuid = u
                res.sock, res.relay_addr = create_relay(relay_server, key, target_id, u,
                                                        conn_type, timeout)
                return
        finally:
            fs.close()
    raise InitiatorError("client-relay: no RelayResponse from the host")


# ---------------------------------------------------- first session bytes
def read_first_message(res, timeout=5.0):
    """Reads one BytesCodec frame from the pipe and parses it as a
    message.proto Message (the host's SignedId normally).  Returns
    (Message, raw_payload)."""
    fs = rp.FramedSocket(res.sock)
    fs.pending.extend(fs.dec.feed(res.leftover))
    p = fs.recv(timeout)
    if p is None:
        raise InitiatorError("pipe closed before the first frame")
    _, res.leftover = fs.detach()
    m = mpb.Message()
    try:
        m.ParseFromString(p)
    except Exception as e:
        raise InitiatorError(f"first frame is not a Message: {e}") from None
    return m, p


def open_signed_id(res, msg):
    """Verifies Message.signed_id with the host pk learnt from hbbs; returns
    (id, host_ephemeral_box_pk)."""
    if msg.WhichOneof("union") != "signed_id":
        raise InitiatorError(f"expected signed_id, got {msg.WhichOneof('union')}")
    if res.host_pk is None:
        raise InitiatorError("no verified host pk to check SignedId with")
    return rp.open_id_pk(msg.signed_id.id, bytes(res.host_pk))


def main(argv=None):
    ap = argparse.ArgumentParser(description="RustDesk-client-like connection set-up")
    ap.add_argument("--rendezvous", default="127.0.0.1:21116")
    ap.add_argument("--key", default="", help="licence key = base64 hbbs pk")
    ap.add_argument("--id", required=False, default="", help="target host ID")
    ap.add_argument("--mode", choices=MODES, default="punch")
    ap.add_argument("--direct", default=None, help="host[:port] for --mode direct")
    ap.add_argument("--relay-server", default=None)
    ap.add_argument("--conn-type", type=int, default=0)
    ap.add_argument("--version", default="1.4.9")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--pk-policy", choices=("verify", "require", "ignore"), default="verify")
    ap.add_argument("--no-strict", action="store_true")
    ap.add_argument("--send", default=None, help="text to send once connected")
    ap.add_argument("--read-frame", action="store_true",
                    help="read and print the host's first Message frame")
    ap.add_argument("--read", type=float, default=0.0,
                    help="seconds to read raw bytes afterwards (printed as hex)")
    a = ap.parse_args(argv)
    out = {}
    try:
        res = connect(a.rendezvous, a.key, a.id, a.mode, relay_server=a.relay_server,
                      conn_type=a.conn_type, version=a.version, timeout=a.timeout,
                      pk_policy=a.pk_policy, direct_addr=a.direct, strict=not a.no_strict)
    except InitiatorError as e:
        print(json.dumps({"ok": False, "error": str(e), "failure": e.failure_name}))
        return 1
    out.update(ok=True, **res.summary())
    try:
        if a.send is not None:
            res.sock.sendall(a.send.encode())
        if a.read_frame:
            m, raw = read_first_message(res, a.timeout)
            from google.protobuf import json_format
            out["first_frame"] = json_format.MessageToDict(m, preserving_proto_field_name=True)
            if m.WhichOneof("union") == "signed_id" and res.host_pk:
                try:
                    id_, box_pk = open_signed_id(res, m)
                    out["signed_id_ok"], out["host_box_pk"] = id_ == a.id, rp.b64(box_pk)
                except (InitiatorError, rp.ProtoError) as e:
                    out["signed_id_ok"], out["signed_id_error"] = False, str(e)
        if a.read > 0:
            buf = bytearray(res.leftover)
            res.sock.settimeout(0.2)
            end = time.monotonic() + a.read
            while time.monotonic() < end:
                try:
                    d = res.sock.recv(65536)
                except socket.timeout:
                    continue
                if not d:
                    break
                buf += d
            out["read_hex"] = bytes(buf).hex()
    finally:
        res.close()
    print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
