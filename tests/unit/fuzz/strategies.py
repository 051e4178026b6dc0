"""What the fuzz tests share: the two settings profiles and the strategies of hostile values.

``BOUNDED`` is what the default test run uses (a few seconds per parser); ``LONG`` is for the
tests marked ``slow`` (``scripts/test -m slow tests/unit/fuzz``): many more examples, no
deadline. A test fails on any exception that is not an ``OrchestratorError``, and on an example
slower than the deadline (a parser that hangs on some input is a bug too).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from orchestrator.errors import OrchestratorError

BOUNDED_EXAMPLES = 150
LONG_EXAMPLES = 5_000

BOUNDED = settings(
    max_examples=BOUNDED_EXAMPLES,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
LONG = settings(
    max_examples=LONG_EXAMPLES,
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)


def only_our_errors(parse: Callable[[], object]) -> None:
    """Run ``parse``: it may succeed or raise an OrchestratorError, nothing else."""
    try:
        parse()
    except OrchestratorError as exc:
        assert str(exc), "an error with no message"


# Text as hostile files hold it: every code point, control characters and surrogates' escapes
# included, with a bias to the characters YAML and JSON give meaning to.
SYNTAX = st.sampled_from([*":-[]{},#&*!|>'\"%@`\n\t ?\\", "\x00", "\x07", "\ufeff", "\u2028"])
HOSTILE_TEXT = st.text(st.one_of(st.characters(), SYNTAX), max_size=200)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["3.13", "3.13.5", "amd64", "bookworm", "modern", "debian", "true", "1"]),
)
KEYS = st.one_of(st.text(max_size=20), st.integers(), st.booleans(), st.none(), st.floats())


def values(keys: st.SearchStrategy[Any] = KEYS) -> st.SearchStrategy[Any]:
    """Nested lists and mappings of hostile scalars."""
    return st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)
        ),
        max_leaves=12,
    )


JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and indexes) into ``doc``, the root included."""
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += paths(value, (*prefix, i))
    return found


Mutation = tuple[tuple[Any, ...], str, Any]


def mutations(doc: Any, new_values: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Mutation]]:
    """One to four changes of ``doc``: a value replaced, a key or item removed, a key added."""
    return st.lists(
        st.tuples(
            st.sampled_from(paths(doc)),
            st.sampled_from(["replace", "delete", "add"]),
            new_values,
        ),
        min_size=1,
        max_size=4,
    )


def mutate(doc: Any, changes: list[Mutation], new_key: Any = "added") -> Any:
    """``doc`` with ``changes`` applied (each as far as the path still exists)."""
    out = copy.deepcopy(doc)
    for path, how, value in changes:
        if not path:
            out = value if how == "replace" else out
            continue
        parent: Any = out
        for step in path[:-1]:
            try:
                parent = parent[step]
            except (KeyError, IndexError, TypeError):
                break
        else:
            last = path[-1]
            try:
                if how == "replace":
                    parent[last] = value
                elif how == "delete":
                    del parent[last]
                elif isinstance(parent, dict):
                    parent[new_key] = value
                elif isinstance(parent, list):
                    parent.insert(last, value)
            except (KeyError, IndexError, TypeError):
                pass
    return out
