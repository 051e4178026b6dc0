"""Catalogue, Ctrl-C while ``orchestrate`` loads: exit 130, one line, no traceback, no file.

SIGINT is sent at moments spread over the whole start-up of a real ``orchestrate plan`` (from
just after the interpreter's own start to the end of the run): while ``orchestrator.entry``
holds SIGINT the program exits 130 at once; once ``cli.main`` runs, ``KeyboardInterrupt`` is
caught there (also 130). A run that finished before the signal came exits 0. The interpreter's
own start, before the first line of orchestrate runs, is Python's (measured here as the time
``python -c pass`` takes, and left out: a signal there may end in a traceback of ``site``).
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
    """How long the interpreter takes before it runs a first line of a program (best of 3)."""
    best = 10.0
    for _ in range(3):
        start = time.monotonic()
        subprocess.run([sys.executable, "-c", "pass"], check=True, timeout=30)
        best = min(best, time.monotonic() - start)
    return best


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
    first = _interpreter_start() * 1.5
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
        assert "Traceback" not in err, f"SIGINT after {delay:.3f}s:\n{err}"
        # 130: interrupted; 0: done before the signal; -SIGINT: the signal came as the
        # interpreter was exiting (a shell shows 130 too), with nothing printed.
        assert proc.returncode in (130, 0, -signal.SIGINT), (delay, proc.returncode, err)
        if proc.returncode == 130:
            assert err.strip().endswith("interrupted"), err
        outcomes.append((delay, proc.returncode))
    assert sum(code == 130 for _, code in outcomes) >= moments // 2, outcomes
    assert snapshot(place.root) == before


def test_ctrl_c_while_loading_exits_130_without_a_traceback(tmp_path: Path) -> None:
    _interrupts(tmp_path, MOMENTS)


@pytest.mark.slow
def test_ctrl_c_at_many_moments_of_start_up(tmp_path: Path) -> None:
    _interrupts(tmp_path, 100)
