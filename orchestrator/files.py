"""Writing files so that a reader sees the old file or the whole new one, never half of one.

``write_atomic`` writes through a temporary file that is renamed into place, removes it on any
failure and turns a failure of the file system into ``WriteFailed`` naming the path and why (a
full disk, a read-only file system, a directory where the file should be, a file too large).
``unwritable`` tells, without writing, why a path could not be written: commands check every
output path with it before any work, so a run does not end in a write that was bound to fail.
``read_json``/``parse_json`` read the JSON files orchestrate is given (results files, reports,
run records, the docker config) with every failure a ``ConfigError`` at its place.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from orchestrator.errors import ConfigError, WriteFailed


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once, at import: os.umask can only be read by setting it, which must not race with
# threads that create files (the run record is written from the build's worker threads).
_UMASK = _read_umask()


def why(path: Path, exc: OSError) -> str:
    """``path: cannot write: <reason>``, naming the part of the path that failed when it is
    another (``out/x.json: cannot write: out: Not a directory``)."""
    reason = exc.strerror or type(exc).__name__
    if exc.filename is not None and Path(os.fsdecode(exc.filename)) not in (path, path.parent):
        culprit = Path(os.fsdecode(exc.filename))
        if culprit.name.endswith(".tmp") and culprit.parent == path.parent:
            return f"{path}: cannot write: {reason}"
        return f"{path}: cannot write: {culprit}: {reason}"
    return f"{path}: cannot write: {reason}"


def write_atomic(path: Path, data: str | bytes, *, fsync: bool = False) -> None:
    """Write ``data`` (text as UTF-8 with ``\\n`` newlines) to ``path`` atomically.

    The bytes go to a temporary file in the same directory, which is then renamed over
    ``path`` (``os.replace``), with the permissions a plain ``open(path, "w")`` would give.
    On any failure, the temporary file is removed and ``path`` is left as it was; a failure of
    the file system is ``WriteFailed`` (exit 3) naming ``path``. ``fsync`` flushes the data to
    disk before the rename (for files a crash must not lose).
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WriteFailed(why(path, exc)) from exc
    try:
        with os.fdopen(fd, "wb") as sink:
            sink.write(payload)
            if fsync:
                sink.flush()
                os.fsync(sink.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        if isinstance(exc, OSError):
            raise WriteFailed(why(path, exc)) from exc
        raise


def unwritable(path: Path, *, directory: bool = False) -> str | None:
    """Why ``path`` could not be written (a file; with ``directory``, a directory to write files
    into, created if need be), judged without writing anything; None when nothing stands in the
    way. Found: a directory where the file should be (or a file where the directory should be),
    a file where a parent directory should be, a directory that may not be written (permissions
    or a read-only file system). A full disk shows only when writing.
    """
    path = Path(path)
    if path.is_dir() and not directory:
        return f"{path}: is a directory"
    if path.exists() and directory and not path.is_dir():
        return f"{path}: not a directory"
    nearest = path if directory and path.is_dir() else path.parent
    while not nearest.exists() and nearest != nearest.parent:
        nearest = nearest.parent
    if not nearest.is_dir():
        return f"{path}: {nearest} is not a directory"
    if not os.access(nearest, os.W_OK | os.X_OK):
        return f"{path}: {nearest} is not writable (read-only file system or permissions)"
    return None


def parse_json(raw: bytes | str, where: object, what: str = "") -> Any:
    """The JSON value of ``raw`` (bytes are UTF-8), or a ConfigError at its place:
    ``WHERE:LINE: WHAT: not UTF-8 text``, ``WHERE:LINE: WHAT: not JSON: <why>``, or
    ``WHERE: WHAT: not JSON this program reads: <why>`` for numbers of more digits than Python
    converts and nesting deeper than its recursion limit. ``what`` (``docker config``) names
    the kind of file where the path alone would not.
    """
    kind = f" {what}:" if what else ""
    text = raw
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise ConfigError(f"{where}:{line}:{kind} not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}:{exc.lineno}:{kind} not JSON: {exc.msg}") from None
    except ValueError as exc:  # a number of more digits than Python converts (4,300)
        why = str(exc).partition(":")[0]
        raise ConfigError(f"{where}:{kind} not JSON this program reads: {why}") from None
    except RecursionError:
        raise ConfigError(f"{where}:{kind} not JSON this program reads: nested too deep") from None


def read_json(path: Path, what: str = "") -> Any:
    """``parse_json`` of the file at ``path``; a file that cannot be read is a ConfigError
    (``PATH: cannot read: <reason>``), except a missing one: ``FileNotFoundError`` is left to
    the caller, for whom it may be normal (no docker config, no run record yet)."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        the = f" the {what}" if what else ""
        raise ConfigError(f"{path}: cannot read{the}: {exc.strerror}") from None
    return parse_json(raw, path, what)
