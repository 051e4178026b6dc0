"""The HTTP client of the Docker Registry HTTP API v2 / OCI distribution API.

What it does: GET/HEAD/PUT manifests (manifest lists, OCI indexes, image manifests) keeping
the exact bytes and the ``Docker-Content-Digest``; GET/HEAD blobs (``Last-Modified``, redirects
followed, at most 10); HEAD of a foreign layer's URL; monolithic blob upload (POST + PUT).
Authentication is the registry's own challenge: Bearer tokens (``WWW-Authenticate: Bearer
realm=…,service=…,scope=…``) or Basic, with the host's credentials from the docker config
(``orchestrator.registry.credentials``). Plain HTTP or HTTPS and the CA to trust are decided as
the engine decides them (``orchestrator.registry.trust``: a given CA file, the engine's
``certs.d`` folder for the host, plain HTTP for other loopback registries such as
``localhost:5000``, HTTPS with the system's CAs otherwise). Every request runs under the one
retry policy (``orchestrator.retrying``) within the time budget of one operation
(``registry.timeouts``: connect, read, total, unreachable); an HTTP failure is a
``RegistryError`` naming the request (method and URL) and carrying the status and
``Retry-After``, and one given up on says after how many attempts and seconds. Answers are
checked (``registry.answers``): a manifest or blob that is not what was asked for is an error.
The client is safe to share between threads (one ``requests.Session`` per thread).

Why raw HTTP (``requests``) and not a registry client library: ``oras`` (PyPI, the maintained
OCI client for Python) was evaluated. Its ``get_manifest`` returns parsed JSON only, so the
exact bytes and the ``Docker-Content-Digest`` header are lost (the report prints that digest and
a pushed list must keep its digest); its ``upload_manifest`` validates against the OCI artifact
schema and always sends the OCI manifest media type, so Docker manifest lists and schema-2
image manifests (what the official images publish, and the foreign-layer Windows manifests)
cannot be pushed; it brings its own retry decorator (two competing policies) and does not
read ``credHelpers``. The API surface needed here is small, so a thin typed client is clearer.
"""

from __future__ import annotations

import base64
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import requests
import structlog

from orchestrator import oci, retrying
from orchestrator.errors import AuthError, RegistryError
from orchestrator.registry import answers, trust
from orchestrator.registry import timeouts as timeoutsmod
from orchestrator.registry.answers import Head, Manifest
from orchestrator.registry.credentials import Credentials, credentials_for, refusal
from orchestrator.registry.reference import Reference, is_loopback
from orchestrator.registry.timeouts import Timeouts

log = structlog.get_logger(__name__)

MAX_REDIRECTS = 10

_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


# --------------------------------------------------------------------------- the client


class Client:
    """One registry host. Thread-safe: each thread gets its own HTTP session."""

    def __init__(
        self,
        host: str,
        *,
        credentials: Credentials | None = None,
        load_credentials: bool = True,
        ca_file: str | os.PathLike[str] | None = None,
        plain_http: bool | None = None,
        policy: retrying.Policy = retrying.DEFAULT,
        timeouts: Timeouts | None = None,
        timeout: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        certs_d: Path = trust.CERTS_D,
    ) -> None:
        """``timeouts`` default to ``registry.timeouts.from_env()``; ``timeout``, when given,
        caps their connect and read timeouts (a shorthand for tests and probes)."""
        self.host = host
        how = trust.trust_for(
            host,
            loopback=is_loopback(host),
            ca_file=ca_file,
            plain_http=plain_http,
            certs_d=certs_d,
        )
        self.scheme = how.scheme
        self.base = f"{self.scheme}://{host}"
        self._credentials = credentials
        self._load_credentials = load_credentials and credentials is None
        self._from_config = self._load_credentials
        self._verify: bool | str = how.verify
        self.policy = policy
        budget = timeouts or timeoutsmod.from_env()
        if timeout is not None:
            budget = Timeouts(
                connect=min(budget.connect, timeout),
                read=min(budget.read, timeout),
                total=budget.total,
                unreachable=budget.unreachable,
            )
        self.timeouts = budget
        self._clock = clock
        self._local = threading.local()
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}  # repository -> "Bearer …" / "Basic …"

    # -- plumbing

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.max_redirects = MAX_REDIRECTS
            session.verify = self._verify
            session.headers["User-Agent"] = "orchestrate"
            self._local.session = session
        return session

    def credentials(self) -> Credentials | None:
        with self._lock:
            if self._load_credentials:
                self._credentials = credentials_for(self.host)
                self._load_credentials = False
            return self._credentials

    def _authorize(self, repository: str, challenge: str) -> str | None:
        """The Authorization header answering a ``WWW-Authenticate`` challenge."""
        scheme, _, params_text = challenge.partition(" ")
        params = dict(_CHALLENGE.findall(params_text))
        creds = self.credentials()
        if scheme.lower() == "basic":
            if creds is None:
                return None
            raw = f"{creds.username}:{creds.secret}".encode()
            return "Basic " + base64.b64encode(raw).decode()
        if scheme.lower() != "bearer" or "realm" not in params:
            return None
        query = {k: v for k, v in params.items() if k in ("service", "scope")}
        auth = (creds.username, creds.secret) if creds else None
        try:
            answer = self._session().get(
                params["realm"],
                params=query,
                auth=auth,
                timeout=(self.timeouts.connect, self.timeouts.read),
                verify=self._verify,
            )
        except requests.RequestException as exc:
            raise RegistryError(f"token request to {params['realm']} failed: {exc}") from exc
        if answer.status_code in (401, 403):
            raise self._refused(answer, f"token request to {params['realm']}")
        if answer.status_code != 200:
            raise answers.error(answer, f"token request to {params['realm']}")
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise RegistryError(
                f"token request to {params['realm']}: the answer is not a JSON object"
            )
        token = body.get("token") or body.get("access_token")
        return f"Bearer {token}" if token else None

    def _refused(self, response: requests.Response, what: str) -> AuthError:
        """A 401/403 as the user must read it: which registry, whose credentials, from where."""
        hint = refusal(self.host, self.credentials(), response.status_code, self._from_config)
        return AuthError(f"{answers.error(response, what)}: {hint}", status=response.status_code)

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        repository: str = "",
        headers: Mapping[str, str] | None = None,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200,),
        what: str = "",
    ) -> requests.Response:
        """One API request under the retry policy and the operation's time budget, answering
        auth challenges on the way. Errors name the request as ``METHOD URL``; ``what`` is how
        the retry log names it."""
        url = path_or_url if "://" in path_or_url else self.base + path_or_url
        where = f"{method} {url}"
        started = self._clock()
        attempts = 0

        def once() -> requests.Response:
            nonlocal attempts
            attempts += 1
            timeout = self.timeouts.attempt(self.timeouts.total - (self._clock() - started))
            send = dict(headers or {})
            token = self._tokens.get(repository)
            if token and url.startswith(self.base):
                send["Authorization"] = token
            response = self._send(method, url, send, data, params, timeout=timeout)
            if response.status_code == 401 and url.startswith(self.base):
                challenge = response.headers.get("WWW-Authenticate", "")
                header = self._authorize(repository, challenge) if challenge else None
                if header:
                    with self._lock:
                        self._tokens[repository] = header
                    send["Authorization"] = header
                    response = self._send(method, url, send, data, params, timeout=timeout)
            if response.status_code in (401, 403) and url.startswith(self.base):
                raise self._refused(response, where)
            if response.status_code not in ok:
                raise answers.error(response, where)
            return response

        try:
            return retrying.call(
                once,
                policy=self.timeouts.policy(self.policy),
                what=what or where,
                clock=self._clock,
            )
        except RegistryError as exc:
            if not retrying.is_transient(exc):
                raise
            raise RegistryError(
                f"{exc}; gave up after {attempts} attempt{'s' if attempts > 1 else ''} in "
                f"{self._clock() - started:.1f} s (registry timeouts: "
                f"{self.timeouts.describe()}; {timeoutsmod.ENV} changes them)",
                status=exc.status,
                retry_after=exc.retry_after,
            ) from exc

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        data: bytes | None,
        params: Mapping[str, str] | None,
        *,
        timeout: tuple[float, float],
    ) -> requests.Response:
        try:
            return self._session().request(
                method,
                url,
                headers=dict(headers),
                data=data,
                params=params,
                timeout=timeout,
                # per request: requests lets REQUESTS_CA_BUNDLE override the session's verify
                verify=self._verify,
                allow_redirects=True,
            )
        except requests.TooManyRedirects as exc:
            raise RegistryError(f"{method} {url}: more than {MAX_REDIRECTS} redirects") from exc
        except requests.RequestException as exc:
            raise RegistryError(f"{method} {url}: {answers.network_failure(exc, timeout)}") from exc

    # -- manifests

    def get_manifest(
        self, repository: str, reference: str, accept: tuple[str, ...] = oci.ACCEPT_ALL
    ) -> Manifest:
        """The manifest's exact bytes, its digest and media type (RegistryError 404 if none)."""
        response = self.request(
            "GET",
            f"/v2/{repository}/manifests/{reference}",
            repository=repository,
            headers={"Accept": ", ".join(accept)},
            what=f"GET manifest {repository}:{reference}",
        )
        return answers.manifest(response, f"GET {response.url}", reference)

    def head_manifest(
        self, repository: str, reference: str, accept: tuple[str, ...] = oci.ACCEPT_ALL
    ) -> Head | None:
        """Digest, type and size of a manifest, or None when the registry has none. A registry
        whose HEAD sends no ``Docker-Content-Digest`` costs a GET: the digest of the bytes."""
        head = self._head_or_none(
            f"/v2/{repository}/manifests/{reference}",
            repository=repository,
            headers={"Accept": ", ".join(accept)},
            what=f"HEAD manifest {repository}:{reference}",
        )
        if head is None or head.digest:
            return head
        found = self.get_manifest(repository, reference, accept)
        return Head(len(found.content), found.media_type, found.digest, head.last_modified)

    def put_manifest(self, repository: str, reference: str, content: bytes, media_type: str) -> str:
        """Upload a manifest (list/index or image) under a tag or digest; returns its digest."""
        response = self.request(
            "PUT",
            f"/v2/{repository}/manifests/{reference}",
            repository=repository,
            headers={"Content-Type": media_type},
            data=content,
            ok=(200, 201, 202),
            what=f"PUT manifest {repository}:{reference}",
        )
        digest = response.headers.get("Docker-Content-Digest") or oci.digest(content)
        log.info("registry.manifest_put", repository=repository, reference=reference, digest=digest)
        return digest

    # -- blobs

    def get_blob(self, repository: str, digest: str) -> bytes:
        response = self.request(
            "GET",
            f"/v2/{repository}/blobs/{digest}",
            repository=repository,
            what=f"GET blob {repository}@{digest}",
        )
        return answers.blob(response, f"GET {response.url}", digest)

    def head_blob(self, repository: str, digest: str) -> Head | None:
        """Size, type and ``Last-Modified`` of a blob (redirects followed), None if missing."""
        return self._head_or_none(
            f"/v2/{repository}/blobs/{digest}",
            repository=repository,
            what=f"HEAD blob {repository}@{digest}",
        )

    def _head_or_none(
        self, path: str, *, repository: str, what: str, headers: Mapping[str, str] | None = None
    ) -> Head | None:
        """HEAD ``path``: what the registry says of it, or None when it answers 404."""
        try:
            response = self.request("HEAD", path, repository=repository, headers=headers, what=what)
        except RegistryError as exc:
            if exc.status == 404:
                return None
            raise
        return answers.head(response)

    def head_url(self, url: str) -> Head:
        """HEAD of a foreign layer's URL (no registry credentials are sent there)."""
        response = self.request("HEAD", url, what=f"HEAD {url}")
        return answers.head(response)

    def upload_blob(self, repository: str, data: bytes, digest: str | None = None) -> str:
        """Monolithic upload (POST, then PUT with the digest); a blob already there is kept."""
        digest = digest or oci.digest(data)
        if self.head_blob(repository, digest) is not None:
            return digest
        started = self.request(
            "POST",
            f"/v2/{repository}/blobs/uploads/",
            repository=repository,
            ok=(202,),
            what=f"start upload to {repository}",
        )
        location = started.headers.get("Location")
        if not location:
            raise RegistryError(f"upload to {repository}: the registry gave no Location")
        if "://" not in location:
            location = self.base + location
        self.request(
            "PUT",
            location,
            repository=repository,
            params={"digest": digest},
            headers={"Content-Type": "application/octet-stream"},
            data=data,
            ok=(201, 204),
            what=f"PUT blob {repository}@{digest}",
        )
        log.debug("registry.blob_put", repository=repository, digest=digest, size=len(data))
        return digest


def client_for(
    reference: Reference,
    *,
    ca_file: str | os.PathLike[str] | None = None,
    policy: retrying.Policy = retrying.DEFAULT,
) -> Client:
    """A client for the host of ``reference`` (credentials from the docker config)."""
    return Client(reference.registry, ca_file=ca_file, policy=policy)
