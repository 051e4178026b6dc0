"""Architecture names (bashbrew: amd64, arm32v7, windows-amd64 …) and OCI platforms. No I/O.

The bashbrew names are the ones ``matrix.yml``, job ids and the CLI use; the OCI platform is
what ``docker buildx build --platform`` and manifest-list entries need. Windows entries carry
``os.version``, which depends on the variant's base image, so it is attached per job
(``Platform.with_os_version``), not per architecture.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace


@dataclass(frozen=True, order=True)
class Platform:
    """An OCI platform as it appears in a manifest-list entry."""

    os: str
    architecture: str
    variant: str | None = None
    os_version: str | None = None

    @property
    def oci(self) -> str:
        """``os/arch[/variant]``, the form ``--platform`` takes (no os.version there)."""
        parts = [self.os, self.architecture]
        if self.variant:
            parts.append(self.variant)
        return "/".join(parts)

    def with_os_version(self, os_version: str | None) -> Platform:
        return replace(self, os_version=os_version)

    def to_json(self) -> dict[str, str]:
        """The manifest-list ``platform`` object (keys in the registry's spelling)."""
        out = {"architecture": self.architecture, "os": self.os}
        if self.os_version:
            out["os.version"] = self.os_version
        if self.variant:
            out["variant"] = self.variant
        return out

    def describe(self) -> str:
        """The repo-info platform string, e.g. ``linux; arm variant v7``."""
        left = self.os + (f" version {self.os_version}" if self.os_version else "")
        right = self.architecture + (f" variant {self.variant}" if self.variant else "")
        return f"{left}; {right}"


@dataclass(frozen=True)
class Arch:
    """One bashbrew architecture and what the tools around it call it."""

    name: str
    platform: Platform
    debian: str | None  # dpkg --print-architecture inside a Debian image of this arch
    alpine: str | None  # apk --print-arch inside an Alpine image of this arch
    uname: str | None  # uname -m under qemu (linux/386 on x86-64 says x86_64, see the docs)
    emulated_on_x86_64: bool  # needs qemu user emulation on an x86-64 build machine

    @property
    def is_windows(self) -> bool:
        return self.platform.os == "windows"


ARCHES: dict[str, Arch] = {
    a.name: a
    for a in (
        Arch("amd64", Platform("linux", "amd64"), "amd64", "x86_64", "x86_64", False),
        Arch("arm32v5", Platform("linux", "arm", "v5"), "armel", None, "armv5tejl", True),
        Arch("arm32v6", Platform("linux", "arm", "v6"), None, "armhf", "armv6l", True),
        Arch("arm32v7", Platform("linux", "arm", "v7"), "armhf", "armv7", "armv7l", True),
        Arch("arm64v8", Platform("linux", "arm64", "v8"), "arm64", "aarch64", "aarch64", True),
        Arch("i386", Platform("linux", "386"), "i386", "x86", "x86_64", False),
        Arch("ppc64le", Platform("linux", "ppc64le"), "ppc64el", "ppc64le", "ppc64le", True),
        Arch("s390x", Platform("linux", "s390x"), "s390x", "s390x", "s390x", True),
        Arch("windows-amd64", Platform("windows", "amd64"), None, None, None, False),
    )
}


def suggest(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str:
    """A ``" (did you mean 'x'?)"`` suffix, or ``""`` when nothing is close."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def get_arch(name: str) -> Arch:
    """The architecture called ``name``; KeyError with a hint when there is none."""
    try:
        return ARCHES[name]
    except KeyError:
        raise KeyError(f"unknown architecture {name!r}{suggest(name, list(ARCHES))}") from None


def from_oci(spec: str) -> Arch:
    """The architecture for ``linux/arm64/v8``-style strings (``linux/arm64`` accepted too)."""
    parts = spec.split("/")
    for arch in ARCHES.values():
        p = arch.platform
        if parts[:2] == [p.os, p.architecture] and (
            len(parts) == 2 or (len(parts) == 3 and parts[2] == p.variant)
        ):
            if len(parts) == 2 and p.variant and p.architecture == "arm":
                continue  # bare linux/arm is ambiguous between v5/v6/v7
            return arch
    raise KeyError(f"unknown platform {spec!r}")
