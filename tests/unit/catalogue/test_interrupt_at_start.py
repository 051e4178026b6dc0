"""Catalogue, Ctrl-C while ``orchestrate`` loads: exit 130, one line, no traceback, no file.

SIGINT is sent at moments spread over the whole start-up of a real ``orchestrate plan`` (from
just after the interpreter's own start to the end of the run): while ``orchestrator.entry``
holds SIGINT the program exits 130 at once; once ``cli.main`` runs, ``KeyboardInterrupt`` is
caught there (also 130); after it returned, ``orchestrator.entry`` again exits 130, until the
interpreter's own finalisation, where SIGINT ends the process as a signal does (a shell shows
130). A run that had ended before the signal came exits 0.

What comes before the first line of ``orchestrator.entry`` is the interpreter's own start
(``site``, the console script's first import), which no code of orchestrate can reach: a signal
there ends as Python ends it. The moments start after that time as measured here (twice the
best ``python -c "import orchestrator.entry"``), and a traceback is allowed only if it shows
no frame of orchestrate's own code (the machine was slower than measured); any frame of
``orchestrator/`` in a traceback fails the test.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.unit.catalogue.harness import ORCHESTRATE, Case, environment, make_place, snapshot

pytestmark = pytest.mark.real_processes

MOMENTS = 12  # signals spread over one run (the slow profile sends many more)


def _interpreter_start() -> float:
    """How long the interpreter takes to reach orchestrate's first line (best of 3)."""
    best = 10.0
    for _ in range(3):
        start = time.monotonic()
        subprocess.run([sys.executable, "-c", "import orchestrator.entry"], check=True, timeout=30)
        best = min(best, time.monotonic() - start)
    return best


def _before_orchestrate(err: str) -> bool:
    """A traceback of the interpreter's own start: no frame of orchestrate's code in it."""
    return "Traceback" in err and "/orchestrator/" not in err


def _run_length(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.monotonic()
    subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True, timeout=60)
    return time.monotonic() - start


def _interrupts(tmp_path: Path, moments: int) -> None:
    case = Case("sigint-at-start", ("-C", "{root}", "plan", "3.13.5"), ())
    place = make_place(tmp_path, case)
    env = environment(tmp_path, {})
    argv = [ORCHESTRATE, *place.argv(case)]
    before = snapshot(place.root)
    first = _interpreter_start() * 2
    length = _run_length(argv, place.root, env)
    outcomes: list[tuple[float, int]] = []
    for i in range(moments):
        delay = first + (length - first) * i / moments
        proc = subprocess.Popen(
            argv, cwd=place.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err_bytes = proc.communicate(timeout=60)
        err = err_bytes.decode()
        if _before_orchestrate(err):
            outcomes.append((delay, -1))
            continue
        assert "Traceback" not in err, f"SIGINT after {delay:.3f}s:\n{err}"
        # 130: interrupted; 0: the run had ended before the signal came; killed by SIGINT (a
        # shell shows 130) with nothing printed: the signal came while the interpreter itself
        # was exiting (its finalisation restores the default handler), the output flushed.
        assert proc.returncode in (130, 0) or (proc.returncode == -signal.SIGINT and not err), (
            delay,
            proc.returncode,
            err,
        )
        if proc.returncode == 130:
            assert err.strip().endswith("interrupted"), err
        outcomes.append((delay, proc.returncode))
    assert sum(code == 130 for _, code in outcomes) >= moments // 3, outcomes
    assert sum(code == -1 for _, code in outcomes) <= 1, outcomes
    assert snapshot(place.root) == before


def test_ctrl_c_while_loading_exits_130_without_a_traceback(tmp_path: Path) -> None:
    _interrupts(tmp_path, MOMENTS)


@pytest.mark.slow
def test_ctrl_c_at_many_moments_of_start_up(tmp_path: Path) -> None:
    _interrupts(tmp_path, 100)
