#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Issue 3 on real loopback sockets: the agent registers with the
independent hbbs stand-in, answers every incoming path with a byte pipe
that starts with a SignedId a client can verify, surfaces refusals, and
shrugs off hostile datagrams."""
import socket
import time

from agent import Agent
from common import TempDirCase, main, run

import initiator
from relay import RelayServer
from rendezvous import RendezvousServer


def validate_status(st):
    """Checks a status answer against the shipped JSON schema."""
    import json
    import jsonschema
    from common import SOURCE_DIR
    with open(f"{SOURCE_DIR}/config/schema/status.schema.json") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(st, schema)


class Rendezvous(TempDirCase):
    def setUp(self):
        super().setUp()
        self.relay = RelayServer().start()
        self.rs = RendezvousServer(relay_servers=[self.relay.address])
        self.rs.start()
        self.relay.key = self.rs.licence_key
        self.agent = Agent(self.tmp, rendezvous=f"127.0.0.1:{self.rs.port}",
                           key=self.rs.public_key_b64)

    def tearDown(self):
        code = self.agent.stop()
        self.rs.stop()
        self.relay.stop()
        super().tearDown()
        self.assertEqual(code, 0, "agent did not stop cleanly:\n" +
                         self.agent.log()[-4000:])

    def start_registered(self):
        self.agent.start()
        self.assertTrue(self.rs.wait_registered(self.agent.id, timeout=5),
                        self.agent.log())
        return time.monotonic() - self.agent.started

    def check_signed_id(self, res):
        msg, _ = initiator.read_first_message(res)
        host_id, box_pk = initiator.open_signed_id(res, msg)
        self.assertEqual(host_id, self.agent.id)
        self.assertEqual(len(box_pk), 32)
        self.assertIsNotNone(res.host_pk)

    def test_registered_within_1s_and_status(self):
        took = self.start_registered()
        print(f"registered {took * 1000:.0f} ms after start")
        self.assertLess(took, 1.0)
        st = self.agent.wait_status(lambda s: s["registered"])
        self.assertEqual(st["id"], self.agent.id)
        self.assertEqual(st["registration_mode"], "udp")
        validate_status(st)
        validate_status(self.agent.wait_status(
            lambda s: s["nat_type"] != "unknown"))
        self.assertGreaterEqual(st["last_ack_age_ms"], 0)
        self.assertEqual(st["server"], f"127.0.0.1:{self.rs.port}")
        # The NAT test ran against port-1 and port; on loopback hbbs sees
        # the same source port twice: port-preserving.
        st = self.agent.wait_status(lambda s: s["nat_type"] != "unknown")
        self.assertEqual(st["nat_type"], "asymmetric")
        self.assertEqual(len(self.rs.events("test_nat_request")), 2)

    def test_punch(self):
        self.rs.force_punch = True
        self.start_registered()
        res = initiator.connect(self.rs.addr, self.rs.licence_key,
                                self.agent.id, "punch", strict=True)
        self.check_signed_id(res)
        sent = self.rs.wait_for("punch_hole_sent", transport="tcp").msg
        push = self.rs.wait_for("punch_hole", direction="out").msg
        self.assertTrue(sent.version)
        self.assertEqual(sent.id, self.agent.id)
        self.assertEqual(sent.socket_addr, push.socket_addr)
        res.close()

    def test_local_address(self):
        self.start_registered()
        res = initiator.connect(self.rs.addr, self.rs.licence_key,
                                self.agent.id, "local", strict=True)
        self.assertTrue(res.is_local)
        self.check_signed_id(res)
        la = self.rs.wait_for("local_addr", transport="tcp").msg
        self.assertTrue(la.version)
        self.assertEqual(la.id, self.agent.id)
        res.close()

    def test_host_initiated_relay(self):
        self.rs.force_relay = True
        self.start_registered()
        res = initiator.connect(self.rs.addr, self.rs.licence_key,
                                self.agent.id, "relay", strict=True)
        self.check_signed_id(res)
        rr = self.rs.wait_for("relay_response", transport="tcp").msg
        self.assertTrue(rr.version)
        self.assertEqual(rr.id, self.agent.id)
        self.assertTrue(self.relay.wait_paired(timeout=5))
        res.close()

    def test_client_initiated_relay(self):
        self.start_registered()
        res = initiator.connect(self.rs.addr, self.rs.licence_key,
                                self.agent.id, "client-relay",
                                relay_server=self.relay.address)
        self.check_signed_id(res)
        self.assertTrue(self.relay.wait_paired(timeout=5))
        res.close()

    def test_direct_ip(self):
        self.agent.start()
        st = self.agent.wait_status(lambda s: s.get("direct_access"))
        self.assertEqual(st["direct_access"]["port"], self.agent.direct_port)
        validate_status(st)
        import rdproto as rp
        _, mpb = rp.load_protos()
        with socket.create_connection(("127.0.0.1", self.agent.direct_port),
                                      timeout=5) as s:
            # Plaintext by protocol: no SignedId, the host opens with Hash.
            fs = rp.FramedSocket(s)
            m = mpb.Message()
            m.ParseFromString(fs.recv(5))
            self.assertEqual(m.WhichOneof("union"), "hash")
            self.assertEqual(len(m.hash.salt), 32)
            self.assertEqual(len(m.hash.challenge), 6)
            self.agent.wait_status(lambda st: st["sessions"] == 1)
        self.agent.wait_status(lambda st: st["sessions"] == 0)

    def test_id_exists_and_uuid_mismatch_surface(self):
        for result in ("ID_EXISTS", "UUID_MISMATCH"):
            self.rs._call(self.rs.reg.forced.clear)
            self.rs.force_register_pk_result(result, count=5)
            self.agent.start()
            st = self.agent.wait_status(
                lambda s: s.get("registration_result") == result)
            self.assertFalse(st["registered"])
            validate_status(st)
            self.assertIn("outpost id --reset",
                          st["registration_advice"])
            self.assertLogged(result)
            self.agent.stop()
            # Never silently picks a new ID.
            self.assertEqual(run(["-c", self.agent.config, "id"]).stdout
                             .strip(), self.agent.id)

    def test_hostile_datagrams(self):
        self.start_registered()
        st = self.agent.wait_status(lambda s: s["registered"])
        for junk in (b"\xff" * 40, b"", b"\x0a\x05garbage", b"\x00" * 1500,
                     b"\x4a\x02\x08\x01"):
            self.rs.push_raw(self.agent.id, junk)
        # Spoofed: right content, wrong source.
        info = self.rs.peer_info(self.agent.id)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _ in range(20):
                s.sendto(b"\xff\xfe" * 10, tuple(info["socket_addr"]))
        st = self.agent.wait_status(
            lambda s: s["datagrams_spoofed"] >= 20 and
            s["datagrams_dropped"] >= 3)
        self.assertTrue(st["registered"])
        # Logged once per burst, not per datagram.
        self.assertLessEqual(self.agent.log().count("not the rendezvous"), 3)
        # Still answers a connection afterwards.
        self.rs.force_punch = True
        res = initiator.connect(self.rs.addr, self.rs.licence_key,
                                self.agent.id, "punch")
        self.check_signed_id(res)
        res.close()

    def test_wrong_types_and_oversize(self):
        import rdproto as rp
        self.start_registered()
        # Messages a host should never get from hbbs over UDP, an
        # oversize datagram, and a truncated RegisterPkResponse.
        self.rs.push(self.agent.id, "punch_hole_response", pk=b"x" * 32)
        self.rs.push(self.agent.id, "register_pk",
                     id="x" * 10, uuid=b"u", pk=b"p" * 32)
        self.rs.push_raw(self.agent.id, b"\x82\x01\x02\x08" + b"A" * 3000)
        self.rs.push_raw(self.agent.id,
                         rp.rmsg("register_pk_response", result=0)[:1])
        st = self.agent.wait_status(lambda s: s["datagrams_dropped"] >= 3)
        self.assertTrue(st["registered"])
        self.assertIsNone(self.agent.proc.poll())

    def test_relay_that_never_pairs_or_hangs_up(self):
        import rdproto as rp
        self.relay.stop()
        self.relay = RelayServer(park_timeout=2).start()
        self.relay.key = self.rs.licence_key
        self.start_registered()
        client = rp.addr_encode("127.0.0.1", 40000)
        # 1. The client never shows up at the relay.
        self.rs.push(self.agent.id, "request_relay",
                     uuid="11111111-2222-4333-8444-555555555555",
                     relay_server=self.relay.address, socket_addr=client,
                     secure=True)
        self.relay.wait_for("park", timeout=5, direction="info")
        self.agent.wait_status(lambda s: s["sessions"] == 1)
        self.agent.wait_status(lambda s: s["sessions"] == 0, timeout=10)
        # 2. A "relay" that accepts and hangs up at once.
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(4)
        port = srv.getsockname()[1]
        self.rs.push(self.agent.id, "request_relay",
                     uuid="21111111-2222-4333-8444-555555555555",
                     relay_server=f"127.0.0.1:{port}",
                     socket_addr=rp.addr_encode("127.0.0.1", 40001))
        conn, _ = srv.accept()
        conn.close()
        srv.close()
        self.agent.wait_status(lambda s: s["sessions"] == 0, timeout=10)
        # Still registered and serving.
        st = self.agent.wait_status(lambda s: s["registered"])
        self.assertGreaterEqual(st["incoming"]["started"], 2)
        res = initiator.connect(self.rs.addr, self.rs.licence_key,
                                self.agent.id, "local")
        self.check_signed_id(res)
        res.close()


if __name__ == "__main__":
    main()
