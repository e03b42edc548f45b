# SPDX-License-Identifier: MIT
"""A lying Wayland compositor for tests: speaks just enough of the wire
protocol (wl_display, wl_registry, wl_output, zwlr_screencopy) to hand
the agent's wlroots backend whatever a hostile compositor could send:
absurd output sizes, hostile names, insane buffer offers, unknown
opcodes. Every client (the loop connection and each grabber) is served
by its own thread with the same script.

    with FakeCompositor(mode=(64, 64), offer=(XRGB, 64, 64, 16)) as fc:
        fc.path        # the socket
"""
import os
import socket
import struct
import tempfile
import threading

XRGB = 1
GLOBALS = [(1, "wl_shm", 1), (2, "zwlr_screencopy_manager_v1", 3),
           (3, "wl_output", 4)]


def _string(s):
    b = s.encode() + b"\0"
    pad = (4 - len(b) % 4) % 4
    return struct.pack("<I", len(b)) + b + b"\0" * pad


def _msg(obj, opcode, payload=b""):
    return struct.pack("<II", obj, ((8 + len(payload)) << 16) | opcode) + \
        payload


class FakeCompositor:
    def __init__(self, mode=(64, 64), name="FAKE-1", offer=None,
                 garbage=False, globals_=GLOBALS, dir=None):
        """globals_: what the registry announces, e.g. without
        zwlr_screencopy_manager_v1 to play a non-wlroots compositor.
        dir: where the socket goes (default: a temp dir of its own)."""
        self.globals = globals_
        self.mode = mode
        self.name = name
        self.offer = offer or (XRGB, mode[0], mode[1], mode[0] * 4)
        self.garbage = garbage
        self.own_dir = dir is None
        self.dir = dir or tempfile.mkdtemp(prefix="op-wayfake-")
        if self.own_dir:
            os.chmod(self.dir, 0o755)
        self.path = os.path.join(self.dir, "wayland-fake")
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.path)
        os.chmod(self.path, 0o777)
        self.srv.listen(8)
        self.stop_flag = False
        self.clients = []
        self.peers = []   # (pid, uid, gid) of every client

    def __enter__(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.stop_flag = True
        self.srv.close()
        for c in self.clients:
            try:
                c.close()
            except OSError:
                pass
        try:
            os.unlink(self.path)
            if self.own_dir:
                os.rmdir(self.dir)
        except OSError:
            pass

    def _accept(self):
        while not self.stop_flag:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            self.clients.append(c)
            cred = c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                struct.calcsize("3i"))
            self.peers.append(struct.unpack("3i", cred))
            threading.Thread(target=self._serve, args=(c,),
                             daemon=True).start()

    def _serve(self, c):
        buf = b""
        kinds = {1: "wl_display"}
        try:
            while True:
                data, anc, _, _ = c.recvmsg(65536, socket.CMSG_SPACE(64))
                for level, typ, fds in anc:   # shm fds: not used
                    if level == socket.SOL_SOCKET and typ == \
                            socket.SCM_RIGHTS:
                        for i in range(0, len(fds) - len(fds) % 4, 4):
                            os.close(struct.unpack("<i", fds[i:i + 4])[0])
                if not data:
                    return
                buf += data
                while len(buf) >= 8:
                    obj, so = struct.unpack("<II", buf[:8])
                    size, op = so >> 16, so & 0xffff
                    if size < 8 or len(buf) < size:
                        break
                    body, buf = buf[8:size], buf[size:]
                    out = self._request(kinds, obj, op, body)
                    if out:
                        c.sendall(out)
        except OSError:
            return

    def _request(self, kinds, obj, op, body):
        kind = kinds.get(obj)
        out = b""
        if kind == "wl_display" and op == 1:        # get_registry
            reg = struct.unpack("<I", body[:4])[0]
            kinds[reg] = "wl_registry"
            for name, iface, ver in self.globals:
                out += _msg(reg, 0, struct.pack("<I", name) +
                            _string(iface) + struct.pack("<I", ver))
            if self.garbage:
                out += _msg(reg, 77, b"\0" * 8)     # no such event
        elif kind == "wl_display" and op == 0:      # sync
            cb = struct.unpack("<I", body[:4])[0]
            out += _msg(cb, 0, struct.pack("<I", 1))
            out += _msg(1, 1, struct.pack("<I", cb))  # delete_id
        elif kind == "wl_registry" and op == 0:     # bind
            name = struct.unpack("<I", body[:4])[0]
            n = struct.unpack("<I", body[4:8])[0]
            off = 8 + n + (4 - n % 4) % 4
            new_id = struct.unpack("<I", body[off + 4:off + 8])[0]
            iface = [g[1] for g in self.globals if g[0] == name][0]
            kinds[new_id] = iface
            if iface == "wl_output":
                w, h = self.mode
                out += _msg(new_id, 0, struct.pack("<iiiii", 0, 0, 0, 0, 0)
                            + _string("make") + _string("model") +
                            struct.pack("<i", 0))
                out += _msg(new_id, 1, struct.pack("<Iiii", 1, w, h, 60000))
                out += _msg(new_id, 4, _string(self.name))
                out += _msg(new_id, 2)              # done
        elif kind == "zwlr_screencopy_manager_v1" and op == 0:
            frame = struct.unpack("<I", body[:4])[0]
            kinds[frame] = "frame"
            out += _msg(frame, 0, struct.pack("<IIII", *self.offer))
            out += _msg(frame, 6)                   # buffer_done
        return out
