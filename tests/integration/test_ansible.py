#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Ansible role packaging/ansible/roles/outpost against this machine
(issue 7): `ansible-playbook -c local -i localhost,` installs the built
.deb, templates a validated config, sets the permanent password from a
vault through stdin; a second run reports changed=0; a new vault password
changes only the password; an invalid variable fails the play and leaves
the installed config alone. Needs root and Debian's ansible-core; leaves
the machine clean."""
import base64
import hashlib
import os
import re
import subprocess
import tempfile
import time
import unittest

from common import SOURCE_DIR, main
from syspkg import SystemGuard, packages, sh, skip_reason

CONF = "/etc/outpost/outpost.yaml"
STATE = "/var/lib/outpost"
KEY = "5Qbwsde3unUcJBtrx9ZkvUmwFNoExHzpryHuPUdqlWM="
PW1 = "Vaulted-pw-1 with spaces"
PW2 = "Vaulted-pw-2"

PLAYBOOK = """\
- hosts: all
  gather_facts: false
  vars_files:
    - "{{ secrets }}"
  roles:
    - role: outpost
      vars:
        outpost_package_file: "{{ pkg }}"
        outpost_rendezvous_server: hbbs.example.org
        outpost_server_key: "%s"
        outpost_config:
          log:
            level: "{{ log_level | default('debug') }}"
          access:
            one_time_password:
              length: 12
""" % KEY


def h1_matches(password):
    with open(f"{STATE}/salt", "rb") as f:
        salt = f.read().strip()
    with open(f"{STATE}/password.h1", "rb") as f:
        h1 = base64.b64decode(f.read().strip())
    return hashlib.sha256(password.encode() + salt).digest() == h1


class Role(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = skip_reason("ansible-playbook", "ansible-vault")
        if why:
            raise unittest.SkipTest(why)
        cls.guard = SystemGuard()
        cls.guard.begin()
        cls._td = tempfile.TemporaryDirectory(prefix="op-ansible-")
        cls.tmp = cls._td.name

    @classmethod
    def tearDownClass(cls):
        cls.guard.end()
        cls._td.cleanup()

    def env(self):
        return {
            "ANSIBLE_ROLES_PATH": os.path.join(SOURCE_DIR, "packaging",
                                               "ansible", "roles"),
            "ANSIBLE_HOME": os.path.join(self.tmp, "home"),
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.tmp, "ltmp"),
            "ANSIBLE_REMOTE_TEMP": os.path.join(self.tmp, "rtmp"),
            "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_COLLECTIONS_PATH": os.path.join(self.tmp, "coll"),
        }

    def vault(self, name, password):
        """A vars file holding password encrypted with ansible-vault."""
        vpass = os.path.join(self.tmp, "vault-pass")
        with open(vpass, "w") as f:
            f.write("test-vault-passphrase\n")
        p = subprocess.run(["ansible-vault", "encrypt_string",
                            "--vault-password-file", vpass,
                            "--stdin-name", "outpost_permanent_password"],
                           input=password, capture_output=True, text=True,
                           env=dict(os.environ, **self.env()))
        self.assertEqual(p.returncode, 0, p.stderr)
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(p.stdout)
        self.assertNotIn(password, p.stdout)
        return path

    def play(self, secrets, *extra):
        book = os.path.join(self.tmp, "site.yml")
        with open(book, "w") as f:
            f.write(PLAYBOOK)
        t0 = time.time()
        p = sh(["ansible-playbook", "-c", "local", "-i", "localhost,",
                "--vault-password-file", os.path.join(self.tmp, "vault-pass"),
                "-e", f"pkg={packages()['deb1']}", "-e", f"secrets={secrets}",
                *extra, book], check=False, env=self.env())
        print(f"    ansible-playbook took {time.time() - t0:.1f} s")
        out = p.stdout + p.stderr
        for pw in (PW1, PW2):
            self.assertNotIn(pw, out)  # no_log, vault
        m = re.search(r"localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+"
                      r"unreachable=(\d+)\s+failed=(\d+)", out)
        self.assertTrue(m, out)
        return p.returncode, int(m.group(2)), int(m.group(4)), out

    def test_role(self):
        s1 = self.vault("secrets1.yml", PW1)
        # First run: everything changes.
        rc, changed, failed, out = self.play(s1)
        self.assertEqual((rc, failed), (0, 0), out)
        self.assertGreater(changed, 0)
        if not os.path.isdir("/run/systemd/system"):
            self.assertIn("systemd is not running", out)
        with open(CONF) as f:
            print(f"--- {CONF} as templated ---\n{f.read()}---")
        st = os.stat(CONF)
        self.assertEqual((st.st_mode & 0o777, st.st_uid), (0o600, 0))
        dump = sh(["/usr/bin/outpost", "config", "dump"]).stdout
        self.assertIn('rendezvous: "hbbs.example.org:21116"', dump)
        self.assertIn(f'key: "{KEY}"', dump)
        self.assertIn('level: "debug"', dump)
        self.assertIn("length: 12", dump)
        self.assertTrue(h1_matches(PW1))
        # Second run: idempotent.
        rc, changed, failed, out = self.play(s1)
        self.assertEqual((rc, changed, failed), (0, 0, 0), out)
        # A new password in the vault changes only the password.
        s2 = self.vault("secrets2.yml", PW2)
        rc, changed, failed, out = self.play(s2)
        self.assertEqual((rc, changed, failed), (0, 1, 0), out)
        self.assertTrue(h1_matches(PW2))
        # An invalid value fails validation; the installed file stays.
        with open(CONF) as f:
            before = f.read()
        rc, changed, failed, out = self.play(s2, "-e", "log_level=loudest")
        self.assertNotEqual(rc, 0)
        self.assertEqual(failed, 1)
        self.assertIn("log.level", out)
        with open(CONF) as f:
            self.assertEqual(f.read(), before)
        self.assertTrue(h1_matches(PW2))


if __name__ == "__main__":
    main()
