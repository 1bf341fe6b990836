"""server.py - what the ingest and console suites share: `veil serve` with a
fresh state directory, a config with a test site and free ports, the store
read back with `veil export` and `veil sessions`; and the checks, counted
into the suite's last line "NAME: N passed, N failed"."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def texts_holding(value, needle):
    """The strings of decoded events (keys and values) that hold needle,
    whole. Numbers are left out: the server stamps events with its clock, and
    a card's digits turn up in a millisecond count now and then (CI once ran
    when the clock read 17964111...)."""
    if isinstance(value, str):
        return [value] if needle in value else []
    if isinstance(value, dict):
        return texts_holding(list(value.keys()), needle) + texts_holding(list(value.values()), needle)
    if isinstance(value, list):
        return [hit for item in value for hit in texts_holding(item, needle)]
    return []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, veil, ingest=None, server=None, site=None, state=None, console=None,
                 extra=""):
        self.veil = veil
        self.dir = state or tempfile.mkdtemp(prefix="veil-ingest-")
        self.options = (server, ingest, console, site, extra)
        self.config = os.path.join(self.dir, "veil.conf")
        self.write_config()
        self.proc = None
        self.admin_password = None

    def write_config(self):
        """veil.conf with three ports free now (another test may take one
        before serve binds it: start() then picks again)."""
        server, ingest, console, site, extra = self.options
        self.port, self.console, self.metrics = free_port(), free_port(), free_port()
        lines = ["[server]", f"ingest_port = {self.port}", f"console_port = {self.console}",
                 f"metrics_port = {self.metrics}", f"state_dir = {self.dir}/state"]
        lines += [f"{k} = {v}" for k, v in (server or {}).items()]
        lines += ["[ingest]"] + [f"{k} = {v}" for k, v in (ingest or {}).items()]
        lines += ["[console]"] + [f"{k} = {v}" for k, v in (console or {}).items()]
        lines += ["[site shop]", "key = test-key", "origin = https://shop.test"]
        lines += [f"{k} = {v}" for k, v in (site or {}).items()]
        lines += [extra]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        for attempt in range(5):
            out = self.launch()
            if out is not None:
                break
            if "port in use" not in self.stderr() or attempt == 4:
                raise RuntimeError(f"veil serve did not start: {self.stderr()}")
            self.write_config()
        self.stdout = out.decode()
        found = re.search(r"first admin 'admin', one-time password (\S+)", self.stdout)
        if found:
            self.admin_password = found.group(1)
        return self

    def launch(self):
        """Starts veil serve: what it printed while starting, or None when it
        exited before it was up."""
        self.log = open(os.path.join(self.dir, "serve.log"), "ab")
        self.proc = subprocess.Popen([self.veil, "serve", "--config", self.config],
                                     stdout=subprocess.PIPE, stderr=self.log)
        out = b""
        deadline = time.time() + 60
        while b"veil serve: console " not in out:  # the last line of the start
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait()
                self.proc.stdout.close()
                self.log.close()
                self.proc = None
                return None
            if time.time() > deadline:
                raise RuntimeError(f"veil serve did not start: {self.stderr()}")
            out += line
        return out

    def stderr(self):
        with open(os.path.join(self.dir, "serve.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if not self.proc:
            return None
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        self.proc = None
        return code

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # ---- the store, read back ------------------------------------------------
    def export(self, session):
        out = subprocess.run([self.veil, "export", "--config", self.config, session],
                             capture_output=True, check=False)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.decode())
        return json.loads(out.stdout)

    def sessions(self):
        out = subprocess.run([self.veil, "sessions", "--config", self.config, "--json"],
                             capture_output=True, check=True)
        return json.loads(out.stdout)

    def metric(self, name):
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.metrics}/metrics",
                                      timeout=5).read().decode()
        total = 0
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total


class Checks:
    """ok/not ok lines, then the summary; servers are stopped, and their
    state kept when a check failed."""

    def __init__(self, suite):
        self.suite = suite
        self.passed = self.failed = 0
        self.servers = []

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"{'ok' if ok else 'not ok'} - {name}{'' if ok or not detail else f' ({detail})'}")
        sys.stdout.flush()

    def finish(self):
        for s in self.servers:
            if s.alive():
                s.stop()
        if self.failed == 0:
            for s in self.servers:
                shutil.rmtree(s.dir, ignore_errors=True)
        elif self.servers:
            print("# state kept in " + " ".join(s.dir for s in self.servers))
        print(f"{self.suite}: {self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)
