# SPDX-License-Identifier: MIT
"""Shared ground of the technician client (client.py) and its mixin
modules: protocol constants, the Record/Sent logs, the ClientError family,
login hashing (h1_of, password_proof) and Message kind naming.  Imports
nothing of the client's own, so every client_* module can use it."""
import collections
import hashlib

try:
    from . import rdproto as rp
except ImportError:
    import rdproto as rp

mpb = rp.mpb
Message = mpb.Message
PERMISSION_NAMES = {v: k for k, v in mpb.PermissionInfo.Permission.items()}
KINDS = ("desktop", "file-transfer", "port-forward", "rdp", "terminal", "view-camera")
CONN_TYPE = {"desktop": 0, "file-transfer": 1, "port-forward": 2, "rdp": 3,
             "view-camera": 4, "terminal": 5}
ZERO_NONCE = bytes(24)
DEFAULT_TIMEOUT = 10.0

Record = collections.namedtuple("Record", "t kind msg")
Record.__doc__ = ("One received frame: t = time.monotonic(), kind = Message oneof "
                  "name ('misc.<variant>' for Misc, 'empty' for no oneof, "
                  "'unparsable' (msg = raw bytes)), msg = the protobuf sub-message.")
Sent = collections.namedtuple("Sent", "t kind msg wire encrypted seq")
Sent.__doc__ = ("One frame we wrote: wire = exact bytes on the socket (header "
                "included), encrypted = sealed with the session key, seq = nonce "
                "counter used (None if plaintext).")


class ClientError(Exception):
    """Base class."""


class HandshakeError(ClientError):
    """SignedId missing/unverifiable, wrong IdPk.id, no host pk, ..."""


class SignatureError(HandshakeError):
    """SignedId does not verify with host_pk (stock: 'pk mismatch')."""


class ChannelError(ClientError):
    """A received frame failed to decrypt (or similar channel breakage)."""


class SessionClosed(ClientError):
    """The host closed the connection (or a send hit a dead socket).
    close_reason / message_boxes / login_error: what it said before."""

    def __init__(self, text, client=None):
        super().__init__(text)
        self.close_reason = getattr(client, "close_reason", None)
        self.message_boxes = list(getattr(client, "message_boxes", []))
        self.login_error = getattr(client, "login_error", None)


def norm_kind(kind):
    k = (kind or "desktop").replace("_", "-")
    if k not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    return k


def h1_of(password, salt):
    """SHA-256(password ‖ salt): what clients store as 'remembered password'."""
    return hashlib.sha256(password.encode() + salt.encode()).digest()


def password_proof(h1, challenge):
    """§6.3: SHA-256(h1 ‖ challenge), raw 32 bytes."""
    return hashlib.sha256(bytes(h1) + challenge.encode()).digest()


def msg_kind(m):
    k = m.WhichOneof("union")
    if k is None:
        return "empty"
    if k == "misc":
        sub = m.misc.WhichOneof("union")
        return f"misc.{sub}" if sub else "misc"
    return k


def _to_dict(m):
    from google.protobuf import json_format
    return json_format.MessageToDict(m, preserving_proto_field_name=True)
