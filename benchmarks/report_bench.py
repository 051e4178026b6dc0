"""Wall time of ``orchestrate report`` for a 10-platform manifest list on the local registry.

Usage: ``.venv/bin/python benchmarks/report_bench.py [--registry localhost:5000] [--runs 20]``

Pushes (once per run of this script, under a unique repository name) a manifest list of ten
images through the registry API: seven Linux platforms and three FAKE Windows ones (no Windows
engine exists here; their foreign base layers point at a loopback HTTP server started by this
script, which answers HEAD with a Last-Modified). Each image has a config with a history and
five layers. Then it times the whole report (manifest list, 10 manifests, 10 configs, every
layer HEAD, concurrently; render markdown and JSON) ``--runs`` times with a fresh client each
time (no connection reuse between runs) and prints min/median/max. Results go in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from orchestrator import log, oci, registry, report

PLATFORMS: list[dict[str, str]] = [
    {"os": "linux", "architecture": "amd64"},
    {"os": "linux", "architecture": "arm", "variant": "v5"},
    {"os": "linux", "architecture": "arm", "variant": "v7"},
    {"os": "linux", "architecture": "arm64", "variant": "v8"},
    {"os": "linux", "architecture": "386"},
    {"os": "linux", "architecture": "ppc64le"},
    {"os": "linux", "architecture": "s390x"},
    {"os": "windows", "architecture": "amd64", "os.version": "10.0.14393.3085"},
    {"os": "windows", "architecture": "amd64", "os.version": "10.0.17134.885"},
    {"os": "windows", "architecture": "amd64", "os.version": "10.0.17763.615"},
]


class _Cdn(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Last-Modified", "Tue, 18 Sep 2018 20:20:50 GMT")
        self.send_header("Content-Length", "0")
        self.end_headers()


def push_list(client: registry.Client, repo: str, cdn: str) -> str:
    entries = []
    for n, platform in enumerate(PLATFORMS):
        windows = platform["os"] == "windows"
        config = {
            "architecture": platform["architecture"],
            "os": platform["os"],
            "config": {"Cmd": ["python3"]},
            "history": [
                {"created": f"2019-08-03T01:24:{i:02d}.5Z", "created_by": f"/bin/sh -c step {i}"}
                for i in range(18)
            ],
        }
        config_bytes = json.dumps(config).encode()
        layers = []
        if windows:
            fake = "sha256:" + hashlib.sha256(f"{repo}{n}".encode()).hexdigest()
            layers.append(
                {
                    "mediaType": oci.FOREIGN_LAYER,
                    "size": 4069985900,
                    "digest": fake,
                    "urls": [f"{cdn}/{fake}"],
                }
            )
        for i in range(5):
            blob = f"{repo} platform {n} layer {i}".encode() * 50
            digest = client.upload_blob(repo, blob)
            layers.append({"mediaType": oci.LAYER, "size": len(blob), "digest": digest})
        config_digest = client.upload_blob(repo, config_bytes)
        manifest = oci.image_manifest(config_digest, len(config_bytes), layers)
        body = json.dumps(manifest).encode()
        digest = client.put_manifest(repo, oci.digest(body), body, oci.MANIFEST_V2)
        entries.append(
            {"mediaType": oci.MANIFEST_V2, "size": len(body), "digest": digest,
             "platform": platform}
        )  # fmt: skip
    body = json.dumps(
        {"schemaVersion": 2, "mediaType": oci.MANIFEST_LIST, "manifests": entries}
    ).encode()
    client.put_manifest(repo, "bench", body, oci.MANIFEST_LIST)
    return f"{client.host}/{repo}:bench"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--registry", default="localhost:5000")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    log.configure(-1, "console")  # warnings only: the timing line is the output

    cdn = ThreadingHTTPServer(("127.0.0.1", 0), _Cdn)
    threading.Thread(target=cdn.serve_forever, args=(0.05,), daemon=True).start()
    repo = f"orchestrate-bench/report-{uuid.uuid4().hex[:8]}"
    ref_text = push_list(
        registry.Client(args.registry), repo, f"http://127.0.0.1:{cdn.server_address[1]}"
    )
    ref = registry.parse_reference(ref_text)

    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        rep = report.collect(ref, registry.Client(ref.registry))
        report.render(rep)
        json.dumps(report.to_json(rep, ref))
        times.append(time.perf_counter() - start)
    layers = sum(len(i.layers) for i in rep.images)
    cdn.shutdown()
    print(
        f"report of {ref_text}: {len(rep.images)} platforms, {layers} layers, "
        f"{args.runs} runs: min {min(times) * 1000:.0f} ms, "
        f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
