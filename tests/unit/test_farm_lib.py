"""Unit tests of scripts/farm.d/farmlib.py, the farm's Python helpers (no processes)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

FARMLIB = Path(__file__).resolve().parents[2] / "scripts" / "farm.d" / "farmlib.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("farmlib", FARMLIB)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["farmlib"] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


farmlib: Any = _load()

DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
"""


def test_mirror_from_deb822_sources_skips_security() -> None:
    security_first = DEB822.split("\n\n")[1] + "\n\n" + DEB822.split("\n\n", maxsplit=1)[0]
    assert farmlib.mirror_from_sources([security_first]) == "http://deb.debian.org/debian"


def test_mirror_from_one_line_sources_and_other_repositories() -> None:
    texts = [
        "deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n",
        "deb http://security.debian.org/debian-security bookworm-security main\n"
        "deb [arch=amd64] http://ftp.de.debian.org/debian/ bookworm main\n",
    ]
    assert farmlib.mirror_from_sources(texts) == "http://ftp.de.debian.org/debian"


def test_mirror_defaults_to_deb_debian_org() -> None:
    assert farmlib.mirror_from_sources(
        ["Types: deb\nURIs: https://deb.nodesource.com/node_20.x\n"]
    ) == ("http://deb.debian.org/debian")


def test_daemon_json_adds_the_mirror_first_and_keeps_other_keys() -> None:
    current = json.dumps({"debug": True, "registry-mirrors": ["http://other:5000"]})
    text, changed = farmlib.merge_daemon_json(current, "http://127.0.0.1:5000")
    assert changed
    assert json.loads(text) == {
        "debug": True,
        "registry-mirrors": ["http://127.0.0.1:5000", "http://other:5000"],
    }
    again, changed_again = farmlib.merge_daemon_json(text, "http://127.0.0.1:5000")
    assert (again, changed_again) == (text, False)


def test_daemon_json_created_when_missing() -> None:
    text, changed = farmlib.merge_daemon_json(None, "http://127.0.0.1:5000")
    assert changed
    assert json.loads(text) == {"registry-mirrors": ["http://127.0.0.1:5000"]}


def test_daemon_json_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ValueError, match="JSON object"):
        farmlib.merge_daemon_json("[]", "http://127.0.0.1:5000")


@pytest.mark.parametrize(
    ("name", "deb", "oci", "uname"),
    [
        ("amd64", "amd64", "linux/amd64", "x86_64"),
        ("i386", "i386", "linux/386", "x86_64"),
        ("arm64v8", "arm64", "linux/arm64/v8", "aarch64"),
        ("arm32v7", "armhf", "linux/arm/v7", "armv7l"),
        ("ppc64le", "ppc64el", "linux/ppc64le", "ppc64le"),
        ("s390x", "s390x", "linux/s390x", "s390x"),
    ],
)
def test_arch_spellings(name: str, deb: str, oci: str, uname: str) -> None:
    arch = farmlib.arch_info(name)
    assert (arch.deb, arch.oci, arch.uname) == (deb, oci, uname)
    assert farmlib.arch_info(deb) == arch


def test_i386_is_proven_by_its_elf_header_not_uname() -> None:
    arch = farmlib.arch_info("i386")
    assert (arch.elf_class, arch.elf_machine) == (1, 3)


def test_unknown_arch_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown architecture 'arm65'.*arm64v8"):
        farmlib.arch_info("arm65")


def test_state_set_merges_and_parses_json_values(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    farmlib.state_set(path, ["a=1", "b=text", 'c=["x"]'])
    farmlib.state_set(path, ["a=true"])
    assert json.loads(path.read_text()) == {"a": True, "b": "text", "c": ["x"]}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        farmlib.state_set(path, ["novalue"])


def test_render_status_lists_services_bases_and_sources() -> None:
    status = {
        "farm_dir": "/var/lib/orchestrate-farm",
        "profile": "test",
        "engine": {"up": True, "server_version": "20.10.24", "pid": 42},
        "buildx": {"version": "github.com/docker/buildx 0.13.1"},
        "qemu": {"platforms": ["linux/amd64", "linux/arm64"]},
        "registry": {"up": True, "url": "http://127.0.0.1:5000", "pid": 7, "version": "2.8.2"},
        "auth_registry": None,
        "mirror": {"active": True, "url": "http://127.0.0.1:5000/"},
        "bases": {"images": {"library/debian:bookworm": {"arches": ["amd64", "i386"]}}},
        "sources": {
            "up": False,
            "download_base": "http://127.0.0.1:8088/ftp/python",
            "pid": None,
            "files": {
                "3.13.5": {"path": "ftp/python/3.13.5/Python-3.13.5.tar.xz", "sha256": "93e5"}
            },
        },
    }
    text = farmlib.render_status(status)
    assert "engine     up   Docker 20.10.24 (pid 42, started by farm)" in text
    assert "registry   up   http://127.0.0.1:5000 (pid 7, 2.8.2)" in text
    assert "base       library/debian:bookworm [amd64 i386]" in text
    assert "sources    DOWN http://127.0.0.1:8088/ftp/python (pid -)" in text
    assert "3.13.5: ftp/python/3.13.5/Python-3.13.5.tar.xz sha256 93e5" in text


def test_farm_fixture_view_of_status_json(tmp_path: Path) -> None:
    from tests.integration.conftest import farm_from_status

    (tmp_path / "password").write_text("s3cret\n")
    status = {
        "farm_dir": "/var/lib/orchestrate-farm",
        "registry": {"address": "localhost:5000", "url": "http://127.0.0.1:5000"},
        "auth_registry": {
            "address": "localhost:5443",
            "url": "https://localhost:5443",
            "username": "farm",
            "password_file": str(tmp_path / "password"),
            "ca": "/x/ca.crt",
        },
        "sources": {
            "url": "http://127.0.0.1:8088",
            "download_base": "http://127.0.0.1:8088/ftp/python",
            "files": {"3.13.5": {"path": "ftp/python/3.13.5/Python-3.13.5.tar.xz", "sha256": "93"}},
        },
        "bases": {
            "busybox": "localhost:5000/library/busybox:latest",
            "images": {
                "library/debian:bookworm": {"arches": ["amd64", "i386"]},
                "library/busybox:latest": {"arches": ["amd64", "arm64v8"]},
            },
        },
    }
    farm = farm_from_status(status, "farm: up in 3s")
    assert farm.registry == "localhost:5000"
    assert farm.source_mirror == "http://127.0.0.1:8088/ftp/python"
    assert farm.sources["3.13.5"].url == (
        "http://127.0.0.1:8088/ftp/python/3.13.5/Python-3.13.5.tar.xz"
    )
    assert farm.auth_registry is not None and farm.auth_registry.password == "s3cret"
    assert farm.bases["library/debian:bookworm"] == ("amd64", "i386")
    assert farm.arches == {
        "amd64": ("library/busybox:latest", "library/debian:bookworm"),
        "arm64v8": ("library/busybox:latest",),
        "i386": ("library/debian:bookworm",),
    }
    assert str(farm.farm_dir) == "/var/lib/orchestrate-farm"


def test_the_farm_reads_the_product_architecture_table() -> None:
    from orchestrator import platforms

    linux_debian = [a for a in platforms.ARCHES.values() if a.debian and not a.is_windows]
    assert list(farmlib.ARCHES) == [a.name for a in linux_debian]
    for a in linux_debian:
        farm = farmlib.ARCHES[a.name]
        assert (farm.deb, farm.oci, farm.uname) == (a.debian, a.platform.oci, a.uname)
        assert (farm.elf_class, farm.elf_machine) == (a.elf_class, a.elf_machine)


def test_the_table_the_farm_reads_needs_only_the_standard_library() -> None:
    # The farm runs before the project's virtual environment exists.
    import ast
    import sys

    from orchestrator import platforms

    tree = ast.parse(Path(platforms.__file__).read_text())
    imported = {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    } | {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
