"""The report markdown: the golden seed report, and every edge case of REPORT-FORMAT.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator import oci
from orchestrator.report.markdown import date, history_text, mojo_json, render, size
from orchestrator.report.model import (
    HistoryEntry,
    Image,
    Layer,
    PlatformSpec,
    Report,
    config_platform,
    image_from_documents,
)

SEED_DIR = Path(__file__).resolve().parent.parent / "data" / "seed-facts"


def seed_report(facts: dict[str, Any]) -> Report:
    """The seed's facts through the same documents → facts path the live collector uses."""
    images = []
    for entry in facts["list"]["manifests"]:
        manifest = facts["manifests"][entry["digest"]]
        config_digest = manifest["config"]["digest"]
        images.append(
            image_from_documents(
                platform=PlatformSpec.from_json(entry["platform"]),
                digest=entry["digest"],
                manifest=manifest,
                manifest_media_type=manifest["mediaType"],
                config_digest=config_digest,
                config=facts["configs"][config_digest],
                last_modified=facts["lastModified"],
            )
        )
    return Report(
        ref=facts["ref"],
        name=facts["name"],
        digest=facts["tag"]["digest"],
        media_type=facts["tag"]["mediaType"],
        is_list=True,
        images=tuple(images),
    )


def test_golden_seed_report_byte_for_byte() -> None:
    facts = json.loads((SEED_DIR / "facts.json").read_text(encoding="utf-8"))
    expected = (SEED_DIR / "python-3.8-rc.report.md").read_bytes()
    assert len(expected) == 64867
    got = render(seed_report(facts), "2019").encode("utf-8")
    if got != expected:  # show the first differing line, not 64 KB of diff
        for n, (a, b) in enumerate(zip(got.split(b"\n"), expected.split(b"\n"), strict=False)):
            assert a == b, f"line {n + 1}"
    assert got == expected


def test_seed_facts_are_raw_registry_forms_not_rendered_text() -> None:
    facts = json.loads((SEED_DIR / "facts.json").read_text(encoding="utf-8"))
    created_by = [h["created_by"] for c in facts["configs"].values() for h in c["history"]]
    assert not any(c.startswith(("RUN ", "CMD ", "ENV ")) for c in created_by)
    assert any(c.startswith("/bin/sh -c #(nop) ADD file:") for c in created_by)
    assert "Apply image 1607-RTM-amd64" in created_by
    assert any(c.startswith("powershell -Command $ErrorActionPreference") for c in created_by)
    assert all(c["history"][0]["created"].endswith("Z") for c in facts["configs"].values())


# --------------------------------------------------------------------------- size


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0.0 B"),
        (234, "234.0 B"),
        (1000, "1000.0 B"),
        (1001, "1.0 KB (1001 bytes)"),
        (1049, "1.0 KB (1049 bytes)"),
        (1050, "1.1 KB (1050 bytes)"),
        (1202, "1.2 KB (1202 bytes)"),
        (99950, "100.0 KB (99950 bytes)"),
        (1000999, "1001.0 KB (1000999 bytes)"),
        (1001000, "1.0 MB (1001000 bytes)"),
        (349212491, "349.2 MB (349212491 bytes)"),
        (5775609123, "5.8 GB (5775609123 bytes)"),
        (4069985900, "4.1 GB (4069985900 bytes)"),
        (9978163, "10.0 MB (9978163 bytes)"),
        (10**18, "1000000.0 TB (1000000000000000000 bytes)"),
    ],
)
def test_size(n: int, text: str) -> None:
    assert size(n) == text


# --------------------------------------------------------------------------- date


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("2019-07-09T21:21:51.999999999Z", "Tue, 09 Jul 2019 21:21:51 GMT"),
        ("2019-07-09T21:21:51Z", "Tue, 09 Jul 2019 21:21:51 GMT"),
        ("2019-07-09T23:21:51+02:00", "Tue, 09 Jul 2019 21:21:51 GMT"),
        ("2019-07-09T20:51:51.5-00:30", "Tue, 09 Jul 2019 21:21:51 GMT"),
        ("2019-07-10T01:21:51+0400", "Tue, 09 Jul 2019 21:21:51 GMT"),
        ("Tue, 18 Sep 2018 20:20:50 GMT", "Tue, 18 Sep 2018 20:20:50 GMT"),
        ("Tue, 18 Sep 2018 22:20:50 +0200", "Tue, 18 Sep 2018 20:20:50 GMT"),
        ("2026-08-03T00:00:00Z", "Mon, 03 Aug 2026 00:00:00 GMT"),
        (None, "Thu, 01 Jan 1970 00:00:00 GMT"),
        ("", "Thu, 01 Jan 1970 00:00:00 GMT"),
        ("yesterday", "Thu, 01 Jan 1970 00:00:00 GMT"),
        ("2019-13-40T00:00:00Z", "Thu, 01 Jan 1970 00:00:00 GMT"),
        ("1969-12-31T23:59:59Z", "Thu, 01 Jan 1970 00:00:00 GMT"),
        ("1970-01-01T00:00:00Z", "Thu, 01 Jan 1970 00:00:00 GMT"),
        # years 0-99: Perl's rolling century (50 years either side of the current year)
        ("0001-01-01T00:00:00Z", "Mon, 01 Jan 2001 00:00:00 GMT"),
        ("0050-06-01T00:00:00Z", "Wed, 01 Jun 2050 00:00:00 GMT"),
        ("0099-01-01T00:00:00Z", "Fri, 01 Jan 1999 00:00:00 GMT"),
    ],
)
def test_date(value: str | None, text: str) -> None:
    assert date(value, current_year=2026) == text


def test_rolling_century_moves_with_the_current_year() -> None:
    # 2019: two-digit years above 69 are the 1900s; 2030: up to 80 are the 2000s
    assert date("0071-01-01T00:00:00Z", current_year=2019) == "Fri, 01 Jan 1971 00:00:00 GMT"
    assert date("0071-01-01T00:00:00Z", current_year=2030) == "Thu, 01 Jan 2071 00:00:00 GMT"
    assert date("0085-01-01T00:00:00Z", current_year=2026) == "Tue, 01 Jan 1985 00:00:00 GMT"


# --------------------------------------------------------------------------- JSON


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (["/bin/bash"], '["\\/bin\\/bash"]'),
        (["cmd", "/s", "/c"], '["cmd","\\/s","\\/c"]'),
        (['say "hi"', "a\\b"], '["say \\"hi\\"","a\\\\b"]'),
        (["\b\f\n\r\t"], '["\\b\\f\\n\\r\\t"]'),
        (["\x00\x01\x1f\x7f"], '["\\u0000\\u0001\\u001F\x7f"]'),
        (["café", "日本"], '["café","日本"]'),
        ([], "[]"),
        (
            ["powershell", "-Command", "$ErrorActionPreference = 'Stop';"],
            '["powershell","-Command","$ErrorActionPreference = \'Stop\';"]',
        ),
        ({"b": 1, "a": [True, None]}, '{"a":[true,null],"b":1}'),
    ],
)
def test_mojo_json(value: Any, text: str) -> None:
    assert mojo_json(value) == text


def test_mojo_json_line_separators_depend_on_style() -> None:
    assert mojo_json(["\u2028"], "2019") == '["\\u2028"]'
    assert mojo_json(["\u2028"], "current") == '["\u2028"]'


# --------------------------------------------------------------------------- history lines

PS = ("powershell", "-Command", "$ErrorActionPreference = 'Stop'; $ProgressPreference = 'x';")
PS_PREFIX = " ".join(PS) + " "


@pytest.mark.parametrize(
    ("created_by", "shell", "text"),
    [
        ("/bin/sh -c #(nop) ADD file:abc in / ", None, "ADD file:abc in / "),
        ('/bin/sh -c #(nop)  CMD ["bash"]', None, 'CMD ["bash"]'),
        ("/bin/sh -c #(nop)  ENV LANG=C.UTF-8", None, "ENV LANG=C.UTF-8"),
        ("/bin/sh -c apt-get update \t\t&& x  ", None, "RUN apt-get update \t\t&& x  "),
        ("Apply image 1607-RTM-amd64", PS, "RUN Apply image 1607-RTM-amd64"),
        (PS_PREFIX + "#(nop)  SHELL [a b]", PS, "SHELL [a b]"),
        (PS_PREFIX + "$url = 1", PS, "RUN $url = 1"),
        (PS_PREFIX + "#(nop)  ENV V=3.8.0b3", PS, "ENV V=3.8.0b3"),
        # build args: shortest match up to the shell prefix
        (
            "|3 a=b c=d e=/bin/sh -c /bin/sh -c make",
            None,
            "# ARGS: a=b c=d e=/bin/sh -c\nRUN make",
        ),
        ("|2 a=b c=d /bin/sh -c make", None, "# ARGS: a=b c=d\nRUN make"),
        ("|1 X=1 " + PS_PREFIX + "Write-Host hi", PS, "# ARGS: X=1\nRUN Write-Host hi"),
        (
            "|1 X=1 cmd /S /C echo hi",
            None,
            "# unable to parse image command string further:\n|1 X=1 cmd /S /C echo hi",
        ),
        ("", None, "RUN "),
        ("multi\nline", None, "RUN multi\nline"),
    ],
)
def test_history_text_2019(created_by: str, shell: tuple[str, ...] | None, text: str) -> None:
    assert history_text(created_by, shell, "2019") == text


@pytest.mark.parametrize(
    ("created_by", "text"),
    [
        (
            "RUN /bin/sh -c set -eux; pip3 --version # buildkit",
            "RUN set -eux; pip3 --version # buildkit",
        ),
        ("ENV PATH=/usr/local/bin:/usr/bin", "ENV PATH=/usr/local/bin:/usr/bin"),
        ('CMD ["python3"]', 'CMD ["python3"]'),
        (
            "COPY docker-entrypoint.sh /usr/local/bin/ # buildkit",
            "COPY docker-entrypoint.sh /usr/local/bin/ # buildkit",
        ),
        (
            "# debian.sh --arch 'amd64' out/ 'trixie' '@1785715200'",
            "RUN # debian.sh --arch 'amd64' out/ 'trixie' '@1785715200'",
        ),
        ("RUN |1 PY=3.13 /bin/sh -c make # buildkit", "# ARGS: PY=3.13\nRUN make # buildkit"),
        (
            "RUN /bin/sh -c cat <<EOF > x\nhello\nEOF # buildkit",
            "RUN cat <<EOF > x\nhello\nEOF # buildkit",
        ),
        ('/bin/sh -c #(nop)  CMD ["bash"]', 'CMD ["bash"]'),
    ],
)
def test_history_text_current(created_by: str, text: str) -> None:
    assert history_text(created_by, None, "current") == text


def test_buildkit_forms_in_2019_style_are_run_lines() -> None:
    assert history_text("ENV A=1", None, "2019") == "RUN ENV A=1"


# --------------------------------------------------------------------------- whole reports


def _image(**kw: Any) -> Image:
    base: dict[str, Any] = {
        "platform": PlatformSpec("linux", "amd64"),
        "digest": "sha256:" + "1" * 64,
        "config_digest": "sha256:" + "c" * 64,
        "history": (),
        "layers": (Layer("sha256:" + "a" * 64, 1202, "application/x"),),
    }
    base.update(kw)
    return Image(**base)


def test_missing_tag() -> None:
    report = Report(ref="python:3.99-rc", name="python")
    assert render(report) == "## `python:3.99-rc`\n\n**does not exist** (yet?)\n"
    assert render(report, "current") == render(report)


def test_empty_history_block_and_no_last_modified() -> None:
    report = Report(
        ref="x:1", name="x", digest="sha256:" + "0" * 64, media_type="m", images=(_image(),)
    )
    text = render(report)
    assert "```dockerfile\n```\n\n-\tLayers:\n" in text
    assert "Last Modified" not in text
    assert text.endswith("\t\tSize: 1.2 KB (1202 bytes)  \n\t\tMIME: application/x\n")
    assert "Docker Version" not in text
    assert "Default Command" not in text


def test_single_manifest_has_no_list_mime_and_no_console_block() -> None:
    image = _image(
        digest=None,
        platform=config_platform({"os": "linux", "architecture": "arm", "variant": "v7"}),
        docker_version="20.10.24",
        cmd=["python3"],
        entrypoint=["/docker-entrypoint.sh"],
        history=(HistoryEntry("2019-07-09T21:21:51.5Z", '/bin/sh -c #(nop)  CMD ["x"]'),),
        layers=(
            Layer("sha256:" + "a" * 64, 234, "application/y", "Tue, 09 Jul 2019 21:38:07 GMT"),
        ),
    )
    report = Report(
        ref="x:1",
        name="x",
        digest="sha256:" + "d" * 64,
        media_type=oci.MANIFEST_V2,
        is_list=False,
        images=(image,),
    )
    expected = (
        "## `x:1`\n\n```console\n$ docker pull x@sha256:" + "d" * 64 + "\n```\n\n"
        "-\tPlatforms:\n\t-\tlinux; arm\n\n"
        "### `x:1` - linux; arm\n\n"
        "-\tDocker Version: 20.10.24\n"
        "-\tManifest MIME: `application/vnd.docker.distribution.manifest.v2+json`\n"
        "-\tTotal Size: **234.0 B**  \n\t(compressed transfer size, not on-disk size)\n"
        "-\tImage ID: `sha256:" + "c" * 64 + "`\n"
        '-\tEntrypoint: `["\\/docker-entrypoint.sh"]`\n'
        '-\tDefault Command: `["python3"]`\n\n'
        '```dockerfile\n# Tue, 09 Jul 2019 21:21:51 GMT\nCMD ["x"]\n```\n\n'
        "-\tLayers:\n\t-\t`sha256:" + "a" * 64 + "`  \n"
        "\t\tLast Modified: Tue, 09 Jul 2019 21:38:07 GMT  \n\t\tSize: 234.0 B  \n"
        "\t\tMIME: application/y\n"
    )
    assert render(report, "2019") == expected
    assert render(report) == expected.replace("-\tPlatforms:\n", "-\tPlatforms: 1\n")


def test_current_style_attestation_entries_and_platform_count() -> None:
    attestation = _image(
        platform=PlatformSpec("unknown", "unknown"),
        manifest_media_type="application/vnd.oci.image.manifest.v1+json",
        layers=(
            Layer("sha256:" + "e" * 64, 2145490, "application/vnd.in-toto+json", None),
            Layer("sha256:" + "f" * 64, 23854, "application/vnd.in-toto+json", None),
        ),
    )
    image = _image(
        manifest_media_type="application/vnd.oci.image.manifest.v1+json",
        history=(HistoryEntry("2026-08-03T00:00:00Z", "ENV A=b"),),
    )
    report = Report(
        ref="python:3.13-slim",
        name="python",
        digest="sha256:" + "9" * 64,
        media_type="application/vnd.oci.image.index.v1+json",
        images=(image, attestation),
    )
    text = render(report, "current")
    assert "-\tManifest MIME: `application/vnd.oci.image.index.v1+json`\n-\tPlatforms: 2\n" in text
    assert "\t-\tlinux; amd64\n\t-\tunknown; unknown\n" in text
    section = text.split("### `python:3.13-slim` - unknown; unknown\n", 1)[1]
    assert section.startswith("\n```console\n$ docker pull python@sha256:1111")
    assert "-\tManifest MIME: `application/vnd.docker.distribution.manifest.v2+json`" in section
    assert "-\tTotal Size: **2.2 MB (2169344 bytes)**  " in section
    assert "```dockerfile\n```\n" in section
    assert section.count("MIME: application/vnd.in-toto+json") == 2
    assert "# Mon, 03 Aug 2026 00:00:00 GMT\nENV A=b\n" in text
    assert "-\tPlatforms:\n" in render(report, "2019")


def test_empty_cmd_prints_brackets_and_null_cmd_nothing() -> None:
    base: dict[str, Any] = {"ref": "x:1", "name": "x", "digest": "sha256:" + "0" * 64}
    base["media_type"] = "m"
    assert "-\tDefault Command: `[]`" in render(Report(images=(_image(cmd=[]),), **base))
    assert "Default Command" not in render(Report(images=(_image(cmd=None),), **base))
    assert "Entrypoint" not in render(Report(images=(_image(entrypoint=[]),), **base))


def test_schema1_image_prints_v1_mime() -> None:
    image = _image(manifest_media_type="application/vnd.docker.distribution.manifest.v1+prettyjws")
    report = Report(
        ref="x:1", name="x", digest="sha256:" + "0" * 64, media_type="m", images=(image,)
    )
    assert "`application/vnd.docker.distribution.manifest.v1+json`" in render(report)


def test_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="style"):
        render(Report(ref="x:1", name="x"), "2020")  # type: ignore[arg-type]
