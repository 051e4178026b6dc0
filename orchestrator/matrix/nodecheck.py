"""Typed reads of a matrix.yml document that report, rather than raise, what does not fit.

``NodeChecker`` collects problems as ``matrix.yml:LINE: key.path: message`` (sorted by line when
reported) and reads values out of ``LMap`` nodes: each getter returns the value, or reports a
problem and returns None. It knows no section of matrix.yml; ``MatrixChecker`` does.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from orchestrator.errors import printable
from orchestrator.matrix.nodes import LList, LMap, kind_of
from orchestrator.platforms import suggest

# Names end up in paths, tags, job ids and (quoted) shell words: keep them boring. Checked with
# fullmatch, as every whole-value pattern here (``$`` would let a trailing newline by).
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class NodeChecker:
    """Collects problems as ``file:LINE: key.path: message``."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[tuple[int, str]] = []

    def add(self, line: int, path: str, message: str) -> None:
        # A key holding a newline ("buster\n":) is shown escaped: one problem, one line.
        self.problems.append((line, f"{self.filename}:{line}: {printable(path)}: {message}"))

    def sorted(self) -> list[str]:
        return [text for _, text in sorted(self.problems, key=lambda p: p[0])]

    # -- typed getters: each reports a problem and returns None when the value does not fit

    def mapping(
        self,
        parent: LMap,
        key: str,
        path: str,
        keys: tuple[str, ...] | None,
        required: tuple[str, ...] = (),
        *,
        optional: bool = False,
    ) -> LMap | None:
        """``parent[key]`` if it is a mapping; ``keys=None`` means any key is allowed."""
        if key not in parent:
            if not optional:
                self.add(parent.line, path.rpartition(".")[0] or path, f"missing key {key!r}")
            return None
        value = parent[key]
        line = parent.key_lines.get(key, parent.line)
        if not isinstance(value, LMap):
            self.add(line, path, f"expected a mapping, got {kind_of(value)}")
            return None
        if keys is not None:
            self.keys(value, path, keys, required)
        return value

    def keys(
        self, node: LMap, path: str, allowed: tuple[str, ...], required: tuple[str, ...]
    ) -> None:
        for key in node:
            if key not in allowed:
                self.add(
                    node.key_lines[key],
                    f"{path}.{key}" if path else str(key),
                    f"unknown key{suggest(str(key), allowed)}",
                )
        for key in required:
            if key not in node:
                self.add(node.line, path or "(top)", f"missing key {key!r}")

    def string(
        self,
        node: LMap,
        key: str,
        path: str,
        pattern: re.Pattern[str] | None = None,
        what: str = "",
    ) -> str | None:
        """``node[key]`` if it is a string that ``pattern`` (when given) matches as a whole."""
        if key not in node:
            return None  # missing required keys are reported by keys()
        value = node[key]
        line = node.key_lines[key]
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(line, path, f"expected a string, got {kind_of(value)}")
            return None
        if not isinstance(value, str):
            # 3.10 written unquoted is the float 3.1: refuse rather than guess.
            self.add(line, path, f"expected a string, got {kind_of(value)} {value!r} (quote it)")
            return None
        if pattern is not None and not pattern.fullmatch(value):
            self.add(line, path, f"{value!r} is not {what}")
            return None
        return value

    def integer(self, node: LMap, key: str, path: str) -> int | None:
        """``node[key]`` if it is an integer: ``true`` is a boolean and ``1.0`` a float, though
        Python finds both equal to 1."""
        if key not in node:
            return None
        value = node[key]
        if isinstance(value, bool) or not isinstance(value, int):
            shown = _yaml_spelling(value)
            got = f"{kind_of(value)} {shown}" if shown else kind_of(value)
            self.add(node.key_lines[key], path, f"expected an integer, got {got}")
            return None
        return value

    def strings(
        self,
        node: LMap,
        key: str,
        path: str,
        check: Callable[[str, int, str], bool] | None = None,
    ) -> tuple[str, ...] | None:
        if key not in node:
            return None
        value = node[key]
        line = node.key_lines[key]
        if not isinstance(value, LList):
            self.add(line, path, f"expected a list, got {kind_of(value)}")
            return None
        out: list[str] = []
        seen: set[str] = set()
        for i, (item, item_line) in enumerate(zip(value, value.item_lines, strict=True)):
            item_path = f"{path}[{i}]"
            if not isinstance(item, str):
                self.add(item_line, item_path, f"expected a string, got {kind_of(item)}")
                continue
            if item in seen:
                self.add(item_line, item_path, f"{item!r} is listed twice")
                continue
            seen.add(item)
            if check is None or check(item, item_line, item_path):
                out.append(item)
        return tuple(out)

    def key_name(self, value: object, line: int, path: str, what: str) -> bool:
        """A mapping key used as a name: a string (``3.10`` unquoted is a number) and safe."""
        if not isinstance(value, str):
            self.add(line, path, f"{what} name {value!r} must be a string (quote it)")
            return False
        return self.name(value, line, path, what)

    def name(self, value: str, line: int, path: str, what: str) -> bool:
        if not NAME_RE.fullmatch(value) or ".." in value:
            self.add(
                line,
                path,
                f"{what} {value!r} may only hold letters, digits, '.', '_' and '-' "
                "(it becomes a path, a tag and a shell word)",
            )
            return False
        return True


def _yaml_spelling(value: object) -> str:
    """A scalar as matrix.yml spells it (``true``, ``1.0``, ``'1'``); "" for the rest."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return repr(value)
    return ""
