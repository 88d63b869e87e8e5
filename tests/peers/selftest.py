#!/usr/bin/env python3
"""End-to-end check of the test peers with independent client libraries.

    python3 tests/peers/selftest.py

Starts smtp_server.py and push_service.py as subprocesses and talks to them
with smtplib (SMTP) and pywebpush / py_vapid / http_ece (Web Push), so a bug
in a peer cannot be masked by the same code on both sides; and feeds
ics_parse.py hand-written calendars, good and broken. Prints one line per
check and ends with ``N passed, M failed``; exits non-zero on any failure.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import select
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit

import http_ece
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from py_vapid import Vapid01, Vapid02
from pywebpush import WebPusher, WebPushException, webpush

HERE = Path(__file__).resolve().parent
CONTACT = "mailto:aftercare-ops@clinic.test"

results: list[tuple[str, bool]] = []
started_peers: list["Peer"] = []


def check(name):
    """Run the decorated function now as one named check."""

    def run(fn):
        try:
            fn()
        except Exception as err:
            results.append((name, False))
            print(f"FAIL {name}: {type(err).__name__}: {err}", flush=True)
            if os.environ.get("SELFTEST_TRACE"):
                traceback.print_exc()
        else:
            results.append((name, True))
            print(f"PASS {name}", flush=True)
        return fn

    return run


def expect(cond, message="expectation failed"):
    if not cond:
        raise AssertionError(message)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Peer:
    """A peer subprocess: waits for READY <port>, stops with SIGTERM."""

    def __init__(self, script: str, *args: str):
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / script), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
        )
        ready, _, _ = select.select([self.proc.stdout], [], [], 15)
        line = self.proc.stdout.readline().decode() if ready else ""
        match = re.fullmatch(r"READY (\d+)\n", line)
        if not match:
            self.proc.kill()
            self.stderr.seek(0)
            raise RuntimeError(f"{script}: no READY line, got {line!r}: {self.stderr.read()!r}")
        self.port = int(match.group(1))
        started_peers.append(self)

    def stop(self, timeout: float = 10) -> float:
        """SIGTERM and wait; returns how long the exit took."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        return time.monotonic() - started

    def stdout_rest(self) -> bytes:
        return self.proc.stdout.read()


# --------------------------------------------------------------------- SMTP


def smtp_checks() -> None:
    with tempfile.TemporaryDirectory(prefix="selftest-maildir-") as tmp:
        smtp_checks_in(Path(tmp))


def smtp_checks_in(maildir: Path) -> None:
    peer = Peer("smtp_server.py", "--port", "0", "--maildir", str(maildir))
    port = peer.port

    def client(timeout=5.0) -> smtplib.SMTP:
        return smtplib.SMTP("127.0.0.1", port, timeout=timeout)

    def emls() -> list[str]:
        return sorted(p.name for p in maildir.glob("*.eml"))

    def events() -> list[dict]:
        path = maildir / "events.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    message = (
        "From: Clinic <clinic@clinic.test>\r\n"
        "To: client@patients.test\r\n"
        "Subject: Day 3 aftercare\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "No washing today \u2014 keep it dry.\r\n"
        ".a line starting with a dot\r\n"
    ).encode("utf-8")

    @check("smtp: EHLO offers no STARTTLS, AUTH optional")
    def _():
        with client() as s:
            code, _ = s.ehlo("selftest.local")
            expect(code == 250)
            expect(not s.has_extn("starttls"), "STARTTLS must not be offered")
            expect(s.has_extn("auth"), "AUTH should be offered")

    @check("smtp: plain message stored byte-exact with envelope sidecar")
    def _():
        with client() as s:
            refused = s.sendmail("clinic@clinic.test", ["client@patients.test"], message)
        expect(refused == {}, refused)
        expect(emls() == ["1.eml"], emls())
        expect((maildir / "1.eml").read_bytes() == message, "stored bytes differ from sent bytes")
        side = json.loads((maildir / "1.json").read_text())
        expect(side["mail_from"] == "clinic@clinic.test", side)
        expect(side["rcpt_tos"] == ["client@patients.test"], side)
        expect(side["auth"] is None and side["size"] == len(message), side)
        expect(not any(p.name.endswith(".tmp") for p in maildir.iterdir()), "temp file left")

    @check("smtp: AUTH accepted and recorded")
    def _():
        with client() as s:
            s.login("mailer", "s3cret")
            s.sendmail("clinic@clinic.test", ["auth-check@patients.test"], message)
        side = json.loads((maildir / "2.json").read_text())
        expect(side["auth"] == {"login": "mailer", "password": "s3cret"}, side)

    @check("smtp: tempfail recipient gets 451 4.3.0 at RCPT")
    def _():
        with client() as s:
            try:
                s.sendmail("clinic@clinic.test", ["tempfail-1@patients.test"], message)
            except smtplib.SMTPRecipientsRefused as err:
                expect(err.recipients == {"tempfail-1@patients.test": (451, b"4.3.0 Try again later")},
                       err.recipients)
            else:
                raise AssertionError("accepted")
        expect(len(emls()) == 2)

    @check("smtp: permfail recipient gets 550 5.1.1 at RCPT")
    def _():
        with client() as s:
            try:
                s.sendmail("clinic@clinic.test", ["PermFail@patients.test"], message)
            except smtplib.SMTPRecipientsRefused as err:
                expect(err.recipients == {"PermFail@patients.test": (550, b"5.1.1 No such user")},
                       err.recipients)
            else:
                raise AssertionError("accepted")

    @check("smtp: mixed recipients deliver to the accepted one only")
    def _():
        with client() as s:
            refused = s.sendmail(
                "clinic@clinic.test", ["ok@patients.test", "permfail@patients.test"], message
            )
        expect(refused == {"permfail@patients.test": (550, b"5.1.1 No such user")}, refused)
        side = json.loads((maildir / "3.json").read_text())
        expect(side["rcpt_tos"] == ["ok@patients.test"], side)

    @check("smtp: drop closes the connection with no reply to DATA, stores nothing")
    def _():
        before = emls()
        with client() as s:
            try:
                s.sendmail("clinic@clinic.test", ["drop@patients.test"], message)
            except smtplib.SMTPServerDisconnected:
                pass
            else:
                raise AssertionError("got a reply")
        expect(emls() == before, emls())
        expect(events()[-1]["event"] == "dropped", events()[-1])

    @check("smtp: stall holds the DATA reply; other sessions are served meanwhile")
    def _():
        outcome = {}

        def stalled():
            # smtplib reports its own read timeout as SMTPServerDisconnected
            # ("... timed out"), unlike a drop, which closes at once.
            try:
                with client(timeout=2) as s:
                    s.sendmail("clinic@clinic.test", ["stall@patients.test"], message)
                outcome["result"] = "accepted"
            except smtplib.SMTPServerDisconnected as err:
                outcome["result"] = "timeout" if "timed out" in str(err) else str(err)

        thread = threading.Thread(target=stalled)
        thread.start()
        time.sleep(0.5)
        started = time.monotonic()
        with client() as s:
            s.sendmail("clinic@clinic.test", ["during-stall@patients.test"], message)
        expect(time.monotonic() - started < 1.0, "a stalled session blocked another one")
        thread.join(10)
        expect(outcome.get("result") == "timeout", outcome)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and events()[-1]["event"] != "stall_abandoned":
            time.sleep(0.1)
        expect(events()[-1]["event"] == "stall_abandoned", events()[-1])
        stored = [json.loads((maildir / f"{n}.json").read_text())["rcpt_tos"] for n in range(1, 5)]
        expect(["stall@patients.test"] not in stored, stored)

    @check("smtp: READY is the only stdout line; SIGTERM exits promptly mid-stall")
    def _():
        holder = client(timeout=10)
        holder.ehlo()
        holder.mail("clinic@clinic.test")
        holder.rcpt("stall@patients.test")
        holder.putcmd("data")
        expect(holder.getreply()[0] == 354)
        holder.send(message + b".\r\n")  # server now stalls for 30 s
        time.sleep(0.3)
        took = peer.stop()
        holder.close()
        expect(took < 5, f"took {took:.1f}s")
        expect(peer.proc.returncode == 0, peer.proc.returncode)
        expect(peer.stdout_rest() == b"", "extra stdout output")

    @check("smtp: numbering continues over a restart; a finished stall is stored")
    def _():
        fast = Peer("smtp_server.py", "--port", "0", "--maildir", str(maildir), "--stall-seconds", "1")
        try:
            with smtplib.SMTP("127.0.0.1", fast.port, timeout=5) as s:
                started = time.monotonic()
                s.sendmail("clinic@clinic.test", ["stall-then-ok@patients.test"], message)
                expect(time.monotonic() - started >= 0.9, "reply came before the stall")
            side = json.loads((maildir / "5.json").read_text())
            expect(side["rcpt_tos"] == ["stall-then-ok@patients.test"], side)
        finally:
            fast.stop()
        expect(fast.proc.returncode == 0, fast.proc.returncode)

    @check("smtp: exits when its stdin pipe closes")
    def _():
        other = Peer("smtp_server.py", "--port", "0", "--maildir", str(maildir))
        other.proc.stdin.close()
        other.proc.wait(5)
        expect(other.proc.returncode == 0, other.proc.returncode)

    @check("smtp: stdin /dev/null does not end the server")
    def _():
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "smtp_server.py"), "--port", "0", "--maildir", str(maildir)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        )
        try:
            port = int(proc.stdout.readline().split()[1])
            time.sleep(0.5)
            expect(proc.poll() is None, "exited")
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as s:
                expect(s.noop()[0] == 250)
        finally:
            proc.terminate()
            proc.wait(5)


# ---------------------------------------------------------------- Web Push


def own_es256_jwt(key: ec.EllipticCurvePrivateKey, claims: dict, der=False) -> str:
    """A hand-rolled signer for the malformed tokens py_vapid refuses to make."""
    head = b64url(json.dumps({"typ": "JWT", "alg": "ES256"}).encode())
    body = b64url(json.dumps(claims).encode())
    signature = key.sign(f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    if not der:
        r, s = decode_dss_signature(signature)
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{head}.{body}.{b64url(signature)}"


def public_b64(key: ec.EllipticCurvePrivateKey) -> str:
    return b64url(key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


def push_checks() -> None:
    vapid = Vapid02()
    vapid.generate_keys()
    other_vapid = Vapid02()
    other_vapid.generate_keys()
    vapid_pub = public_b64(vapid.private_key)
    other_pub = public_b64(other_vapid.private_key)

    peer = Peer("push_service.py", "--port", "0", "--vapid-public-key", vapid_pub)
    base = f"http://127.0.0.1:{peer.port}"
    origin = base

    def subscribe(**body) -> dict:
        r = requests.post(f"{base}/subscriptions", json=body or None, timeout=5)
        expect(r.status_code == 201, (r.status_code, r.text))
        return r.json()

    def messages(sub=None) -> list[dict]:
        params = {"subscription_id": sub["id"]} if sub else None
        return requests.get(f"{base}/messages", params=params, timeout=5).json()

    def send(sub, data="{}", claims=None, key=vapid, headers=None, **kw) -> requests.Response:
        try:
            return webpush(sub, data=data, vapid_private_key=key,
                           vapid_claims=dict(claims or {"sub": CONTACT}),
                           headers=headers, timeout=kw.pop("timeout", 5), **kw)
        except WebPushException as err:
            expect(err.response is not None, str(err))
            return err.response

    def encrypted(sub, data: bytes = b'{"ok":true}') -> bytes:
        return WebPusher(sub).encode(data)["body"]

    def raw_post(sub, headers, body) -> requests.Response:
        return requests.post(sub["endpoint"], headers=headers, data=body, timeout=5)

    def last_error(sub) -> str:
        return messages(sub)[-1]["error"] or ""

    def good_claims(**over):
        return {"sub": CONTACT, "aud": origin, "exp": int(time.time()) + 3600, **over}

    sub = subscribe()

    @check("push: /healthz")
    def _():
        expect(requests.get(f"{base}/healthz", timeout=5).status_code == 200)

    @check("push: subscription has the PushSubscription.toJSON() shape")
    def _():
        expect(set(sub) == {"id", "endpoint", "expirationTime", "keys"}, sub)
        expect(sub["endpoint"] == f"{base}/push/{sub['id']}", sub)
        expect(sub["expirationTime"] is None)
        p256dh, auth = unb64url(sub["keys"]["p256dh"]), unb64url(sub["keys"]["auth"])
        expect(len(p256dh) == 65 and p256dh[0] == 4, "p256dh")
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
        expect(len(auth) == 16, "auth")

    @check("push: valid RFC 8292 push is decrypted and recorded, 201 + Location")
    def _():
        payload = {"title": "Day 3", "body": "Keep it dry", "url": "/timeline"}
        r = send(sub, json.dumps(payload), ttl=3600,
                 headers={"Urgency": "high", "Topic": "day3-reminder"})
        expect(r.status_code == 201, (r.status_code, r.text))
        expect(r.headers.get("Location", "").startswith(f"{base}/messages/"), r.headers)
        m = messages(sub)[-1]
        expect(m["status"] == 201 and m["error"] is None, m)
        expect(m["auth_scheme"] == "vapid", m)
        expect(m["jwt_claims"]["aud"] == origin and m["jwt_claims"]["sub"] == CONTACT, m)
        expect(m["ttl"] == 3600 and m["urgency"] == "high" and m["topic"] == "day3-reminder", m)
        expect(m["payload_json"] == payload and json.loads(m["payload"]) == payload, m)
        expect(m["body_len"] > 86, m)
        expect(set(m) >= {"subscription_id", "status", "error", "auth_scheme", "jwt_claims", "ttl",
                          "urgency", "topic", "payload", "payload_json", "body_len", "received_at"}, m)

    @check("push: legacy 'WebPush <jwt>' + Crypto-Key p256ecdsa accepted and recorded")
    def _():
        legacy = Vapid01.from_raw(b64url(vapid.private_key.private_numbers()
                                         .private_value.to_bytes(32, "big")).encode())
        headers = legacy.sign(good_claims())
        expect(headers["Authorization"].startswith("WebPush "), headers)
        headers.update({"TTL": "60", "Content-Encoding": "aes128gcm"})
        r = raw_post(sub, headers, encrypted(sub, b"legacy"))
        expect(r.status_code == 201, (r.status_code, r.text))
        m = messages(sub)[-1]
        expect(m["auth_scheme"] == "webpush" and m["payload"] == "legacy", m)

    @check("push: tampered JWT signature -> 401")
    def _():
        auth = vapid.sign(good_claims())["Authorization"]
        token = re.search(r"t=([^,\s]+)", auth).group(1)
        head, body, sig = token.split(".")
        raw = bytearray(unb64url(sig))
        raw[10] ^= 0x01
        bad = auth.replace(token, f"{head}.{body}.{b64url(bytes(raw))}")
        r = raw_post(sub, {"Authorization": bad, "TTL": "60", "Content-Encoding": "aes128gcm"},
                     encrypted(sub))
        expect(r.status_code == 401, (r.status_code, r.text))
        expect("signature" in last_error(sub), last_error(sub))

    @check("push: DER-encoded signature -> 401 (must be raw r||s)")
    def _():
        token = own_es256_jwt(vapid.private_key, good_claims(), der=True)
        r = raw_post(sub, {"Authorization": f"vapid t={token}, k={vapid_pub}", "TTL": "0",
                           "Content-Encoding": "aes128gcm"}, encrypted(sub))
        expect(r.status_code == 401 and "64 bytes" in last_error(sub), (r.status_code, last_error(sub)))

    @check("push: valid token from another VAPID key -> 403")
    def _():
        r = send(sub, key=other_vapid)
        expect(r.status_code == 403, (r.status_code, r.text))
        expect(messages(sub)[-1]["vapid_k"] == other_pub)

    @check("push: wrong aud -> 401")
    def _():
        r = send(sub, claims={"sub": CONTACT, "aud": "https://push.services.test"})
        expect(r.status_code == 401 and "aud" in last_error(sub), (r.status_code, last_error(sub)))

    @check("push: aud without the port -> 401")
    def _():
        r = send(sub, claims={"sub": CONTACT, "aud": "http://127.0.0.1"})
        expect(r.status_code == 401 and "port" in last_error(sub), (r.status_code, last_error(sub)))

    @check("push: aud with a trailing slash -> 401")
    def _():
        token = own_es256_jwt(vapid.private_key, good_claims(aud=origin + "/"))
        r = raw_post(sub, {"Authorization": f"vapid t={token}, k={vapid_pub}", "TTL": "0",
                           "Content-Encoding": "aes128gcm"}, encrypted(sub))
        expect(r.status_code == 401, (r.status_code, r.text))

    @check("push: exp more than 24 h ahead -> 401")
    def _():
        r = send(sub, claims={"sub": CONTACT, "exp": int(time.time()) + 25 * 3600})
        expect(r.status_code == 401 and "ahead" in last_error(sub), (r.status_code, last_error(sub)))

    @check("push: exp exactly 24 h ahead (py_vapid's default) is accepted")
    def _():
        headers = vapid.sign({"sub": CONTACT, "aud": origin})  # py_vapid sets exp = now + 86400
        headers.update({"TTL": "0", "Content-Encoding": "aes128gcm"})
        r = raw_post(sub, headers, encrypted(sub))
        expect(r.status_code == 201, (r.status_code, r.text))

    @check("push: expired exp -> 401")
    def _():
        headers = vapid.sign(good_claims(exp=int(time.time()) - 60))
        headers.update({"TTL": "0", "Content-Encoding": "aes128gcm"})
        r = raw_post(sub, headers, encrypted(sub))
        expect(r.status_code == 401 and "expired" in last_error(sub), (r.status_code, last_error(sub)))

    @check("push: placeholder sub (example.com) -> 401")
    def _():
        r = send(sub, claims={"sub": "mailto:example@example.com"})
        expect(r.status_code == 401 and "placeholder" in last_error(sub),
               (r.status_code, last_error(sub)))

    @check("push: missing sub -> 401")
    def _():
        claims = good_claims()
        del claims["sub"]
        token = own_es256_jwt(vapid.private_key, claims)
        r = raw_post(sub, {"Authorization": f"vapid t={token}, k={vapid_pub}", "TTL": "0",
                           "Content-Encoding": "aes128gcm"}, encrypted(sub))
        expect(r.status_code == 401, (r.status_code, r.text))

    @check("push: no Authorization -> 401")
    def _():
        r = raw_post(sub, {"TTL": "0", "Content-Encoding": "aes128gcm"}, encrypted(sub))
        expect(r.status_code == 401, (r.status_code, r.text))
        expect(r.json()["code"] == 401 and "errno" in r.json(), r.text)

    @check("push: missing TTL -> 400")
    def _():
        headers = vapid.sign(good_claims())
        headers["Content-Encoding"] = "aes128gcm"
        r = raw_post(sub, headers, encrypted(sub))
        expect(r.status_code == 400 and "TTL" in last_error(sub), (r.status_code, last_error(sub)))

    @check("push: legacy aesgcm encoding -> 400")
    def _():
        r = send(sub, content_encoding="aesgcm")
        expect(r.status_code == 400 and "aes128gcm" in last_error(sub),
               (r.status_code, last_error(sub)))

    @check("push: payload encrypted for other keys -> 400")
    def _():
        stranger = subscribe()
        headers = vapid.sign(good_claims())
        headers.update({"TTL": "0", "Content-Encoding": "aes128gcm"})
        r = raw_post(sub, headers, encrypted(stranger))
        expect(r.status_code == 400 and "decrypt" in last_error(sub), (r.status_code, last_error(sub)))

    @check("push: body over 4096 bytes -> 413")
    def _():
        eph = ec.generate_private_key(ec.SECP256R1())
        body = http_ece.encrypt(b"x" * 5000, private_key=eph, dh=unb64url(sub["keys"]["p256dh"]),
                                auth_secret=unb64url(sub["keys"]["auth"]), rs=8192,
                                version="aes128gcm")
        headers = vapid.sign(good_claims())
        headers.update({"TTL": "0", "Content-Encoding": "aes128gcm"})
        r = raw_post(sub, headers, body)
        expect(r.status_code == 413, (r.status_code, r.text))

    @check("push: bad Urgency / Topic -> 400")
    def _():
        r = send(sub, headers={"Urgency": "urgent"})
        expect(r.status_code == 400 and "Urgency" in last_error(sub), (r.status_code, last_error(sub)))
        r = send(sub, headers={"Topic": "has spaces!"})
        expect(r.status_code == 400 and "Topic" in last_error(sub), (r.status_code, last_error(sub)))

    @check("push: unknown subscription -> 404")
    def _():
        fake = dict(sub, endpoint=f"{base}/push/nope")
        r = send(fake)
        expect(r.status_code == 404, (r.status_code, r.text))
        expect(messages()[-1]["subscription_id"] == "nope")

    @check("push: scripted behaviours 404/410/413/429/500 via PATCH")
    def _():
        target = subscribe()
        for behaviour, extra in (("404", {}), ("410", {}), ("413", {}),
                                 ("429", {"retry_after": 7}), ("500", {})):
            r = requests.patch(f"{base}/subscriptions/{target['id']}",
                               json={"behaviour": behaviour, **extra}, timeout=5)
            expect(r.status_code == 200 and r.json()["behaviour"] == behaviour, r.text)
            r = send(target)
            expect(r.status_code == int(behaviour), (behaviour, r.status_code, r.text))
            if behaviour == "429":
                expect(r.headers.get("Retry-After") == "7", r.headers)
            m = messages(target)[-1]
            expect(m["status"] == int(behaviour) and m["error"] is None and m["payload"] == "{}", m)

    @check("push: behaviour set at creation; retry_after null omits Retry-After")
    def _():
        gone = subscribe(behaviour="410")
        expect(send(gone).status_code == 410)
        limited = subscribe(behavior="429", retry_after=None)  # US spelling works too
        r = send(limited)
        expect(r.status_code == 429 and "Retry-After" not in r.headers, r.headers)
        r = requests.patch(f"{base}/subscriptions/{gone['id']}", json={"behaviour": "302"}, timeout=5)
        expect(r.status_code == 400, r.text)

    @check("push: stall makes the sender time out; other pushes are served meanwhile")
    def _():
        slow = subscribe(behaviour="stall")
        outcome = {}

        def stalled():
            try:
                send(slow, timeout=2)
                outcome["result"] = "answered"
            except requests.exceptions.Timeout:
                outcome["result"] = "timeout"

        thread = threading.Thread(target=stalled)
        thread.start()
        time.sleep(0.5)
        started = time.monotonic()
        r = send(sub)
        expect(r.status_code == 201 and time.monotonic() - started < 1.0, "blocked by the stall")
        thread.join(10)
        expect(outcome.get("result") == "timeout", outcome)
        m = messages(slow)[-1]
        expect(m["behaviour"] == "stall" and m["status"] == 201 and m["error"] is None, m)

    @check("push: one keep-alive connection carries pushes, errors and control calls")
    def _():
        conn = http.client.HTTPConnection("127.0.0.1", peer.port, timeout=5)
        path = urlsplit(sub["endpoint"]).path
        good = vapid.sign(good_claims())
        statuses = []
        for headers in (
            {**good, "TTL": "5", "Content-Encoding": "aes128gcm"},
            {"TTL": "5", "Content-Encoding": "aes128gcm"},  # no Authorization
            {**good, "Content-Encoding": "aes128gcm"},  # no TTL
            {**good, "TTL": "5", "Content-Encoding": "aes128gcm"},
        ):
            conn.request("POST", path, body=encrypted(sub), headers=headers)
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)
        conn.close()
        expect(statuses == [201, 401, 400, 201, 200], statuses)

    @check("push: GET /messages filter and DELETE /messages")
    def _():
        expect(all(m["subscription_id"] == sub["id"] for m in messages(sub)))
        expect(requests.delete(f"{base}/messages", timeout=5).status_code == 204)
        expect(messages() == [])

    @check("push: READY is the only stdout line; SIGTERM exits promptly mid-stall")
    def _():
        slow = subscribe(behaviour="stall")
        def doomed():
            try:
                send(slow, timeout=15)
            except requests.exceptions.ConnectionError:
                pass  # the service went away mid-stall, as intended

        thread = threading.Thread(target=doomed, daemon=True)
        thread.start()
        time.sleep(0.5)
        took = peer.stop()
        expect(took < 5, f"took {took:.1f}s")
        expect(peer.proc.returncode == 0, peer.proc.returncode)
        expect(peer.stdout_rest() == b"", "extra stdout output")

    # A second service with no key on the command line: PUT /config decides.
    open_peer = Peer("push_service.py", "--port", "0")
    base = f"http://127.0.0.1:{open_peer.port}"
    origin = base
    try:
        sub2 = subscribe()

        @check("push: without a configured key any valid k is accepted")
        def _():
            expect(requests.get(f"{base}/config", timeout=5).json() == {"vapid_public_key": None})
            r = send(sub2, key=other_vapid)
            expect(r.status_code == 201, (r.status_code, r.text))

        @check("push: PUT /config sets the required key")
        def _():
            r = requests.put(f"{base}/config", json={"vapid_public_key": vapid_pub}, timeout=5)
            expect(r.status_code == 200, r.text)
            expect(send(sub2, key=other_vapid).status_code == 403)
            expect(send(sub2, key=vapid).status_code == 201)
            r = requests.put(f"{base}/config", json={"vapid_public_key": "not-a-key"}, timeout=5)
            expect(r.status_code == 400, r.text)

        @check("push: exits when its stdin pipe closes")
        def _():
            open_peer.proc.stdin.close()
            open_peer.proc.wait(5)
            expect(open_peer.proc.returncode == 0, open_peer.proc.returncode)
    finally:
        open_peer.stop()


def ics_parse(text: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(HERE / "ics_parse.py")],
        input=text.encode(), capture_output=True, timeout=30,
    )


def ics_checks() -> None:
    good = "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//selftest//EN",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H",
        "BEGIN:VEVENT", "UID:a@selftest", "DTSTAMP:20260302T070000Z",
        "DTSTART;VALUE=DATE:20260319", "DTEND;VALUE=DATE:20260327",
        "SUMMARY:Window\\, for session 3", "URL:https://app.test/days/2026-03-19",
        "END:VEVENT",
        "BEGIN:VEVENT", "UID:b@selftest", "DTSTAMP:20260302T070000Z",
        "DTSTART:20260320T090000Z", "SUMMARY:timed", "END:VEVENT",
        "END:VCALENDAR", "",
    ])

    @check("ics: reads a calendar as icalendar sees it")
    def _():
        out = ics_parse(good)
        expect(out.returncode == 0, out.stderr)
        parsed = json.loads(out.stdout)
        expect(parsed["calendar"]["REFRESH-INTERVAL"] == "PT1H", parsed["calendar"])
        window, timed = parsed["events"]
        expect(window["summary"] == "Window, for session 3", window)
        expect((window["dtstart"], window["dtend"]) == ("2026-03-19", "2026-03-27"), window)
        expect(window["all_day"] is True and timed["all_day"] is False, parsed["events"])
        expect(window["dtstamp"] == "2026-03-02T07:00:00Z", window)
        expect(parsed["content_lines"] == {"crlf": True, "longest_octets": 36}, parsed["content_lines"])

    @check("ics: LF line ends are reported")
    def _():
        out = ics_parse(good.replace("\r\n", "\n"))
        expect(out.returncode == 0, out.stderr)
        expect(json.loads(out.stdout)["content_lines"]["crlf"] is False)

    @check("ics: refuses what a calendar app could not use")
    def _():
        for broken in (
            "not a calendar",
            good.replace("UID:a@selftest\r\n", ""),
            good.replace("DTSTAMP:20260302T070000Z\r\nDTSTART;", "DTSTAMP:20260302T070000\r\nDTSTART;"),
        ):
            out = ics_parse(broken)
            expect(out.returncode == 1, (broken, out.stdout))
            expect(out.stderr.startswith(b"ics_parse: "), out.stderr)


def main() -> int:
    for section in (smtp_checks, push_checks, ics_checks):
        try:
            section()
        except Exception as err:  # a peer that did not start fails the run
            results.append((section.__name__, False))
            print(f"FAIL {section.__name__}: {type(err).__name__}: {err}", flush=True)
    for peer in started_peers:  # whatever a failed check left running
        peer.stop()
    passed = sum(ok for _, ok in results)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
