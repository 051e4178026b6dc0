"""The only module that starts processes, and the one that stops them. Argument lists only.

Every command is logged (a ``proc.run`` event with its argv); output is captured and shown
only when the command fails (``CommandFailed`` carries it), or streamed to a log file for long
builds. Tests replace nothing here: unit tests make ``subprocess.Popen`` raise (see
``tests/conftest.py``), integration tests run the real tools.

Stopping: ``stop_children`` interrupts the commands this process started (each by its PID,
found through /proc), and ``signals_call`` / ``sigterm_interrupts`` decide what SIGINT and
SIGTERM do while a run is in progress. A command never outlives orchestrate: it is started
under util-linux's ``setpriv --pdeathsig TERM`` (where there is one), so that when orchestrate
dies without a word (SIGKILL, the OOM killer) the kernel sends its commands SIGTERM, and no
orphaned ``docker build``, ``push`` or ``run`` goes on behind the run that follows.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO

import structlog

from orchestrator.errors import CommandFailed

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Completed:
    """What a finished command left: its argv, exit code, output and wall time."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


# What runs a command (``run_command`` itself, or a test's stand-in that records the argv).
CommandRunner = Callable[..., "Completed"]


def run_command(
    argv: Sequence[str | os.PathLike[str]],
    *,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    input: str | None = None,
    timeout: float | None = None,
    log_file: Path | None = None,
) -> Completed:
    """Run ``argv`` and wait for it.

    With ``log_file`` the combined stdout/stderr is appended to that file as it comes (for
    long builds) and also kept for the error message; otherwise both are captured.
    ``env`` is merged over the current environment. Raises ``CommandFailed`` on a non-zero
    exit when ``check`` is true.
    """
    args = tuple(os.fspath(a) for a in argv)
    full_env = {**os.environ, **env} if env else None
    log.debug("proc.run", argv=args, cwd=os.fspath(cwd) if cwd else None)
    start = time.monotonic()
    if not (os.sep in args[0] or shutil.which(args[0], path=(full_env or os.environ).get("PATH"))):
        raise CommandFailed(args, 127, f"{args[0]}: command not found")
    if log_file is None:
        try:
            cp = subprocess.run(
                _tied(args),
                env=full_env,
                cwd=cwd,
                input=input,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise CommandFailed(args, -1, f"timed out after {timeout} s") from exc
        except FileNotFoundError as exc:
            raise CommandFailed(args, 127, f"{args[0]}: command not found") from exc
        done = Completed(args, cp.returncode, cp.stdout, cp.stderr, time.monotonic() - start)
    else:
        done = _run_logged(
            args,
            env=full_env,
            cwd=cwd,
            input=input,
            timeout=timeout,
            log_file=log_file,
            start=start,
        )
    if check and done.returncode != 0:
        raise CommandFailed(args, done.returncode, done.stdout + done.stderr)
    return done


def _run_logged(
    args: tuple[str, ...],
    *,
    env: Mapping[str, str] | None,
    cwd: str | os.PathLike[str] | None,
    input: str | None,
    timeout: float | None,
    log_file: Path,
    start: float,
) -> Completed:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    tail: list[str] = []
    with log_file.open("a", encoding="utf-8") as sink:
        sink.write(f"$ {' '.join(args)}\n")
        sink.flush()
        try:
            proc = subprocess.Popen(
                _tied(args),
                env=env,
                cwd=cwd,
                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            )
        except FileNotFoundError as exc:
            raise CommandFailed(args, 127, f"{args[0]}: command not found") from exc
        # The output is copied by a thread so that this one can hold the child to ``timeout``:
        # reading to EOF here first would wait as long as the child keeps its output open.
        pump = threading.Thread(
            target=_pump, args=(proc.stdout, sink, tail), name="proc-pump", daemon=True
        )
        pump.start()
        try:
            if input is not None and proc.stdin is not None:
                proc.stdin.write(input)
                proc.stdin.close()
            returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            proc.kill()
            proc.wait()
            pump.join()
            raise CommandFailed(args, -1, "".join(tail) + f"timed out after {timeout} s") from exc
        except BaseException:
            # Ctrl-C: do not leave the child behind.
            proc.kill()
            proc.wait()
            pump.join()
            raise
        pump.join()
    return Completed(args, returncode, "".join(tail), "", time.monotonic() - start)


@functools.cache
def _setpriv() -> str | None:
    """util-linux's ``setpriv`` when it can set the parent-death signal (2.33 and later)."""
    found = shutil.which("setpriv")
    if found is None:
        return None
    try:
        usage = subprocess.run(
            [found, "--help"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return found if "--pdeathsig" in usage.stdout else None


def _tied(args: tuple[str, ...]) -> tuple[str, ...]:
    """What is really started for ``args``: the command itself, made to receive SIGTERM when the
    thread that starts it (and so orchestrate) dies. ``setpriv`` sets that and execs the
    command (same PID); the argv logged, shown and reported stays ``args``."""
    setpriv = _setpriv()
    return (setpriv, "--pdeathsig", "TERM", "--", *args) if setpriv else args


def _pump(stream: IO[str] | None, sink: IO[str], tail: list[str], keep: int = 200) -> None:
    if stream is None:
        return
    for line in stream:
        sink.write(line)
        sink.flush()
        tail.append(line)
        if len(tail) > keep:
            del tail[0]


# --------------------------------------------------------------------------- stopping


@dataclass(frozen=True)
class ProcessInfo:
    """One process as ``/proc/<pid>/stat`` describes it: its state letter, parent and group."""

    pid: int
    state: str
    ppid: int
    pgid: int


def processes(proc_dir: Path = Path("/proc")) -> list[ProcessInfo]:
    """Every process this one can see (read from ``/proc/<pid>/stat``; ones that end while being
    read are left out), in PID order."""
    found: list[ProcessInfo] = []
    for entry in proc_dir.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The fields after the command name, which is in parentheses and may hold spaces:
        # state, ppid, pgrp, ...
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2:
            found.append(ProcessInfo(int(entry.name), fields[0], int(fields[1]), int(fields[2])))
    return sorted(found, key=lambda p: p.pid)


def child_pids(parent: int | None = None, proc_dir: Path = Path("/proc")) -> list[int]:
    """The PIDs of this process's direct children."""
    parent = os.getpid() if parent is None else parent
    return [p.pid for p in processes(proc_dir) if p.ppid == parent]


def stop_children(sig: int = signal.SIGINT) -> list[int]:
    """Interrupt the commands this process started (``docker buildx``/``run``/``push``).

    SIGINT makes the docker CLI cancel its build (BuildKit drops the solve) or stop its
    container (``docker run`` forwards the signal); ``run_command`` then returns in the worker
    thread, which marks the job interrupted. Only our own children, each by its PID.
    """
    pids = child_pids()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    if pids:
        log.info("build.children_interrupted", pids=pids)
    return pids


@contextlib.contextmanager
def signals_call(
    handler: Callable[[], None], signals: Sequence[int] = (signal.SIGINT, signal.SIGTERM)
) -> Iterator[None]:
    """While inside, ``signals`` call ``handler()`` (in the main thread) instead of raising.

    Outside the main thread (where Python cannot install handlers) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum: int, frame: FrameType | None) -> None:
        handler()

    previous = {sig: signal.signal(sig, on_signal) for sig in signals}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _raise_keyboard_interrupt() -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """While inside, SIGTERM (CI cancelling a job, ``kill PID``) stops a run as Ctrl-C does:
    it raises KeyboardInterrupt in the main thread."""
    with signals_call(_raise_keyboard_interrupt, (signal.SIGTERM,)):
        yield
