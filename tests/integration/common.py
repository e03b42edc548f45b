# SPDX-License-Identifier: MIT
"""Shared helpers for the integration tests: where the binary is, temp
dirs, running outpost, and a unittest runner that ends with the plain
'N passed, N failed' line."""
import errno
import os
import pwd
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = os.environ.get(
    "OP_SOURCE_DIR",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
OUTPOST = os.environ.get(
    "OUTPOST", os.path.join(SOURCE_DIR, "build", "dev", "agent", "outpost"))


def run(args, stdin=None, cwd=None, env=None, timeout=30, user=None):
    """Runs outpost with args; returns CompletedProcess (text mode)."""
    cmd = [OUTPOST] + list(args)
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}",
               "--clear-groups"] + cmd
    return subprocess.run(cmd, input=stdin, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


UNIT = os.path.join(SOURCE_DIR, "service", "systemd", "outpost.service")


def unit_capabilities_prefix(unit=UNIT):
    """setpriv arguments that give a process (started as root) only the
    capabilities the shipped unit's CapabilityBoundingSet= leaves, as
    systemd would: what the agent can do as the installed service."""
    caps = []
    with open(unit) as f:
        for line in f:
            if line.startswith("CapabilityBoundingSet="):
                caps += line.split("=", 1)[1].split()
    if not caps:
        raise AssertionError(f"{unit} has no CapabilityBoundingSet=")
    names = ",".join("+" + c.lower().removeprefix("cap_") for c in caps)
    return ["setpriv", f"--bounding-set=-all,{names}", "--inh-caps=-all"]


def proc_status_kib(pid, field):
    """A size field of /proc/PID/status (VmRSS, VmHWM, ...) in KiB; 0 when
    the process or the field is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def ensure_test_user(name, comment, shell="/usr/sbin/nologin"):
    """(uid, gid) of a test account, created as a system account without
    a home when we are root and it is missing; the current user's when we
    are not root."""
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home",
                        "--home-dir", "/nonexistent", "--shell", shell,
                        "--comment", comment, name], check=True)
        pw = pwd.getpwnam(name)
    return pw.pw_uid, pw.pw_gid


def user_session_dirs(uid, gid, prefix):
    """A 0755 temporary base with run/ (an XDG_RUNTIME_DIR) and home/,
    both 0700 and owned by uid:gid. Returns (base, runtime_dir, home)."""
    base = tempfile.mkdtemp(prefix=prefix)
    os.chmod(base, 0o755)
    runtime_dir = os.path.join(base, "run")
    home = os.path.join(base, "home")
    for d in (runtime_dir, home):
        os.mkdir(d, 0o700)
        os.chown(d, uid, gid)
    return base, runtime_dir, home


def write_file(path, data):
    """Writes bytes to path, creating its directory."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def make_share_tree(tmp):
    """The file-transfer tests' tree under tmp: share/ (the root offered,
    with links that point out of it), outside/ (a secret beyond the root)
    and local/ (the technician's side). Returns (share, outside, local)."""
    dirs = tuple(os.path.join(tmp, d) for d in ("share", "outside", "local"))
    for d in dirs:
        os.makedirs(d)
    share, outside, _ = dirs
    write_file(os.path.join(outside, "secret.txt"), b"SECRET")
    os.symlink("../outside", os.path.join(share, "link_out"))
    os.symlink("/proc/self/root", os.path.join(share, "proc"))
    return dirs


NETWORK_USER = "outpost"


def give_to_network_account(*roots):
    """File transfer runs in the network process, as security.network_user
    when the agent runs as root: the roots it offers must be that
    account's (README "Security"), as an admin would chown or ACL them."""
    if os.geteuid() != 0:
        return
    pw = pwd.getpwnam(NETWORK_USER)
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in [dirpath] + [os.path.join(dirpath, n)
                                     for n in dirnames + filenames]:
                try:
                    os.lchown(name, pw.pw_uid, pw.pw_gid)
                except OSError as e:
                    if e.errno != errno.EROFS:  # nothing is written there
                        raise


class TempDirCase(unittest.TestCase):
    """A test case with a fresh private temp dir in self.tmp."""

    def setUp(self):
        self._td = tempfile.TemporaryDirectory(prefix="op-it-")
        self.tmp = self._td.name
        os.chmod(self.tmp, 0o755)

    def tearDown(self):
        self._td.cleanup()

    def write_config(self, text, name="outpost.yaml", mode=0o600):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def assertLogged(self, text, agent=None, timeout=3.0):
        """text is (or within timeout becomes) part of the agent's log."""
        agent = agent or self.agent
        self.assertIn(text, agent.log_with(text, timeout))


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(
        sys.modules["__main__"])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    if failed == 0 and passed == 0 and skipped > 0:
        # Everything skipped: a failure unless the ctest declares
        # SKIP_RETURN_CODE 77 (tests that may rightly not run here).
        sys.exit(77)
    sys.exit(0 if failed == 0 and passed > 0 else 1)
