"""The registry-answer cases of the bad-input catalogue: ``report`` and ``manifest`` against the
farm's real registry, one answer of which is bad.

Each case gets a repository of its own holding real content (two small images, linux/amd64 and
linux/386, pushed through the registry API; for ``report`` also a list tagged ``good``). The bad
answer is made by the fault proxy (``tests/faultproxy.py``) rewriting what the real registry
sent (malformed JSON, a wrong media type, bytes that do not hash to the digest asked for, a
lying or missing ``Docker-Content-Digest``, an index naming a platform the registry does not
hold), or is really stored (an image whose config blob is not JSON, or of another platform).
Every case asserts the exit code (README: 2 bad input, 3 a service failed), that the message
names the place (the URL of the request, the tag and entry, the job of the results file), that
no traceback is printed, and that nothing was pushed or written. The cases a registry is allowed
(no ``Docker-Content-Digest``) must give the right digests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from orchestrator import oci, registry
from orchestrator.policy import ListEntry
from tests.faultproxy import FaultProxy, Plan, Tamper, fault_proxy
from tests.integration.faultrun import (
    VERSION,
    assert_clean_failure,
    check_complete,
    family_root,
    orchestrate,
    push_release,
    run_id,
    tags_of,
)

RUN = run_id()
ARCHES = ("amd64", "i386")
MISSING = oci.digest(b"a manifest nobody pushed")


@dataclass(frozen=True)
class Content:
    """What a case's repository holds, and where the proxy serves it."""

    host: str
    repo: str
    entries: list[ListEntry]

    @property
    def amd64(self) -> str:
        return self.entries[0].digest

    @property
    def url(self) -> str:
        return f"http://{self.host}/v2/{self.repo}"


def _edit_list(change: Callable[[dict[str, Any]], None]) -> Callable[[bytes], bytes]:
    def edit(body: bytes) -> bytes:
        doc = json.loads(body)
        change(doc)
        return json.dumps(doc).encode()

    return edit


def _drop_type(doc: dict[str, Any]) -> None:
    del doc["mediaType"]


def _name_missing(doc: dict[str, Any]) -> None:
    doc["manifests"][0]["digest"] = MISSING


def _drop_digest(doc: dict[str, Any]) -> None:
    del doc["manifests"][1]["digest"]


NO_DIGEST = {"Docker-Content-Digest": None}
TOP = "/manifests/good$"
CONFIG_OF_ARM = json.dumps({"architecture": "arm64", "os": "linux", "variant": "v8"}).encode()


@dataclass(frozen=True)
class Case:
    """One bad answer: the command, how the answer is made bad, the exit code and what the
    message must name (formatted with ``c``, the case's ``Content``)."""

    name: str
    command: str  # "report" | "manifest"
    tampers: Callable[[Content], tuple[Tamper, ...]]
    code: int
    places: tuple[str, ...]
    configs: dict[str, bytes] = field(default_factory=dict)  # really stored config blobs


CASES = [
    Case("list-not-json", "report", lambda c: (Tamper("GET", TOP, body=lambda b: b"{not"),),
         3, ("GET {c.url}/manifests/good: the manifest is not valid JSON",)),
    Case("list-json-array", "report", lambda c: (Tamper("GET", TOP, body=lambda b: b"[]"),),
         3, ("GET {c.url}/manifests/good: the manifest is not a JSON object",)),
    Case("list-media-type-html", "report",
         lambda c: (Tamper("GET", TOP, body=_edit_list(_drop_type),
                           headers={"Content-Type": "text/html", **NO_DIGEST}),),
         3, ("GET {c.url}/manifests/good: answered media type 'text/html', not a manifest",)),
    Case("list-media-types-disagree", "report",
         lambda c: (Tamper("GET", TOP, headers={"Content-Type": oci.OCI_MANIFEST}),),
         3, (f"Content-Type says {oci.OCI_MANIFEST}, the manifest says {oci.MANIFEST_LIST}",)),
    Case("list-names-a-platform-the-registry-lacks", "report",
         lambda c: (Tamper("GET", TOP, body=_edit_list(_name_missing), headers=NO_DIGEST),),
         3, ("{c.host}/{c.repo}:good: manifests[0] (linux/amd64): GET "
             f"{{c.url}}/manifests/{MISSING}: HTTP 404",)),
    Case("list-entry-without-digest", "report",
         lambda c: (Tamper("GET", TOP, body=_edit_list(_drop_digest), headers=NO_DIGEST),),
         3, ("{c.host}/{c.repo}:good: manifests[1] has no sha256 digest",)),
    Case("list-lying-digest-header", "report",
         lambda c: (Tamper("GET", TOP, headers={"Docker-Content-Digest": MISSING}),),
         3, (f"GET {{c.url}}/manifests/good: Docker-Content-Digest says {MISSING}",)),
    Case("entry-bytes-not-its-digest", "report",
         lambda c: (Tamper("GET", f"/manifests/{c.amd64}$", body=lambda b: b + b" "),),
         3, ("manifests[0] (linux/amd64): GET {c.url}/manifests/{c.amd64}: the bytes answered "
             "hash to",)),
    Case("config-blob-not-its-digest", "report",
         lambda c: (Tamper("GET", "/blobs/", body=lambda b: b"{}"),),
         3, ("manifests[0] (linux/amd64): GET {c.url}/blobs/sha256:", "the blob answered hashes")),
    Case("config-blob-not-json-stored", "report", lambda c: (),
         3, ("{c.host}/{c.repo}:good: manifests[0] (linux/amd64): the config blob is not valid "
             "JSON",), configs={"amd64": b"not json"}),
    Case("entry-not-json", "manifest",
         lambda c: (Tamper("GET", f"/manifests/{c.amd64}$", body=lambda b: b"{"),),
         3, (f"results: job '{VERSION}-tiny-amd64': GET {{c.url}}/manifests/{{c.amd64}}: the "
             "manifest is not valid JSON", "nothing was published")),
    Case("entry-of-another-media-type", "manifest",
         lambda c: (Tamper("GET", f"/manifests/{c.amd64}$", body=lambda b: b"{}",
                           headers={"Content-Type": "application/octet-stream"}),),
         3, ("GET {c.url}/manifests/{c.amd64}: answered media type 'application/octet-stream'",
             "nothing was published")),
    Case("entry-unknown-to-the-registry", "manifest",
         lambda c: (Tamper("HEAD", f"/manifests/{c.amd64}$", status=404),),
         2, (f"results: job '{VERSION}-tiny-amd64': digest {{c.amd64}} is not in "
             "{c.host}/{c.repo}", "nothing was published")),
    Case("config-blob-corrupted", "manifest",
         lambda c: (Tamper("GET", "/blobs/", body=lambda b: b"{}"),),
         3, ("GET {c.url}/blobs/sha256:", "the blob answered hashes", "nothing was published")),
    Case("config-blob-not-json-stored", "manifest", lambda c: (),
         2, (f"results: job '{VERSION}-tiny-amd64': config blob sha256:", "is not JSON",
             "nothing was published"), configs={"amd64": b"not json"}),
    Case("config-of-another-platform-stored", "manifest", lambda c: (),
         2, ("image is linux/arm64 according to its config, not linux/amd64",
             "nothing was published"), configs={"amd64": CONFIG_OF_ARM}),
]  # fmt: skip


@pytest.fixture(scope="module")
def proxy(farm: Any) -> Iterator[FaultProxy]:
    with fault_proxy(str(farm.registry_url).removeprefix("http://")) as p:
        yield p


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return family_root(tmp_path_factory.mktemp("answers"), ARCHES)


def content(farm: Any, proxy: FaultProxy, name: str, tmp: Path, **kw: Any) -> Content:
    repo = f"test11-faults-{RUN}/{name}"
    direct = registry.Client(str(farm.registry))
    entries = push_release(direct, repo, ARCHES, tmp / "results.json", host=proxy.host, **kw)
    return Content(proxy.host, repo, entries)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.command}-{c.name}" for c in CASES])
def test_a_bad_registry_answer_is_a_located_error_and_nothing_is_pushed(
    farm: Any, proxy: FaultProxy, root: Path, tmp_path: Path, case: Case
) -> None:
    tag = "good" if case.command == "report" else None
    c = content(farm, proxy, f"{case.command}-{case.name}", tmp_path, tag=tag, configs=case.configs)
    proxy.use(Plan(tampers=case.tampers(c)))
    out = tmp_path / "reports"
    if case.command == "report":
        run = orchestrate(None, "report", f"{c.host}/{c.repo}:good", "--out", str(out))
    else:
        run = orchestrate(root, "manifest", VERSION, "--results", str(tmp_path / "results.json"))
    assert_clean_failure(run, case.code, *(p.format(c=c) for p in case.places))
    assert not out.exists()  # no report written
    direct = registry.Client(str(farm.registry))
    assert tags_of(direct, c.repo) == (["good"] if tag else [])  # no list pushed


def test_without_docker_content_digest_the_digests_are_still_right(
    farm: Any, proxy: FaultProxy, root: Path, tmp_path: Path
) -> None:
    c = content(farm, proxy, "no-digest-header", tmp_path, tag="good")
    proxy.use(Plan(tampers=(Tamper("", "/manifests/", headers={"Docker-Content-Digest": None}),)))
    report = orchestrate(None, "report", f"{c.host}/{c.repo}:good", "--format", "json")
    assert report.code == 0, report.show()
    direct = registry.Client(str(farm.registry))
    doc = json.loads(report.stdout)
    assert doc["digest"] == direct.get_manifest(c.repo, "good").digest
    assert [p["digest"] for p in doc["platforms"]] == [e.digest for e in c.entries]
    # manifest: the HEAD of each tag says no digest either; it is read from one GET
    published = orchestrate(root, "manifest", VERSION, "--results", str(tmp_path / "results.json"))
    assert published.code == 0, published.show()
    lists = check_complete(direct, c.repo, platforms=len(ARCHES))
    assert sorted(lists) == sorted(["good", "3.11.2-tiny", "3.11-tiny", "3.11.2", "3.11"])
    again = orchestrate(root, "manifest", VERSION, "--results", str(tmp_path / "results.json"))
    assert again.code == 0 and again.stdout.count("unchanged") == 4, again.show()


def test_a_list_the_registry_says_it_stored_under_another_digest(
    farm: Any, proxy: FaultProxy, root: Path, tmp_path: Path
) -> None:
    c = content(farm, proxy, "put-says-another-digest", tmp_path)
    proxy.use(Plan(tampers=(Tamper("PUT", "/manifests/3.11.2-tiny$", headers={
        "Docker-Content-Digest": MISSING}),)))  # fmt: skip
    run = orchestrate(root, "manifest", VERSION, "--results", str(tmp_path / "results.json"))
    assert_clean_failure(
        run,
        3,
        f"tag 3.11.2-tiny: PUT manifest {c.host}/{c.repo}:3.11.2-tiny: the registry stored "
        f"{MISSING}, expected sha256:",
        "lists published before it: none; not published: 3.11.2-tiny, 3.11-tiny, 3.11.2, 3.11",
    )
    # What the registry really stored is a whole list: nothing half-published.
    direct = registry.Client(str(farm.registry))
    assert list(check_complete(direct, c.repo, platforms=len(ARCHES))) == ["3.11.2-tiny"]
