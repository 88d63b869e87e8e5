#!/usr/bin/env python3
"""A real SMTP server for smp-aftercare's integration tests.

Usage:
    python3 smtp_server.py --port 0 --maildir DIR [--stall-seconds 30] [--verbose]

Prints exactly one line, ``READY <port>``, on stdout once it accepts
connections, then serves until SIGTERM/SIGINT, or until stdin reaches EOF when
stdin is a pipe (so a test harness that dies cannot leave the server behind).

The outcome of each message is scripted by the local part of its recipients,
so one server can play every role a test needs:

    tempfail*@...  RCPT answered ``451 4.3.0 Try again later``
    permfail*@...  RCPT answered ``550 5.1.1 No such user``
    drop*@...      accepted at RCPT; after the message data the connection is
                   closed with no reply to DATA, and nothing is stored
    stall*@...     accepted at RCPT; the reply to DATA is held back for
                   --stall-seconds, then the message is stored and 250 sent
                   (if the client gave up first, nothing is stored)
    anything else  accepted; the message is stored

A stored message is DIR/<n>.eml (n = 1, 2, ...; the raw bytes of the DATA
section as received, after dot-unstuffing) with its envelope in DIR/<n>.json.
Both are written under a temporary name and renamed, the .json first, so a
test that sees <n>.eml can read <n>.json. Every delivery attempt, including
refused, dropped and stalled ones, is appended to DIR/events.jsonl.

No STARTTLS is offered. AUTH (PLAIN, LOGIN) is offered over plain text but
never required; any credentials are accepted and recorded in the sidecar.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import socket
import stat
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# Checked in this order against the lower-cased local part of each recipient.
BEHAVIOURS = ("tempfail", "permfail", "drop", "stall")

TEMPFAIL_REPLY = "451 4.3.0 Try again later"
PERMFAIL_REPLY = "550 5.1.1 No such user"


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def behaviour_for(address: str) -> str:
    local = address.rsplit("@", 1)[0].strip('"<>').lower()
    for name in BEHAVIOURS:
        if local.startswith(name):
            return name
    return "accept"


def write_atomically(path: Path, data: bytes) -> None:
    # The temporary name starts with a dot and does not end in .eml/.json, so a
    # test globbing for *.eml never sees a half-written message.
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Maildir:
    """Numbered message store plus an append-only event log."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        # Continue numbering after what a previous run left, never overwrite.
        existing = [int(p.stem) for p in root.glob("*.eml") if p.stem.isdigit()]
        self._next = max(existing, default=0) + 1
        # The asyncio loop is single-threaded, but the lock keeps this correct
        # even if the store is ever called from another thread.
        self._lock = threading.Lock()

    def event(self, kind: str, **fields) -> None:
        line = json.dumps({"event": kind, "at": now_rfc3339(), **fields}) + "\n"
        with self._lock, open(self.root / "events.jsonl", "a", encoding="utf-8") as f:
            f.write(line)

    def store(self, raw: bytes, envelope_info: dict) -> int:
        with self._lock:
            n = self._next
            self._next += 1
        sidecar = {"n": n, "eml": f"{n}.eml", "size": len(raw), **envelope_info}
        write_atomically(self.root / f"{n}.json", (json.dumps(sidecar, indent=2) + "\n").encode())
        write_atomically(self.root / f"{n}.eml", raw)
        return n


class ScriptedHandler:
    def __init__(self, maildir: Maildir, stall_seconds: float):
        self.maildir = maildir
        self.stall_seconds = stall_seconds

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        behaviour = behaviour_for(address)
        if behaviour in ("tempfail", "permfail"):
            reply = TEMPFAIL_REPLY if behaviour == "tempfail" else PERMFAIL_REPLY
            self.maildir.event(
                "rcpt_refused", mail_from=envelope.mail_from, rcpt=address, reply=reply
            )
            return reply
        # With a handle_RCPT hook aiosmtpd leaves recording the recipient to us.
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        behaviours = {behaviour_for(r) for r in envelope.rcpt_tos}
        base = {"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos)}

        if "drop" in behaviours:
            self.maildir.event("dropped", **base)
            # Closing without a reply is the point: the client must not learn
            # whether the message went through. connection_lost() then cancels
            # this coroutine, so the wait below never returns.
            server.transport.abort()
            await asyncio.Event().wait()

        if "stall" in behaviours:
            self.maildir.event("stall_started", seconds=self.stall_seconds, **base)
            try:
                await asyncio.sleep(self.stall_seconds)
            except asyncio.CancelledError:
                # The client hung up (or we are shutting down) before the reply:
                # treat the message as never accepted.
                self.maildir.event("stall_abandoned", **base)
                raise

        auth = None
        if isinstance(session.auth_data, LoginPassword):
            auth = {
                "login": session.auth_data.login.decode("utf-8", "replace"),
                "password": session.auth_data.password.decode("utf-8", "replace"),
            }
        info = {
            **base,
            "mail_options": list(envelope.mail_options),
            "rcpt_options": list(envelope.rcpt_options),
            "helo": session.host_name,
            "peer": list(session.peer[:2]) if session.peer else None,
            "auth": auth,
            "received_at": now_rfc3339(),
        }
        n = self.maildir.store(envelope.original_content, info)
        self.maildir.event("accepted", n=n, **base)
        return f"250 2.0.0 Ok: queued as {n}"


def accept_any_credentials(server, session, envelope, mechanism, auth_data):
    # AUTH is optional for tests; accepting anything lets a test check which
    # credentials the service sent without configuring a user database.
    return AuthResult(success=True, auth_data=auth_data)


class PreboundController(Controller):
    """Controller that serves on a socket bound beforehand.

    aiosmtpd's Controller cannot use port 0 (it connects to its own port to
    check readiness), so we bind first and hand asyncio the socket: no race
    between picking a free port and listening on it.
    """

    def __init__(self, handler, sock: socket.socket, **kwargs):
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port, **kwargs)
        self._sock = sock

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


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
        print("smtp_server: stdin closed, shutting down", file=sys.stderr, flush=True)
        stop.set()

    threading.Thread(target=reader, name="stdin-watch", daemon=True).start()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--maildir", required=True, type=Path)
    parser.add_argument("--stall-seconds", type=float, default=30.0)
    parser.add_argument("--verbose", action="store_true", help="log SMTP sessions to stderr")
    args = parser.parse_args()

    # aiosmtpd logs every session; a harness that pipes stderr but never reads
    # it would eventually block us, so stay quiet unless asked.
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.ERROR,
        stream=sys.stderr,
        format="smtp_server: %(levelname)s %(message)s",
    )
    if not args.verbose:
        logging.getLogger("mail.log").setLevel(logging.CRITICAL)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(128)
    sock.setblocking(False)

    maildir = Maildir(args.maildir)
    controller = PreboundController(
        ScriptedHandler(maildir, args.stall_seconds),
        sock,
        # Fixed name: the default calls getfqdn(), which can hang without DNS.
        server_hostname="smtp-peer.localhost",
        decode_data=False,
        enable_SMTPUTF8=True,
        authenticator=accept_any_credentials,
        auth_require_tls=False,
        auth_required=False,
    )
    controller.start()

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    watch_stdin(stop)

    print(f"READY {controller.port}", flush=True)
    # A timed wait keeps the main thread responsive to signals.
    while not stop.wait(0.5):
        pass
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
