"""tab.py - a browser tab as the ingest tests play it: batches sent as
fast as acks allow, kept until acked, resent after a reconnect; and the
marks a stored session holds, to compare with what was sent."""

import random
import ssl
import threading
import time

import ws


def marks(events):
    """The numbers of the "mark" custom events, in stored order."""
    return [e["data"]["payload"]["n"] for e in events
            if e.get("type") == 5 and e["data"].get("tag") == "mark"]


def finish_tabs(check, tabs, stop_sending, stop_all, event):
    """Stops sending, lets every tab get its last batches acked (60 s at
    most), and checks that each kept its own session and has nothing left."""
    stop_sending.set()
    deadline = time.time() + 60
    while any(t.is_alive() for t in tabs) and time.time() < deadline:
        time.sleep(0.2)
    stop_all.set()
    for t in tabs:
        t.join(5)
    errors = [t.error for t in tabs if t.error]
    check(f"every tab kept its own session across the {event}", not errors, errors[:3])
    check("every batch was acked in the end", all(not t.pending for t in tabs),
          [len(t.pending) for t in tabs])


def check_stored(check, tabs, export, event):
    """Reads every tab's session back with export(session id) and checks
    that nothing acked before `event` was lost, nothing is stored twice,
    and every session holds every batch sent, once, in order."""
    exact, lost, doubled = 0, [], []
    for t in tabs:
        got = marks(export(t.session["session"]))
        if got == list(range(1, t.next)):
            exact += 1
        if not t.acked_before_crash <= set(got):
            lost.append(sorted(t.acked_before_crash - set(got))[:5])
        if len(got) != len(set(got)):
            doubled.append(got)
    check(f"no batch acked before the {event} is lost", not lost, lost[:3])
    check("no batch is stored twice", not doubled, str(doubled[:1])[:200])
    check("every session holds every batch sent, once, in order", exact == len(tabs),
          f"{exact} of {len(tabs)}")


class Tab(threading.Thread):
    """One browser tab: a batch every few ms, unacked ones kept and resent
    after reconnecting with the resume token; a full snapshot (here a Meta
    event) first when `ready` says the server holds no masker state."""

    def __init__(self, port, stop_sending, stop_all):
        super().__init__(daemon=True)
        self.port = port
        self.stop_sending = stop_sending
        self.stop_all = stop_all
        self.session = None
        self.next = 1
        self.pending = {}  # seq -> events
        self.acked = set()
        self.acked_before_crash = set()
        self.reconnects = 0
        self.fresh_resumes = 0  # resumed where the masker state was gone
        self.error = None
        self.snapshot_due = True

    def connect(self):
        c = ws.Connection(self.port, timeout=5)
        if c.status != 101:
            raise ConnectionError(f"upgrade {c.status}")
        ready = c.hello(session=self.session)
        if ready.get("t") != "ready":
            raise ConnectionError(f"hello answered {ready}")
        if self.session and ready["session"] != self.session["session"]:
            raise AssertionError("the server started a new session instead of resuming")
        if self.session and not ready.get("state", True):
            self.fresh_resumes += 1
            self.snapshot_due = True
        self.session = ready
        for seq in [s for s in self.pending if s <= ready["last"]]:
            self.acked.add(seq)  # stored before the crash, its ack lost with it
            del self.pending[seq]
        for seq in sorted(self.pending):
            c.batch(seq, self.pending[seq])
        return c

    def drain_acks(self, c, wait):
        c.sock.settimeout(wait)
        try:
            while True:
                m = c.recv(wait)
                if m.get("t") == "ack":
                    self.acked.add(m["seq"])
                    self.pending.pop(m["seq"], None)
                elif m.get("t") == "error":
                    raise ConnectionError(m)
        except (TimeoutError, ssl.SSLWantReadError):
            pass

    def run(self):
        c = None
        while not self.stop_all.is_set():
            try:
                if c is None:
                    c = self.connect()
                if not self.stop_sending.is_set():
                    events = [ws.custom("mark", {"n": self.next})]
                    if self.snapshot_due:
                        events.insert(0, ws.meta())
                        self.snapshot_due = False
                    self.pending[self.next] = events
                    c.batch(self.next, events)
                    self.next += 1
                elif not self.pending:
                    break
                self.drain_acks(c, random.uniform(0.005, 0.03))
            except (ws.Closed, ConnectionError, OSError, ssl.SSLError, ValueError):
                c = None
                self.reconnects += 1
                time.sleep(random.uniform(0.1, 0.3))  # backoff with jitter
            except Exception as e:  # noqa: BLE001
                self.error = repr(e)
                break
        if c:
            c.close()
