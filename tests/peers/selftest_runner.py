# SPDX-License-Identifier: MIT
"""The runner the peers' self-tests share: every t_* function of a module,
or those whose names contain a command-line argument; prints ok/FAIL with
the time and a traceback, and a summary. Exit status 0 only when some
test ran and none failed."""
import sys
import time
import traceback


def run(namespace, argv=None):
    argv = sys.argv[1:] if argv is None else argv
    tests = [v for k, v in list(namespace.items()) if k.startswith("t_") and callable(v)]
    names = [a for a in argv if not a.startswith("-")]
    passed = failed = 0
    t_all = time.monotonic()
    for t in tests:
        if names and not any(n in t.__name__ for n in names):
            continue
        t0 = time.monotonic()
        try:
            t()
            passed += 1
            print(f"ok   {t.__name__} ({time.monotonic() - t0:.2f}s)", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {t.__name__} ({time.monotonic() - t0:.2f}s)", flush=True)
            traceback.print_exc()
    print(f"total {time.monotonic() - t_all:.1f}s")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1
