"""Recover the registry facts behind the seed report, once: writes ``facts.json`` beside it.

Run: ``python tests/data/seed-facts/extract.py`` (reads ``python-3.8-rc.report.md`` beside it).

What it inverts — the repo-info generator's rendering of these registry documents:

* the manifest list (``Docker-Content-Digest`` and ``mediaType`` of the tag, each entry's
  ``platform`` object parsed back from ``linux; arm variant v5`` /
  ``windows version 10.0.14393.3085; amd64``, each entry's digest from its ``docker pull`` line);
* each image manifest (schema 2: ``config.digest`` from "Image ID"; ``layers[]`` with ``digest``,
  ``size`` from "(N bytes)" or "N.0 B", ``mediaType`` from "MIME");
* each config blob: ``docker_version``, ``config.Cmd``/``Entrypoint``/``Shell`` (Mojo JSON with
  ``\\/`` un-escaped), ``os``/``architecture``, and ``history[]`` with ``created`` and the RAW
  ``created_by`` the classic builder stored — section 4 of REPORT-FORMAT.md run backwards:
  ``RUN x`` → ``/bin/sh -c x`` (Linux) or ``<Shell joined> x`` (Windows);
  ``ADD``/``COPY`` → ``/bin/sh -c #(nop) ADD …`` (one space); other instructions →
  ``<prefix>#(nop)  INSTR …`` (two spaces, as the classic builder writes them); Windows base
  layers ``RUN Apply image …``/``RUN Install update …`` → ``Apply image …`` (no prefix);
  ``empty_layer`` set for the ``#(nop)`` entries that made no layer (every one but ADD/COPY on
  Linux; the Windows classic builder makes a layer per step);
* the ``Last-Modified`` header of each layer's HEAD (for foreign layers, the HEAD of the URL).

Not recoverable from the report, and therefore synthetic (they do not reach the output): the
nanosecond fraction of ``created`` (the generator truncates it; a deterministic fraction derived
from the line number is written so the golden test also exercises truncation), foreign layers'
``urls`` (a placeholder URL), the list entries' ``size``, ``rootfs`` and other config fields the
report never reads. Digests are the recorded ones (sha256 of the original registry bytes), not
hashes of these reconstructed documents.
"""

from __future__ import annotations

import json
import re
import sys
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEED = HERE / "python-3.8-rc.report.md"
OUT = HERE / "facts.json"
FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
UNITS = {"B": 1}


def mojo_unjson(text: str) -> Any:
    return json.loads(text)  # json.loads reads "\/" as "/" already


def parse_platform(text: str) -> dict[str, str]:
    left, right = text.split("; ")
    plat: dict[str, str] = {}
    os_name, _, version = left.partition(" version ")
    arch, _, variant = right.partition(" variant ")
    plat["architecture"] = arch
    plat["os"] = os_name
    if version:
        plat["os.version"] = version
    if variant:
        plat["variant"] = variant
    return plat


def rfc3339(http_date: str, n: int) -> str:
    when = parsedate_to_datetime(http_date)
    return when.strftime("%Y-%m-%dT%H:%M:%S") + f".{(n * 982451653) % 10**9:09d}Z"


def raw_created_by(line: str, shell: list[str] | None) -> tuple[str, bool]:
    """(created_by, empty_layer) for one rendered dockerfile line."""
    prefix = (" ".join(shell) + " ") if shell else "/bin/sh -c "
    instr, _, rest = line.partition(" ")
    if instr == "RUN":
        if shell and (rest.startswith(("Apply image ", "Install update "))):
            return rest, False
        return prefix + rest, False
    if instr in ("ADD", "COPY"):
        return f"{prefix}#(nop) {line}", False
    return f"{prefix}#(nop)  {line}", not shell


def parse_size(text: str) -> int:
    m = re.search(r"\((\d+) bytes\)", text)
    if m:
        return int(m.group(1))
    number, unit = text.split()
    assert unit == "B", text
    return int(float(number))


def extract(md: str) -> dict[str, Any]:  # noqa: PLR0912, PLR0915
    lines = md.split("\n")
    assert lines[-1] == ""
    ref = lines[0][4:-1]
    top_digest = lines[3].split("@", 1)[1]
    name = lines[3].split("$ docker pull ", 1)[1].split("@", 1)[0]
    top_type = lines[6].split("`")[1]
    sections: list[dict[str, Any]] = []
    i = 8
    while lines[i].startswith("\t-\t"):
        i += 1
    current: dict[str, Any] | None = None
    in_history = False
    history_lines: list[str] = []
    for line_no, line in enumerate(lines[i:], start=i + 1):
        if line.startswith("### "):
            current = {"platform": line.split(" - ", 1)[1], "layers": [], "config": {}}
            sections.append(current)
            continue
        if current is None:
            continue
        if line.startswith("$ docker pull "):
            current["digest"] = line.split("@", 1)[1]
        elif line.startswith("-\tDocker Version: "):
            current["docker_version"] = line.split(": ", 1)[1]
        elif line.startswith("-\tImage ID: "):
            current["config_digest"] = line.split("`")[1]
        elif line.startswith("-\tDefault Command: "):
            current["config"]["Cmd"] = mojo_unjson(line.split("`")[1])
        elif line.startswith("-\tEntrypoint: "):
            current["config"]["Entrypoint"] = mojo_unjson(line.split("`")[1])
        elif line.startswith("-\t`SHELL`: "):
            current["config"]["Shell"] = mojo_unjson(line.split("`")[3])
        elif line == "```dockerfile":
            in_history, history_lines = True, []
        elif in_history and line == "```":
            in_history = False
            current["history_lines"] = history_lines
            current["history_line_no"] = line_no
        elif in_history:
            history_lines.append(line)
        elif line.startswith("\t-\t`"):
            current["layers"].append({"digest": line.split("`")[1]})
        elif line.startswith("\t\tLast Modified: "):
            current["layers"][-1]["lastModified"] = line.split(": ", 1)[1].rstrip()
        elif line.startswith("\t\tSize: "):
            current["layers"][-1]["size"] = parse_size(line.split(": ", 1)[1].rstrip())
        elif line.startswith("\t\tMIME: "):
            current["layers"][-1]["mediaType"] = line.split(": ", 1)[1]

    manifests: dict[str, Any] = {}
    configs: dict[str, Any] = {}
    last_modified: dict[str, str] = {}
    entries = []
    for section in sections:
        platform = parse_platform(section["platform"])
        shell = section["config"].get("Shell")
        history = []
        pairs = section["history_lines"]
        assert len(pairs) % 2 == 0
        for k in range(0, len(pairs), 2):
            assert pairs[k].startswith("# "), pairs[k]
            created_by, empty = raw_created_by(pairs[k + 1], shell)
            item: dict[str, Any] = {
                "created": rfc3339(pairs[k][2:], section["history_line_no"] + k),
                "created_by": created_by,
            }
            if empty:
                item["empty_layer"] = True
            history.append(item)
        layers = []
        for layer in section["layers"]:
            descriptor: dict[str, Any] = {
                "mediaType": layer["mediaType"],
                "size": layer["size"],
                "digest": layer["digest"],
            }
            if layer["mediaType"] == FOREIGN:
                descriptor["urls"] = [f"https://foreign.example/{layer['digest']}"]
            layers.append(descriptor)
            if "lastModified" in layer:
                last_modified[layer["digest"]] = layer["lastModified"]
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 0,
                "digest": section["config_digest"],
            },
            "layers": layers,
        }
        manifests[section["digest"]] = manifest
        config: dict[str, Any] = {
            "architecture": platform["architecture"],
            "os": platform["os"],
            "config": section["config"],
            "history": history,
        }
        if "os.version" in platform:
            config["os.version"] = platform["os.version"]
        if "docker_version" in section:
            config["docker_version"] = section["docker_version"]
        configs[section["config_digest"]] = config
        entries.append(
            {
                "mediaType": manifest["mediaType"],
                "size": len(json.dumps(manifest, indent=3)),
                "digest": section["digest"],
                "platform": platform,
            }
        )
    return {
        "ref": ref,
        "name": name,
        "tag": {"digest": top_digest, "mediaType": top_type},
        "list": {"schemaVersion": 2, "mediaType": top_type, "manifests": entries},
        "manifests": manifests,
        "configs": configs,
        "lastModified": last_modified,
    }


def main() -> int:
    facts = extract(SEED.read_text(encoding="utf-8"))
    OUT.write_text(json.dumps(facts, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(facts['manifests'])} images)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
