#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Ansible module of the outpost role: sets Outpost's permanent password
only when it differs from the stored one."""

DOCUMENTATION = r"""
module: outpost_password
short_description: Set Outpost's permanent password, idempotently
description:
  - Compares I(password) with the hash in the agent's state directory
    (password.h1 = SHA-256(password || salt), RustDesk's h1) and runs
    C(outpost password set) with the password on standard input only when
    they differ, so a second run reports no change.
  - The password is never put on a command line or written anywhere in
    clear; use C(no_log) on the task.
options:
  password:
    description: The permanent password (from a vault).
    type: str
    required: true
  config:
    description: The agent's configuration file (it names the state dir).
    type: str
    default: /etc/outpost/outpost.yaml
  binary:
    description: The outpost binary.
    type: str
    default: /usr/bin/outpost
"""

import base64
import hashlib
import hmac
import os
import re

from ansible.module_utils.basic import AnsibleModule


def state_dir(module, binary, config):
    rc, out, err = module.run_command([binary, "-c", config, "config",
                                       "dump"])
    if rc != 0:
        module.fail_json(msg="outpost config dump failed: " + err.strip())
    m = re.search(r'^state_dir: "((?:[^"\\]|\\.)*)"$', out, re.M)
    if m is None:
        module.fail_json(msg="no state_dir in `outpost config dump`")
    return re.sub(r"\\(.)", r"\1", m.group(1))


def stored_matches(sdir, password):
    try:
        with open(os.path.join(sdir, "salt"), "rb") as f:
            salt = f.read().strip()
        with open(os.path.join(sdir, "password.h1"), "rb") as f:
            h1 = base64.b64decode(f.read().strip(), validate=True)
    except (OSError, ValueError):
        return False
    mine = hashlib.sha256(password.encode("utf-8") + salt).digest()
    return hmac.compare_digest(mine, h1)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            password=dict(type="str", required=True, no_log=True),
            config=dict(type="str", default="/etc/outpost/outpost.yaml"),
            binary=dict(type="str", default="/usr/bin/outpost"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    sdir = state_dir(module, p["binary"], p["config"])
    if stored_matches(sdir, p["password"]):
        module.exit_json(changed=False, state_dir=sdir)
    if module.check_mode:
        module.exit_json(changed=True, state_dir=sdir)
    rc, _, err = module.run_command(
        [p["binary"], "-c", p["config"], "password", "set"],
        data=p["password"], binary_data=True)
    if rc != 0:
        # The CLI never echoes the password; its message is safe to show.
        module.fail_json(msg="outpost password set failed (exit %d): %s"
                         % (rc, err.strip()))
    if not stored_matches(sdir, p["password"]):
        module.fail_json(msg="the stored hash does not match after "
                         "`outpost password set`")
    module.exit_json(changed=True, state_dir=sdir)


if __name__ == "__main__":
    main()
