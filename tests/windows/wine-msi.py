#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The MSI (packaging/windows/outpost.wxs) under wine's msiexec, in a
fresh prefix of its own: install, what it installed (outpost.exe runs,
the example config is accepted, the service is registered and not
started), a repair that restores a damaged file but keeps the admin's
outpost.yaml, uninstall (program and service gone, outpost.yaml kept),
a second install over that kept outpost.yaml, a major upgrade to NEXT.msi
(the same files labelled NEXT_VERSION), the older MSI refused over it,
and the newer one's uninstall.

Usage: wine-msi.py WINE OUTPOST.msi VERSION EXAMPLE.yaml NEXT.msi
NEXT_VERSION. WINEPREFIX
must name a folder called wineprefix-msi*: it is deleted first (so the
install is a first one), and its wineserver is stopped at the end.
"""
import os
import re
import shutil
import subprocess
import sys

import winerun

failures = []
ADMIN_LINE = b"# changed by the admin (wine-msi.py)\n"
SERVICE_KEY = r"HKLM\System\CurrentControlSet\Services\outpost"
UNINSTALL_KEY = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall"
PROGRAM = r"C:\Program Files\Outpost\outpost.exe"


def check(what, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else ": " + detail))
    sys.stdout.flush()
    if not ok:
        failures.append(what)
    return ok


def text(b):
    return b.decode(errors="replace").replace("\r\n", "\n")


class Prefix:
    def __init__(self, wine, path):
        self.wine, self.path = wine, path
        self.c = os.path.join(path, "drive_c")
        self.bindir = os.path.join(self.c, "Program Files", "Outpost")
        self.exe = os.path.join(self.bindir, "outpost.exe")
        self.shim = os.path.join(self.bindir, "outpost-term-shim.exe")
        self.yaml = os.path.join(self.c, "ProgramData", "Outpost",
                                 "outpost.yaml")

    def run(self, *args):
        p = winerun.run([self.wine] + list(args), timeout=240)
        return p.returncode, text(p.stdout), text(p.stderr)

    def msiexec(self, what, *args):
        rc, out, err = self.run("msiexec", *args)
        return check(what, rc == 0, "exit %d, stdout %r, stderr %r"
                     % (rc, out[-300:], err[-300:]))

    def service(self):
        """The service's registry values, or None when it has no key."""
        rc, out, _ = self.run("reg", "query", SERVICE_KEY)
        if rc != 0:
            return None
        values = {}
        for line in out.splitlines():
            m = re.match(r"\s+(\S+)\s+(REG_\w+)\s+(.*)$", line)
            if m:
                values[m.group(1)] = m.group(3).strip()
        return values

    def products(self):
        """DisplayVersion of each installed product named Outpost."""
        rc, out, _ = self.run("reg", "query", UNINSTALL_KEY, "/s")
        found, name, version = [], None, None
        for line in out.splitlines() + [""]:
            if not line.startswith(" "):  # a key's name, or the end
                if name == "Outpost":
                    found.append(version)
                name = version = None
                continue
            m = re.match(r"\s+(DisplayName|DisplayVersion)\s+REG_SZ\s+(.*)$",
                         line)
            if m and m.group(1) == "DisplayName":
                name = m.group(2).strip()
            elif m:
                version = m.group(2).strip()
        return found

    def stop(self):
        server = os.path.join(os.path.dirname(self.wine), "wineserver")
        subprocess.call([server if os.path.exists(server) else "wineserver",
                         "-k"], env=dict(os.environ, WINEPREFIX=self.path))


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def check_installed(px, version):
    check("outpost.exe installed", os.path.isfile(px.exe), px.exe)
    check("outpost-term-shim.exe beside it", os.path.isfile(px.shim), px.shim)
    rc, out, err = px.run(PROGRAM, "version")
    check("installed outpost.exe version", rc == 0 and
          out.strip() == "outpost " + version,
          "exit %d, stdout %r, stderr %r" % (rc, out, err[-300:]))
    # No -c: the default config is ProgramData\Outpost\outpost.yaml.
    rc, out, err = px.run(PROGRAM, "config", "check")
    check("config check accepts ProgramData\\Outpost\\outpost.yaml",
          rc == 0 and re.search(r"(?m)^C:\\ProgramData\\Outpost\\"
                                r"outpost\.yaml: OK$", out) is not None,
          "exit %d, stdout %r, stderr %r"
          % (rc, out[-300:], err[-300:]))
    svc = px.service()
    if not check("service outpost registered", svc is not None, SERVICE_KEY):
        return
    # wine's msi writes the path unquoted, Windows Installer quoted: both
    # name the installed program with the argument run.
    image = svc.get("ImagePath", "")
    check("service ImagePath runs the installed outpost.exe",
          image in ('"%s" run' % PROGRAM, "%s run" % PROGRAM), repr(image))
    check("service starts automatically (Start=2)",
          svc.get("Start") == "0x2", repr(svc.get("Start")))
    check("service runs as LocalSystem",
          svc.get("ObjectName") == "LocalSystem", repr(svc.get("ObjectName")))
    # Not started at install: the state folder's DACL the MSI asks for is
    # untested on Windows, and a service that fails to start would fail
    # the whole install (README "Windows").
    rc, out, err = px.run("sc", "query", "outpost")
    check("service not started by the install",
          rc == 0 and re.search(r"STATE\s*:\s*1\s+STOPPED", out) is not None,
          "exit %d, stdout %r" % (rc, out[-300:]))


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    wine, msi, version, example_path, next_msi, next_version = sys.argv[1:]
    prefix = os.environ.get("WINEPREFIX", "")
    if not os.path.basename(prefix.rstrip("/")).startswith("wineprefix-msi"):
        sys.exit("WINEPREFIX must be a wineprefix-msi* folder of its own")
    with open(example_path, "rb") as f:
        example = f.read()
    px = Prefix(wine, prefix)
    px.stop()
    shutil.rmtree(prefix, ignore_errors=True)
    try:
        steps(px, msi, version, example)
        upgrade(px, msi, version, next_msi, next_version)
    finally:
        px.stop()
    print("%d failed" % len(failures) if failures else "all passed")
    return 1 if failures else 0


def winpath(path):
    return "Z:" + os.path.abspath(path).replace("/", "\\")


def check_lock(msi):
    """The MSI asks for ProgramData\\Outpost's private DACL. wine's msi
    does not apply MsiLockPermissionsEx (the folder keeps ProgramData's
    DACL there), so only the table is checked."""
    msiinfo = shutil.which("msiinfo")
    rows = []
    if msiinfo:
        p = subprocess.run([msiinfo, "export", msi, "MsiLockPermissionsEx"],
                           capture_output=True)
        rows = text(p.stdout).splitlines() if p.returncode == 0 else []
    check("MSI locks ProgramData\\Outpost to LocalSystem and Administrators",
          "DataFolderAcl\tDATAFOLDER\tCreateFolder\t"
          "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)\t" in rows,
          "msiinfo: %r" % (rows if msiinfo else "not installed"))


def steps(px, msi, version, example):
    msi_w = winpath(msi)
    check_lock(msi)

    if not px.msiexec("msiexec /i installs", "/i", msi_w, "/qn"):
        return
    check("outpost.yaml is the example config", read(px.yaml) == example,
          px.yaml)
    check_installed(px, version)

    # A repair rewrites every file (REINSTALLMODE a): the damaged shim
    # comes back, the admin's outpost.yaml stays (NeverOverwrite).
    with open(px.yaml, "ab") as f:
        f.write(ADMIN_LINE)
    edited = read(px.yaml)
    with open(px.shim, "wb") as f:
        f.write(b"damaged")
    px.msiexec("repair (REINSTALL=ALL REINSTALLMODE=amus)", "/i", msi_w,
               "REINSTALL=ALL", "REINSTALLMODE=amus", "/qn")
    check("repair restored the damaged shim",
          read(px.shim) not in (None, b"damaged"), px.shim)
    check("repair kept the admin's outpost.yaml", read(px.yaml) == edited,
          px.yaml)

    # Uninstall: the program and the service go, the config stays.
    px.msiexec("msiexec /x uninstalls", "/x", msi_w, "/qn")
    check("outpost.exe removed", not os.path.exists(px.exe), px.exe)
    check("service outpost removed", px.service() is None, SERVICE_KEY)
    check("uninstall kept the admin's outpost.yaml", read(px.yaml) == edited,
          px.yaml)

    # A new install finds an outpost.yaml and leaves it as it is.
    px.msiexec("msiexec /i over a kept outpost.yaml", "/i", msi_w, "/qn")
    check("install kept the existing outpost.yaml", read(px.yaml) == edited,
          px.yaml)
    check_installed(px, version)
    check("one product installed, this version", px.products() == [version],
          repr(px.products()))


def upgrade(px, msi, version, next_msi, next_version):
    """A major upgrade replaces the product; the older one is refused."""
    kept = read(px.yaml)
    px.msiexec("msiexec /i of the next release upgrades", "/i",
               winpath(next_msi), "/qn")
    check("the upgrade replaced the product",
          px.products() == [next_version], repr(px.products()))
    check("upgrade kept outpost.yaml", kept is not None and
          read(px.yaml) == kept, px.yaml)
    check_installed(px, version)  # the same outpost.exe

    rc, out, err = px.run("msiexec", "/i", winpath(msi), "/qn")
    check("the older MSI is refused over the newer", rc != 0,
          "exit %d" % rc)
    check("the newer product stays", px.products() == [next_version],
          repr(px.products()))

    px.msiexec("msiexec /x of the next release", "/x", winpath(next_msi),
               "/qn")
    check("no product left", px.products() == [], repr(px.products()))
    check("outpost.exe removed", not os.path.exists(px.exe), px.exe)
    check("service outpost removed", px.service() is None, SERVICE_KEY)
    check("uninstall kept outpost.yaml", read(px.yaml) == kept, px.yaml)


if __name__ == "__main__":
    sys.exit(main())
