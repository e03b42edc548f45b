#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The CLI contract admins script against: help, exit codes, id,
password, config check/dump, and `run` on a config and on the built-in
defaults. Runs the real binary on real files."""
import hashlib
import os
import re
import signal
import stat
import subprocess
import time

from common import OUTPOST, TempDirCase, main, run

EX_USAGE, EX_DATAERR, EX_NOPERM, EX_CONFIG = 64, 65, 77, 78


class Help(TempDirCase):
    def test_help_on_every_level(self):
        for args in (["--help"], ["-h"], ["run", "--help"],
                     ["id", "--help"], ["password", "--help"],
                     ["password", "set", "--help"],
                     ["password", "clear", "--help"],
                     ["config", "--help"], ["config", "check", "--help"],
                     ["config", "dump", "--help"], ["version", "--help"]):
            p = run(args)
            self.assertEqual(p.returncode, 0, args)
            self.assertIn("usage", p.stdout, args)

    def test_usage_errors(self):
        self.assertEqual(run([]).returncode, EX_USAGE)
        p = run(["frobnicate"])
        self.assertEqual(p.returncode, EX_USAGE)
        self.assertIn("unknown command 'frobnicate'", p.stderr)
        self.assertEqual(run(["password", "bogus"]).returncode, EX_USAGE)
        self.assertEqual(run(["id", "--bogus"]).returncode, EX_USAGE)

    def test_version(self):
        p = run(["version"])
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^outpost \d+\.\d+\.\d+\n$")

    def test_audit_needs_a_subcommand(self):
        p = run(["audit"])
        self.assertEqual(p.returncode, EX_USAGE)
        self.assertIn("verify", p.stderr)

    def test_version_options(self):
        for args in (["--version"], ["-V"], ["-c", "/nonexistent", "-V"]):
            p = run(args)
            self.assertEqual(p.returncode, 0, args)
            self.assertEqual(p.stdout, run(["version"]).stdout, args)

    def test_help_lists_every_readme_exit_code(self):
        from common import SOURCE_DIR
        with open(os.path.join(SOURCE_DIR, "README.md")) as f:
            readme = f.read()
        codes = re.findall(r"^\| (\d+) \| ", readme.split("## CLI")[1]
                           .split("\n## ")[0], re.M)
        self.assertGreaterEqual(len(codes), 10, codes)
        helptext = run(["--help"]).stdout
        for code in codes:
            self.assertRegex(helptext, rf"(?m)^  {code} +\S", code)


# Every command and subcommand, with what it needs to get past its own
# required arguments (so the extra one is what is refused).
COMMANDS = [["run"], ["id"], ["id", "--reset"], ["password", "set"],
            ["password", "clear"], ["config", "check"], ["config", "dump"],
            ["config", "example"], ["config", "schema"], ["config", "man"],
            ["config", "import", "x.yaml"],
            ["config", "import-rustdesk", "host=h"], ["version"],
            ["status"], ["status", "--json"], ["reload"], ["enroll"],
            ["doctor"], ["doctor", "--json"],
            ["policy", "explain", "--peer", "1", "--from", "10.0.0.1"],
            ["audit", "list"], ["audit", "show", "1"], ["audit", "export"],
            ["audit", "verify"], ["audit", "forward"]]


class Arguments(TempDirCase):
    """Issue 12.1: an argument a command does not know is refused with
    exit 64 and names what is wrong, never ignored."""

    def test_unexpected_arguments_refused(self):
        cfg = self.write_config(f"state_dir: {self.tmp}/s\n")
        for cmd in COMMANDS:
            for extra in (["--bogus"], ["-Z"], ["extra"]):
                if cmd[-1] in ("x.yaml", "host=h") and extra == ["extra"]:
                    extra = ["another"]
                args = ["-c", cfg] + cmd + extra
                p = run(args, stdin="")
                self.assertEqual(p.returncode, EX_USAGE, (args, p.stderr))
                if cmd == ["password", "set"]:
                    # It may be a password: not echoed.
                    self.assertNotIn(extra[0], p.stderr)
                else:
                    self.assertIn(f"'{extra[0]}'", p.stderr, args)
                self.assertIn("usage:", p.stderr, args)
                self.assertEqual(p.stdout, "", args)
        self.assertFalse(os.path.exists(f"{self.tmp}/s"))

    def test_config_file_after_the_subcommand(self):
        bad = self.write_config("log:\n  level: loud\n", name="bad.yaml")
        good = self.write_config("log:\n  level: debug\n", name="good.yaml")
        for form in ([bad], ["-c", bad], ["--config", bad],
                     [f"--config={bad}"]):
            p = run(["config", "check"] + form)
            self.assertEqual(p.returncode, EX_CONFIG, (form, p.stdout))
            self.assertIn(f"{bad}:2:10:", p.stderr, form)
            self.assertNotIn("OK", p.stdout)
            p = run(["config", "dump"] + form)
            self.assertEqual(p.returncode, EX_CONFIG, form)
        for form in ([good], ["-c", good]):
            p = run(["config", "check"] + form)
            self.assertEqual((p.returncode, p.stdout), (0, f"{good}: OK\n"))
            p = run(["config", "dump"] + form)
            self.assertIn('level: "debug"', p.stdout, form)
        p = run(["config", "check", f"{self.tmp}/absent.yaml"])
        self.assertEqual(p.returncode, EX_CONFIG)
        self.assertIn(f"{self.tmp}/absent.yaml", p.stderr)
        # Two different files: which one was meant?
        for args in (["-c", good, "config", "check", bad],
                     ["config", "check", good, bad],
                     ["config", "dump", good, "-c", bad]):
            p = run(args)
            self.assertEqual(p.returncode, EX_USAGE, args)
            self.assertIn("two configuration files", p.stderr)
        p = run(["-c", good, "config", "check", good])
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_missing_arguments_named(self):
        p = run(["policy", "explain"])
        self.assertEqual(p.returncode, EX_USAGE)
        self.assertIn("missing --peer ID and --from ADDR", p.stderr)
        p = run(["policy", "explain", "--peer", "123456789"])
        self.assertEqual(p.returncode, EX_USAGE)
        self.assertIn("missing --from ADDR", p.stderr)
        p = run(["audit", "list", "--since"])
        self.assertEqual(p.returncode, EX_USAGE)
        self.assertIn("--since needs a value", p.stderr)
        p = run(["config", "import"])
        self.assertEqual(p.returncode, EX_USAGE)
        self.assertIn("missing operand", p.stderr)

    def test_enroll_help_says_it_creates_the_identity(self):
        p = run(["enroll", "--help"])
        self.assertEqual(p.returncode, 0)
        self.assertIn("Creates this host's identity", p.stdout)
        self.assertIn("create the identity", run(["--help"]).stdout)


class Identity(TempDirCase):
    def cfg(self, sub):
        return self.write_config(
            f"state_dir: {self.tmp}/{sub}\n", name=f"{sub}.yaml")

    def test_id_stable_and_distinct(self):
        a, b = self.cfg("a"), self.cfg("b")
        ids = [run(["-c", a, "id"]) for _ in range(3)]
        for p in ids:
            self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(ids[0].stdout, r"^[1-9][0-9]{8}\n$")
        self.assertEqual(len({p.stdout for p in ids}), 1)
        other = run(["-c", b, "id"])
        self.assertNotEqual(other.stdout, ids[0].stdout)
        st = os.stat(f"{self.tmp}/a")
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o700)
        for f in ("id", "uuid", "identity.key", "salt"):
            st = os.stat(f"{self.tmp}/a/{f}")
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o600, f)

    def test_reset(self):
        a = self.cfg("a")
        before = run(["-c", a, "id"]).stdout
        key_before = open(f"{self.tmp}/a/identity.key").read()
        p = run(["-c", a, "id", "--reset"])
        self.assertEqual(p.returncode, 0)
        self.assertNotEqual(p.stdout, before)
        self.assertEqual(run(["-c", a, "id"]).stdout, p.stdout)
        self.assertNotEqual(open(f"{self.tmp}/a/identity.key").read(),
                            key_before)

    def test_custom_id(self):
        c = self.write_config(f"state_dir: {self.tmp}/c\n"
                              "identity:\n  id: helpdesk-01\n")
        self.assertEqual(run(["-c", c, "id"]).stdout, "helpdesk-01\n")
        p = run(["-c", c, "id", "--reset"])
        self.assertEqual(p.returncode, EX_CONFIG)
        self.assertIn("identity.id", p.stderr)

    def test_key_mode_enforced(self):
        a = self.cfg("a")
        run(["-c", a, "id"])
        key = f"{self.tmp}/a/identity.key"
        os.chmod(key, 0o640)
        p = run(["-c", a, "id"])
        self.assertEqual(p.returncode, EX_NOPERM)
        self.assertIn(key, p.stderr)
        self.assertIn(f"chmod 600 {key}", p.stderr)
        os.chmod(key, 0o600)
        os.chmod(f"{self.tmp}/a", 0o755)
        p = run(["-c", a, "id"])
        self.assertEqual(p.returncode, EX_NOPERM)
        self.assertIn("chmod 700", p.stderr)


class Password(TempDirCase):
    def test_set_from_stdin_stores_salted_hash(self):
        a = self.write_config(f"state_dir: {self.tmp}/s\n")
        p = run(["-c", a, "password", "set"], stdin="S3cret-pässword\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("S3cret", p.stdout + p.stderr)
        h1file = f"{self.tmp}/s/password.h1"
        self.assertEqual(stat.S_IMODE(os.stat(h1file).st_mode), 0o600)
        salt = open(f"{self.tmp}/s/salt").read().strip()
        stored = open(h1file).read().strip()
        import base64
        want = hashlib.sha256("S3cret-pässword".encode() +
                              salt.encode()).digest()
        self.assertEqual(base64.b64decode(stored), want)
        for root, _, files in os.walk(f"{self.tmp}/s"):
            for f in files:
                self.assertNotIn(b"S3cret", open(os.path.join(root, f),
                                                 "rb").read())
        p = run(["-c", a, "password", "clear"])
        self.assertEqual(p.returncode, 0)
        self.assertFalse(os.path.exists(h1file))

    def test_bad_passwords(self):
        a = self.write_config(f"state_dir: {self.tmp}/s\n")
        self.assertEqual(run(["-c", a, "password", "set"],
                             stdin="").returncode, EX_DATAERR)
        self.assertEqual(run(["-c", a, "password", "set"],
                             stdin="x" * 129).returncode, EX_DATAERR)
        self.assertEqual(run(["-c", a, "password", "set"],
                             stdin="a\tb").returncode, EX_DATAERR)
        # Never from argv.
        p = run(["-c", a, "password", "set", "hunter2"])
        self.assertEqual(p.returncode, EX_USAGE)
        self.assertFalse(os.path.exists(f"{self.tmp}/s/password.h1"))


LOC = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<msg>.+)$",
                 re.M)


class ConfigCheck(TempDirCase):
    def check(self, text, mode=0o600):
        path = self.write_config(text, mode=mode)
        return path, run(["-c", path, "config", "check"])

    def assert_error_at(self, text, line, col, words):
        path, p = self.check(text)
        self.assertEqual(p.returncode, EX_CONFIG, p.stderr)
        found = [m for m in LOC.finditer(p.stderr)
                 if m["file"] == path and int(m["line"]) == line and
                 int(m["col"]) == col]
        self.assertTrue(found, f"no error at {line}:{col} in {p.stderr!r}")
        for w in words:
            self.assertIn(w, p.stderr)

    def test_good(self):
        path, p = self.check("server:\n  rendezvous: hbbs.example.org\n"
                             f"state_dir: {self.tmp}/s\n")
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_unknown_key_did_you_mean(self):
        self.assert_error_at("server:\n  rendevous: x.example\n", 2, 3,
                             ["server.rendevous", "server.rendezvous"])

    def test_wrong_type(self):
        self.assert_error_at("direct_access:\n  enabled: yes please\n", 2,
                             12, ["direct_access.enabled"])
        self.assert_error_at("server: 5\n", 1, 9, ["server"])

    def test_out_of_range(self):
        self.assert_error_at(
            "access:\n  one_time_password:\n    length: 4\n", 3, 13,
            ["length"])
        self.assert_error_at("identity:\n  id: 1abc\n", 2, 7,
                             ["identity.id"])

    def test_duplicate_key(self):
        self.assert_error_at("log:\n  level: info\n  level: debug\n", 3, 3,
                             ["duplicate", "log.level"])

    def test_malformed_yaml(self):
        path, p = self.check("server:\n  rendezvous: [unclosed\n")
        self.assertEqual(p.returncode, EX_CONFIG)
        self.assertTrue(LOC.search(p.stderr), p.stderr)

    def test_tab_indentation(self):
        # Issue 12.11: libyaml's own words do not say what is wrong.
        self.assert_error_at("server:\n\trendezvous: x\n", 2, 1,
                             ["tabs are not allowed for indentation"])

    def test_misindented_line_reports_the_syntax_error_alone(self):
        # "  level: info\n   target: stderr": libyaml reads "info target"
        # as the value before it fails; that derived error must not be
        # what the admin sees first (or at all).
        path, p = self.check("log:\n  level: info\n   target: stderr\n")
        self.assertEqual(p.returncode, EX_CONFIG)
        lines = p.stderr.splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn(f"{path}:3:10: YAML syntax error", lines[0])
        self.assertIn("indented", lines[0])
        self.assertNotIn("info target", p.stderr)

    def test_missing_file(self):
        p = run(["-c", f"{self.tmp}/nope.yaml", "config", "check"])
        self.assertEqual(p.returncode, EX_CONFIG)
        self.assertIn(f"{self.tmp}/nope.yaml", p.stderr)

    def test_unreadable(self):
        # A directory in place of the file: unreadable as a config even
        # for root (mode 000 is not, for root).
        os.mkdir(f"{self.tmp}/dir.yaml")
        p = run(["-c", f"{self.tmp}/dir.yaml", "config", "check"])
        self.assertEqual(p.returncode, EX_CONFIG)
        self.assertIn(f"{self.tmp}/dir.yaml", p.stderr)

    def test_world_writable_refused(self):
        path, p = self.check("log:\n  level: info\n", mode=0o666)
        self.assertEqual(p.returncode, EX_CONFIG)
        self.assertIn("writable", p.stderr)

    def test_all_errors_reported(self):
        path, p = self.check("bogus: 1\nlog:\n  level: loud\n")
        self.assertEqual(p.returncode, EX_CONFIG)
        self.assertGreaterEqual(len(LOC.findall(p.stderr)), 2, p.stderr)

    def test_dump_roundtrip(self):
        path = self.write_config("log:\n  level: debug\n"
                                 f"state_dir: {self.tmp}/s\n")
        d = run(["-c", path, "config", "dump"])
        self.assertEqual(d.returncode, 0, d.stderr)
        self.assertIn('level: "debug"', d.stdout)
        self.assertIn("rendezvous:", d.stdout)
        again = self.write_config(d.stdout, name="dump.yaml")
        d2 = run(["-c", again, "config", "dump"])
        self.assertEqual(d2.returncode, 0, d2.stderr)
        def body(text):
            return [ln for ln in text.splitlines() if not ln.startswith("#")]
        self.assertEqual(body(d.stdout), body(d2.stdout))


class ExampleAndSchema(TempDirCase):
    def test_committed_files_match_declarations(self):
        from common import SOURCE_DIR
        ex = run(["config", "example"])
        sc = run(["config", "schema"])
        self.assertEqual(ex.returncode, 0)
        self.assertEqual(sc.returncode, 0)
        with open(os.path.join(SOURCE_DIR, "config",
                               "outpost.example.yaml")) as f:
            self.assertEqual(f.read(), ex.stdout,
                             "regenerate with: outpost config example > "
                             "config/outpost.example.yaml")
        with open(os.path.join(SOURCE_DIR, "config", "schema",
                               "outpost.schema.json")) as f:
            self.assertEqual(f.read(), sc.stdout,
                             "regenerate with: outpost config schema > "
                             "config/schema/outpost.schema.json")

    def test_example_is_valid_and_matches_schema(self):
        import json
        import jsonschema
        import yaml
        ex = run(["config", "example"]).stdout
        schema = json.loads(run(["config", "schema"]).stdout)
        jsonschema.Draft202012Validator.check_schema(schema)
        path = self.write_config(ex)
        p = run(["-c", path, "config", "check"])
        self.assertEqual(p.returncode, 0, p.stderr)
        # The example documents every key with its default commented out;
        # uncommented, it is a full config that the schema accepts.
        full = yaml.safe_load(run(["-c", path, "config", "dump"]).stdout)
        jsonschema.validate(full, schema)
        with self.assertRaises(jsonschema.ValidationError):
            jsonschema.validate({"server": {"rendevous": "x"}}, schema)


class RunCase(TempDirCase):
    """Starts `outpost run` and reads its banner."""

    def start(self, args, cwd=None, user=None):
        cmd = [OUTPOST] + args
        if user is not None:
            cmd = ["setpriv", f"--reuid={user}", f"--regid={user}",
                   "--clear-groups"] + cmd
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, text=True,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        self.addCleanup(proc.stdout.close)
        self.addCleanup(proc.stderr.close)
        return proc

    def read_banner(self, proc):
        lines = []
        deadline = time.time() + 10
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Stop it with Ctrl-C" in line:  # the banner's last line
                break
        return "".join(lines)


class ListenAddress(RunCase):
    """Issue 12.3: one grammar for direct_access.listen in config check,
    the JSON schema and `run`."""

    CASES = [  # (YAML value, accepted)
        ("127.0.0.1:31119", True), ("0.0.0.0", True), ('"[::1]:31119"', True),
        ('"[::]"', True), ("12345", False), ('"12345"', False),
        ("localhost:31119", False), ("localhost", False),
        ("host.example:31119", False), ("1.2.3:4", False),
        ("01.2.3.4:5", False), ("127.0.0.1:080", False),
        ("127.0.0.1:0", False), ("127.0.0.1:65536", False),
        ("256.1.1.1:5", False)]

    def test_check_and_schema_agree(self):
        import json
        import jsonschema
        import yaml
        schema = json.loads(run(["config", "schema"]).stdout)
        for value, ok in self.CASES:
            text = f"direct_access:\n  listen: {value}\n"
            path = self.write_config(text)
            p = run(["config", "check", path])
            self.assertEqual(p.returncode, 0 if ok else EX_CONFIG,
                             (value, p.stderr))
            valid = jsonschema.Draft202012Validator(schema).is_valid(
                yaml.safe_load(text))
            self.assertEqual(valid, ok, value)
        p = run(["config", "check", self.write_config(
            "direct_access:\n  listen: localhost:31119\n")])
        self.assertIn("write 127.0.0.1:31119", p.stderr)
        p = run(["config", "check", self.write_config(
            "direct_access:\n  listen: 12345\n")])
        self.assertIn("is a port without an address", p.stderr)

    def test_what_check_accepts_run_binds(self):
        from agent import free_port
        port = free_port()
        for value in (f"127.0.0.1:{port}", f'"[::1]:{port}"'):
            path = self.write_config(f"state_dir: {self.tmp}/s\n"
                                     f"direct_access:\n  listen: {value}\n")
            self.assertEqual(run(["config", "check", path]).returncode, 0)
            proc = self.start(["-c", path, "run"])
            try:
                self.read_banner(proc)
                import json
                st = json.loads(run(["-c", path, "status", "--json"]).stdout)
                self.assertEqual(st["direct_access"]["port"], port, st)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=5)


class Run(RunCase):

    def cfg(self, extra=""):
        from agent import free_port
        return self.write_config(f"state_dir: {self.tmp}/s\ndirect_access:\n"
                                 f"  listen: 127.0.0.1:{free_port()}\n"
                                 + extra)

    def test_run_prints_id_and_otp_and_stops(self):
        path = self.cfg()
        proc = self.start(["-c", path, "run"])
        banner = self.read_banner(proc)
        my_id = run(["-c", path, "id"]).stdout.strip()
        self.assertIn(f"ID:                 {my_id}", banner)
        m = re.search(r"one-time password:  (\S+)", banner)
        self.assertTrue(m, banner)
        self.assertRegex(m.group(1), r"^[2-9a-km-np-z]{10}$")
        self.assertIn("File transfer, terminals and audio: off, off, off",
                      banner)
        # A bad config on SIGHUP keeps the running one.
        with open(path, "a") as f:
            f.write("bogus_key: 1\n")
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        self.assertIsNone(proc.poll())
        t0 = time.time()
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=5), 0)
        self.assertLess(time.time() - t0, 5)
        err = proc.stderr.read()
        self.assertIn("keeping the running configuration", err)
        self.assertNotIn(m.group(1), err)

    def test_control_socket_status_reload_password(self):
        import json
        path = self.cfg()
        p = run(["-c", path, "status"])
        self.assertEqual(p.returncode, 69)
        self.assertIn("not running", p.stderr)
        proc = self.start(["-c", path, "run"])
        try:
            self.read_banner(proc)
            sock = f"{self.tmp}/s/control.sock"
            self.assertEqual(stat.S_IMODE(os.stat(sock).st_mode), 0o600)
            st = json.loads(run(["-c", path, "status", "--json"]).stdout)
            self.assertEqual(st["id"], run(["-c", path, "id"]).stdout.strip())
            self.assertFalse(st["permanent_password"])
            self.assertIs(st["registered"], False)
            p = run(["-c", path, "password", "set"], stdin="pw-12345\n")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("picked up", p.stderr)
            st = json.loads(run(["-c", path, "status", "--json"]).stdout)
            self.assertTrue(st["permanent_password"])
            self.assertEqual(run(["-c", path, "reload"]).returncode, 0)
            with open(path, "a") as f:
                f.write("log:\n  level: loudest\n")
            p = run(["-c", path, "reload"])
            self.assertEqual(p.returncode, EX_CONFIG)
            self.assertIn("log.level", p.stderr)
            self.assertIsNone(proc.poll())
            # An unprivileged user is refused by the socket.
            if os.geteuid() == 0:
                os.chmod(f"{self.tmp}/s", 0o755)
                q = subprocess.run(
                    ["setpriv", "--reuid=65534", "--regid=65534",
                     "--clear-groups", "/usr/bin/python3", "-c",
                     "import socket;s=socket.socket(socket.AF_UNIX);"
                     f"s.connect('{sock}');s.send(b'status\\n');"
                     "print(repr(s.recv(100)))"],
                    capture_output=True, text=True)
                os.chmod(f"{self.tmp}/s", 0o700)
                self.assertNotIn("id", q.stdout)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=5)

    def test_embedded_default_as_unprivileged_user(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to drop to nobody")
        if os.path.exists("/etc/outpost/outpost.yaml"):
            self.skipTest("/etc/outpost/outpost.yaml exists")
        import socket
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", 21118)) == 0:
                self.skipTest("127.0.0.1:21118 is taken (another agent "
                              "runs on the defaults)")
        os.chown(self.tmp, 65534, 65534)
        proc = self.start(["run"], cwd=self.tmp, user=65534)
        banner = self.read_banner(proc)
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=5), 0, proc.stderr.read())
        self.assertIn("config: (built-in defaults)", banner)
        self.assertIn("127.0.0.1:21118", banner)
        self.assertIn("one-time password:  ", banner)
        self.assertTrue(os.path.isfile(f"{self.tmp}/.outpost-state/id"))

    def test_no_way_in_exits_69(self):
        # Issue 12.4: neither a rendezvous server nor a listener.
        import socket
        path = self.write_config(f"state_dir: {self.tmp}/s\n"
                                 "direct_access:\n  enabled: false\n")
        p = run(["-c", path, "run"], timeout=10)
        self.assertEqual(p.returncode, 69, p.stderr)
        self.assertIn("no way in: server.rendezvous is not set and "
                      "direct_access is disabled", p.stderr)
        self.assertNotIn("started", p.stdout)
        # The listener cannot bind (the port is taken).
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            path = self.write_config(f"state_dir: {self.tmp}/s\n"
                                     "direct_access:\n"
                                     f"  listen: 127.0.0.1:{port}\n")
            p = run(["-c", path, "run"], timeout=10)
            self.assertEqual(p.returncode, 69, p.stderr)
            self.assertIn(f"the direct-IP listener on 127.0.0.1:{port} "
                          "failed", p.stderr)
            self.assertNotIn(f"127.0.0.1:{port} (plaintext", p.stdout)

    def test_banner_does_not_claim_a_failed_listener(self):
        # With a rendezvous server there is a way in: it runs, and says
        # the listener failed instead of announcing it.
        import json
        import socket
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            path = self.write_config(
                f"state_dir: {self.tmp}/s\nserver:\n"
                "  rendezvous: 127.0.0.1:9\n"
                f"direct_access:\n  listen: 127.0.0.1:{port}\n")
            proc = self.start(["-c", path, "run"])
            try:
                banner = self.read_banner(proc)
                self.assertIn(f"direct IP access:   FAILED on "
                              f"127.0.0.1:{port}", banner)
                self.assertNotIn("plaintext by protocol", banner)
                st = json.loads(run(["-c", path, "status",
                                     "--json"]).stdout)
                self.assertIn("in use", st["direct_access"]["error"])
            finally:
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(timeout=5), 0)


if __name__ == "__main__":
    main()
