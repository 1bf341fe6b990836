"""test_crash.py VEIL - kill -9 while many sessions are sending: after a
restart every acked batch is stored exactly once, and every batch that was
not acked is delivered by the clients' resend (as the snippet does it:
keep until acked, resume with the token, resend), so each session ends
holding every batch once, in order."""

import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from server import Checks, Server  # noqa: E402
from tab import Tab, check_stored, finish_tabs  # noqa: E402

VEIL = os.path.realpath(sys.argv[1])
CLIENTS = int(os.environ.get("CRASH_CLIENTS", "24"))
checks = Checks("crash")
check = checks.check


def wait_for_traffic(clients, limit=60):
    """Until the tabs have had many batches acked and some are waiting for
    their ack, so the kill lands mid-stream; a fixed sleep did not always
    (on a loaded machine every tab was between batches when it came)."""
    deadline = time.time() + limit
    while time.time() < deadline:
        acked = sum(len(c.acked) for c in clients)
        waiting = sum(len(c.pending) for c in clients)
        if acked >= CLIENTS * 10 and waiting >= 3:
            return
        time.sleep(0.05)


def main():
    srv = Server(VEIL, ingest={"batches_per_second": 1000, "connections_per_ip": 0})
    checks.servers.append(srv)
    srv.start()
    stop_sending, stop_all = threading.Event(), threading.Event()
    clients = [Tab(srv.port, stop_sending, stop_all) for _ in range(CLIENTS)]
    for c in clients:
        c.start()
    wait_for_traffic(clients)
    for c in clients:
        c.acked_before_crash = set(c.acked)
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    srv.proc.stdout.close()
    srv.proc = None
    in_flight = sum(len(c.pending) for c in clients)
    check("many batches were acked before the crash",
          sum(len(c.acked_before_crash) for c in clients) >= CLIENTS * 5,
          sum(len(c.acked_before_crash) for c in clients))
    check("and some were in flight, unacked, when it came", in_flight > 0, in_flight)
    time.sleep(0.5)
    srv.start()
    time.sleep(2.0)
    finish_tabs(check, clients, stop_sending, stop_all, "restart")
    srv.stop()
    check_stored(check, clients, srv.export, "crash")
    print(f"# {sum(c.next - 1 for c in clients)} batches from {CLIENTS} sessions, "
          f"{sum(c.reconnects for c in clients)} reconnects")
    checks.finish()


if __name__ == "__main__":
    main()
