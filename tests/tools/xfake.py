# SPDX-License-Identifier: MIT
"""A tiny, hostile X server for one client (issue 11 item 10).

Usage: xfake.py SOCKET MODE. Listens on the Unix socket SOCKET (as an X
display's /tmp/.X11-unix/XN), prints "ready", serves one connection and
exits when it closes. It speaks just enough X11 for the clipboard module
(connection setup, QueryExtension, XFIXES QueryVersion, InternAtom,
GetInputFocus, ConvertSelection answered with a SelectionNotify event,
GetProperty) and lies where MODE says:

  property  GetProperty answers value_len 64 in format 32 (256 bytes)
            with length 0: the reply carries none of them.
  setup     the connection setup claims one screen but ends before it.
  honest    no lie (GetProperty returns two real atoms).

Written from the X11 protocol encoding, independent of the agent.
"""
import os
import socket
import struct
import sys

XFIXES_MAJOR = 140
XFIXES_FIRST_EVENT = 90


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def pad4(n):
    return (4 - n % 4) % 4


def setup_reply(mode):
    vendor = b"xfake"
    body = struct.pack(
        "<IIIIHHBBBBBBBB4x",
        1,            # release
        0x00200000,   # resource id base
        0x001FFFFF,   # resource id mask
        0,            # motion buffer
        len(vendor),
        0xFFFF,       # maximum request length
        1,            # roots
        1,            # pixmap formats
        0, 0, 32, 32,  # byte orders, scanline unit and pad
        8, 255)       # keycodes
    body += vendor + b"\0" * pad4(len(vendor))
    body += struct.pack("<BBB5x", 24, 32, 32)
    if mode != "setup":
        body += struct.pack(
            "<IIIIIHHHHHHIBBBB",
            0x100, 0x20, 0xFFFFFF, 0, 0, 1024, 768, 300, 200, 1, 1,
            0x21, 0, 0, 24, 1)
        body += struct.pack("<BxH4x", 24, 1)
        body += struct.pack("<IBBHIII4x", 0x21, 4, 8, 256,
                            0xFF0000, 0xFF00, 0xFF)
    # In "setup" mode the screen the header counts is missing.
    return struct.pack("<BxHHH", 1, 11, 0, len(body) // 4) + body


def reply(seq, data=0, extra=b"", words=0, body=b""):
    head = struct.pack("<BBHI", 1, data, seq, words) + extra
    head += b"\0" * (32 - len(head))
    return head + body


def serve(conn, mode):
    head = recv_exact(conn, 12)
    order, major, minor, nlen, dlen = struct.unpack("<BxHHHH2x", head)
    if order != ord("l"):
        return
    recv_exact(conn, nlen + pad4(nlen) + dlen + pad4(dlen))
    conn.sendall(setup_reply(mode))
    atoms = {}
    seq = 0
    while True:
        try:
            h = recv_exact(conn, 4)
        except EOFError:
            return
        op, data, length = struct.unpack("<BBH", h)
        rest = recv_exact(conn, length * 4 - 4) if length > 1 else b""
        seq = (seq + 1) & 0xFFFF
        if op == 98:  # QueryExtension
            (n,) = struct.unpack("<H", rest[:2])
            name = rest[4:4 + n]
            if name == b"XFIXES":
                extra = struct.pack("<BBBB", 1, XFIXES_MAJOR,
                                    XFIXES_FIRST_EVENT, 150)
            else:
                extra = struct.pack("<BBBB", 0, 0, 0, 0)
            conn.sendall(reply(seq, extra=extra))
        elif op == XFIXES_MAJOR and data == 0:  # XFixesQueryVersion
            conn.sendall(reply(seq, extra=struct.pack("<II", 5, 0)))
        elif op == 16:  # InternAtom
            (n,) = struct.unpack("<H", rest[:2])
            name = rest[4:4 + n]
            atom = atoms.setdefault(name, 200 + len(atoms))
            conn.sendall(reply(seq, extra=struct.pack("<I", atom)))
        elif op == 43:  # GetInputFocus (xcb's sync)
            conn.sendall(reply(seq, data=1, extra=struct.pack("<I", 0x100)))
        elif op == 23:  # GetSelectionOwner
            conn.sendall(reply(seq, extra=struct.pack("<I", 0x300001)))
        elif op == 17:  # GetAtomName
            conn.sendall(reply(seq, extra=struct.pack("<H", 0)))
        elif op == 24:  # ConvertSelection: the owner answers at once
            requestor, selection, target, prop, time = struct.unpack(
                "<IIIII", rest[:20])
            ev = struct.pack("<BxHIIIII", 31, seq, time, requestor,
                             selection, target, prop)
            conn.sendall(ev + b"\0" * (32 - len(ev)))
        elif op == 20:  # GetProperty
            if mode == "property":
                extra = struct.pack("<III", 4, 0, 64)
                conn.sendall(reply(seq, data=32, extra=extra))
            else:
                extra = struct.pack("<III", 4, 0, 2)
                conn.sendall(reply(seq, data=32, extra=extra, words=2,
                                   body=struct.pack("<II", 4, 31)))
        # Everything else (CreateWindow, ChangeProperty, XFIXES
        # SelectSelectionInput, ...) has no reply.


def main():
    path, mode = sys.argv[1], sys.argv[2]
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    print("ready", flush=True)
    srv.settimeout(20)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        return
    conn.settimeout(20)
    try:
        serve(conn, mode)
    except (EOFError, socket.timeout, ConnectionError):
        pass
    finally:
        conn.close()
        srv.close()
        os.unlink(path)


if __name__ == "__main__":
    main()
