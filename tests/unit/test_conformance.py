"""The conformance check of a cross-built image: the probe, the verdicts, regrtest's summary and
the run, over outputs shaped like the real ones (regrtest's recorded from CPython 3.13.0 and
3.8.18 runs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from orchestrator import conformance, proc
from orchestrator.buildx import DEFAULT_ROUTE, Route
from orchestrator.conformance import Facts
from orchestrator.errors import CheckFailed, CommandFailed
from orchestrator.platforms import ARCHES
from tests.unit.regrtest_outputs import REGRTEST_FAILURE, REGRTEST_SUCCESS

# What a native CPython 3.13.5 build reports on each architecture (configure's canonical
# host type: config.sub's vendor field is pc, unknown or ibm).
NATIVE = {
    "amd64": ("x86_64-linux-gnu", "x86_64-pc-linux-gnu", "x86_64", 2**63 - 1, "little"),
    "i386": ("i386-linux-gnu", "i686-pc-linux-gnu", "x86_64", 2**31 - 1, "little"),
    "arm64v8": ("aarch64-linux-gnu", "aarch64-unknown-linux-gnu", "aarch64", 2**63 - 1, "little"),
    "arm32v7": (
        "arm-linux-gnueabihf", "arm-unknown-linux-gnueabihf", "armv7l", 2**31 - 1, "little",
    ),
    "arm32v5": ("arm-linux-gnueabi", "arm-unknown-linux-gnueabi", "armv7l", 2**31 - 1, "little"),
    "ppc64le": (
        "powerpc64le-linux-gnu", "powerpc64le-unknown-linux-gnu", "ppc64le", 2**63 - 1, "little",
    ),
    "s390x": ("s390x-linux-gnu", "s390x-ibm-linux-gnu", "s390x", 2**63 - 1, "big"),
}  # fmt: skip

EXTENSIONS: dict[str, str | None] = {
    "_bz2": None,
    "_ctypes": None,
    "_lzma": None,
    "_ssl": None,
    "_tkinter": "ImportError: libtk8.6.so: cannot open shared object file: No such file or "
    "directory",
}


def probe_doc(arch: str, version: str = "3.13.5", **changed: Any) -> dict[str, Any]:
    """The JSON object PROBE prints in a correct image of ``arch``; ``changed`` overrides."""
    multiarch, host, machine, maxsize, byteorder = NATIVE[arch]
    doc = {
        "version": version,
        "MULTIARCH": multiarch,
        "SOABI": f"cpython-{''.join(version.split('.')[:2])}-{multiarch}",
        "HOST_GNU_TYPE": host,
        "machine": machine,
        "maxsize": maxsize,
        "byteorder": byteorder,
        "stdlib": f"/usr/local/lib/python{'.'.join(version.split('.')[:2])}",
        "extensions": dict(EXTENSIONS),
    }
    return doc | changed


def probe_output(arch: str, **changed: Any) -> str:
    return json.dumps(probe_doc(arch, **changed), sort_keys=True) + "\n"


def facts(arch: str, **changed: Any) -> Facts:
    return conformance.parse_probe(probe_output(arch, **changed))


# --------------------------------------------------------------------------- the probe


def test_parse_probe_reads_the_last_json_object() -> None:
    output = (
        "WARNING: The requested image's platform (linux/arm/v7) does not match\n"
        '{"not": "this one"}\n'
        + probe_output("arm32v7")
        + "[1, 2]\n"  # JSON, but not an object
        + "sys:1: ResourceWarning: unclosed file\n"
    )
    got = conformance.parse_probe(output)
    assert got == Facts(
        version="3.13.5",
        multiarch="arm-linux-gnueabihf",
        soabi="cpython-313-arm-linux-gnueabihf",
        host_gnu_type="arm-unknown-linux-gnueabihf",
        machine="armv7l",
        maxsize=2**31 - 1,
        byteorder="little",
        stdlib="/usr/local/lib/python3.13",
        extensions=EXTENSIONS,
    )
    assert got.importable == {"_bz2", "_ctypes", "_lzma", "_ssl"}


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("", "the probe printed no JSON object (last line: (no output))"),
        (
            "Traceback (most recent call last):\nSyntaxError: invalid syntax\n",
            "the probe printed no JSON object (last line: SyntaxError: invalid syntax)",
        ),
        ('{"version": "3.13.5", \n', "the probe printed no JSON object"),
        ('[{"version": "3.13.5"}]\n"text"\n42\n', "the probe printed no JSON object"),
        ("{}\n", "the probe's output has no 'version'"),
        (
            json.dumps({k: v for k, v in probe_doc("s390x").items() if k != "SOABI"}),
            "the probe's output has no 'SOABI'",
        ),
        (
            json.dumps(probe_doc("s390x", maxsize="9223372036854775807")),
            "the probe's 'maxsize' is \"9223372036854775807\", not a int",
        ),
        (json.dumps(probe_doc("s390x", maxsize=True)), "the probe's 'maxsize' is true, not a int"),
        (
            json.dumps(probe_doc("s390x", extensions=["_ssl"])),
            "the probe's 'extensions' is [\"_ssl\"], not a dict",
        ),
        (
            json.dumps(probe_doc("s390x", extensions={"_ssl": 1})),
            "the probe's extension _ssl has 1, not a string",
        ),
    ],
)
def test_malformed_probe_output_is_a_one_line_check_failure(output: str, reason: str) -> None:
    with pytest.raises(CheckFailed) as info:
        conformance.parse_probe(output)
    assert str(info.value).startswith(reason)
    assert "\n" not in str(info.value)


@pytest.mark.real_processes
def test_the_probe_runs_in_this_python() -> None:
    done = subprocess.run(
        [sys.executable, "-c", conformance.PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    got = conformance.parse_probe(done.stdout)
    assert got.version.startswith(f"{sys.version_info[0]}.{sys.version_info[1]}.")
    assert got.maxsize == sys.maxsize and got.byteorder == sys.byteorder
    assert isinstance(got.machine, str) and got.machine
    for value in (got.multiarch, got.soabi, got.host_gnu_type):
        assert value is None or isinstance(value, str)
    assert isinstance(got.extensions, dict)
    assert all(isinstance(e, str | None) for e in got.extensions.values())
    assert all(e is None or ("\n" not in e and len(e) <= 200) for e in got.extensions.values())


# --------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize("arch", sorted(NATIVE))
def test_a_native_looking_interpreter_has_no_problems(arch: str) -> None:
    assert conformance.expected_problems(facts(arch), ARCHES[arch], "3.13.5") == []


def test_arm32v5_under_qemu_says_armv7l_and_is_fine() -> None:
    got = facts("arm32v5")
    assert got.machine == "armv7l"
    assert conformance.expected_problems(got, ARCHES["arm32v5"], "3.13.5") == []


def test_an_armel_interpreter_in_an_arm32v7_image_is_caught() -> None:
    # A cross build that was given the wrong --host: the armel triplet in the armhf image.
    armel = facts("arm32v5")
    assert conformance.expected_problems(armel, ARCHES["arm32v7"], "3.13.5") == [
        "MULTIARCH is 'arm-linux-gnueabi', should be 'arm-linux-gnueabihf'",
        "SOABI is 'cpython-313-arm-linux-gnueabi', should be 'cpython-313-arm-linux-gnueabihf'",
        "HOST_GNU_TYPE is 'arm-unknown-linux-gnueabi', should be "
        "(arm|armv5tel|armv6l|armv7l|armv8l)-VENDOR-linux-gnueabihf",
    ]


def test_s390x_must_be_big_endian_and_64_bit() -> None:
    wrong = facts("s390x", byteorder="little", maxsize=2**31 - 1)
    assert conformance.expected_problems(wrong, ARCHES["s390x"], "3.13.5") == [
        "maxsize is 2147483647, should be 9223372036854775807",
        "byteorder is 'little', should be 'big'",
    ]


def test_an_amd64_interpreter_in_an_arm64_image_fails_every_fact() -> None:
    # What a build that forgot to cross-compile would ship (and qemu would never be asked).
    problems = conformance.expected_problems(facts("amd64"), ARCHES["arm64v8"], "3.13.5")
    assert [p.split(" ", 1)[0] for p in problems] == [
        "MULTIARCH",
        "SOABI",
        "HOST_GNU_TYPE",
        "machine",
    ]
    assert problems[3] == "machine is 'x86_64', should be 'aarch64'"


def test_i386_accepts_every_32_bit_x86_cpu_name() -> None:
    for cpu in ("i386", "i486", "i586", "i686"):
        got = facts("i386", HOST_GNU_TYPE=f"{cpu}-pc-linux-gnu")
        assert conformance.expected_problems(got, ARCHES["i386"], "3.13.5") == []
    wrong = facts("i386", HOST_GNU_TYPE="x86_64-pc-linux-gnu")
    assert conformance.expected_problems(wrong, ARCHES["i386"], "3.13.5") == [
        "HOST_GNU_TYPE is 'x86_64-pc-linux-gnu', should be (i386|i486|i586|i686)-VENDOR-linux-gnu"
    ]


@pytest.mark.parametrize(
    ("changed", "problem"),
    [
        ({"version": "3.13.4"}, "version is '3.13.4', should be '3.13.5'"),
        ({"SOABI": "cpython-313t-aarch64-linux-gnu"}, "SOABI is 'cpython-313t-aarch64-linux-"),
        ({"SOABI": None}, "SOABI is None, should be 'cpython-313-aarch64-linux-gnu'"),
        ({"HOST_GNU_TYPE": "aarch64"}, "HOST_GNU_TYPE is 'aarch64', should be aarch64-VENDOR-"),
        ({"HOST_GNU_TYPE": None}, "HOST_GNU_TYPE is None, should be aarch64-VENDOR-linux-gnu"),
        ({"machine": "aarch64\n"}, "machine is 'aarch64\\n', should be 'aarch64'"),
    ],
)
def test_each_wrong_fact_is_one_line_naming_it(changed: dict[str, Any], problem: str) -> None:
    (got,) = conformance.expected_problems(facts("arm64v8", **changed), ARCHES["arm64v8"], "3.13.5")
    assert got.startswith(problem)
    assert "\n" not in got


def test_an_arch_without_a_native_debian_build_cannot_be_compared() -> None:
    assert conformance.expected_problems(facts("arm32v7"), ARCHES["arm32v6"], "3.13.5") == [
        "arm32v6: no native Debian build to compare with (no multiarch known)"
    ]


def test_extension_problems_both_ways() -> None:
    native = facts("amd64", extensions={"_ssl": None, "_ctypes": None, "_curses": None, "_x": "E"})
    cross = facts(
        "arm64v8",
        extensions={
            "_ssl": "ImportError: libssl.so.3: cannot open shared object file",
            "_ctypes": None,
            "_x": None,  # imports here, fails natively
            "_gdbm": None,  # imports here, not in the native image at all
        },
    )
    assert conformance.extension_problems(cross, native) == [
        "extension _curses imports in the native image but is missing here",
        "extension _ssl imports in the native image but fails here: "
        "ImportError: libssl.so.3: cannot open shared object file",
        "extension _gdbm imports here but not in the native image (is missing there)",
        "extension _x imports here but not in the native image (fails there: E)",
    ]
    assert conformance.extension_problems(native, native) == []
    # A module that imports in neither image is the same in both: no problem.
    assert conformance.extension_problems(facts("arm64v8"), facts("amd64")) == []


# --------------------------------------------------------------------------- commands


def check(route: Route = DEFAULT_ROUTE, **changed: Any) -> conformance.Conformance:
    fields: dict[str, Any] = {
        "route": route,
        "image": "localhost:5000/python:build-0123456789ab-arm32v7",
        "platform": ARCHES["arm32v7"].platform,
        "arch": "arm32v7",
        "version": "3.13.5",
        "native_image": "localhost:5000/python:build-fedcba987654-amd64",
        "native_platform": ARCHES["amd64"].platform,
        "tests_dir": Path("/work/logs/3.13.5-slim-bookworm-arm32v7.tests"),
        "export_argv": ("docker", "buildx", "build", "--target", "python-tests", "."),
        "native_argv": ("docker", "buildx", "build", "--target", "build-python", "."),
    }
    return conformance.Conformance(**(fields | changed))


def test_probe_runs_the_image_on_its_platform_without_network() -> None:
    assert conformance.probe_argv(
        Route(context="farm"), "img", ARCHES["s390x"].platform
    ) == (
        "docker", "--context", "farm", "run", "--rm", "--init", "--network", "none",
        "--platform", "linux/s390x", "img", "python3", "-c", conformance.PROBE,
    )  # fmt: skip


def test_regrtest_runs_the_default_tests_with_the_exported_suite_mounted() -> None:
    c = check()
    assert c.tests == conformance.DEFAULT_TESTS and len(c.tests) == 11
    assert conformance.regrtest_argv(c, stdlib="/usr/local/lib/python3.13", test_timeout=900) == (
        "docker", "run", "--rm", "--init", "--network", "none", "--platform", "linux/arm/v7",
        "--mount",
        "type=bind,source=/work/logs/3.13.5-slim-bookworm-arm32v7.tests,"
        "target=/usr/local/lib/python3.13/test,readonly",
        "--workdir", "/tmp", "localhost:5000/python:build-0123456789ab-arm32v7",
        "python3", "-m", "test", "-j2", "-w", "--timeout", "900",
        "test_ssl", "test_decimal", "test_math", "test_ctypes", "test_hashlib", "test_bz2",
        "test_sqlite3", "test_struct", "test_lzma", "test_zlib", "test_sysconfig",
    )  # fmt: skip
    other = check(Route(context="d2"), tests=("test_struct",), jobs=4, tests_dir=Path("rel"))
    argv = conformance.regrtest_argv(other, stdlib="/usr/lib/python3.11/", test_timeout=450.5)
    assert argv[:4] == ("docker", "--context", "d2", "run")
    assert ",target=/usr/lib/python3.11/test," in argv[argv.index("--mount") + 1]
    assert argv[-6:] == ("test", "-j4", "-w", "--timeout", "450.5", "test_struct")
    assert f"source={Path('rel').absolute()}," in argv[argv.index("--mount") + 1]


# --------------------------------------------------------------------------- the run

NATIVE_OUTPUT = probe_output("amd64")
CROSS_OUTPUT = probe_output("arm32v7")


def fake(
    native: str = NATIVE_OUTPUT,
    cross: str = CROSS_OUTPUT,
    regrtest: tuple[str, int] = (REGRTEST_SUCCESS, 0),
    fail: str | None = None,
    native_regrtest: tuple[str, int] | None = None,
) -> tuple[Any, list[tuple[tuple[str, ...], dict[str, Any]]]]:
    """A runner answering each command by what it runs, and the calls it saw."""
    calls: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    def run(argv: Any, **kw: Any) -> proc.Completed:
        args = tuple(argv)
        calls.append((args, kw))
        if fail and fail in args:
            raise CommandFailed(args, 1, "exec /usr/local/bin/python3: exec format error\n")
        if "buildx" in args:
            out, code = "#12 exporting to client directory\n", 0
        elif "-c" in args:
            out, code = (native if "linux/amd64" in args else cross), 0
        elif native_regrtest is not None and "linux/amd64" in args:
            out, code = native_regrtest
        else:
            out, code = regrtest
        if code and kw.get("check", True):
            raise CommandFailed(args, code, out)
        return proc.Completed(args, code, out, "", 0.1)

    return run, calls


def test_a_conforming_image_passes_every_step_in_order(tmp_path: Path) -> None:
    runner, calls = fake()
    c = check()
    log = tmp_path / "job.log"
    conformance.run_conformance(c, log_file=log, runner=runner)  # no CheckFailed
    assert [argv for argv, _ in calls] == [
        c.export_argv,
        c.native_argv,
        conformance.probe_argv(c.route, c.native_image, c.native_platform),
        conformance.probe_argv(c.route, c.image, c.platform),
        conformance.regrtest_argv(c, stdlib="/usr/local/lib/python3.13", test_timeout=900),
    ]
    assert all(kw["log_file"] == log for _, kw in calls)
    assert [kw.get("timeout") for _, kw in calls] == [None, None, 300, 300, 1800]
    assert calls[4][1]["check"] is False  # regrtest's exit code is read, not raised
    assert log.read_text().endswith(
        "conformance: passed (11 tests: test_ssl test_decimal "
        "test_math test_ctypes test_hashlib test_bz2 test_sqlite3 test_struct test_lzma "
        "test_zlib test_sysconfig)\n"
    )


def test_wrong_facts_fail_naming_the_first_problems_and_log_them_all(tmp_path: Path) -> None:
    # An armel interpreter (and its extensions) in the arm32v7 image, with _ssl broken.
    armel = probe_doc("arm32v5")
    armel["extensions"]["_ssl"] = "ImportError: libssl.so.3: cannot open shared object file"
    runner, calls = fake(cross=json.dumps(armel))
    log = tmp_path / "job.log"
    with pytest.raises(CheckFailed) as info:
        conformance.run_conformance(check(), log_file=log, runner=runner)
    message = str(info.value)
    assert message == (
        "conformance: MULTIARCH is 'arm-linux-gnueabi', should be 'arm-linux-gnueabihf'; "
        "SOABI is 'cpython-313-arm-linux-gnueabi', should be 'cpython-313-arm-linux-gnueabihf'; "
        "HOST_GNU_TYPE is 'arm-unknown-linux-gnueabi', should be "
        "(arm|armv5tel|armv6l|armv7l|armv8l)-VENDOR-linux-gnueabihf "
        "(+1 more)"
    )
    assert len(calls) == 4  # regrtest is not run on a wrong interpreter
    text = log.read_text()
    for problem in (
        "MULTIARCH is 'arm-linux-gnueabi'",
        "SOABI is 'cpython-313-arm-linux-gnueabi'",
        "HOST_GNU_TYPE is 'arm-unknown-linux-gnueabi'",
        "extension _ssl imports in the native image but fails here: ImportError: libssl.so.3",
    ):
        assert f"conformance: problem: {problem}" in text
    assert "conformance: regrtest not run" in text


def test_failed_tests_fail_the_check(tmp_path: Path) -> None:
    runner, calls = fake(regrtest=(REGRTEST_FAILURE, 2))
    log = tmp_path / "job.log"
    with pytest.raises(CheckFailed) as info:
        conformance.run_conformance(check(), log_file=log, runner=runner)
    assert str(info.value) == "conformance: regrtest: FAILURE; 2 tests failed: test_ssl test_zlib"
    assert len(calls) == 6  # the same tests then ran in the native image: they fail there too
    assert calls[5][0] == conformance.regrtest_argv(
        check(),
        stdlib="/usr/local/lib/python3.13",
        test_timeout=900,
        native=True,
        tests=("test_ssl", "test_zlib"),  # only the modules that failed
    )
    assert calls[5][0][-3:] == ("900", "test_ssl", "test_zlib")
    assert calls[5][0][calls[5][0].index("--platform") + 1] == "linux/amd64"
    assert "conformance: problem: regrtest: FAILURE; 2 tests failed: test_ssl test_zlib" in (
        log.read_text()
    )


# test_ctypes in a slim image (no compiler, no ld), re-run verbosely by -w: two find_library
# cases fail, natively as much as under emulation.
REGRTEST_CTYPES = """\
0:00:22 load avg: 3.39 [ 1/2/1] test_ctypes failed (2 failures)
0:00:30 load avg: 3.49 [ 2/2/1] test_struct passed

== Tests result: FAILURE ==

1 test failed:
    test_ctypes

Re-running 1 failed tests in verbose mode in subprocesses
FAIL: test_find_library_with_gcc (test.test_ctypes.test_find.FindLibraryLinux.test_find_library_with_gcc)
AssertionError: None == None
FAIL: test_find_library_with_ld (test.test_ctypes.test_find.FindLibraryLinux.test_find_library_with_ld)
AssertionError: None == None

== Tests result: FAILURE then FAILURE ==
"""  # noqa: E501


def test_cases_failing_natively_too_are_the_variants_not_the_cross_builds(tmp_path: Path) -> None:
    runner, calls = fake(regrtest=(REGRTEST_CTYPES, 2))
    log = tmp_path / "job.log"
    conformance.run_conformance(check(), log_file=log, runner=runner)  # no CheckFailed
    assert len(calls) == 6
    assert (
        "conformance: fails in the native image too: "
        "test.test_ctypes.test_find.FindLibraryLinux.test_find_library_with_gcc "
        "test.test_ctypes.test_find.FindLibraryLinux.test_find_library_with_ld\n"
    ) in log.read_text()
    assert log.read_text().rstrip().endswith("conformance: passed (11 tests: test_ssl "
        "test_decimal test_math test_ctypes test_hashlib test_bz2 test_sqlite3 test_struct "
        "test_lzma test_zlib test_sysconfig)")  # fmt: skip


def test_a_case_failing_only_under_the_cross_build_fails_the_check(tmp_path: Path) -> None:
    native = REGRTEST_CTYPES.replace(
        "FAIL: test_find_library_with_ld (test.test_ctypes.test_find.FindLibraryLinux."
        "test_find_library_with_ld)\n",
        "",
    )
    runner, _ = fake(regrtest=(REGRTEST_CTYPES, 2), native_regrtest=(native, 2))
    with pytest.raises(CheckFailed) as info:
        conformance.run_conformance(check(), log_file=tmp_path / "log", runner=runner)
    assert str(info.value) == (
        "conformance: regrtest: fails here, not natively: "
        "test.test_ctypes.test_find.FindLibraryLinux.test_find_library_with_ld"
    )
    # a module failing only here (no case named natively, and a passing native run)
    runner, _ = fake(regrtest=(REGRTEST_CTYPES, 2), native_regrtest=(REGRTEST_SUCCESS, 0))
    with pytest.raises(CheckFailed, match=r"fails here, not natively: test\.test_ctypes"):
        conformance.run_conformance(check(), log_file=tmp_path / "log2", runner=runner)


def test_a_regrtest_run_over_its_time_fails_the_check(tmp_path: Path) -> None:
    runner, _ = fake()

    def slow(argv: Any, **kw: Any) -> proc.Completed:
        if "test" in argv:
            raise CommandFailed(argv, -1, "0:25:00 [ 3/11] test_decimal\ntimed out after 1800 s")
        return runner(argv, **kw)  # type: ignore[no-any-return]

    with pytest.raises(CheckFailed, match=r"^conformance: regrtest: timed out after 1800 s$"):
        conformance.run_conformance(check(), log_file=tmp_path / "log", runner=slow)


def test_a_probe_that_cannot_run_fails_the_check(tmp_path: Path) -> None:
    runner, calls = fake(fail="localhost:5000/python:build-0123456789ab-arm32v7")
    log = tmp_path / "job.log"
    with pytest.raises(CheckFailed) as info:
        conformance.run_conformance(check(), log_file=log, runner=runner)
    assert str(info.value) == (
        "conformance: probe of the image: exit code 1: "
        "exec /usr/local/bin/python3: exec format error"
    )
    assert len(calls) == 4
    assert "conformance: problem: probe of the image: exit code 1" in log.read_text()


def test_a_probe_printing_nonsense_fails_the_check(tmp_path: Path) -> None:
    runner, _ = fake(native="Python 3.13.5\n")
    with pytest.raises(CheckFailed) as info:
        conformance.run_conformance(check(), log_file=tmp_path / "log", runner=runner)
    assert str(info.value) == (
        "conformance: probe of the native image: "
        "the probe printed no JSON object (last line: Python 3.13.5)"
    )


def test_a_failed_export_is_a_failed_command_not_a_finding(tmp_path: Path) -> None:
    runner, calls = fake(fail="buildx")
    with pytest.raises(CommandFailed):
        conformance.run_conformance(check(), log_file=tmp_path / "log", runner=runner)
    assert len(calls) == 1


def test_summarize_joins_three_and_counts_the_rest() -> None:
    assert conformance.summarize(["a"]) == "a"
    assert conformance.summarize(["a", "b", "c"]) == "a; b; c"
    assert conformance.summarize(["a", "b", "c", "d", "e"]) == "a; b; c (+2 more)"
