#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`outpost policy explain` on real config files: each refusal reason with
the stock RustDesk string and the rule that made it, consent outcomes,
exit codes (0 allow, 1 deny, 2 ask, 64 usage, 78 config), time zones;
and `config check` pointing at bad CIDR, schedule, glob and time zone
values with FILE:LINE:COL."""
import os
import re

from common import TempDirCase, main, run

EX_USAGE, EX_CONFIG = 64, 78
DENY, ASK = 1, 2
HAVE_TZDATA = os.path.exists("/usr/share/zoneinfo/Europe/Berlin")
ZONE = "Europe/Berlin" if HAVE_TZDATA else "UTC"

POLICY = f"""\
state_dir: STATE
policy:
  peers:
    allow_from: [10.0.0.0/8, "2001:db8::/32"]
    deny_ids: ["111*", "evil*"]
  schedule:
    - "Mon-Fri 08:00-18:00"
    - "Sat 10:00-12:00"
  schedule_timezone: {ZONE}
"""

LOC = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<msg>.+)$",
                 re.M)


def field(out, name):
    m = re.search(rf"^{name}:\s+(.*)$", out, re.M)
    return m.group(1) if m else None


class Explain(TempDirCase):
    def setUp(self):
        super().setUp()
        self.cfg = self.write_config(POLICY.replace("STATE",
                                                    f"{self.tmp}/state"))

    def explain(self, *args, cfg=None):
        return run(["-c", cfg or self.cfg, "policy", "explain"] + list(args))

    def test_allow(self):
        p = self.explain("--peer", "123456789", "--from", "10.1.2.3",
                         "--at", "2025-06-02 09:30")  # a Monday
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(field(p.stdout, "decision"), "allow")
        self.assertEqual(field(p.stdout, "rule"),
                         "policy.consent.when_no_user 'allow'")
        self.assertIn("policy.schedule[0] 'Mon-Fri 08:00-18:00'", p.stdout)
        self.assertIn("10.1.2.3 in policy.peers.allow_from[0]", p.stdout)
        self.assertEqual(field(p.stdout, "granted"),
                         "keyboard clipboard recording")
        self.assertIn("window closes in 8h30m", p.stdout)

    def test_deny_id(self):
        p = self.explain("--peer", "EVIL-corp", "--from", "10.1.2.3",
                         "--at", "Mon 09:30")
        self.assertEqual(p.returncode, DENY)
        self.assertEqual(field(p.stdout, "decision"), "deny")
        self.assertIn('"Your ID is blocked by the peer"', p.stdout)
        self.assertEqual(field(p.stdout, "rule"),
                         "policy.peers.deny_ids[1] 'evil*'")

    def test_deny_id_before_at(self):
        p = self.explain("--peer", "111222333@hbbs.example", "--from",
                         "10.1.2.3", "--at", "Mon 09:30")
        self.assertEqual(p.returncode, DENY)
        self.assertEqual(field(p.stdout, "rule"),
                         "policy.peers.deny_ids[0] '111*'")

    def test_deny_ip(self):
        for addr in ("192.0.2.1", "2001:db9::1"):
            p = self.explain("--peer", "1", "--from", addr, "--at",
                             "Mon 09:30")
            self.assertEqual(p.returncode, DENY, addr)
            self.assertIn('"Your ip is blocked by the peer"', p.stdout)
            self.assertEqual(field(p.stdout, "rule"),
                             "policy.peers.allow_from")
        p = self.explain("--peer", "1", "--from", "[2001:db8::5]", "--at",
                         "Mon 09:30")
        self.assertEqual(p.returncode, 0, p.stdout)

    def test_schedule(self):
        cases = [("2025-06-07 09:59", DENY), ("2025-06-07 10:00", 0),
                 ("Sat 11:59", 0), ("Sat 12:00", DENY),
                 ("Sun 10:30", DENY), ("Fri 17:59", 0), ("Fri 18:00", DENY)]
        for at, rc in cases:
            p = self.explain("--peer", "1", "--from", "10.0.0.1",
                             "--at", at)
            self.assertEqual(p.returncode, rc, f"{at}: {p.stdout}")
            if rc == DENY:
                self.assertEqual(field(p.stdout, "rule"), "policy.schedule")
                self.assertIn('"Connection not allowed"', p.stdout)

    def test_epoch_in_time_zone(self):
        # 2025-01-06 07:30 UTC, a Monday: 08:30 in Berlin (inside),
        # 07:30 in UTC (outside).
        p = self.explain("--peer", "1", "--from", "10.0.0.1", "--at",
                         "@1736148600")
        if HAVE_TZDATA:
            self.assertEqual(p.returncode, 0, p.stdout)
            self.assertIn("Mon 08:30 (Europe/Berlin)", p.stdout)
        else:
            self.assertEqual(p.returncode, DENY, p.stdout)

    def test_consent(self):
        p = self.explain("--peer", "1", "--from", "10.0.0.1", "--at",
                         "Mon 09:00", "--user-present")
        self.assertEqual(p.returncode, ASK, p.stdout)
        self.assertEqual(field(p.stdout, "decision"), "ask")
        self.assertTrue(field(p.stdout, "consent").startswith(
            "password-and-click"), p.stdout)
        self.assertIn("has 30s to answer; no answer is a denial", p.stdout)
        cfg = self.write_config(
            "access:\n  approve: click\n", name="click.yaml")
        p = self.explain("--peer", "1", "--from", "10.0.0.1", cfg=cfg)
        self.assertEqual(p.returncode, DENY)
        self.assertEqual(field(p.stdout, "rule"), "access.approve 'click'")
        p = self.explain("--peer", "1", "--from", "10.0.0.1",
                         "--user-present", cfg=cfg)
        self.assertEqual(p.returncode, ASK)
        cfg = self.write_config(
            "policy:\n  consent:\n    when_no_user: deny\n",
            name="nouser.yaml")
        p = self.explain("--peer", "1", "--from", "10.0.0.1", cfg=cfg)
        self.assertEqual(p.returncode, DENY)
        self.assertEqual(field(p.stdout, "rule"),
                         "policy.consent.when_no_user 'deny'")

    def test_kinds(self):
        want = {"file-transfer": "No permission of file transfer",
                "terminal": "No permission of terminal",
                "port-forward": "No permission of IP tunneling",
                "camera": "No permission of viewing camera"}
        for kind, msg in want.items():
            p = self.explain("--peer", "1", "--from", "10.0.0.1", "--at",
                             "Mon 09:00", "--kind", kind)
            self.assertEqual(p.returncode, DENY, kind)
            self.assertIn(f'"{msg}"', p.stdout)
        # Allowed, but no folder to share: refused.
        cfg = self.write_config(
            "policy:\n  allow:\n    file_transfer: true\n",
            name="ft.yaml")
        p = self.explain("--peer", "1", "--from", "10.0.0.1", "--kind",
                         "file-transfer", cfg=cfg)
        self.assertEqual(p.returncode, DENY)
        self.assertEqual(field(p.stdout, "rule"),
                         "policy.allow.file_transfer 'false'")
        # With a root: allowed.
        cfg = self.write_config(
            "policy:\n  allow:\n    file_transfer: download\n"
            "  files:\n    roots: [\"/srv/share\"]\n", name="ft2.yaml")
        p = self.explain("--peer", "1", "--from", "10.0.0.1", "--kind",
                         "file-transfer", cfg=cfg)
        self.assertEqual(p.returncode, 0, p.stdout)

    def test_encryption_and_direct_ip(self):
        p = self.explain("--peer", "1", "--from", "10.0.0.1", "--at",
                         "Mon 09:00", "--plaintext")
        self.assertEqual(p.returncode, DENY)
        self.assertIn("Encryption required by host policy", p.stdout)
        self.assertEqual(field(p.stdout, "rule"),
                         "security.require_encryption 'true'")
        cfg = self.write_config("state_dir: x\n", name="plain.yaml")
        p = self.explain("--peer", "1", "--from", "127.0.0.1", "--path",
                         "direct-ip", cfg=cfg)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("(plaintext)", p.stdout)
        p = self.explain("--peer", "1", "--from", "192.168.1.5", "--path",
                         "direct-ip", cfg=cfg)
        self.assertEqual(p.returncode, DENY)
        self.assertEqual(field(p.stdout, "rule"), "direct_access.allow_from")
        cfg = self.write_config(
            "security:\n  require_encryption: false\n", name="noenc.yaml")
        p = self.explain("--peer", "1", "--from", "10.0.0.1", "--plaintext",
                         cfg=cfg)
        self.assertEqual(p.returncode, 0, p.stdout)

    def test_limits(self):
        cfg = self.write_config(
            "policy:\n  limits:\n    max_sessions: 2\n"
            "    max_duration: 1h30m\n    idle_timeout: 0\n",
            name="lim.yaml")
        p = self.explain("--peer", "1", "--from", "10.0.0.1", "--sessions",
                         "2", cfg=cfg)
        self.assertEqual(p.returncode, DENY)
        self.assertEqual(field(p.stdout, "rule"),
                         "policy.limits.max_sessions '2'")
        p = self.explain("--peer", "1", "--from", "10.0.0.1", "--sessions",
                         "1", cfg=cfg)
        self.assertEqual(p.returncode, 0)
        self.assertIn("duration 1h30m, idle timeout none", p.stdout)

    def test_usage(self):
        for args in (["--from", "10.0.0.1"], ["--peer", "1"],
                     ["--peer", "1", "--from", "nope"],
                     ["--peer", "1", "--from", "10.0.0.1", "--kind", "x"],
                     ["--peer", "1", "--from", "10.0.0.1", "--at", "Mo 9"],
                     ["--peer", "1", "--from", "10.0.0.1", "--at",
                      "2025-02-30 10:00"],
                     ["--peer", "1", "--from", "10.0.0.1", "--path", "x"],
                     ["--peer", "1", "--from", "10.0.0.1", "extra"]):
            p = self.explain(*args)
            self.assertEqual(p.returncode, EX_USAGE, args)
        p = run(["policy", "bogus"])
        self.assertEqual(p.returncode, EX_USAGE)
        for args in (["policy", "--help"], ["policy", "explain", "--help"]):
            p = run(args)
            self.assertEqual(p.returncode, 0, args)
            self.assertIn("usage", p.stdout)

    def test_bad_config_is_78(self):
        cfg = self.write_config("policy:\n  schedule: [Mon-Fry]\n",
                                name="bad.yaml")
        p = self.explain("--peer", "1", "--from", "10.0.0.1", cfg=cfg)
        self.assertEqual(p.returncode, EX_CONFIG)
        self.assertTrue(LOC.search(p.stderr), p.stderr)


class ConfigCheck(TempDirCase):
    def assert_error_at(self, text, line, col, words):
        path = self.write_config(text)
        p = run(["-c", path, "config", "check"])
        self.assertEqual(p.returncode, EX_CONFIG, p.stderr)
        found = [m for m in LOC.finditer(p.stderr)
                 if m["file"] == path and int(m["line"]) == line and
                 int(m["col"]) == col]
        self.assertTrue(found, f"no error at {line}:{col} in {p.stderr!r}")
        for w in words:
            self.assertIn(w, p.stderr)

    def test_bad_cidr(self):
        self.assert_error_at(
            "direct_access:\n  allow_from:\n    - 10.0.0.0/8\n"
            "    - 10.0.0.1/8\n", 4, 7,
            ["direct_access.allow_from", "did you mean 10.0.0.0/8?"])
        self.assert_error_at(
            "policy:\n  peers:\n    allow_from: [fd00::/129]\n", 3, 18,
            ["policy.peers.allow_from", "0-128"])
        self.assert_error_at(
            "policy:\n  peers:\n    allow_from: [\"10.0.0\"]\n", 3, 18,
            ["invalid IPv4 address"])

    def test_bad_schedule(self):
        self.assert_error_at(
            "policy:\n  schedule:\n    - Mon-Fri 08:00-18:00\n"
            "    - Mon-Fry 08:00-18:00\n", 4, 7,
            ["policy.schedule", "Mon-Fry"])
        self.assert_error_at(
            "policy:\n  schedule: [\"Mon 08:00-08:00\"]\n", 2, 14,
            ["policy.schedule"])

    def test_bad_glob(self):
        self.assert_error_at(
            "policy:\n  peers:\n    allow_ids: [\"12*\", \"[0-9]*\"]\n", 3,
            24, ["policy.peers.allow_ids", "wildcards"])

    def test_bad_timezone(self):
        self.assert_error_at(
            "policy:\n  schedule_timezone: Europe/Berln\n", 2, 22,
            ["policy.schedule_timezone", "Europe/Berln"])
        self.assert_error_at(
            "policy:\n  schedule_timezone: ../../etc/passwd\n", 2, 22,
            ["policy.schedule_timezone"])

    def test_on_timeout_only_deny(self):
        self.assert_error_at(
            "policy:\n  consent:\n    on_timeout: allow\n", 3, 17,
            ["policy.consent.on_timeout", "deny"])

    def test_good_policy(self):
        path = self.write_config(POLICY.replace("STATE", f"{self.tmp}/s"))
        p = run(["-c", path, "config", "check"])
        self.assertEqual(p.returncode, 0, p.stderr)


if __name__ == "__main__":
    main()
