"""Where a report goes on disk: ``<out>/<repository>/<tag>.md`` and ``.json``, written atomically.

``write`` renders a collected ``Report`` in both forms and puts each file in place with
``files.write_atomic`` (temp file + ``os.replace``). ``publish_report`` is what ``build`` calls
after publishing a tag: collect it from the registry (``fetch.collect``), then ``write``.
"""

from __future__ import annotations

import json
from pathlib import Path

import structlog

from orchestrator import registry
from orchestrator.files import write_atomic
from orchestrator.report.document import to_json
from orchestrator.report.fetch import collect
from orchestrator.report.markdown import DEFAULT_STYLE, Style, render
from orchestrator.report.model import JobInfo, Report

log = structlog.get_logger(__name__)


def report_paths(out_dir: Path, ref: registry.Reference) -> tuple[Path, Path]:
    """``<out>/<repository>/<tag>.md`` and ``.json`` (``library/`` dropped, as repo-info does)."""
    repository = ref.repository.removeprefix("library/")
    tag = ref.tag or (ref.digest or "latest").replace(":", "-")
    base = out_dir / repository
    return base / f"{tag}.md", base / f"{tag}.json"


def write(
    report: Report,
    ref: registry.Reference,
    out_dir: Path,
    *,
    style: Style = DEFAULT_STYLE,
    job: JobInfo | None = None,
) -> tuple[Path, Path]:
    """Both files of ``report`` under ``out_dir``; their paths, markdown first."""
    md_path, json_path = report_paths(out_dir, ref)
    write_atomic(md_path, render(report, style))
    write_atomic(json_path, json.dumps(to_json(report, ref, job), indent=2) + "\n")
    log.info("report.written", ref=ref.text, markdown=str(md_path), json=str(json_path))
    return md_path, json_path


def publish_report(
    ref_text: str,
    out_dir: Path,
    *,
    registry_host: str | None = None,
    job: JobInfo | None = None,
    style: Style = DEFAULT_STYLE,
    client: registry.Client | None = None,
) -> tuple[Path, Path]:
    """What ``build`` calls after publishing a tag: collect, then write both files."""
    ref = registry.parse_reference(ref_text, registry_host)
    report = collect(ref, client or registry.Client(ref.registry))
    return write(report, ref, out_dir, style=style, job=job)
