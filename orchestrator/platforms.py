"""Architecture names (bashbrew: amd64, arm32v7, windows-amd64 …) and OCI platforms. No I/O.

The bashbrew names are the ones ``matrix.yml``, job ids and the CLI use; the OCI platform is
what ``docker buildx build --platform`` and manifest-list entries need. Windows entries carry
``os.version``, which depends on the variant's base image, so it is attached per job
(``Platform.with_os_version``), not per architecture.

This is the one architecture table: ``scripts/farm.d/farmlib.py`` (the build farm, which runs
before the project's virtual environment exists) reads it too, so this module imports nothing
but the standard library.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
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

    @property
    def is_windows(self) -> bool:
        return self.os == "windows"

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
    # uname -m in a container of this platform (under qemu for emulated ones; linux/386 on
    # x86-64 still says x86_64, so the ELF header below is what proves the platform)
    uname: str | None
    emulated_on_x86_64: bool  # needs qemu user emulation on an x86-64 build machine
    elf_class: int | None = None  # EI_CLASS of its binaries: 1 = 32-bit, 2 = 64-bit
    elf_machine: int | None = None  # e_machine of its binaries (EM_X86_64 = 62, EM_386 = 3 …)
    # What CPython built natively on it reports: Debian's DEB_HOST_MULTIARCH (sysconfig's
    # MULTIARCH, the tail of its SOABI); the CPU names configure's canonical HOST_GNU_TYPE may
    # start with; and its byte order (sys.byteorder). None / () where Debian does not build it.
    multiarch: str | None = None
    gnu_cpus: tuple[str, ...] = ()
    big_endian: bool = False

    @property
    def is_windows(self) -> bool:
        return self.platform.is_windows


# A 32-bit ARM CPU as configure's canonical HOST_GNU_TYPE has it: `arm` from a --build/--host
# triplet (dpkg-architecture's), or config.guess's `uname -m` where configure guessed: armv7l on
# ARMv7 hardware or qemu, armv8l on the arm64 machines Debian builds its armhf/armel packages on
# (Debian's own python3.11 for armhf says armv8l-unknown-linux-gnueabihf). The ABI is in the
# system part (gnueabi = armel, gnueabihf = armhf), which must match exactly.
ARM32_GNU_CPUS = ("arm", "armv5tel", "armv6l", "armv7l", "armv8l")

ARCHES: dict[str, Arch] = {
    a.name: a
    for a in (
        Arch(
            "amd64", Platform("linux", "amd64"), "amd64", "x86_64", "x86_64", False, 2, 62,
            multiarch="x86_64-linux-gnu", gnu_cpus=("x86_64",),
        ),
        # qemu-arm's default CPU says armv7l whatever the binary's architecture level
        Arch(
            "arm32v5", Platform("linux", "arm", "v5"), "armel", None, "armv7l", True, 1, 40,
            multiarch="arm-linux-gnueabi", gnu_cpus=ARM32_GNU_CPUS,
        ),
        Arch("arm32v6", Platform("linux", "arm", "v6"), None, "armhf", "armv6l", True, 1, 40),
        Arch(
            "arm32v7", Platform("linux", "arm", "v7"), "armhf", "armv7", "armv7l", True, 1, 40,
            multiarch="arm-linux-gnueabihf", gnu_cpus=ARM32_GNU_CPUS,
        ),
        Arch(
            "arm64v8", Platform("linux", "arm64", "v8"), "arm64", "aarch64", "aarch64", True, 2,
            183, multiarch="aarch64-linux-gnu", gnu_cpus=("aarch64",),
        ),
        # configure canonicalises the 32-bit x86 CPU as the compiler targets it: i386 … i686
        Arch(
            "i386", Platform("linux", "386"), "i386", "x86", "x86_64", False, 1, 3,
            multiarch="i386-linux-gnu", gnu_cpus=("i386", "i486", "i586", "i686"),
        ),
        Arch(
            "ppc64le", Platform("linux", "ppc64le"), "ppc64el", "ppc64le", "ppc64le", True, 2, 21,
            multiarch="powerpc64le-linux-gnu", gnu_cpus=("powerpc64le",),
        ),
        Arch(
            "s390x", Platform("linux", "s390x"), "s390x", "s390x", "s390x", True, 2, 22,
            multiarch="s390x-linux-gnu", gnu_cpus=("s390x",), big_endian=True,
        ),
        Arch("windows-amd64", Platform("windows", "amd64"), None, None, None, False),
    )
}  # fmt: skip


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


# --------------------------------------------------------------------------- matching

# The variant an architecture has when none is written, as containerd normalises platforms
# (containerd/platforms: arm64 → v8, arm → v7, amd64's v1 is the baseline and written as none).
_DEFAULT_VARIANT = {"arm64": "v8", "arm": "v7"}
_BASELINE_VARIANT = {"amd64": "v1"}


def _normal_variant(architecture: object, variant: object) -> object:
    if variant in (None, ""):
        return _DEFAULT_VARIANT.get(str(architecture))
    if _BASELINE_VARIANT.get(str(architecture)) == variant:
        return None
    return variant


def _os_build(os_version: object) -> list[str] | None:
    """The build part (first three numbers) of a Windows ``os.version``; None when absent."""
    if not isinstance(os_version, str) or not os_version:
        return None
    return os_version.split(".")[:3]


def matches(have: Platform | Mapping[str, object], want: Platform) -> bool:
    """Whether ``have`` (a manifest-list entry's or an image config's platform) is ``want``.

    The one rule every module uses: the same os and architecture; the same variant once both
    are normalised as containerd does (``arm64`` is ``arm64/v8``, ``arm`` is ``arm/v7``,
    ``amd64/v1`` is ``amd64``); and, when both name a Windows ``os.version``, the same build
    (``10.0.17763`` matches ``10.0.17763.615``: the matrix may name the build while the image
    carries the patch level too).
    """
    if isinstance(have, Platform):
        have = have.to_json()
    if (have.get("os"), have.get("architecture")) != (want.os, want.architecture):
        return False
    if _normal_variant(want.architecture, have.get("variant")) != _normal_variant(
        want.architecture, want.variant
    ):
        return False
    got, wanted = _os_build(have.get("os.version")), _os_build(want.os_version)
    return got is None or wanted is None or got == wanted


def parse(spec: str) -> Platform:
    """``os/architecture[/variant]`` (the ``--platform`` form) as a Platform; ValueError if not."""
    parts = spec.strip().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError(f"not a platform: {spec!r}")
    return Platform(parts[0], parts[1], parts[2] if len(parts) == 3 else None)


def _arm_level(platform: Platform) -> int | None:
    variant = _normal_variant(platform.architecture, platform.variant)
    if platform.architecture != "arm" or not isinstance(variant, str):
        return None
    return int(variant[1:]) if variant[1:].isdigit() else None


def builder_can_build(listed: Sequence[str], want: Platform) -> bool:
    """Whether a builder that lists ``listed`` (``docker buildx inspect``) can build ``want``.

    A listed platform that ``matches`` will do; so will a newer 32-bit arm than the one
    wanted (as containerd's matcher has it, arm/v7 runs v6 and v5 code): buildx lists
    ``linux/arm/v7`` and ``linux/arm/v6`` for qemu-arm, never ``linux/arm/v5``.
    """
    level = _arm_level(want)
    for spec in listed:
        try:
            have = parse(spec)
        except ValueError:
            continue
        if matches(have, want):
            return True
        have_level = _arm_level(have)
        if level is not None and have_level is not None and have_level >= level:
            return True
    return False


def debian_targets() -> tuple[tuple[tuple[str, ...], str], ...]:
    """How a Dockerfile maps BuildKit's target platform to Debian's architecture: for every
    Linux architecture Debian builds, the values ``$TARGETARCH${TARGETVARIANT:+/$TARGETVARIANT}``
    can take for it (with and without the default variant containerd normalises away:
    ``arm64`` and ``arm64/v8``) and its ``dpkg`` name. Rendered into the cross templates."""
    out: list[tuple[tuple[str, ...], str]] = []
    for arch in ARCHES.values():
        p = arch.platform
        if arch.debian is None or p.is_windows:
            continue
        forms = [f"{p.architecture}/{p.variant}" if p.variant else p.architecture]
        if p.variant and _DEFAULT_VARIANT.get(p.architecture) == p.variant:
            forms.insert(0, p.architecture)
        out.append((tuple(forms), arch.debian))
    return tuple(out)
