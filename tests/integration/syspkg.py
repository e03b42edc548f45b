# SPDX-License-Identifier: MIT
"""Helpers for the tests that install the packages on this machine (as
root): where the built packages are, and a guard that sets aside any
/etc/outpost and /var/lib/outpost present before, then leaves the machine
clean (package purged, audit DB included, both directories removed, the
previous ones put back). Other integration tests assume
/etc/outpost/outpost.yaml does not exist, so these tests hold the ctest
RESOURCE_LOCK system-install.

They never touch an outpost they did not install: when the package (or
/usr/bin/outpost) is there already, skip_reason() says so and the tests
are skipped, since purging it would delete a deployed host's ID, keys and
audit trail. What they install is marked (MARKER) from before the first
install until after the purge, so the leftovers of an interrupted run of
theirs are told apart from a real installation."""
import fcntl
import glob
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from common import SOURCE_DIR

BUILD_DIR = os.environ.get("OP_BUILD_DIR",
                           os.path.join(SOURCE_DIR, "build", "dev"))
PKG_BUILD = os.path.join(BUILD_DIR, "pkg")
PKG_DIR = os.path.join(PKG_BUILD, "packages")
SYSTEM_PATHS = ["/etc/outpost", "/var/lib/outpost", "/run/outpost",
                "/var/cache/outpost"]
LOCK_FILE = os.path.join("/run/lock" if os.path.isdir("/run/lock") else
                         "/tmp", "outpost-system-install.lock")
UNIT_LINKS = ["/etc/systemd/system/multi-user.target.wants/outpost.service",
              "/etc/systemd/system/outpost.service"]
# Exists while these tests may have a package of theirs installed.
MARKER = "/var/lib/outpost-test-install.marker"
BINARY = "/usr/bin/outpost"


def packages():
    """{'deb1': path, 'deb2': path, 'rpm1': ..., 'rpm2': ...} by package
    release."""
    found = {}
    for f in glob.glob(os.path.join(PKG_DIR, "outpost*")):
        base = os.path.basename(f)
        m = (re.match(r"outpost_[^_]+-(\d+)_[^_]+\.deb$", base) or
             re.match(r"outpost-.+-(\d+)\.[^.]+\.rpm$", base))
        if m:
            found[base.rsplit(".", 1)[1] + m.group(1)] = f
    return found


def foreign_install():
    """Why an outpost not installed by these tests is on this machine, or
    None."""
    if os.path.exists(MARKER):
        return None  # ours, from an interrupted run: begin() purges it
    status = dpkg_status()
    if status not in ("", "not-installed"):
        return f"the outpost package is installed (dpkg: {status})"
    if shutil.which("rpm"):
        p = subprocess.run(["rpm", "-q", "outpost"], capture_output=True,
                           text=True)
        if p.returncode == 0:
            return f"the outpost package is installed (rpm: " \
                   f"{p.stdout.strip()})"
    if os.path.lexists(BINARY):
        return f"{BINARY} exists (installed by hand?)"
    return None


def skip_reason(*tools):
    if os.geteuid() != 0:
        return "installs packages system-wide: needs root"
    foreign = foreign_install()
    if foreign:
        return (f"{foreign}, not by these tests: they install and purge "
                "outpost, which would delete this host's ID, keys and "
                "audit trail. Skipped; run them on a machine without "
                "outpost.")
    for t in ("dpkg",) + tools:
        if shutil.which(t) is None:
            return f"needs {t}"
    missing = {"deb1", "deb2", "rpm1", "rpm2"} - set(packages())
    if missing:
        return f"packages not built (fixture packaging-build): {missing}"
    return None


def sh(cmd, check=True, env=None, stdin=None):
    """Runs cmd, echoing it and its output into the test log. dpkg is
    retried while another package manager holds its lock."""
    e = dict(os.environ)
    e.update(env or {})
    for _ in range(120):
        p = subprocess.run(cmd, capture_output=True, text=True, env=e,
                           input=stdin)
        if not (cmd[0] == "dpkg" and p.returncode != 0 and
                "lock" in p.stderr and "locked" in p.stderr):
            break
        time.sleep(1)
    print("$", " ".join(cmd), f"-> {p.returncode}")
    for line in (p.stdout + p.stderr).splitlines()[-40:]:
        print("   ", line)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}")
    return p


def dpkg_status():
    p = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}",
                        "outpost"], capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else ""


class SystemGuard:
    """begin() sets aside pre-existing state, end() cleans up and puts it
    back."""

    def __init__(self):
        self.saved = None
        self.lock = None
        self.restored = []  # pre-existing paths put back by end()

    def purge(self):
        if dpkg_status() not in ("", "not-installed"):
            sh(["dpkg", "--purge", "outpost"], check=False,
               env={"OUTPOST_PURGE_AUDIT": "yes"})
        for p in SYSTEM_PATHS:
            shutil.rmtree(p, ignore_errors=True)
        for link in UNIT_LINKS:
            if os.path.islink(link):
                os.unlink(link)

    def begin(self):
        # ctest's RESOURCE_LOCK serialises these tests within one run; this
        # also serialises them with another run on the same machine.
        self.lock = open(LOCK_FILE, "w")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        foreign = foreign_install()  # again, now under the lock
        if foreign:
            self.lock.close()
            self.lock = None
            raise unittest.SkipTest(f"{foreign}, not by these tests: "
                                    "left alone")
        if os.path.exists(MARKER):
            self.purge()  # left over by an interrupted run of ours
        with open(MARKER, "w") as f:
            f.write(f"outpost packaging tests, pid {os.getpid()}, "
                    f"{time.ctime()}\n")
        self.saved = tempfile.mkdtemp(prefix="outpost-aside-",
                                      dir="/var/tmp")
        for p in SYSTEM_PATHS:
            if os.path.lexists(p):
                print(f"setting aside {p} for the test")
                shutil.move(p, os.path.join(self.saved,
                                            p.strip("/").replace("/", "_")))

    def end(self):
        # Only what carries our mark is purged.
        if os.path.exists(MARKER):
            self.purge()
            os.unlink(MARKER)
        else:
            print(f"{MARKER} is gone: nothing purged")
        if self.saved is not None:
            for p in SYSTEM_PATHS:
                kept = os.path.join(self.saved,
                                    p.strip("/").replace("/", "_"))
                if os.path.lexists(kept):
                    shutil.move(kept, p)
                    self.restored.append(p)
            shutil.rmtree(self.saved, ignore_errors=True)
            self.saved = None
        if self.lock is not None:
            self.lock.close()  # releases the flock
            self.lock = None
