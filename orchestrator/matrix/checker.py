"""The schema of matrix.yml: a parsed document → a ``Matrix``, or every problem at once.

``check`` reads the sections in this order (``schema``, ``builders``, ``profile_tasks``,
``conformance_tests``, ``variants``, ``lines``), one ``MatrixChecker`` method each, then the tags
(``tags.tag_problems``). A problem does not stop the check: it is recorded as
``matrix.yml:LINE: key.path: message`` (with a "did you mean" hint for near-miss names) and the
check goes on with what can still be read, so one ``ConfigError`` lists them all, sorted by line.
A variant with problems of its own is "broken": the lines that name it are not also blamed for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from orchestrator.errors import ConfigError
from orchestrator.matrix.model import (
    CONFORMANCE_TEST_RE,
    DEFAULT_CONFORMANCE_TESTS,
    FAMILIES,
    VERSION_RE,
    Defaults,
    Line,
    Matrix,
    Pip,
    Variant,
)
from orchestrator.matrix.nodecheck import NodeChecker
from orchestrator.matrix.nodes import LMap, kind_of
from orchestrator.matrix.rules import LineRules
from orchestrator.platforms import ARCHES, suggest
from orchestrator.tags import tag_problems

# Whole-value patterns: always checked with fullmatch (``$`` would let a trailing newline by).
IMAGE_RE = re.compile(r"[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?")
HEX64_RE = re.compile(r"[0-9a-f]{64}")
GPG_RE = re.compile(r"[0-9A-F]{40}")
OS_VERSION_RE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
BUILD_ARG_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PIP_VERSION_RE = re.compile(r"[0-9]+(\.[0-9]+)*")
# An https URL that goes into a Dockerfile (ENV) and a shell word unchanged: no space, quote,
# backslash (a line continuation at the end of a line), ``$`` (expanded) or other shell syntax.
URL_RE = re.compile(r"https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~/?#@!&+,;=%:-]*)?")

# The keys each kind of mapping may hold.
TOP_KEYS = ("schema", "builders", "profile_tasks", "conformance_tests", "variants", "lines")
VARIANT_KEYS = ("family", "template", "parent", "arches", "os_version")
LINE_KEYS = (
    "version",
    "aliases",
    "variants",
    "defaults",
    "gpg_key",
    "sha256",
    "pip",
    "pgo",
    "profile_tasks",
    "strategies",
    "build_args",
)
PIP_KEYS = ("version", "get_pip_url", "get_pip_sha256")
DEFAULT_KEYS = ("debian", "slim", "alpine")


def check(doc: LMap, path: Path, duplicates: Iterable[tuple[int, str, str]] = ()) -> Matrix:
    """The ``Matrix`` of ``doc``, or ConfigError listing every problem, sorted by line.

    ``duplicates`` are the loader's duplicate keys (line, key path, message), reported among the
    others. ``path`` names the file in messages and is kept in the Matrix.
    """
    chk = NodeChecker(path.name)
    for line_no, key_path, message in duplicates:
        chk.add(line_no, key_path, message)
    chk.keys(doc, "", TOP_KEYS, ("schema", "variants", "lines"))
    schema = chk.integer(doc, "schema", "schema")
    if schema is not None and schema != 1:
        chk.add(doc.key_lines["schema"], "schema", f"unsupported schema {schema!r} (expected 1)")
    mc = MatrixChecker(chk)
    builders = mc.builders(doc)
    mc.profile_tasks(doc)
    conformance_tests = mc.conformance_tests(doc)
    mc.variants(doc)
    lines = mc.lines(doc)
    for line_no, key_path, message in tag_problems(lines, mc.known_variants):
        chk.add(line_no, key_path, message)
    if chk.problems:
        raise ConfigError(chk.sorted())
    return Matrix(
        path=path,
        lines=tuple(lines),
        variants=mc.known_variants,
        profile_tasks=mc.tasks,
        builders=builders,
        conformance_tests=conformance_tests,
    )


class MatrixChecker:
    """The sections of matrix.yml, each checked by one method; problems go to ``chk``."""

    def __init__(self, chk: NodeChecker) -> None:
        self.chk = chk
        self.tasks: dict[str, tuple[str, ...]] = {}
        self.known_variants: dict[str, Variant] = {}
        # Declared under variants: but with problems of their own (already reported there).
        self.broken_variants: set[str] = set()
        self.rules = LineRules(
            chk, is_variant=self.is_variant, is_arch=self.is_arch, tasks=self.tasks
        )

    def is_arch(self, value: str, line: int, path: str) -> bool:
        if value not in ARCHES:
            self.chk.add(
                line, path, f"unknown architecture {value!r}{suggest(value, list(ARCHES))}"
            )
            return False
        return True

    def is_variant(self, value: str, line: int, path: str) -> bool:
        if value in self.broken_variants:
            return False
        if value not in self.known_variants:
            hint = suggest(value, list(self.known_variants))
            self.chk.add(line, path, f"unknown variant {value!r}{hint}")
            return False
        return True

    def builders(self, doc: LMap) -> dict[str, str]:
        """``builders: {arch: builder-or-context}``."""
        chk = self.chk
        out: dict[str, str] = {}
        node = chk.mapping(doc, "builders", "builders", tuple(ARCHES), optional=True)
        if node is None:
            return out
        for arch in node:
            if arch in ARCHES:
                path = f"builders.{arch}"
                b = chk.string(node, arch, path)
                if b is not None and chk.name(b, node.key_lines[arch], path, "builder"):
                    out[arch] = b
        return out

    def profile_tasks(self, doc: LMap) -> None:
        """``profile_tasks: {name: [regrtest invocation, test, test, ...]}``."""
        chk = self.chk
        node = chk.mapping(doc, "profile_tasks", "profile_tasks", None, optional=True)
        if node is None:
            return
        for name in node:
            path = f"profile_tasks.{name}"
            if not chk.key_name(name, node.key_lines[name], path, "profile task"):
                continue
            words = chk.strings(node, name, path, _single_quoted_word_check(chk))
            if words is not None and not words:
                chk.add(node.key_lines[name], path, "a profile task needs at least one word")
            elif words:
                self.tasks[name] = words

    def conformance_tests(self, doc: LMap) -> tuple[str, ...]:
        """``conformance_tests: [test_x, ...]``: at least one regrtest test; absent = defaults."""
        chk, key = self.chk, "conformance_tests"

        def is_test(value: str, line: int, path: str) -> bool:
            ok = CONFORMANCE_TEST_RE.fullmatch(value) is not None
            if not ok:
                chk.add(line, path, f"{value!r} is not a regrtest test name (test_[a-z0-9_]+)")
            return ok

        tests = chk.strings(doc, key, key, is_test)
        if tests is not None and not doc[key]:
            chk.add(doc.key_lines[key], key, "must name at least one test")
        return DEFAULT_CONFORMANCE_TESTS if tests is None else tests

    def section(self, doc: LMap, key: str, singular: str) -> LMap | None:
        """``doc[key]``, a mapping that must name at least one ``singular`` (None if absent or
        not a mapping, which is reported)."""
        node = self.chk.mapping(doc, key, key, None, optional=True)
        if node is not None and not node:
            self.chk.add(doc.key_lines[key], key, f"must name at least one {singular}")
        return node

    def variants(self, doc: LMap) -> None:
        chk = self.chk
        node = self.section(doc, "variants", "variant")
        for name in node or ():
            assert node is not None
            path = f"variants.{name}"
            if not chk.key_name(name, node.key_lines[name], path, "variant"):
                self.broken_variants.add(str(name))
                continue
            v = chk.mapping(
                node, name, path, VARIANT_KEYS, ("family", "template", "parent", "arches")
            )
            variant = self.variant(name, v, path) if v is not None else None
            if variant is not None:
                self.known_variants[name] = variant
            else:
                self.broken_variants.add(name)

    def variant(self, name: str, v: LMap, p: str) -> Variant | None:
        chk = self.chk
        family = chk.string(v, "family", f"{p}.family")
        if family is not None and family not in FAMILIES:
            hint = suggest(family, FAMILIES)
            chk.add(v.key_lines["family"], f"{p}.family", f"unknown family {family!r}{hint}")
            family = None
        template = chk.string(v, "template", f"{p}.template")
        if template is not None and not chk.name(
            template, v.key_lines["template"], f"{p}.template", "template set"
        ):
            template = None
        parent = chk.string(v, "parent", f"{p}.parent", IMAGE_RE, "an image reference")
        arches = chk.strings(v, "arches", f"{p}.arches", self.is_arch)
        if arches is not None and not arches and "arches" in v:
            chk.add(
                v.key_lines["arches"], f"{p}.arches", "a variant needs at least one architecture"
            )
        os_version = chk.string(
            v,
            "os_version",
            f"{p}.os_version",
            OS_VERSION_RE,
            "a Windows OS version (10.0.17763.615)",
        )
        if family is not None and arches:
            windows = family == "windowsservercore"
            for arch in arches:
                if ARCHES[arch].is_windows != windows:
                    i = list(v["arches"]).index(arch)
                    where = v["arches"].item_lines[i]
                    chk.add(where, f"{p}.arches[{i}]", f"{arch!r} does not fit the {family} family")
            if windows and "os_version" not in v:
                chk.add(v.line, p, "missing key 'os_version' (the Windows base's OS version)")
            if not windows and "os_version" in v:
                chk.add(
                    v.key_lines["os_version"],
                    f"{p}.os_version",
                    "only Windows variants have an OS version",
                )
        if family is None or template is None or parent is None or not arches:
            return None
        return Variant(name, family, template, parent, arches, os_version, v.line)

    def lines(self, doc: LMap) -> list[Line]:
        chk = self.chk
        out: list[Line] = []
        # Rendering no line at all would delete every generated Dockerfile.
        node = self.section(doc, "lines", "line")
        for name in node or ():
            assert node is not None
            path = f"lines.{name}"
            if not chk.key_name(name, node.key_lines[name], path, "line"):
                continue
            ln = chk.mapping(node, name, path, LINE_KEYS, ("version", "variants"))
            if ln is not None:
                parsed = self.line(name, ln, path)
                if parsed is not None:
                    out.append(parsed)
        return out

    def line(self, name: str, ln: LMap, p: str) -> Line | None:
        chk = self.chk
        before = len(chk.problems)
        version = self.line_version(name, ln, p)
        line_variants = chk.strings(ln, "variants", f"{p}.variants", self.is_variant)
        if line_variants is not None and not ln["variants"]:
            chk.add(ln.key_lines["variants"], f"{p}.variants", "a line needs at least one variant")
        defaults = self.line_defaults(ln, p, line_variants or ())
        gpg_key = chk.string(
            ln, "gpg_key", f"{p}.gpg_key", GPG_RE, "a GPG fingerprint (40 upper-case hex digits)"
        )
        sha256 = chk.string(
            ln, "sha256", f"{p}.sha256", HEX64_RE, "a sha256 (64 lower-case hex digits)"
        )
        if "gpg_key" in ln and "sha256" in ln:
            chk.add(ln.line, p, "give either 'gpg_key' or 'sha256', not both")
        elif "gpg_key" not in ln and "sha256" not in ln:
            chk.add(ln.line, p, "missing key 'gpg_key' or 'sha256' (how the tarball is verified)")
        pip = self.line_pip(ln, p)
        pgo = True
        if "pgo" in ln:
            if isinstance(ln["pgo"], bool):
                pgo = ln["pgo"]
            else:
                chk.add(
                    ln.key_lines["pgo"], f"{p}.pgo", f"expected a boolean, got {kind_of(ln['pgo'])}"
                )
        rules = self.rules.profile_tasks(ln, p, pgo)
        strategies = self.rules.strategies(ln, p)
        build_args = self.line_build_args(ln, p)
        if len(chk.problems) > before or version is None or not line_variants:
            return None
        aliases = tuple(ln.get("aliases", ()))
        return Line(
            name=name,
            version=version,
            aliases=aliases,
            variants=line_variants,
            defaults=defaults,
            gpg_key=gpg_key,
            sha256=sha256,
            pip=pip,
            pgo=pgo,
            profile_tasks=rules,
            build_args=build_args,
            strategies=strategies,
            line=ln.line,
        )

    def line_version(self, name: str, ln: LMap, p: str) -> str | None:
        """The version, its fit with the line's name, and the pre-release tag rule."""
        chk = self.chk
        version = chk.string(ln, "version", f"{p}.version")
        if version is None:
            return None
        m = VERSION_RE.fullmatch(version)
        where = ln.key_lines["version"]
        if m is None:
            chk.add(where, f"{p}.version", f"{version!r} is not a CPython version (like 3.8.0b3)")
            return None
        minor = f"{m['major']}.{m['minor']}"
        if name != minor and not name.startswith(f"{minor}-"):
            chk.add(where, f"{p}.version", f"{version!r} does not belong to line {name!r}")
        if m["pre"] and name == minor:
            chk.add(ln.line, p, f"pre-release {version} cannot be tagged {name!r}")

        def is_alias(value: str, line: int, path: str) -> bool:
            if not chk.name(value, line, path, "alias"):
                return False
            if m["pre"] and value in (minor, m["major"], "latest"):
                # A pre-release never takes the tags of the final releases.
                chk.add(line, path, f"pre-release {version} cannot be tagged {value!r}")
                return False
            return True

        chk.strings(ln, "aliases", f"{p}.aliases", is_alias)
        return version

    def line_defaults(self, ln: LMap, p: str, line_variants: tuple[str, ...]) -> Defaults:
        chk = self.chk
        node = chk.mapping(ln, "defaults", f"{p}.defaults", DEFAULT_KEYS, optional=True)
        if node is None:
            return Defaults()
        values: dict[str, str | None] = {}
        want = {"debian": "debian", "slim": "debian-slim", "alpine": "alpine"}
        for key in DEFAULT_KEYS:
            path = f"{p}.defaults.{key}"
            val = chk.string(node, key, path)
            values[key] = val
            if val is None:
                continue
            where = node.key_lines[key]
            if val in self.broken_variants:
                continue
            if val not in line_variants:
                hint = suggest(val, line_variants)
                chk.add(where, path, f"{val!r} is not a variant of this line{hint}")
            elif self.known_variants[val].family != want[key]:
                family = self.known_variants[val].family
                chk.add(where, path, f"{val!r} is of family {family}, not {want[key]}")
        return Defaults(**values)

    def line_pip(self, ln: LMap, p: str) -> Pip | None:
        chk = self.chk
        node = chk.mapping(ln, "pip", f"{p}.pip", PIP_KEYS, PIP_KEYS, optional=True)
        if node is None:
            return None
        version = chk.string(node, "version", f"{p}.pip.version", PIP_VERSION_RE, "a pip version")
        url = chk.string(
            node,
            "get_pip_url",
            f"{p}.pip.get_pip_url",
            URL_RE,
            "an https URL (without spaces, quotes, backslashes or $)",
        )
        sha = chk.string(
            node, "get_pip_sha256", f"{p}.pip.get_pip_sha256", HEX64_RE, "a sha256 (64 hex digits)"
        )
        return Pip(version, url, sha) if version and url and sha else None

    def line_build_args(self, ln: LMap, p: str) -> tuple[tuple[str, str], ...]:
        chk = self.chk
        node = chk.mapping(ln, "build_args", f"{p}.build_args", None, optional=True)
        out: list[tuple[str, str]] = []
        for key in node or ():
            assert node is not None
            path = f"{p}.build_args.{key}"
            if not isinstance(key, str) or not BUILD_ARG_RE.fullmatch(key):
                chk.add(node.key_lines[key], path, f"{key!r} is not a build argument name")
                continue
            val = chk.string(node, key, path)
            if val is not None:
                out.append((key, val))
        return tuple(sorted(out))


def _single_quoted_word_check(chk: NodeChecker) -> Callable[[str, int, str], bool]:
    # Profile task words are rendered inside single quotes in a shell command.
    def is_single_quotable(value: str, line: int, path: str) -> bool:
        if "'" in value or "\\" in value or "\n" in value or not value.strip():
            chk.add(line, path, f"{value!r} cannot go inside a single-quoted shell word")
            return False
        return True

    return is_single_quotable
