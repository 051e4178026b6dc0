"""A registry process of the test's own, on a free loopback port, that a test may kill and start
again (test helper).

It is the farm's registry binary (``docker-registry serve CONFIG``, Debian's distribution 2.8)
with the farm's kind of configuration (filesystem storage, deletes enabled, 127.0.0.1 only:
``scripts/farm.d/services.sh``), but its own storage folder and port, so stopping it never
touches the farm's registries. The storage survives a restart, as the farm's does. Every
process it started is stopped by its PID at the end.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT = 30.0

CONFIG = """\
# written by tests/integration/own_registry.py: a registry of one test, loopback only
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: {root}/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OwnRegistry:
    """``address`` (``localhost:PORT``, as images name it); ``stop``, ``start``, ``restart``."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.port = port
        self.address = f"localhost:{port}"
        self.url = f"http://127.0.0.1:{port}"
        self.config = root / "config.yml"
        self.config.write_text(CONFIG.format(root=root, port=port))
        self.log = root / "registry.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/v2/", timeout=2) as response:
                return int(response.status) == 200
        except (urllib.error.URLError, OSError):
            return False

    def start(self) -> None:
        if shutil.which("docker-registry") is None:
            raise RuntimeError("docker-registry is not installed (scripts/farm up installs it)")
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                ["docker-registry", "serve", str(self.config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        deadline = time.monotonic() + START_TIMEOUT
        while not self.answers():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"registry did not come up: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGKILL) -> None:
        """Stop the process we started (SIGKILL: as a crash; SIGTERM: a clean stop)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self, down: float = 0.0, sig: int = signal.SIGKILL) -> None:
        self.stop(sig)
        time.sleep(down)
        self.start()


@contextmanager
def own_registry() -> Iterator[OwnRegistry]:
    root = Path(tempfile.mkdtemp(prefix="oreg-"))
    registry = OwnRegistry(root, free_port())
    try:
        registry.start()
        yield registry
    finally:
        registry.stop(signal.SIGTERM)
        shutil.rmtree(root, ignore_errors=True)
