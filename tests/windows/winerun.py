#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs a program under wine, once more if wine itself failed to start it.

Usage: winerun.py WINE PROGRAM.exe [ARGS...] (ctest's emulator for the
Windows tests), or run() from another test script.

Seldom, a wine process on the shared test prefix exits 1 having printed
nothing (seen in CI on integration-cli-win, between two runs of the same
outpost.exe that worked; not reproduced in 60 runs here): wine's
start-up, not the program. Our programs never exit 1 silently: the
unit tests print what failed, outpost.exe prints why. So exactly that case
is run again, at most twice, and said so on stderr.
"""
import subprocess
import sys
import tempfile
import threading

RETRIES = 2


def _pump(src, dst, seen):
    for chunk in iter(lambda: src.read1(65536), b""):
        seen.append(len(chunk))
        dst.write(chunk)
        dst.flush()


def _once_streaming(argv, timeout):
    """Passes output through as it comes; returns (rc, printed_anything)."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = []
    pumps = [threading.Thread(target=_pump, args=(p.stdout, sys.stdout.buffer,
                                                   seen)),
             threading.Thread(target=_pump, args=(p.stderr, sys.stderr.buffer,
                                                   seen))]
    for t in pumps:
        t.start()
    try:
        rc = p.wait(timeout=timeout)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        for t in pumps:
            t.join()
    return rc, bool(seen)


def _silent_start_failure(rc, printed):
    return rc == 1 and not printed


def _note(argv, attempt):
    sys.stderr.write("winerun: wine exited 1 having printed nothing (it did "
                     "not start %s); running it again (%d of %d)\n"
                     % (argv[1] if len(argv) > 1 else argv[0], attempt,
                        RETRIES))
    sys.stderr.flush()


def _run_to_files(argv, **kw):
    """subprocess.run with stdout and stderr captured in files, not pipes:
    a Windows service that wine starts meanwhile (the MSI's, started at
    the prefix's boot) inherits them and would hold a pipe open."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.run(argv, stdout=out, stderr=err, **kw)
        out.seek(0)
        err.seek(0)
        p.stdout, p.stderr = out.read(), err.read()
    return p


def run(argv, **kw):
    """subprocess.run(argv, capture_output=True, **kw), retried as above."""
    for attempt in range(RETRIES + 1):
        p = _run_to_files(argv, **kw)
        if attempt == RETRIES or \
                not _silent_start_failure(p.returncode, p.stdout or p.stderr):
            return p
        _note(argv, attempt + 1)
    return p


def main():
    argv = sys.argv[1:]
    if len(argv) < 2:
        sys.exit(__doc__)
    for attempt in range(RETRIES + 1):
        rc, printed = _once_streaming(argv, timeout=None)
        if attempt == RETRIES or not _silent_start_failure(rc, printed):
            return rc
        _note(argv, attempt + 1)
    return rc


if __name__ == "__main__":
    sys.exit(main())
