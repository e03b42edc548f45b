#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks every #include "module/..." in agent/ against the allowed
dependency lists that agent/CMakeLists.txt writes to layers.txt, and that
X11 headers (xcb, Xlib) appear only in the modules of X11 backends (issue
13: the session and the daemon see backend-neutral handles)."""
import os
import re
import sys

layers_file, agent_dir = sys.argv[1], sys.argv[2]
allowed = {}
with open(layers_file) as f:
    for line in f:
        mod, _, deps = line.partition(":")
        allowed[mod.strip()] = set(deps.split()) | {mod.strip()}

inc = re.compile(r'^\s*#\s*include\s+"([a-z0-9_-]+)/[^"]+"')
x11_inc = re.compile(r'^\s*#\s*include\s+<(xcb|X11)/')
# consent: its prompt is an X11 window (a Wayland prompt is not built).
X11_MODULES = {"capture", "input", "clipboard", "xconn", "display",
               "consent"}
bad = []
checked = 0
for mod in sorted(os.listdir(agent_dir)):
    path = os.path.join(agent_dir, mod)
    if not os.path.isdir(path) or mod == "proto":
        continue
    if mod not in allowed:
        bad.append(f"agent/{mod}/: module not declared in agent/CMakeLists.txt")
        continue
    for root, _, files in os.walk(path):
        for fn in files:
            if not fn.endswith((".c", ".h")):
                continue
            checked += 1
            with open(os.path.join(root, fn), errors="replace") as f:
                for no, line in enumerate(f, 1):
                    m = inc.match(line)
                    if m and m.group(1) not in allowed[mod]:
                        bad.append(f"{os.path.join(root, fn)}:{no}: "
                                   f"{mod} may not include {m.group(1)}/")
                    if x11_inc.match(line) and mod not in X11_MODULES:
                        bad.append(f"{os.path.join(root, fn)}:{no}: "
                                   f"an X11 header outside the X11 "
                                   f"backends ({mod})")
for b in bad:
    print(b)
print(f"{checked - len(bad) if not bad else 0} passed, {len(bad)} failed")
sys.exit(1 if bad or checked == 0 else 0)
