"""The Docker Official Images tag algebra: the tags of each job, and the jobs behind each tag.

The words of a line are its version, its name and its aliases (``Line.version_tags``:
``3.8.0b3, 3.8-rc, rc``). From them (``variant_tags``):

- every variant gets ``<word>-<variant>`` for each word (``latest-X`` is written ``X``);
- the line's default Debian suite shares the bare ``<word>`` tags;
- the default slim variant also gets ``<word>-slim``, the default Alpine ``<word>-alpine``;
- Windows Server Core variants share ``<word>-windowsservercore`` and the bare ``<word>`` tags.

A variant's own tags name its images only; a shared tag names one manifest list across the line's
variants (``manifest_lists``: every tag → its jobs, in job order). A tag belongs to one line only,
and two variants' own tags never meet (``tag_problems``, which the matrix checker runs on every
load). A pre-release is never tagged ``X.Y``, ``X`` or ``latest``: the checker refuses such a
line name or alias where it reads the version (``MatrixChecker.line_version``).

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # For the annotations only: importing orchestrator.matrix.model runs the package's
    # __init__, which loads the checker, which imports this module.
    from orchestrator.matrix.model import Line, Variant

# A Docker tag: https://github.com/distribution/reference (tag grammar). Checked with fullmatch
# (``$`` would let a trailing newline by).
TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


def suffixed(word: str, suffix: str) -> str:
    """``3.8-rc`` + ``buster`` → ``3.8-rc-buster``; ``latest`` + ``buster`` → ``buster``."""
    if not suffix:
        return word
    return suffix if word == "latest" else f"{word}-{suffix}"


def variant_tags(line: Line, variant: Variant) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(own tags, shared tags) of ``variant`` in ``line``.

    - every variant: ``<word>-<variant>`` for each version word (``latest-X`` is just ``X``);
    - the default Debian suite: shared bare ``<word>`` tags;
    - the default slim variant: also ``<word>-slim``; the default Alpine: ``<word>-alpine``;
    - Windows Server Core: shared ``<word>-windowsservercore`` and the bare ``<word>`` tags.
    """
    words = line.version_tags
    own = [suffixed(w, variant.name) for w in words]
    shared: list[str] = []
    if variant.family == "debian" and variant.name == line.defaults.debian:
        shared += [suffixed(w, "") for w in words]
    elif variant.family == "debian-slim" and variant.name == line.defaults.slim:
        own += [suffixed(w, "slim") for w in words]
    elif variant.family == "alpine" and variant.name == line.defaults.alpine:
        own += [suffixed(w, "alpine") for w in words]
    elif variant.family == "windowsservercore":
        shared += [suffixed(w, "windowsservercore") for w in words]
        shared += [suffixed(w, "") for w in words]
    return tuple(own), tuple(shared)


def tag_problems(
    lines: Sequence[Line], variants: Mapping[str, Variant]
) -> list[tuple[int, str, str]]:
    """Every tag that is not a Docker tag or that collides, as (matrix.yml line, key path, message).

    A tag names one manifest list: it may be shared by variants of one line (SharedTags), but
    two lines, or two variants' own tags, must never produce the same tag.
    """
    problems: list[tuple[int, str, str]] = []
    owner: dict[str, tuple[str, str, bool]] = {}  # tag -> (line, variant, shared)
    for line in lines:
        for vname in line.variants:
            variant = variants[vname]
            own, shared = variant_tags(line, variant)
            for tag, is_shared in [*((t, False) for t in own), *((t, True) for t in shared)]:
                if not TAG_RE.fullmatch(tag):
                    problems.append(
                        (line.line, f"lines.{line.name}", f"tag {tag!r} is not a valid Docker tag")
                    )
                    continue
                prev = owner.get(tag)
                if prev is None:
                    owner[tag] = (line.name, vname, is_shared)
                    continue
                if prev[0] == line.name and prev[2] and is_shared:
                    continue  # the same shared tag across this line's variants: one manifest list
                problems.append(
                    (
                        line.line,
                        f"lines.{line.name}",
                        f"tag {tag!r} of variant {vname!r} collides with variant {prev[1]!r} "
                        f"of line {prev[0]!r}",
                    )
                )
    return problems


def manifest_lists(
    tagged_jobs: Iterable[tuple[str, Sequence[str]]],
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every tag → the ids of the jobs in its manifest list, in job order.

    ``tagged_jobs`` holds (job id, all its tags) for each job, in job order; tags come out in
    the order they are first seen.
    """
    out: dict[str, list[str]] = {}
    for job_id, tags in tagged_jobs:
        for tag in tags:
            out.setdefault(tag, []).append(job_id)
    return tuple((tag, tuple(ids)) for tag, ids in out.items())
