"""Catalogue, templates and the keys a template set needs: the broken template is named.

Keys a template set uses but a line does not give are matrix errors at the line's place, naming
the template (partial or not) that needs them; a URL that would break the Dockerfile is refused
where it is written; a template that does not parse, names what is not there or raises while
rendering is named with its own line (the partial, not the template that includes it). Each
case runs ``orchestrate render``: exit 2, and not one Dockerfile written or removed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.catalogue.harness import Case, cli_params, edit, ids, run_case, run_in_process

pytestmark = pytest.mark.real_processes

RENDER = ("-C", "{root}", "render")
ENV = "templates/partials/modern-env.j2"
SHA256 = "    sha256: 93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640\n"
GPG_37 = "    gpg_key: 0D96DF4D4110E5C43FBFB17F2D347EA6AA65421D\n"
PIP_URL = "/get-pip.py\n"


def append(text: str) -> Callable[[str], str]:
    return lambda before: before + text


def _directory_in_place_of(path: Path) -> None:
    path.unlink()
    path.mkdir()


TEMPLATE_CASES = (
    Case(
        "modern-line-without-sha256",
        RENDER,
        (
            "matrix.yml:197: lines.3.13: missing key 'sha256', which "
            "templates/partials/modern-env.j2:2 needs (template set 'modern')",
        ),
        files={"matrix.yml": edit(SHA256, GPG_37)},
    ),
    Case(
        "2019-line-without-gpg-key",
        RENDER,
        (
            "matrix.yml:152: lines.3.7: missing key 'gpg_key', which "
            "templates/2019/debian.Dockerfile.j2:18 needs (template set '2019')",
        ),
        files={"matrix.yml": edit(GPG_37, SHA256)},
    ),
    Case(
        "2019-line-without-pip",
        RENDER,
        (
            "matrix.yml:126: lines.3.8-rc: missing key 'pip', which "
            "templates/partials/2019-symlinks-pip-env.j2:9 needs (template set '2019')",
            "templates/2019/windowsservercore.Dockerfile.j2:40 needs",
        ),
        files={
            "matrix.yml": edit(
                "    pip:\n      version: 19.2.1\n      get_pip_url: https://github.com/pypa/"
                "get-pip/raw/404c9418e33c5031b1a9ab623168b3e8a2ed8c88/get-pip.py\n      "
                "get_pip_sha256: 56bb63d3cf54e7444351256f72a60f575f6d8c7f1faacffae33167afc8e7609d"
                "\n",
                "",
            )
        },
    ),
    Case(
        "modern-template-asks-for-pip",
        RENDER,
        ("lines.3.13: missing key 'pip', which templates/partials/modern-env.j2:9 needs",),
        files={ENV: append("{{ line.pip.version }}\n")},
    ),
    Case(
        "pip-url-ending-in-a-backslash",
        RENDER,
        ("matrix.yml:131: lines.3.8-rc.pip.get_pip_url: ", "get-pip.py\\\\' is not an https URL"),
        files={"matrix.yml": edit(PIP_URL, "/get-pip.py\\\n")},
    ),
    Case(
        "pip-url-with-a-dollar",
        RENDER,
        ("matrix.yml:131: lines.3.8-rc.pip.get_pip_url: ", "is not an https URL"),
        files={"matrix.yml": edit(PIP_URL, "/get-pip.py?$HOME\n")},
    ),
    Case(
        "partial-syntax-error",
        RENDER,
        (f"{ENV}:3: Expected an expression, got 'end of statement block'",),
        files={ENV: lambda t: "\n".join([*t.split("\n")[:2], "{% if %}", *t.split("\n")[3:]])},
    ),
    Case(
        "partial-undefined-name",
        RENDER,
        (f"{ENV}:9: rendering 3.13/bookworm: 'nosuch' is undefined",),
        files={ENV: append("{{ nosuch }}\n")},
    ),
    Case(
        "partial-includes-a-missing-partial",
        RENDER,
        (f"{ENV}:9: no template templates/partials/nosuch.j2",),
        files={ENV: append('{% include "partials/nosuch.j2" %}\n')},
    ),
    Case(
        "partial-divides-by-zero",
        RENDER,
        (f"{ENV}:9: rendering 3.13/bookworm: ZeroDivisionError: integer division",),
        files={ENV: append("{{ 1 // 0 }}\n")},
    ),
    Case(
        "partial-index-out-of-range",
        RENDER,
        (f"{ENV}:9: rendering 3.13/bookworm: list object has no element 7",),
        files={ENV: append('{{ variant.parent.split(":")[7] }}\n')},
    ),
    Case(
        "partial-unknown-filter",
        RENDER,
        (f"{ENV}:9: No filter named 'frobnicate'",),
        files={ENV: append("{{ line.version | frobnicate }}\n")},
    ),
    Case(
        "partial-not-utf8",
        RENDER,
        (f"{ENV}:9: not UTF-8 text (byte 0xff)",),
        setup=lambda root, _: (root / ENV).write_bytes((root / ENV).read_bytes() + b"\xff\n"),
    ),
    Case(
        "partial-includes-itself",
        RENDER,
        (f"{ENV}:9: rendering 3.13/bookworm: the templates include each other without end",),
        files={ENV: append('{% include "partials/modern-env.j2" %}\n')},
    ),
    Case(
        "partial-is-a-directory",
        RENDER,
        (
            "templates/partials/modern-debian-image.j2:10: "
            "no template templates/partials/modern-env.j2",
        ),
        setup=lambda root, _: _directory_in_place_of(root / ENV),
    ),
    Case(
        "template-extends-a-missing-one",
        RENDER,
        ("templates/modern/debian.Dockerfile.j2:1: no template templates/nosuch.j2",),
        files={"templates/modern/debian.Dockerfile.j2": '{% extends "nosuch.j2" %}\n'},
    ),
    Case(
        "template-set-missing",
        RENDER,
        (
            "matrix.yml:104: variants.bookworm: no template templates/modrn/debian.Dockerfile.j2",
            "matrix.yml:109: variants.slim-bookworm: no template",
        ),
        files={"matrix.yml": edit("    template: modern\n", "    template: modrn\n", count=3)},
    ),
)


# Through the console script in the default run (every case with -m slow).
CLI = {"modern-line-without-sha256", "partial-syntax-error"}


@pytest.mark.parametrize("case", TEMPLATE_CASES, ids=ids(TEMPLATE_CASES))
def test_bad_template(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_in_process(case, tmp_path, capsys, monkeypatch)


@pytest.mark.parametrize("case", cli_params(TEMPLATE_CASES, CLI))
def test_bad_template_through_the_console_script(case: Case, tmp_path: Path) -> None:
    run_case(case, tmp_path)
