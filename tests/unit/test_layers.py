"""The import-layer contracts (pyproject.toml, run by ``lint-imports``) cover every module.

import-linter checks the modules a layers contract names; one that no layer names escapes it.
These tests fail when a module of ``orchestrator/`` is added without a place in the layers.
"""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path
from typing import Any

import orchestrator

REPO = Path(__file__).resolve().parents[2]


def contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    found: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return found


def layer_names(contract: dict[str, Any]) -> set[str]:
    return {name.strip() for layer in contract["layers"] for name in layer.split("|")}


def children(package: str) -> set[str]:
    """The direct submodules and subpackages of ``package`` (dotted, in full)."""
    module = __import__(package, fromlist=["__path__"])
    return {f"{package}.{info.name}" for info in pkgutil.iter_modules(module.__path__)}


def test_every_module_of_the_package_is_in_a_layer() -> None:
    top = next(c for c in contracts() if c["type"] == "layers" and "containers" not in c)
    assert children(orchestrator.__name__) == layer_names(top)


def test_every_package_with_layers_of_its_own_is_covered_whole() -> None:
    inner = [c for c in contracts() if c["type"] == "layers" and "containers" in c]
    assert inner
    for contract in inner:
        (container,) = contract["containers"]
        named = {f"{container}.{n}" for n in layer_names(contract)}
        assert children(container) == named, container
