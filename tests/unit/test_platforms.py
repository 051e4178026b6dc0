from __future__ import annotations

from typing import Any

import pytest

from orchestrator import platforms
from orchestrator.platforms import (
    ARCHES,
    Platform,
    builder_can_build,
    from_oci,
    get_arch,
    matches,
    parse,
)


@pytest.mark.parametrize(
    ("name", "oci", "described"),
    [
        ("amd64", "linux/amd64", "linux; amd64"),
        ("arm32v5", "linux/arm/v5", "linux; arm variant v5"),
        ("arm32v6", "linux/arm/v6", "linux; arm variant v6"),
        ("arm32v7", "linux/arm/v7", "linux; arm variant v7"),
        ("arm64v8", "linux/arm64/v8", "linux; arm64 variant v8"),
        ("i386", "linux/386", "linux; 386"),
        ("ppc64le", "linux/ppc64le", "linux; ppc64le"),
        ("s390x", "linux/s390x", "linux; s390x"),
    ],
)
def test_linux_arches_map_to_oci_and_repo_info_strings(name: str, oci: str, described: str) -> None:
    arch = get_arch(name)
    assert arch.platform.oci == oci
    assert arch.platform.describe() == described
    assert from_oci(oci) is arch


def test_windows_platform_carries_os_version() -> None:
    p = get_arch("windows-amd64").platform.with_os_version("10.0.17763.615")
    assert p.oci == "windows/amd64"
    assert p.describe() == "windows version 10.0.17763.615; amd64"
    assert p.to_json() == {"architecture": "amd64", "os": "windows", "os.version": "10.0.17763.615"}


def test_platform_json_has_variant() -> None:
    assert Platform("linux", "arm64", "v8").to_json() == {
        "architecture": "arm64",
        "os": "linux",
        "variant": "v8",
    }


def test_unknown_arch_suggests_the_close_one() -> None:
    with pytest.raises(KeyError, match="did you mean 'arm64v8'"):
        get_arch("arm64v9")


def test_bare_linux_arm_is_ambiguous() -> None:
    with pytest.raises(KeyError):
        from_oci("linux/arm")
    assert from_oci("linux/arm64").name == "arm64v8"


def test_only_x86_arches_run_natively() -> None:
    native = {a.name for a in ARCHES.values() if not a.emulated_on_x86_64}
    assert native == {"amd64", "i386", "windows-amd64"}


# What a native CPython build on each architecture reports (the conformance check compares a
# cross-built interpreter with these): Debian's DEB_HOST_MULTIARCH, the CPU part of configure's
# canonical host triplet, and the byte order.
MULTIARCH = {
    "amd64": "x86_64-linux-gnu",
    "arm32v5": "arm-linux-gnueabi",
    "arm32v6": None,  # Alpine only: no Debian multiarch
    "arm32v7": "arm-linux-gnueabihf",
    "arm64v8": "aarch64-linux-gnu",
    "i386": "i386-linux-gnu",
    "ppc64le": "powerpc64le-linux-gnu",
    "s390x": "s390x-linux-gnu",
    "windows-amd64": None,
}


def test_multiarch_is_debians_host_multiarch() -> None:
    assert {name: a.multiarch for name, a in ARCHES.items()} == MULTIARCH
    # Every architecture Debian builds has one, and no other.
    assert {n for n, a in ARCHES.items() if a.multiarch} == {
        n for n, a in ARCHES.items() if a.debian
    }


def test_gnu_cpus_start_the_canonical_host_type() -> None:
    assert {name: a.gnu_cpus for name, a in ARCHES.items()} == {
        "amd64": ("x86_64",),
        "arm32v5": platforms.ARM32_GNU_CPUS,
        "arm32v6": (),
        "arm32v7": platforms.ARM32_GNU_CPUS,
        "arm64v8": ("aarch64",),
        "i386": ("i386", "i486", "i586", "i686"),
        "ppc64le": ("powerpc64le",),
        "s390x": ("s390x",),
        "windows-amd64": (),
    }
    # The multiarch tuple starts with one of them (i386-linux-gnu: configure may say i686).
    for arch in ARCHES.values():
        if arch.multiarch:
            assert arch.multiarch.split("-", 1)[0] in arch.gnu_cpus, arch.name


def test_only_s390x_is_big_endian() -> None:
    assert {name for name, a in ARCHES.items() if a.big_endian} == {"s390x"}


# One rule for "is this manifest entry / image config of that platform". Before it, four
# functions answered differently; each case below is one where at least two of them disagreed,
# pinned to containerd's normalisation (arm64 = arm64/v8, arm = arm/v7, amd64/v1 = amd64).
ARM64 = Platform("linux", "arm64", "v8")
ARM7 = Platform("linux", "arm", "v7")
ARM5 = Platform("linux", "arm", "v5")
AMD64 = Platform("linux", "amd64")
WIN = Platform("windows", "amd64", os_version="10.0.17763")


@pytest.mark.parametrize(
    ("have", "want", "expected"),
    [
        ({"os": "linux", "architecture": "arm64"}, ARM64, True),
        ({"os": "linux", "architecture": "arm64", "variant": "v8"}, ARM64, True),
        ({"os": "linux", "architecture": "arm", "variant": "v6"}, ARM7, False),
        # an arm entry without a variant is arm/v7 (was: any arm variant for the publisher)
        ({"os": "linux", "architecture": "arm"}, ARM7, True),
        ({"os": "linux", "architecture": "arm"}, ARM5, False),
        # amd64/v1 is plain amd64; a v2/v3 image is not (was: any variant for the publisher)
        ({"os": "linux", "architecture": "amd64", "variant": "v1"}, AMD64, True),
        ({"os": "linux", "architecture": "amd64", "variant": "v3"}, AMD64, False),
        ({"os": "linux", "architecture": "amd64"}, Platform("linux", "386"), False),
        ({"os": "windows", "architecture": "amd64"}, AMD64, False),
        # Windows: the same build matches whatever the patch level (was: exact string only)
        ({"os": "windows", "architecture": "amd64", "os.version": "10.0.17763.615"}, WIN, True),
        ({"os": "windows", "architecture": "amd64", "os.version": "10.0.14393.3085"}, WIN, False),
        ({"os": "windows", "architecture": "amd64"}, WIN, True),
        (Platform("windows", "amd64", os_version="10.0.17763.1"), WIN, True),
    ],
)
def test_one_matching_rule(have: Any, want: Platform, expected: bool) -> None:
    assert matches(have, want) is expected


@pytest.mark.parametrize(
    ("listed", "want", "expected"),
    [
        (("linux/arm64",), ARM64, True),
        (("linux/arm/v7", "linux/arm/v6"), ARM5, True),  # qemu-arm runs v5 code
        (("linux/arm/v6",), ARM7, False),  # an older arm cannot run newer code
        (("linux/amd64", "linux/386"), Platform("linux", "386"), True),
        (("linux/amd64",), Platform("linux", "riscv64"), False),
        (("not a platform", "linux/amd64/v2/x"), AMD64, False),
    ],
)
def test_what_a_builder_can_build(listed: tuple[str, ...], want: Platform, expected: bool) -> None:
    assert builder_can_build(listed, want) is expected


def test_parse_platform() -> None:
    assert parse("linux/arm/v7") == ARM7
    assert parse("linux/amd64") == AMD64
    with pytest.raises(ValueError, match="not a platform"):
        parse("linux")


def test_debian_targets_map_every_buildkit_target_form_to_dpkg() -> None:
    """The cross templates' case arms: each Linux architecture Debian builds, by every value
    ``$TARGETARCH${TARGETVARIANT:+/$TARGETVARIANT}`` takes for it."""
    got = {form: deb for forms, deb in platforms.debian_targets() for form in forms}
    assert got == {
        "amd64": "amd64",
        "386": "i386",
        "arm64": "arm64",
        "arm64/v8": "arm64",
        "arm": "armhf",
        "arm/v7": "armhf",
        "arm/v5": "armel",
        "ppc64le": "ppc64el",
        "s390x": "s390x",
    }
