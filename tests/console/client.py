"""client.py - the console API as a browser or a script calls it: TLS
(self-signed certificate, not verified), the session cookie kept, the CSRF
token sent on anything that changes state."""

import hashlib
import hmac
import http.client
import json
import ssl
import struct
import time


def totp(secret_b32, at=None, step_offset=0):
    """The RFC 6238 code (SHA-1, 30 s, 6 digits) of a base32 secret."""
    import base64
    key = base64.b32decode(secret_b32)
    step = int((at if at is not None else time.time()) // 30) + step_offset
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000
    return f"{code:06d}"


class Console:
    def __init__(self, port, host="127.0.0.1"):
        self.port = port
        self.host = host
        self.cookie = None
        self.csrf = None
        self.last_headers = {}

    def request(self, method, path, body=None, csrf=True, headers=None, raw=False):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(self.host, self.port, context=ctx, timeout=30)
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = f"__Host-veil={self.cookie}"
        if csrf and self.csrf and method != "GET":
            h["X-CSRF-Token"] = self.csrf
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=h)
        res = conn.getresponse()
        payload = res.read()
        self.last_headers = {k.lower(): v for k, v in res.getheaders()}
        for k, v in res.getheaders():
            if k.lower() == "set-cookie" and v.startswith("__Host-veil="):
                value = v.split(";", 1)[0].split("=", 1)[1]
                self.cookie = value or None
        conn.close()
        if raw:
            return res.status, payload
        try:
            return res.status, json.loads(payload) if payload else {}
        except ValueError:
            return res.status, {"raw": payload.decode(errors="replace")}

    def login(self, user, password, **extra):
        status, body = self.request("POST", "/api/login", {"user": user, "password": password, **extra})
        if status == 200:
            self.csrf = body["csrf"]
        return status, body

    def setup(self, user, one_time, new_password, enrol_totp=False):
        """First login: change the password (and enrol TOTP); the TOTP secret or None."""
        status, body = self.login(user, one_time)
        assert status == 200, (status, body)
        status, body = self.request("POST", "/api/password", {"old": one_time, "new": new_password})
        assert status == 200, (status, body)
        if not enrol_totp:
            return None
        status, body = self.request("POST", "/api/totp/enroll")
        assert status == 200, (status, body)
        secret = body["secret"]
        status, body = self.request("POST", "/api/totp/confirm", {"code": totp(secret)})
        assert status == 200, (status, body)
        self.recovery = body["recovery_codes"]
        return secret
