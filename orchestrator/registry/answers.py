"""What a registry's answers mean: manifests and blobs checked against what was asked for, HEAD
answers read, HTTP failures turned into ``RegistryError``, network failures put in plain words.

A registry's answer is input like any other: a manifest must be a JSON object of a manifest
media type, whatever the ``Content-Type`` header and the document's own ``mediaType`` say must
agree, its bytes must hash to the digest asked for (and to the ``Docker-Content-Digest`` the
registry sent, if it sent one), and a blob must hash to its digest. An answer that fails a check
is a ``RegistryError`` without status, naming the request (method and URL) and what was wrong;
it is not retried (``retrying.is_transient``): a registry that stores bad bytes sends them again.
A missing ``Docker-Content-Digest`` is not an error: the digest of the bytes is used. No I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import requests

from orchestrator import oci, retrying
from orchestrator.errors import RegistryError, first_line, printable

# Every media type a manifest GET may answer with (schema 1 is read, never written).
MANIFEST_TYPES = frozenset(oci.ACCEPT_ALL)


@dataclass(frozen=True)
class Manifest:
    """A manifest as the registry holds it: exact bytes, digest and media type."""

    content: bytes
    digest: str
    media_type: str

    def json(self) -> dict[str, Any]:
        data = json.loads(self.content)
        if not isinstance(data, dict):
            raise RegistryError(f"manifest {self.digest}: not a JSON object")
        return data

    @property
    def is_list(self) -> bool:
        return self.media_type in oci.LIST_TYPES


@dataclass(frozen=True)
class Head:
    """What a HEAD answered: size, type, digest and ``Last-Modified`` (raw header), if any."""

    size: int | None
    media_type: str | None
    digest: str | None
    last_modified: str | None


def manifest(response: requests.Response, where: str, reference: str) -> Manifest:
    """The manifest a GET of ``reference`` answered, checked (``where``: "GET <url>")."""
    content = response.content
    try:
        doc = json.loads(content)
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError both are
        raise RegistryError(f"{where}: the manifest is not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise RegistryError(f"{where}: the manifest is not a JSON object")
    header = _content_type(response)
    declared = doc.get("mediaType")
    if declared is not None and not isinstance(declared, str):
        raise RegistryError(f"{where}: the manifest's mediaType is not a string")
    media_type = declared or header
    if media_type not in MANIFEST_TYPES:
        raise RegistryError(
            f"{where}: answered media type {printable(media_type or 'none')!r}, "
            "not a manifest or manifest list"
        )
    if declared and header in MANIFEST_TYPES and header != declared:
        raise RegistryError(
            f"{where}: Content-Type says {header}, the manifest says {printable(declared)}"
        )
    actual = oci.digest(content)
    sent = response.headers.get("Docker-Content-Digest")
    if media_type in oci.SCHEMA1_TYPES:  # signed: its digest is of the payload without signature
        return Manifest(content=content, digest=sent or actual, media_type=media_type)
    if reference.startswith("sha256:") and actual != reference:
        raise RegistryError(
            f"{where}: the bytes answered hash to {actual}, not to the digest asked for"
        )
    if sent and sent.startswith("sha256:") and sent != actual:
        raise RegistryError(
            f"{where}: Docker-Content-Digest says {printable(sent)}, the bytes hash to {actual}"
        )
    return Manifest(content=content, digest=actual, media_type=media_type)


def blob(response: requests.Response, where: str, digest: str) -> bytes:
    """The bytes of blob ``digest``, checked against it."""
    content = response.content
    if digest.startswith("sha256:") and oci.digest(content) != digest:
        raise RegistryError(
            f"{where}: the blob answered hashes to {oci.digest(content)}, not to its digest"
        )
    return content


def head(response: requests.Response) -> Head:
    length = response.headers.get("Content-Length")
    return Head(
        size=int(length) if length and length.isdigit() else None,
        media_type=_content_type(response) or None,
        digest=response.headers.get("Docker-Content-Digest"),
        last_modified=response.headers.get("Last-Modified"),
    )


def error(response: requests.Response, where: str) -> RegistryError:
    """A failed answer as a ``RegistryError`` with its status, detail and ``Retry-After``."""
    detail = ""
    try:
        errors = response.json().get("errors") or []
        detail = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)
    except (ValueError, AttributeError):
        detail = _text(response) if response.request.method != "HEAD" else ""
    message = f"{where}: HTTP {response.status_code}" + (
        f" ({printable(detail)})" if detail else ""
    )
    return RegistryError(
        message,
        status=response.status_code,
        retry_after=retrying.parse_retry_after(response.headers.get("Retry-After")),
    )


def _text(response: requests.Response) -> str:
    """The start of a non-JSON error body: an HTML page's title, or its first 200 characters."""
    title = _TITLE.search(response.text)
    return (title[1] if title else response.text).strip()[:200]


_TITLE = re.compile(r"<title>(.*?)</title>", re.I | re.S)


def _content_type(response: requests.Response) -> str:
    return (response.headers.get("Content-Type") or "").split(";")[0].strip()


def network_failure(exc: requests.RequestException, timeout: tuple[float, float]) -> str:
    """A network failure in a few words: what a user needs to know of it."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"no connection within {_seconds(timeout[0])} s (connect timeout)"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"no answer within {_seconds(timeout[1])} s (read timeout)"
    text = str(exc)
    cut = _INCOMPLETE.search(text)
    for phrase, words in _NETWORK_WORDS:
        if phrase in text.lower():
            return words
    if cut:
        return f"the answer was cut short ({cut[1]} bytes read, {cut[2]} more expected)"
    return first_line(exc)[:300]


# What urllib3 and http.client say, in plain words (first match wins).
_NETWORK_WORDS = (
    ("connection refused", "connection refused"),
    ("reset by peer", "connection reset by the registry"),
    ("remotedisconnected", "the registry closed the connection without answering"),
    ("badstatusline", "the answer was cut short (no status line)"),
    ("headerparsingerror", "the answer was cut short (inside its headers)"),
)
_INCOMPLETE = re.compile(r"IncompleteRead\((\d+) bytes read, (\d+) more expected\)")


def _seconds(value: float) -> str:
    """Seconds as a person writes them: 15, 0.8."""
    return f"{value:.1f}".removesuffix(".0")
