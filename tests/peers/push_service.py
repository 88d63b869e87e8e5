#!/usr/bin/env python3
"""A local Web Push service for smp-aftercare's integration tests.

Usage:
    python3 push_service.py --port 0 [--vapid-public-key B64URL]
                            [--stall-seconds 30] [--verbose]

Prints exactly one line, ``READY <port>``, on stdout once it accepts
connections, then serves until SIGTERM/SIGINT, or until stdin reaches EOF when
stdin is a pipe.

It plays both the push service (RFC 8030) and the browser behind each
subscription: it owns the subscription's P-256 key pair and auth secret, so it
can check what an application server sends with code independent of the
sender -- VAPID (RFC 8292) with `cryptography`, the aes128gcm payload
(RFC 8291) with `http_ece`.

Endpoints (all JSON):
    GET    /healthz
    POST   /subscriptions          {"behaviour"?, "retry_after"?} -> 201 subscription
    GET    /subscriptions/<id>     subscription + behaviour
    PATCH  /subscriptions/<id>     {"behaviour"?, "retry_after"?}
    PUT    /config                 {"vapid_public_key": B64URL | null}
    GET    /config
    POST   /push/<id>              the push endpoint handed to the sender
    GET    /messages[?subscription_id=<id>]
    DELETE /messages

Checks on POST /push/<id>; the first that fails is answered with
{"code", "errno", "error", "message"} (the shape Mozilla autopush uses):
    404  unknown subscription id
    401  Authorization missing, not `vapid t=<JWT>, k=<key>` (or the legacy
         `WebPush <JWT>` + `Crypto-Key: p256ecdsa=<key>`), JWT not ES256,
         k not a P-256 point, signature not 64-byte r||s or not verifying
    403  k differs from the configured VAPID public key (if one is set)
    401  aud != "http://127.0.0.1:<port>" exactly, exp not in (now, now+24h],
         sub not mailto:/https: or containing "example.com"
    400  TTL missing or not a non-negative integer, bad Urgency or Topic,
         Content-Encoding not aes128gcm (a body-less push is allowed),
         keyid not the 65-byte sender key, more than one record, decryption
    413  body over 4096 bytes
Every request to /push/<id> is recorded (see GET /messages), whether it passed
or not. Only a push that passes all checks gets the subscription's scripted
behaviour: "201" (default; Location + TTL headers), "404", "410", "413",
"429" (Retry-After: retry_after, default 1; null omits it), "500", or
"stall" (201 after --stall-seconds; the record is written on arrival).

A GET /messages entry:
    {"id", "subscription_id", "status", "error", "behaviour", "auth_scheme"
     ("vapid" | "webpush" | other scheme | null), "vapid_k", "jwt_claims"
     (as sent, recorded even when the signature fails), "ttl", "urgency",
     "topic", "content_encoding", "payload" (UTF-8 text or null),
     "payload_json", "payload_b64", "body_len", "received_at"}
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import re
import secrets
import signal
import stat
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

BEHAVIOURS = ("201", "404", "410", "413", "429", "500", "stall")
DEFAULT_RETRY_AFTER = 1

# RFC 8030 §7.2: a push service must accept at least 4096 bytes of body and
# may refuse more with 413. Enforcing exactly that catches senders that rely
# on a lenient service.
MAX_PUSH_BODY = 4096
# Bodies beyond this are not even read: the request is refused and the
# connection closed.
MAX_READ = 1 << 20

MAX_VAPID_LIFETIME = 24 * 60 * 60  # RFC 8292 §2: exp no more than 24 h ahead
URGENCIES = ("very-low", "low", "normal", "high")  # RFC 8030 §5.3
TOPIC_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # RFC 8030 §5.4
B64URL_RE = re.compile(r"^[A-Za-z0-9_-]*={0,2}$")

# errno values loosely follow Mozilla autopush, so a sender parsing the
# {code, errno, error, message} error body (as Rust's web-push does) works.
ERRNO = {400: 110, 401: 109, 403: 109, 404: 102, 410: 103, 413: 104, 429: 999, 500: 999}


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    # Strict: the standard library would silently skip stray characters, which
    # would hide a sender using the wrong alphabet.
    if not isinstance(text, str) or not B64URL_RE.match(text):
        raise ValueError("not base64url")
    text = text.rstrip("=")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_vapid_public_key(text: str) -> bytes:
    raw = b64url_decode(text)
    # Raises ValueError unless this is a point on P-256.
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    if len(raw) != 65 or raw[0] != 4:
        raise ValueError("VAPID public key must be a 65-byte uncompressed P-256 point")
    return raw


class PushError(Exception):
    """A check failed: answer `status` with `message`, and record it."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Subscription:
    id: str
    private_key: ec.EllipticCurvePrivateKey
    p256dh: bytes
    auth: bytes
    behaviour: str = "201"
    retry_after: int | str | None = DEFAULT_RETRY_AFTER

    def to_json(self, origin: str) -> dict:
        # Exactly PushSubscription.toJSON() plus our id, so a test can hand it
        # to the service under test as a browser would.
        return {
            "id": self.id,
            "endpoint": f"{origin}/push/{self.id}",
            "expirationTime": None,
            "keys": {"p256dh": b64url_encode(self.p256dh), "auth": b64url_encode(self.auth)},
        }


def parse_behaviour(body: dict, sub: Subscription) -> None:
    """Apply {"behaviour", "retry_after"} from a request body to `sub`."""
    if "behavior" in body and "behaviour" not in body:
        body = {**body, "behaviour": body["behavior"]}  # forgive US spelling
    if "behaviour" in body:
        behaviour = str(body["behaviour"])
        if behaviour not in BEHAVIOURS:
            raise PushError(400, f"behaviour must be one of {', '.join(BEHAVIOURS)}")
        sub.behaviour = behaviour
    if "retry_after" in body:
        value = body["retry_after"]
        # An int is delta-seconds; a string goes out verbatim (an HTTP-date);
        # null sends a 429 with no Retry-After at all.
        if isinstance(value, bool) or not (value is None or isinstance(value, (int, str))):
            raise PushError(400, "retry_after must be an integer, a string or null")
        sub.retry_after = value


class State:
    def __init__(self, origin: str, vapid_public_key: bytes | None, stall_seconds: float):
        self.origin = origin
        self.vapid_public_key = vapid_public_key
        self.stall_seconds = stall_seconds
        self.subscriptions: dict[str, Subscription] = {}
        self.messages: list[dict] = []
        # Handlers run in their own threads.
        self.lock = threading.Lock()

    def new_subscription(self) -> Subscription:
        private_key = ec.generate_private_key(ec.SECP256R1())
        p256dh = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        sub = Subscription(secrets.token_hex(8), private_key, p256dh, os.urandom(16))
        with self.lock:
            self.subscriptions[sub.id] = sub
        return sub


def parse_params(text: str, separators: str) -> dict[str, str]:
    """Parse `a=b, c="d"` style parameters (auth-params, Crypto-Key)."""
    params = {}
    for part in re.split(f"[{re.escape(separators)}]", text):
        name, sep, value = part.strip().partition("=")
        if sep:
            params[name.strip().lower()] = value.strip().strip('"')
    return params


def verify_vapid(headers, state: State, rec: dict) -> None:
    """Check the VAPID authorization (RFC 8292); fill `rec` as we learn things."""
    auth = headers.get("Authorization")
    if not auth:
        raise PushError(401, "missing Authorization header (VAPID is required)")
    scheme, _, rest = auth.strip().partition(" ")
    scheme = scheme.lower()
    rec["auth_scheme"] = scheme
    if scheme == "vapid":
        params = parse_params(rest, ",")
        token, key = params.get("t"), params.get("k")
        if not token or not key:
            raise PushError(401, "vapid Authorization must carry t=<JWT> and k=<public key>")
    elif scheme == "webpush":
        # The pre-RFC draft form: the key travels in Crypto-Key.
        token = rest.strip()
        key = parse_params(headers.get("Crypto-Key", ""), ",;").get("p256ecdsa")
        if not token or not key:
            raise PushError(401, "WebPush Authorization needs a JWT and Crypto-Key: p256ecdsa=<key>")
    else:
        raise PushError(401, f"unsupported Authorization scheme {scheme!r}; expected vapid")
    rec["vapid_k"] = key

    parts = token.split(".")
    if len(parts) != 3:
        raise PushError(401, "JWT must have three dot-separated parts")
    try:
        jwt_header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise PushError(401, "JWT is not base64url-encoded JSON")
    if not isinstance(claims, dict) or not isinstance(jwt_header, dict):
        raise PushError(401, "JWT header and claims must be JSON objects")
    # Recorded before the signature check so a failing test can show what the
    # sender claimed; `status`/`error` say whether it was trusted.
    rec["jwt_claims"] = claims
    if jwt_header.get("alg") != "ES256":
        raise PushError(401, f"JWT alg must be ES256, got {jwt_header.get('alg')!r}")

    try:
        key_raw = b64url_decode(key)
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key_raw)
    except (ValueError, binascii.Error):
        raise PushError(401, "k is not a base64url P-256 public key")
    if len(key_raw) != 65 or key_raw[0] != 4:
        raise PushError(401, "k must be a 65-byte uncompressed P-256 point")
    if len(signature) != 64:
        # The usual mistake: a DER-encoded ECDSA signature instead of JWS r||s.
        raise PushError(401, f"ES256 signature must be 64 bytes r||s, got {len(signature)}")
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        public_key.verify(der, f"{parts[0]}.{parts[1]}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise PushError(401, "JWT signature does not verify with k")

    # RFC 8292 §4.2: a valid token for a key other than the subscription's
    # applicationServerKey is refused with 403.
    with state.lock:
        expected = state.vapid_public_key
    if expected is not None and key_raw != expected:
        raise PushError(403, "k is not the VAPID public key this service was configured with")

    aud = claims.get("aud")
    if aud != state.origin:
        hint = ""
        if isinstance(aud, str):
            parsed = urlsplit(aud)
            expected_parts = urlsplit(state.origin)
            if parsed.hostname == expected_parts.hostname and parsed.port is None:
                hint = " (the port is missing)"
            elif aud.rstrip("/") == state.origin or parsed.path:
                hint = " (aud is an origin: no path or trailing slash)"
        raise PushError(401, f"aud must be {state.origin!r}, got {aud!r}{hint}")

    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise PushError(401, "exp must be a NumericDate")
    now = time.time()
    if exp <= now:
        raise PushError(401, f"JWT expired {now - exp:.0f}s ago")
    if exp > now + MAX_VAPID_LIFETIME:
        raise PushError(401, f"exp is {exp - now:.0f}s ahead; at most {MAX_VAPID_LIFETIME}s allowed")

    sub = claims.get("sub")
    if not isinstance(sub, str) or not re.match(r"^(mailto:\S+|https://\S+)$", sub, re.IGNORECASE):
        raise PushError(401, f"sub must be a mailto: or https: URI, got {sub!r}")
    if "example.com" in sub.lower():
        raise PushError(401, f"sub {sub!r} is a placeholder; use a real contact")


def check_headers(headers, rec: dict) -> None:
    ttl = headers.get("TTL")
    if ttl is None:
        raise PushError(400, "missing TTL header")
    if not ttl.strip().isdigit():
        raise PushError(400, f"TTL must be a non-negative integer, got {ttl!r}")
    rec["ttl"] = int(ttl)

    urgency = rec["urgency"]
    if urgency is not None and urgency not in URGENCIES:
        raise PushError(400, f"Urgency must be one of {', '.join(URGENCIES)}, got {urgency!r}")
    topic = rec["topic"]
    if topic is not None and not TOPIC_RE.match(topic):
        raise PushError(400, "Topic must be 1-32 characters of the base64url alphabet")


def decrypt_payload(body: bytes, content_encoding: str | None, sub: Subscription, rec: dict) -> None:
    if not body:
        # RFC 8030 allows a push without a payload (a "tickle").
        if content_encoding:
            raise PushError(400, "Content-Encoding given but the body is empty")
        return
    if (content_encoding or "").lower() != "aes128gcm":
        raise PushError(400, f"Content-Encoding must be aes128gcm, got {content_encoding!r}")
    if len(body) > MAX_PUSH_BODY:
        raise PushError(413, f"body is {len(body)} bytes; at most {MAX_PUSH_BODY} accepted")

    # RFC 8291 §4 constraints http_ece does not check itself.
    if len(body) < 21:
        raise PushError(400, "body too short for an aes128gcm header")
    rs = int.from_bytes(body[16:20], "big")
    idlen = body[20]
    if idlen != 65 or len(body) < 86 or body[21] != 4:
        raise PushError(400, "aes128gcm keyid must be the sender's 65-byte uncompressed public key")
    if rs < 18:
        raise PushError(400, f"record size {rs} is below the minimum of 18")
    if len(body) - 86 > rs:
        raise PushError(400, "a push message must be a single aes128gcm record")

    try:
        plaintext = http_ece.decrypt(
            body, private_key=sub.private_key, auth_secret=sub.auth, version="aes128gcm"
        )
    except Exception as err:  # http_ece raises ECEException and plain errors alike
        raise PushError(400, f"payload does not decrypt: {err}")

    rec["payload_b64"] = b64url_encode(plaintext)
    try:
        rec["payload"] = plaintext.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        rec["payload_json"] = json.loads(rec["payload"])
    except ValueError:
        pass


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so keep-alive clients (reqwest's pool) behave as in production.
    protocol_version = "HTTP/1.1"
    server_version = "push-peer/1"
    state: State  # set on the subclass made in main()
    verbose = False

    def log_message(self, fmt, *args):
        # Silent by default: a harness that pipes stderr but never reads it
        # would otherwise block us once the pipe fills.
        if self.verbose:
            super().log_message(fmt, *args)

    # -- plumbing ---------------------------------------------------------

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                total += size
                if total > MAX_READ:
                    raise PushError(413, "request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_READ:
            raise PushError(413, "request body too large")
        return self.rfile.read(length) if length else b""

    def send(self, status: int, body: bytes = b"", headers: dict | None = None, close=False):
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, str(value))
            if body:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # The sender gave up (e.g. timed out on a stall); nothing to answer.
            self.close_connection = True

    def send_json(self, status: int, obj, headers: dict | None = None):
        self.send(status, (json.dumps(obj) + "\n").encode(), headers)

    def send_error_json(self, status: int, message: str, headers: dict | None = None, close=False):
        body = {
            "code": status,
            "errno": ERRNO.get(status, 999),
            "error": HTTPStatus(status).phrase,
            "message": message,
        }
        self.send(status, (json.dumps(body) + "\n").encode(), headers, close=close)

    def json_body(self) -> dict:
        raw = self.read_body()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            raise PushError(400, "body is not JSON")
        if not isinstance(body, dict):
            raise PushError(400, "body must be a JSON object")
        return body

    def dispatch(self, method: str):
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        routes = [
            ("GET", r"/healthz", self.healthz),
            ("POST", r"/subscriptions", self.create_subscription),
            ("GET", r"/subscriptions/([^/]+)", self.get_subscription),
            ("PATCH", r"/subscriptions/([^/]+)", self.patch_subscription),
            ("GET", r"/config", self.get_config),
            ("PUT", r"/config", self.put_config),
            ("POST", r"/push/([^/]+)", self.push),
            ("GET", r"/messages", self.list_messages),
            ("DELETE", r"/messages", self.clear_messages),
        ]
        path_known = False
        for route_method, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if not match:
                continue
            path_known = True
            if route_method == method:
                try:
                    handler(*match.groups(), query=parse_qs(url.query))
                except PushError as err:
                    self.send_error_json(err.status, err.message, close=err.status == 413)
                return
        try:
            self.read_body()  # keep the connection usable for the next request
        except PushError as err:
            self.send_error_json(err.status, err.message, close=True)
            return
        if path_known:
            self.send_error_json(405, f"{method} not allowed on {path}")
        else:
            self.send_error_json(404, f"no route for {path}")

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    # -- control endpoints --------------------------------------------------

    def healthz(self, query):
        self.send_json(200, {"ok": True})

    def create_subscription(self, query):
        body = self.json_body()
        sub = self.state.new_subscription()
        with self.state.lock:
            try:
                parse_behaviour(body, sub)
            except PushError:
                del self.state.subscriptions[sub.id]
                raise
        self.send_json(201, sub.to_json(self.state.origin))

    def subscription_or_404(self, sub_id: str) -> Subscription:
        with self.state.lock:
            sub = self.state.subscriptions.get(sub_id)
        if sub is None:
            raise PushError(404, f"no subscription {sub_id!r}")
        return sub

    def describe(self, sub: Subscription) -> dict:
        return {
            **sub.to_json(self.state.origin),
            "behaviour": sub.behaviour,
            "retry_after": sub.retry_after,
        }

    def get_subscription(self, sub_id, query):
        sub = self.subscription_or_404(sub_id)
        with self.state.lock:
            described = self.describe(sub)
        self.send_json(200, described)

    def patch_subscription(self, sub_id, query):
        body = self.json_body()
        sub = self.subscription_or_404(sub_id)
        with self.state.lock:
            parse_behaviour(body, sub)
            described = self.describe(sub)
        self.send_json(200, described)

    def get_config(self, query):
        with self.state.lock:
            key = self.state.vapid_public_key
        self.send_json(200, {"vapid_public_key": b64url_encode(key) if key else None})

    def put_config(self, query):
        body = self.json_body()
        if "vapid_public_key" not in body:
            raise PushError(400, 'expected {"vapid_public_key": B64URL | null}')
        value = body["vapid_public_key"]
        try:
            key = None if value is None else parse_vapid_public_key(value)
        except (ValueError, binascii.Error) as err:
            raise PushError(400, f"vapid_public_key: {err}")
        with self.state.lock:
            self.state.vapid_public_key = key
        self.send_json(200, {"vapid_public_key": value})

    def list_messages(self, query):
        wanted = query.get("subscription_id", [None])[0]
        with self.state.lock:
            messages = [
                m for m in self.state.messages if wanted is None or m["subscription_id"] == wanted
            ]
            body = json.dumps(messages)
        self.send(200, (body + "\n").encode())

    def clear_messages(self, query):
        with self.state.lock:
            self.state.messages.clear()
        self.send(204)

    # -- the push endpoint ----------------------------------------------------

    def push(self, sub_id, query):
        rec = {
            "id": secrets.token_hex(8),
            "subscription_id": sub_id,
            "status": None,
            "error": None,
            "behaviour": None,
            "auth_scheme": None,
            "vapid_k": None,
            "jwt_claims": None,
            "ttl": None,
            "urgency": self.headers.get("Urgency"),
            "topic": self.headers.get("Topic"),
            "content_encoding": self.headers.get("Content-Encoding"),
            "payload": None,
            "payload_json": None,
            "payload_b64": None,
            "body_len": None,
            "received_at": now_rfc3339(),
        }
        try:
            body = self.read_body()
        except PushError as err:
            self.record(rec, err.status, err.message)
            raise
        rec["body_len"] = len(body)

        try:
            with self.state.lock:
                sub = self.state.subscriptions.get(sub_id)
                if sub is not None:
                    # Snapshot: a PATCH racing with this push must not change
                    # the answer half-way through.
                    behaviour, retry_after = sub.behaviour, sub.retry_after
            if sub is None:
                raise PushError(404, f"no subscription {sub_id!r}")
            rec["behaviour"] = behaviour
            verify_vapid(self.headers, self.state, rec)
            check_headers(self.headers, rec)
            decrypt_payload(body, rec["content_encoding"], sub, rec)
        except PushError as err:
            self.record(rec, err.status, err.message)
            self.send_error_json(err.status, err.message)
            return

        status = 201 if behaviour in ("201", "stall") else int(behaviour)
        # Recorded before answering, so a test can see a stalled push arrive.
        self.record(rec, status, None)
        if behaviour == "stall":
            time.sleep(self.state.stall_seconds)
        if status == 201:
            self.send(
                201,
                headers={
                    "Location": f"{self.state.origin}/messages/{rec['id']}",
                    "TTL": rec["ttl"],
                },
            )
        else:
            headers = {}
            if status == 429 and retry_after is not None:
                headers["Retry-After"] = retry_after
            self.send_error_json(status, f"scripted behaviour {behaviour}", headers)

    def record(self, rec: dict, status: int, error: str | None) -> None:
        rec["status"] = status
        rec["error"] = error
        with self.state.lock:
            self.state.messages.append(rec)
        if self.verbose:
            print(f"push_service: {rec['subscription_id']} -> {status} {error or ''}",
                  file=sys.stderr, flush=True)


def watch_stdin(stop: threading.Event) -> None:
    # Only a pipe's EOF means "the parent is gone". /dev/null or a closed
    # terminal would end the server at once, so those are not watched.
    try:
        fd = sys.stdin.fileno()
        mode = os.fstat(fd).st_mode
    except (OSError, ValueError):
        return
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return

    def reader():
        # os.read on the raw fd: a thread blocked inside sys.stdin.buffer
        # holds its lock and makes interpreter shutdown abort.
        try:
            while os.read(fd, 4096):
                pass
        except OSError:
            pass
        print("push_service: stdin closed, shutting down", file=sys.stderr, flush=True)
        stop.set()

    threading.Thread(target=reader, name="stdin-watch", daemon=True).start()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--vapid-public-key",
        help="base64url VAPID public key every push must be signed with "
        "(PUT /config changes it later); without one, any valid k is accepted",
    )
    parser.add_argument("--stall-seconds", type=float, default=30.0)
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = parser.parse_args()

    vapid_key = None
    if args.vapid_public_key:
        try:
            vapid_key = parse_vapid_public_key(args.vapid_public_key)
        except (ValueError, binascii.Error) as err:
            parser.error(f"--vapid-public-key: {err}")

    class BoundHandler(Handler):
        pass

    server = ThreadingHTTPServer((args.host, args.port), BoundHandler)
    # A stalled push must neither block other requests nor delay shutdown.
    server.daemon_threads = True
    port = server.server_address[1]
    BoundHandler.state = State(f"http://{args.host}:{port}", vapid_key, args.stall_seconds)
    BoundHandler.verbose = args.verbose

    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    watch_stdin(stop)

    print(f"READY {port}", flush=True)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
