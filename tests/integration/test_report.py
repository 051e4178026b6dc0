"""Reports of images really pushed to the farm's registry.

Linux images are built and pushed by the real engine (``docker buildx build --push``, two
platforms, joined by ``docker buildx imagetools create``); the report's every digest, size and
platform is checked against ``docker buildx imagetools inspect --raw`` and the blobs.

No Windows engine exists here, so a FAKE Windows image (named so: ``fake-windows``) is pushed
through the registry API: a config with ``"os": "windows"``, ``os.version``, a classic-builder
history and a Shell; a manifest whose base layer is foreign
(``application/vnd.docker.image.rootfs.foreign.diff.tar.gzip``) with ``urls`` pointing at a
loopback HTTP server started here (Microsoft's CDN is unreachable), which answers HEAD with a
``Last-Modified``: the foreign-URL date path runs for real.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from orchestrator import cli, oci, proc, registry, report
from tests.fakes.http import Quiet, serving
from tests.fakes.windows import push_fake_windows_image

RUN_ID = uuid.uuid4().hex[:10]
FOREIGN_DATE = "Tue, 18 Sep 2018 20:20:50 GMT"
WINDOWS_SHELL = [
    "powershell",
    "-Command",
    "$ErrorActionPreference = 'Stop'; $ProgressPreference = 'SilentlyContinue';",
]
FAKE_WINDOWS_HISTORY = [
    {
        "created": "2019-07-05T15:56:18.123456789Z",
        "created_by": "Apply image 1809-RTM-amd64",
    },
    {
        "created": "2019-07-10T12:41:26.5Z",
        "created_by": " ".join(WINDOWS_SHELL) + " #(nop)  SHELL [" + " ".join(WINDOWS_SHELL) + "]",
    },
    {
        "created": "2019-08-01T21:20:00Z",
        "created_by": " ".join(WINDOWS_SHELL) + " Write-Host ('fake {0}' -f $env:X)",
    },
]


@pytest.fixture(scope="module")
def host(farm: Any) -> str:
    return str(farm.registry)


@pytest.fixture(scope="module")
def client(host: str) -> registry.Client:
    return registry.Client(host)


@pytest.fixture(scope="module")
def foreign_server() -> Iterator[str]:
    """A loopback stand-in for the Windows base-layer CDN: HEAD answers with a date."""

    class Handler(Quiet, BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self.send_response(200)
            self.send_header("Last-Modified", FOREIGN_DATE)
            self.send_header("Content-Length", "4069985900")
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()

    with serving(Handler) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def linux_list(host: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """``<host>/orchestrate-test/report-<run>:list``: linux/amd64 + linux/386, really built."""
    context = tmp_path_factory.mktemp("ctx")
    (context / "hello.txt").write_text(f"hello from {RUN_ID}\n")
    (context / "Dockerfile").write_text(
        "FROM scratch\n"
        "ARG TARGETARCH\n"
        "COPY hello.txt /hello.txt\n"
        "ENV GREETING=hello\n"
        'CMD ["/hello"]\n'
    )
    repo = f"{host}/orchestrate-test/report-{RUN_ID}"
    for platform, tag in (("linux/amd64", "amd64"), ("linux/386", "386")):
        proc.run_command(
            [
                "docker", "buildx", "build", "--platform", platform, "--provenance=false",
                "--push", "--tag", f"{repo}:{tag}", str(context),
            ],
            timeout=600,
        )  # fmt: skip
    proc.run_command(
        ["docker", "buildx", "imagetools", "create", "-t", f"{repo}:list",
         f"{repo}:amd64", f"{repo}:386"],
        timeout=300,
    )  # fmt: skip
    return f"{repo}:list"


def _inspect_raw(ref: str) -> bytes:
    done = proc.run_command(
        ["docker", "buildx", "imagetools", "inspect", "--raw", ref], timeout=120
    )
    return done.stdout.encode()


def test_linux_list_agrees_with_imagetools_and_blobs(
    linux_list: str, client: registry.Client
) -> None:
    ref = registry.parse_reference(linux_list)
    md = report.render(report.collect(ref, client), "2019")
    raw = _inspect_raw(linux_list)
    top = json.loads(raw)
    # imagetools prints the stored bytes (perhaps without the final newline): compare the JSON,
    # and the digest against what the registry says for the exact bytes.
    head = client.head_manifest(ref.repository, "list")
    assert head is not None and head.digest is not None
    assert f"$ docker pull {ref.name}@{head.digest}\n" in md
    assert f"-\tManifest MIME: `{top['mediaType']}`\n" in md
    strings = []
    for entry in top["manifests"]:
        plat = report.PlatformSpec.from_json(entry["platform"])
        strings.append(report.platform_string(plat))
        assert f"$ docker pull {ref.name}@{entry['digest']}\n" in md
        image = json.loads(_inspect_raw(f"{ref.name}@{entry['digest']}"))
        assert f"-\tImage ID: `{image['config']['digest']}`\n" in md
        config_bytes = client.get_blob(ref.repository, image["config"]["digest"])
        assert hashlib.sha256(config_bytes).hexdigest() == image["config"]["digest"][7:]
        config = json.loads(config_bytes)
        total = 0
        for layer in image["layers"]:
            blob = client.get_blob(ref.repository, layer["digest"])
            assert len(blob) == layer["size"]
            assert hashlib.sha256(blob).hexdigest() == layer["digest"][7:]
            total += layer["size"]
            assert f"\t-\t`{layer['digest']}`  \n\t\tSize: {report.size(layer['size'])}  \n" in md
            assert f"\t\tMIME: {layer['mediaType']}\n" in md
        assert f"-\tTotal Size: **{report.size(total)}**  \n" in md
        for h in config["history"]:
            assert report.history_text(h["created_by"], None) in md
    assert strings == ["linux; amd64", "linux; 386"]
    assert "-\tPlatforms:\n\t-\tlinux; amd64\n\t-\tlinux; 386\n" in md
    assert '-\tDefault Command: `["\\/hello"]`\n' in md
    assert "Last Modified" not in md  # the local registry sends none; the line is omitted


def test_mixed_linux_and_fake_windows_list(
    linux_list: str, client: registry.Client, foreign_server: str, tmp_path: Path
) -> None:
    ref = registry.parse_reference(linux_list)
    windows = push_fake_windows_image(
        client,
        ref.repository,
        run_id=RUN_ID,
        os_version="10.0.17763.615",
        docker_version="18.03.1-ee-4",
        shell=WINDOWS_SHELL,
        history=FAKE_WINDOWS_HISTORY,
        foreign_url=foreign_server,
        foreign_size=4069985900,
    )
    linux_entries = json.loads(_inspect_raw(linux_list))["manifests"]
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": oci.MANIFEST_LIST,
            "manifests": [*linux_entries, windows.list_entry()],
        },
        indent=3,
    ).encode()
    digest = client.put_manifest(ref.repository, "mixed", body, oci.MANIFEST_LIST)
    assert digest == "sha256:" + hashlib.sha256(body).hexdigest()

    mixed = f"{ref.name}:mixed"
    assert cli.main(["report", mixed, "--out", str(tmp_path)]) == 0
    md = (tmp_path / ref.repository / "mixed.md").read_text(encoding="utf-8")
    win = md.split("### `" + mixed + "` - windows version 10.0.17763.615; amd64\n", 1)[1]
    assert f"$ docker pull {ref.name}@{windows.digest}\n" in win
    assert "-\tDocker Version: 18.03.1-ee-4\n" in win
    assert (
        '-\t`SHELL`: `["powershell","-Command","$ErrorActionPreference = \'Stop\'; '
        "$ProgressPreference = 'SilentlyContinue';\"]`\n"
    ) in win
    assert "# Fri, 05 Jul 2019 15:56:18 GMT\nRUN Apply image 1809-RTM-amd64\n" in win
    assert "\nSHELL [powershell -Command $ErrorActionPreference = 'Stop'; " in win
    assert "\nRUN Write-Host ('fake {0}' -f $env:X)\n" in win
    assert (
        f"\t\tLast Modified: {FOREIGN_DATE}  \n\t\tSize: 4.1 GB (4069985900 bytes)  \n"
        f"\t\tMIME: {oci.FOREIGN_LAYER}\n"
    ) in win
    assert win.count("Last Modified") == 1  # the registry-held layer has none
    data = json.loads((tmp_path / ref.repository / "mixed.json").read_text(encoding="utf-8"))
    assert data["digest"] == digest
    assert [p["platform"] for p in data["platforms"]] == [
        "linux; amd64",
        "linux; 386",
        "windows version 10.0.17763.615; amd64",
    ]
    assert data["platforms"][2]["shell"] == WINDOWS_SHELL


def test_missing_tag_does_not_exist(linux_list: str, client: registry.Client) -> None:
    ref = registry.parse_reference(linux_list.rsplit(":", 1)[0] + ":no-such-tag")
    assert report.render(report.collect(ref, client)) == (
        f"## `{ref.text}`\n\n**does not exist** (yet?)\n"
    )
    never = registry.parse_reference(f"{ref.registry}/orchestrate-test/never-{RUN_ID}:x")
    assert "**does not exist** (yet?)" in report.render(report.collect(never, client))
