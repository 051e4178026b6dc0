"""The one error family of orchestrate. Each class carries its own exit code.

Only ``orchestrator.cli.main`` catches these and turns them into an exit status; everything
else raises. Exit codes: 1 = a check or build did not pass (drift, failed job, tag held back),
2 = bad input (matrix, templates, arguments, results files, reports, docker config), 3 = an
external command or service failed, or an output could not be written (``WriteFailed``: a full
disk, a read-only directory, a directory where the file should be, a closed standard output).
``cli.main`` adds 130 (interrupted) and 141 (standard output closed by its reader).
"""

from __future__ import annotations

from collections.abc import Sequence


class OrchestratorError(Exception):
    """Base of every error orchestrate reports to its user."""

    exit_code: int = 1


class ConfigError(OrchestratorError):
    """Bad input: matrix.yml, a command-line argument, a results file.

    ``problems`` holds every problem found (all are reported at once), each already formatted
    as ``file:LINE: key.path: message``.
    """

    exit_code = 2

    def __init__(self, problems: Sequence[str] | str) -> None:
        self.problems: tuple[str, ...] = (
            (problems,) if isinstance(problems, str) else tuple(problems)
        )
        super().__init__("\n".join(self.problems))


class UsageError(ConfigError):
    """A command-line combination that cannot work (e.g. ``--arch`` naming no job)."""


class CheckFailed(OrchestratorError):
    """A check found a difference (``render --check``) or a run did not publish everything."""

    exit_code = 1


class CommandFailed(OrchestratorError):
    """An external command exited non-zero. Carries argv, exit code and captured output."""

    exit_code = 3

    def __init__(self, argv: Sequence[str], returncode: int, output: str = "") -> None:
        self.argv: tuple[str, ...] = tuple(argv)
        self.returncode = returncode
        self.output = output
        tail = "\n".join(output.rstrip().splitlines()[-20:])
        msg = f"command failed with exit code {returncode}: {' '.join(self.argv)}"
        super().__init__(f"{msg}\n{tail}" if tail else msg)


class RegistryError(OrchestratorError):
    """The registry answered with an error (or not at all). ``status`` is the HTTP status."""

    exit_code = 3

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        self.status = status
        self.retry_after = retry_after
        super().__init__(message)


class WriteFailed(OrchestratorError):
    """An output could not be written: a file (the message names its path and why, e.g. "No
    space left on device") or standard output."""

    exit_code = 3


class AuthError(RegistryError):
    """The registry refused the request: it wants credentials the docker config does not have
    for it, or it rejects the ones it has (HTTP 401), or they may not do this (403). Never
    retried; the message names the registry and the docker config, never a secret."""


class FarmError(OrchestratorError):
    """The local build farm (engine, buildx, emulation, registry) is not usable."""

    exit_code = 3


def first_line(exc: BaseException) -> str:
    """An error as a one-line reason: its first line, or its type's name."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def printable(text: str) -> str:
    """``text`` as it may stand unquoted in a one-line message: what is not printable (a newline,
    a tab) is written as its escape (``\\n``), everything else unchanged."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def shown(value: object, limit: int = 60) -> str:
    """``value`` as a one-line message may quote it: its ``repr``, escaped, cut to ``limit``
    characters (a value read from a hostile file may be any size)."""
    if isinstance(value, list | dict | tuple | set):
        return type(value).__name__  # never expanded: it may be huge, or hold itself
    text = (
        printable(repr(value))
        if not isinstance(value, int) or value.bit_length() < 200
        else "a large number"
    )
    return text if len(text) <= limit else text[: limit - 3] + "..."
