# SPDX-License-Identifier: MIT
"""Self-test of client.py against a scripted fake host written here from the
protocol reference (§5 secure channel, §6 login, §13.1/13.2), without the C
agent.  The fake host does its own crypto with PyNaCl (not rdproto's codec),
so a nonce/counter mistake in the client shows up as a decryption failure on
the host.  It also classifies what each misbehaving mode puts on the wire.
The fake host (HostConn, ScriptedHost, helpers) lives in
client_selftest_host.py and is re-exported here; this file keeps the tests.
Last line: 'N passed, M failed'.

    /usr/bin/python3 tests/peers/client_selftest.py [-v] [name-substring ...]
"""
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading

import nacl.signing

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rdproto as rp                                    # noqa: E402
import selftest_runner                                 # noqa: E402
import initiator                                        # noqa: E402
import client                                           # noqa: E402
from client import Client                               # noqa: E402
from client_selftest_host import (                      # noqa: E402
    ALPHABET, HOST_ID, PASSWORD, VERBOSE, Closed, Ev, HostConn, Oversize, Perm,
    ScriptedHost, _RdvHost, cid_of, host_and_client, mpb, nonce, rand_str)

__all__ = ["ALPHABET", "HOST_ID", "PASSWORD", "VERBOSE", "Closed", "Ev", "HostConn",
           "Oversize", "Perm", "ScriptedHost", "cid_of", "host_and_client",
           "mpb", "nonce", "rand_str"]


# --------------------------------------------------------------- tests
def t_success_encrypted():
    h, c = host_and_client()
    try:
        assert c.handshake() == "encrypted" and c.encrypted
        assert c.host_id == HOST_ID and len(c.host_box_pk) == 32
        pi = c.login(PASSWORD)
        assert not isinstance(pi, str) and pi is not None, pi
        assert pi.platform == "Linux" and pi.displays[0].x == -1920
        assert c.peer_info is pi or c.peer_info == pi
        assert c.permissions == {"Keyboard": False}, c.permissions
        assert c.test_delays >= 1 and c.test_delays_echoed >= 1
        h.wait("test_delay_echo")
        assert all(e.data["same"] for e in h.events if e.kind == "test_delay_echo")
        lr = h.wait("login_request").data["lr"]
        assert lr.username == HOST_ID and len(lr.password) == 32
        assert lr.version == "1.4.9" and lr.my_platform == "Linux"
        assert lr.my_id == "100200300" and lr.my_name and lr.session_id != 0
        assert lr.HasField("os_login") and lr.WhichOneof("union") is None
        assert lr.option.supported_decoding.ability_vp9 == 1
        h.wait("login_ok")
        # wire layout: PublicKey in clear, then every frame sealed with 1, 2, ...
        assert c.sent[0].kind == "public_key" and not c.sent[0].encrypted
        seqs = [s.seq for s in c.sent if s.encrypted]
        assert seqs == list(range(1, len(seqs) + 1)), seqs
        for s in c.sent[1:]:
            hl, n = rp.parse_header(s.wire)
            assert n == len(s.msg.SerializeToString()) + 16
        kinds = [r.kind for r in c.received]
        assert kinds[:2] == ["signed_id", "hash"], kinds
        assert "misc.permission_info" in kinds and "login_response" in kinds
        json.dumps(c.summary(), default=str)
    finally:
        c.close(), h.close()


def t_wrong_then_right_same_connection():
    h, c = host_and_client()
    try:
        c.handshake()
        assert c.login("nope") == "Wrong Password"
        assert c.login_error == "Wrong Password"
        pi = c.login(PASSWORD)
        assert hasattr(pi, "displays"), pi
        cids = {e.cid for e in h.events if e.kind == "login_request"}
        assert len(cids) == 1 and h.kinds().count("login_request") == 2
        lrs = [e.data["lr"] for e in h.events if e.kind == "login_request"]
        assert lrs[0].session_id == lrs[1].session_id and lrs[0].password != lrs[1].password
        assert c.summary()["login_responses"] == ["Wrong Password", "peer_info"]
    finally:
        c.close(), h.close()


def t_empty_password_first():
    h, c = host_and_client()
    try:
        c.handshake()
        assert c.login(None, reply_timeout=0.3) is None      # no reply expected
        h.wait("empty_password")
        assert hasattr(c.login(PASSWORD), "displays")
    finally:
        c.close(), h.close()
    h, c = host_and_client()
    try:
        c.handshake()
        assert hasattr(c.login(PASSWORD, empty_first=True, empty_wait=0.2), "displays")
        h.wait("login_ok")
        k = [x for x in h.kinds() if x in ("empty_password", "login_ok")]
        assert k == ["empty_password", "login_ok"], k
        assert [len(lr.password) for lr in c.login_requests] == [0, 32]
    finally:
        c.close(), h.close()


def t_remembered_h1():
    h, c = host_and_client()
    try:
        c.handshake()
        c.wait_hash()
        h1 = client.h1_of(PASSWORD, c.hash.salt)
        assert h1 == hashlib.sha256((PASSWORD + h.salt).encode()).digest()
        assert hasattr(c.login(h1=h1), "displays")
    finally:
        c.close(), h.close()


def t_direct_plaintext():
    h, c = host_and_client(secure=False, direct=True)
    try:
        assert c.handshake() == "plaintext-direct" and not c.encrypted
        assert hasattr(c.login(PASSWORD), "displays")
        lr = h.wait("login_request").data["lr"]
        assert lr.username == f"127.0.0.1:{h.addr[1]}", lr.username
        assert "encrypted" not in h.kinds() and not c.sent[0].encrypted
        assert c.received[0].kind == "hash"
    finally:
        c.close(), h.close()
    # through initiator's direct mode, and with an explicit username
    h = ScriptedHost(secure=False, direct=True)
    res = initiator.connect(None, "", "", "direct", direct_addr=h.addr)
    c = Client(res, username="127.0.0.1")
    try:
        assert c.direct and c.handshake() == "plaintext-direct"
        assert hasattr(c.login(PASSWORD), "displays")
        assert h.wait("login_request").data["lr"].username == "127.0.0.1"
    finally:
        c.close(), h.close()


def t_session_kinds():
    h = ScriptedHost()
    try:
        cases = [("file-transfer", dict(file_dir="/tmp"), "file_transfer",
                  lambda lr: lr.file_transfer.dir == "/tmp" and not lr.HasField("option")),
                 ("port-forward", dict(forward_host="10.0.0.5", forward_port=22),
                  "port_forward", lambda lr: (lr.port_forward.host, lr.port_forward.port)
                  == ("10.0.0.5", 22) and not lr.HasField("option")),
                 ("rdp", {}, "port_forward",
                  lambda lr: lr.port_forward.host == "RDP" and lr.port_forward.port == 0),
                 ("terminal", dict(service_id="svc-1"), "terminal",
                  lambda lr: lr.terminal.service_id == "svc-1" and not lr.HasField("option")),
                 ("view_camera", {}, "view_camera",
                  lambda lr: lr.HasField("view_camera") and lr.HasField("option")),
                 ("desktop", {}, None, lambda lr: lr.HasField("option"))]
        for kind, kw, union, check in cases:
            with Client(h.addr, host_pk=h.pk, target_id=h.id, kind=kind, **kw) as c:
                n = cid_of(h, c)
                c.handshake()
                r = c.login(PASSWORD)
                assert hasattr(r, "displays"), (kind, r)
                lr = h.wait("login_request", cid=n).data["lr"]
                assert lr.WhichOneof("union") == union, (kind, lr.WhichOneof("union"))
                assert check(lr), (kind, lr)
                assert h.wait("login_ok", cid=n).data["kind"] == union
        assert client.CONN_TYPE["terminal"] == 5 and client.CONN_TYPE["file-transfer"] == 1
    finally:
        h.close()


def t_terminal():
    """TerminalMixin against the scripted terminal service."""
    h = ScriptedHost()
    try:
        with Client(h.addr, host_pk=h.pk, target_id=h.id, kind="terminal",
                    service_id="") as c:
            n = cid_of(h, c)
            c.handshake()
            assert hasattr(c.login(PASSWORD, option=client.terminal_option()), "displays")
            lr = h.wait("login_request", cid=n).data["lr"]
            assert lr.WhichOneof("union") == "terminal" and lr.terminal.service_id == ""
            assert lr.option.terminal_persistent == 1
            c.open_terminal(1, rows=30, cols=100)
            o = c.wait_terminal_opened(1)
            assert o.success and o.pid == 4243 and o.service_id == "ts_selftest", o
            c.send_terminal_data(1, "hello\r")
            c.wait_terminal_output(1, b"echo:hello\r")
            c.send_terminal_data(1, "zipped", compressed=True)
            c.wait_terminal_output(1, "echo:zipped")
            c.send_terminal_data(1, "big")
            end = c.wait_terminal_output(1, b"z" * 4000)
            t = c.terminal(1)
            assert t.compressed_msgs == 1 and t.data_msgs == 3 and end == len(t.output)
            c.send_terminal_data(1, "euro")
            c.wait_terminal_output(1, "5\u20ac")
            c.resize_terminal(1, 40, 120)
            c.wait_terminal_output(1, "size 40 120")
            c.open_terminal(2, rows=0, cols=80)
            assert not c.wait_terminal_opened(2).success
            c.send_terminal_data(7, "x")
            assert "not open" in c.wait_terminal_error(7)
            c.send_terminal_data(1, "exit 3")
            assert c.wait_terminal_closed(1) == 3
            c.open_terminal(3)
            assert c.wait_terminal_opened(3).success
            c.close_terminal(3)
            assert c.wait_terminal_closed(3) == -1
            kinds = [e.kind for e in h.events if e.cid == n and e.kind.startswith("terminal_")]
            assert kinds.count("terminal_open") == 3 and "terminal_resize" in kinds, kinds
            s = c.terminal_summary()
            assert s["1"]["closed"] == 3 and s["1"]["split_utf8"] == 0, s
    finally:
        h.close()


def t_initiator_result_with_leftover():
    """A Result whose leftover already holds the start of the SignedId frame."""
    h = ScriptedHost()
    try:
        s = socket.create_connection(h.addr)
        first = rp.recv_exact(s, 5, 5)
        res = initiator.Result("punch", HOST_ID)
        res.sock, res.leftover, res.host_pk = s, first, h.pk
        c = Client(res)
        assert not c.direct and c.target_id == HOST_ID
        assert c.handshake() == "encrypted"
        assert hasattr(c.login(PASSWORD), "displays")
        c.close()
        assert res.sock is None
        # a Result whose SignedId was already read with initiator.read_first_message
        res = initiator.Result("punch", HOST_ID)
        res.sock, res.host_pk = socket.create_connection(h.addr), h.pk
        first, _ = initiator.read_first_message(res)
        with Client(res) as c:
            assert c.handshake(first_message=first) == "encrypted"
            assert hasattr(c.login(PASSWORD), "displays")
    finally:
        h.close()


def t_verify_failures():
    h = ScriptedHost(handshake_timeout=1.0)
    try:
        other = bytes(nacl.signing.SigningKey.generate().verify_key)
        # strict: nothing is sent, the error names the cause
        with Client(h.addr, host_pk=other, target_id=HOST_ID) as c:
            try:
                c.handshake()
                raise AssertionError("bad signature accepted")
            except client.SignatureError:
                pass
            assert not c.sent
        with Client(h.addr, host_pk=h.pk, target_id="999999999") as c:
            try:
                c.handshake()
                raise AssertionError("wrong IdPk.id accepted")
            except client.HandshakeError as e:
                assert "999999999" in str(e)
        with Client(h.addr, host_pk=None, target_id=HOST_ID) as c:
            try:
                c.handshake()
                raise AssertionError("no host pk accepted")
            except client.HandshakeError:
                pass
        # stock fallbacks (src/client.rs secure_connection)
        with Client(h.addr, host_pk=other, target_id=HOST_ID) as c:
            assert c.handshake(fallback="stock") == "plaintext-pk-mismatch"
            h.wait("empty_public_key", cid=cid_of(h, c))
            assert hasattr(c.login(PASSWORD), "displays") and not c.encrypted
        with Client(h.addr, host_pk=h.pk, target_id="999999999") as c:
            assert c.handshake(fallback="stock") == "plaintext-sign-failure"
            h.wait("empty_message", cid=cid_of(h, c))
        with Client(h.addr, host_pk=None, target_id=HOST_ID) as c:
            assert c.handshake(fallback="stock") == "plaintext-no-sign-pk"
            assert c.sent[0].wire == b"\x00"          # empty Message, header only
            h.wait("empty_message", cid=cid_of(h, c))
            assert hasattr(c.login(PASSWORD), "displays")
            assert c.received[0].kind == "signed_id"  # seen later, ignored
    finally:
        h.close()


def t_fail_closed_surfaced():
    h = ScriptedHost(require_encryption=True)
    try:
        with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
            c.handshake_empty_public_key()
            try:
                c.login(PASSWORD)
                raise AssertionError("login on a refused connection")
            except client.SessionClosed as e:
                assert e.close_reason == "encryption required by host policy", e.close_reason
                assert e.message_boxes and e.message_boxes[0].msgtype == "error"
            assert c.closed and c.message_boxes[0].text.startswith("encryption required")
        with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
            out = c.misbehave("empty-message", wait=5)
            assert out["closed"] and out["close_reason"] == "encryption required by host policy"
            assert out["messages"].get("message_box") == 1, out
    finally:
        h.close()


def _scenario(h, name, host_closes=True, **kw):
    with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
        n = cid_of(h, c)
        out = c.misbehave(name, password=PASSWORD, wait=kw.pop("wait", 5), **kw)
    if host_closes:
        h.wait("closed", cid=n)
    return out, c, n


def t_misbehave_handshake():
    h = ScriptedHost()
    try:
        # a stock host continues in plaintext after these two (no close)
        out, c, n = _scenario(h, "empty-public-key", host_closes=False, wait=0.3)
        h.wait("empty_public_key", cid=n)
        assert c.sent[0].wire == rp.encode_frame(b"\x22\x00")    # Message{public_key{}}
        assert out["messages"].get("hash") == 1 and not c.encrypted, out
        out, c, n = _scenario(h, "empty-message", host_closes=False, wait=0.3)
        assert h.wait("empty_message", cid=n).data["n"] == 0
        assert c.sent[0].wire == b"\x00"
        out, c, n = _scenario(h, "short-key")
        assert h.wait("bad_key_length", cid=n).data["n"] == 31
        assert out["closed"], out
        out, c, n = _scenario(h, "short-key", length=33)
        assert h.wait("bad_key_length", cid=n).data["n"] == 33
        out, c, n = _scenario(h, "bad-box")
        h.wait("box_failed", cid=n)
        out, c, n = _scenario(h, "garbage-before")
        assert h.wait("garbage_before_kx", cid=n).data["payload"] == b"\x07" * 64
        assert out["closed"]
        with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
            n = cid_of(h, c)
            c.read_signed_id()
            probe = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"      # 'GET ' = 4-byte header
            c.send_garbage(framed=False, data=probe)
            assert c.sent[-1].wire == probe
            assert c.wait_closed(5) is not None
            want = int.from_bytes(b"GET ", "little") >> 2
            assert h.wait("oversize", cid=n).data["n"] == want
    finally:
        h.close()


def t_misbehave_channel():
    h = ScriptedHost()
    try:
        out, c, n = _scenario(h, "garbage-after")
        assert h.wait("undecryptable", cid=n).data["detail"] == 64
        assert out["closed"]
        out, c, n = _scenario(h, "wrong-nonce")
        e = h.wait("wrong_nonce", cid=n)
        assert e.data["detail"] == 1, e            # the counter value after the expected one
        out, c, n = _scenario(h, "wrong-nonce", skip=3)
        assert h.wait("wrong_nonce", cid=n).data["detail"] == 3
        out, c, n = _scenario(h, "replay")
        e = h.wait("replay", cid=n)
        replayed = [s for s in c.sent if s.kind.startswith("replay:")]
        assert replayed and replayed[0].wire == [s for s in c.sent if s.encrypted][-2].wire
        assert "test_delay_from_client" in h.kinds(n)       # the original was accepted
        out, c, n = _scenario(h, "input-before-login", wait=0.5)
        h.wait("input_before_login", cid=n, count=2)
        assert [e.data["kind"] for e in h.events if e.cid == n and
                e.kind == "input_before_login"] == ["mouse_event", "key_event"]
    finally:
        h.close()


def t_oversize_preauth():
    h = ScriptedHost(max_preauth=8192)
    try:
        out, c, n = _scenario(h, "oversize")
        assert h.wait("oversize", cid=n).data["n"] >= 65536
        assert out["closed"], out
        sent = [s for s in c.sent if s.kind == "login_request"]
        assert sent and 65536 <= rp.parse_header(sent[0].wire)[1] < 65536 + 64
        with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
            n = cid_of(h, c)
            c.handshake()
            c.wait_hash()
            c.send_oversize_frame(1 << 20, body=10)
            assert c.wait_closed(5) is not None
            assert h.wait("oversize", cid=n).data["n"] == 1 << 20
    finally:
        h.close()


def t_slow_loris_and_idle():
    h = ScriptedHost(handshake_timeout=0.8)
    try:
        with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
            n = cid_of(h, c)
            r = c.slow_loris(interval=0.15, duration=5)
            assert r["closed"] and 0.5 < r["after"] < 3.0, r
            assert 2 <= r["sent"] <= 12, r
            e = h.wait("handshake_timeout", cid=n)
            assert e.data["partial"] >= 1
            assert c.pending or c.received         # the SignedId, unread
        with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
            n = cid_of(h, c)
            out = c.misbehave("idle", wait=4)
            assert out["closed"] and out["closed_after"] < 3.0, out
            h.wait("handshake_timeout", cid=n)
    finally:
        h.close()


def t_scope_latch_and_offline():
    h = ScriptedHost()
    try:
        out, c, n = _scenario(h, "scope-change")
        assert out["result"] == [None, "Connection not allowed"], out
        assert out["closed"] and c.login_error == "Connection not allowed"
        lrs = [e.data["lr"] for e in h.events if e.cid == n and e.kind == "login_request"]
        assert [lr.my_id for lr in lrs] == ["100200300", "999888777"]
        out, c, n = _scenario(h, "wrong-username")
        assert out["result"] == "Offline" and out["closed"], out
        assert h.wait("login_request", cid=n).data["lr"].username == "not-" + HOST_ID
        out, c, n = _scenario(h, "wrong-password", host_closes=False, wait=0.3)
        assert out["result"] == "Wrong Password" and not out["closed"], out
    finally:
        h.close()


def t_tiny_frames_not_decrypted():
    h = ScriptedHost(send_tiny=True)
    try:
        with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
            c.handshake()
            assert hasattr(c.login(PASSWORD), "displays")
            kinds = [r.kind for r in c.received]
            assert kinds[1:4] == ["hash", "empty", "unparsable"], kinds
            assert c.codec.recv_seq == len(c.received) - 3 - (kinds.count("decrypt_error"))
    finally:
        h.close()


def t_rendezvous_paths():
    import selftest
    for mode, kw in (("punch", dict(force_punch=True)), ("relay", dict(force_relay=True)),
                     ("client-relay", dict(force_punch=True))):
        rs, relay = selftest.setup(**kw)
        h = None
        try:
            h = _RdvHost.make(rs)
            c = Client.via_rendezvous(rs.addr, rs.licence_key, h.id, mode, kind="file-transfer",
                                      file_dir="/srv")
            with c:
                assert c.result.host_pk == h.pk
                assert c.handshake() == "encrypted", mode
                assert c.login("wrong") == "Wrong Password"
                pi = c.login(PASSWORD)
                assert hasattr(pi, "displays") and len(pi.displays) == 0, (mode, pi)
                lr = h.scripted.wait("login_request").data["lr"]
                assert lr.file_transfer.dir == "/srv"
            if mode == "punch":
                push = rs.wait_for("punch_hole_request")
                assert push.msg.conn_type == 1, push.msg       # FILE_TRANSFER
            assert not h.errors, h.errors
        finally:
            if h is not None:
                h.close()
            rs.stop(), relay.stop()


def t_cli():
    h = ScriptedHost(secure=False, direct=True)
    try:
        py = sys.executable
        r = subprocess.run([py, os.path.join(HERE, "client.py"), "--direct",
                            f"127.0.0.1:{h.addr[1]}", "--id", HOST_ID, "--password", PASSWORD,
                            "--kind", "terminal"], capture_output=True, text=True, timeout=20)
        line = r.stdout.strip().splitlines()[-1]
        d = json.loads(line)
        assert r.returncode == 0 and d["ok"], (r.returncode, line, r.stderr)
        assert d["login"]["peer_info"]["platform"] == "Linux"
        assert d["permissions"] == {"Keyboard": False} and d["channel"] == "plaintext-direct"
        r = subprocess.run([py, os.path.join(HERE, "client.py"), "--direct",
                            f"127.0.0.1:{h.addr[1]}", "--id", HOST_ID, "--password", "bad"],
                           capture_output=True, text=True, timeout=20)
        d = json.loads(r.stdout.strip().splitlines()[-1])
        assert r.returncode == 1 and d["login"] == {"error": "Wrong Password"}, d
        r = subprocess.run([py, os.path.join(HERE, "client.py"), "--direct",
                            f"127.0.0.1:{h.addr[1]}", "--id", HOST_ID, "--password", PASSWORD,
                            "--misbehave", "wrong-username", "--wait", "3"],
                           capture_output=True, text=True, timeout=20)
        d = json.loads(r.stdout.strip().splitlines()[-1])
        assert d["result"] == "Offline" and d["closed"], d
    finally:
        h.close()


def t_concurrent_bad_clients():
    h = ScriptedHost(handshake_timeout=1.0, idle_timeout=2.0)
    names = ["empty-public-key", "short-key", "bad-box", "garbage-before", "garbage-after",
             "wrong-nonce", "replay", "oversize", "scope-change", "wrong-username"]
    outs, errs = [], []

    def run(i):
        try:
            with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
                outs.append(c.misbehave(names[i % len(names)], password=PASSWORD, wait=5))
        except Exception as e:
            errs.append(repr(e))
    try:
        ts = [threading.Thread(target=run, args=(i,)) for i in range(30)]
        [t.start() for t in ts]
        with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as good:
            good.handshake()
            assert hasattr(good.login(PASSWORD), "displays")
        [t.join(15) for t in ts]
        assert not errs, errs
        assert len(outs) == 30 and all(o["closed"] for o in outs), \
            [o for o in outs if not o["closed"]]
    finally:
        h.close()


if __name__ == "__main__":
    sys.exit(selftest_runner.run(globals()))
