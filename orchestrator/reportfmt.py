"""The repo-info "remote" report formatter: facts in, exact markdown out. Pure (no I/O).

The grammar is docker-library/repo-info's (``repos/<image>/remote/<tag>.md``): see
``REPORT-FORMAT.md``. Two styles: ``2019`` reproduces the generator of that time byte for byte
(the seed report ``python-3.8-rc.report.md`` is the golden test), ``current`` the later one
(``Platforms: N``, BuildKit history forms, attestation entries).

Inputs are plain frozen dataclasses (``Report`` → ``Image`` → ``Layer``/``HistoryEntry``). The
helpers that turn registry documents (list entry, image manifest, config JSON, ``Last-Modified``
headers) into them live here too, so the golden test and the live collector (``report``)
share one path from documents to text.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_tz
from typing import Any, Literal

from orchestrator.oci import MANIFEST_V1, MANIFEST_V2, SCHEMA1_TYPES

Style = Literal["2019", "current"]
STYLES: tuple[Style, ...] = ("2019", "current")
# The grammar of today's generator: it reads BuildKit history (``RUN … # buildkit``, ``ENV k=v``),
# which is what ``docker buildx build`` writes; the 2019 one would print ``RUN RUN …`` for it.
DEFAULT_STYLE: Style = "current"

# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class PlatformSpec:
    """A manifest-list entry's ``platform`` object (or the config's os/architecture)."""

    os: str | None = None
    architecture: str | None = None
    variant: str | None = None
    os_version: str | None = None
    os_features: tuple[str, ...] = ()
    features: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, obj: Mapping[str, Any] | None) -> PlatformSpec:
        obj = obj or {}
        return cls(
            os=obj.get("os") or None,
            architecture=obj.get("architecture") or None,
            variant=obj.get("variant") or None,
            os_version=obj.get("os.version") or None,
            os_features=tuple(obj.get("os.features") or ()),
            features=tuple(obj.get("features") or ()),
        )


@dataclass(frozen=True)
class Layer:
    """A layer descriptor of an image manifest, plus the date a HEAD of it gave (if any)."""

    digest: str
    size: int | None
    media_type: str | None
    last_modified: str | None = None  # the raw Last-Modified header
    urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryEntry:
    created: str | None
    created_by: str
    empty_layer: bool = False


@dataclass(frozen=True)
class Image:
    """One platform's image: manifest facts and the config fields the report uses."""

    platform: PlatformSpec
    digest: str | None  # the entry's own manifest digest; None for a single-manifest tag
    config_digest: str
    manifest_media_type: str = MANIFEST_V2
    docker_version: str | None = None
    entrypoint: Any = None
    cmd: Any = None
    shell: tuple[str, ...] | None = None
    history: tuple[HistoryEntry, ...] = ()
    layers: tuple[Layer, ...] = ()

    @property
    def total_size(self) -> int:
        return sum(layer.size or 0 for layer in self.layers)


@dataclass(frozen=True)
class Report:
    """A tag's facts. ``digest is None`` means the tag does not exist."""

    ref: str  # the reference as requested, e.g. "python:3.8-rc"
    name: str  # what `docker pull NAME@…` shows, e.g. "python"
    digest: str | None = None
    media_type: str | None = None
    is_list: bool = True
    images: tuple[Image, ...] = field(default_factory=tuple)

    @property
    def exists(self) -> bool:
        return self.digest is not None


# --------------------------------------------------------------------------- helpers


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


def platform_string(p: PlatformSpec) -> str:
    """``linux; arm variant v7``, ``windows version 10.0.17763.615; amd64``, ``unknown; …``."""
    left = p.os or "linux"
    if p.os_version:
        left += f" version {p.os_version}"
    if p.os_features:
        left += " ft. " + ", ".join(p.os_features)
    right = p.architecture or "amd64"
    if p.variant:
        right += f" variant {p.variant}"
    if p.features:
        right += " ft. " + ", ".join(p.features)
    return f"{left}; {right}"


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


# --------------------------------------------------------------------------- documents → facts


def image_from_documents(
    *,
    platform: PlatformSpec,
    digest: str | None,
    manifest: Mapping[str, Any],
    manifest_media_type: str | None,
    config_digest: str,
    config: Mapping[str, Any] | None,
    last_modified: Mapping[str, str | None],
    head_sizes: Mapping[str, int | None] | None = None,
    head_types: Mapping[str, str | None] | None = None,
) -> Image:
    """An ``Image`` from an image manifest, its config JSON and the layers' HEAD answers.

    ``last_modified`` maps a layer digest to its ``Last-Modified`` header (absent or None: no
    date line). Descriptor sizes and media types win; HEAD values are only fall-backs.
    """
    cfg = config or {}
    inner = cfg.get("config") or {}
    shell = inner.get("Shell")
    layers = []
    for d in manifest.get("layers") or []:
        dg = str(d.get("digest", ""))
        sz = d.get("size")
        layers.append(
            Layer(
                digest=dg,
                size=int(sz) if sz is not None else (head_sizes or {}).get(dg),
                media_type=d.get("mediaType") or (head_types or {}).get(dg),
                last_modified=last_modified.get(dg),
                urls=tuple(d.get("urls") or ()),
            )
        )
    history = tuple(
        HistoryEntry(
            created=h.get("created"),
            created_by=str(h.get("created_by") or ""),
            empty_layer=bool(h.get("empty_layer")),
        )
        for h in cfg.get("history") or []
    )
    return Image(
        platform=platform,
        digest=digest,
        config_digest=config_digest,
        manifest_media_type=manifest_media_type or MANIFEST_V2,
        docker_version=cfg.get("docker_version") or None,
        entrypoint=inner.get("Entrypoint"),
        cmd=inner.get("Cmd"),
        shell=tuple(shell) if isinstance(shell, list) else None,
        history=history,
        layers=tuple(layers),
    )


def config_platform(config: Mapping[str, Any] | None) -> PlatformSpec:
    """The single-manifest platform: the config's ``os``/``architecture`` only."""
    cfg = config or {}
    return PlatformSpec(os=cfg.get("os") or None, architecture=cfg.get("architecture") or None)


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
