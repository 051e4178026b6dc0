"""Collecting facts, the JSON report, atomic writing, --diff and the command, against the
in-process fake registry of tests/fakes/registry.py (real HTTP on 127.0.0.1; a stand-in, named
as such)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator import cli, oci, registry, report, retrying
from orchestrator.errors import ConfigError
from tests.fakes.registry import FakeRegistry, fake  # noqa: F401 - the fixture

LAYER = oci.LAYER


def _push_image(
    fake: FakeRegistry,  # noqa: F811
    client: registry.Client,
    repo: str,
    *,
    os_: str,
    arch: str,
    layers: list[bytes],
    extra_layers: list[dict[str, Any]] | None = None,
    config_extra: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    config = {
        "os": os_,
        "architecture": arch,
        "config": {"Cmd": ["python3"]},
        "history": [{"created": "2019-07-09T21:21:51.9Z", "created_by": "/bin/sh -c true"}],
        **(config_extra or {}),
    }
    config_bytes = json.dumps(config).encode()
    config_digest = client.upload_blob(repo, config_bytes)
    descriptors = [
        {"mediaType": LAYER, "size": len(b), "digest": client.upload_blob(repo, b)} for b in layers
    ]
    manifest = oci.image_manifest(
        config_digest, len(config_bytes), (extra_layers or []) + descriptors
    )
    body = json.dumps(manifest).encode()
    digest = client.put_manifest(repo, oci.digest(body), body, oci.MANIFEST_V2)
    return digest, {"mediaType": oci.MANIFEST_V2, "size": len(body), "digest": digest}


@pytest.fixture
def client(fake: FakeRegistry) -> registry.Client:  # noqa: F811
    return registry.Client(fake.host, policy=retrying.NO_WAIT, load_credentials=False, timeout=5)


def _mixed_list(fake: FakeRegistry, client: registry.Client, repo: str = "py") -> str:  # noqa: F811
    fake.blobs["sha256:" + "f" * 64] = b"x" * 4069  # served by the fake CDN with a date
    _, linux = _push_image(fake, client, repo, os_="linux", arch="amd64", layers=[b"a" * 1500])
    _, win = _push_image(
        fake,
        client,
        repo,
        os_="windows",
        arch="amd64",
        layers=[b"w" * 234],
        extra_layers=[
            {
                "mediaType": oci.FOREIGN_LAYER,
                "size": 4069985900,
                "digest": "sha256:" + "f" * 64,
                "urls": [f"http://{fake.host}/cdn/sha256:" + "f" * 64],
            }
        ],
        config_extra={
            "os.version": "10.0.17763.615",
            "config": {"Cmd": ["python"], "Shell": ["powershell", "-Command"]},
        },
    )
    linux["platform"] = {"os": "linux", "architecture": "amd64"}
    win["platform"] = {"os": "windows", "architecture": "amd64", "os.version": "10.0.17763.615"}
    body = json.dumps(
        {"schemaVersion": 2, "mediaType": oci.MANIFEST_LIST, "manifests": [linux, win]}
    ).encode()
    return client.put_manifest(repo, "3.8-rc", body, oci.MANIFEST_LIST)


def test_collect_a_mixed_list(fake: FakeRegistry, client: registry.Client) -> None:  # noqa: F811
    fake.redirects = 0  # registry blobs answered directly: no Last-Modified, like the local one
    top = _mixed_list(fake, client)
    ref = registry.parse_reference(f"{fake.host}/py:3.8-rc")
    rep = report.collect(ref, client)
    assert rep.digest == top and rep.is_list
    assert [report.platform_string(i.platform) for i in rep.images] == [
        "linux; amd64",
        "windows version 10.0.17763.615; amd64",
    ]
    linux, win = rep.images
    assert linux.layers[0].last_modified is None
    assert win.layers[0].media_type == oci.FOREIGN_LAYER
    assert win.layers[0].last_modified == "Tue, 09 Jul 2019 21:38:07 GMT"  # from the URL's HEAD
    assert win.total_size == 4069985900 + 234
    text = report.render(rep)
    assert f"$ docker pull {fake.host}/py@{top}\n" in text
    assert "\t\tLast Modified: Tue, 09 Jul 2019 21:38:07 GMT  \n\t\tSize: 4.1 GB" in text
    assert '-\t`SHELL`: `["powershell","-Command"]`' in text
    assert text.count("Last Modified") == 1


def test_collect_single_manifest_and_missing_tag(
    fake: FakeRegistry,  # noqa: F811
    client: registry.Client,
) -> None:
    digest, _ = _push_image(fake, client, "one", os_="linux", arch="386", layers=[b"z"])
    body = fake.manifests[("one", digest)][0]
    client.put_manifest("one", "1", body, oci.MANIFEST_V2)
    rep = report.collect(registry.parse_reference(f"{fake.host}/one:1"), client)
    assert not rep.is_list and rep.images[0].digest is None
    assert "-\tPlatforms:\n\t-\tlinux; 386\n\n### " in report.render(rep, "2019")
    gone = report.collect(registry.parse_reference(f"{fake.host}/one:2"), client)
    assert report.render(gone).endswith("**does not exist** (yet?)\n")


def test_json_write_and_diff(
    fake: FakeRegistry,  # noqa: F811
    client: registry.Client,
    tmp_path: Path,
) -> None:
    _mixed_list(fake, client)
    ref = registry.parse_reference(f"{fake.host}/py:3.8-rc")
    job = report.JobInfo("published", 12.5, "ck-123")
    md, js = report.write(report.collect(ref, client), ref, tmp_path / "old", job=job)
    assert md == tmp_path / "old" / "py" / "3.8-rc.md"
    old = report.load_json(js)
    assert old["schemaVersion"] == 1
    assert old["job"] == {"status": "published", "durationSeconds": 12.5, "contentKey": "ck-123"}
    assert [p["platform"] for p in old["platforms"]] == [
        "linux; amd64",
        "windows version 10.0.17763.615; amd64",
    ]
    assert old["platforms"][1]["osVersion"] == "10.0.17763.615"
    assert old["platforms"][1]["layers"][0]["urls"]
    assert not list((tmp_path / "old" / "py").glob(".*"))  # no temp files left

    # a new release: linux rebuilt with another layer, windows dropped, arm64 added
    _, linux = _push_image(fake, client, "py", os_="linux", arch="amd64", layers=[b"b" * 2500])
    _, arm = _push_image(fake, client, "py", os_="linux", arch="arm64", layers=[b"c"])
    linux["platform"] = {"os": "linux", "architecture": "amd64"}
    arm["platform"] = {"os": "linux", "architecture": "arm64", "variant": "v8"}
    body = json.dumps({"mediaType": oci.MANIFEST_LIST, "manifests": [linux, arm]}).encode()
    client.put_manifest("py", "3.8-rc", body, oci.MANIFEST_LIST)
    _, js2 = report.write(report.collect(ref, client), ref, tmp_path / "new")
    text = report.diff(old, report.load_json(js2))
    assert "+ linux; arm64 variant v8: added (1.0 B)" in text
    assert "- windows version 10.0.17763.615; amd64: missing (was 4.1 GB" in text
    assert "~ linux; amd64: size 1.5 KB (1500 bytes) -> 2.5 KB (2500 bytes) (+1000 bytes)" in text
    assert "    layers: 0 kept" in text
    assert report.diff(old, old).endswith("unchanged (same digest)\n")


def test_load_json_refuses_foreign_files(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"schemaVersion": 7}')
    with pytest.raises(ConfigError, match=r"x\.json: schemaVersion"):
        report.load_json(bad)
    with pytest.raises(ConfigError, match="no such report"):
        report.load_json(tmp_path / "missing.json")


def test_command_prints_md_json_writes_out_and_diffs(
    fake: FakeRegistry,  # noqa: F811
    client: registry.Client,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _mixed_list(fake, client, "library/py")  # where `py:3.8-rc --registry HOST` looks
    _mixed_list(fake, client)
    capsys.readouterr()
    assert cli.main(["report", "py:3.8-rc", "--registry", fake.host, "--style", "current"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## `py:3.8-rc`\n") and "-\tPlatforms: 2\n" in out
    assert "$ docker pull py@sha256:" in out  # --registry keeps the short name
    assert cli.main(["report", f"{fake.host}/py:3.8-rc", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["tag"] == "3.8-rc"
    assert cli.main(["report", f"{fake.host}/py:3.8-rc", "--out", str(tmp_path)]) == 0
    written = tmp_path / "py" / "3.8-rc.json"
    assert written.is_file() and (tmp_path / "py" / "3.8-rc.md").is_file()
    capsys.readouterr()
    assert cli.main(["report", "--diff", str(written), str(written)]) == 0
    assert "unchanged" in capsys.readouterr().out
    assert cli.main(["report"]) == 2
    assert "name at least one REF" in capsys.readouterr().err
