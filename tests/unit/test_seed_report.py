"""The rendered 3.8.0b3 Dockerfiles reproduce, instruction for instruction, the seed report.

For each of the 10 platform sections of ``tests/data/seed/python-3.8-rc.report.md`` (a copy of
the real 2019 repo-info report of python:3.8-rc), the instructions of
``orchestrate render 3.8.0b3 --dry-run --variant V --arch A`` must equal, byte for byte, the
last history lines of that section: from ``ENV PATH=…`` to ``CMD ["python3"]`` on Linux, from
``SHELL […]`` to ``CMD ["python"]`` on Windows.

The Dockerfile → history normaliser below does what the classic Docker builder (18.x, the one
that built the seed) does when it records ``created_by``, and nothing more:

- a line ending in ``\\`` continues on the next line: the backslash (and any blanks after it)
  and the newline are removed and the next line is appended *as is*, leading tabs included
  (``RUN set -ex \\`` + ``<TAB>\\`` + ``<TAB>&& wget`` → ``RUN set -ex <TAB><TAB>&& wget``);
- comment lines are dropped, also in the middle of a continued instruction; so are blank lines;
- the instruction word is separated from its arguments by the first run of blanks, and the
  whole instruction is stripped of surrounding blanks;
- ``ENV k v`` is recorded as ``ENV k=v``, after the builder's variable substitution
  (``ENV PATH /usr/local/bin:$PATH`` → ``ENV PATH=/usr/local/bin:/usr/local/sbin:…``, with
  ``$PATH`` taken from the parent image's environment: Debian's default PATH);
- ``SHELL ["powershell", "-Command", "…"]`` (JSON form) is recorded as Go's ``%v`` of the
  argument slice: ``SHELL [powershell -Command …]``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from orchestrator import matrix, plan
from orchestrator.cli import main

REPO = Path(__file__).resolve().parents[2]
SEED = Path(__file__).resolve().parents[1] / "data" / "seed" / "python-3.8-rc.report.md"

# The environment of the parent images the builder substitutes into ENV values
# (buildpack-deps:buster inherits debian:buster's ENV PATH).
PARENT_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}


def _logical_lines(dockerfile: str) -> list[str]:
    """Physical lines → instructions, joined the way the classic builder's parser joins them."""
    out: list[str] = []
    current: str | None = None
    for raw in dockerfile.split("\n"):
        stripped = raw.strip()
        if current is None:
            if not stripped or stripped.startswith("#"):
                continue
            text = raw.lstrip()
        else:
            if stripped.startswith("#"):
                continue  # a comment inside a continued instruction
            if not stripped:
                continue  # an empty continuation line
            text = raw
        m = re.search(r"\\[ \t]*$", text)
        if m:
            current = (current or "") + text[: m.start()]
            continue
        out.append(((current or "") + text).strip())
        current = None
    assert current is None, "the Dockerfile ends inside a continued instruction"
    return out


def _substitute(value: str, env: dict[str, str]) -> str:
    return re.sub(
        r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))",
        lambda m: env.get(m.group(1) or m.group(2), ""),
        value,
    )


def history_lines(dockerfile: str, env: dict[str, str]) -> list[str]:
    """The history (``created_by``) lines the classic builder records for this Dockerfile."""
    env = dict(env)
    out: list[str] = []
    for line in _logical_lines(dockerfile):
        parts = re.split(r"[ \t]+", line, maxsplit=1)
        word = parts[0].upper()
        rest = parts[1].strip() if len(parts) > 1 else ""
        if word == "ENV":
            if "=" in rest.split()[0]:
                pairs = [p.split("=", 1) for p in rest.split()]
            else:
                key, value = re.split(r"[ \t]+", rest, maxsplit=1)
                pairs = [[key, value]]
            for key, value in pairs:
                env[key] = _substitute(value, env)
                out.append(f"ENV {key}={env[key]}")
        elif word == "SHELL":
            out.append(f"SHELL [{' '.join(json.loads(rest))}]")
        else:
            out.append(f"{word} {rest}")
    return out


def seed_sections() -> dict[str, list[str]]:
    """Platform (``linux; arm variant v7``) → the history lines of that section, in order."""
    text = SEED.read_text(encoding="utf-8")
    sections: dict[str, list[str]] = {}
    for m in re.finditer(
        r"^### `python:3\.8-rc` - (?P<platform>.+?)\n.*?```dockerfile\n(?P<history>.*?)```",
        text,
        re.S | re.M,
    ):
        lines = [ln for ln in m["history"].split("\n") if ln and not ln.startswith("# ")]
        sections[m["platform"]] = lines
    return sections


def tail(lines: list[str], first: str) -> list[str]:
    starts = [i for i, ln in enumerate(lines) if ln.startswith(first)]
    assert starts, f"no {first!r} line"
    return lines[starts[-1] :]


def _jobs() -> list[plan.Job]:
    m = matrix.load(REPO / "matrix.yml")
    p = plan.expand(m, "3.8.0b3")
    return [p.job(i) for i in p.tag_map()["3.8-rc"]]


def test_the_seed_has_ten_platforms_in_the_manifest_list_order() -> None:
    assert list(seed_sections()) == [j.platform.describe() for j in _jobs()]
    assert len(seed_sections()) == 10


def test_normaliser_joins_continuations_like_the_classic_builder() -> None:
    dockerfile = "".join(
        [
            "RUN set -ex \\\n",
            "\t\\\n",
            "# a comment\n",
            "\t&& wget x \\\n",
            "\t&& true\n",
            "ENV A b\n",
            "ENV C $A:c\n",
        ]
    )
    assert history_lines(dockerfile, {}) == [
        "RUN set -ex \t\t&& wget x \t&& true",
        "ENV A=b",
        "ENV C=b:c",
    ]
    assert history_lines('SHELL ["powershell", "-Command", "$E = 1;"]\n', {}) == [
        "SHELL [powershell -Command $E = 1;]"
    ]


@pytest.mark.parametrize("platform", list(seed_sections()))
def test_rendered_dockerfile_reproduces_the_seed_history(
    platform: str, capsys: pytest.CaptureFixture[str]
) -> None:
    job = next(j for j in _jobs() if j.platform.describe() == platform)
    args = ["-q", "-C", str(REPO), "render", "3.8.0b3", "--dry-run"]
    rc = main([*args, "--variant", job.variant, "--arch", job.arch])
    assert rc == 0
    dockerfile = capsys.readouterr().out
    windows = job.platform.os == "windows"
    rendered = history_lines(dockerfile, {} if windows else PARENT_ENV)
    seed = seed_sections()[platform]
    first = "SHELL [" if windows else "ENV PATH="
    expected = tail(seed, first)
    got = tail(rendered, first)
    assert got == expected
    assert expected[-1] == ('CMD ["python"]' if windows else 'CMD ["python3"]')


def test_only_arm32v7_and_arm64v8_pass_a_profile_task() -> None:
    with_task = {j.arch for j in _jobs() if j.profile_task is not None}
    assert with_task == {"arm32v7", "arm64v8"}
    for job in _jobs():
        text = (REPO / job.dockerfile).read_text(encoding="utf-8")
        assert ("PROFILE_TASK=" in text) == (job.profile_task is not None), job.id
