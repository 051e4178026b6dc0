"""A second real Docker engine on this machine, reached as a docker context (test helper).

Recipe from ENVIRONMENT.md ("A second real engine on one machine"): its own bridge first (a
second dockerd started with ``--bridge none`` deletes the first engine's ``docker0``), its own
data root, exec root, socket, pidfile and containerd namespaces, no iptables changes (so the
first engine's rules are never touched). Its bridge therefore has no NAT: builds that need the
network run with ``--network host``. The farm's registry is its Docker Hub mirror, so
``FROM debian:bookworm`` resolves locally as on the first engine.

It is started once and stopped by the PID in its pidfile. ``SecondEngine.restart`` stops it as
``systemctl restart docker`` does (SIGTERM, waiting for it to exit) and starts it again on the
same data root and socket, for tests of an engine restarted during a run. Nothing of the first
engine (its socket, data, bridge, contexts other than ours) is touched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BRIDGE = "od2br0"  # interface names are at most 15 characters
BRIDGE_ADDRESS = "172.31.250.1/24"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 60.0


@dataclass
class _Daemon:
    """The running dockerd (replaced by a restart) and how it is started."""

    argv: list[str]
    proc: subprocess.Popen[bytes] | None = None


@dataclass(frozen=True)
class SecondEngine:
    context: str  # the docker context name (what matrix.yml's builders name)
    socket: Path
    log: Path
    root: Path
    daemon: _Daemon = field(repr=False, compare=False)

    @property
    def pid(self) -> int:
        assert self.daemon.proc is not None
        return self.daemon.proc.pid

    def docker(self, *args: str) -> list[str]:
        return ["docker", "--context", self.context, *args]

    def restart(self, down: float = 0.0) -> None:
        """Stop dockerd cleanly (SIGTERM, wait), ``down`` seconds later start it again."""
        if self.daemon.proc is not None:
            _stop(self.root, self.daemon.proc)
        time.sleep(down)
        _start(self.daemon, self.socket, self.log)


def _run(argv: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=check, capture_output=True, text=True, timeout=120)


def _mounts_under(path: Path) -> list[str]:
    prefix = str(path)
    with open("/proc/mounts", encoding="utf-8") as fh:
        points = [line.split()[1] for line in fh]
    return [p for p in points if p == prefix or p.startswith(prefix + "/")]


@contextmanager
def second_engine(*, mirror: str, context: str = "orchestrate-test-d2") -> Iterator[SecondEngine]:
    """Start the second engine (``mirror`` = the farm registry, e.g. ``localhost:5000``)."""
    if shutil.which("dockerd") is None:
        raise RuntimeError("dockerd is not installed (scripts/farm up installs it)")
    # Short paths: unix socket paths are limited to 108 bytes, containerd nests under exec-root.
    root = Path(tempfile.mkdtemp(prefix="od2-", dir="/tmp"))
    created_bridge = False
    daemon = _Daemon(argv=[])
    log = root / "dockerd.log"
    try:
        if not Path(f"/sys/class/net/{BRIDGE}").exists():
            _run(["ip", "link", "add", BRIDGE, "type", "bridge"])
            created_bridge = True
            _run(["ip", "addr", "add", BRIDGE_ADDRESS, "dev", BRIDGE])
        _run(["ip", "link", "set", BRIDGE, "up"])
        host = mirror.replace("localhost", "127.0.0.1")
        config = {"registry-mirrors": [f"http://{host}"], "insecure-registries": [host]}
        (root / "daemon.json").write_text(json.dumps(config))
        socket = root / "docker.sock"
        daemon.argv = [
            "dockerd",
            "--config-file", str(root / "daemon.json"),
            "--data-root", str(root / "data"),
            "--exec-root", str(root / "exec"),
            "-H", f"unix://{socket}",
            "--pidfile", str(root / "docker.pid"),
            "--bridge", BRIDGE,
            "--iptables=false",
            "--ip-masq=false",
            "--containerd-namespace", "od2",
            "--containerd-plugins-namespace", "od2p",
        ]  # fmt: skip
        _start(daemon, socket, log)
        _run(["docker", "context", "rm", "-f", context], check=False)
        _run(["docker", "context", "create", context, "--docker", f"host=unix://{socket}"])
        yield SecondEngine(context=context, socket=socket, log=log, root=root, daemon=daemon)
    finally:
        _run(["docker", "context", "rm", "-f", context], check=False)
        if daemon.proc is not None:
            _stop(root, daemon.proc)
        if created_bridge:
            _run(["ip", "link", "del", BRIDGE], check=False)
        if not _mounts_under(root):  # never delete through a mount left behind
            shutil.rmtree(root, ignore_errors=True)


def _start(daemon: _Daemon, socket: Path, log: Path) -> None:
    """Start dockerd (output appended to ``log``) and wait until it answers on ``socket``."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            daemon.argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    daemon.proc = proc  # known at once: stopped at the end even if it never answers
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        done = _run(["docker", "-H", f"unix://{socket}", "version"], check=False)
        if done.returncode == 0:
            return
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"second dockerd did not come up: {log.read_text(errors='replace')[-3000:]}"
            )
        time.sleep(0.5)


def _stop(root: Path, proc: subprocess.Popen[bytes]) -> None:
    """Stop our dockerd by the PID in its pidfile (the one we started), and wait for it."""
    pidfile = root / "docker.pid"
    pid = int(pidfile.read_text().strip()) if pidfile.exists() else proc.pid
    if pid != proc.pid:  # the pidfile must name the process we started, nothing else
        pid = proc.pid
    if proc.poll() is None:
        os.kill(pid, signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(pid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT)
