"""matrix.yml → a checked ``Matrix``: ``load(path)``, ``loads(text)``.

``parse`` reads with ``yaml.SafeLoader`` (a subclass, ``LineLoader``, that remembers the line of
every mapping key and sequence item and refuses duplicate keys). A YAML syntax error, or a
document that is not a mapping, is one ``ConfigError`` at once; duplicate keys are returned as
problems, for the checker (``orchestrator.matrix.checker``) to report with its own.

No I/O besides reading the one file; no Docker, no subprocess.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from orchestrator.errors import ConfigError
from orchestrator.matrix.checker import check
from orchestrator.matrix.model import Matrix
from orchestrator.matrix.nodes import LList, LMap, kind_of


def load(path: Path) -> Matrix:
    """Read and check matrix.yml; raise ConfigError listing every problem found."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return loads(text, path)


def loads(text: str, path: Path = Path("matrix.yml")) -> Matrix:
    """Parse and check matrix.yml text (``path`` names it in messages)."""
    doc, duplicates = parse(text, path.name)
    return check(doc, path, duplicates)


def parse(text: str, filename: str) -> tuple[LMap, list[tuple[int, str, str]]]:
    """The document, and its duplicate keys as (line, key path, message).

    ``filename`` names the file in the ConfigError raised for a YAML syntax error or a document
    that is not a mapping.
    """
    loader = LineLoader(text)
    try:
        doc = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{filename}:{line}: (yaml): {problem}") from None
    finally:
        loader.dispose()
    if not isinstance(doc, LMap):
        raise ConfigError(f"{filename}:1: (top): expected a mapping, got {kind_of(doc)}")
    return doc, loader.duplicates


class LineLoader(yaml.SafeLoader):
    """SafeLoader recording node lines and refusing duplicate mapping keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str, str]] = []
        self.path: list[str] = []  # key path of the node being constructed


def _dotted_path(parts: list[str]) -> str:
    """``["lines", "3.8", "variants", "[0]"]`` → ``lines.3.8.variants[0]``."""
    return "".join(p if p.startswith("[") else f".{p}" for p in parts).lstrip(".")


def _construct_lmap(loader: LineLoader, node: yaml.MappingNode) -> LMap:
    out = LMap()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in out:
            where = _dotted_path([*loader.path, str(key)])
            loader.duplicates.append(
                (line, where, f"duplicate key {key!r} (first on line {out.key_lines[key]})")
            )
            continue
        loader.path.append(str(key))
        try:
            out[key] = loader.construct_object(value_node, deep=True)
        finally:
            loader.path.pop()
        out.key_lines[key] = line
    return out


def _construct_llist(loader: LineLoader, node: yaml.SequenceNode) -> LList:
    items: list[Any] = []
    for i, child in enumerate(node.value):
        loader.path.append(f"[{i}]")
        try:
            items.append(loader.construct_object(child, deep=True))
        finally:
            loader.path.pop()
    out = LList(items)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_lmap)
LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_llist)
