"""Fakes for whole build runs: what a unit test may not touch.

``FakeDocker`` answers the argv lists a build would run (``buildx build``, ``run``, ``push``,
``buildx inspect``) as the docker CLI does, ``FakeRegistry`` holds tags like a registry and
``FakePublish`` applies the real pure tag policy without one. The real engine runs in
``tests/integration/test_build*.py``.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from orchestrator import conformance, policy, proc, retrying, strategy
from orchestrator.build import planjob, progress
from orchestrator.build.connections import Connections
from orchestrator.build.jobs import JobPlan
from orchestrator.build.options import BuildOptions
from orchestrator.buildx import DEFAULT_ROUTE
from orchestrator.errors import CommandFailed, ConfigError
from orchestrator.plan import Job, Plan
from orchestrator.platforms import ARCHES, Platform
from orchestrator.results import JobResult

REPO = Path(__file__).resolve().parents[2]
PLATFORMS = "linux/amd64, linux/386, linux/arm64, linux/ppc64le, linux/s390x, linux/arm/v7"


def sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass
class FakeRegistry:
    """Parents resolve for every platform unless listed in ``missing``; tags live in a dict."""

    tags: dict[str, str] = field(default_factory=dict)
    missing: set[tuple[str, str]] = field(default_factory=set)
    lookups: int = 0

    def parent_digest(self, parent: str, platform: Platform) -> str:
        if (parent, platform.oci) in self.missing:
            raise ConfigError(f"localhost:5000/library/{parent} has no {platform.oci} image")
        return sha(parent + platform.oci)

    def tag_digest(self, repository: str, tag: str) -> str | None:
        self.lookups += 1
        return self.tags.get(f"{repository}:{tag}")


@dataclass
class FakeDocker:
    """Answers the docker CLI argv lists of a run; records them; fails where told to."""

    registry: FakeRegistry
    compile_error: set[str] = field(default_factory=set)  # arches whose build fails
    transient_push: int = 0  # this many pushes fail with a 503 first
    bad_smoke: set[str] = field(default_factory=set)  # arches whose python is wrong
    bad_conformance: set[str] = field(default_factory=set)  # cross arches built for armel
    interrupt_build: str | None = None  # arch whose build raises KeyboardInterrupt
    platforms: str = PLATFORMS
    version: str = "3.13.5"
    calls: list[tuple[str, ...]] = field(default_factory=list)
    running: int = 0
    most: int = 0
    delay: float = 0.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def probe(self, arch: str) -> str:
        """What the conformance probe prints in a correct image of ``arch`` (an armel Python
        for the arches in ``bad_conformance``)."""
        a = ARCHES["arm32v5" if arch in self.bad_conformance else arch]
        assert a.multiarch is not None
        cpu, system = a.multiarch.split("-", 1)
        short = "".join(self.version.split(".")[:2])
        return json.dumps({
            "version": self.version, "MULTIARCH": a.multiarch,
            "SOABI": f"cpython-{short}-{a.multiarch}", "HOST_GNU_TYPE": f"{cpu}-unknown-{system}",
            "machine": ARCHES[arch].uname, "maxsize": 2**63 - 1 if a.elf_class == 2 else 2**31 - 1,
            "byteorder": "big" if a.big_endian else "little", "stdlib": "/usr/local/lib/python3",
            "extensions": {"_ssl": None, "_ctypes": None},
        }) + "\n"  # fmt: skip

    def count(self, word: str) -> int:
        return sum(1 for c in self.calls if word in c)

    def __call__(self, argv: Sequence[str], **kw: Any) -> proc.Completed:
        args = tuple(str(a) for a in argv)
        with self._lock:
            self.calls.append(args)
        log_file: Path | None = kw.get("log_file")
        if log_file is not None:
            with log_file.open("a") as f:
                f.write(f"$ {' '.join(args)}\n")
        cmd = args[3:] if args[1] == "--context" else args[1:]
        if cmd[:2] == ("buildx", "inspect"):
            return proc.Completed(args, 0, f"Name: default\nPlatforms: {self.platforms}\n", "", 0)
        if cmd[:2] == ("buildx", "build") and "--target" in cmd:  # a conformance check's stage
            return proc.Completed(args, 0, "#12 DONE 0.1s\n", "", 0.1)
        if cmd[:2] == ("buildx", "build"):
            tag = args[args.index("--tag") + 1]
            arch = tag.rsplit("-", 1)[1]
            if arch == self.interrupt_build:
                raise KeyboardInterrupt
            with self._lock:
                self.running += 1
                self.most = max(self.most, self.running)
            time.sleep(self.delay)
            with self._lock:
                self.running -= 1
            if arch in self.compile_error:
                out = (
                    '#9 ERROR: process "/bin/sh -c make" did not complete successfully: '
                    "exit code: 2\n"
                )
                assert log_file is not None
                with log_file.open("a") as f:
                    f.write("gcc: error: foo.c\n" + out)
                raise CommandFailed(args, 1, out)
            return proc.Completed(args, 0, "#10 DONE 0.1s\n", "", 0.1)
        if cmd[0] == "run" and cmd[-1] == conformance.PROBE:
            image = cmd[-4]
            native = image.endswith("-build-python")
            arch = "amd64" if native else image.rsplit("-", 1)[1]
            return proc.Completed(args, 0, self.probe(arch), "", 0.1)
        if cmd[0] == "run" and "-m" in cmd and cmd[cmd.index("-m") + 1] == "test":  # regrtest
            return proc.Completed(args, 0, "== Tests result: SUCCESS ==\n", "", 0.1)
        if cmd[0] == "run":
            image = cmd[cmd.index("--platform") + 2]
            arch = image.rsplit("-", 1)[1]
            version = "3.13.4" if arch in self.bad_smoke else self.version
            short = ".".join(self.version.split(".")[:2])
            if cmd[-1] == "--version" and cmd[-2] == "python":
                out = f"Python {version}\n"
            elif cmd[-2] == "-c":
                out = "imports ok: OpenSSL 3.0.16 11 Feb 2025\n"
            else:
                site = f"/usr/local/lib/python{short}/site-packages/pip"
                out = f"pip 25.1.1 from {site} (python {short})\n"
            return proc.Completed(args, 0, out, "", 0.1)
        if cmd[0] == "push":
            if self.transient_push:
                self.transient_push -= 1
                raise CommandFailed(
                    args, 1, "received unexpected HTTP status: 503 Service Unavailable"
                )
            ref = cmd[1]
            digest = sha("manifest of " + ref)
            self.registry.tags[ref] = digest
            out = f"{ref.rsplit(':', 1)[1]}: digest: {digest} size: 1234\n"
            return proc.Completed(args, 0, out, "", 0.1)
        raise AssertionError(f"unexpected command {args}")


@dataclass
class FakePublish:
    """``publish`` with the real pure policy; no registry."""

    calls: list[list[JobResult]] = field(default_factory=list)

    def __call__(self, plan: Plan, results: list[JobResult], **kw: Any) -> list[policy.TagOutcome]:
        self.calls.append(results)
        decisions = policy.decide(
            plan, results, require=kw.get("require", ()), keep_going=kw.get("keep_going", False)
        )
        return [
            policy.TagOutcome(
                d.tag,
                d.publish,
                sha(d.tag) if d.publish else None,
                d.entries,
                tuple(m.job_id for m in d.missing),
                d.reason,
                d.required,
            )
            for d in decisions
        ]


def make_connections(
    docker: FakeDocker, publish: FakePublish, *, source_mirror: str | None = None
) -> Connections:
    return Connections(
        runner=docker,
        registry=docker.registry,
        publish=publish,
        report=lambda *a: [],
        view=progress.EventView,
        on_interrupt=lambda: None,
        sleep=lambda s: None,
        source_mirror=lambda: source_mirror,
    )


def options(root: Path, **kw: Any) -> BuildOptions:
    base: dict[str, Any] = {
        "version": "3.13.5",
        "root": root,
        "arches": ("amd64", "i386"),
        "download_base": "http://127.0.0.1:8088/ftp/python",
        "policy": retrying.NO_WAIT,
    }
    return BuildOptions(**{**base, **kw})


def job(arch: str, variant: str = "bookworm", *, heavy: bool = False, how: str = "auto") -> Job:
    """A job of the 3.13 line; ``heavy`` makes it a PGO one. Its strategy is settled as on the
    default builder without cross templates (``how`` asks for one: see ``strategy.resolve``)."""
    asked = Job(
        id=f"3.13.5-{variant}-{arch}",
        version="3.13.5",
        line="3.13",
        variant=variant,
        arch=arch,
        platform=ARCHES[arch].platform,
        family="debian",
        parent="buildpack-deps:bookworm",
        dockerfile=PurePosixPath("d/Dockerfile"),
        context=PurePosixPath("d"),
        build_args=(),
        tags=(),
        shared_tags=(),
        builder=None,
        pgo=heavy,
        profile_task=None,
        strategy=how,
    )
    return replace(
        asked, strategy=strategy.resolve(asked, routed=False, has_cross_template=how == "cross")
    )


def planned(
    arch: str,
    variant: str = "bookworm",
    *,
    pgo: bool = False,
    profile: str | None = None,
    how: str = "auto",
) -> JobPlan:
    """That job with its commands decided, as ``prepare`` hands it to the scheduler."""
    args = (("PYTHON_BUILD_PROFILE", profile),) if profile else ()
    return planjob.plan_job(
        job(arch, variant, heavy=pgo, how=how),
        route=DEFAULT_ROUTE,
        key="0" * 64,
        args=args,
        options=BuildOptions(version="3.13.5", root=Path("/repo")),
    )
