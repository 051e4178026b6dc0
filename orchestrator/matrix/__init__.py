"""matrix.yml → frozen dataclasses, with a schema check that reports every problem at once.

``load(path)`` reads matrix.yml and either returns a ``Matrix`` or raises one ``ConfigError``
whose problems read ``matrix.yml:LINE: key.path: message`` (with a "did you mean" hint for
near-miss names). The package, one concern per module:

- ``model``: the frozen dataclasses (``Matrix``, ``Line``, ``Variant``…), ``FAMILIES``,
  ``STRATEGIES`` and ``DEFAULT_CONFORMANCE_TESTS``;
- ``loader``: ``load``/``loads``, and the YAML loader that records the line of every key and item
  (the ``LMap``/``LList`` it builds are in ``nodes``);
- ``checker``: the schema, section by section (``MatrixChecker``), on top of ``nodecheck``'s
  typed getters that collect problems instead of raising;
- ``rules``: the per-line rule lists (``profile_tasks``, ``strategies``), first match wins.

The tags of a line's variants are ``orchestrator.tags``. No I/O besides reading the one file; no
Docker, no subprocess.
"""

from __future__ import annotations

from orchestrator.matrix.loader import load, loads
from orchestrator.matrix.model import (
    AUTO,
    BUILD_STRATEGIES,
    CROSS,
    DEFAULT_CONFORMANCE_TESTS,
    EMULATE,
    FAMILIES,
    NATIVE,
    STRATEGIES,
    Defaults,
    Line,
    Matrix,
    Pip,
    ProfileTaskRule,
    StrategyRule,
    Variant,
)

# What ``from orchestrator.matrix import X`` and ``matrixmod.X`` have always given.
__all__ = [
    "AUTO",
    "BUILD_STRATEGIES",
    "CROSS",
    "DEFAULT_CONFORMANCE_TESTS",
    "EMULATE",
    "FAMILIES",
    "NATIVE",
    "STRATEGIES",
    "Defaults",
    "Line",
    "Matrix",
    "Pip",
    "ProfileTaskRule",
    "StrategyRule",
    "Variant",
    "load",
    "loads",
]
