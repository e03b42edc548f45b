#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Issue 12, what a new admin ran into after the README's two commands:
`status` as a table and valid JSON, `reload`'s sentence, `id --reset`
while the agent runs, the password minimum, `doctor` on the defaults and
the audit read commands on an empty or missing trail. The real binary on
real files; agents on free ports."""
import json
import os
import re
import subprocess

from agent import Agent
from common import SOURCE_DIR, TempDirCase, main, run

EX_USAGE, EX_DATAERR, EX_UNAVAILABLE, EX_TEMPFAIL, EX_CONFIG = \
    64, 65, 69, 75, 78


def table(text):
    """{label: [values]} of `outpost status`'s "      label: value" rows
    (a row without a label continues the one above)."""
    rows, last = {}, None
    for line in text.splitlines()[1:]:
        m = re.match(r"^ {0,11}(\S[^:]*): (.*)$", line)
        if m and len(line) > 13 and line[12] == ":":
            last = m.group(1).strip()
            rows.setdefault(last, []).append(m.group(2))
        elif line.startswith(" " * 14) and last is not None:
            rows[last].append(line.strip())
    return rows


class Status(TempDirCase):
    def start_agent(self, **kw):
        self.agent = Agent(self.tmp, **kw).start()
        self.addCleanup(self.agent.stop)
        self.agent.wait_status(lambda s: True)
        return self.agent

    def test_table_not_json(self):
        a = self.start_agent()
        p = run(["-c", a.config, "status"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout.splitlines()[0],
                         r"^outpost \d+\.\d+\.\d+: running \(pid \d+, up ")
        rows = table(p.stdout)
        self.assertEqual(rows["ID"], [a.id])
        self.assertEqual(rows["config"], [a.config])
        self.assertEqual(rows["rendezvous"],
                         ["not configured (reachable by direct IP only)"])
        self.assertEqual(rows["direct IP"],
                         [f"127.0.0.1:{a.direct_port} (plaintext by "
                          "protocol)"])
        self.assertEqual(rows["password"],
                         ["no permanent password (one-time password "
                          "only)"])
        self.assertEqual(rows["sessions"], ["0 open, 0 since start"])
        for c in '{}"':
            self.assertNotIn(c, p.stdout)

    def test_table_registered(self):
        from rendezvous import RendezvousServer
        rs = RendezvousServer().start()
        self.addCleanup(rs.stop)
        a = self.start_agent(rendezvous=f"127.0.0.1:{rs.port}",
                             key=rs.public_key_b64)
        a.wait_status(lambda s: s["registered"])
        rows = table(run(["-c", a.config, "status"]).stdout)
        self.assertRegex(rows["rendezvous"][0],
                         rf"^127\.0\.0\.1:{rs.port}: registered, last "
                         r"answer \d+\.\d s ago \(udp\)$")

    def test_json_has_each_key_once(self):
        a = self.start_agent()
        p = run(["-c", a.config, "status", "--json"])
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stdout.count('"server":'), 1, p.stdout)
        pairs = json.loads(p.stdout, object_pairs_hook=lambda kv: kv)
        keys = [k for k, _ in pairs]
        self.assertEqual(len(keys), len(set(keys)), keys)
        st = json.loads(p.stdout)
        self.assertIs(st["running"], True)
        import jsonschema
        with open(f"{SOURCE_DIR}/config/schema/status.schema.json") as f:
            jsonschema.validate(st, json.load(f))

    def test_not_running(self):
        cfg = self.write_config(f"state_dir: {self.tmp}/s\n")
        p = run(["-c", cfg, "status", "--json"])
        self.assertEqual(p.returncode, EX_UNAVAILABLE)
        self.assertEqual(json.loads(p.stdout), {"running": False})
        self.assertIn("not running", p.stderr)
        p = run(["-c", cfg, "status"])
        self.assertEqual((p.returncode, p.stdout), (EX_UNAVAILABLE, ""))
        self.assertIn("not running", p.stderr)

    def test_reload_says_so(self):
        a = self.start_agent()
        p = run(["-c", a.config, "reload"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "The running agent reloaded its "
                         "configuration, password and identity.\n")


class IdReset(TempDirCase):
    """Issue 12.6: `id` and `status` never disagree."""

    def test_refused_while_running_then_forced(self):
        from rendezvous import RendezvousServer
        rs = RendezvousServer().start()
        self.addCleanup(rs.stop)
        a = Agent(self.tmp, rendezvous=f"127.0.0.1:{rs.port}",
                  key=rs.public_key_b64).start()
        self.addCleanup(a.stop)
        self.assertTrue(rs.wait_registered(a.id, timeout=5))
        key = open(f"{a.state}/identity.key").read()
        p = run(["-c", a.config, "id", "--reset"])
        self.assertEqual(p.returncode, EX_TEMPFAIL, p.stderr)
        self.assertIn(f"the agent is running (pid {a.proc.pid}) as ID "
                      f"{a.id}", p.stderr)
        self.assertIn("--force", p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertEqual(open(f"{a.state}/identity.key").read(), key)
        self.assertEqual(run(["-c", a.config, "id"]).stdout.strip(), a.id)
        p = run(["-c", a.config, "id", "--force"])
        self.assertEqual(p.returncode, EX_USAGE)
        p = run(["-c", a.config, "id", "--reset", "--force"])
        self.assertEqual(p.returncode, 0, p.stderr)
        new = p.stdout.strip()
        self.assertRegex(new, r"^[1-9][0-9]{8}$")
        self.assertNotEqual(new, a.id)
        self.assertIn(f"registers as {new} now", p.stderr)
        self.assertEqual(run(["-c", a.config, "id"]).stdout.strip(), new)
        st = a.status()
        self.assertEqual(st["id"], new)
        # The new ID registers with hbbs, with the new key.
        self.assertTrue(rs.wait_registered(new, timeout=5), a.log())
        self.assertLogged(f"new identity: ID {new} (was {a.id})", a)
        self.assertIsNone(a.proc.poll())

    def test_not_running(self):
        cfg = self.write_config(f"state_dir: {self.tmp}/s\n")
        old = run(["-c", cfg, "id"]).stdout
        p = run(["-c", cfg, "id", "--reset"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotEqual(p.stdout, old)
        self.assertEqual(p.stderr, "")


class Password(TempDirCase):
    """Issue 12.7: a minimum length, and `clear` says when there was
    nothing to clear."""

    def test_minimum_length(self):
        cfg = self.write_config(f"state_dir: {self.tmp}/s\n")
        h1 = f"{self.tmp}/s/password.h1"
        for pw in ("ab", "1234567", "pässwo\u20ac"[:7]):
            p = run(["-c", cfg, "password", "set"], stdin=pw + "\n")
            self.assertEqual(p.returncode, EX_DATAERR, pw)
            self.assertIn(f"too short: {len(pw)} characters; at least 8 "
                          "(access.permanent_password.min_length)",
                          p.stderr)
            self.assertNotIn(pw, p.stderr)
            self.assertFalse(os.path.exists(h1))
        # Characters, not bytes: 8 characters in 10 bytes are enough.
        p = run(["-c", cfg, "password", "set"], stdin="pässwör8\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.exists(h1))
        # Configurable, both ways.
        cfg = self.write_config(f"state_dir: {self.tmp}/s\naccess:\n"
                                "  permanent_password:\n"
                                "    min_length: 12\n")
        p = run(["-c", cfg, "password", "set"], stdin="eleven-char\n")
        self.assertEqual(p.returncode, EX_DATAERR)
        self.assertIn(f"at least 12 (access.permanent_password.min_length "
                      f"in {cfg})", p.stderr)
        cfg = self.write_config(f"state_dir: {self.tmp}/s\naccess:\n"
                                "  permanent_password:\n"
                                "    min_length: 2\n")
        p = run(["-c", cfg, "password", "set"], stdin="ab\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        for bad in ("0", "129"):
            cfg = self.write_config("access:\n  permanent_password:\n"
                                    f"    min_length: {bad}\n")
            self.assertEqual(run(["config", "check", cfg]).returncode,
                             EX_CONFIG)

    def test_clear_when_nothing_is_set(self):
        cfg = self.write_config(f"state_dir: {self.tmp}/s\n")
        my_id = run(["-c", cfg, "id"]).stdout.strip()
        p = run(["-c", cfg, "password", "clear"])
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stderr, f"no permanent password is set for "
                         f"{my_id}: nothing to clear\n")
        run(["-c", cfg, "password", "set"], stdin="long enough\n")
        p = run(["-c", cfg, "password", "clear"])
        self.assertEqual(p.stderr, f"permanent password cleared for "
                         f"{my_id}\n")


class Doctor(TempDirCase):
    """Issue 12.9: doctor on the built-in defaults gives advice."""

    def test_on_the_defaults(self):
        if os.path.exists("/etc/outpost/outpost.yaml"):
            self.skipTest("/etc/outpost/outpost.yaml exists")
        for args in (["doctor"], ["doctor", "--json"]):
            p = run(args, cwd=self.tmp)
            self.assertEqual(p.returncode, EX_UNAVAILABLE, p.stdout)
            if args == ["doctor"]:
                self.assertEqual(p.stdout.splitlines(), [
                    "FAIL  config          server.rendezvous is not set "
                    "(built-in defaults: no /etc/outpost/outpost.yaml); "
                    "fix: set server.rendezvous to your hbbs host, e.g. "
                    "'rustdesk.example.com' (port 21116 is implied), in "
                    "/etc/outpost/outpost.yaml",
                    "reachable by ID: no, there is no rendezvous server "
                    "to register with; this host takes direct-IP "
                    "connections only (on 127.0.0.1:21118) (exit 69)"])
            else:
                d = json.loads(p.stdout)
                self.assertEqual((d["exit_code"], d["reachable"]),
                                 (EX_UNAVAILABLE, False))
            self.assertNotIn("((", p.stdout)
            self.assertNotIn("exit 78", p.stdout)
        self.assertEqual(os.listdir(self.tmp), [])  # wrote nothing


class Audit(TempDirCase):
    """Issue 12.12: valid JSON when nothing is recorded; the read commands
    leave no -wal/-shm files behind."""

    def test_list_json_when_nothing_recorded(self):
        cfg = self.write_config(f"state_dir: {self.tmp}/s\n")
        p = run(["-c", cfg, "audit", "list", "--json"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout), [])
        self.assertIn("nothing recorded yet", p.stderr)
        p = run(["-c", cfg, "audit", "list"])
        self.assertEqual((p.returncode, p.stdout), (0, ""))
        self.assertFalse(os.path.exists(f"{self.tmp}/s"))

    def test_read_commands_leave_no_files(self):
        a = Agent(self.tmp).start()
        a.wait_status(lambda s: True)
        p = run(["-c", a.config, "audit", "list", "--json"])
        self.assertEqual((p.returncode, json.loads(p.stdout)), (0, []))
        self.assertEqual(a.stop(), 0)
        db = f"{a.state}/audit.db"
        before = sorted(os.listdir(a.state))
        self.assertNotIn("audit.db-wal", before)  # the agent cleaned up
        with open(db, "rb") as f:
            content = f.read()
        for args in (["list"], ["list", "--json"], ["show", "1"],
                     ["export"], ["export", "--format", "csv"],
                     ["verify"]):
            p = run(["-c", a.config, "audit"] + args)
            self.assertIn(p.returncode, (0, 66), (args, p.stderr))
            self.assertEqual(sorted(os.listdir(a.state)), before, args)
        with open(db, "rb") as f:
            self.assertEqual(f.read(), content)
        self.assertIn("audit trail intact",
                      run(["-c", a.config, "audit", "verify"]).stdout)


class Makefile(TempDirCase):
    """Issue 12.10: cmake, ctest and cpack do not inherit make's flags
    (the generated Makefiles would print every "Entering directory")."""

    def test_cmake_runs_without_makes_environment(self):
        p = subprocess.run(["make", "-n", "-C", SOURCE_DIR, "run", "test",
                            "package", "build"], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        tools = [ln for ln in p.stdout.splitlines()
                 if re.search(r"\b(cmake|ctest|cpack)\b", ln)]
        self.assertGreaterEqual(len(tools), 11, p.stdout)
        for ln in tools:
            self.assertRegex(ln, r"MAKEFLAGS= MFLAGS= MAKELEVEL= "
                             r"(cmake|ctest|cpack) ", ln)


class Readme(TempDirCase):
    def test_package_paths_are_where_cpack_writes(self):
        # Issue 12.12: the README's install lines use the real path.
        with open(os.path.join(SOURCE_DIR, "README.md")) as f:
            readme = f.read()
        with open(os.path.join(SOURCE_DIR, "CMakePresets.json")) as f:
            presets = json.load(f)["configurePresets"]
        with open(os.path.join(SOURCE_DIR, "packaging",
                               "packaging.cmake")) as f:
            cmake = f.read()
        self.assertIn("set(CPACK_OUTPUT_FILE_PREFIX ${CMAKE_BINARY_DIR}/"
                      "packages)", cmake)
        release = [p for p in presets if p["name"] == "release"][0]
        outdir = release["binaryDir"].replace("${sourceDir}/", "") + \
            "/packages/"
        self.assertEqual(outdir, "build/release/packages/")
        installs = re.findall(r"^(?:apt|dnf) install (\S+)", readme, re.M)
        self.assertEqual(len(installs), 2, installs)
        for path in installs:
            self.assertTrue(path.startswith("./" + outdir), path)


class PackagingGuard(TempDirCase):
    """Issue 12.2: the system-package tests never purge an outpost they did
    not install. syspkg runs against stand-ins (dpkg-query says outpost is
    installed; dpkg and rpm record their calls; the system paths are
    under tmp), so this test can touch nothing real."""

    def setUp(self):
        super().setUp()
        import syspkg
        self.syspkg = syspkg
        bindir = os.path.join(self.tmp, "bin")
        os.mkdir(bindir)
        self.calls = os.path.join(self.tmp, "calls")
        for tool, script in (
                ("dpkg-query", 'printf installed\n'),
                ("dpkg", f'echo "dpkg $*" >> {self.calls}\n'),
                ("rpm", f'echo "rpm $*" >> {self.calls}; exit 1\n')):
            with open(os.path.join(bindir, tool), "w") as f:
                f.write("#!/bin/sh\n" + script)
            os.chmod(os.path.join(bindir, tool), 0o755)
        self.etc = os.path.join(self.tmp, "etc-outpost")
        os.mkdir(self.etc)
        with open(os.path.join(self.etc, "outpost.yaml"), "w") as f:
            f.write("# a deployed host's config\n")
        saved = {k: getattr(syspkg, k) for k in
                 ("SYSTEM_PATHS", "MARKER", "LOCK_FILE", "BINARY",
                  "UNIT_LINKS")}
        self.addCleanup(lambda: [setattr(syspkg, k, v)
                                 for k, v in saved.items()])
        syspkg.SYSTEM_PATHS = [self.etc]
        syspkg.MARKER = os.path.join(self.tmp, "marker")
        syspkg.LOCK_FILE = os.path.join(self.tmp, "lock")
        syspkg.BINARY = os.path.join(self.tmp, "usr-bin-outpost")
        syspkg.UNIT_LINKS = []
        path = os.environ["PATH"]
        self.addCleanup(os.environ.__setitem__, "PATH", path)
        os.environ["PATH"] = bindir + os.pathsep + path

    def test_installed_outpost_is_left_alone(self):
        import unittest
        if os.geteuid() != 0:
            self.skipTest("skip_reason() needs root to get this far")
        why = self.syspkg.skip_reason("systemd-analyze")
        self.assertIsNotNone(why)
        self.assertIn("the outpost package is installed (dpkg: installed)",
                      why)
        self.assertIn("would delete this host's ID, keys and audit trail",
                      why)
        with self.assertRaises(unittest.SkipTest):
            self.syspkg.SystemGuard().begin()
        self.assertFalse(os.path.exists(self.calls),
                         open(self.calls).read()
                         if os.path.exists(self.calls) else "")
        self.assertTrue(os.path.isfile(os.path.join(self.etc,
                                                    "outpost.yaml")))
        self.assertFalse(os.path.exists(self.syspkg.MARKER))

    def test_own_leftovers_are_purged(self):
        # An interrupted run of ours left its marker: that install is
        # ours to purge, and the next run does.
        with open(self.syspkg.MARKER, "w") as f:
            f.write("interrupted\n")
        self.assertIsNone(self.syspkg.foreign_install())
        g = self.syspkg.SystemGuard()
        g.begin()
        with open(self.calls) as f:
            self.assertIn("dpkg --purge outpost", f.read())
        g.end()
        self.assertFalse(os.path.exists(self.syspkg.MARKER))


if __name__ == "__main__":
    main()
