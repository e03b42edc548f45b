#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""File transfer end to end (protocol reference §11, issue 14): the agent
with policy.allow.file_transfer, policy.files.roots and
policy.files.max_bytes, the independent technician client
(tests/peers/client_files.py) logged in over direct IP as a file-transfer
session.

  - the roots appear as top-level folders, nothing else does;
  - trees both ways (random, empty, sparse, nested), 200 MB files with the
    agent's peak RSS bounded, zstd blocks for text;
  - resume after a dropped connection, both ways; overwrite and skip;
  - every escape: '..', absolute names, a symlink in the middle and at the
    end, /proc/self/root, a symlink swapped in during an upload;
  - policy: off (the login is refused), download only, upload only;
  - a full disk (1 MiB tmpfs root) and a read-only filesystem.

  - the login lists its folder unasked, as RustDesk's host does;
  - one audit record per file: path, direction, size, SHA-256, outcome.

Written from the protocol reference, not from the agent's code.  The
agent runs with a small ASan quarantine here (ASAN_OPTIONS), because the
sanitizer's own hold on freed memory would otherwise hide what the memory
bound is about."""
import os
import subprocess

from agent import Agent
from common import (TempDirCase, give_to_network_account, main,
                    make_share_tree, proc_status_kib,
                    write_file)

import client
from client import FileError

PASSWORD = "files test password"
MB = 1 << 20


def same(a, b):
    with open(a, "rb") as x, open(b, "rb") as y:
        while True:
            p, q = x.read(MB), y.read(MB)
            if p != q:
                return False
            if not p:
                return True


def json_fields(event):
    """An audit event's fields as a dict (they are stored as JSON)."""
    import json
    f = event.get("fields", event)
    return json.loads(f) if isinstance(f, str) else f


class FilesCase(TempDirCase):
    def setUp(self):
        super().setUp()
        self.share, self.outside, self.local = make_share_tree(self.tmp)
        self.agent = None
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        if self.agent is not None:
            self.agent.stop()
        for m in getattr(self, "mounts", []):
            subprocess.run(["umount", "-l", m], check=False)
        super().tearDown()

    def start(self, allow="both", roots=None, max_bytes=0):
        roots = roots or [self.share]
        extra = ("policy:\n  allow:\n    file_transfer: " + allow + "\n  files:\n"
                 "    roots: [" + ", ".join(f'"{r}"' for r in roots) + "]\n"
                 f"    max_bytes: {max_bytes}\n")
        give_to_network_account(*roots)
        self.agent = Agent(self.tmp, extra=extra)
        self.agent.set_password(PASSWORD)
        os.environ["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "") +
                                      ":quarantine_size_mb=8").lstrip(":")
        self.agent.start()
        self.agent.log_with("direct", 5)

    def connect(self, expect_login=True):
        c = client.Client(("127.0.0.1", self.agent.direct_port), direct=True,
                          kind="file-transfer", timeout=30)
        self.clients.append(c)
        c.handshake()
        pi = c.login(PASSWORD)
        if expect_login:
            self.assertNotIsInstance(pi, str, f"login: {pi}")
        return c, pi

    def dropped_session_gone(self):
        """A client that reconnects at once would find the dropped
        session still closing (its upload's lock held): wait for it."""
        self.agent.wait_status(lambda s: s["sessions"] == 0, timeout=10)

    def audit_events(self, kind="file.transfer"):
        import json
        from common import run
        out = []
        for s in json.loads(run(["-c", self.agent.config, "audit", "list",
                                 "--json"]).stdout):
            p = run(["-c", self.agent.config, "audit", "show", str(s["id"]),
                     "--json"])
            out += [e for e in json.loads(p.stdout).get("events", [])
                    if e.get("type") == kind]
        return out

    # ------------------------------------------------------------ tests
    def test_roots_and_escapes(self):
        self.start()
        write_file(os.path.join(self.share, "a.txt"), b"hello")
        c, pi = self.connect()
        self.assertTrue(pi.username)
        self.assertEqual([e.name for e in c.initial_listing().entries], ["share"])
        top = c.read_dir("/")
        self.assertEqual([e.name for e in top.entries], ["share"])
        names = {e.name: e for e in c.read_dir("/share").entries}
        self.assertIn("a.txt", names)
        self.assertEqual(names["link_out"].entry_type, 5)     # shown, not followed
        for bad in ("/share/../outside", "/share/link_out", "/share/link_out/secret.txt",
                    "/etc", "/share/proc/etc", "/../etc/passwd"):
            with self.assertRaises(FileError, msg=bad):
                c.read_dir(bad)
        r = c.download("/share/link_out/secret.txt", os.path.join(self.local, "s"))
        self.assertFalse(r.done)
        self.assertFalse(os.path.exists(os.path.join(self.local, "s")))
        # names of an upload: refused before anything is written
        for name in ("../evil.txt", "/etc/evil.txt", "a/../../evil.txt"):
            i = c.next_job_id()
            c.send_file_action("receive", id=i, path="/share", files=[
                client.mpb.FileEntry(entry_type=4, name=name, size=4)], total_size=4)
            with self.assertRaises(FileError):
                c._wait_job(i, ("done",), 10)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "evil.txt")))
        src = os.path.join(self.local, "x.txt")
        write_file(src, b"PWNED")
        r = c.upload(src, "/share/link_out/x.txt")
        self.assertIsNotNone(r.error)
        self.assertFalse(os.path.exists(os.path.join(self.outside, "x.txt")))
        with open(os.path.join(self.outside, "secret.txt"), "rb") as f:
            self.assertEqual(f.read(), b"SECRET")

    def test_trees_both_ways(self):
        self.start()
        tree = os.path.join(self.local, "tree")
        write_file(os.path.join(tree, "text.txt"), b"".join(b"line %d\n" % i for i in range(200000)))
        write_file(os.path.join(tree, "d", "rand.bin"), os.urandom(3 * MB + 17))
        write_file(os.path.join(tree, "d", "e", "empty"), b"")
        with open(os.path.join(tree, "sparse.img"), "wb") as f:
            f.truncate(64 * MB)
            f.seek(32 * MB)
            f.write(b"X")
        c, _ = self.connect()
        r = c.upload(tree, "/share/tree")
        self.assertTrue(r.done, r)
        self.assertGreater(r.compressed_blocks, 0)
        for n in ("text.txt", "d/rand.bin", "d/e/empty", "sparse.img"):
            self.assertTrue(same(os.path.join(tree, n), os.path.join(self.share, "tree", n)), n)
        self.assertFalse([n for n in os.listdir(os.path.join(self.share, "tree"))
                          if n.startswith(".outpost-part")])
        # One audit record per file, with its SHA-256.
        import hashlib
        deadline = __import__("time").monotonic() + 10
        while len(self.audit_events()) < 4 and __import__("time").monotonic() < deadline:
            c.pump(0.2)
        ups = {json_fields(e)["path"]: json_fields(e) for e in self.audit_events()}
        for n in ("text.txt", "d/rand.bin", "d/e/empty", "sparse.img"):
            rec = ups["/share/tree/" + n]
            with open(os.path.join(tree, n), "rb") as f:
                self.assertEqual(rec["sha256"], hashlib.sha256(f.read()).hexdigest(), n)
            self.assertEqual((rec["op"], rec["outcome"]), ("upload", "ok"))
            self.assertEqual(rec["size"], os.path.getsize(os.path.join(tree, n)))
            self.assertTrue(rec["host_path"].startswith(self.share))
        back = os.path.join(self.local, "back")
        r = c.download("/share/tree", back)
        self.assertTrue(r.done, r)
        self.assertEqual(len(r.files), 4)
        for n in ("text.txt", "d/rand.bin", "d/e/empty", "sparse.img"):
            self.assertTrue(same(os.path.join(tree, n), os.path.join(back, n)), n)

    def test_large_files_bounded_memory(self):
        self.start()
        big = os.path.join(self.local, "big.bin")
        with open(big, "wb") as f:
            for _ in range(200):
                f.write(os.urandom(MB))
        c, _ = self.connect()
        r = c.upload(big, "/share/big.bin")
        self.assertTrue(r.done, r)
        r = c.download("/share/big.bin", os.path.join(self.local, "big2.bin"))
        self.assertTrue(r.done, r)
        self.assertTrue(same(big, os.path.join(self.local, "big2.bin")))
        self.assertLess(proc_status_kib(self.agent.proc.pid, "VmHWM") / 1024, 100)

    def test_resume_after_drop(self):
        self.start()
        big = os.path.join(self.local, "r.bin")
        write_file(big, os.urandom(20 * MB))
        c, _ = self.connect()
        r = c.upload(big, "/share/r.bin", stop_after=7 * MB)
        self.assertTrue(r.dropped)
        self.dropped_session_gone()
        c2, _ = self.connect()
        r = c2.upload(big, "/share/r.bin", resume=True)
        self.assertTrue(r.done, r)
        self.assertGreater(r.files[0].offset, 0)
        self.assertTrue(same(big, os.path.join(self.share, "r.bin")))
        dst = os.path.join(self.local, "d.bin")
        r = c2.download("/share/r.bin", dst, stop_after=5 * MB)
        self.assertTrue(r.dropped)
        self.dropped_session_gone()
        c3, _ = self.connect()
        r = c3.download("/share/r.bin", dst, resume=True)
        self.assertTrue(r.done, r)
        self.assertGreater(r.files[0].offset, 0)
        self.assertTrue(same(big, dst))

    def test_overwrite_and_skip(self):
        self.start()
        write_file(os.path.join(self.share, "o.txt"), b"theirs")
        src = os.path.join(self.local, "o.txt")
        write_file(src, b"mine, longer")
        c, _ = self.connect()
        r = c.upload(src, "/share/o.txt", overwrite=False)
        self.assertTrue(r.done and r.files[0].status == "skipped", r)
        with open(os.path.join(self.share, "o.txt"), "rb") as f:
            self.assertEqual(f.read(), b"theirs")
        r = c.upload(src, "/share/o.txt")
        self.assertTrue(r.done, r)
        self.assertTrue(same(src, os.path.join(self.share, "o.txt")))
        r = c.download("/share/o.txt", src, overwrite=False)
        self.assertEqual(r.files[0].status, "skipped")

    def test_policy_directions(self):
        self.start(allow="off")
        c, pi = self.connect(expect_login=False)
        self.assertEqual(pi, "No permission of file transfer")
        self.agent.stop()
        self.start(allow="download")
        write_file(os.path.join(self.share, "a.txt"), b"a")
        src = os.path.join(self.local, "u.txt")
        write_file(src, b"u")
        c, _ = self.connect()
        self.assertTrue(c.download("/share/a.txt", os.path.join(self.local, "a")).done)
        self.assertIsNotNone(c.upload(src, "/share/u.txt").error)
        with self.assertRaises(FileError):
            c.remove_file("/share/a.txt")
        self.assertFalse(os.path.exists(os.path.join(self.share, "u.txt")))
        self.agent.stop()
        self.start(allow="upload")
        c, _ = self.connect()
        self.assertTrue(c.upload(src, "/share/u.txt").done)
        self.assertFalse(c.download("/share/a.txt", os.path.join(self.local, "b")).done)

    def _tmpfs(self, name, opts):
        path = os.path.join(self.tmp, name)
        os.makedirs(path)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", path],
                           capture_output=True, text=True)
        if p.returncode != 0:
            self.skipTest(f"cannot mount a tmpfs: {p.stderr.strip()}")
        self.mounts = getattr(self, "mounts", []) + [path]
        return path

    def test_disk_full_and_read_only(self):
        small = self._tmpfs("small", "size=1m")
        ro = self._tmpfs("rofs", "size=1m")
        write_file(os.path.join(ro, "keep.txt"), b"k")
        give_to_network_account(ro)  # (read-only below: as an admin would)
        subprocess.run(["mount", "-o", "remount,ro", ro], check=True)
        self.start(roots=[self.share, small, ro])
        src = os.path.join(self.local, "big.bin")
        write_file(src, os.urandom(3 * MB))
        c, _ = self.connect()
        r = c.upload(src, "/small/big.bin")
        self.assertIn("No space left on device", r.error or "")
        self.assertEqual(os.listdir(small), [])
        r = c.upload(src, "/rofs/big.bin")
        self.assertIn("Read-only file system", r.error or "")
        with self.assertRaises(FileError):
            c.remove_file("/rofs/keep.txt")


if __name__ == "__main__":
    main()
