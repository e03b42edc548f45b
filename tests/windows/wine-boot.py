#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Makes the shared wine prefix (WINEPREFIX) before any test uses it.

Usage: wine-boot.py WINE

Two wine processes that both create a prefix race (seen in CI: one
exited with "wine: chdir to /tmp/wine-.../server-...: No such file or
directory"), so the prefix is made once, first. Its first process gets
no pipes: services.exe inherits that process's stdio.
"""
import os
import subprocess
import sys


def main():
    wine = sys.argv[1]
    p = subprocess.run([wine, "cmd", "/c", "ver"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=300)
    ok = p.returncode == 0 and os.path.isdir(
        os.path.join(os.environ["WINEPREFIX"], "drive_c"))
    print(f"wine prefix {os.environ['WINEPREFIX']}: "
          f"{'ready' if ok else 'FAILED (exit %d)' % p.returncode}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
