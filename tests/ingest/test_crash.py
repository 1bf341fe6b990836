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


def crash(srv, clients):
    """kill -9 once the tabs are mid-stream. Returns how many batches were
    in flight when it came: waiting for their ack just before it, and never
    acked (batches sent after it do not count). Between the last look at
    the tabs and the kill they may all have had their acks (on a loaded
    machine the threads run milliseconds apart): that is no crash
    mid-stream, and the caller kills again."""
    wait_for_traffic(clients)
    waiting = [set(c.pending) for c in clients]
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    srv.proc.stdout.close()
    srv.proc = None
    for c in clients:
        c.acked_before_crash = set(c.acked)  # every ack so far: none comes after the kill
    return sum(len(w - c.acked) for w, c in zip(waiting, clients))


def main():
    srv = Server(VEIL, ingest={"batches_per_second": 1000, "connections_per_ip": 0})
    checks.servers.append(srv)
    srv.start()
    stop_sending, stop_all = threading.Event(), threading.Event()
    clients = [Tab(srv.port, stop_sending, stop_all) for _ in range(CLIENTS)]
    for c in clients:
        c.start()
    crashes, in_flight = 0, 0
    while crashes < 5 and not in_flight:
        if crashes:  # the last kill found every tab between batches
            srv.start()
            time.sleep(1.0)
        in_flight = crash(srv, clients)
        crashes += 1
    check("many batches were acked before the crash",
          sum(len(c.acked_before_crash) for c in clients) >= CLIENTS * 5,
          sum(len(c.acked_before_crash) for c in clients))
    check("and some were in flight, unacked, when it came", in_flight > 0,
          f"{in_flight} in flight at kill {crashes}")
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
