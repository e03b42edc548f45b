# SPDX-License-Identifier: MIT
"""File transfer of the technician client (§11), FilesMixin of
client.Client, written from the protocol reference and rustdesk/hbb_common
src/fs.rs (TransferJob write/read, digests, resume) and rustdesk
src/client/io_loop.rs (the client's answers to digests).

    entries = c.read_dir("/share").entries           # FileDirectory (id 0)
    r = c.download("/share/dir", "/tmp/got")          # FileAction.send
    r = c.upload("/tmp/tree", "/share/tree")          # FileAction.receive
    c.create_dir("/share/new"); c.rename("/share/a", "b")
    c.remove_file("/share/b"); c.remove_dir("/share/new", recursive=True)

Like the stock client, downloads go to "<file>.download" with a
"<file>.digest" JSON ({"size", "modified"}) next to it, renamed into place
on the next file, done; a later download(..., resume=True) continues a
.download whose digest matches (send_confirm offset_blk = its size, a
byte offset).  Uploads answer the host's digest: resume when it says
is_identical with transferred_size, else overwrite or skip.  Blocks are
128 KiB, zstd level 3 when smaller (never for already compressed types),
an empty block ends each file.  stop_after= closes the socket mid-transfer
(a dropped connection), cancel_after= sends FileAction.cancel.

Nothing is kept of block data: Records of received blocks have their data
cleared once written, and sent blocks are logged without wire bytes, so
gigabyte transfers run in bounded memory."""
import collections
import json
import os
import time

try:
    from . import rdproto as rp
    from .client_base import ClientError, Message, SessionClosed, Sent, mpb
except ImportError:
    import rdproto as rp
    from client_base import ClientError, Message, SessionClosed, Sent, mpb

BLOCK_SIZE = 128 * 1024
COMPRESSED_EXTS = ("xz", "gz", "zip", "7z", "rar", "bz2", "tgz", "png", "jpg")
FILE_TYPE_NAMES = {0: "Dir", 2: "DirLink", 3: "DirDrive", 4: "File", 5: "FileLink"}
MAX_BLOCK_OUT = 64 << 20    # decompression cap per block (hostile hosts)

FileResult = collections.namedtuple("FileResult", "name size status error sha256 offset")
FileResult.__doc__ = ("One file of a transfer: status 'ok' | 'skipped' | 'error' | "
                      "'partial' (downloads: size differs from the listing), size = "
                      "bytes of the file, sha256 hex of it ('ok' only), offset = "
                      "where a resume started.")


class FileError(ClientError):
    """The host answered a file action with FileTransferError."""

    def __init__(self, text, job_id=None, file_num=None):
        super().__init__(text)
        self.text, self.job_id, self.file_num = text, job_id, file_num


class TransferResult:
    """What a download()/upload() saw: files [FileResult], done (host's
    done), error (first job error text), errors [(file_num, text)],
    blocks, compressed_blocks, data_bytes (file bytes), wire_bytes (block
    payload as sent), digests (host FileTransferDigest copies), confirms
    (host send_confirm copies, uploads), dropped/cancelled, seconds,
    entries (the host's list)."""

    def __init__(self, job_id, kind):
        self.id, self.kind = job_id, kind
        self.files, self.errors, self.digests, self.confirms = [], [], [], []
        self.entries = []
        self.done = False
        self.error = None
        self.blocks = self.compressed_blocks = self.data_bytes = self.wire_bytes = 0
        self.dropped = self.cancelled = False
        self.seconds = 0.0

    def as_dict(self):
        return {"id": self.id, "kind": self.kind, "done": self.done, "error": self.error,
                "errors": self.errors, "files": [f._asdict() for f in self.files],
                "blocks": self.blocks, "compressed_blocks": self.compressed_blocks,
                "data_bytes": self.data_bytes, "wire_bytes": self.wire_bytes,
                "dropped": self.dropped, "cancelled": self.cancelled,
                "seconds": round(self.seconds, 3)}

    def __repr__(self):
        return f"TransferResult({self.as_dict()!r})"


def is_compressed_name(name):
    return name.rsplit(".", 1)[-1] in COMPRESSED_EXTS if "." in name else False


def zstd_pack(data):
    """zstd level 3, or None when that is not smaller."""
    import zstandard
    z = zstandard.ZstdCompressor(level=3).compress(data)
    return z if len(z) < len(data) else None


def zstd_unpack(data, limit=MAX_BLOCK_OUT):
    import zstandard
    d = zstandard.ZstdDecompressor().decompressobj()
    out = d.decompress(bytes(data))
    if len(out) > limit:
        raise ValueError("block decompresses past the limit")
    return out


def local_files(path):
    """[(name, abs_path, size, mtime)] of a local file ('' name) or tree
    (relative names with '/', sorted)."""
    if os.path.isfile(path):
        st = os.stat(path)
        return [("", path, st.st_size, int(st.st_mtime))]
    out = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            st = os.stat(p)
            out.append((os.path.relpath(p, path).replace(os.sep, "/"), p,
                        st.st_size, int(st.st_mtime)))
    out.sort(key=lambda t: t[0])
    return out


def _sha256_file(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _copy(m):
    c = type(m)()
    c.CopyFrom(m)
    return c


class _Download:
    """The write side of one download (the stock client's write job)."""

    def __init__(self, client, job_id, local, resume, overwrite, stop_after,
                 cancel_after, stop_on_error):
        self.c, self.id, self.local = client, job_id, local
        self.resume, self.overwrite = resume, overwrite
        self.stop_after, self.cancel_after = stop_after, cancel_after
        self.stop_on_error = stop_on_error
        self.r = TransferResult(job_id, "download")
        self.entries = None
        self.cur = None         # file_num with an open .download
        self.fh = None
        self.offset = 0
        self.finished = False

    def target(self, k):
        name = self.entries[k].name
        return self.local if name == "" else os.path.join(self.local, *name.split("/"))

    def on_dir(self, d):
        self.entries = list(d.entries)
        self.r.entries = [(e.name, e.size, e.modified_time) for e in self.entries]

    def _open(self, k, offset, digest):
        self.finish_file()
        t = self.target(k)
        os.makedirs(os.path.dirname(t) or ".", exist_ok=True)
        self.fh = open(t + ".download", "r+b" if offset else "wb")
        self.fh.truncate(offset)
        self.fh.seek(offset)
        if digest is not None:
            with open(t + ".digest", "w") as f:
                json.dump({"size": digest.file_size, "modified": digest.last_modified}, f)
        self.cur, self.offset = k, offset

    def on_digest(self, d):
        self.r.digests.append(_copy(d))
        k = d.file_num
        if self.entries is None or not 0 <= k < len(self.entries):
            return self._fail(f"digest for unknown file {k}")
        t = self.target(k)
        offset = 0
        if self.resume and os.path.exists(t + ".download") and os.path.exists(t + ".digest"):
            try:
                with open(t + ".digest") as f:
                    j = json.load(f)
                if j.get("size") == d.file_size and j.get("modified") == d.last_modified:
                    offset = os.path.getsize(t + ".download")
            except (OSError, ValueError):
                offset = 0
        if offset == 0 and os.path.exists(t) and not self.overwrite:
            self.c.send_confirm(self.id, k, skip=True)
            self.finish_file()
            self.r.files.append(FileResult(self.entries[k].name, 0, "skipped", None, None, 0))
            return
        self._open(k, offset, d)
        self.c.send_confirm(self.id, k, offset=offset)

    def on_block(self, b):
        k = b.file_num
        if self.entries is None or not 0 <= k < len(self.entries):
            return self._fail(f"block for unknown file {k}")
        if self.cur != k:
            self._open(k, 0, None)      # no digest (old host): start fresh
        wire = b.data                   # each read of the field is a copy
        data = zstd_unpack(wire) if b.compressed else wire
        self.r.blocks += 1
        self.r.compressed_blocks += bool(b.compressed)
        self.r.wire_bytes += len(wire)
        self.r.data_bytes += len(data)
        self.fh.write(data)
        total = self.r.data_bytes
        if self.stop_after is not None and total >= self.stop_after:
            self.fh.flush()
            self.r.dropped = True
            self.finished = True
            self.c.close()
        elif self.cancel_after is not None and total >= self.cancel_after:
            self.c.cancel(self.id)
            self.r.cancelled = True
            self.finished = True
            self._abandon()

    def finish_file(self):
        """Renames the current .download into place (the stock client does
        it on the next file and on done)."""
        if self.fh is None:
            return
        self.fh.close()
        self.fh = None
        k, t = self.cur, self.target(self.cur)
        self.cur = None
        e = self.entries[k]
        size = os.path.getsize(t + ".download")
        os.replace(t + ".download", t)
        if os.path.exists(t + ".digest"):
            os.unlink(t + ".digest")
        if e.modified_time:
            os.utime(t, (e.modified_time, e.modified_time))
        status = "ok" if size == e.size else "partial"
        self.r.files.append(FileResult(e.name, size, status, None,
                                       _sha256_file(t), self.offset))

    def _abandon(self):
        if self.fh is not None:
            self.fh.close()
            self.fh = None

    def _fail(self, text):
        self.r.error = self.r.error or text
        self.finished = True
        self._abandon()

    def on_error(self, e):
        self.r.errors.append((e.file_num, e.error))
        if e.error == "skipped":            # the only file was skipped
            self.r.done = self.finished = True
            return
        if self.r.error is None:
            self.r.error = e.error
        if self.entries is not None and 0 <= e.file_num < len(self.entries):
            if self.cur == e.file_num:
                self._abandon()
                self.cur = None
            self.r.files.append(FileResult(self.entries[e.file_num].name, 0, "error",
                                           e.error, None, 0))
        if self.stop_on_error or self.entries is None:
            self.finished = True
            self._abandon()

    def on_done(self, d):
        self.finish_file()
        self.r.done = self.finished = True


class FilesMixin:
    """FileAction/FileResponse for Client.  Placed before ConnectionMixin
    in Client's bases: its _handle sees file messages first."""

    # ------------------------------------------------------------ state
    def _fstate(self):
        if not hasattr(self, "_fq"):
            self._fq = collections.defaultdict(collections.deque)  # id -> [(variant, msg)]
            self._fdl = {}              # id -> _Download
            self._fnext = 0
            self.file_dirs = []         # FileDirectory with id 0 (read_dir answers)
            self.file_empty_dirs = []   # ReadEmptyDirsResponse
            self.file_errors = []       # every FileTransferError (copies)
        return self

    def next_job_id(self):
        self._fstate()
        self._fnext += 1
        return self._fnext

    def _handle(self, kind, m):
        if kind == "file_response":
            self._on_file_response(m.file_response)
        elif kind == "file_action":
            self._on_file_action(m.file_action)
        super()._handle(kind, m)

    def _on_file_response(self, fr):
        self._fstate()
        v = fr.WhichOneof("union")
        if v is None:
            return
        sub = getattr(fr, v)
        job_id = getattr(sub, "id", 0)
        dl = self._fdl.get(job_id)
        if v == "block":
            if dl is not None and not dl.finished:
                dl.on_block(sub)
            fr.block.data = b""         # keep no data in .received
            return
        if v == "error":
            self.file_errors.append(_copy(sub))
        if dl is not None and not dl.finished:
            if v == "dir":
                dl.on_dir(sub)
            elif v == "digest":
                dl.on_digest(sub)
            elif v == "error":
                dl.on_error(sub)
            elif v == "done":
                dl.on_done(sub)
            return
        if v == "dir" and job_id == 0:
            self.file_dirs.append(_copy(sub))
        elif v == "empty_dirs":
            self.file_empty_dirs.append(_copy(sub))
        self._fq[job_id].append((v, _copy(sub)))

    def _on_file_action(self, fa):
        self._fstate()
        v = fa.WhichOneof("union")
        if v == "send_confirm":
            self._fq[fa.send_confirm.id].append((v, _copy(fa.send_confirm)))

    # ---------------------------------------------------------- sending
    def send_file_action(self, variant, **fields):
        """Sends Message{file_action{<variant>{fields}}} (any values, for
        hostile tests too).  Nested lists (files=[FileEntry]) are copied."""
        m = Message()
        sub = getattr(m.file_action, variant)
        sub.SetInParent()
        for k, v in fields.items():
            if isinstance(v, (list, tuple)):
                getattr(sub, k).extend(v)
            else:
                setattr(sub, k, v)
        return self.send_message(m)

    def send_file_response(self, variant, keep=True, **fields):
        """Sends Message{file_response{<variant>{fields}}}; keep=False logs
        it without message or wire bytes (blocks of big uploads)."""
        m = Message()
        sub = getattr(m.file_response, variant)
        sub.SetInParent()
        for k, v in fields.items():
            setattr(sub, k, v)
        if keep:
            return self.send_message(m)
        payload = m.SerializeToString()
        seq = None
        enc = self.codec is not None
        if enc:
            payload = self.codec.seal(payload)
            seq = self.codec.send_seq
        self._sendall_reading(rp.encode_frame(payload))
        self.sent.append(Sent(time.monotonic(), f"file_response.{variant}", None, None, enc, seq))
        return None

    def send_confirm(self, job_id, file_num, skip=False, offset=0):
        """FileAction.send_confirm: skip, or offset_blk (a byte offset)."""
        if skip:
            return self.send_file_action("send_confirm", id=job_id, file_num=file_num, skip=True)
        return self.send_file_action("send_confirm", id=job_id, file_num=file_num,
                                     offset_blk=int(offset))

    def cancel(self, job_id):
        return self.send_file_action("cancel", id=job_id)

    # ---------------------------------------------------------- waiting
    def _wait_job(self, job_id, variants, timeout=None):
        """Reads until a queued file message of job_id with one of the
        variants; returns (variant, msg).  FileError for an error."""
        self._fstate()
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        q = self._fq[job_id]
        while True:
            while q:
                v, msg = q.popleft()
                if v == "error" and "error" not in variants:
                    raise FileError(msg.error, job_id, msg.file_num)
                if v in variants:
                    return v, msg
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {variants} for file job {job_id} within {timeout:.1f}s")
            if self.recv_message(left) is None:
                raise SessionClosed(f"connection closed waiting for file job {job_id}", self)

    # ------------------------------------------------------- one-shots
    def read_dir(self, path, include_hidden=False, timeout=None):
        """FileAction.read_dir -> the FileDirectory.  FileError when the
        host answers with an error (id 0); stock hosts stay silent on
        errors, which shows as TimeoutError.  Listings are matched by
        path, as the stock file manager places them: a host lists the
        login's folder unasked right after the login (RustDesk's
        send_logon_response), and that one may still be on its way."""
        self._fstate()
        self._fq[0].clear()
        self.send_file_action("read_dir", path=path, include_hidden=include_hidden)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        want = path.rstrip("/") or "/"
        while True:
            d = self._wait_job(0, ("dir",), max(0.0, deadline - time.monotonic()))[1]
            if (d.path.rstrip("/") or "/") == want:
                return d

    def initial_listing(self, timeout=None):
        """The listing a host sends unasked after a file-transfer login."""
        self._fstate()
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not self.file_dirs and time.monotonic() < deadline:
            self.pump(0.05)
        if not self.file_dirs:
            raise TimeoutError("no listing after the login")
        return self.file_dirs[0]

    def read_empty_dirs(self, path, include_hidden=False, timeout=None):
        """FileAction.read_empty_dirs -> [path of each empty directory]."""
        self._fstate()
        self._fq[0].clear()
        self.send_file_action("read_empty_dirs", path=path, include_hidden=include_hidden)
        return [d.path for d in self._wait_job(0, ("empty_dirs",), timeout)[1].empty_dirs]

    def all_files(self, path, include_hidden=False, timeout=None):
        """FileAction.all_files -> FileDirectory (recursive file list)."""
        i = self.next_job_id()
        self.send_file_action("all_files", id=i, path=path, include_hidden=include_hidden)
        return self._wait_job(i, ("dir",), timeout)[1]

    def _simple(self, variant, timeout=None, **fields):
        i = self.next_job_id()
        self.send_file_action(variant, id=i, **fields)
        return self._wait_job(i, ("done",), timeout)[1]

    def create_dir(self, path, timeout=None):
        """FileAction.create (mkdir -p) -> done; FileError otherwise."""
        return self._simple("create", timeout, path=path)

    def remove_file(self, path, file_num=0, timeout=None):
        return self._simple("remove_file", timeout, path=path, file_num=file_num)

    def remove_dir(self, path, recursive=False, timeout=None):
        return self._simple("remove_dir", timeout, path=path, recursive=recursive)

    def rename(self, path, new_name, timeout=None):
        return self._simple("rename", timeout, path=path, new_name=new_name)

    # -------------------------------------------------------- download
    def download(self, remote, local, include_hidden=False, file_num=0, resume=False,
                 overwrite=True, stop_after=None, cancel_after=None, stop_on_error=False,
                 timeout=None):
        """FileAction.send of remote (a file or a tree) into local (the
        file itself, or a directory for a tree).  Answers each digest:
        resume (a matching .download/.digest pair), skip (target exists
        and overwrite=False) or offset 0.  stop_on_error=True stops at the
        first error as the stock client does; by default per-file errors
        are collected and the job goes on.  Returns a TransferResult."""
        self._fstate()
        i = self.next_job_id()
        dl = _Download(self, i, local, resume, overwrite, stop_after, cancel_after,
                       stop_on_error)
        self._fdl[i] = dl
        t0 = time.monotonic()
        timeout = self.timeout if timeout is None else timeout
        self.send_file_action("send", id=i, path=remote, include_hidden=include_hidden,
                              file_num=file_num)
        try:
            idle_deadline = time.monotonic() + timeout
            while not dl.finished:
                left = idle_deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"download {remote}: nothing for {timeout:.1f}s")
                n = len(self.received)
                if self.recv_message(left) is None:
                    dl.r.dropped = True
                    break
                if len(self.received) > n:
                    idle_deadline = time.monotonic() + timeout
        finally:
            dl._abandon()
            del self._fdl[i]
            dl.r.seconds = time.monotonic() - t0
        return dl.r

    # ---------------------------------------------------------- upload
    def upload(self, local, remote, resume=False, overwrite=True, file_num=0, compress=None,
               stop_after=None, cancel_after=None, send_digest=True, block_size=BLOCK_SIZE,
               timeout=None):
        """FileAction.receive of a local file (remote = the file's path on
        the host) or tree (remote = the directory).  Per file: digest
        (unless send_digest=False, as clients < 1.1.10), the host's answer
        (confirm / digest -> resume, overwrite or skip), blocks (zstd when
        smaller unless compress=False; True forces it), an empty block;
        then done.  Returns a TransferResult."""
        self._fstate()
        i = self.next_job_id()
        r = TransferResult(i, "upload")
        files = local_files(local)
        r.entries = [(n, s, mt) for n, _, s, mt in files]
        t0 = time.monotonic()
        entries = [mpb.FileEntry(entry_type=4, name=n, size=s, modified_time=mt)
                   for n, _, s, mt in files]
        self.send_file_action("receive", id=i, path=remote, files=entries, file_num=file_num,
                              total_size=sum(s for _, _, s, _ in files))
        sent = 0
        try:
            for k in range(file_num, len(files)):
                name, path, size, mtime = files[k]
                offset = 0
                if send_digest:
                    self.send_file_response("digest", id=i, file_num=k, last_modified=mtime,
                                            file_size=size, is_resume=resume)
                    v, msg = self._wait_job(i, ("send_confirm", "digest"), timeout)
                    if v == "digest":
                        r.digests.append(msg)
                        if resume and msg.is_identical and msg.transferred_size > 0:
                            offset = msg.transferred_size
                            self.send_confirm(i, k, offset=offset)
                        elif overwrite:
                            self.send_confirm(i, k, offset=0)
                        else:
                            self.send_confirm(i, k, skip=True)
                            r.files.append(FileResult(name, size, "skipped", None, None, 0))
                            continue
                    else:
                        r.confirms.append(msg)
                        if msg.WhichOneof("union") == "skip" and msg.skip:
                            r.files.append(FileResult(name, size, "skipped", None, None, 0))
                            continue
                        offset = msg.offset_blk
                squeeze = compress if compress is not None else not is_compressed_name(name)
                with open(path, "rb") as f:
                    f.seek(offset)
                    while True:
                        data = f.read(block_size)
                        if not data:
                            break
                        z = zstd_pack(data) if squeeze else None
                        if compress and z is None:
                            import zstandard
                            z = zstandard.ZstdCompressor(level=3).compress(data)
                        self.send_file_response("block", keep=False, id=i, file_num=k,
                                                data=z if z is not None else data,
                                                compressed=z is not None)
                        r.blocks += 1
                        r.compressed_blocks += z is not None
                        r.wire_bytes += len(z) if z is not None else len(data)
                        r.data_bytes += len(data)
                        sent += len(data)
                        self.drain()
                        if self._fq[i] and self._fq[i][0][0] == "error":
                            self._wait_job(i, ("none",), 0)   # raises FileError
                        if stop_after is not None and sent >= stop_after:
                            r.dropped = True
                            self.close()
                            return r
                        if cancel_after is not None and sent >= cancel_after:
                            self.cancel(i)
                            r.cancelled = True
                            return r
                self.send_file_response("block", id=i, file_num=k, data=b"")
                r.files.append(FileResult(name, size, "sent", None, None, offset))
            self.send_file_response("done", id=i, file_num=len(files))
            self._wait_job(i, ("done",), timeout)
            r.done = True
            r.files = [f._replace(status="ok", sha256=_sha256_file(files[
                [n for n, _, _, _ in files].index(f.name)][1]))
                if f.status == "sent" else f for f in r.files]
        except FileError as e:
            r.error = e.text
            r.errors.append((e.file_num, e.text))
        finally:
            r.seconds = time.monotonic() - t0
        return r
