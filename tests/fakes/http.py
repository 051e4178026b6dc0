"""Loopback HTTP servers for tests: a free port on 127.0.0.1, served from a thread, always shut
down. Stand-ins for hosts that cannot exist here (python.org, a Windows base-layer CDN) and the
fake registry all run on this."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Quiet:
    """Mix-in: no access log on stderr (a test's output stays its own)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class QuietFiles(Quiet, SimpleHTTPRequestHandler):
    """Serves a directory (``functools.partial(QuietFiles, directory=…)``), silently."""


@contextlib.contextmanager
def serving(handler: Callable[..., BaseHTTPRequestHandler], *, poll: float = 0.05) -> Iterator[int]:
    """Serve ``handler`` on 127.0.0.1 at a free port (yielded) until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(poll,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
