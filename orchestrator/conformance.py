"""The conformance check of a cross-built image: its interpreter is the one a native build gives.

A ``cross`` job compiles CPython on the build platform for another architecture; the smoke test
shows the result runs, this check shows it is right, before the image is pushed:

1. the job's installed test suite (the cross Dockerfile's ``python-tests`` stage) is exported to
   a directory by an argv the caller gives (``docker buildx build --target python-tests --output
   type=local,dest=DIR``);
2. ``PROBE`` runs in the native image of the same variant on the build platform and in the
   cross-built image under emulation, and prints what each interpreter says of itself;
3. the cross image's facts must be what a native build on its architecture reports
   (``expected_problems``: ``platforms.Arch`` says what that is) and the same extension modules
   must import in both images (``extension_problems``);
4. regrtest runs a few tests (``DEFAULT_TESTS``, or matrix.yml's ``conformance_tests``) in the
   cross image, with the exported suite mounted where the image's own was removed.

Step 4 is skipped when step 3 found problems (its verdict would add nothing to a wrong
interpreter but up to half an hour of emulation). All output goes to the job's log, every problem
in full; ``CheckFailed("conformance: …")`` names the first ones.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from orchestrator import buildx, proc
from orchestrator.buildx import Route, docker
from orchestrator.errors import CheckFailed, CommandFailed, printable
from orchestrator.matrix.model import DEFAULT_CONFORMANCE_TESTS
from orchestrator.platforms import Arch, Platform, get_arch
from orchestrator.regrtest import (
    compared_problems,
    failed_modules,
    last_line,
    regrtest_problems,
)

log = structlog.get_logger(__name__)

# The tests run when matrix.yml names none; kept by the matrix model, whose default they are.
DEFAULT_TESTS = DEFAULT_CONFORMANCE_TESTS

# Runs as ``python3 -c PROBE`` in an image (CPython 3.8 and later, standard library only) and
# prints one JSON object: what the interpreter says it is, and which of its extension modules
# (lib-dynload) import. An import error is kept as one line of at most 200 characters.
PROBE = """\
import importlib, importlib.machinery, json, os, platform, sys, sysconfig
extensions = {}
lib_dynload = os.path.join(sysconfig.get_path('platstdlib'), 'lib-dynload')
suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
for entry in sorted(os.listdir(lib_dynload) if os.path.isdir(lib_dynload) else []):
    if entry.endswith(suffixes):
        name = entry.split('.', 1)[0]
        try:
            importlib.import_module(name)
            extensions[name] = None
        except Exception as exc:
            error = '%s: %s' % (type(exc).__name__, exc)
            extensions[name] = ' '.join(error.split())[:200]
print(json.dumps({
    'version': platform.python_version(),
    'MULTIARCH': sysconfig.get_config_var('MULTIARCH'),
    'SOABI': sysconfig.get_config_var('SOABI'),
    'HOST_GNU_TYPE': sysconfig.get_config_var('HOST_GNU_TYPE'),
    'machine': platform.machine(),
    'maxsize': sys.maxsize,
    'byteorder': sys.byteorder,
    'stdlib': sysconfig.get_path('stdlib'),
    'extensions': extensions,
}, sort_keys=True))
"""


@dataclass(frozen=True)
class Facts:
    """What ``PROBE`` found in one image."""

    version: str  # platform.python_version()
    multiarch: str | None  # sysconfig MULTIARCH
    soabi: str | None  # sysconfig SOABI
    host_gnu_type: str | None  # sysconfig HOST_GNU_TYPE (configure's canonical --host)
    machine: str  # platform.machine()
    maxsize: int  # sys.maxsize
    byteorder: str  # sys.byteorder
    stdlib: str  # sysconfig's stdlib path: the test package is its ``test`` folder
    # every extension module of lib-dynload: None when it imports, else the one-line error
    extensions: dict[str, str | None] = field(hash=False)

    @property
    def importable(self) -> frozenset[str]:
        return frozenset(name for name, error in self.extensions.items() if error is None)


# The probe's keys, each with the types its value may have.
_PROBE_KEYS: tuple[tuple[str, tuple[type, ...]], ...] = (
    ("version", (str,)),
    ("MULTIARCH", (str, type(None))),
    ("SOABI", (str, type(None))),
    ("HOST_GNU_TYPE", (str, type(None))),
    ("machine", (str,)),
    ("maxsize", (int,)),
    ("byteorder", (str,)),
    ("stdlib", (str,)),
    ("extensions", (dict,)),
)


def parse_probe(output: str) -> Facts:
    """The facts in the probe's output: its last line that is a JSON object. CheckFailed with
    a one-line reason when there is none or it is not what ``PROBE`` prints."""
    doc = _last_json_object(output)
    if doc is None:
        raise CheckFailed(f"the probe printed no JSON object (last line: {last_line(output)})")
    for key, types in _PROBE_KEYS:
        if key not in doc:
            raise CheckFailed(f"the probe's output has no {key!r}")
        if isinstance(doc[key], bool) or not isinstance(doc[key], types):
            got = printable(json.dumps(doc[key])[:60])
            raise CheckFailed(f"the probe's {key!r} is {got}, not a {types[0].__name__}")
    extensions = doc["extensions"]
    for name, error in extensions.items():
        if not isinstance(error, str | None):
            got = printable(json.dumps(error)[:60])
            raise CheckFailed(f"the probe's extension {printable(name)} has {got}, not a string")
    return Facts(
        version=doc["version"],
        multiarch=doc["MULTIARCH"],
        soabi=doc["SOABI"],
        host_gnu_type=doc["HOST_GNU_TYPE"],
        machine=doc["machine"],
        maxsize=doc["maxsize"],
        byteorder=doc["byteorder"],
        stdlib=doc["stdlib"],
        extensions=dict(extensions),
    )


def _last_json_object(output: str) -> dict[str, Any] | None:
    for line in reversed(output.splitlines()):
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict):
            return doc
    return None


# --------------------------------------------------------------------------- verdicts


def _differs(fact: str, got: object, want: object) -> str:
    return f"{fact} is {printable(repr(got))}, should be {printable(repr(want))}"


def expected_problems(facts: Facts, arch: Arch, version: str) -> list[str]:
    """Each fact of an image for ``arch`` that is not what a native build there reports."""
    if arch.multiarch is None:
        return [f"{arch.name}: no native Debian build to compare with (no multiarch known)"]
    problems: list[str] = []
    if facts.multiarch != arch.multiarch:
        problems.append(_differs("MULTIARCH", facts.multiarch, arch.multiarch))
    major, minor = version.split(".")[:2]
    soabi = f"cpython-{major}{minor}-{arch.multiarch}"
    if facts.soabi != soabi:
        problems.append(_differs("SOABI", facts.soabi, soabi))
    system = arch.multiarch.split("-", 1)[1]  # linux-gnueabihf
    parts = (facts.host_gnu_type or "").split("-", 2)
    if len(parts) != 3 or parts[0] not in arch.gnu_cpus or parts[2] != system:
        cpus = "|".join(arch.gnu_cpus)
        cpus = f"({cpus})" if len(arch.gnu_cpus) > 1 else cpus
        got = printable(repr(facts.host_gnu_type))
        problems.append(f"HOST_GNU_TYPE is {got}, should be {cpus}-VENDOR-{system}")
    if facts.machine != arch.uname:
        problems.append(_differs("machine", facts.machine, arch.uname))
    maxsize = 2**63 - 1 if arch.elf_class == 2 else 2**31 - 1
    if facts.maxsize != maxsize:
        problems.append(_differs("maxsize", facts.maxsize, maxsize))
    byteorder = "big" if arch.big_endian else "little"
    if facts.byteorder != byteorder:
        problems.append(_differs("byteorder", facts.byteorder, byteorder))
    if facts.version != version:
        problems.append(_differs("version", facts.version, version))
    return problems


def extension_problems(facts: Facts, native: Facts) -> list[str]:
    """The extension modules that import in one image but not in the other, by name."""
    problems: list[str] = []
    for name in sorted(native.importable - facts.importable):
        error = facts.extensions.get(name)
        why = f"fails here: {printable(error)}" if error else "is missing here"
        problems.append(f"extension {name} imports in the native image but {why}")
    for name in sorted(facts.importable - native.importable):
        error = native.extensions.get(name)
        why = f"fails there: {printable(error)}" if error else "is missing there"
        problems.append(f"extension {name} imports here but not in the native image ({why})")
    return problems


# --------------------------------------------------------------------------- commands


def probe_argv(route: Route, image: str, platform: Platform) -> tuple[str, ...]:
    """``docker run`` of ``PROBE`` in ``image`` on ``platform`` (no network: it needs none)."""
    return (
        *docker(route), "run", "--rm", "--init", "--network", "none",
        "--platform", platform.oci, image, "python3", "-c", PROBE,
    )  # fmt: skip


@dataclass(frozen=True)
class Conformance:
    """Everything the conformance check of one cross-built image needs."""

    route: Route  # where the image was built and runs
    image: str  # the cross-built image, in the engine's store
    platform: Platform  # its platform (run under emulation)
    arch: str  # its architecture's bashbrew name (``platforms.ARCHES``)
    version: str  # the CPython version it must be
    native_image: str  # the native image of the same variant for the build platform
    native_platform: Platform  # the build platform (not emulated)
    tests_dir: Path  # where export_argv puts the installed Lib/test of the cross build
    export_argv: tuple[str, ...]  # buildx build --target python-tests --output type=local,dest=…
    # buildx build --target build-python --tag native_image --load: the native image into the
    # engine (the cross Dockerfile's build-python stage, from the build cache)
    native_argv: tuple[str, ...]
    tests: tuple[str, ...] = DEFAULT_TESTS
    jobs: int = 2  # regrtest -j: worker processes, each an emulated interpreter

    @property
    def major_minor(self) -> str:
        return ".".join(self.version.split(".")[:2])


def regrtest_argv(
    c: Conformance,
    *,
    stdlib: str,
    test_timeout: float,
    native: bool = False,
    tests: tuple[str, ...] = (),
) -> tuple[str, ...]:
    """``docker run`` of regrtest in the image (``native``: in the native image, on its own
    platform), the exported suite mounted read-only where the image's own ``test`` package was
    removed (``<stdlib>/test``, ``stdlib`` as the image's probe says), working in the
    container's ``/tmp`` (regrtest makes its work directory in the current one);
    ``test_timeout`` is regrtest's per-test limit; ``-w`` re-runs a failed test verbosely, so
    its failed cases are named (``failed_cases``); ``tests`` (default: the check's) runs those."""
    target = f"{stdlib.rstrip('/')}/test"
    mount = f"type=bind,source={c.tests_dir.absolute()},target={target},readonly"
    image, platform = (c.native_image, c.native_platform) if native else (c.image, c.platform)
    return (
        *docker(c.route), "run", "--rm", "--init", "--network", "none",
        "--platform", platform.oci, "--mount", mount, "--workdir", "/tmp", image,  # noqa: S108
        "python3", "-m", "test", f"-j{c.jobs}", "-w", "--timeout", f"{test_timeout:g}",
        *(tests or c.tests),
    )  # fmt: skip


# --------------------------------------------------------------------------- the run


def run_conformance(
    c: Conformance,
    *,
    log_file: Path,
    runner: proc.CommandRunner = proc.run_command,
    probe_timeout: float = 300,
    tests_timeout: float = 1800,
) -> None:
    """Export the suite, probe both images, check the facts, run regrtest (output appended to
    ``log_file``). CheckFailed("conformance: …") naming the first problems; CommandFailed
    when the export (a buildx build, which the caller may retry) fails."""
    shutil.rmtree(c.tests_dir, ignore_errors=True)  # no file of an earlier export stays
    buildx.build(c.export_argv, log_file=log_file, runner=runner)
    buildx.build(c.native_argv, log_file=log_file, runner=runner)
    native_argv = probe_argv(c.route, c.native_image, c.native_platform)
    native = _probe("the native image", native_argv, log_file, runner, probe_timeout)
    facts = _probe(
        "the image", probe_argv(c.route, c.image, c.platform), log_file, runner, probe_timeout
    )
    problems = expected_problems(facts, get_arch(c.arch), c.version)
    problems += extension_problems(facts, native)
    if not problems:
        # Half the run's limit per test: a hung test is named by regrtest before docker's end.
        argv = regrtest_argv(c, stdlib=facts.stdlib, test_timeout=tests_timeout // 2)
        try:
            done = runner(argv, log_file=log_file, timeout=tests_timeout, check=False)
            output = done.stdout + done.stderr
            problems = regrtest_problems(output, done.returncode)
            if problems:  # the failed tests in the native image: do they fail there too?
                argv = regrtest_argv(
                    c,
                    stdlib=native.stdlib,
                    test_timeout=tests_timeout // 2,
                    native=True,
                    tests=tuple(sorted(failed_modules(output))),
                )
                ran = runner(argv, log_file=log_file, timeout=tests_timeout, check=False)
                problems, both = compared_problems(output, done.returncode, ran.stdout + ran.stderr)
                if both:
                    _note(log_file, [f"fails in the native image too: {' '.join(sorted(both))}"])
        except CommandFailed as exc:  # timed out (or no docker at all)
            problems = [f"regrtest: {last_line(exc.output)}"]
    else:
        _note(log_file, ["regrtest not run: the interpreter's facts are wrong"])
    if problems:
        _note(log_file, [f"problem: {p}" for p in problems])
        raise CheckFailed(f"conformance: {summarize(problems)}")
    _note(log_file, [f"passed ({len(c.tests)} tests: {' '.join(c.tests)})"])
    log.debug("conformance.passed", image=c.image, tests=len(c.tests))


def summarize(problems: Sequence[str], shown: int = 3) -> str:
    """The first ``shown`` problems joined by "; ", and how many more there are."""
    more = f" (+{len(problems) - shown} more)" if len(problems) > shown else ""
    return "; ".join(problems[:shown]) + more


def _probe(
    what: str, argv: Sequence[str], log_file: Path, runner: proc.CommandRunner, timeout: float
) -> Facts:
    """The facts of one image; CheckFailed when the probe fails or prints nonsense."""
    try:
        done = runner(argv, log_file=log_file, timeout=timeout)
        return parse_probe(done.stdout + done.stderr)
    except CommandFailed as exc:
        reason = f"exit code {exc.returncode}: {last_line(exc.output)}"
    except CheckFailed as exc:
        reason = str(exc)
    _note(log_file, [f"problem: probe of {what}: {reason}"])
    raise CheckFailed(f"conformance: probe of {what}: {reason}")


def _note(log_file: Path, lines: Sequence[str]) -> None:
    """Append the check's own lines to the job's log."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("a", encoding="utf-8") as sink:
        sink.writelines(f"conformance: {line}\n" for line in lines)
