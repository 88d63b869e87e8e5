#!/usr/bin/env python3
"""An S3-compatible object store for the tests: moto's S3 in server mode.

Prints exactly one line, ``READY <port>``, on stdout once it accepts
connections, then serves until SIGTERM/SIGINT, or until stdin reaches EOF when
stdin is a pipe (so a test harness that dies cannot leave the server behind).

``--bucket NAME`` (repeatable) creates buckets before READY, with a plain
S3 ``PUT /NAME`` to itself, as an operator would create one. Requests are
path-style (``http://127.0.0.1:<port>/<bucket>/<key>``); moto accepts any
credentials and keeps everything in memory.
"""

import argparse
import logging
import os
import signal
import stat
import sys
import threading
import urllib.request

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server


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
        print("s3_server: stdin closed, shutting down", file=sys.stderr, flush=True)
        stop.set()

    threading.Thread(target=reader, name="stdin-watch", daemon=True).start()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--bucket", action="append", default=[], help="create this bucket")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = parser.parse_args()

    # werkzeug logs every request; a harness that pipes stderr but never reads it
    # would eventually block us, so stay quiet unless asked.
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR, stream=sys.stderr)
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    # As moto's own ThreadedMotoServer builds it, on a socket whose port we can print.
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(args.host, args.port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="s3", daemon=True)
    thread.start()

    for bucket in args.bucket:
        request = urllib.request.Request(
            f"http://{args.host}:{server.port}/{bucket}", method="PUT", data=b""
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status != 200:
                print(f"s3_server: creating {bucket}: HTTP {response.status}", file=sys.stderr)
                return 1

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    watch_stdin(stop)

    print(f"READY {server.port}", flush=True)
    # A timed wait keeps the main thread responsive to signals.
    while not stop.wait(0.5):
        pass
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
