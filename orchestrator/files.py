"""Writing files so that a reader sees the old file or the whole new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once, at import: os.umask can only be read by setting it, which must not race with
# threads that create files (the run record is written from the build's worker threads).
_UMASK = _read_umask()


def write_atomic(path: Path, data: str | bytes, *, fsync: bool = False) -> None:
    """Write ``data`` (text as UTF-8 with ``\\n`` newlines) to ``path`` atomically.

    The bytes go to a temporary file in the same directory, which is then renamed over
    ``path`` (``os.replace``), with the permissions a plain ``open(path, "w")`` would give.
    On any failure, the temporary file is removed and ``path`` is left as it was. ``fsync``
    flushes the data to disk before the rename (for files a crash must not lose).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as sink:
            sink.write(payload)
            if fsync:
                sink.flush()
                os.fsync(sink.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise
