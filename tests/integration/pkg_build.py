#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Builds the .deb and .rpm once for the packaging tests (the ctest
fixture 'packages'): the release preset in $OP_BUILD_DIR/pkg, then one
cpack run for both generators, then a second one with package release 2
(the in-place upgrade the tests install over the first)."""
import shutil
import subprocess
import sys
import time

from syspkg import PKG_BUILD, PKG_DIR, SOURCE_DIR, packages


def sh(cmd, cwd=None):
    print("$", " ".join(cmd), flush=True)
    t0 = time.time()
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    print(f"  ({time.time() - t0:.1f} s, exit {p.returncode})", flush=True)
    if p.returncode != 0:
        print(p.stdout[-4000:], p.stderr[-4000:], sep="\n")
        raise SystemExit(f"failed: {' '.join(cmd)}\n0 passed, 1 failed")
    return p


def main():
    missing = [t for t in ("cpack", "dpkg-shlibdeps", "rpmbuild", "gzip")
               if shutil.which(t) is None]
    if missing:
        print("missing tools:", " ".join(missing),
              "(packaging/install-deps.sh test installs them)")
        print("0 passed, 1 failed")
        sys.exit(1)
    t0 = time.time()
    shutil.rmtree(PKG_DIR, ignore_errors=True)
    sh(["cmake", "--preset", "release", "-B", PKG_BUILD], cwd=SOURCE_DIR)
    sh(["cmake", "--build", PKG_BUILD, "-j2"])
    for extra in ([], ["-D", "CPACK_DEBIAN_PACKAGE_RELEASE=2",
                       "-D", "CPACK_RPM_PACKAGE_RELEASE=2"]):
        p = sh(["cpack", "-G", "DEB;RPM"] + extra, cwd=PKG_BUILD)
        # `make package` prints this: no CPackRPM developer warnings.
        if "CMake Warning" in p.stdout + p.stderr:
            print(p.stdout[-4000:], p.stderr[-4000:], sep="\n")
            raise SystemExit("cpack warned\n0 passed, 1 failed")
    found = packages()
    for k, v in sorted(found.items()):
        print(f"{k}: {v}")
    ok = len(found) == 4
    print(f"packages built in {time.time() - t0:.1f} s")
    print(f"{int(ok)} passed, {int(not ok)} failed")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
