"""The tag algebra (orchestrator.tags): the seed report's tags and manifest lists over the real
matrix.yml, through plan.expand, and the collision rules on small hand-made lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator import matrix, plan, tags
from orchestrator.matrix import Defaults, Line, Variant
from tests.unit.planning import LINUX7, WINDOWS, tags_of

REPO = Path(__file__).resolve().parents[2]


def test_38rc_tags(m: matrix.Matrix) -> None:
    p = plan.expand(m, "3.8.0b3")
    assert tags_of(p, "buster") == (
        ("3.8.0b3-buster", "3.8-rc-buster", "rc-buster"),
        ("3.8.0b3", "3.8-rc", "rc"),
    )
    assert tags_of(p, "slim-buster") == (
        (
            "3.8.0b3-slim-buster",
            "3.8-rc-slim-buster",
            "rc-slim-buster",
            "3.8.0b3-slim",
            "3.8-rc-slim",
            "rc-slim",
        ),
        (),
    )
    assert tags_of(p, "alpine3.10") == (
        (
            "3.8.0b3-alpine3.10",
            "3.8-rc-alpine3.10",
            "rc-alpine3.10",
            "3.8.0b3-alpine",
            "3.8-rc-alpine",
            "rc-alpine",
        ),
        (),
    )
    for w in WINDOWS:
        assert tags_of(p, w) == (
            (f"3.8.0b3-{w}", f"3.8-rc-{w}", f"rc-{w}"),
            (
                "3.8.0b3-windowsservercore",
                "3.8-rc-windowsservercore",
                "rc-windowsservercore",
                "3.8.0b3",
                "3.8-rc",
                "rc",
            ),
        )


def test_prerelease_never_gets_final_tags(m: matrix.Matrix) -> None:
    tags = plan.expand(m, "3.8.0b3").tag_map()
    for forbidden in ("3.8", "3", "latest", "3.8-buster", "3-buster", "buster", "slim", "alpine"):
        assert forbidden not in tags


def test_38rc_manifest_list_is_seven_linux_then_three_windows(m: matrix.Matrix) -> None:
    p = plan.expand(m, "3.8.0b3")
    ids = p.tag_map()["3.8-rc"]
    assert ids == tuple(
        [f"3.8.0b3-buster-{a}" for a in LINUX7] + [f"3.8.0b3-{w}-windows-amd64" for w in WINDOWS]
    )
    assert p.tag_map()["rc-windowsservercore"] == ids[7:]
    assert [p.job(i).platform.os_version for i in ids[7:]] == [
        "10.0.14393.3085",
        "10.0.17134.885",
        "10.0.17763.615",
    ]


def test_37_tags(m: matrix.Matrix) -> None:
    p = plan.expand(m, "3.7.4")
    assert tags_of(p, "buster") == (
        ("3.7.4-buster", "3.7-buster", "3-buster", "buster"),
        ("3.7.4", "3.7", "3", "latest"),
    )
    assert tags_of(p, "slim-buster")[0] == (
        "3.7.4-slim-buster",
        "3.7-slim-buster",
        "3-slim-buster",
        "slim-buster",
        "3.7.4-slim",
        "3.7-slim",
        "3-slim",
        "slim",
    )
    assert tags_of(p, "alpine3.10")[0][-4:] == ("3.7.4-alpine", "3.7-alpine", "3-alpine", "alpine")
    assert tags_of(p, "stretch") == (("3.7.4-stretch", "3.7-stretch", "3-stretch", "stretch"), ())
    assert tags_of(p, "slim-stretch") == (
        ("3.7.4-slim-stretch", "3.7-slim-stretch", "3-slim-stretch", "slim-stretch"),
        (),
    )
    assert tags_of(p, "alpine3.9") == (
        ("3.7.4-alpine3.9", "3.7-alpine3.9", "3-alpine3.9", "alpine3.9"),
        (),
    )
    assert tags_of(p, "windowsservercore-1809")[1] == (
        "3.7.4-windowsservercore",
        "3.7-windowsservercore",
        "3-windowsservercore",
        "windowsservercore",
        "3.7.4",
        "3.7",
        "3",
        "latest",
    )
    assert len(p.tag_map()["latest"]) == 10


def test_36_has_no_windows_and_no_3_or_latest(m: matrix.Matrix) -> None:
    p = plan.expand(m, "3.6.9")
    assert {j.variant for j in p.jobs} == {
        "buster",
        "slim-buster",
        "stretch",
        "slim-stretch",
        "alpine3.10",
        "alpine3.9",
    }
    assert tags_of(p, "buster")[1] == ("3.6.9", "3.6")
    assert "latest" not in p.tag_map() and "3" not in p.tag_map()


# -- tag_problems on hand-made lines: the rules no matrix.yml fixture reaches


def _variant(name: str, family: str = "debian") -> Variant:
    return Variant(name, family, "modern", f"debian:{name}", ("amd64",), line=3)


def _line(variants: tuple[str, ...], defaults: Defaults) -> Line:
    return Line(
        name="3.13",
        version="3.13.5",
        aliases=(),
        variants=variants,
        defaults=defaults,
        gpg_key=None,
        sha256="0" * 64,
        pip=None,
        pgo=True,
        profile_tasks=(),
        build_args=(),
        line=21,
    )


def test_own_tags_of_two_variants_of_one_line_collide() -> None:
    # The default slim variant's -slim tags are its own: a variant named "slim" meets them.
    variants = {"slim-bookworm": _variant("slim-bookworm", "debian-slim"), "slim": _variant("slim")}
    line = _line(("slim-bookworm", "slim"), Defaults(slim="slim-bookworm"))
    assert tags.tag_problems([line], variants) == [
        (
            21,
            "lines.3.13",
            "tag '3.13.5-slim' of variant 'slim' collides with variant 'slim-bookworm' "
            "of line '3.13'",
        ),
        (
            21,
            "lines.3.13",
            "tag '3.13-slim' of variant 'slim' collides with variant 'slim-bookworm' "
            "of line '3.13'",
        ),
    ]


def test_a_tag_longer_than_128_characters_is_not_a_docker_tag() -> None:
    name = "v" * 124  # 3.13-<name> is 129 characters, 3.13.5-<name> 131
    line = _line((name,), Defaults())
    assert tags.tag_problems([line], {name: _variant(name)}) == [
        (21, "lines.3.13", f"tag '3.13.5-{name}' is not a valid Docker tag"),
        (21, "lines.3.13", f"tag '3.13-{name}' is not a valid Docker tag"),
    ]


def test_a_tag_ending_in_a_newline_is_not_a_docker_tag() -> None:
    # A Line made by hand skips the matrix check, which refuses such a name on its own.
    name = "bookworm\n"
    line = _line((name,), Defaults())
    assert tags.tag_problems([line], {name: _variant(name)}) == [
        (21, "lines.3.13", "tag '3.13.5-bookworm\\n' is not a valid Docker tag"),
        (21, "lines.3.13", "tag '3.13-bookworm\\n' is not a valid Docker tag"),
    ]


@pytest.mark.real_processes
def test_tags_imports_first_without_an_import_cycle() -> None:
    # The checker imports orchestrator.tags; tags must not need orchestrator.matrix at runtime.
    code = (
        "import orchestrator.tags, orchestrator.matrix; print(orchestrator.tags.suffixed('3', 'x'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "3-x\n", "")
