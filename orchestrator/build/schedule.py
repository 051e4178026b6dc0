"""Step 7's scheduler: run the jobs in plan order with at most ``--jobs`` build slots busy.

A heavy job (built under emulation, or running a PGO profile: ``JobPlan.heavy``) takes two
slots, every other one slot. A job may wait for others (``after``: a cross job starts after its
variant's native job on the build platform, whose layers its build-python stage reuses from the
build cache); while it waits, the next ready jobs take their turn. A failure without
``--keep-going`` stops new jobs from starting; Ctrl-C or SIGTERM stops them too, interrupts the
running children, and waits for the running jobs to come back.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Protocol, TypeVar

import structlog

from orchestrator import proc

log = structlog.get_logger(__name__)

T = TypeVar("T")


class Schedulable(Protocol):
    """What the scheduler needs of a job: its id, whether it takes two slots, and the ids of
    the jobs it starts after (those of the run; others are ignored)."""

    @property
    def id(self) -> str: ...

    @property
    def heavy(self) -> bool: ...

    @property
    def after(self) -> tuple[str, ...]: ...


J = TypeVar("J", bound=Schedulable)


def default_jobs(cpus: int | None = None) -> int:
    """Slots for concurrent builds: one per core (a heavy job takes two, see ``cost``).

    On the 2-core farm that is two light jobs (native quick builds, small images) at once, or
    one emulated/PGO job alone: each CPython build already runs ``make -j$(nproc)``.
    """
    return max(1, cpus if cpus is not None else (os.cpu_count() or 1))


def cost(heavy: bool, slots: int) -> int:
    """How many slots a job takes: heavy (emulated or PGO) jobs two, others one (a cross job
    compiles natively: heavy only with a PGO profile)."""
    return min(slots, 2 if heavy else 1)


def schedule(
    jobs: Sequence[J],
    run_one: Callable[[J], T],
    *,
    slots: int,
    interrupted: threading.Event,
    stop: Callable[[T], bool] = lambda _: False,
    on_interrupt: Callable[[], None] = lambda: None,
    poll: float = 0.5,
) -> tuple[dict[str, T], bool]:
    """Run ``run_one`` over ``jobs`` in order with at most ``slots`` busy (``cost`` per job).

    Jobs start in plan order (a heavy job waits for its slots rather than being overtaken, so
    the order of a run is predictable); a job whose ``after`` jobs have not all finished is
    passed over until they have (whatever their result), and the next ready job starts. When
    ``stop(result)`` is true (a failure without ``--keep-going``) nothing new starts. A
    KeyboardInterrupt, in this thread or raised by ``run_one``, sets ``interrupted``, calls
    ``on_interrupt`` (which stops the running children) and waits for the running jobs to come
    back. Returns the results by job id (jobs
    never started are absent) and whether the run was interrupted.

    While it runs, SIGINT and SIGTERM do the same through ``proc.signals_call`` instead of
    raising KeyboardInterrupt wherever the main thread happens to be: an exception landing
    between taking a finished future out of ``running`` and storing its result would lose a job
    that was built and pushed (it would then be recorded "interrupted").
    """
    slots = max(1, slots)
    pending = list(jobs)
    in_run = {j.id for j in jobs}
    running: dict[Future[T], tuple[J, int]] = {}
    results: dict[str, T] = {}
    busy = 0
    halted = False
    error: BaseException | None = None

    def interrupt() -> None:
        if not interrupted.is_set():
            interrupted.set()
            log.warning("build.interrupted", running=[j.id for j, _ in running.values()])
            on_interrupt()

    with (
        proc.signals_call(interrupt),
        ThreadPoolExecutor(max_workers=slots, thread_name_prefix="job") as pool,
    ):
        while pending or running:
            try:
                while not (halted or interrupted.is_set() or error):
                    waiting = in_run - results.keys()
                    job = next((j for j in pending if not waiting & set(j.after) - {j.id}), None)
                    if job is None:
                        break
                    need = cost(job.heavy, slots)
                    if busy + need > slots:
                        break
                    pending.remove(job)
                    busy += need
                    running[pool.submit(run_one, job)] = (job, need)
                if not running:
                    break
                done, _ = wait(list(running), timeout=poll, return_when=FIRST_COMPLETED)
                for future in done:
                    job, need = running.pop(future)
                    busy -= need
                    exc = future.exception()
                    if isinstance(exc, KeyboardInterrupt):
                        interrupt()
                    elif exc is not None:
                        error = error or exc
                    else:
                        result = future.result()
                        results[job.id] = result
                        halted = halted or stop(result)
            except KeyboardInterrupt:
                interrupt()
    if error is not None:
        raise error
    return results, interrupted.is_set()
