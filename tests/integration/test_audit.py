#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The audit trail through the real `outpost audit ...` CLI, on databases
written by the real audit module (tests/tools/op-audit-gen, until the
daemon's session code emits the records itself):

  - verify: intact; a row edited with Python's sqlite3 and with the
    sqlite3 CLI, rows deleted, a re-hashed row: each named, exit 65;
  - an independent Python re-computation of the documented chain format
    over `audit export --format jsonl`;
  - list / show / export (jsonl, csv) parse, filter and escape hostile
    peer names; read-only use; missing DB; permission denied;
  - forwarding (spec §15) with `audit forward`: a Python API server on
    loopback that is down at first (records stay queued), then up (every
    record arrives exactly once after nonce de-duplication), a flaky
    server (503, retries carry the same nonce), HTTPS with a throwaway CA
    made with openssl (right CA, wrong CA), and hostile answers.
"""
import csv
import hashlib
import http.server
import io
import json
import os
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import run  # noqa: E402

GEN = os.environ.get("OP_AUDIT_GEN", os.path.join(
    os.environ.get("OP_BUILD_DIR",
                   os.path.join(common.SOURCE_DIR, "build", "dev")),
    "tests", "tools", "op-audit-gen"))
EX_DATAERR, EX_NOINPUT, EX_USAGE, EX_NOPERM, EX_TEMPFAIL = 65, 66, 64, 77, 75
GENESIS = "0" * 64


def netstring(b):
    return str(len(b)).encode() + b":" + b + b","


def chain_hash(prev, row):
    """The chain format documented in agent/audit/audit.h, written
    independently of audit-chain.c."""
    parts = [b"outpost-audit-1", prev.encode(), str(row["id"]).encode(),
             str(row["time_us"]).encode(),
             b"" if row["session"] is None else str(row["session"]).encode(),
             row["type"].encode(), row["fields_text"].encode()]
    return hashlib.sha256(b"".join(netstring(p) for p in parts)).hexdigest()


class AuditCase(common.TempDirCase):
    def setUp(self):
        super().setUp()
        if not os.path.exists(GEN):
            self.skipTest(f"{GEN} not built")
        self.state = os.path.join(self.tmp, "state")
        self.db = os.path.join(self.state, "audit.db")
        self.cfg = self.config()

    def config(self, extra=""):
        return self.write_config(f"state_dir: {self.state}\n{extra}")

    def gen(self, *args):
        p = subprocess.run([GEN, self.state] + list(args),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return [int(x) for x in p.stdout.split()]

    def audit(self, *args, cfg=None, **kw):
        return run(["-c", cfg or self.cfg, "audit"] + list(args), **kw)

    def sql(self, statement, params=()):
        db = sqlite3.connect(self.db)
        try:
            rows = db.execute(statement, params).fetchall()
            db.commit()
            return rows
        finally:
            db.close()


class Verify(AuditCase):
    def setUp(self):
        super().setUp()
        self.sessions = self.gen("--sessions", "4", "--weird")

    def verify(self):
        return self.audit("verify")

    def test_intact(self):
        p = self.verify()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        n = self.sql("SELECT count(*) FROM events")[0][0]
        self.assertIn(f"audit trail intact: {n} rows, events#1-{n}, head ",
                      p.stdout)
        head = self.sql("SELECT hash FROM events ORDER BY id DESC "
                        "LIMIT 1")[0][0]
        self.assertIn(head, p.stdout)

    def test_edited_row_named(self):
        self.sql("UPDATE events SET fields = ? WHERE id = 5",
                 ('{"reason":"nothing happened"}',))
        p = self.verify()
        self.assertEqual(p.returncode, EX_DATAERR, p.stdout)
        self.assertIn("row events#5: hash mismatch (edited)", p.stdout)
        self.assertIn("NOT intact", p.stdout)

    def test_edited_with_sqlite3_cli(self):
        if shutil.which("sqlite3") is None:
            self.skipTest("sqlite3 CLI not installed")
        subprocess.run(["sqlite3", self.db, "UPDATE events SET type = "
                        "'session.nothing' WHERE id = 3"], check=True,
                       timeout=30)
        p = self.verify()
        self.assertEqual(p.returncode, EX_DATAERR)
        self.assertIn("row events#3: hash mismatch (edited)", p.stdout)

    def test_deleted_rows_named(self):
        self.sql("DELETE FROM events WHERE id IN (12, 13)")
        p = self.verify()
        self.assertEqual(p.returncode, EX_DATAERR, p.stdout)
        self.assertIn("rows 12-13 missing (deleted)", p.stdout)

    def test_rehashed_row_named(self):
        row = self.export()[6]
        row["fields_text"] = '{"reason":"forged"}'
        h = chain_hash(row["prev_hash"], row)
        self.sql("UPDATE events SET fields = ?, hash = ? WHERE id = ?",
                 (row["fields_text"], h, row["id"]))
        p = self.verify()
        self.assertEqual(p.returncode, EX_DATAERR)
        self.assertIn(f"row events#{row['id']}: edited and re-hashed "
                      f"(events#{row['id'] + 1} no longer links to it)",
                      p.stdout)

    def test_damaged_file(self):
        with open(self.db, "r+b") as f:
            f.truncate(os.path.getsize(self.db) // 2)
        p = self.verify()
        self.assertEqual(p.returncode, EX_DATAERR, p.stdout + p.stderr)
        with open(self.db, "wb") as f:
            f.write(os.urandom(4096))
        for args in (["verify"], ["list"], ["export"], ["show", "1"]):
            p = self.audit(*args)
            self.assertEqual(p.returncode, EX_DATAERR, args)
            self.assertIn("not an outpost audit database", p.stderr)

    def export(self):
        p = self.audit("export", "--format", "jsonl")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = []
        db = sqlite3.connect(self.db)
        raw = dict(db.execute("SELECT id, fields FROM events"))
        db.close()
        for line in p.stdout.splitlines():
            r = json.loads(line)
            r["fields_text"] = raw[r["id"]]
            rows.append(r)
        return rows

    def test_python_recomputes_chain(self):
        rows = self.export()
        self.assertEqual([r["id"] for r in rows],
                         list(range(1, len(rows) + 1)))
        prev = GENESIS
        for r in rows:
            self.assertEqual(r["prev_hash"], prev)
            self.assertEqual(chain_hash(prev, r), r["hash"], r["id"])
            self.assertIsInstance(r["fields"], dict)
            prev = r["hash"]


class Query(AuditCase):
    def setUp(self):
        super().setUp()
        self.sessions = self.gen("--sessions", "4", "--weird")

    def test_list_text_and_json(self):
        p = self.audit("list")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("10000001", p.stdout)
        self.assertIn("denied:wrong-password", p.stdout)
        self.assertNotIn("\x1b", p.stdout)
        p = self.audit("list", "--json")
        sessions = json.loads(p.stdout)
        self.assertEqual([s["id"] for s in sessions], self.sessions)
        first = sessions[0]
        self.assertEqual(first["outcome"], "authorized")
        self.assertEqual(first["auth_method"], "permanent-password")
        self.assertEqual(first["consent"], "allowed")
        self.assertEqual(first["permissions"], ["keyboard", "clipboard"])
        self.assertEqual(first["source"], "192.0.2.1:40001")
        self.assertEqual(first["path"], "punch")
        self.assertEqual(first["bytes_in"], 100000)
        self.assertEqual(first["close_reason"], "peer closed")
        self.assertEqual(sessions[1]["outcome"], "denied")
        self.assertEqual(sessions[1]["denied_reason"], "wrong-password")
        weird = sessions[-1]["peer_name"]
        self.assertTrue(weird.startswith("=cmd|"))
        self.assertIn("\x1b", weird)  # faithful in JSON, escaped on the wire

    def test_list_filters(self):
        def ids(*args):
            p = self.audit("list", "--json", *args)
            self.assertEqual(p.returncode, 0, p.stderr)
            return [s["id"] for s in json.loads(p.stdout)]

        self.assertEqual(ids("--peer", "10000002"), [2])
        self.assertEqual(ids("--since", "1h"), self.sessions)
        self.assertEqual(ids("--until", "2000-01-01"), [])
        self.assertEqual(ids("--since", "2000-01-01 10:00",
                             "--until", "2999-12-31T00:00:00Z"),
                         self.sessions)
        p = self.audit("list", "--since", "yesterday")
        self.assertEqual(p.returncode, EX_USAGE)
        self.assertIn("bad time", p.stderr)

    def test_show(self):
        p = self.audit("show", "1")
        self.assertEqual(p.returncode, 0, p.stderr)
        for word in ("session 1", "authorized (permanent-password, "
                     "consent allowed)", "session.open",
                     "session.authorized", "session.blocked",
                     "session.close", "keyboard"):
            self.assertIn(word, p.stdout)
        p = self.audit("show", "1", "--json")
        doc = json.loads(p.stdout)
        self.assertEqual(doc["session"]["peer_id"], "10000001")
        self.assertEqual([e["type"] for e in doc["events"]],
                         ["session.open", "session.authorized",
                          "session.blocked", "session.close"])
        self.assertEqual(self.audit("show", "99").returncode, EX_NOINPUT)
        self.assertEqual(self.audit("show", "x").returncode, EX_USAGE)

    def test_export_csv(self):
        p = self.audit("export", "--format", "csv")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = list(csv.reader(io.StringIO(p.stdout)))
        self.assertEqual(rows[0], ["id", "time", "time_us", "session",
                                   "type", "fields", "prev_hash", "hash"])
        n = self.sql("SELECT count(*) FROM events")[0][0]
        self.assertEqual(len(rows), n + 1)
        for r in rows[1:]:
            for cell in r:
                self.assertFalse(cell[:1] in ("=", "+", "-", "@"), cell)
                self.assertNotIn("\x1b", cell)
        self.assertEqual(rows[1][6], GENESIS)

    def test_export_filters(self):
        p = self.audit("export", "--peer", "10000003")
        types = [json.loads(line)["type"] for line in p.stdout.splitlines()]
        self.assertEqual(types, ["session.open", "session.authorized",
                                 "session.blocked", "session.close"])
        p = self.audit("export", "--format", "xml")
        self.assertEqual(p.returncode, EX_USAGE)

    def test_read_only(self):
        before = self.sql("SELECT count(*), max(hash) FROM events")
        for args in (["list"], ["show", "1"], ["export"], ["verify"]):
            self.assertEqual(self.audit(*args).returncode, 0, args)
        self.assertEqual(self.sql("SELECT count(*), max(hash) FROM events"),
                         before)
        self.assertEqual(os.stat(self.db).st_mode & 0o777, 0o600)

    def test_missing_and_forbidden(self):
        cfg = self.write_config(f"state_dir: {self.tmp}/empty\n", "e.yaml")
        p = self.audit("verify", cfg=cfg)
        self.assertEqual(p.returncode, EX_NOINPUT)
        self.assertIn("nothing recorded yet", p.stderr)
        if os.geteuid() != 0:
            return
        os.chmod(self.cfg, 0o644)
        p = self.audit("list", user="65534")
        self.assertEqual(p.returncode, EX_NOPERM, p.stderr)


class ApiServer:
    """A RustDesk-Pro-like /api/audit/conn on loopback that records what
    it gets; `fail` answers 503 to that many requests first; `raw` (bytes)
    replaces the whole answer."""

    def __init__(self, port, tls=None, fail=0, raw=None):
        self.records = []
        self.requests = 0
        self.fail = fail
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with outer.lock:
                    outer.requests += 1
                    failing = outer.fail > 0
                    if failing:
                        outer.fail -= 1
                    else:
                        outer.records.append(
                            (self.path, self.headers.get("Content-Type"),
                             json.loads(body)))
                if raw is not None:
                    self.wfile.write(raw)
                    return
                self.send_response(503 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                                     Handler)
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                                server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def unique(self):
        """Records after de-duplication by nonce (what Pro stores)."""
        seen = {}
        for path, ctype, rec in self.records:
            seen.setdefault(rec["nonce"], (path, ctype, rec))
        return list(seen.values())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Forward(AuditCase):
    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.servers = []
        # Sessions 1 and 3 authorized (new, authorized, close), session 2
        # denied (new, close): 8 records.
        self.gen("--sessions", "3", "--forward")
        self.cfg = self.fwd_config(f"http://127.0.0.1:{self.port}/base/")

    def tearDown(self):
        for s in self.servers:
            s.stop()
        super().tearDown()

    def fwd_config(self, url, ca=""):
        return self.config("audit:\n  forward:\n    enabled: true\n"
                           f"    url: \"{url}\"\n    ca: \"{ca}\"\n"
                           "    timeout: 5s\n")

    def serve(self, **kw):
        s = ApiServer(self.port, **kw)
        self.servers.append(s)
        return s

    def queued(self):
        return self.sql("SELECT count(*) FROM forward_queue")[0][0]

    def check_records(self, srv, path="/base/api/audit/conn"):
        recs = srv.unique()
        self.assertEqual(len(recs), 8)
        for p, ctype, r in recs:
            self.assertEqual(p, path)
            self.assertEqual(ctype, "application/json")
            self.assertEqual(r["id"], "123456789")
            self.assertEqual(r["uuid"], "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"
                                        "ODlhYmNkZWY=")
        by_conn = {}
        for _, _, r in recs:
            by_conn.setdefault(r["conn_id"], []).append(r)
        self.assertEqual(sorted(by_conn), [1, 2, 3])
        one = by_conn[1]
        self.assertEqual(one[0]["action"], "new")
        self.assertEqual(one[0]["ip"], "192.0.2.1")
        self.assertEqual(one[1]["peer"], ["10000001", "tech"])
        self.assertEqual(one[1]["type"], 0)
        self.assertEqual(one[1]["primary_auth"], 3)
        self.assertEqual(one[1]["session_id"], 7001)
        self.assertEqual(one[2]["action"], "close")
        self.assertEqual(one[2]["session_id"], 7001)
        self.assertEqual([r.get("action") for r in by_conn[2]],
                         ["new", "close"])

    def test_down_then_up(self):
        self.assertEqual(self.queued(), 8)
        p = self.audit("forward")
        self.assertEqual(p.returncode, EX_TEMPFAIL, p.stderr)
        self.assertIn("stays queued", p.stderr)
        self.assertEqual(self.queued(), 8)
        srv = self.serve()
        p = self.audit("forward")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("8 records sent", p.stdout)
        self.assertEqual(self.queued(), 0)
        self.assertEqual(len(srv.records), 8)  # exactly once
        self.check_records(srv)
        p = self.audit("forward")
        self.assertEqual(p.returncode, 0)
        self.assertIn("0 records sent", p.stdout)
        self.assertEqual(len(srv.records), 8)
        # Forwarding changes nothing in the chain.
        self.assertEqual(self.audit("verify").returncode, 0)

    def test_flaky_server_same_nonce(self):
        srv = self.serve(fail=2)
        for _ in range(2):
            p = self.audit("forward")
            self.assertEqual(p.returncode, EX_TEMPFAIL)
            self.assertIn("HTTP 503", p.stderr)
        p = self.audit("forward")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(srv.requests, 10)
        self.check_records(srv)

    def test_hostile_answers(self):
        for raw in (b"SSH-2.0-OpenSSH_9.2\r\n",
                    b"HTTP/1.1 200 OK\r\n" + b"X: " + b"a" * 9000 + b"\r\n",
                    b"HTTP/1.1 200 OK\r\n folded: header\r\n\r\n"):
            srv = self.serve(raw=raw)
            p = self.audit("forward")
            self.assertEqual(p.returncode, EX_TEMPFAIL, raw)
            self.assertEqual(self.queued(), 8)
            srv.stop()
            self.servers.remove(srv)
        # A 2xx with a large body: the body is ignored.
        self.serve(raw=b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 200000)
        self.assertEqual(self.audit("forward").returncode, 0)
        self.assertEqual(self.queued(), 0)

    def silent_server(self):
        """Accepts and reads, never answers (nor speaks TLS)."""
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(8)
        conns = []

        def loop():
            while True:
                try:
                    c, _ = sock.accept()
                except OSError:
                    return
                conns.append(c)

        threading.Thread(target=loop, daemon=True).start()

        class Stopper:
            def stop(self):
                sock.close()
                for c in conns:
                    c.close()
        self.servers.append(Stopper())

    def test_silent_server_times_out(self):
        self.silent_server()
        for url in (f"http://127.0.0.1:{self.port}",
                    f"https://localhost:{self.port}"):
            cfg = self.config("audit:\n  forward:\n    enabled: true\n"
                              f"    url: \"{url}\"\n    timeout: 1s\n")
            start = time.monotonic()
            p = self.audit("forward", cfg=cfg)
            self.assertEqual(p.returncode, EX_TEMPFAIL, p.stderr)
            self.assertIn("timed out", p.stderr)
            self.assertLess(time.monotonic() - start, 10)
            self.assertEqual(self.queued(), 8)

    def openssl(self, *args):
        subprocess.run(["openssl"] + list(args), cwd=self.tmp, check=True,
                       capture_output=True, timeout=60)

    def make_ca(self, name):
        self.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", f"{name}.key", "-out", f"{name}.pem",
                     "-days", "2", "-subj", f"/O=Outpost tests/CN={name}",
                     "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        return os.path.join(self.tmp, f"{name}.pem")

    def make_cert(self, ca):
        self.write_config("subjectAltName=DNS:localhost\n"
                          "basicConstraints=CA:FALSE\n"
                          "keyUsage=critical,digitalSignature\n"
                          "extendedKeyUsage=serverAuth\n", "srv.ext", 0o644)
        self.openssl("req", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", "srv.key", "-out", "srv.csr",
                     "-subj", "/CN=localhost")
        self.openssl("x509", "-req", "-in", "srv.csr", "-CA", f"{ca}.pem",
                     "-CAkey", f"{ca}.key", "-set_serial",
                     str(int(time.time() * 1000)), "-days", "2",
                     "-extfile", "srv.ext", "-out", "srv.pem")
        return (os.path.join(self.tmp, "srv.pem"),
                os.path.join(self.tmp, "srv.key"))

    def test_https_throwaway_ca(self):
        if shutil.which("openssl") is None:
            self.skipTest("openssl not installed")
        ca = self.make_ca("ca")
        other = self.make_ca("other")
        srv = self.serve(tls=self.make_cert("ca"))
        url = f"https://localhost:{self.port}"
        p = self.audit("forward", cfg=self.fwd_config(url, other))
        self.assertEqual(p.returncode, EX_TEMPFAIL)
        self.assertIn("not trusted", p.stderr)
        self.assertEqual(self.queued(), 8)
        self.assertEqual(srv.records, [])
        p = self.audit("forward", cfg=self.fwd_config(url, ca))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.queued(), 0)
        self.assertEqual(len(srv.records), 8)
        self.check_records(srv, "/api/audit/conn")

    def test_not_configured(self):
        p = self.audit("forward", cfg=self.config())
        self.assertEqual(p.returncode, 78)
        self.assertIn("audit.forward.enabled", p.stderr)


if __name__ == "__main__":
    common.main()
