"""The scheduler alone: plan order, slots, heavy jobs, stop, interrupts and signals."""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
from collections.abc import Callable

import pytest

from orchestrator.build import schedule
from orchestrator.build.jobs import JobPlan
from tests.unit.build_fakes import planned


def schedule_one_at_a_time(
    jobs: list[JobPlan], run_one: Callable[[JobPlan], str], stopped: list[bool]
) -> dict[str, str]:
    """One slot, interrupted: the event is set and ``on_interrupt`` called exactly once."""
    event = threading.Event()
    results, interrupted = schedule.schedule(
        jobs, run_one, slots=1, interrupted=event, on_interrupt=lambda: stopped.append(True),
        poll=0.01,
    )  # fmt: skip
    assert interrupted and event.is_set() and stopped == [True]
    return results


def test_schedule_keeps_order_and_caps_concurrency() -> None:
    jobs = [planned("amd64", f"v{i}") for i in range(6)]
    lock = threading.Lock()
    state = {"now": 0, "most": 0}
    started: list[str] = []

    def run_one(j: JobPlan) -> str:
        with lock:
            started.append(j.id)
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.02)
        with lock:
            state["now"] -= 1
        return j.id

    results, interrupted = schedule.schedule(
        jobs, run_one, slots=2, interrupted=threading.Event(), poll=0.01
    )
    assert not interrupted and sorted(results) == sorted(j.id for j in jobs)
    assert state["most"] == 2
    assert started[:2] == [jobs[0].id, jobs[1].id]


def test_heavy_jobs_take_two_slots() -> None:
    jobs = [planned("arm64v8", "a"), planned("amd64", "b")]
    jobs += [planned("arm64v8", "c"), planned("amd64", "d")]
    lock = threading.Lock()
    running: set[str] = set()
    seen: list[set[str]] = []

    def run_one(j: JobPlan) -> str:
        with lock:
            running.add(j.id)
            seen.append(set(running))
        time.sleep(0.02)
        with lock:
            running.discard(j.id)
        return j.id

    schedule.schedule(jobs, run_one, slots=2, interrupted=threading.Event(), poll=0.01)
    for snapshot in seen:  # an emulated job never shares the two slots
        assert not (any("arm64v8" in s for s in snapshot) and len(snapshot) > 1), snapshot
    assert schedule.cost(True, 1) == 1 and schedule.cost(True, 4) == 2


def test_schedule_interrupted_by_a_job_stops_everything() -> None:
    jobs = [planned("amd64", f"v{i}") for i in range(4)]
    calls: list[str] = []
    stopped: list[bool] = []

    def run_one(j: JobPlan) -> str:
        calls.append(j.id)
        if j.id.endswith("v1-amd64"):
            raise KeyboardInterrupt
        return j.id

    results = schedule_one_at_a_time(jobs, run_one, stopped)
    assert list(results) == [jobs[0].id] and calls == [jobs[0].id, jobs[1].id]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_schedule_turns_a_signal_into_an_interrupt_without_losing_a_result(sig: int) -> None:
    # A real signal to this process, sent by the job itself at the moment it finishes (as a
    # user's Ctrl-C after the first job): the job's result is kept, nothing new starts, and
    # no KeyboardInterrupt escapes. The previous handler is restored afterwards.
    jobs = [planned("amd64", f"v{i}") for i in range(3)]
    stopped: list[bool] = []
    before = signal.getsignal(sig)

    def run_one(j: JobPlan) -> str:
        if j.id.endswith("v0-amd64"):
            os.kill(os.getpid(), sig)
        return j.id

    results = schedule_one_at_a_time(jobs, run_one, stopped)
    assert list(results) == [jobs[0].id]
    assert signal.getsignal(sig) is before


def test_schedule_stop_lets_running_jobs_finish_but_starts_nothing() -> None:
    jobs = [planned("amd64", f"v{i}") for i in range(4)]
    results, _ = schedule.schedule(
        jobs, lambda j: j.id, slots=1, interrupted=threading.Event(),
        stop=lambda r: r.endswith("v1-amd64"), poll=0.01,
    )  # fmt: skip
    assert list(results) == [jobs[0].id, jobs[1].id]


def test_a_job_waits_for_its_after_jobs_while_ready_ones_take_their_turn() -> None:
    """A cross job starts only once the native job it reuses has finished; the job behind it in
    plan order, which waits for nothing, starts in the meantime."""
    native = planned("amd64", "slim")
    cross = dataclasses.replace(planned("arm64v8", "slim", how="cross"), after=(native.id,))
    other = planned("i386", "slim")
    lock = threading.Lock()
    events: list[str] = []

    def run_one(j: JobPlan) -> str:
        with lock:
            events.append(f"start {j.id}")
        time.sleep(0.05 if j is native else 0.01)
        with lock:
            events.append(f"end {j.id}")
        return j.id

    results, _ = schedule.schedule(
        [native, cross, other], run_one, slots=2, interrupted=threading.Event(), poll=0.01
    )
    assert sorted(results) == sorted([native.id, cross.id, other.id])
    assert events[:2] == [f"start {native.id}", f"start {other.id}"]
    assert events.index(f"start {cross.id}") > events.index(f"end {native.id}")


def test_after_names_only_jobs_of_the_run() -> None:
    """A job waiting for a job that is not in this run (skipped, or another --arch) starts at
    once; so does one whose awaited job failed (it then builds that stage itself)."""
    lone = dataclasses.replace(planned("arm64v8", "slim", how="cross"), after=("absent",))
    failing = planned("amd64", "slim")
    cross = dataclasses.replace(planned("arm32v7", "slim", how="cross"), after=(failing.id,))
    started: list[str] = []

    def run_one(j: JobPlan) -> str:
        started.append(j.id)
        return "failed" if j is failing else "ok"

    results, _ = schedule.schedule(
        [lone, failing, cross], run_one, slots=1, interrupted=threading.Event(), poll=0.01
    )
    assert started == [lone.id, failing.id, cross.id] and results[cross.id] == "ok"
