#!/usr/bin/env python3
"""Fuzzes the real service against its own /openapi.json with schemathesis.

Usage: python3 tests/fuzz/api_fuzz.py PATH/TO/smp-aftercare [--max-time SECONDS]

Starts `serve` on a free port with a throwaway SQLite database, registers a clinic
(CLI) and onboards a client (API, invitation read from the file transport, accepted),
then runs schemathesis twice: the client operations (/v1/me...) with the client's
token, then every operation with the clinic's key. Passes only with zero server errors
and zero answers that break the document (undocumented status codes, content types,
headers or bodies that do not match their schema), and with no invalid request
accepted.

Not checked: "a schema-valid request was refused" (positive_data_acceptance). Some
rules cannot be written in a schema (a session date within two years of the client's
today, a time zone that exists), so schema-valid input may rightly get a 422 naming
the field.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHECKS_EXCLUDED = "positive_data_acceptance"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method: str, url: str, token: str | None = None, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"{}")


def wait_ready(base: str, server: subprocess.Popen) -> None:
    for _ in range(100):
        if server.poll() is not None:
            sys.exit(f"serve exited with {server.returncode}")
        try:
            request("GET", f"{base}/readyz")
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("serve did not become ready")


def invitation_token(mail_dir: Path) -> str:
    for _ in range(100):
        for path in sorted(mail_dir.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            text = message.get_body(preferencelist=("plain",)).get_content()
            found = re.search(r"/invite/(smpi_[A-Za-z0-9_-]+)", text)
            if found:
                return found.group(1)
        time.sleep(0.1)
    sys.exit("no invitation email arrived")


def schemathesis(base: str, token: str, max_time: int, extra: list[str]) -> int:
    command = [
        "st", "run", f"{base}/openapi.json",
        "--header", f"Authorization: Bearer {token}",
        "--checks", "all",
        "--exclude-checks", CHECKS_EXCLUDED,
        "--max-examples", "15",
        "--max-time", str(max_time),
        "--suppress-health-check", "all",
        "--seed", "20261122",
        *extra,
    ]
    print("+", " ".join(c if "Bearer" not in c else "--header 'Authorization: Bearer ...'" for c in command))
    return subprocess.run(command).returncode


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--max-time", type=int, default=120)
    args = parser.parse_args()
    binary = str(Path(args.binary).resolve())
    work = Path(tempfile.mkdtemp(prefix="smp-fuzz-"))
    port = free_port()
    env = dict(os.environ)
    env.update({
        "SMP__SERVER__PORT": str(port),
        "SMP__DATABASE__URL": f"sqlite://{work}/fuzz.db",
        "SMP__EMAIL__FILE_DIR": str(work / "mail"),
        "SMP__PUSH__VAPID_KEY_FILE": str(work / "vapid.pem"),
        "SMP__LOG__LEVEL": "warn",
        # The fuzzer hammers the accept endpoint; the limit is tested elsewhere.
        "SMP__INVITATIONS__ACCEPTS_PER_MINUTE": "1000000",
    })
    base = f"http://127.0.0.1:{port}"
    log = open(work / "serve.log", "wb")
    server = subprocess.Popen([binary, "serve"], cwd=work, env=env, stdout=log, stderr=log)
    try:
        wait_ready(base, server)
        out = subprocess.run(
            [binary, "clinic", "create", "--name", "Fuzz Clinic", "--email", "front@fuzz-clinic.test",
             "--owner-name", "Fuzz Owner"],
            cwd=work, env=env, capture_output=True, text=True, check=True,
        ).stdout
        key = re.search(r"api key:\s+(\S+)", out).group(1)
        request("POST", f"{base}/v1/clients", key, {
            "email": "ana@fuzz-client.test", "name": "Ana", "timezone": "Europe/London",
        })
        token = request("POST", f"{base}/v1/invitations/{invitation_token(work / 'mail')}/accept")["access_token"]
        # The client pass first: the clinic pass may erase the client (DELETE
        # /v1/clients/{id}), after which every /v1/me operation would only see 401.
        failed = schemathesis(base, token, args.max_time // 2, ["--include-path-regex", "^/v1/me"])
        failed |= schemathesis(base, key, args.max_time, [])
        if server.poll() is not None:
            print(f"serve died during the run (exit {server.returncode}); see {work}/serve.log")
            return 1
        return 1 if failed else 0
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
