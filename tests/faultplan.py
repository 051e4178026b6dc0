"""What the fault proxy (``tests/faultproxy.py``) does to which request: the plan, and what it saw.

A ``Plan`` chooses, for each request, one of ``FAULTS`` or none: ``script`` names request numbers
(1-based, in arrival order), ``rules`` match method, path and client (``User-Agent``) a number of
times or always, and ``rate`` fails that share of the rest (of the clients ``agent`` matches) at
random. The draw is seeded by ``(seed, method, path, how many times that method and path were
asked before)``, the repository and an upload session's random id left out of the path, so the
same requests fail whatever the interleaving of concurrent clients and the repository's name.
``tampers`` rewrite the registry's real answers (body, headers, status) for the bad-answer cases.
``Chooser`` applies a plan and keeps the ``Record`` of every request; ``Stats`` counts them.
Pure: no sockets here.
"""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

STATUS_FAULTS = ("500", "502", "503", "429")
FAULTS = (*STATUS_FAULTS, "reset", "truncate", "stall")
# The faults a failing share of requests is drawn from: every kind but the stall, which a
# client can only wait out (its own test measures that).
TRANSIENT = ("500", "502", "503", "429", "reset", "truncate")

# The draw of a request ignores the repository (tests name theirs uniquely, each run anew) and
# an upload session's random id.
_REPOSITORY = re.compile(r"^/v2/.+?/(manifests|blobs|tags)/")
_UPLOAD_SESSION = re.compile(r"/uploads/[^/]+$")


# The engine's User-Agent (``docker push``) and the product's.
ENGINE = "^docker/"
PRODUCT = "^orchestrate"


@dataclass(frozen=True)
class Rule:
    """Requests matching ``method`` (empty: any), ``path`` (a regex searched in the path without
    its query) and ``agent`` (a regex searched in the User-Agent) get ``fault``: the first
    ``times`` of them, or all (``times=None``)."""

    fault: str
    method: str = ""
    path: str = ""
    times: int | None = None
    agent: str = ""

    def matches(self, method: str, path: str, agent: str = "") -> bool:
        return (
            self.method in ("", method)
            and bool(re.search(self.path, path))
            and bool(re.search(self.agent, agent))
        )


@dataclass(frozen=True)
class Tamper:
    """Rewrite the registry's real answer to requests matching ``method`` and ``path`` (as
    ``Rule``): ``body`` maps the bytes, ``headers`` sets (or, with None, removes) headers,
    ``status`` replaces the status."""

    method: str
    path: str
    body: Callable[[bytes], bytes] | None = None
    headers: Mapping[str, str | None] = field(default_factory=dict)
    status: int | None = None

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("", method) and bool(re.search(self.path, path))


@dataclass(frozen=True)
class Plan:
    """What to do to which requests (see the module docstring)."""

    rate: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = TRANSIENT
    script: Mapping[int, str] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    tampers: tuple[Tamper, ...] = ()
    retry_after: int = 1
    stall_seconds: float = 120.0
    agent: str = ""  # the random share only fails requests whose User-Agent this matches

    def __post_init__(self) -> None:
        unknown = {*self.kinds, *self.script.values(), *(r.fault for r in self.rules)} - {*FAULTS}
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)} (known: {FAULTS})")


@dataclass(frozen=True)
class Record:
    """One request as the proxy saw it: its number, method, path, the fault injected (empty
    when none) and the status the client was sent (None when it got no status line)."""

    number: int
    method: str
    path: str
    fault: str
    status: int | None
    agent: str = ""


@dataclass(frozen=True)
class Stats:
    """What the proxy saw: every request and the faults it injected, by kind."""

    records: tuple[Record, ...]

    @property
    def requests(self) -> int:
        return len(self.records)

    @property
    def faults(self) -> Counter[str]:
        return Counter(r.fault for r in self.records if r.fault)

    @property
    def injected(self) -> int:
        return sum(self.faults.values())

    def by(self, agent: str) -> Stats:
        """Only the requests of the clients ``agent`` (a regex) matches."""
        return Stats(tuple(r for r in self.records if re.search(agent, r.agent)))

    def failed(self, method: str, path: str) -> list[Record]:
        """The faulted requests of ``method`` whose path matches the regex ``path``."""
        return [
            r for r in self.records if r.fault and r.method == method and re.search(path, r.path)
        ]

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.faults.items()))
        return f"{self.requests} requests, {self.injected} faults injected ({kinds or 'none'})"


class Chooser:
    """A plan applied to requests as they come (thread-safe): numbers them, chooses each one's
    fault, and keeps their records."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._lock = threading.Lock()
        self._records: list[Record] = []
        self._seen: Counter[tuple[str, str]] = Counter()
        self._used: Counter[int] = Counter()

    def use(self, plan: Plan) -> None:
        """From now on, ``plan`` (the records go on; ``reset`` clears them)."""
        with self._lock:
            self.plan = plan
            self._used.clear()

    def reset(self) -> None:
        with self._lock:
            self._records.clear()
            self._seen.clear()
            self._used.clear()

    def stats(self) -> Stats:
        with self._lock:
            return Stats(tuple(self._records))

    def decide(self, method: str, path: str, agent: str = "") -> tuple[int, str, Plan]:
        """Number this request and choose its fault (empty: none)."""
        with self._lock:
            plan = self.plan
            number = len(self._records) + 1
            key = (method, _REPOSITORY.sub(r"/v2/*/\1/", _UPLOAD_SESSION.sub("/uploads/*", path)))
            occurrence = self._seen[key]
            self._seen[key] += 1
            fault = plan.script.get(number, "")
            for i, rule in enumerate(plan.rules):
                if fault:
                    break
                if rule.matches(method, path, agent) and (
                    rule.times is None or self._used[i] < rule.times
                ):
                    self._used[i] += 1
                    fault = rule.fault
            if not fault and plan.rate > 0 and re.search(plan.agent, agent):
                draw = random.Random(f"{plan.seed}:{key[0]}:{key[1]}:{occurrence}")
                if draw.random() < plan.rate:
                    fault = draw.choice(plan.kinds)
            self._records.append(Record(number, method, path, fault, None, agent))
            return number, fault, plan

    def done(self, number: int, status: int | None) -> None:
        """The status the client of request ``number`` was sent (None: no status line)."""
        with self._lock:
            old = self._records[number - 1]
            self._records[number - 1] = Record(
                number, old.method, old.path, old.fault, status, old.agent
            )
