#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""File transfer interop, before the session serves it: the real xfer
module and its protobuf mapping (agent/xfer, through tests/tools/
op-xfer-host: plaintext framing, any login accepted) against the
independent Python technician client (tests/peers/client_files.py) over
TCP. Listings and escapes, trees both ways with the host's SHA-256 audit
results checked against the client's, zstd, resume after a dropped
connection both ways, skip and overwrite, hostile upload names, cancel,
a download-only policy, and the host's memory on a 64 MiB file.
test_files.py covers the same against outpost once it is wired."""
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import unittest

from common import (TempDirCase, main, SOURCE_DIR, make_share_tree,
                    proc_status_kib, write_file)

sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "peers"))
import client                                   # noqa: E402
from client import FileError                    # noqa: E402

HOST = os.environ.get("OP_XFER_HOST", os.path.join(
    SOURCE_DIR, "build", "dev", "tests", "tools", "op-xfer-host"))
MB = 1 << 20


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Host:
    def __init__(self, root, allow="both", max_bytes=0):
        # A small ASan quarantine, so freed blocks do not count as held.
        env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "")
                   + ":quarantine_size_mb=4")
        self.proc = subprocess.Popen([HOST, "0", root, allow, str(max_bytes)],
                                     stdout=subprocess.PIPE, text=True, env=env)
        self.port = json.loads(self.proc.stdout.readline())["port"]
        self.results = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.results.append(json.loads(line))

    def wait_results(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        while len(self.results) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.results

    def vm_hwm_mib(self):
        return proc_status_kib(self.proc.pid, "VmHWM") / 1024

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)


@unittest.skipUnless(os.path.exists(HOST), f"no {HOST}")
class InteropCase(TempDirCase):
    def setUp(self):
        super().setUp()
        self.share, self.outside, self.local = make_share_tree(self.tmp)
        self.hosts, self.clients = [], []

    def tearDown(self):
        for c in self.clients:
            c.close()
        for h in self.hosts:
            h.stop()
        super().tearDown()

    def host(self, **kw):
        h = Host(self.share, **kw)
        self.hosts.append(h)
        return h

    def connect(self, h):
        c = client.Client(("127.0.0.1", h.port), direct=True, kind="file-transfer",
                          timeout=20)
        self.clients.append(c)
        c.handshake()
        pi = c.login("any")
        self.assertEqual(pi.username, "tester")
        return c

    def test_listing_and_escapes(self):
        write_file(os.path.join(self.share, "a.txt"), b"a")
        write_file(os.path.join(self.share, ".h"), b"h")
        c = self.connect(self.host())
        self.assertEqual([e.name for e in c.read_dir("").entries], ["share"])
        d = {e.name: e for e in c.read_dir("/share").entries}
        self.assertEqual(set(d), {"a.txt", "link_out", "proc"})
        self.assertEqual(d["link_out"].entry_type, 5)
        self.assertIn(".h", {e.name for e in c.read_dir("/share", True).entries})
        for bad, why in (("/share/../outside", "'..'"), ("/share/link_out", "Symbolic"),
                         ("/share/proc/etc", "Symbolic"), ("/etc", "Not a shared folder")):
            with self.assertRaises(FileError) as e:
                c.read_dir(bad)
            self.assertIn(why, e.exception.text)
        r = c.download("/share/link_out/secret.txt", os.path.join(self.local, "s"))
        self.assertIn("Symbolic links are not followed", r.error)
        for name in ("../evil", "/etc/evil", "a/../../evil", "a/\x01b"):
            i = c.next_job_id()
            c.send_file_action("receive", id=i, path="/share", files=[
                client.mpb.FileEntry(entry_type=4, name=name, size=4)], total_size=4)
            with self.assertRaises(FileError):
                c._wait_job(i, ("done",), 10)
        src = os.path.join(self.local, "x")
        write_file(src, b"PWNED")
        self.assertIsNotNone(c.upload(src, "/share/link_out/x").error)
        self.assertEqual(sorted(os.listdir(self.outside)), ["secret.txt"])
        c.create_dir("/share/n/m")
        c.rename("/share/n/m", "k")
        c.remove_dir("/share/n", recursive=True)
        self.assertFalse(os.path.exists(os.path.join(self.share, "n")))

    def test_trees_both_ways(self):
        tree = os.path.join(self.local, "tree")
        write_file(os.path.join(tree, "text.txt"), b"".join(b"line %d\n" % i for i in range(100000)))
        write_file(os.path.join(tree, "d", "rand.bin"), os.urandom(MB + 3))
        write_file(os.path.join(tree, "d", "e", "empty"), b"")
        h = self.host()
        c = self.connect(h)
        r = c.upload(tree, "/share/tree")
        self.assertTrue(r.done, r)
        self.assertLess(r.wire_bytes, r.data_bytes)
        res = h.wait_results(3)
        self.assertEqual({x["path"]: x["sha256"] for x in res},
                         {f"/share/tree/{f.name}": f.sha256 for f in r.files})
        back = os.path.join(self.local, "back")
        r = c.download("/share/tree", back)
        self.assertTrue(r.done, r)
        self.assertGreater(r.compressed_blocks, 0)
        for n in ("text.txt", "d/rand.bin", "d/e/empty"):
            self.assertEqual(sha(os.path.join(tree, n)), sha(os.path.join(back, n)), n)
        down = [x for x in h.wait_results(6) if x["op"] == "download"]
        self.assertEqual([x["outcome"] for x in down], ["ok"] * 3)

    def test_resume_both_ways(self):
        src = os.path.join(self.local, "r.bin")
        write_file(src, os.urandom(6 * MB))
        h = self.host()
        c = self.connect(h)
        r = c.upload(src, "/share/r.bin", stop_after=2 * MB)
        self.assertTrue(r.dropped)
        res = h.wait_results(1)
        self.assertEqual(res[0]["outcome"], "interrupted")
        c = self.connect(h)
        r = c.upload(src, "/share/r.bin", resume=True)
        self.assertTrue(r.done, r)
        self.assertGreaterEqual(r.files[0].offset, 2 * MB)
        res = h.wait_results(2)
        self.assertEqual(res[1]["sha256"], sha(src))
        self.assertEqual(res[1]["offset"], r.files[0].offset)
        dst = os.path.join(self.local, "d.bin")
        r = c.download("/share/r.bin", dst, stop_after=3 * MB)
        self.assertTrue(r.dropped)
        c = self.connect(h)
        r = c.download("/share/r.bin", dst, resume=True)
        self.assertTrue(r.done, r)
        self.assertGreaterEqual(r.files[0].offset, 3 * MB)
        self.assertEqual(sha(dst), sha(src))

    def test_skip_overwrite_cancel(self):
        write_file(os.path.join(self.share, "o.txt"), b"theirs")
        src = os.path.join(self.local, "o.txt")
        write_file(src, b"mine, longer")
        c = self.connect(self.host())
        r = c.upload(src, "/share/o.txt", overwrite=False)
        self.assertEqual(r.files[0].status, "skipped")
        self.assertFalse(r.digests[0].is_identical)
        with open(os.path.join(self.share, "o.txt"), "rb") as f:
            self.assertEqual(f.read(), b"theirs")
        self.assertTrue(c.upload(src, "/share/o.txt").done)
        self.assertEqual(sha(src), sha(os.path.join(self.share, "o.txt")))
        r = c.download("/share/o.txt", src, overwrite=False)
        self.assertTrue(r.done and r.files[0].status == "skipped", r)
        big = os.path.join(self.local, "big")
        write_file(big, os.urandom(4 * MB))
        r = c.upload(big, "/share/big", cancel_after=MB)
        self.assertTrue(r.cancelled)
        c.pump(0.5)
        self.assertEqual([n for n in os.listdir(self.share) if "part" in n], [])

    def test_download_only_and_memory(self):
        write_file(os.path.join(self.share, "big.bin"), os.urandom(64 * MB))
        h = self.host(allow="download")
        c = self.connect(h)
        r = c.download("/share/big.bin", os.path.join(self.local, "big.bin"))
        self.assertTrue(r.done, r)
        # Streaming: far less than the 64 MiB file (ASan builds included).
        self.assertLess(h.vm_hwm_mib(), 48)
        with self.assertRaises(FileError) as e:
            c.create_dir("/share/x")
        self.assertIn("not allowed", e.exception.text)
        r = c.upload(os.path.join(self.local, "big.bin"), "/share/up.bin")
        self.assertIn("not allowed", r.error)


if __name__ == "__main__":
    main()
