"""What changed between two JSON reports of a tag, as text. Pure.

``diff`` names the platforms added or missing, each changed platform's size change, and the
layers it gained or lost (sizes as the markdown prints them, ``markdown.size``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.report.markdown import size


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """What changed between two JSON reports of a tag, as text (one line per fact)."""
    lines = [f"{new.get('ref') or old.get('ref')}: {old.get('digest')} -> {new.get('digest')}"]
    if old.get("digest") == new.get("digest"):
        lines.append("  unchanged (same digest)")
        return "\n".join(lines) + "\n"
    before = {p["platform"]: p for p in old.get("platforms") or []}
    after = {p["platform"]: p for p in new.get("platforms") or []}
    for name in after:
        if name not in before:
            lines.append(f"+ {name}: added ({size(after[name]['size'])})")
    for name in before:
        if name not in after:
            lines.append(f"- {name}: missing (was {size(before[name]['size'])})")
    for name, a in after.items():
        b = before.get(name)
        if b is None:
            continue
        if a.get("digest") == b.get("digest"):
            lines.append(f"= {name}: unchanged")
            continue
        change = a["size"] - b["size"]
        lines.append(
            f"~ {name}: size {size(b['size'])} -> {size(a['size'])} ({_signed(change)} bytes)"
        )
        old_layers = [layer["digest"] for layer in b.get("layers") or []]
        new_layers = [layer["digest"] for layer in a.get("layers") or []]
        old_set, new_set = set(old_layers), set(new_layers)  # membership in O(1), not O(n)
        kept = len(old_set & new_set)
        lines.append(f"    layers: {kept} kept")
        sizes = {layer["digest"]: layer.get("size") for layer in a.get("layers") or []}
        sizes_old = {layer["digest"]: layer.get("size") for layer in b.get("layers") or []}
        lines += [f"    + {d} ({size(sizes[d] or 0)})" for d in new_layers if d not in old_set]
        lines += [f"    - {d} ({size(sizes_old[d] or 0)})" for d in old_layers if d not in new_set]
    return "\n".join(lines) + "\n"
