"""``build``, ``manifest`` and ``report`` against the farm's htpasswd + TLS registry
(``localhost:5443``), with credentials from a docker config of the test's own (``DOCKER_CONFIG``
= a temporary folder; root's ``~/.docker`` is never read or written).

The registry is reached as the engine reaches it: its CA is the one the farm put in
``/etc/docker/certs.d/localhost:5443/``, and nothing tells the commands about it. With the
credentials the whole flow works (per-architecture build with ``--push-by-digest``, ``manifest``,
the same ``build`` publishing and reporting, ``report --out``); without them, or with a wrong
password, each command stops before building or publishing anything with exit 3 and one line
naming the registry, the user and the docker config. The password (a known one: the farm's,
read from its file) and its base64 forms then appear in nothing the commands wrote: every file
under the repository root, the results and report folders and the docker config folder (its
``config.json`` aside, where the test put it), and every stdout and stderr, with debug logging.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orchestrator import registry

DATA = Path(__file__).resolve().parents[1] / "data" / "build-family"
RUN_ID = uuid.uuid4().hex[:8]
VERSION = "3.11.2"
TAGS = ("3.11.2-tiny", "3.11-tiny", "3.11.2", "3.11")


@dataclass(frozen=True)
class Session:
    """One repository root, one docker config and everything the commands printed."""

    root: Path
    docker_config: Path
    outputs: list[str]

    def run(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "orchestrator.cli", "-C", str(self.root), "-v", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "CI": "1", "DOCKER_CONFIG": str(self.docker_config)},
            check=False,
        )
        self.outputs.extend([done.stdout, done.stderr])
        return done


def secrets_of(user: str, password: str) -> list[str]:
    """The password and the forms it travels in (Basic ``user:pass``, alone), base64 with and
    without padding, standard and URL-safe."""
    forms = [password]
    for raw in (f"{user}:{password}", password):
        for enc in (base64.b64encode, base64.urlsafe_b64encode):
            text = enc(raw.encode()).decode()
            forms += [text, text.rstrip("=")]
    return sorted(set(forms))


def docker_config(where: Path, auths: dict[str, Any]) -> Path:
    where.mkdir(parents=True)
    (where / "config.json").write_text(json.dumps({"auths": auths}))
    return where


def basic(user: str, password: str) -> dict[str, str]:
    return {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def auth(farm: Any) -> Any:
    if farm.auth_registry is None:
        pytest.fail("the farm has no auth registry (scripts/farm up makes one)", pytrace=False)
    return farm.auth_registry


def written_files(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*") if p.is_file())


def test_build_manifest_report_with_docker_config_credentials_and_no_secret_written(
    auth: Any, tmp_path: Path, local_images: list[str]
) -> None:
    host = auth.address
    repo = f"test11-creds-{RUN_ID}/python"
    root = tmp_path / "root"
    shutil.copytree(DATA, root)
    config = docker_config(tmp_path / "docker", {host: basic(auth.username, auth.password)})
    s = Session(root, config, [])
    target = ("--registry", host, "--repository", repo)

    slice_ = s.run("build", VERSION, "--arch", "amd64", *target, "--push-by-digest",
                   "--results", str(tmp_path / "out" / "amd64.json"))  # fmt: skip
    assert slice_.returncode == 0, slice_.stdout + slice_.stderr[-3000:]
    assert f"Jobs of {VERSION}: 1 built" in slice_.stdout
    listed = s.run("manifest", VERSION, "--results", str(tmp_path / "out" / "*.json"),
                   *target, "--keep-going", "--require", "amd64")  # fmt: skip
    assert listed.returncode == 0, listed.stdout + listed.stderr[-3000:]
    # the same build again: its job is found under its key tag, the lists are re-checked
    # (unchanged) and the reports are read back through the same credentials
    again = s.run("build", VERSION, "--arch", "amd64", *target)
    assert again.returncode == 0, again.stdout + again.stderr[-3000:]
    assert f"Jobs of {VERSION}: 1 skipped" in again.stdout
    assert sum(f"  unchanged  {t} " in again.stdout for t in TAGS) == 4
    shown = s.run("report", f"{host}/{repo}:{VERSION}", "--out", str(tmp_path / "reports"))
    assert shown.returncode == 0, shown.stdout + shown.stderr[-3000:]
    md = (tmp_path / "reports" / repo / f"{VERSION}.md").read_text()
    assert md.startswith(f"## `{host}/{repo}:{VERSION}`\n") and "Platforms: 1\n" in md

    client = registry.Client(host, credentials=registry.Credentials(auth.username, auth.password))
    for tag in TAGS:
        entries = client.get_manifest(repo, tag).json()["manifests"]
        assert [e["platform"]["architecture"] for e in entries] == ["amd64"]
    key_tags = [
        t
        for t in client.request("GET", f"/v2/{repo}/tags/list", repository=repo).json()["tags"]
        if t.startswith("build-")
    ]
    local_images += [f"{host}/{repo}:{t}" for t in key_tags]

    # the same commands without the credentials, then with a wrong password
    for name, auths, says in (
        ("none", {}, f"{host} wants credentials and the docker config"),
        ("wrong", {host: basic(auth.username, "not-the-password")},
         f"{host} refused the credentials of user '{auth.username}'"),
    ):  # fmt: skip
        bad = Session(root, docker_config(tmp_path / f"docker-{name}", auths), s.outputs)
        for args in (
            ("build", VERSION, "--arch", "amd64", "--registry", host,
             "--repository", f"test11-creds-{RUN_ID}-{name}/python"),
            ("manifest", VERSION, "--results", str(tmp_path / "out" / "*.json"), *target,
             "--keep-going", "--require", "amd64"),
            ("report", f"{host}/{repo}:{VERSION}"),
        ):  # fmt: skip
            done = bad.run(*args)
            assert done.returncode == 3, (args, done.stdout, done.stderr[-2000:])
            error = done.stderr.strip().splitlines()[-1]
            assert error.startswith(f"orchestrate {args[0]}: error: ") and says in error, error
            assert f"docker login {host}" in error and "Traceback" not in done.stderr
            assert "job.building" not in done.stderr and "manifest_put" not in done.stderr

    secrets = secrets_of(auth.username, auth.password)
    files = [
        p
        for p in written_files(
            root, tmp_path / "out", tmp_path / "reports", *tmp_path.glob("docker*")
        )
        if p.name != "config.json"
    ]
    assert any(p.name == f"{VERSION}.json" and ".orchestrate" in p.parts for p in files)
    assert any(p.suffix == ".log" for p in files) and any(p.suffix == ".md" for p in files)
    # the search does find them where they are: the docker config the test wrote
    assert any(x.encode() in (config / "config.json").read_bytes() for x in secrets)
    found = [
        (str(p), secret) for p in files for secret in secrets if secret.encode() in p.read_bytes()
    ]
    found += [("output", secret) for out in s.outputs for secret in secrets if secret in out]
    assert found == []
    print(f"no secret in {len(files)} files and {len(s.outputs)} outputs ({len(secrets)} forms)")
