"""test_ingest.py VEIL - the ingest endpoint as browsers, careless sites and
attackers meet it: the upgrade checks, the protocol, acks and resends, every
limit with its close code, malformed frames in the spirit of Autobahn,
hostile resumes, alerts, metrics and graceful shutdown. After each hostile
case a well-behaved session on the same server must still be served, and
nothing of the bad one stored."""

import gzip
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import ws  # noqa: E402
from server import Checks, Server, texts_holding  # noqa: E402

VEIL = os.path.realpath(sys.argv[1])
checks = Checks("ingest")
check = checks.check


def expect_close(conn, code_wanted, error_code=None, timeout=10):
    """The error message (if asked) and the close code that follow."""
    msgs, code = conn.until_closed(timeout)
    errors = [m for m in msgs if m.get("t") == "error"]
    ok = code == code_wanted and (error_code is None or
                                  any(e.get("code") == error_code for e in errors))
    return ok, f"close {code}, messages {msgs}"


def events_of(srv, session):
    return srv.export(session)


def marks(events):
    """The `n` of every `mark` custom event, in order."""
    return [e["data"]["payload"]["n"] for e in events
            if e.get("type") == 5 and e["data"].get("tag") == "mark"]


def mark(n):
    return ws.custom("mark", {"n": n})


def well_behaved(srv, batches=2):
    """A session that sends and gets every batch acked; its id."""
    c = ws.Connection(srv.port)
    ready = c.hello()
    c.batch(1, [ws.meta(), mark(1)])
    acks = [c.recv()]
    for seq in range(2, batches + 1):
        c.batch(seq, [mark(seq)])
        acks.append(c.recv())
    c.close()
    assert [a.get("seq") for a in acks] == list(range(1, batches + 1)), acks
    return ready["session"]


def still_serving(srv, name):
    try:
        sid = well_behaved(srv)
        check(f"{name}: a well-behaved session is still served", marks(events_of(srv, sid)) == [1, 2])
    except Exception as e:  # noqa: BLE001
        check(f"{name}: a well-behaved session is still served", False, repr(e))


def session_chunks(srv, session):
    for s in srv.sessions():
        if s["session"] == session:
            return s["chunks"]
    return 0


# ---- the upgrade ----------------------------------------------------------------
def test_upgrade(srv):
    c = ws.Connection(srv.port)
    check("a known site key from an allowed origin upgrades (101)", c.status == 101)
    c.close()
    check("an unknown site key is refused before the upgrade (403)",
          ws.Connection(srv.port, site="nope").status == 403)
    check("a missing site key is refused (403)",
          ws.Connection(srv.port, path="/").status == 403)
    check("a foreign Origin is refused (403)",
          ws.Connection(srv.port, origin="https://evil.test").status == 403)
    check("no Origin at all is refused (403)", ws.Connection(srv.port, origin=None).status == 403)
    raw = socket.create_connection(("127.0.0.1", srv.port))
    tls = ws.tls_context().wrap_socket(raw, server_hostname="localhost")
    tls.sendall(b"GET /veil.js HTTP/1.1\r\nHost: x\r\n\r\n")
    head = tls.recv(4096).decode(errors="replace")
    tls.close()
    check("the snippet is served at /veil.js, loadable from any site",
          " 200 " in head.split("\r\n")[0] and "access-control-allow-origin: *" in head.lower(), head[:200])
    raw = socket.create_connection(("127.0.0.1", srv.port))
    tls = ws.tls_context().wrap_socket(raw, server_hostname="localhost")
    tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    head = tls.recv(4096).decode(errors="replace")
    tls.close()
    check("/healthz answers 200 for a balancer's checks", " 200 " in head.split("\r\n")[0],
          head[:200])
    tag = subprocess.run([VEIL, "snippet", "--config", srv.config], capture_output=True, text=True)
    check("veil snippet prints the tag with its SRI hash and site key",
          tag.returncode == 0 and 'integrity="sha384-' in tag.stdout and 'data-veil-site="test-key"' in tag.stdout,
          tag.stdout + tag.stderr)


def test_tls(srv):
    def handshake(version=None, ciphers=None):
        ctx = ws.tls_context()
        if version:
            ctx.minimum_version = ctx.maximum_version = version
        if ciphers:
            ctx.set_ciphers(ciphers)
        try:
            with socket.create_connection(("127.0.0.1", srv.port)) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as t:
                    return t.version(), t.cipher()[0]
        except (ssl.SSLError, ConnectionError, OSError):
            return None

    check("TLS 1.3 is offered", handshake(ssl.TLSVersion.TLSv1_3) is not None)
    got = handshake(ssl.TLSVersion.TLSv1_2)
    check("TLS 1.2 is offered, with an AEAD suite", got is not None and ("GCM" in got[1] or "CHACHA" in got[1]), got)
    check("CBC suites are refused", handshake(ssl.TLSVersion.TLSv1_2, "AES128-SHA:AES256-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA") is None)


# ---- the protocol ---------------------------------------------------------------
def test_session_and_acks(srv):
    c = ws.Connection(srv.port)
    ready = c.hello()
    check("ready carries a 128-bit session id and a resume token",
          len(ready.get("session", "")) == 32 and len(ready.get("token", "")) == 43 and ready.get("last") == 0,
          ready)
    check("ready carries the site's masking hints", ready.get("policy", {}).get("record_inputs") is False)
    sid = ready["session"]
    c.batch(1, [ws.meta(), ws.snapshot([(4, {"type": "text", "autocomplete": "cc-number"})]),
                ws.typed(4, "4111 1111 1111 1111"), mark(1)])
    check("a batch is acknowledged", c.recv() == {"t": "ack", "seq": 1})
    c.batch(2, [mark(2)], gz=True)
    check("a gzip batch (binary frame) is acknowledged", c.recv() == {"t": "ack", "seq": 2})
    c.batch(1, [mark(1)])
    check("a resent batch already stored is acked again", c.recv() == {"t": "ack", "seq": 1})
    c.close()
    events = events_of(srv, sid)
    check("acked batches are stored once each, in order", marks(events) == [1, 2], marks(events))
    check("the card typed into the card field is not stored", not texts_holding(events, "4111"),
          texts_holding(events, "4111"))

    # resume with the token, on a new connection, and go on
    c = ws.Connection(srv.port)
    again = c.hello(session=ready)
    check("a resume with the token continues the session",
          again.get("session") == sid and again.get("last") == 2 and again.get("state") is True, again)
    c.batch(3, [mark(3)])
    check("the resumed session takes the next batch", c.recv() == {"t": "ack", "seq": 3})
    c.batch(5, [mark(5)])
    ok, detail = expect_close(c, 4001, "sequence")
    check("a gap in sequence numbers is an error (4001) naming the batch to resend from", ok, detail)
    check("after the gap the session still holds what was acked", marks(events_of(srv, sid)) == [1, 2, 3])


def test_hostile_resume(srv):
    victim = ws.Connection(srv.port)
    v_ready = victim.hello()
    victim.batch(1, [ws.meta(), mark(1)])
    victim.recv()
    attacker = ws.Connection(srv.port)
    a_ready = attacker.hello()
    attacker.close()
    # someone else's session id with the attacker's own token
    c = ws.Connection(srv.port)
    c.send_json({"t": "hello", "site": "test-key", "page": "https://shop.test/",
                 "session": v_ready["session"], "token": a_ready["token"], "resume": 0})
    ok, detail = expect_close(c, 1008, "token")
    check("resuming someone else's session with another token is refused (1008)", ok, detail)
    c = ws.Connection(srv.port)
    c.send_json({"t": "hello", "site": "test-key", "page": "/", "session": v_ready["session"],
                 "token": "A" * 43, "resume": 0})
    ok, detail = expect_close(c, 1008, "token")
    check("a forged token is refused (1008)", ok, detail)
    c = ws.Connection(srv.port)
    c.send_json({"t": "hello", "site": "test-key", "page": "/", "session": "../../etc/passwd",
                 "token": v_ready["token"]})
    ok, detail = expect_close(c, 4000, "malformed")
    check("a session id that is not 32 hex digits is malformed (4000)", ok, detail)
    c = ws.Connection(srv.port)
    c.send_json({"t": "hello", "site": "test-key", "page": "/", "session": v_ready["session"],
                 "token": "", "resume": 1})
    ok, detail = expect_close(c, 4000, "malformed")
    check("a resume with an empty token is malformed (4000), found by fuzz_protocol", ok, detail)
    victim.batch(2, [mark(2)])
    check("the victim's connection keeps going", victim.recv() == {"t": "ack", "seq": 2})
    victim.close()
    check("nothing of the attacker is in the victim's session",
          marks(events_of(srv, v_ready["session"])) == [1, 2])


def test_malformed_messages(srv):
    cases = [
        ("a first message that is not JSON", b"hello there", 4000),
        ("a first message that is not a hello", b'{"t":"batch","seq":1,"events":[]}', 4000),
        ("a hello with the site key of another site", json.dumps(
            {"t": "hello", "site": "other-key", "page": "/"}).encode(), 1008),
        ("a hello with a non-string page", b'{"t":"hello","site":"test-key","page":7}', 4000),
        ("a hello with duplicate keys", b'{"t":"hello","site":"test-key","site":"x"}', 4000),
    ]
    for name, first, code in cases:
        c = ws.Connection(srv.port)
        c.send_bytes(first)
        ok, detail = expect_close(c, code)
        check(f"{name}: an error, then close {code}", ok, detail)
    batches = [
        ("a batch that is not JSON", b'{"t":"batch","seq":1,"events":[{"type":3,'),
        ("a batch with seq 0", b'{"t":"batch","seq":0,"events":[]}'),
        ("a batch with a leading-zero seq", b'{"t":"batch","seq":01,"events":[]}'),
        ("a batch whose members come in another order", b'{"seq":1,"t":"batch","events":[]}'),
        ("a second hello", b'{"t":"hello","site":"test-key"}'),
        ("a batch with bytes after it", b'{"t":"batch","seq":1,"events":[]} {}'),
    ]
    for name, body, in batches:
        c = ws.Connection(srv.port)
        sid = c.hello()["session"]
        c.send_bytes(body)
        ok, detail = expect_close(c, 4000, "malformed")
        check(f"{name}: malformed (4000)", ok, detail)
        check(f"{name}: nothing stored", session_chunks(srv, sid) == 0)
    c = ws.Connection(srv.port)
    c.hello()
    c.frame(ws.BINARY, b"not gzip at all")
    ok, detail = expect_close(c, 4000, "malformed")
    check("a binary message that is not gzip: malformed (4000)", ok, detail)
    still_serving(srv, "after malformed messages")


def ended(c):
    """Whether the server has closed c: a read finds the end, not a timeout."""
    try:
        c.sock.settimeout(2)
        return c.sock.recv(1) == b""
    except socket.timeout:
        return False
    except (OSError, ssl.SSLError):
        return True


def test_frames(srv):
    """Frames no browser sends (RFC 6455 violations): the connection closes,
    the server goes on."""
    def after_hello(send, name, codes=(1002,)):
        c = ws.Connection(srv.port)
        sid = c.hello()["session"]
        try:
            send(c)
            msgs, code = c.until_closed(10)
        except (OSError, ssl.SSLError):
            msgs, code = [], "reset"
        if codes is None:  # any status, but the connection must end
            ok = code is not None or ended(c)
        else:
            ok = code in codes or code is None or code == "reset"
        check(f"{name}: closed ({code})", ok, f"close {code}, {msgs}")
        check(f"{name}: nothing stored", session_chunks(srv, sid) == 0)

    after_hello(lambda c: c.frame(0x3, b"x"), "a reserved opcode")
    after_hello(lambda c: c.frame(ws.TEXT, b'{"t":"batch"}', rsv=0x4), "RSV bits without an extension")
    after_hello(lambda c: c.frame(ws.TEXT, b'{"t":"batch","seq":1,"events":["\xff\xfe"]}'),
                "invalid UTF-8 in a text frame", (1007,))
    after_hello(lambda c: c.frame(ws.PING, b"x" * 200), "a control frame over 125 bytes")
    after_hello(lambda c: c.frame(ws.PING, b"x", fin=False), "a fragmented control frame")
    after_hello(lambda c: c.frame(0x0, b'{"t":"batch"}'), "a continuation with nothing to continue")

    def interleaved(c):
        c.frame(ws.TEXT, b'{"t":"batch","seq":1,', fin=False)
        c.frame(ws.TEXT, b'"events":[]}')
    after_hello(interleaved, "a new message inside a fragmented one")
    # lws 4.1 accepts unmasked client frames (RFC 6455 says close): browsers
    # always mask, and an unmasked batch is masked and limited like any other
    c = ws.Connection(srv.port)
    c.hello()
    c.frame(ws.TEXT, b'{"t":"batch","seq":1,"events":[]}', mask=False)
    c.until_closed(3)
    still_serving(srv, "after an unmasked client frame")

    def truncated(c):
        c.frame(ws.TEXT, b'{"t":"batch","seq":1,', fin=False)
        c.sock.sendall(b"\x80\xfe\x10\x00")  # a continuation header, then nothing
        c.sock.shutdown(socket.SHUT_WR)
    # any close: on a peer gone mid-frame lws 4.1 sometimes sends a close
    # whose status is not one it defines (seen once: 46446); what matters is
    # that the connection ends and nothing of the half message is stored
    after_hello(truncated, "a fragment cut short", codes=None)

    c = ws.Connection(srv.port)
    sid = c.hello()["session"]
    msg = b'{"t":"batch","seq":1,"events":[' + json.dumps(mark(1)).encode() + b"]}"
    c.frame(ws.TEXT, msg[:10], fin=False)
    c.frame(ws.PING, b"ping between fragments")
    c.frame(0x0, msg[10:20], fin=False)
    c.frame(0x0, msg[20:])
    got = c.recv()
    check("fragments with a ping between them make one message, acked",
          got == {"t": "ack", "seq": 1}, got)
    c.close()
    check("that message is stored whole", marks(events_of(srv, sid)) == [1])
    still_serving(srv, "after malformed frames")


def test_handshakes_never_finished(srv):
    """Clients that connect and never finish TLS, HTTP or the hello."""
    idle = []
    for _ in range(5):
        idle.append(socket.create_connection(("127.0.0.1", srv.port)))  # no TLS
    half = socket.create_connection(("127.0.0.1", srv.port))
    half_tls = ws.tls_context().wrap_socket(half, server_hostname="localhost")
    half_tls.sendall(b"GET /?site=test-key HTTP/1.1\r\nHost: x\r\n")  # never ends the headers
    no_hello = ws.Connection(srv.port)
    still_serving(srv, "while handshakes hang")
    ok, detail = expect_close(no_hello, 4004, "timeout", timeout=15)
    check("a connection without a hello is closed after hello_timeout (4004)", ok, detail)
    time.sleep(1)
    closed = 0
    for s in idle + [half_tls]:
        s.settimeout(15)
        try:
            closed += s.recv(1) == b""
        except (OSError, ssl.SSLError):
            closed += 1
    check("connections that never finish TLS or HTTP are dropped", closed == 6, f"{closed} of 6")


def test_idle(srv):
    c = ws.Connection(srv.port)
    c.hello()
    ok, detail = expect_close(c, 4004, "idle", timeout=15)
    check("a session that sends nothing past idle_timeout is closed (4004)", ok, detail)


# ---- limits ----------------------------------------------------------------------------
def refused_too_big(srv, c, send):
    """Sends what the server refuses as too big. It may refuse from the
    frame's header and close while the client is still writing: then the
    close frame may be lost with the connection, and the server's count of
    too_big refusals says what happened."""
    before = srv.metric('veil_ingest_rejects_total{reason="too_big"}')
    try:
        send()
        ok, detail = expect_close(c, 1009, "too_big")
    except (OSError, ssl.SSLError):
        ok, detail = False, "connection cut while sending"
    if not ok:
        after = srv.metric('veil_ingest_rejects_total{reason="too_big"}')
        ok, detail = after == before + 1, f"{detail}; too_big refusals {before} -> {after}"
    return ok, detail


def test_sizes(srv):
    big = "x" * 70000
    c = ws.Connection(srv.port)
    sid = c.hello()["session"]
    c.batch(1, [ws.meta(), mark(1)])
    c.recv()
    ok, detail = refused_too_big(srv, c, lambda: c.batch(2, [ws.custom("big", big)]))
    check("a message over max_message_bytes is refused (1009)", ok, detail)
    check("what was acked before stays stored", marks(events_of(srv, sid)) == [1])

    c = ws.Connection(srv.port)
    c.hello()
    msg = b'{"t":"batch","seq":1,"events":[' + json.dumps(ws.custom("big", big)).encode() + b"]}"

    def fragments():
        for i in range(0, len(msg), 8000):
            c.frame(ws.TEXT if i == 0 else 0x0, msg[i:i + 8000], fin=i + 8000 >= len(msg))
    ok, detail = refused_too_big(srv, c, fragments)
    check("a message over the limit in small fragments is refused too (1009)", ok, detail)

    c = ws.Connection(srv.port)
    sid = c.hello()["session"]
    bomb = gzip.compress(b'{"t":"batch","seq":1,"events":["' + b"A" * (20 << 20) + b'"]}')
    check("the gzip bomb itself is small", len(bomb) < 64 << 10, len(bomb))
    ok, detail = refused_too_big(srv, c, lambda: c.frame(ws.BINARY, bomb))
    check("a gzip bomb stops at max_inflated_bytes (1009)", ok, detail)
    check("nothing of the bomb is stored", session_chunks(srv, sid) == 0)
    still_serving(srv, "after oversized messages")


def test_session_limits(srv):
    c = ws.Connection(srv.port)
    sid = c.hello()["session"]
    c.batch(1, [ws.meta(), mark(1), ws.custom("pad", "y" * 3000)])
    c.recv()
    c.batch(2, [mark(2), ws.custom("pad", "y" * 3000)])
    c.recv()
    c.batch(3, [mark(3)])
    ok, detail = expect_close(c, 4003, "session_limit")
    check("a session past max_session_bytes is ended (4003)", ok, detail)
    check("its acked batches stay stored", marks(events_of(srv, sid)) == [1, 2])


def test_rate(srv):
    c = ws.Connection(srv.port)
    sid = c.hello()["session"]
    acked = []
    try:
        for seq in range(1, 30):
            c.batch(seq, [mark(seq)] if seq > 1 else [ws.meta(), mark(1)])
        while True:
            m = c.recv(5)
            if m.get("t") == "ack":
                acked.append(m["seq"])
    except ws.Closed as closed:
        code = closed.code
    check("a connection sending faster than batches_per_second is closed (4002)", code == 4002,
          f"close {code} after acks {acked}")
    check("the burst allowance was acked and stored, in order",
          len(acked) >= 2 and marks(events_of(srv, sid)) == acked, f"{acked} vs stored")


def test_site_rate(srv):
    """Two connections of one site share site_batches_per_second."""
    conns = [ws.Connection(srv.port) for _ in range(2)]
    for c in conns:
        c.hello()
    codes = []
    for c in conns:
        for seq in range(1, 8):
            c.batch(seq, [mark(seq)] if seq > 1 else [ws.meta(), mark(1)])
    for c in conns:
        msgs, code = c.until_closed(5)
        codes.append(code)
    check("a site sending faster than site_batches_per_second is told to try again later (1013)",
          1013 in codes, codes)


def test_connections_per_ip(srv):
    conns = [ws.Connection(srv.port) for _ in range(3)]
    for c in conns:
        c.hello()
    extra = ws.Connection(srv.port)
    check("a connection past connections_per_ip is refused before the upgrade (429)",
          extra.status == 429, extra.status)
    conns[0].close()
    time.sleep(0.5)
    again = ws.Connection(srv.port)
    check("a closed connection frees its place", again.status == 101)
    again.close()
    for c in conns[1:]:
        c.close()


def test_max_sessions(srv):
    held = []
    for _ in range(2):
        c = ws.Connection(srv.port)
        c.hello()
        held.append(c)
    c = ws.Connection(srv.port)
    c.send_json({"t": "hello", "site": "test-key", "page": "/"})
    ok, detail = expect_close(c, 1013, "overloaded")
    check("a new session past max_sessions is refused with 1013 (try again later)", ok, detail)
    for h in held:
        h.close()


# ---- visitor IP, alerts, metrics, shutdown ------------------------------------------------
def test_visitor_ip(srv, trusted):
    c = ws.Connection(srv.port, headers=["X-Forwarded-For: 198.51.100.23, 203.0.113.77"])
    sid = c.hello()["session"]
    c.batch(1, [ws.meta(), mark(1)])
    c.recv()
    c.close()
    ips = [e["data"]["payload"]["ip"] for e in events_of(srv, sid)
           if e.get("type") == 5 and e["data"].get("tag") == "veil-visitor"]
    if trusted:
        check("behind a trusted proxy the visitor IP is the last X-Forwarded-For hop, masked",
              ips == ["203.0.0.0"], ips)
    else:
        check("X-Forwarded-For from an untrusted peer is ignored (the socket's address, masked)",
              ips == ["127.0.0.0"], ips)
    log = srv.stderr()
    check("the visitor IP never reaches the log", "203.0.113.77" not in log and "198.51.100.23" not in log)


def test_alerts_and_metrics(srv):
    c = ws.Connection(srv.port)
    c.hello()
    c.batch(1, [ws.meta(), ws.custom("note", {"text": "my card 4111 1111 1111 1111"})])
    c.recv()
    c.close()
    deadline = time.time() + 5
    while srv.metric("veil_ingest_alerts_total") < 1 and time.time() < deadline:
        time.sleep(0.2)
    check("a card number outside a card field raises an alert", srv.metric("veil_ingest_alerts_total") >= 1)
    check("metrics count the masks by kind", srv.metric('veil_ingest_masks_total{kind="card_elsewhere"}') >= 1)
    check("metrics count acks and rejects", srv.metric("veil_ingest_acks_total") >= 1 and
          srv.metric("veil_ingest_rejects_total") >= 1)
    check("metrics have the ack latency histogram", srv.metric("veil_ingest_ack_latency_seconds_count") >= 1)
    ctx = ws.tls_context()
    url = f"https://127.0.0.1:{srv.console}/metrics"
    try:
        urllib.request.urlopen(url, context=ctx, timeout=5)
        status = 200
    except urllib.error.HTTPError as e:
        status = e.code
    check("/metrics on the console needs the bearer token (401)", status == 401, status)
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + TOKEN})
    body = urllib.request.urlopen(req, context=ctx, timeout=5).read().decode()
    check("/metrics on the console with the token", "veil_ingest_acks_total" in body)


def test_shutdown(srv):
    c = ws.Connection(srv.port)
    sid = c.hello()["session"]
    c.batch(1, [ws.meta(), mark(1)])
    check("acked before the signal", c.recv() == {"t": "ack", "seq": 1})
    for seq in range(2, 40):
        c.batch(seq, [mark(seq)])
    srv.proc.send_signal(signal.SIGTERM)
    msgs, code = c.until_closed(15)
    acked = [1] + [m["seq"] for m in msgs if m.get("t") == "ack"]
    check("on SIGTERM the connection is told to resume later, then closes with 1001",
          code == 1001 and any(m.get("code") == "going_away" for m in msgs), f"{code} {msgs[-2:]}")
    code = srv.stop()
    check("veil serve exits 0 after draining", code == 0, code)
    stored = marks(events_of(srv, sid))
    check("every batch read before the signal is acked, and what is acked is stored",
          stored == acked and acked == list(range(1, len(acked) + 1)), f"acked {acked}, stored {stored}")


TOKEN = "metrics-token-for-the-tests-0123456789"


def main():
    def start(**kw):
        s = Server(VEIL, **kw).start()
        checks.servers.append(s)
        return s

    try:
        token_file = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"veil-metrics-{os.getpid()}")
        with open(token_file, "w") as f:
            f.write(TOKEN + "\n")
        main_srv = start(ingest={"max_message_bytes": 65536, "max_inflated_bytes": 1 << 20,
                                 "hello_timeout": 3, "batches_per_second": 50},
                         server={"metrics_token_file": token_file, "trusted_proxy": "10.9.9.9"})
        test_upgrade(main_srv)
        test_tls(main_srv)
        test_session_and_acks(main_srv)
        test_hostile_resume(main_srv)
        test_malformed_messages(main_srv)
        test_frames(main_srv)
        test_sizes(main_srv)
        test_handshakes_never_finished(main_srv)
        test_visitor_ip(main_srv, trusted=False)
        test_alerts_and_metrics(main_srv)
        test_shutdown(main_srv)

        tight = start(ingest={"batches_per_second": 2, "max_session_bytes": 4096,
                              "connections_per_ip": 3, "idle_timeout": 2},
                      server={"trusted_proxy": "127.0.0.1"})
        test_rate(tight)
        test_session_limits(tight)
        test_visitor_ip(tight, trusted=True)
        test_idle(tight)
        test_connections_per_ip(tight)
        time.sleep(0.5)
        # sessions outlive their connections: a fresh server for max_sessions
        tight.stop()
        sessions_srv = start(ingest={"max_sessions": 2})
        test_max_sessions(sessions_srv)
        sessions_srv.stop()
        test_site_rate(start(ingest={"site_batches_per_second": 3}))
        os.unlink(token_file)
    finally:
        checks.finish()


if __name__ == "__main__":
    main()
