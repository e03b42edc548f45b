#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs a command (a Windows GUI test under wine) on a fresh Xvfb screen.

Usage: with-xvfb.py WINE TEST.exe [ARGS...]. WINEPREFIX must be the GUI
tests' own prefix: its wineserver is stopped at the end, so the next test
starts one that talks to its own Xvfb (ctest runs them one at a time).
"""
import os
import subprocess
import sys


def main():
    r, w = os.pipe()
    xvfb = subprocess.Popen(
        ['Xvfb', '-displayfd', str(w), '-screen', '0', '1024x768x24',
         '-nolisten', 'tcp'], pass_fds=(w,))
    os.close(w)
    num = b''
    while not num.endswith(b'\n'):
        c = os.read(r, 1)
        if not c:
            sys.exit('Xvfb did not start')
        num += c
    os.close(r)
    env = dict(os.environ, DISPLAY=':' + num.decode().strip())
    wineserver = os.path.join(os.path.dirname(sys.argv[1]), 'wineserver')
    try:
        rc = subprocess.call(sys.argv[1:], env=env, timeout=240)
    finally:
        subprocess.call([wineserver if os.path.exists(wineserver)
                         else 'wineserver', '-k'], env=env)
        xvfb.terminate()
        xvfb.wait()
    sys.exit(rc)


if __name__ == '__main__':
    main()
