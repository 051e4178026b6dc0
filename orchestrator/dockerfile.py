"""Reading a rendered Dockerfile: the images its stages start from, and the ARGs it declares.

Pure text in, values out: the build step asks which base images a job pulls (and for which
platform) and which build arguments a template takes; nothing here knows about jobs or runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchestrator.platforms import Platform

_FROM = re.compile(
    r"^[ \t]*FROM[ \t]+(?:--platform=(\S+)[ \t]+)?(\S+)(?:[ \t]+AS[ \t]+(\S+))?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_ARG = re.compile(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)
_GLOBAL_ARG = re.compile(r"^[ \t]*ARG[ \t]+([A-Za-z_][A-Za-z0-9_]*)=(\S+)[ \t]*$", re.MULTILINE)
_REFERENCE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_BUILDPLATFORM = frozenset({"$BUILDPLATFORM", "${BUILDPLATFORM}"})

# The platform `FROM --platform=$BUILDPLATFORM` stages run on: this machine's (x86-64 farms).
BUILD_PLATFORM = Platform("linux", "amd64")


@dataclass(frozen=True)
class From:
    """One ``FROM [--platform=P] IMAGE [AS NAME]`` line."""

    image: str
    platform: str  # the --platform= value as written, "" without one
    name: str  # the stage name after AS, "" without one

    @property
    def on_build_platform(self) -> bool:
        """``FROM --platform=$BUILDPLATFORM``: a helper stage that runs on the build machine."""
        return self.platform in _BUILDPLATFORM


def from_lines(dockerfile: str) -> tuple[From, ...]:
    """Every ``FROM`` line, in order."""
    return tuple(From(image, platform, name) for platform, image, name in _FROM.findall(dockerfile))


def declared_args(dockerfile: str) -> frozenset[str]:
    """The build arguments a Dockerfile declares (``ARG NAME[=default]``)."""
    return frozenset(_ARG.findall(dockerfile))


def global_args(dockerfile: str) -> dict[str, str]:
    """The defaults of the ARGs declared before the first ``FROM`` (the ones a ``FROM`` line may
    use: ``ARG BUILD_PYTHON=build-python-native`` … ``FROM ${BUILD_PYTHON}``)."""
    first = _FROM.search(dockerfile)
    return dict(_GLOBAL_ARG.findall(dockerfile[: first.start() if first else len(dockerfile)]))


def base_images(
    dockerfile: str,
    *,
    target: Platform,
    parent: str,
    build_platform: Platform = BUILD_PLATFORM,
) -> tuple[tuple[str, Platform], ...]:
    """Every image the Dockerfile starts a stage from, with the platform it is pulled for.

    A ``FROM`` naming a global ARG (``${BUILD_PYTHON}``) is read with its default. Stages named
    earlier and ``scratch`` are not images. A stage ``FROM --platform=$BUILDPLATFORM``
    (a cross-building helper stage) pulls ``build_platform``'s image, every other one
    ``target``'s. A Dockerfile without a FROM line (never rendered that way) falls back to
    ``parent`` (the variant's parent image).
    """
    lines = from_lines(dockerfile)
    defaults = global_args(dockerfile)
    stages: set[str] = set()
    found: list[tuple[str, Platform]] = []
    for line in lines:
        image = _REFERENCE.sub(lambda m: defaults.get(m[1] or m[2], m[0]), line.image)
        if image.lower() not in stages and image != "scratch":
            found.append((image, build_platform if line.on_build_platform else target))
        if line.name:
            stages.add(line.name.lower())
    if not found and not lines and parent != "scratch":
        found.append((parent, target))
    return tuple(dict.fromkeys(found))
