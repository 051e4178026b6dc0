"""Catalogue, the docker config: a bad credentials file is exit 2 naming the file and the key.

The docker config is read when a registry first asks for credentials, so these cases need a
registry that asks: this module starts its own ``docker-registry`` (the distribution registry
the farm runs) with htpasswd authentication on a free loopback port, plain HTTP, and stops it
by its PID at the end. Each case writes one bad ``config.json`` into the run's own
``DOCKER_CONFIG`` and runs ``orchestrate report`` of a tag there: exit 2, the file and the key
named, no secret in the message, no traceback (``--debug`` prints one), nothing written.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.unit.catalogue.harness import (
    Case,
    check_message,
    environment,
    ids,
    leftovers,
    make_place,
    run_cli,
    snapshot,
)

SECRET = "s3cret-never-shown"
HOST = "REGISTRY"  # replaced by the registry's address in each case


def _auth(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def config_case(name: str, config: str | bytes, *says: str) -> Case:
    return Case(
        f"docker-config-{name}",
        ("report", f"{HOST}/test11-badinput/python:none"),
        ("config.json", *says),
        files={"docker-config.json": config},
    )


DOCKER_CONFIG_CASES = (
    config_case("not-json", "{", ":1: docker config: not JSON: Expecting property name"),
    config_case("not-utf8", b'{"auths": {"\xff": {}}}', ":1: docker config: not UTF-8 text"),
    config_case("a-list", "[]", ": docker config: expected a JSON object at the top"),
    config_case("nested-deep", "[" * 100_000 + "]" * 100_000, ": docker config: not JSON this"),
    config_case("auths-a-list", '{"auths": []}', ": auths: expected an object"),
    config_case(
        "auth-not-base64",
        '{"auths": {"REGISTRY": {"auth": "%%%"}}}',
        ": auths.REGISTRY.auth: not base64 user:pass",
    ),
    config_case(
        "auth-without-colon",
        json.dumps({"auths": {"REGISTRY": {"auth": _auth(SECRET)}}}),
        ": auths.REGISTRY.auth: not base64 user:pass",
    ),
    config_case(
        "auth-a-number", '{"auths": {"REGISTRY": {"auth": 5}}}', ": auths.REGISTRY.auth: expected"
    ),
    config_case(
        "entry-a-string", '{"auths": {"REGISTRY": "u:p"}}', ": auths.REGISTRY: expected an object"
    ),
    config_case(
        "password-a-number",
        '{"auths": {"REGISTRY": {"username": "u", "password": 1}}}',
        ": auths.REGISTRY.password: expected a string",
    ),
    config_case("helpers-a-list", '{"credHelpers": ["x"]}', ": credHelpers: expected an object"),
    config_case(
        "helper-a-path",
        '{"credHelpers": {"REGISTRY": "../../bin/sh"}}',
        ": credHelpers.REGISTRY: expected a helper name",
    ),
    config_case("store-a-number", '{"credsStore": 7}', ": credsStore: expected a helper name"),
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A registry of this module's own that asks for credentials (htpasswd, plain HTTP)."""
    binary = shutil.which("docker-registry") or shutil.which("registry")
    if binary is None:
        pytest.fail("no docker-registry binary: run scripts/farm up (it installs it)")
    top = tmp_path_factory.mktemp("auth-registry")
    hashed = subprocess.run(
        ["htpasswd", "-Bbn", "user", SECRET], capture_output=True, text=True, check=True
    ).stdout
    (top / "htpasswd").write_text(hashed)
    address = f"127.0.0.1:{_free_port()}"
    (top / "config.yml").write_text(
        "version: 0.1\nlog:\n  level: error\n"
        f"storage:\n  filesystem:\n    rootdirectory: {top / 'data'}\n"
        f"http:\n  addr: {address}\n"
        f"auth:\n  htpasswd:\n    realm: test11\n    path: {top / 'htpasswd'}\n"
    )
    log = (top / "log").open("w")
    server = subprocess.Popen([binary, "serve", str(top / "config.yml")], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"http://{address}/v2/", timeout=2).status_code == 401:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, (top / "log").read_text()
            time.sleep(0.2)
        yield address
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _place(case: Case, tmp_path: Path, address: str) -> tuple[list[str], Path, dict[str, str]]:
    place = make_place(tmp_path, case)
    env = environment(tmp_path, {})
    config = (place.root / "docker-config.json").read_bytes().replace(b"REGISTRY", address.encode())
    (place.root / "docker-config.json").unlink()
    Path(env["DOCKER_CONFIG"], "config.json").write_bytes(config)
    argv = [a.replace(HOST, address) for a in place.argv(case)]
    return argv, place.root, env


@pytest.mark.parametrize("case", DOCKER_CONFIG_CASES, ids=ids(DOCKER_CONFIG_CASES))
def test_bad_docker_config(case: Case, tmp_path: Path, registry: str) -> None:
    argv, root, env = _place(case, tmp_path, registry)
    before = snapshot(root, tmp_path / "home")
    done = run_cli(argv, cwd=root, env=env)
    assert done.returncode == 2, done.stderr
    check_message(done.stderr.replace(registry, "REGISTRY"), case)
    assert SECRET not in done.stderr and _auth(SECRET) not in done.stderr
    assert leftovers(root, tmp_path / "home") == []
    assert snapshot(root, tmp_path / "home") == before
    debug = run_cli(["--debug", *argv], cwd=root, env=env)
    assert debug.returncode == 2 and "Traceback (most recent call last)" in debug.stderr
    assert SECRET not in debug.stderr


def test_the_same_registry_answers_good_credentials(tmp_path: Path, registry: str) -> None:
    """The cases fail for their config, not the registry: good credentials are let in."""
    config = json.dumps({"auths": {"REGISTRY": {"auth": _auth(f"user:{SECRET}")}}})
    good = Case(
        "good",
        ("report", f"{HOST}/test11-badinput/python:none"),
        (),
        files={"docker-config.json": config},
    )
    argv, root, env = _place(good, tmp_path, registry)
    done = run_cli(argv, cwd=root, env=env)
    assert done.returncode == 0, done.stderr
    assert "**does not exist** (yet?)" in done.stdout
