"""The repo-info "remote" report's markdown: a ``Report`` in, the exact text out. Pure (no I/O).

The grammar is docker-library/repo-info's (``repos/<image>/remote/<tag>.md``): see
``REPORT-FORMAT.md``. Two styles: ``2019`` reproduces the generator of that time byte for byte
(the seed report ``python-3.8-rc.report.md`` is the golden test), ``current`` the later one
(``Platforms: N``, BuildKit history forms, attestation entries). The pieces of the grammar are
public because the JSON report and ``diff`` reuse them: ``size`` (base-1000 sizes), ``date``
(HTTP-dates in GMT), ``mojo_json`` (the generator's JSON quirks) and ``history_text`` (a
history entry as dockerfile lines).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_tz
from typing import Any, Literal

from orchestrator.oci import MANIFEST_V1, MANIFEST_V2, SCHEMA1_TYPES
from orchestrator.report.model import Image, Report, platform_string

Style = Literal["2019", "current"]
STYLES: tuple[Style, ...] = ("2019", "current")
# The grammar of today's generator: it reads BuildKit history (``RUN … # buildkit``, ``ENV k=v``),
# which is what ``docker buildx build`` writes; the 2019 one would print ``RUN RUN …`` for it.
DEFAULT_STYLE: Style = "current"

# --------------------------------------------------------------------------- sizes and dates


_UNITS = ("B", "KB", "MB", "GB", "TB")


def size(n: int) -> str:
    """``349.2 MB (349212491 bytes)``; base 1000, ``%.1f``, no byte count for plain bytes."""
    unit = 0
    while int(n / 1000**unit) > 1000 and unit + 1 < len(_UNITS):
        unit += 1
    text = "%.1f %s" % (n / 1000**unit, _UNITS[unit])  # noqa: UP031 - C printf rounding on purpose
    return text if unit == 0 else f"{text} ({n} bytes)"


_RFC3339 = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?\s*$"
)
_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _rolling_year(year: int, current_year: int) -> int:
    """Perl Time::Local's "rolling century" for two-digit years (50 years either side)."""
    breakpoint_ = (current_year + 50) % 100
    next_century = current_year - current_year % 100
    if breakpoint_ < 50:
        next_century += 100
    return year + (next_century - 100 if year > breakpoint_ else next_century)


def _http_date(ts: int) -> str:
    if ts < 0:
        return _EPOCH
    t = datetime.fromtimestamp(ts, tz=UTC)
    return (
        f"{_DAYS[t.weekday()]}, {t.day:02d} {_MONTHS[t.month - 1]} {t.year:04d} "
        f"{t.hour:02d}:{t.minute:02d}:{t.second:02d} GMT"
    )


def date(value: str | None, *, current_year: int | None = None) -> str:
    """An HTTP-date in GMT from an RFC 3339 time or an HTTP-date.

    Fractions are truncated, offsets applied; missing/unparsable/pre-1970 gives the epoch;
    years 0-99 are read in the rolling century around ``current_year`` (default: this year).
    """
    if not value:
        return _EPOCH
    ts: int | None = None
    m = _RFC3339.match(value)
    if m:
        year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
        if year < 100:
            year = _rolling_year(year, current_year or datetime.now(tz=UTC).year)
        try:
            ts = calendar.timegm(datetime(year, month, day, hour, minute, second).timetuple())
        except ValueError:
            return _EPOCH
        offset = m.group(7)
        if offset and offset not in ("Z", "z"):
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) >= 4 else 0)
            ts -= sign * minutes * 60
    else:
        parsed = parsedate_tz(value)
        if parsed is None:
            return _EPOCH
        year = parsed[0]
        if year < 100:
            year = _rolling_year(year, current_year or datetime.now(tz=UTC).year)
        try:
            ts = calendar.timegm((year, *parsed[1:6], 0, 0, 0)) - (parsed[9] or 0)
        except (ValueError, OverflowError):
            return _EPOCH
    return _http_date(ts)


# --------------------------------------------------------------------------- JSON and history lines


_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f"}
_JSON_ESCAPES.update({"\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _json_string(s: str, style: Style) -> str:
    out = []
    for ch in s:
        if ch in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[ch])
        elif ord(ch) < 0x20 or (style == "2019" and ch in "\u2028\u2029"):
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def mojo_json(value: Any, style: Style = DEFAULT_STYLE) -> str:
    """Compact JSON as Mojo::JSON prints it (``/`` escaped, raw UTF-8, sorted object keys)."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, str):
        return _json_string(value, style)
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, Mapping):
        items = (
            f"{_json_string(str(k), style)}:{mojo_json(value[k], style)}" for k in sorted(value)
        )
        return "{" + ",".join(items) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(mojo_json(v, style) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


_NOP = re.compile(r"^#\(nop\) +")
_INSTRUCTION = re.compile(r"^[A-Z]+ ")


def history_text(created_by: str, shell: Sequence[str] | None, style: Style = DEFAULT_STYLE) -> str:
    """The dockerfile line(s) a history entry's ``created_by`` renders as (section 4)."""
    cmd = created_by
    if style == "current" and cmd.startswith("RUN "):
        cmd = cmd[4:]
    prefixes = ["/bin/sh -c "]
    if shell:
        prefixes.append(" ".join(shell) + " ")
    args_line = None
    if cmd.startswith("|"):
        alternatives = "|".join(re.escape(p) for p in prefixes)
        m = re.match(rf"^\|\d+ (.*?) ({alternatives})", cmd, re.DOTALL)
        if not m:
            return f"# unable to parse image command string further:\n{cmd}"
        args_line = f"# ARGS: {m.group(1)}"
        cmd = cmd[m.start(2) :]
    for prefix in prefixes:
        if cmd.startswith(prefix):
            cmd = cmd[len(prefix) :]
            break
    nop = _NOP.match(cmd)
    if nop:
        text = cmd[nop.end() :]
    elif style == "current" and _INSTRUCTION.match(cmd):
        text = cmd
    else:
        text = "RUN " + cmd
    return f"{args_line}\n{text}" if args_line else text


# --------------------------------------------------------------------------- rendering


def _image_manifest_mime(image: Image) -> str:
    # The generator prints a constant here (not the manifest's own type): see the spec, 2.2.
    return MANIFEST_V1 if image.manifest_media_type in SCHEMA1_TYPES else MANIFEST_V2


def _image_section(report: Report, image: Image, style: Style) -> list[str]:
    out = ["", f"### `{report.ref}` - {platform_string(image.platform)}", ""]
    if image.digest:
        out += ["```console", f"$ docker pull {report.name}@{image.digest}", "```", ""]
    if image.docker_version:
        out.append(f"-\tDocker Version: {image.docker_version}")
    out.append(f"-\tManifest MIME: `{_image_manifest_mime(image)}`")
    out.append(f"-\tTotal Size: **{size(image.total_size)}**  ")
    out.append("\t(compressed transfer size, not on-disk size)")
    out.append(f"-\tImage ID: `{image.config_digest}`")
    if isinstance(image.entrypoint, list | tuple) and image.entrypoint:
        out.append(f"-\tEntrypoint: `{mojo_json(list(image.entrypoint), style)}`")
    if image.cmd is not None:
        cmd = list(image.cmd) if isinstance(image.cmd, tuple) else image.cmd
        out.append(f"-\tDefault Command: `{mojo_json(cmd, style)}`")
    if image.shell is not None:
        out.append(f"-\t`SHELL`: `{mojo_json(list(image.shell), style)}`")
    out += ["", "```dockerfile"]
    for entry in image.history:
        out.append(f"# {date(entry.created)}")
        out.append(history_text(entry.created_by, image.shell, style))
    out += ["```", "", "-\tLayers:"]
    for layer in image.layers:
        out.append(f"\t-\t`{layer.digest}`  ")
        if layer.last_modified is not None:
            out.append(f"\t\tLast Modified: {date(layer.last_modified)}  ")
        if layer.size is not None:
            out.append(f"\t\tSize: {size(layer.size)}  ")
        out.append(f"\t\tMIME: {layer.media_type or ''}")
    return out


def render(report: Report, style: Style = DEFAULT_STYLE) -> str:
    """The report's markdown, exactly (LF endings, TABs, hard-break spaces, one final LF)."""
    if style not in STYLES:
        raise ValueError(f"unknown report style {style!r} (one of {', '.join(STYLES)})")
    out = [f"## `{report.ref}`", ""]
    if not report.exists:
        out.append("**does not exist** (yet?)")
        return "\n".join(out) + "\n"
    out += ["```console", f"$ docker pull {report.name}@{report.digest}", "```", ""]
    if report.is_list:
        out.append(f"-\tManifest MIME: `{report.media_type}`")
    out.append("-\tPlatforms:" if style == "2019" else f"-\tPlatforms: {len(report.images)}")
    out += [f"\t-\t{platform_string(image.platform)}" for image in report.images]
    for image in report.images:
        out += _image_section(report, image, style)
    return "\n".join(out) + "\n"
