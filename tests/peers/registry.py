# SPDX-License-Identifier: MIT
"""hbbs' registration table and rules (protocol reference §3.4; rustdesk/
rustdesk-server src/rendezvous_server.rs update_addr / RegisterPk handling,
src/peer.rs PeerMap), without any I/O.  Used by rendezvous.py.

Limiter semantics copied from upstream (they are a little looser than the
"2 per 6 s" / "30 per minute" summary):
  * per ID: a counter reset when the previous accepted RegisterPk is more
    than reg_pk_window old; a RegisterPk is refused (TOO_FREQUENT) while the
    counter is > reg_pk_limit, so with the defaults the 4th within 6 s fails;
  * per IP: the first RegisterPk from an IP only creates the record, then a
    counter (reset after ip_window of quiet) refuses while > ip_limit, i.e.
    the (ip_limit + 3)th within a minute fails; more than ip_id_limit
    distinct IDs per IP and day are refused for new IDs.
"""
import ipaddress
import sqlite3
import time

try:
    from . import rdproto as rp
except ImportError:
    import rdproto as rp

RESULTS = {n: v for n, v in rp.pb.RegisterPkResponse.Result.items()}


class Peer:
    """Registration record (memory side of hbbs' PeerMap)."""

    def __init__(self, id_):
        self.id = id_
        self.uuid = b""
        self.pk = b""
        self.ip = ""                # PeerInfo.ip, persisted
        self.socket_addr = None     # (ip, port) last registration source
        self.last_reg_time = None   # time.monotonic(); None = expired
        self.reg_pk = (0, None)     # (count, monotonic) RegisterPk limiter
        self.tcp_conn = None        # Conn for TCP-mode (Pro) registrations

    def info(self, reg_timeout):
        now = time.monotonic()
        online = (self.last_reg_time is not None
                  and now - self.last_reg_time < reg_timeout) or self.tcp_conn is not None
        return {"id": self.id, "uuid": self.uuid, "pk": self.pk, "ip": self.ip,
                "socket_addr": self.socket_addr, "last_reg_time": self.last_reg_time,
                "online": online, "tcp": self.tcp_conn is not None}


class PeerDB:
    """Persistent ID -> (uuid, pk, ip); a dict, or an sqlite file."""

    def __init__(self, path=None):
        self.path = path
        self.mem = {}
        if path:
            db = sqlite3.connect(path)
            db.execute("create table if not exists peer (id text primary key,"
                       " uuid blob, pk blob, ip text)")
            db.commit()
            db.close()

    def get(self, id_):
        if not self.path:
            return self.mem.get(id_)
        db = sqlite3.connect(self.path)
        try:
            row = db.execute("select uuid, pk, ip from peer where id=?", (id_,)).fetchone()
        finally:
            db.close()
        return (bytes(row[0]), bytes(row[1]), row[2]) if row else None

    def put(self, id_, uuid, pk, ip):
        if not self.path:
            self.mem[id_] = (bytes(uuid), bytes(pk), ip)
            return
        db = sqlite3.connect(self.path)
        try:
            db.execute("insert or replace into peer values (?,?,?,?)",
                       (id_, bytes(uuid), bytes(pk), ip))
            db.commit()
        finally:
            db.close()

    def clear(self):
        self.mem.clear()
        if self.path:
            db = sqlite3.connect(self.path)
            db.execute("delete from peer")
            db.commit()
            db.close()


class Registry:
    """ID table + RegisterPeer/RegisterPk decisions.  `cfg` supplies the
    knobs at call time: reg_timeout, reg_pk_window, reg_pk_limit, ip_window,
    ip_limit, ip_id_limit, ignore_loopback_ip_change."""

    def __init__(self, cfg, db_path=None):
        self.cfg = cfg
        self.peers = {}         # memory (lost on an hbbs restart)
        self.db = PeerDB(db_path)
        self.ip_block = {}
        self.forced = []        # queued forced RegisterPk results

    def forget_memory(self):
        self.peers.clear()
        self.ip_block.clear()

    def get(self, id_):
        """Memory, else load from the DB (expired, no address) like pm.get."""
        p = self.peers.get(id_)
        if p is None:
            row = self.db.get(id_)
            if row is not None:
                p = Peer(id_)
                p.uuid, p.pk, p.ip = row
                self.peers[id_] = p
        return p

    def online(self, p):
        return p.info(self.cfg.reg_timeout)["online"]

    def register_peer(self, id_, addr, conn=None):
        """RegisterPeer from addr: returns request_pk.  Only a known peer
        with a pk and an unchanged IP gets its address/time refreshed."""
        p = self.peers.get(id_)
        if p is None:
            return True
        ip = addr[0]
        if p.socket_addr is not None and p.socket_addr[1] != 0:
            ip_change = ip != p.socket_addr[0]
        else:
            ip_change = ip != p.ip
        if self.cfg.ignore_loopback_ip_change and ipaddress.ip_address(ip).is_loopback:
            ip_change = False
        request_pk = not p.pk or ip_change
        if not request_pk:
            p.socket_addr = addr
            p.last_reg_time = time.monotonic()
            if conn is not None:
                p.tcp_conn = conn
        return request_pk

    def ip_blocker_ok(self, ip, id_):
        now = time.monotonic()
        rec = self.ip_block.get(ip)
        if rec is None:     # upstream: first sighting only creates the record
            self.ip_block[ip] = [0, now, set(), now]
            return True
        if now - rec[1] > self.cfg.ip_window:
            rec[0] = 0
        elif rec[0] > self.cfg.ip_limit:
            return False
        rec[0] += 1
        rec[1] = now
        is_new = id_ not in rec[2]
        if now - rec[3] > 86400:
            rec[2].clear()
        elif len(rec[2]) > self.cfg.ip_id_limit:
            return not is_new
        if is_new:
            rec[2].add(id_)
        rec[3] = now
        return True

    def register_pk(self, rk, addr, conn=None):
        """RegisterPk logic shared by UDP and TCP mode; returns the Result
        to send, or None when the message is ignored (empty uuid/pk)."""
        if not rk.uuid or not rk.pk:
            return None
        if self.forced:
            return self.forced.pop(0)
        id_, ip = rk.id, addr[0]
        if len(id_) < 6:
            return RESULTS["UUID_MISMATCH"]
        if not self.ip_blocker_ok(ip, id_):
            return RESULTS["TOO_FREQUENT"]
        p = self.get(id_)
        if p is None:
            p = self.peers[id_] = Peer(id_)
        if not p.uuid:
            changed = True
        else:
            if p.uuid != rk.uuid:
                return RESULTS["UUID_MISMATCH"]
            if p.ip != ip and p.pk != rk.pk:
                return RESULTS["UUID_MISMATCH"]
            changed = p.pk != rk.pk or p.ip != ip
        now = time.monotonic()
        count, t = p.reg_pk
        if t is None or now - t > self.cfg.reg_pk_window:
            count = 0
        elif count > self.cfg.reg_pk_limit:
            return RESULTS["TOO_FREQUENT"]
        p.reg_pk = (count + 1, now)
        if changed or conn is not None:
            p.socket_addr, p.uuid, p.pk, p.ip = addr, bytes(rk.uuid), bytes(rk.pk), ip
            p.last_reg_time = now
            self.db.put(id_, p.uuid, p.pk, ip)
        if conn is not None:
            p.tcp_conn = conn
        return RESULTS["OK"]
