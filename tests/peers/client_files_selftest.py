# SPDX-License-Identifier: MIT
"""Self-test of client_files.py (FilesMixin) against a fake file host
written here, in Python, from the protocol reference §11 and RustDesk's
host behaviour (hbb_common fs.rs: digest, send_confirm, blocks ending in
an empty one, .download/.digest resume; the C agent is not involved).
The fake host serves a temporary directory ("/" is its top) inside the
client_selftest ScriptedHost.  Last line: 'N passed, M failed'.

    /usr/bin/python3 tests/peers/client_files_selftest.py [-v] [name ...]
"""
import json
import os
import shutil
import sys
import tempfile
import time

import zstandard

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import client                                           # noqa: E402
import selftest_runner                                 # noqa: E402
from client import Client, FileError                    # noqa: E402
from client_selftest_host import PASSWORD, ScriptedHost, mpb  # noqa: E402

BLOCK = 128 * 1024


class FileHost:
    """The host side of §11 over a directory.  Blocks of a confirmed file
    are all sent at once (the client reads while it writes)."""

    def __init__(self, top, detection=True):
        self.top = top
        self.detection = detection
        self.events = []            # (what, details)
        self.reads = {}             # id -> {files, cur, path}
        self.writes = {}            # id -> {path, files, cur, fh, offset}

    def ev(self, what, **kw):
        self.events.append((what, kw))

    def real(self, path):
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if ".." in parts:
            raise OSError("'..' refused")
        return os.path.join(self.top, *parts)

    # ------------------------------------------------------------ replies
    def fr(self, hc, variant, **fields):
        m = mpb.Message()
        sub = getattr(m.file_response, variant)
        sub.SetInParent()
        for k, v in fields.items():
            if k == "entries":
                sub.entries.extend(v)
            elif k == "empty_dirs":
                sub.empty_dirs.extend(v)
            else:
                setattr(sub, k, v)
        hc.send(m)

    def entries(self, d, hidden):
        out = []
        for n in sorted(os.listdir(d)):
            if n.startswith(".") and not hidden:
                continue
            p = os.path.join(d, n)
            st = os.lstat(p)
            t = 0 if os.path.isdir(p) and not os.path.islink(p) else (
                5 if os.path.islink(p) else 4)
            out.append(mpb.FileEntry(entry_type=t, name=n, is_hidden=n.startswith("."),
                                     size=st.st_size if t == 4 else 0,
                                     modified_time=int(st.st_mtime)))
        return out

    def walk(self, p, hidden):
        if os.path.isfile(p):
            st = os.stat(p)
            return [mpb.FileEntry(entry_type=4, name="", size=st.st_size,
                                  modified_time=int(st.st_mtime))]
        out = []
        for root, dirs, files in os.walk(p):
            dirs[:] = sorted(x for x in dirs if hidden or not x.startswith("."))
            for f in sorted(files):
                if f.startswith(".") and not hidden:
                    continue
                fp = os.path.join(root, f)
                st = os.stat(fp)
                out.append(mpb.FileEntry(entry_type=4, name=os.path.relpath(fp, p),
                                         size=st.st_size, modified_time=int(st.st_mtime)))
        return sorted(out, key=lambda e: e.name)

    # ----------------------------------------------------------- dispatch
    def __call__(self, host, hc, cid, m):
        kind = m.WhichOneof("union")
        if kind == "file_action":
            v = m.file_action.WhichOneof("union")
            self.ev("action." + v)
            getattr(self, "a_" + v)(hc, getattr(m.file_action, v))
            return True
        if kind == "file_response":
            v = m.file_response.WhichOneof("union")
            self.ev("response." + v)
            getattr(self, "r_" + v)(hc, getattr(m.file_response, v))
            return True
        return False

    def a_read_dir(self, hc, rd):
        try:
            self.fr(hc, "dir", id=0, path=rd.path,
                    entries=self.entries(self.real(rd.path), rd.include_hidden))
        except OSError as e:
            self.fr(hc, "error", id=0, error=str(e.strerror or e), file_num=0)

    def a_read_empty_dirs(self, hc, rd):
        out = []
        for root, dirs, files in os.walk(self.real(rd.path)):
            if not dirs and not files:
                rel = os.path.relpath(root, self.top)
                out.append(mpb.FileDirectory(path="/" + rel))
        self.fr(hc, "empty_dirs", path=rd.path, empty_dirs=out)

    def a_all_files(self, hc, a):
        self.fr(hc, "dir", id=a.id, path=a.path, entries=self.walk(self.real(a.path), a.include_hidden))

    def _op(self, hc, job_id, fn, file_num=0):
        try:
            fn()
            self.fr(hc, "done", id=job_id, file_num=file_num)
        except OSError as e:
            self.fr(hc, "error", id=job_id, error=str(e.strerror or e), file_num=file_num)

    def a_create(self, hc, c):
        self._op(hc, c.id, lambda: os.makedirs(self.real(c.path), exist_ok=True))

    def a_remove_file(self, hc, r):
        self._op(hc, r.id, lambda: os.unlink(self.real(r.path)), r.file_num)

    def a_remove_dir(self, hc, r):
        self._op(hc, r.id, lambda: os.rmdir(self.real(r.path)))

    def a_rename(self, hc, r):
        p = self.real(r.path)
        self._op(hc, r.id, lambda: os.rename(p, os.path.join(os.path.dirname(p), r.new_name)))

    def a_cancel(self, hc, c):
        self.reads.pop(c.id, None)
        w = self.writes.pop(c.id, None)
        if w and w["fh"]:
            w["fh"].close()
            os.unlink(w["fh"].name)

    # ------------------------------------------------ download (read job)
    def a_send(self, hc, s):
        p = self.real(s.path)
        if not os.path.exists(p):
            return self.fr(hc, "error", id=s.id, error="No such file", file_num=0)
        files = self.walk(p, s.include_hidden)
        self.fr(hc, "dir", id=s.id, path=s.path, entries=files)
        self.reads[s.id] = {"files": files, "cur": s.file_num, "path": p}
        self.next_read(hc, s.id)

    def next_read(self, hc, job_id):
        j = self.reads[job_id]
        if j["cur"] >= len(j["files"]):
            del self.reads[job_id]
            return self.fr(hc, "done", id=job_id, file_num=j["cur"])
        e = j["files"][j["cur"]]
        if self.detection:
            return self.fr(hc, "digest", id=job_id, file_num=j["cur"], file_size=e.size,
                           last_modified=e.modified_time)
        self.send_blocks(hc, job_id, 0)

    def send_blocks(self, hc, job_id, offset):
        j = self.reads[job_id]
        k, e = j["cur"], j["files"][j["cur"]]
        path = j["path"] if e.name == "" else os.path.join(j["path"], e.name)
        self.ev("read_from", file_num=k, offset=offset)
        with open(path, "rb") as f:
            f.seek(offset)
            while True:
                data = f.read(BLOCK)
                if not data:
                    break
                z = zstandard.ZstdCompressor(level=3).compress(data)
                small = len(z) < len(data) and not e.name.endswith(".png")
                self.fr(hc, "block", id=job_id, file_num=k, data=z if small else data,
                        compressed=small)
        self.fr(hc, "block", id=job_id, file_num=k, data=b"")
        j["cur"] += 1
        self.next_read(hc, job_id)

    # -------------------------------------------------- upload (write job)
    def a_receive(self, hc, r):
        self.writes[r.id] = {"path": self.real(r.path), "files": list(r.files),
                             "cur": None, "fh": None, "size": 0, "mtime": 0}

    def target(self, w, k):
        n = w["files"][k].name
        return w["path"] if n == "" else os.path.join(w["path"], n)

    def finish(self, w):
        if w["fh"] is None:
            return
        w["fh"].close()
        t = self.target(w, w["cur"])
        os.replace(t + ".download", t)
        if os.path.exists(t + ".digest"):
            os.unlink(t + ".digest")
        w["fh"] = None

    def open_part(self, w, k, offset):
        t = self.target(w, k)
        os.makedirs(os.path.dirname(t), exist_ok=True)
        w["fh"] = open(t + ".download", "r+b" if offset else "wb")
        w["fh"].truncate(offset)
        w["fh"].seek(offset)
        with open(t + ".digest", "w") as f:
            json.dump({"size": w["size"], "modified": w["mtime"]}, f)
        w["cur"] = k
        self.ev("write_from", file_num=k, offset=offset)

    def r_digest(self, hc, d):
        w = self.writes[d.id]
        self.finish(w)
        t = self.target(w, d.file_num)
        w["cur"], w["size"], w["mtime"] = d.file_num, d.file_size, d.last_modified
        if d.is_resume and os.path.exists(t + ".download") and os.path.exists(t + ".digest"):
            with open(t + ".digest") as f:
                j = json.load(f)
            have = os.path.getsize(t + ".download")
            if j == {"size": d.file_size, "modified": d.last_modified} and have > 0:
                return self.fr(hc, "digest", id=d.id, file_num=d.file_num,
                               last_modified=d.last_modified, file_size=d.file_size,
                               is_identical=True, transferred_size=have, is_upload=True)
        if os.path.isfile(t):
            st = os.stat(t)
            return self.fr(hc, "digest", id=d.id, file_num=d.file_num,
                           last_modified=int(st.st_mtime), file_size=st.st_size,
                           is_identical=(int(st.st_mtime) == d.last_modified
                                         and st.st_size == d.file_size), is_upload=True)
        m = mpb.Message()
        m.file_action.send_confirm.id = d.id
        m.file_action.send_confirm.file_num = d.file_num
        m.file_action.send_confirm.offset_blk = 0
        hc.send(m)
        self.open_part(w, d.file_num, 0)

    def a_send_confirm(self, hc, c):
        if c.id in self.reads:
            self.ev("confirm", skip=c.WhichOneof("union") == "skip", offset=c.offset_blk)
            if c.WhichOneof("union") == "skip" and c.skip:
                self.reads[c.id]["cur"] += 1
                return self.next_read(hc, c.id)
            return self.send_blocks(hc, c.id, c.offset_blk)
        w = self.writes.get(c.id)
        if w is None:
            return
        if c.WhichOneof("union") == "skip" and c.skip:
            w["cur"] = None
            return
        self.open_part(w, c.file_num, c.offset_blk)

    def r_block(self, hc, b):
        w = self.writes.get(b.id)
        if w is None:
            return
        if w["fh"] is None or w["cur"] != b.file_num:    # no digest (old client)
            self.finish(w)
            e = w["files"][b.file_num]
            w["size"], w["mtime"] = e.size, e.modified_time
            self.open_part(w, b.file_num, 0)
        w["fh"].write(zstandard.ZstdDecompressor().decompressobj().decompress(b.data)
                      if b.compressed else b.data)

    def r_done(self, hc, d):
        w = self.writes.pop(d.id, None)
        if w is not None:
            self.finish(w)
            self.fr(hc, "done", id=d.id, file_num=d.file_num)

    def r_error(self, hc, e):
        self.writes.pop(e.id, None)


# ------------------------------------------------------------------ setup
def setup(detection=True):
    top = tempfile.mkdtemp(prefix="op-files-selftest-")
    srv, loc = os.path.join(top, "host"), os.path.join(top, "local")
    os.makedirs(os.path.join(srv, "tree", "sub"))
    os.makedirs(os.path.join(srv, "tree", "empty"))
    os.makedirs(loc)
    text = b"".join(b"line %d of some text\n" % i for i in range(40000))
    with open(os.path.join(srv, "tree", "text.txt"), "wb") as f:
        f.write(text)
    with open(os.path.join(srv, "tree", "sub", "rand.bin"), "wb") as f:
        f.write(os.urandom(300000))
    open(os.path.join(srv, "tree", "sub", "zero.txt"), "wb").close()
    with open(os.path.join(srv, ".hidden"), "wb") as f:
        f.write(b"h")
    fh = FileHost(srv, detection)
    h = ScriptedHost(on_message=fh)
    c = Client(h.addr, host_pk=h.pk, target_id=h.id, kind="file-transfer")
    c.handshake()
    pi = c.login(PASSWORD)
    assert pi.username == "tester" and not pi.displays, pi
    return top, srv, loc, fh, h, c


def same(a, b):
    with open(a, "rb") as x, open(b, "rb") as y:
        return x.read() == y.read()


def teardown(top, h, c):
    c.close()
    h.close()
    shutil.rmtree(top, ignore_errors=True)


# ------------------------------------------------------------------ tests
def t_read_dir_and_ops():
    top, srv, loc, fh, h, c = setup()
    try:
        d = c.read_dir("/")
        names = [e.name for e in d.entries]
        assert names == ["tree"], names
        d = c.read_dir("/", include_hidden=True)
        assert {e.name for e in d.entries} == {"tree", ".hidden"}
        assert [e.is_hidden for e in d.entries if e.name == ".hidden"] == [True]
        try:
            c.read_dir("/nope")
            raise AssertionError("no FileError")
        except FileError as e:
            assert "No such file" in e.text and e.job_id == 0, e
        fd = c.all_files("/tree")
        assert [e.name for e in fd.entries] == ["sub/rand.bin", "sub/zero.txt", "text.txt"]
        assert c.read_empty_dirs("/tree") == ["/tree/empty"]
        c.create_dir("/tree/new")
        c.rename("/tree/new", "renamed")
        assert os.path.isdir(os.path.join(srv, "tree", "renamed"))
        c.remove_dir("/tree/renamed")
        c.remove_file("/.hidden", file_num=4)
        assert not os.path.exists(os.path.join(srv, ".hidden"))
        try:
            c.remove_file("/.hidden")
            raise AssertionError("no FileError")
        except FileError as e:
            assert e.job_id is not None and e.file_num == 0
        kinds = [w for w, _ in fh.events]
        assert kinds.count("action.create") == 1 and "action.rename" in kinds
    finally:
        teardown(top, h, c)


def t_download_tree():
    top, srv, loc, fh, h, c = setup()
    try:
        r = c.download("/tree", os.path.join(loc, "tree"))
        assert r.done and r.error is None, r
        assert [f.status for f in r.files] == ["ok"] * 3, r.files
        for n in ("text.txt", "sub/rand.bin", "sub/zero.txt"):
            assert same(os.path.join(srv, "tree", n), os.path.join(loc, "tree", n)), n
        assert r.compressed_blocks >= 1 and r.wire_bytes < r.data_bytes
        assert len(r.digests) == 3
        assert not [n for n in os.listdir(os.path.join(loc, "tree")) if n.endswith(".digest")]
        # a single file: local is the file itself
        r = c.download("/tree/text.txt", os.path.join(loc, "one.txt"))
        assert r.done and same(os.path.join(srv, "tree/text.txt"), os.path.join(loc, "one.txt"))
        # no Record keeps block data
        assert all(not rec.msg.block.data for rec in c.received
                   if rec.kind == "file_response" and rec.msg.WhichOneof("union") == "block")
    finally:
        teardown(top, h, c)


def t_download_skip_and_resume():
    top, srv, loc, fh, h, c = setup()
    try:
        os.makedirs(os.path.join(loc, "tree"))
        with open(os.path.join(loc, "tree", "text.txt"), "wb") as f:
            f.write(b"mine")
        r = c.download("/tree", os.path.join(loc, "tree"), overwrite=False)
        assert r.done and [f.status for f in r.files].count("skipped") == 1, r.files
        assert open(os.path.join(loc, "tree", "text.txt"), "rb").read() == b"mine"
        # cut a download short, then resume it on a new connection
        r = c.download("/tree/sub/rand.bin", os.path.join(loc, "r.bin"), stop_after=100000)
        assert r.dropped and os.path.exists(os.path.join(loc, "r.bin.download"))
        have = os.path.getsize(os.path.join(loc, "r.bin.download"))
        assert have >= 100000
        c.close()
        h.close()
        h = ScriptedHost(on_message=fh)
        c = Client(h.addr, host_pk=h.pk, target_id=h.id, kind="file-transfer")
        c.handshake()
        c.login(PASSWORD)
        r = c.download("/tree/sub/rand.bin", os.path.join(loc, "r.bin"), resume=True)
        assert r.done and r.files[0].offset == have, r
        assert ("read_from", {"file_num": 0, "offset": have}) in fh.events
        assert same(os.path.join(srv, "tree/sub/rand.bin"), os.path.join(loc, "r.bin"))
    finally:
        teardown(top, h, c)


def t_upload_tree_and_resume():
    top, srv, loc, fh, h, c = setup()
    try:
        src = os.path.join(loc, "up")
        os.makedirs(os.path.join(src, "d"))
        with open(os.path.join(src, "d", "t.txt"), "wb") as f:
            f.write(b"abc\n" * 100000)
        with open(os.path.join(src, "e.bin"), "wb") as f:
            f.write(os.urandom(500000))
        open(os.path.join(src, "empty"), "wb").close()
        r = c.upload(src, "/uploaded")
        assert r.done and r.error is None, r
        assert [f.status for f in r.files] == ["ok"] * 3, r.files
        for n in ("d/t.txt", "e.bin", "empty"):
            assert same(os.path.join(src, n), os.path.join(srv, "uploaded", n)), n
        assert r.compressed_blocks == 4 and r.blocks == 8, (r.blocks, r.compressed_blocks)
        # exists: skip, then overwrite
        with open(os.path.join(srv, "uploaded", "e.bin"), "wb") as f:
            f.write(b"theirs")
        r = c.upload(os.path.join(src, "e.bin"), "/uploaded/e.bin", overwrite=False)
        assert r.done and r.files[0].status == "skipped" and r.digests[0].is_upload
        assert open(os.path.join(srv, "uploaded", "e.bin"), "rb").read() == b"theirs"
        r = c.upload(os.path.join(src, "e.bin"), "/uploaded/e.bin")
        assert r.done and same(os.path.join(src, "e.bin"), os.path.join(srv, "uploaded/e.bin"))
        # dropped mid-file, resumed by a new connection
        r = c.upload(os.path.join(src, "d", "t.txt"), "/res.txt", stop_after=2 * BLOCK)
        assert r.dropped
        time.sleep(0.2)
        h.close()
        h = ScriptedHost(on_message=fh)
        c = Client(h.addr, host_pk=h.pk, target_id=h.id, kind="file-transfer")
        c.handshake()
        c.login(PASSWORD)
        r = c.upload(os.path.join(src, "d", "t.txt"), "/res.txt", resume=True)
        assert r.done and r.files[0].offset == 2 * BLOCK, r
        assert r.digests[0].is_identical and r.digests[0].transferred_size == 2 * BLOCK
        assert same(os.path.join(src, "d/t.txt"), os.path.join(srv, "res.txt"))
    finally:
        teardown(top, h, c)


def t_cancel_and_old_client():
    top, srv, loc, fh, h, c = setup()
    try:
        r = c.download("/tree/sub/rand.bin", os.path.join(loc, "c.bin"), cancel_after=1)
        assert r.cancelled and not r.done
        big = os.path.join(loc, "big.bin")
        with open(big, "wb") as f:
            f.write(os.urandom(3 * BLOCK))
        r = c.upload(big, "/big.bin", cancel_after=BLOCK)
        assert r.cancelled
        c.pump(0.3)
        assert "action.cancel" in [w for w, _ in fh.events]
        assert not os.path.exists(os.path.join(srv, "big.bin.download"))
        # clients < 1.1.10: no digests, blocks straight away
        r = c.upload(big, "/old.bin", send_digest=False)
        assert r.done and same(big, os.path.join(srv, "old.bin")), r
        assert "response.digest" not in [w for w, _ in fh.events[-8:]]
        # raw builders for hostile tests
        c.send_file_action("read_dir", path="/", include_hidden=False)
        assert c._wait_job(0, ("dir",))[0] == "dir"
    finally:
        teardown(top, h, c)


def t_host_without_detection():
    top, srv, loc, fh, h, c = setup(detection=False)
    try:
        r = c.download("/tree", os.path.join(loc, "t"))
        assert r.done and not r.digests and len(r.files) == 3, r
        assert same(os.path.join(srv, "tree/text.txt"), os.path.join(loc, "t/text.txt"))
        json.dumps(r.as_dict())
        assert client.TransferResult is type(r)
    finally:
        teardown(top, h, c)


if __name__ == "__main__":
    sys.exit(selftest_runner.run(globals()))
