"""The per-line rules of matrix.yml: lists of ``{value, variants?, arches?}``, first match wins.

``lines.<name>.profile_tasks`` (``{task, variants?, arches?}``) and ``lines.<name>.strategies``
(``{strategy, variants?, arches?}``, no matching rule = ``auto``) are read here; each rule list is
read the same way by ``read_rules``: a list of mappings, each naming its value under one key and
optionally narrowing it to some variants and architectures. Problems go to the ``NodeChecker``
as everywhere else in the matrix check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from orchestrator.matrix.model import STRATEGIES, ProfileTaskRule, StrategyRule
from orchestrator.matrix.nodecheck import NodeChecker
from orchestrator.matrix.nodes import LList, LMap, kind_of
from orchestrator.platforms import suggest

T = TypeVar("T")

# (value, line, key path) → whether it is good; a problem is reported when it is not.
NameCheck = Callable[[str, int, str], bool]


def read_rules(
    chk: NodeChecker,
    ln: LMap,
    p: str,
    *,
    key: str,
    value_key: str,
    value_of: Callable[[LMap, str], T | None],
    is_variant: NameCheck,
    is_arch: NameCheck,
) -> list[tuple[T, tuple[str, ...], tuple[str, ...]]]:
    """``ln[key]`` as (value, variants, arches) rules, in order; bad rules are reported and left
    out. ``value_of(rule, path)`` reads and checks the rule's value (``rule[value_key]``)."""
    if key not in ln:
        return []
    node = ln[key]
    if not isinstance(node, LList):
        chk.add(ln.key_lines[key], f"{p}.{key}", f"expected a list, got {kind_of(node)}")
        return []
    rules: list[tuple[T, tuple[str, ...], tuple[str, ...]]] = []
    for i, (rule, where) in enumerate(zip(node, node.item_lines, strict=True)):
        rp = f"{p}.{key}[{i}]"
        if not isinstance(rule, LMap):
            chk.add(where, rp, f"expected a mapping, got {kind_of(rule)}")
            continue
        chk.keys(rule, rp, (value_key, "variants", "arches"), (value_key,))
        value = value_of(rule, f"{rp}.{value_key}")
        variants = chk.strings(rule, "variants", f"{rp}.variants", is_variant) or ()
        arches = chk.strings(rule, "arches", f"{rp}.arches", is_arch) or ()
        if value is not None:
            rules.append((value, variants, arches))
    return rules


class LineRules:
    """The rule lists of one matrix's lines, checked against its variants, arches and tasks."""

    def __init__(
        self,
        chk: NodeChecker,
        *,
        is_variant: NameCheck,
        is_arch: NameCheck,
        tasks: dict[str, tuple[str, ...]],
    ) -> None:
        self.chk = chk
        self.is_variant = is_variant
        self.is_arch = is_arch
        self.tasks = tasks

    def read(
        self, ln: LMap, p: str, key: str, value_key: str, value_of: Callable[[LMap, str], T | None]
    ) -> list[tuple[T, tuple[str, ...], tuple[str, ...]]]:
        """``read_rules`` against this matrix's variants and architectures."""
        return read_rules(
            self.chk,
            ln,
            p,
            key=key,
            value_key=value_key,
            value_of=value_of,
            is_variant=self.is_variant,
            is_arch=self.is_arch,
        )

    def profile_tasks(self, ln: LMap, p: str, pgo: bool) -> tuple[ProfileTaskRule, ...]:
        """``profile_tasks: [{task, variants?, arches?}]``: first matching rule wins."""
        chk = self.chk

        def task_of(rule: LMap, path: str) -> str | None:
            task = chk.string(rule, "task", path)
            if task is not None and task not in self.tasks:
                hint = suggest(task, list(self.tasks))
                chk.add(rule.key_lines["task"], path, f"unknown profile task {task!r}{hint}")
                return None
            if task is not None and not pgo:
                chk.add(rule.key_lines["task"], path, "a profile task needs pgo: true")
            return task

        found = self.read(ln, p, "profile_tasks", "task", task_of)
        return tuple(ProfileTaskRule(task, variants, arches) for task, variants, arches in found)

    def strategies(self, ln: LMap, p: str) -> tuple[StrategyRule, ...]:
        """``strategies: [{strategy, variants?, arches?}]``: first matching rule wins."""
        chk = self.chk

        def strategy_of(rule: LMap, path: str) -> str | None:
            strategy = chk.string(rule, "strategy", path)
            if strategy is not None and strategy not in STRATEGIES:
                hint = suggest(strategy, STRATEGIES)
                chk.add(rule.key_lines["strategy"], path, f"unknown strategy {strategy!r}{hint}")
                return None
            return strategy

        found = self.read(ln, p, "strategies", "strategy", strategy_of)
        return tuple(StrategyRule(s, variants, arches) for s, variants, arches in found)
