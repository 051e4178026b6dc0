from __future__ import annotations

import pytest

from orchestrator.platforms import ARCHES, Platform, from_oci, get_arch


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
