"""test_console.py VEIL - the console API as each role, an attacker and a
tired admin meet it: first login, both password profiles, lockout and
unlock, TOTP (a used code refused), recovery codes, idle and absolute
session expiry, CSRF, cookie and security headers, every role against every
route, IDOR on another site's objects, replay and export streams, and the
audit trail the server keeps of all of it (`veil audit verify`)."""

import json
import os
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "ingest"))
from client import Console, totp  # noqa: E402
from server import Checks, Server, texts_holding  # noqa: E402

VEIL = os.path.realpath(sys.argv[1])
checks = Checks("console")
check = checks.check


BLOG = "[site blog]\nkey = blog-key\norigin = https://blog.test\n"
RECORDING = [
    {"type": 4, "data": {"href": "https://shop.test/checkout", "width": 1200, "height": 800}, "timestamp": 1000},
    {"type": 2, "data": {"node": {"type": 0, "id": 1, "childNodes": [
        {"type": 2, "tagName": "html", "id": 2, "attributes": {}, "childNodes": [
            {"type": 2, "tagName": "body", "id": 3, "attributes": {}, "childNodes": [
                {"type": 2, "tagName": "h1", "id": 4, "attributes": {}, "childNodes": [
                    {"type": 3, "textContent": "Order #A-10293", "id": 5}]},
                {"type": 2, "tagName": "input", "id": 6, "attributes": {"autocomplete": "cc-number"}, "childNodes": []}]}]}]},
        "initialOffset": {"top": 0, "left": 0}}, "timestamp": 1001},
    {"type": 3, "data": {"source": 5, "text": "4111 1111 1111 1111", "isChecked": False, "id": 6}, "timestamp": 1500},
]


def import_session(srv, site):
    path = os.path.join(srv.dir, f"{site}.json")
    with open(path, "w") as f:
        json.dump(RECORDING, f)
    out = subprocess.run([VEIL, "import", "--config", srv.config, "--site", site, path],
                         capture_output=True, text=True, check=True)
    return out.stdout.split("\t")[0]


def chunks_of(payload):
    """Events from the replay stream: "<length>\\n<chunk>\\n" each."""
    events, at = [], 0
    while at < len(payload):
        nl = payload.index(b"\n", at)
        n = int(payload[at:nl])
        chunk = json.loads(payload[nl + 1:nl + 1 + n])
        events += chunk if isinstance(chunk, list) else chunk["events"]
        at = nl + 1 + n + 1
    return events


# ---- first login, TOTP, headers --------------------------------------------------------
def test_first_admin(srv):
    c = Console(srv.console)
    status, body = c.login("admin", srv.admin_password)
    check("the first admin logs in with the one-time password the server printed", status == 200)
    check("and must change it first", body.get("must_change_password") is True)
    cookie_header = c.last_headers.get("set-cookie", "")
    check("the session cookie is __Host-, Secure, HttpOnly, SameSite=Strict, Path=/",
          all(x in cookie_header for x in ["__Host-veil=", "Secure", "HttpOnly", "SameSite=Strict", "Path=/"])
          and "Domain" not in cookie_header, cookie_header)
    check("the login page's answer is not cached", "no-store" in c.last_headers.get("cache-control", ""))
    status, _ = c.request("GET", "/api/sessions")
    check("nothing else until the password is changed (403)", status == 403)
    status, body = c.request("POST", "/api/password", {"old": srv.admin_password, "new": "short"})
    check("a short password is refused, saying why", status == 400 and "12 characters" in body["error"], body)
    status, body = c.request("POST", "/api/password", {"old": srv.admin_password, "new": "password1234"})
    check("a common password is refused", status == 400 and "common" in body["error"], body)
    status, body = c.request("POST", "/api/password", {"old": "wrong", "new": "admin passphrase one"})
    check("a change needs the current password", status == 403, body)
    status, _ = c.request("POST", "/api/password", {"old": srv.admin_password, "new": "admin passphrase one"})
    check("a good password is taken", status == 200)
    status, body = c.request("GET", "/api/users")
    check("an admin must enrol TOTP before anything else (403)", status == 403 and "TOTP" in body["error"], body)
    status, body = c.request("POST", "/api/totp/enroll")
    check("enrolment offers a secret, an otpauth URI and a QR code drawn by the server",
          status == 200 and body["uri"].startswith("otpauth://totp/") and body["qr_svg"].startswith("<svg"))
    secret = body["secret"]
    status, _ = c.request("POST", "/api/totp/confirm", {"code": "000000" if totp(secret) != "000000" else "111111"})
    check("a wrong code does not enrol", status == 400)
    status, body = c.request("POST", "/api/totp/confirm", {"code": totp(secret)})
    check("the right code enrols and hands out 10 recovery codes",
          status == 200 and len(body.get("recovery_codes", [])) == 10, body)
    recovery = body["recovery_codes"]
    status, _ = c.request("GET", "/api/users")
    check("then the admin pages open", status == 200)
    headers = c.last_headers
    check("HSTS on every response", "max-age=" in headers.get("strict-transport-security", ""))
    check("CSP forbids framing, X-Frame-Options DENY, nosniff",
          "frame-ancestors 'none'" in headers.get("content-security-policy", "")
          and headers.get("x-frame-options") == "DENY" and headers.get("x-content-type-options") == "nosniff")
    status, page = c.request("GET", "/", raw=True)
    ui_csp = c.last_headers.get("content-security-policy", "")
    check("the UI's CSP loads scripts only from the console and no images from elsewhere",
          status == 200 and "script-src 'self'" in ui_csp and "img-src 'self' data: blob:" in ui_csp
          and "unsafe-eval" not in ui_csp, ui_csp)
    # logout and the old cookie
    old_cookie = c.cookie
    status, _ = c.request("POST", "/api/logout", csrf=False)
    check("logout without the CSRF token is refused (403)", status == 403)
    status, _ = c.request("POST", "/api/logout")
    check("logout with it works", status == 200)
    c.cookie = old_cookie
    status, _ = c.request("GET", "/api/me")
    check("after logout the old session cookie is dead on the server (401)", status == 401)

    # TOTP at login: a used code is refused the second time
    d = Console(srv.console)
    status, body = d.login("admin", "admin passphrase one")
    check("with TOTP enrolled, the password alone is not enough", status == 401 and body.get("totp_required"), body)
    code = totp(secret, step_offset=1)  # the next step: not used by the enrolment
    status, _ = d.login("admin", "admin passphrase one", totp=code)
    check("password and code log in", status == 200)
    status, _ = Console(srv.console).login("admin", "admin passphrase one", totp=code)
    check("the same code is refused a second time", status == 401)
    status, _ = Console(srv.console).login("admin", "admin passphrase one", recovery=recovery[0])
    check("a recovery code logs in once", status == 200)
    status, _ = Console(srv.console).login("admin", "admin passphrase one", recovery=recovery[0])
    check("and never again", status == 401)
    return d, secret


# ---- roles, IDOR ------------------------------------------------------------------------
def make_user(admin, srv, name, role, sites, password):
    status, body = admin.request("POST", "/api/users", {"name": name, "role": role, "sites": sites})
    assert status == 200, (status, body)
    c = Console(srv.console)
    c.setup(name, body["one_time_password"], password)
    return c


def test_roles(srv, admin):
    shop_session = import_session(srv, "shop")
    blog_session = import_session(srv, "blog")
    users = {
        "alerts": make_user(admin, srv, "ada", "alerts", ["shop"], "alerts user passphrase"),
        "standard": make_user(admin, srv, "sam", "standard", ["shop"], "standard user passphrase"),
        "analytics": make_user(admin, srv, "ann", "analytics", ["shop"], "analytics user passphrase"),
    }
    users["admin"] = admin
    routes = [
        ("GET", "/api/alerts", {"alerts", "standard", "analytics", "admin"}),
        ("GET", "/api/sessions?site=shop", {"standard", "analytics", "admin"}),
        ("GET", f"/api/sessions/{shop_session}", {"standard", "analytics", "admin"}),
        ("GET", f"/api/sessions/{shop_session}/events", {"standard", "analytics", "admin"}),
        ("GET", f"/api/sessions/{shop_session}/export", {"analytics", "admin"}),
        ("GET", "/api/search?site=shop&q=Order", {"analytics", "admin"}),
        ("GET", "/api/users", {"admin"}),
        ("GET", "/api/users/sam", {"admin"}),
        ("GET", "/api/sites", {"admin"}),
        ("GET", "/api/keys", {"admin"}),
        ("GET", "/api/audit", {"admin"}),
        ("GET", "/api/audit/verify", {"admin"}),
        ("POST", "/api/keys/rotate", {"admin"}),
    ]
    for role, c in users.items():
        wrong = []
        for method, path, allowed in routes:
            status, _ = c.request(method, path, raw=True)
            want_ok = role in allowed
            if (status == 200) != want_ok or (not want_ok and status != 403):
                wrong.append(f"{method} {path}: {status}")
        check(f"{role}: every route answers as the role matrix says (403 where not allowed)", not wrong, wrong)
    status, _ = users["standard"].request("PATCH", "/api/users/sam", {"role": "admin"})
    check("a standard user cannot make themselves admin through the API", status == 403)

    # IDOR: a user of the blog asks for the shop's objects
    blogger = make_user(admin, srv, "bob", "standard", ["blog"], "blog user passphrase")
    for path in [f"/api/sessions/{shop_session}", f"/api/sessions/{shop_session}/events",
                 "/api/sessions?site=shop", "/api/alerts?site=shop"]:
        status, _ = blogger.request("GET", path, raw=True)
        check(f"another site's object is not there for him (404): {path.split('?')[0]}", status == 404, status)
    status, body = blogger.request("GET", "/api/sessions")
    ids = [s["session"] for s in body.get("sessions", [])]
    check("his session list holds his site's sessions only", ids == [blog_session], ids)
    status, _ = blogger.request("POST", "/api/alerts/shop/1/ack")
    check("acknowledging another site's alert: 404", status == 404)

    # replay and export of what is stored, masked
    status, payload = users["standard"].request("GET", f"/api/sessions/{shop_session}/events", raw=True)
    # (the import went through the running server: it added the visitor's address)
    recorded = lambda evs: [e for e in evs if not (e.get("type") == 5 and e["data"].get("tag") == "veil-visitor")]  # noqa: E731
    events = chunks_of(payload)
    text = json.dumps(events)
    check("replay streams the stored events", status == 200 and len(recorded(events)) == len(RECORDING),
          len(events))
    check("the page text is there, the card typed into the card field is not",
          "Order #A-10293" in text and not texts_holding(events, "4111"), texts_holding(events, "4111"))
    status, payload = users["analytics"].request("GET", f"/api/sessions/{shop_session}/export", raw=True)
    exported = json.loads(payload)
    check("export is a JSON array of the masked events, as a download",
          status == 200 and len(recorded(exported)) == len(RECORDING) and not texts_holding(exported, "4111")
          and "attachment" in users["analytics"].last_headers.get("content-disposition", ""),
          texts_holding(exported, "4111"))
    status, body = users["analytics"].request("GET", "/api/search?site=shop&q=A-10293")
    check("search finds the session by its masked text", status == 200 and shop_session in body["sessions"], body)
    status, body = users["analytics"].request("GET", "/api/search?site=shop&q=4111%201111")
    check("search cannot find what was masked", status == 200 and body["sessions"] == [], body)
    return users, shop_session


def test_admin_changes(srv, admin, users):
    status, body = admin.request("PATCH", "/api/users/sam", {"disabled": True})
    check("an admin disables a user", status == 200 and body["disabled"])
    status, _ = users["standard"].request("GET", "/api/sessions")
    check("a disabled user's open session ends at once (401)", status == 401)
    status, _ = Console(srv.console).login("sam", "standard user passphrase")
    check("and they cannot log in", status == 403)
    admin.request("PATCH", "/api/users/sam", {"disabled": False})
    status, _ = Console(srv.console).login("sam", "standard user passphrase")
    check("enabled again, they can", status == 200)
    status, body = admin.request("PATCH", "/api/users/admin", {"role": "standard"})
    check("an admin cannot demote themselves", status == 403, body)
    status, body = admin.request("PATCH", "/api/users/ann", {"role": "standard"})
    check("a role change takes effect on the next request",
          status == 200 and users["analytics"].request("GET", "/api/search?site=shop&q=xx")[0] in (401, 403))


def test_lockout(srv, admin):
    c = Console(srv.console)
    codes = [c.login("ada", f"wrong password {i}")[0] for i in range(5)]
    check("five failures in a row lock the account (the fifth answers 423)",
          codes == [401, 401, 401, 401, 423], codes)
    status, body = c.login("ada", "alerts user passphrase")
    check("locked, even the right password is refused with 423", status == 423, body)
    status, _ = admin.request("PATCH", "/api/users/ada", {"unlock": True})
    check("an admin unlocks it", status == 200)
    c.login("ada", "wrong again")
    c.login("ada", "and again")
    status, body = c.login("ada", "alerts user passphrase")
    check("the next login shows every failed attempt since the last success (5 before the lock, 2 after)",
          status == 200 and body["failed_since"] == 7 and body["last_login"] > 0, body)
    status, _ = Console(srv.console).login("nobody", "whatever it is")
    check("an unknown user gets the same answer as a wrong password", status == 401)


def test_audit_trail(srv, admin):
    status, body = admin.request("GET", "/api/audit?limit=10000")
    actions = {(r["action"], r["outcome"]) for r in body["records"]}
    for want in [("login", "ok"), ("login", "failed"), ("login", "locked"), ("session.replay", "ok"),
                 ("session.export", "ok"), ("user.add", "admin"), ("user.disable", "ok"),
                 ("user.unlock", "ok"), ("password.change", "ok"), ("totp.enroll", "ok"),
                 ("keys.rotate", "ok"), ("access", "denied"), ("logout", "ok")]:
        check(f"the audit log records {want[0]} ({want[1]})", want in actions or
              (want[0] == "user.add" and any(a == "user.add" for a, _ in actions)))
    status, body = admin.request("GET", "/api/audit/verify")
    check("the admin page verifies the chain", status == 200 and body["ok"], body)
    text = json.dumps(body)
    check("no password or token is in the audit log",
          "passphrase" not in json.dumps(admin.request("GET", "/api/audit")[1]) and "csrf" not in text)


def main():
    servers = checks.servers
    try:
        srv = Server(VEIL, extra=BLOG).start()
        servers.append(srv)
        admin, _ = test_first_admin(srv)
        users, _ = test_roles(srv, admin)
        test_lockout(srv, admin)
        test_admin_changes(srv, admin, users)
        test_audit_trail(srv, admin)
        code = srv.stop()
        check("veil serve stops cleanly", code == 0, code)
        out = subprocess.run([VEIL, "audit", "--config", srv.config, "verify"], capture_output=True, text=True)
        check("veil audit verify accepts the log the server wrote",
              out.returncode == 0 and "audit log verified" in out.stdout, out.stdout + out.stderr)
        out = subprocess.run([VEIL, "user", "--config", srv.config, "list"], capture_output=True, text=True)
        check("veil user list shows every user with role and sites",
              out.returncode == 0 and all(n in out.stdout for n in ["admin", "ada", "sam", "ann", "bob"])
              and "blog" in out.stdout, out.stdout + out.stderr)

        # idle and absolute expiry, on a server with short timeouts
        short = Server(VEIL, console={"idle_timeout": "10s", "absolute_timeout": "16s"}).start()
        servers.append(short)
        c = Console(short.console)
        c.setup("admin", short.admin_password, "admin passphrase two")
        time.sleep(11)
        check("a session idle past idle_timeout is gone (401)", c.request("GET", "/api/me")[0] == 401)
        d = Console(short.console)
        status, _ = d.login("admin", "admin passphrase two")
        alive = []
        for _ in range(4):
            time.sleep(4.5)
            alive.append(d.request("GET", "/api/me")[0])
        check("a busy session still ends at absolute_timeout",
              alive[:3] == [200, 200, 200] and alive[3] == 401, alive)

        # the classic profile: 10 characters with a digit, history, expiry
        classic = Server(VEIL, console={"profile": "classic"}).start()
        servers.append(classic)
        c = Console(classic.console)
        c.login("admin", classic.admin_password)
        status, body = c.request("POST", "/api/password", {"old": classic.admin_password, "new": "abcdefghijk"})
        check("classic: a password without a digit is refused", status == 400 and "digit" in body["error"], body)
        status, body = c.request("POST", "/api/password", {"old": classic.admin_password, "new": "abcdefgh1"})
        check("classic: 9 characters are too few", status == 400 and "10" in body["error"], body)
        status, _ = c.request("POST", "/api/password", {"old": classic.admin_password, "new": "first pass 1"})
        check("classic: 10+ characters with a digit are taken", status == 200)
        c.request("POST", "/api/password", {"old": "first pass 1", "new": "second pass 2"})
        status, body = c.request("POST", "/api/password", {"old": "second pass 2", "new": "first pass 1"})
        check("classic: a password used before is refused (history)", status == 400 and "before" in body["error"], body)
    finally:
        checks.finish()


if __name__ == "__main__":
    main()
