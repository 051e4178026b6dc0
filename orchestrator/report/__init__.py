"""Release reports in the repo-info "remote" style: a tag's facts, as markdown and JSON.

One concern per module; only ``fetch`` and ``publish`` reach beyond the process:

- ``model``: the frozen dataclasses a report is made of, and registry documents → them. Pure.
- ``markdown``: the repo-info markdown grammar (``render``, in the ``2019`` or ``current``
  style). Pure.
- ``document``: the report's JSON form (``to_json``, ``load_json``, ``SCHEMA_VERSION``). Pure.
- ``compare``: what changed between two JSON reports (``diff``). Pure.
- ``fetch``: reading a tag's facts from the registry (``collect``, ``collect_many``).
- ``publish``: where a report goes on disk (``report_paths``, ``write``, ``publish_report``).

The names other code uses are re-exported here (``report.collect``, ``report.render``,
``report.publish_report`` …). The pure modules import their siblings directly, never this
package, so importing them does not pull in the registry client.
"""

from __future__ import annotations

from orchestrator.report.compare import diff
from orchestrator.report.document import SCHEMA_VERSION, load_json, to_json
from orchestrator.report.fetch import WORKERS, collect, collect_many
from orchestrator.report.markdown import (
    DEFAULT_STYLE,
    STYLES,
    Style,
    date,
    history_text,
    mojo_json,
    render,
    size,
)
from orchestrator.report.model import (
    HistoryEntry,
    Image,
    JobInfo,
    Layer,
    PlatformSpec,
    Report,
    config_platform,
    image_from_documents,
    platform_string,
)
from orchestrator.report.publish import publish_report, report_paths, write

__all__ = [
    "DEFAULT_STYLE",
    "SCHEMA_VERSION",
    "STYLES",
    "WORKERS",
    "HistoryEntry",
    "Image",
    "JobInfo",
    "Layer",
    "PlatformSpec",
    "Report",
    "Style",
    "collect",
    "collect_many",
    "config_platform",
    "date",
    "diff",
    "history_text",
    "image_from_documents",
    "load_json",
    "mojo_json",
    "platform_string",
    "publish_report",
    "render",
    "report_paths",
    "size",
    "to_json",
    "write",
]
