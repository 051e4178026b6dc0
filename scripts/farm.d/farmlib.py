#!/usr/bin/env python3
"""Small helpers of ``scripts/farm`` that are easier to get right in Python than in bash.

Only the standard library is used: the farm is brought up before (and independently of) the
project's virtual environment. The pure functions (``mirror_from_sources``,
``merge_daemon_json``, ``arch_info``, ``render_status``) are unit-tested in
``tests/unit/test_farm_lib.py``; ``main`` is the command line used by the bash steps:

    farmlib.py mirror-uri                       the Debian mirror the machine's apt sources name
    farmlib.py daemon-json PATH MIRROR_URL      add MIRROR_URL to registry-mirrors (prints changed)
    farmlib.py arch BASHBREW_ARCH FIELD         deb / oci / uname / elf_machine / elf_class
    farmlib.py arches FIELD                     that field of every architecture, in table order
    farmlib.py state-set FILE KEY=VALUE ...     merge keys into a JSON state file
    farmlib.py status FARM_DIR [--json]         what is up, checked live
"""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The repository's own orchestrator package, ahead of any installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from orchestrator import platforms as product_platforms

DEFAULT_MIRROR = "http://deb.debian.org/debian"


@dataclass(frozen=True)
class Arch:
    """One architecture of the Python images, in every spelling the farm needs."""

    bashbrew: str  # amd64, arm64v8 … (Docker Hub's per-architecture namespaces)
    deb: str  # Debian's name, for debootstrap and apt
    oci: str  # the OCI platform, for buildx --platform
    uname: str  # what `uname -m` prints in a container of that platform
    elf_machine: int  # e_machine of the platform's ELF binaries
    elf_class: int  # 1 = 32-bit, 2 = 64-bit


# The product's architecture table (orchestrator/platforms.py, standard library only) is the
# one source: every Linux architecture with a Debian name, in the farm's spellings.
ARCHES: dict[str, Arch] = {
    a.name: Arch(a.name, a.debian, a.platform.oci, a.uname, a.elf_machine, a.elf_class)
    for a in product_platforms.ARCHES.values()
    if a.debian and a.uname and a.elf_machine and a.elf_class and not a.is_windows
}


def arch_info(name: str) -> Arch:
    """The architecture called ``name`` (bashbrew spelling, or Debian's as a convenience)."""
    if name in ARCHES:
        return ARCHES[name]
    for arch in ARCHES.values():
        if name == arch.deb:
            return arch
    known = ", ".join(ARCHES)
    raise ValueError(f"unknown architecture {name!r} (known: {known})")


def mirror_from_sources(texts: list[str]) -> str:
    """The Debian mirror URI that the given apt sources (deb822 or one-line) use for the
    main archive, i.e. a source whose suites are plain release names, not ``-security``."""
    for text in texts:
        # deb822 stanzas
        for stanza in re.split(r"\n\s*\n", text):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line:
                    continue
                key, _, value = line.partition(":")
                fields[key.strip().lower()] = value.strip()
            if "uris" in fields and "deb" in fields.get("types", "").split():
                suites = fields.get("suites", "").split()
                if any(not s.endswith("-security") for s in suites):
                    uri = fields["uris"].split()[0]
                    if "/debian" in uri and "security" not in uri:
                        return uri.rstrip("/")
        # one-line format
        for line in text.splitlines():
            words = [w for w in re.sub(r"\[[^]]*\]", "", line).split()]
            if len(words) >= 3 and words[0] == "deb":
                uri, suite = words[1], words[2]
                if "/debian" in uri and "security" not in uri and "security" not in suite:
                    return uri.rstrip("/")
    return DEFAULT_MIRROR


def merge_daemon_json(current: str | None, mirror_url: str) -> tuple[str, bool]:
    """``daemon.json`` with ``mirror_url`` first in ``registry-mirrors``; other keys kept.

    Returns the new text and whether it differs from ``current``."""
    config: dict[str, Any] = json.loads(current) if current and current.strip() else {}
    if not isinstance(config, dict):
        raise ValueError("daemon.json does not hold a JSON object")
    mirrors = [m for m in config.get("registry-mirrors", []) if m.rstrip("/") != mirror_url]
    config["registry-mirrors"] = [mirror_url, *mirrors]
    text = json.dumps(config, indent=2, sort_keys=True) + "\n"
    changed = current is None or json.loads(current or "{}") != config
    return text, changed


def read_state(farm_dir: Path) -> dict[str, dict[str, Any]]:
    state: dict[str, dict[str, Any]] = {}
    state_dir = farm_dir / "state"
    if state_dir.is_dir():
        for path in sorted(state_dir.glob("*.json")):
            try:
                state[path.stem] = json.loads(path.read_text())
            except (OSError, ValueError):
                state[path.stem] = {"status": "unreadable"}
    return state


def pid_alive(farm_dir: Path, name: str) -> int | None:
    """The PID in ``run/<name>.pid`` if that process still exists, else None."""
    try:
        pid = int((farm_dir / "run" / f"{name}.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if Path(f"/proc/{pid}").exists() else None


def http_ok(url: str, cafile: str | None = None) -> bool:
    context = ssl.create_default_context(cafile=cafile) if cafile else None
    try:
        with urllib.request.urlopen(url, timeout=3, context=context) as response:  # noqa: S310
            return bool(200 <= response.status < 300)
    except urllib.error.HTTPError as err:
        return err.code == 401  # an auth registry answers /v2/ with 401: it is up
    except (OSError, ValueError):
        return False


def docker_server_version() -> str | None:
    if shutil.which("docker") is None:
        return None
    try:
        out = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def gather_status(farm_dir: Path) -> dict[str, Any]:
    """The farm as it is right now: the state ``up`` recorded, re-checked live."""
    state = read_state(farm_dir)
    engine = dict(state.get("engine", {}))
    engine["server_version"] = docker_server_version()
    engine["up"] = engine["server_version"] is not None
    engine["pid"] = pid_alive(farm_dir, "dockerd")
    engine["started_by_farm"] = engine["pid"] is not None
    registry = dict(state.get("registry", {}))
    registry["pid"] = pid_alive(farm_dir, "registry")
    registry["up"] = bool(registry.get("url")) and http_ok(f"{registry['url']}/v2/")
    auth = dict(state.get("auth_registry", {}))
    if auth:
        auth["pid"] = pid_alive(farm_dir, "auth-registry")
        auth["up"] = bool(auth.get("url")) and http_ok(f"{auth['url']}/v2/", auth.get("ca"))
    sources = dict(state.get("sources", {}))
    sources["pid"] = pid_alive(farm_dir, "sources")
    sources["up"] = bool(sources.get("url")) and http_ok(f"{sources['url']}/")
    return {
        "farm_dir": str(farm_dir),
        "profile": state.get("farm", {}).get("profile"),
        "engine": engine,
        "buildx": state.get("buildx", {}),
        "qemu": state.get("qemu", {}),
        "registry": registry,
        "auth_registry": auth or None,
        "mirror": state.get("mirror", {}),
        "bases": state.get("bases", {}),
        "sources": sources,
    }


def render_status(status: dict[str, Any]) -> str:
    """Human-readable lines for ``scripts/farm status``."""

    def mark(up: object) -> str:
        return "up  " if up else "DOWN"

    engine = status["engine"]
    lines = [f"farm dir   {status['farm_dir']} (profile {status.get('profile') or '-'})"]
    owner = f"pid {engine['pid']}, started by farm" if engine.get("pid") else "not started by farm"
    version = engine.get("server_version") or "-"
    lines.append(f"engine     {mark(engine.get('up'))} Docker {version} ({owner})")
    buildx = status.get("buildx") or {}
    lines.append(f"buildx     {mark(buildx.get('version'))} {buildx.get('version') or '-'}")
    qemu = status.get("qemu") or {}
    lines.append(
        f"qemu       {mark(qemu.get('platforms'))} {' '.join(qemu.get('platforms', [])) or '-'}"
    )
    for key, label in (("registry", "registry"), ("auth_registry", "auth reg")):
        reg = status.get(key)
        if reg:
            lines.append(
                f"{label:<10} {mark(reg.get('up'))} {reg.get('url', '-')} "
                f"(pid {reg.get('pid') or '-'}, {reg.get('version', '')})".rstrip()
            )
    mirror = status.get("mirror") or {}
    lines.append(f"hub mirror {mark(mirror.get('active'))} {mirror.get('url', '-')}")
    for image, info in sorted((status.get("bases") or {}).get("images", {}).items()):
        lines.append(f"base       {image} [{' '.join(info.get('arches', []))}]")
    sources = status.get("sources") or {}
    lines.append(
        f"sources    {mark(sources.get('up'))} {sources.get('download_base', '-')} "
        f"(pid {sources.get('pid') or '-'})"
    )
    for version, info in sorted((sources.get("files") or {}).items()):
        lines.append(f"           {version}: {info.get('path')} sha256 {info.get('sha256')}")
    return "\n".join(lines)


def state_set(path: Path, pairs: list[str]) -> None:
    """Merge KEY=VALUE pairs into a JSON file; VALUE is parsed as JSON when it is JSON."""
    data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise ValueError(f"expected KEY=VALUE, got {pair!r}")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        data[key] = value
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    if cmd == "mirror-uri":
        texts = []
        for path in [
            Path("/etc/apt/sources.list"),
            *sorted(Path("/etc/apt/sources.list.d").glob("*")),
        ]:
            if path.suffix in (".list", ".sources") and path.is_file():
                texts.append(path.read_text())
        print(mirror_from_sources(texts))
    elif cmd == "daemon-json":
        path, url = Path(args[0]), args[1]
        current = path.read_text() if path.exists() else None
        text, changed = merge_daemon_json(current, url)
        if changed:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        print("changed" if changed else "unchanged")
    elif cmd in ("arch", "arches"):
        chosen = [arch_info(args.pop(0))] if cmd == "arch" else list(ARCHES.values())
        print(" ".join(str(getattr(arch, args[0])) for arch in chosen))
    elif cmd == "state-set":
        state_set(Path(args[0]), args[1:])
    elif cmd == "status":
        status = gather_status(Path(args[0]))
        if "--json" in args:
            print(json.dumps(status, indent=2, sort_keys=True))
        else:
            print(render_status(status))
    else:
        print(f"farmlib.py: unknown command {cmd!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
