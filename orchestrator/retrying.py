"""The one retry policy of orchestrate (tenacity), and the classifier that decides what to retry.

Only failures that may pass by themselves are retried: a registry 5xx or 429 (honouring its
``Retry-After``), a reset/refused/aborted connection, a timeout, a push that timed out, or a
command whose output shows such a registry/network failure or an engine that went away under it
(restarted: BuildKit's stream broke, the engine's socket is not there yet). Everything else
(401/403/404/400, a Dockerfile error, a failing compile, a bad certificate) fails at once:
retrying it would only hide the real error behind minutes of waiting.

Attempts are bounded and the wait grows exponentially (with jitter) up to a maximum; tests use
``Policy(initial=0, maximum=0)`` or pass their own ``sleep`` and ``clock``. A policy may also
bound the time of one operation as a whole (``deadline``: attempts and waits together; a wait
that would end past it is not started), and, more tightly, the time spent retrying a host that
cannot be reached at all (``unreachable_deadline``: refused connections, connect timeouts). The
module does no I/O of its own (apart from sleeping between attempts) and never starts a process.
"""

from __future__ import annotations

import http.client
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from typing import TypeVar

import requests
import structlog
import tenacity
from urllib3.exceptions import ConnectTimeoutError

from orchestrator.errors import CommandFailed, RegistryError

log = structlog.get_logger(__name__)

T = TypeVar("T")

# HTTP statuses worth another attempt: the server (or a proxy in front of it) is in trouble,
# or asks us to slow down. 501 Not Implemented will not change by itself.
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 507, 520, 521, 522, 523, 524})

# Lines of a failed command's output that show a registry or network hiccup (buildx, docker push,
# imagetools, curl, apt inside a container print these).
_TRANSIENT_OUTPUT = re.compile(
    r"(?i)("
    r"\b(500 internal server error|502 bad gateway|503 service unavailable|504 gateway time-?out)"
    r"|\b429 too many requests|toomanyrequests"
    r"|connection reset by peer|connection refused|broken pipe|unexpected eof"
    r"|i/o timeout|tls handshake timeout|context deadline exceeded"
    r"|net/http: request canceled|server misbehaving|temporary failure in name resolution"
    r"|transport connection broken"
    r"|received unexpected http status: 5\d\d"
    # docker push, when a 429 or 5xx answer has a body that is not the registry's JSON error
    r"|error parsing http (429|5\d\d) response body"
    # the engine went away (restarted) under a running command: BuildKit's gRPC stream broke,
    # or the engine's socket is not there yet
    r"|error reading from server: eof|code = unavailable|cannot connect to the docker daemon"
    r")"
)

# Output that shows the build itself is wrong: never retried, even when a network word appears
# elsewhere in the log (a test suite inside a RUN step may well print "connection refused").
_PERMANENT_OUTPUT = re.compile(
    r"(?i)("
    r"dockerfile parse error|unknown instruction|failed to read dockerfile"
    r"|did not complete successfully: exit code"
    r"|unauthorized: authentication required|denied: requested access to the resource is denied"
    r"|manifest invalid|name unknown|blob unknown to registry"
    r")"
)

# A command that was stopped by its timeout is transient only when it was talking to a registry.
_PUSHING_WORDS = frozenset({"push", "--push", "imagetools", "pull"})


@dataclass(frozen=True)
class Policy:
    """How often and how patiently to retry.

    ``attempts`` counts the first try. The wait before attempt n+1 is
    ``min(maximum, initial * 2**(n-1))`` plus up to ``jitter`` of that, or the server's
    ``Retry-After`` (capped at ``max_retry_after``) when it gave one. ``deadline`` (seconds, None
    for none) ends the retries when the next wait would end past it, counted from the first
    attempt; ``unreachable_deadline`` does the same, sooner, when the last failure was that the
    host could not be reached at all (``is_unreachable``).
    """

    attempts: int = 5
    initial: float = 1.0
    maximum: float = 30.0
    jitter: float = 0.25
    max_retry_after: float = 120.0
    deadline: float | None = None
    unreachable_deadline: float | None = None


DEFAULT = Policy()

# A policy that retries as often as the default but never sleeps: for tests.
NO_WAIT = Policy(initial=0.0, maximum=0.0, jitter=0.0, max_retry_after=0.0)


def for_push(policy: Policy) -> Policy:
    """``policy`` with twice its attempts, for pushing an image: a push is a chain of a dozen
    requests (any of which may fail), each attempt resumes where the last one stopped (what was
    pushed stays pushed), and giving up throws away the build before it."""
    return replace(policy, attempts=2 * max(1, policy.attempts))


_NETWORK_ERRORS = (
    ConnectionResetError,
    ConnectionRefusedError,
    ConnectionAbortedError,
    BrokenPipeError,
    TimeoutError,
    http.client.RemoteDisconnected,
    http.client.IncompleteRead,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` is a failure that another attempt may well not see."""
    if isinstance(exc, RegistryError):
        if exc.status is not None:
            return exc.status in TRANSIENT_STATUSES
        # No status: the registry did not answer at all. The cause tells why.
        cause = exc.__cause__ or exc.__context__
        return cause is not None and is_transient(cause)
    if isinstance(exc, CommandFailed):
        return _command_is_transient(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return False  # a bad certificate stays bad
    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        return exc.response.status_code in TRANSIENT_STATUSES
    return isinstance(exc, _NETWORK_ERRORS)


def is_unreachable(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says no connection could be made at all: refused,
    or not accepted within the connect timeout. A host that answered, however badly, is not."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        # urllib3's NewConnectionError (refused, no route) is a ConnectTimeoutError too.
        if isinstance(
            current,
            ConnectionRefusedError | requests.exceptions.ConnectTimeout | ConnectTimeoutError,
        ):
            return True
        # requests wraps urllib3's MaxRetryError, whose ``reason`` is what really happened.
        inner = current.args[0] if current.args else None
        reason = getattr(current, "reason", None)
        if isinstance(current, requests.exceptions.ConnectionError) and isinstance(
            inner, BaseException
        ):
            current = inner
        elif isinstance(reason, BaseException):
            current = reason
        else:
            current = current.__cause__ or current.__context__
    return False


def _command_is_transient(exc: CommandFailed) -> bool:
    output = exc.output or ""
    if _PERMANENT_OUTPUT.search(output):
        return False
    if exc.returncode == -1 and "timed out after" in output:
        return bool(_PUSHING_WORDS.intersection(exc.argv))
    return bool(_TRANSIENT_OUTPUT.search(output))


def retry_after(exc: BaseException | None) -> float | None:
    """The server's ``Retry-After`` in seconds, if the failure carried one."""
    if isinstance(exc, RegistryError) and exc.retry_after is not None:
        return max(0.0, exc.retry_after)
    return None


def wait_seconds(policy: Policy, attempt: int, exc: BaseException | None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
    asked = retry_after(exc)
    if asked is not None:
        return min(asked, policy.max_retry_after)
    base = min(policy.maximum, policy.initial * 2.0 ** (attempt - 1))
    return float(base) + random.uniform(0, base * policy.jitter)  # noqa: S311 - jitter, not crypto


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """A ``Retry-After`` header (seconds, or an HTTP-date) as seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def out_of_time(
    policy: Policy, elapsed: float, wait: float, exc: BaseException | None
) -> float | None:
    """The deadline (seconds) that a wait of ``wait`` after ``elapsed`` seconds would pass, or
    None when there is time for it (``unreachable_deadline`` applies when ``exc`` says the host
    could not be reached)."""
    limits = [policy.deadline]
    if exc is not None and is_unreachable(exc):
        limits.append(policy.unreachable_deadline)
    passed = [limit for limit in limits if limit is not None and elapsed + wait >= limit]
    return min(passed) if passed else None


def retrying(
    policy: Policy = DEFAULT,
    *,
    what: str = "",
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> tenacity.Retrying:
    """A tenacity ``Retrying`` built from ``policy``; re-raises the last error when done.

    The deadlines count from the moment this is called (the operation's start) on ``clock``.
    """
    started = clock()

    def _wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return wait_seconds(policy, state.attempt_number, exc)

    def _stop(state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= max(1, policy.attempts):
            return True
        exc = state.outcome.exception() if state.outcome else None
        return out_of_time(policy, clock() - started, state.upcoming_sleep, exc) is not None

    def _before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "retry",
            what=what,
            attempt=state.attempt_number,
            of=policy.attempts,
            wait=round(state.upcoming_sleep, 2),
            error=str(exc)[:300],
        )

    return tenacity.Retrying(
        stop=_stop,
        wait=_wait,
        retry=tenacity.retry_if_exception(is_transient),
        before_sleep=_before_sleep,
        sleep=sleep,
        reraise=True,
    )


def call(
    fn: Callable[[], T],
    *,
    policy: Policy = DEFAULT,
    what: str = "",
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """``fn()`` under the policy: transient failures are retried, the last one is raised."""
    for attempt in retrying(policy, what=what, sleep=sleep, clock=clock):
        with attempt:
            return fn()
    raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover
