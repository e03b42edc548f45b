#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Outgoing connections through real proxies from Debian, driven by the C
test tool op-connect (net_connect_start + struct stream):

  - tinyproxy with BasicAuth (HTTP CONNECT), right and wrong password;
  - microsocks with username/password (SOCKS5), right and wrong password;
  - an HTTPS proxy made of stunnel4 (TLS, a certificate from a throwaway
    CA made here with openssl) in front of tinyproxy: right CA, wrong CA,
    wrong host name;
  - hand-written hostile proxies (tunnel bytes glued to the reply,
    garbage, oversized heads, silence) for the deadline, cancellation and
    the bounded parsers.

Every server listens on a free port of 127.0.0.1 and is stopped by the
test that started it, so the file can run in parallel with others and as
root (tinyproxy keeps the current user when no User is configured)."""
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

OP_CONNECT = os.environ.get("OP_CONNECT", os.path.join(
    os.environ.get("OP_BUILD_DIR",
                   os.path.join(common.SOURCE_DIR, "build", "dev")),
    "tests", "tools", "op-connect"))
from proxies import (PASSWORD, USER, RealProxies,  # noqa: E402,F401
                     free_port)


class TcpServer:
    """A threaded TCP server on 127.0.0.1:0; handler(conn) per client."""

    def __init__(self, handler):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.conns = []
        self.stopped = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _serve(self, conn):
        try:
            self.handler(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self):
        self.stopped = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.thread.join(5)


def echo_handler(greeting=b""):
    def handle(conn):
        if greeting:
            conn.sendall(greeting)
        while True:
            data = conn.recv(65536)
            if not data:
                return
            conn.sendall(data)
    return handle


def read_until(conn, marker, limit=65536):
    buf = b""
    while marker not in buf and len(buf) < limit:
        d = conn.recv(4096)
        if not d:
            break
        buf += d
    return buf


class ProxyCase(RealProxies, common.TempDirCase):
    def setUp(self):
        super().setUp()
        if not os.access(OP_CONNECT, os.X_OK):
            self.fail(f"{OP_CONNECT} not built")
        self.echo = TcpServer(echo_handler(b"hi:"))
        self.addCleanup(self.echo.stop)
        self.pwfile = self.write_secret("pw", PASSWORD + "\n")

    def connect(self, *args, host="127.0.0.1", port=None, timeout=30):
        port = self.echo.port if port is None else port
        cmd = [OP_CONNECT] + list(args) + [host, str(port)]
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout)
        out = {}
        for line in p.stdout.splitlines():
            k, _, v = line.partition(": ")
            out.setdefault(k, v)
        out["_rc"] = p.returncode
        out["_all"] = p.stdout + p.stderr
        return out

    def assertOk(self, out, received="hi:ping"):
        self.assertEqual(out["_rc"], 0, out["_all"])
        if received is not None:
            self.assertEqual(out.get("received"), received, out["_all"])

    def assertFails(self, out, error, message=None):
        self.assertEqual(out["_rc"], 1, out["_all"])
        self.assertEqual(out.get("error"), error, out["_all"])
        if message is not None:
            self.assertIn(message, out.get("message", ""), out["_all"])

def closer_handler(conn):
    conn.sendall(b"bye")
    conn.shutdown(socket.SHUT_WR)
    while conn.recv(4096):
        pass


class DirectTest(ProxyCase):
    def test_direct(self):
        out = self.connect("--send", "ping", "--expect", "7")
        self.assertOk(out)
        self.assertEqual(out["connected"], "tcp")
        self.assertEqual(out["stage"], "done")

    def test_direct_by_name(self):
        out = self.connect("--send", "ping", "--expect", "7",
                           host="localhost")
        self.assertOk(out)

    def test_bind_local_shares_a_listening_port(self):
        # Hole punching: the outgoing connection leaves from the port a
        # listener with SO_REUSEADDR + SO_REUSEPORT already holds.
        lst = socket.socket()
        self.addCleanup(lst.close)
        lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        lst.bind(("127.0.0.1", 0))
        lst.listen(1)
        port = lst.getsockname()[1]
        out = self.connect("--bind", f"127.0.0.1:{port}", "--send", "ping",
                           "--expect", "7")
        self.assertOk(out)
        self.assertEqual(out["local"], f"127.0.0.1:{port}")

    def test_bulk_with_backpressure(self):
        echo = TcpServer(echo_handler())
        self.addCleanup(echo.stop)
        out = self.connect("--bulk", str(4 << 20), "--pause-ms", "300",
                           port=echo.port)
        self.assertOk(out, received=None)
        self.assertEqual(out["bulk"], f"ok {4 << 20}")

    def test_close_before_start(self):
        out = self.connect("--close-at-once", "1")
        self.assertEqual(out["_rc"], 0, out["_all"])
        self.assertEqual(out["closed"], "arg ok")

    def test_far_end_closes(self):
        srv = TcpServer(closer_handler)
        self.addCleanup(srv.stop)
        out = self.connect("--expect", "100", port=srv.port)
        self.assertEqual(out["_rc"], 1, out["_all"])
        self.assertEqual(out["error"],
                         "stream ended (eof) after 3 of 100 bytes: bye")

    def test_refused(self):
        out = self.connect("--send", "x", port=free_port())
        self.assertFails(out, "Connection refused", "cannot connect")
        self.assertEqual(out["stage"], "tcp")


class HttpProxyTest(ProxyCase):
    def test_basic_auth(self):
        port = self.tinyproxy()
        out = self.connect("--proxy", f"http://{USER}@127.0.0.1:{port}",
                           "--password-file", self.pwfile,
                           "--send", "ping", "--expect", "7")
        self.assertOk(out)
        self.assertEqual(out["http-status"], "200")
        self.assertEqual(out["peer"], f"127.0.0.1:{port}")

    def test_target_by_name_and_pause(self):
        port = self.tinyproxy()
        out = self.connect("--proxy", f"http://{USER}@127.0.0.1:{port}",
                           "--password-file", self.pwfile,
                           "--send", "ping", "--expect", "7",
                           "--pause-ms", "100", host="localhost")
        self.assertOk(out)

    def test_wrong_password(self):
        port = self.tinyproxy()
        bad = self.write_secret("bad", "wrong-password\n")
        out = self.connect("--proxy", f"http://{USER}@127.0.0.1:{port}",
                           "--password-file", bad, "--send", "ping")
        self.assertFails(out, "authentication failed",
                         "refused the credentials (40")
        # tinyproxy answers a wrong password with 401, no password 407.
        self.assertIn(out["http-status"], ("401", "407"))
        self.assertNotIn("wrong-password", out["_all"])

    def test_no_credentials(self):
        port = self.tinyproxy()
        out = self.connect("--proxy", f"http://127.0.0.1:{port}",
                           "--send", "ping")
        self.assertFails(out, "authentication failed",
                         "requires authentication")

    def test_upstream_refused(self):
        port = self.tinyproxy(auth=False)
        out = self.connect("--proxy", f"http://127.0.0.1:{port}",
                           "--send", "ping", port=free_port())
        self.assertFails(out, "denied by policy", "refused CONNECT")
        self.assertTrue(out["http-status"].startswith("5"), out["_all"])

    def test_password_file_must_be_private(self):
        port = self.tinyproxy()
        loose = self.write_secret("loose", PASSWORD + "\n", 0o644)
        out = self.connect("--proxy", f"http://{USER}@127.0.0.1:{port}",
                           "--password-file", loose, "--send", "ping")
        self.assertEqual(out["_rc"], 2, out["_all"])
        self.assertIn("chmod 600", out["_all"])
        self.assertNotIn(PASSWORD, out["_all"])

    def test_password_in_url_refused(self):
        out = self.connect("--proxy", f"http://{USER}:{PASSWORD}@h:1",
                           "--send", "ping")
        self.assertEqual(out["_rc"], 2, out["_all"])
        self.assertIn("password in the proxy URL is refused", out["_all"])


class Socks5ProxyTest(ProxyCase):
    def test_userpass(self):
        port = self.microsocks()
        out = self.connect("--proxy", f"socks5://bob@127.0.0.1:{port}",
                           "--password-file", self.pwfile,
                           "--send", "ping", "--expect", "7")
        self.assertOk(out)
        self.assertEqual(out["socks-reply"], "0")

    def test_proxy_resolves_the_name(self):
        port = self.microsocks()
        out = self.connect("--proxy", f"socks5h://bob@localhost:{port}",
                           "--password-file", self.pwfile,
                           "--send", "ping", "--expect", "7",
                           host="localhost")
        self.assertOk(out)

    def test_close_before_start(self):
        port = self.microsocks()
        out = self.connect("--proxy", f"socks5://bob@127.0.0.1:{port}",
                           "--password-file", self.pwfile,
                           "--close-at-once", "1")
        self.assertEqual(out["_rc"], 0, out["_all"])
        self.assertEqual(out["closed"], "arg ok")

    def test_wrong_password(self):
        port = self.microsocks()
        bad = self.write_secret("bad", "wrong-password\n")
        out = self.connect("--proxy", f"socks5://bob@127.0.0.1:{port}",
                           "--password-file", bad, "--send", "ping")
        self.assertFails(out, "authentication failed",
                         "refused the user name or password")
        self.assertNotIn("wrong-password", out["_all"])

    def test_no_credentials(self):
        port = self.microsocks()
        out = self.connect("--proxy", f"socks5://127.0.0.1:{port}",
                           "--send", "ping")
        self.assertFails(out, "authentication failed",
                         "requires authentication")

    def test_target_refused(self):
        port = self.microsocks()
        out = self.connect("--proxy", f"socks5://bob@127.0.0.1:{port}",
                           "--password-file", self.pwfile,
                           "--send", "ping", port=free_port())
        self.assertEqual(out["_rc"], 1, out["_all"])
        self.assertIn("SOCKS5 proxy could not connect", out["message"])
        self.assertNotEqual(out["socks-reply"], "0")


class HttpsProxyTest(ProxyCase):
    def setUp(self):
        super().setUp()
        if shutil.which("openssl") is None:
            self.skipTest("openssl not installed")
        self.ca = self.make_ca("ca", "Outpost Test CA")
        self.other_ca = self.make_ca("other", "Some Other CA")
        self.cert = self.make_cert("srv", "ca", "localhost")
        self.tp = self.tinyproxy()

    def url(self, port, host="localhost"):
        return f"https://{USER}@{host}:{port}"

    def test_right_ca(self):
        port = self.stunnel(self.tp, *self.cert)
        out = self.connect("--proxy", self.url(port), "--password-file",
                           self.pwfile, "--ca", self.ca,
                           "--send", "ping", "--expect", "7")
        self.assertOk(out)
        self.assertEqual(out["connected"], "tls")
        self.assertIn("CN=Outpost Test CA", out["tls-issuer"])
        self.assertIn("CN=localhost", out["tls-subject"])
        self.assertEqual(out["tls-verify"], "ok")
        self.assertEqual(len(out["tls-sha256"]), 64)
        fp = subprocess.run(
            ["openssl", "x509", "-in", self.cert[0], "-noout",
             "-fingerprint", "-sha256"], capture_output=True, text=True,
            check=True).stdout.strip().split("=", 1)[1]
        self.assertEqual(out["tls-sha256"], fp.replace(":", "").lower())

    def test_far_end_closes(self):
        srv = TcpServer(closer_handler)
        self.addCleanup(srv.stop)
        port = self.stunnel(self.tp, *self.cert)
        out = self.connect("--proxy", self.url(port), "--password-file",
                           self.pwfile, "--ca", self.ca, "--expect", "100",
                           port=srv.port)
        self.assertEqual(out["_rc"], 1, out["_all"])
        # stunnel ends the TLS session with close_notify: an orderly end.
        self.assertEqual(out["error"],
                         "stream ended (eof) after 3 of 100 bytes: bye")

    def test_bulk_through_tls(self):
        echo = TcpServer(echo_handler())
        self.addCleanup(echo.stop)
        port = self.stunnel(self.tp, *self.cert)
        out = self.connect("--proxy", self.url(port), "--password-file",
                           self.pwfile, "--ca", self.ca,
                           "--bulk", str(1 << 20), "--pause-ms", "200",
                           port=echo.port)
        self.assertOk(out, received=None)
        self.assertEqual(out["bulk"], f"ok {1 << 20}")

    def test_wrong_ca(self):
        port = self.stunnel(self.tp, *self.cert)
        out = self.connect("--proxy", self.url(port), "--password-file",
                           self.pwfile, "--ca", self.other_ca,
                           "--send", "ping")
        self.assertFails(out, "cryptographic failure", "is not trusted")
        self.assertEqual(out["stage"], "tls")
        # What `outpost doctor` shows for an intercepting proxy.
        self.assertIn("CN=Outpost Test CA", out["tls-issuer"])
        self.assertNotEqual(out["tls-verify"], "ok")

    def test_system_store_does_not_trust_a_private_ca(self):
        port = self.stunnel(self.tp, *self.cert)
        out = self.connect("--proxy", self.url(port), "--password-file",
                           self.pwfile, "--send", "ping")
        self.assertEqual(out["_rc"], 1, out["_all"])
        self.assertIn(out["error"], ("cryptographic failure",
                                     "invalid configuration"), out["_all"])

    def test_wrong_hostname(self):
        cert = self.make_cert("other-name", "ca", "proxy.invalid")
        port = self.stunnel(self.tp, *cert)
        out = self.connect("--proxy", self.url(port), "--password-file",
                           self.pwfile, "--ca", self.ca, "--send", "ping")
        self.assertFails(out, "cryptographic failure", "is not trusted")
        self.assertIn("CN", out["tls-verify"])
        self.assertIn("CN=proxy.invalid", out["tls-subject"])

    def test_ip_literal_does_not_match_a_name(self):
        port = self.stunnel(self.tp, *self.cert)
        out = self.connect("--proxy", self.url(port, "127.0.0.1"),
                           "--password-file", self.pwfile, "--ca", self.ca,
                           "--send", "ping")
        self.assertFails(out, "cryptographic failure", "is not trusted")

    def test_wrong_password_inside_tls(self):
        port = self.stunnel(self.tp, *self.cert)
        bad = self.write_secret("bad", "nope\n")
        out = self.connect("--proxy", self.url(port), "--password-file",
                           bad, "--ca", self.ca, "--send", "ping")
        self.assertFails(out, "authentication failed", "https proxy")
        self.assertEqual(out["tls-verify"], "ok")

    def test_plain_http_proxy_is_not_tls(self):
        out = self.connect("--proxy", self.url(self.tp), "--password-file",
                           self.pwfile, "--ca", self.ca, "--send", "ping",
                           "--timeout", "3000")
        self.assertEqual(out["_rc"], 1, out["_all"])
        self.assertEqual(out["stage"], "tls", out["_all"])


class HostileProxyTest(ProxyCase):
    def fake(self, reply, then_echo=False, hold=False):
        def handle(conn):
            read_until(conn, b"\r\n\r\n")
            if reply:
                conn.sendall(reply)
            if then_echo:
                echo_handler()(conn)
            elif hold:
                while conn.recv(4096):
                    pass
        srv = TcpServer(handle)
        self.addCleanup(srv.stop)
        return srv.port

    def test_tunnel_bytes_after_the_reply_are_kept(self):
        port = self.fake(b"HTTP/1.1 200 Connection established\r\n"
                         b"Via: fake\r\n\r\nEARLY", then_echo=True)
        out = self.connect("--proxy", f"http://127.0.0.1:{port}",
                           "--send", "ping", "--expect", "9")
        self.assertOk(out, received="EARLYping")

    def test_garbage(self):
        port = self.fake(b"SSH-2.0-OpenSSH_9.2\r\n", hold=True)
        out = self.connect("--proxy", f"http://127.0.0.1:{port}",
                           "--send", "ping")
        self.assertFails(out, "malformed input", "malformed reply")

    def test_oversized_head(self):
        port = self.fake(b"HTTP/1.1 200 OK\r\n" + b"X-Pad: aaaaaaaa\r\n" * 800,
                         hold=True)
        out = self.connect("--proxy", f"http://127.0.0.1:{port}",
                           "--send", "ping")
        self.assertFails(out, "input too large", "exceeds 8192 bytes")

    def test_closed_mid_reply(self):
        port = self.fake(b"HTTP/1.1 200 OK\r\n")
        out = self.connect("--proxy", f"http://127.0.0.1:{port}",
                           "--send", "ping")
        self.assertFails(out, "Connection reset by peer",
                         "closed the connection")

    def test_silent_proxy_hits_the_deadline(self):
        port = self.fake(b"", hold=True)
        t0 = time.monotonic()
        out = self.connect("--proxy", f"http://127.0.0.1:{port}",
                           "--send", "ping", "--timeout", "700")
        self.assertFails(out, "Connection timed out",
                         "waiting for the proxy's reply")
        self.assertLess(time.monotonic() - t0, 5)

    def test_cancel(self):
        port = self.fake(b"", hold=True)
        out = self.connect("--proxy", f"http://127.0.0.1:{port}",
                           "--send", "ping", "--cancel-after", "200")
        self.assertFails(out, "Operation canceled", "cancelled")
        self.assertIn("cancelling", out["_all"])

    def test_socks_garbage(self):
        def handle(conn):
            conn.recv(16)
            conn.sendall(b"\x05\x00")
            conn.recv(300)
            conn.sendall(b"\x05\x00\x00\x09" + b"\x00" * 20)
            while conn.recv(4096):
                pass
        srv = TcpServer(handle)
        self.addCleanup(srv.stop)
        out = self.connect("--proxy", f"socks5://127.0.0.1:{srv.port}",
                           "--send", "ping")
        self.assertFails(out, "malformed input", "SOCKS5")


if __name__ == "__main__":
    common.main()
