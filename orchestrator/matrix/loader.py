"""matrix.yml → a checked ``Matrix``: ``load(path)``, ``loads(text)``.

This is the one place that turns a file into a document, and every way that can fail into one
located ``ConfigError`` (``matrix.yml:LINE: (yaml): message``, exit 2): bytes that are not UTF-8,
characters YAML does not allow (control characters), a YAML syntax error, a tag that does not
construct (``!!int x``), an integer of more than ``MAX_INT_DIGITS`` digits, a mapping key that
cannot be a key (a list), nesting deeper than ``MAX_DEPTH`` levels (counted through aliases, so a
chain of aliases cannot recurse either), a document that aliases expand to more than
``MAX_VALUES`` values (an alias bomb, which would hang whoever walks or prints it), a recursive
alias, and a document that is not a mapping.

``parse`` reads with ``yaml.SafeLoader`` (a subclass, ``LineLoader``, that remembers the line of
every mapping key and sequence item and refuses duplicate keys); duplicate keys are returned as
problems, for the checker (``orchestrator.matrix.checker``) to report with its own.

No I/O besides reading the one file; no Docker, no subprocess.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from orchestrator.errors import ConfigError, first_line, printable
from orchestrator.matrix.checker import check
from orchestrator.matrix.model import Matrix
from orchestrator.matrix.nodes import LList, LMap, kind_of

# matrix.yml is a handful of levels deep and a few thousand values long; far past that a
# document is a mistake or an attack, refused before anything walks it.
MAX_DEPTH = 64
MAX_VALUES = 100_000
MAX_INT_DIGITS = 100


def load(path: Path) -> Matrix:
    """Read and check matrix.yml; raise ConfigError listing every problem found."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return loads(decode(data, path.name), path)


def decode(data: bytes, filename: str) -> str:
    """``data`` as UTF-8 text, or a ConfigError naming the line of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = data[exc.start]
        raise ConfigError(
            f"{filename}:{line}: (yaml): not UTF-8 text (byte 0x{byte:02x} at column {column})"
        ) from None


def loads(text: str, path: Path = Path("matrix.yml")) -> Matrix:
    """Parse and check matrix.yml text (``path`` names it in messages)."""
    doc, duplicates = parse(text, path.name)
    return check(doc, path, duplicates)


def parse(text: str, filename: str) -> tuple[LMap, list[tuple[int, str, str]]]:
    """The document, and its duplicate keys as (line, key path, message).

    ``filename`` names the file in the ConfigError raised for anything that is not a YAML
    mapping of sane size (see the module's docstring).
    """
    loader: LineLoader | None = None
    try:
        loader = LineLoader(text)
        node = loader.get_single_node()
        if node is not None:
            _check_size(node)
        doc = loader.construct_document(node) if node is not None else None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        what = exc.character if isinstance(exc.character, int) else 0
        raise ConfigError(
            f"{filename}:{line}: (yaml): character U+{what:04X} is not allowed in YAML "
            "(a control character?)"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or first_line(exc)
        raise ConfigError(f"{filename}:{line}: (yaml): {printable(problem)}") from None
    except RecursionError:  # a safety net: the limits above keep every walk shallow
        raise ConfigError(f"{filename}:1: (yaml): nested too deep to read") from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(doc, LMap):
        raise ConfigError(f"{filename}:1: (top): expected a mapping, got {kind_of(doc)}")
    return doc, loader.duplicates


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_size(root: yaml.Node) -> None:
    """Refuse a node graph whose expansion is too deep or too large, or that contains itself.

    Aliases make the composed document a graph: each node is measured once (memoised), by an
    explicit stack rather than recursion, so neither a chain of aliases nor a bomb of them costs
    more than the nodes actually written.
    """
    size: dict[int, int] = {}  # id(node) → values it expands to
    height: dict[int, int] = {}  # id(node) → levels below it, itself included
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            height[key] = 1 + max((height[id(k)] for k in kids), default=0)
            open_nodes.discard(key)
            where = node.start_mark
            if height[key] > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", where
                )
            if size[key] > MAX_VALUES:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"aliases expand the document to more than {MAX_VALUES} values",
                    where,
                )
            continue
        if key in size:
            continue
        if key in open_nodes:
            raise yaml.composer.ComposerError(
                None, None, "an alias refers to a node that contains it", node.start_mark
            )
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)


class LineLoader(yaml.SafeLoader):
    """SafeLoader recording node lines and refusing duplicate mapping keys, and turning every
    failure of construction into a located ``yaml.YAMLError``."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str, str]] = []
        self.path: list[str] = []  # key path of the node being constructed
        self.depth = 0  # nesting of the node being composed

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # The composer recurses once per level: refuse deep text before Python's stack ends.
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, AttributeError, OverflowError, RecursionError):
            # e.g. ``!!int x``, ``!!timestamp 2019-13-45``, ``!!float [1]``
            raise yaml.constructor.ConstructorError(
                None, None, f"not a valid {_short_tag(node.tag)} value", node.start_mark
            ) from None

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        # Python refuses to convert more than 4300 digits, and a huge integer printed back in a
        # message is a message nobody reads: no value of matrix.yml is longer than a few digits.
        if len(str(node.value).lstrip("+-").replace("_", "")) > MAX_INT_DIGITS:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"an integer of more than {MAX_INT_DIGITS} digits is no value of this file",
                node.start_mark,
            )
        value: int = super().construct_yaml_int(node)
        return value


def _short_tag(tag: str) -> str:
    """``tag:yaml.org,2002:int`` → ``!!int``."""
    return tag.replace("tag:yaml.org,2002:", "!!")


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
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"{kind_of(key)} cannot be a mapping key", key_node.start_mark
            ) from None
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
LineLoader.add_constructor("tag:yaml.org,2002:int", LineLoader.construct_yaml_int)
