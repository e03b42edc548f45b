# SPDX-License-Identifier: MIT
"""Real proxies from Debian for the integration tests: tinyproxy (HTTP
CONNECT with basic auth), microsocks (SOCKS5 with a password), stunnel4
(TLS in front of tinyproxy = an HTTPS proxy) with certificates from a
throwaway CA made with openssl. A mixin for TempDirCase tests; every
server listens on a free port of 127.0.0.1 and is stopped by cleanup."""
import os
import shutil
import socket
import subprocess
import time

USER = "alice"
PASSWORD = "s3cret-Pw"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc=None, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


class RealProxies:
    """Needs self.tmp and self.write_config (common.TempDirCase)."""

    def write_secret(self, name, text, mode=0o600):
        return self.write_config(text, name=name, mode=mode)

    def spawn(self, argv, name):
        log = open(os.path.join(self.tmp, name + ".log"), "w")
        self.addCleanup(log.close)
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=self.tmp)

        def stop():
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.addCleanup(stop)
        return proc

    def server_log(self, name):
        with open(os.path.join(self.tmp, name + ".log")) as f:
            return f.read()

    def tinyproxy(self, auth=True):
        if shutil.which("tinyproxy") is None:
            self.skipTest("tinyproxy not installed")
        port = free_port()
        conf = [f"Port {port}", "Listen 127.0.0.1", "Timeout 30",
                "MaxClients 32", "Allow 127.0.0.1", "LogLevel Info"]
        if auth:
            conf.append(f"BasicAuth {USER} {PASSWORD}")
        path = self.write_config("\n".join(conf) + "\n", "tinyproxy.conf")
        proc = self.spawn(["tinyproxy", "-d", "-c", path], "tinyproxy")
        wait_port(port, proc)
        return port

    def microsocks(self):
        if shutil.which("microsocks") is None:
            self.skipTest("microsocks not installed")
        port = free_port()
        proc = self.spawn(["microsocks", "-i", "127.0.0.1", "-p", str(port),
                           "-u", "bob", "-P", PASSWORD], "microsocks")
        wait_port(port, proc)
        return port

    def openssl(self, *args):
        subprocess.run(["openssl"] + list(args), cwd=self.tmp, check=True,
                       capture_output=True, timeout=60)

    def make_ca(self, name, cn):
        self.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", f"{name}.key", "-out", f"{name}.pem",
                     "-days", "2", "-subj", f"/O=Outpost tests/CN={cn}",
                     "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        return os.path.join(self.tmp, f"{name}.pem")

    def make_cert(self, name, ca, dns):
        ext = self.write_config(
            f"subjectAltName=DNS:{dns}\nbasicConstraints=CA:FALSE\n"
            "keyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\n", f"{name}.ext", 0o644)
        self.openssl("req", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", f"{name}.key", "-out", f"{name}.csr",
                     "-subj", f"/CN={dns}")
        self.openssl("x509", "-req", "-in", f"{name}.csr", "-CA",
                     f"{ca}.pem", "-CAkey", f"{ca}.key", "-set_serial",
                     str(int(time.time() * 1000)), "-days", "2",
                     "-extfile", ext, "-out", f"{name}.pem")
        return (os.path.join(self.tmp, f"{name}.pem"),
                os.path.join(self.tmp, f"{name}.key"))

    def stunnel(self, upstream, cert, key):
        exe = shutil.which("stunnel4") or shutil.which("stunnel")
        if exe is None:
            self.skipTest("stunnel4 not installed")
        port = free_port()
        conf = self.write_config(
            "foreground = yes\npid =\ndebug = 5\n"
            f"[proxy]\naccept = 127.0.0.1:{port}\n"
            f"connect = 127.0.0.1:{upstream}\ncert = {cert}\nkey = {key}\n",
            "stunnel.conf")
        proc = self.spawn([exe, conf], "stunnel")
        wait_port(port, proc)
        return port
