"""test_scaleout.py VEIL - three `veil serve` nodes on one throwaway Ceph
cluster behind HAProxy (deploy/haproxy.cfg, with local addresses): many
tabs record through the balancer; one node is killed with kill -9; its
sessions resume on the others (told the masker state is gone, they send a
fresh snapshot); the OSD stops answering for a while; every acked batch is
read back exactly once, in order; a rotation started on one node is seen by
the others."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import ws  # noqa: E402
from server import Checks, Server, free_port  # noqa: E402
from tab import Tab, check_stored, finish_tabs, marks  # noqa: E402

VEIL = os.path.realpath(sys.argv[1])
ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLUSTER_SH = os.path.join(ROOT, "scripts", "ceph-test-cluster.sh")
TABS = int(os.environ.get("SCALEOUT_TABS", "18"))
checks = Checks("scaleout")
check = checks.check


def haproxy_config(port, nodes):
    """The repository's example, bound here and pointing at these nodes."""
    with open(os.path.join(ROOT, "deploy", "haproxy.cfg")) as f:
        text = f.read()
    text = text.replace("bind *:443", f"bind 127.0.0.1:{port}")
    text = re.sub(r"^\s+server .*\n", "", text, flags=re.M)
    text = text.replace("maxconn 100000", "maxconn 4096")
    text = text.replace("inter 1s", "inter 300ms")  # faster than production: a short test
    servers = "".join(f"    server veil{i + 1} 127.0.0.1:{n.port}\n" for i, n in enumerate(nodes))
    return text.rstrip("\n") + "\n" + servers


def wait_for(pred, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


def hop_between_nodes(nodes):
    """One session that goes node 1 -> node 3 -> node 1 (a network blip
    each time): node 1 must not trust what it held before the session
    went on elsewhere."""
    session, sent, readies, refused = None, 0, [], None
    for node in (nodes[0], nodes[2], nodes[0]):
        c = ws.Connection(node.port, timeout=5)
        ready = c.hello(session=session)
        readies.append((ready.get("last"), ready.get("state")))
        session = ready
        for i in range(5):
            sent += 1
            events = [ws.custom("mark", {"n": sent})]
            if i == 0 and not ready.get("state", False):
                events.insert(0, ws.meta())
            c.batch(sent, events)
        acked = 0
        while acked < sent and not refused:
            m = c.recv(10)
            if m.get("t") != "ack":
                refused = m
            acked = m.get("seq", 0)
        c.close()
    check("a session that went on elsewhere resumes from the store, not from stale memory",
          readies[2] == (10, False) and not refused, (readies, refused))
    check("and holds every batch of all three hops once, in order",
          marks(nodes[2].export(session["session"])) == list(range(1, 16)))


def main():
    work = tempfile.mkdtemp(prefix="veil-scaleout-")
    cluster = os.path.join(work, "ceph")
    subprocess.run([CLUSTER_SH, "start", cluster], check=True)
    haproxy = None
    try:
        haproxy = run(work, cluster)
    finally:
        if haproxy:
            haproxy.kill()
            haproxy.wait()
        for s in checks.servers:
            if s.alive():
                s.stop(signal.SIGKILL)
        subprocess.run([CLUSTER_SH, "stop", cluster], check=False)
        if checks.failed == 0:
            shutil.rmtree(work, ignore_errors=True)
    checks.finish()


def start_nodes(work, cluster):
    secret = os.path.join(work, "ingest.secret")
    store = (f"[store]\nbackend = rados\nrados_conf = {cluster}/ceph.conf\n"
             "rados_namespace = scaleout\n")
    ingest = {"batches_per_second": 1000, "connections_per_ip": 0,
              "resume_secret_file": secret}
    nodes = []
    for i in range(3):
        state = os.path.join(work, f"node{i + 1}")
        os.makedirs(os.path.join(state, "state"))
        # the console on node 1 only: accounts and the audit log are one node's
        server = {"console_port": 0} if i else None
        node = Server(VEIL, ingest=ingest, server=server, state=state, extra=store)
        if nodes:  # every node has the root key; the first made it
            shutil.copy(os.path.join(nodes[0].dir, "state", "root.key"),
                        os.path.join(state, "state", "root.key"))
        node.start()
        checks.servers.append(node)
        nodes.append(node)
    return nodes


def run(work, cluster):
    nodes = start_nodes(work, cluster)
    check("only node 1 serves the console, and only it made an admin",
          nodes[0].admin_password is not None and
          all(n.admin_password is None and "console off" in n.stdout for n in nodes[1:]))
    check("the node that makes the resume secret says the others need it; they say nothing",
          "no resume secret" in nodes[0].stderr() and
          not any("no resume secret" in n.stderr() for n in nodes[1:]))
    check("every node has the same keyring, taken from the keys pool",
          len({open(os.path.join(n.dir, "state", "keyring"), "rb").read() for n in nodes}) == 1)
    port = free_port()
    cfg = os.path.join(work, "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write(haproxy_config(port, nodes))
    haproxy = subprocess.Popen(["haproxy", "-db", "-f", cfg], stdout=subprocess.DEVNULL,
                               stderr=open(os.path.join(work, "haproxy.log"), "wb"))
    time.sleep(1.0)  # the first health checks
    hop_between_nodes(nodes)

    stop_sending, stop_all = threading.Event(), threading.Event()
    tabs = [Tab(port, stop_sending, stop_all) for _ in range(TABS)]
    for t in tabs:
        t.start()
    time.sleep(2.5)
    for t in tabs:
        t.acked_before_crash = set(t.acked)
    victim = nodes[1]
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait()
    check("batches were acked through the balancer before the kill",
          sum(len(t.acked_before_crash) for t in tabs) >= TABS * 5,
          sum(len(t.acked_before_crash) for t in tabs))
    time.sleep(3.0)  # sessions of the dead node move to the others

    # A rotation on node 1 reaches node 3 without a restart.
    out = subprocess.run([VEIL, "keys", "--config", nodes[0].config, "rotate"],
                         capture_output=True, text=True, check=False)
    check("a rotation started on node 1", out.returncode == 0, out.stderr)
    check("node 3 reloads the new keyring by itself",
          wait_for(lambda: "keyring changed: reloaded" in nodes[2].stderr(), 10))

    # The OSD stops answering for a while (SIGSTOP): nothing is acked
    # meanwhile, and all of it is once it answers again (the read-back at
    # the end finds every batch once).
    with open(os.path.join(cluster, "run", "osd.0.pid")) as f:
        osd = int(f.read())
    acked = lambda: sum(len(t.acked) for t in tabs)  # noqa: E731
    os.kill(osd, signal.SIGSTOP)
    time.sleep(0.5)  # what was on its way lands first
    before = acked()
    time.sleep(3.0)
    during = acked() - before
    os.kill(osd, signal.SIGCONT)
    check("no batch is acked while the OSD does not answer", during == 0, during)
    check("acks resume once it answers again", wait_for(lambda: acked() > before, 30))

    finish_tabs(check, tabs, stop_sending, stop_all, "kill")
    moved = sum(1 for t in tabs if t.fresh_resumes)
    check("the dead node's sessions resumed elsewhere, told the masker state was gone",
          moved > 0, moved)
    check("the killed node really held sessions", sum(t.reconnects for t in tabs) > 0)

    check_stored(check, tabs, nodes[2].export, "kill")
    status = subprocess.run([VEIL, "keys", "--config", nodes[2].config, "status"],
                            capture_output=True, text=True, check=False).stdout
    check("node 3 sees version 2 current", re.search(r"^2 +current", status, re.M) is not None,
          status)
    print(f"# {sum(t.next - 1 for t in tabs)} batches from {TABS} sessions through HAProxy, "
          f"{sum(t.reconnects for t in tabs)} reconnects, {moved} sessions moved node")
    return haproxy


if __name__ == "__main__":
    main()
