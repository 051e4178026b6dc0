"""proc.run_command against real, cheap processes (the Python interpreter as a stand-in tool); the
children of a process found through /proc; signals turned into interrupts; commands that end
when orchestrate is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestrator import proc
from orchestrator.errors import CommandFailed

pytestmark = pytest.mark.real_processes


def test_captures_output_and_exit_code() -> None:
    done = proc.run_command([sys.executable, "-c", "print('hi'); import sys; sys.exit(0)"])
    assert done.returncode == 0
    assert done.stdout == "hi\n"
    assert done.argv[0] == sys.executable


def test_failure_carries_argv_code_and_output() -> None:
    with pytest.raises(CommandFailed) as info:
        proc.run_command(
            [sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(3)"]
        )
    assert info.value.returncode == 3
    assert "boom" in info.value.output
    assert info.value.exit_code == 3
    assert "exit code 3" in str(info.value)


def test_no_shell_is_involved() -> None:
    done = proc.run_command([sys.executable, "-c", "import sys; print(sys.argv[1])", "a;b $(x) *"])
    assert done.stdout == "a;b $(x) *\n"


def test_check_false_returns_the_failure() -> None:
    done = proc.run_command([sys.executable, "-c", "raise SystemExit(4)"], check=False)
    assert done.returncode == 4


def test_missing_tool_is_a_command_failure() -> None:
    with pytest.raises(CommandFailed) as info:
        proc.run_command(["orchestrate-no-such-tool-xyz"])
    assert info.value.returncode == 127


def test_log_file_receives_streamed_output(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "job.log"
    done = proc.run_command(
        [sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr)"],
        log_file=log_file,
    )
    text = log_file.read_text()
    assert text.startswith("$ ")
    assert "out\n" in text and "err\n" in text
    assert "out" in done.stdout


def test_env_is_merged_over_the_environment() -> None:
    done = proc.run_command(
        [sys.executable, "-c", "import os; print(os.environ['ORCH_T'], 'PATH' in os.environ)"],
        env={"ORCH_T": "x"},
    )
    assert done.stdout == "x True\n"


@pytest.mark.timeout(60)
def test_timeout_holds_while_output_streams_to_the_log(tmp_path: Path) -> None:
    # The child prints, then keeps its output open far longer than the timeout: the timeout
    # must still end it (a hung smoke test once outlived its 600 s this way).
    log_file = tmp_path / "job.log"
    script = "import sys, time; print('started', flush=True); time.sleep(300)"
    with pytest.raises(CommandFailed) as info:
        proc.run_command([sys.executable, "-c", script], log_file=log_file, timeout=1)
    assert info.value.returncode == -1
    assert info.value.output == "started\ntimed out after 1 s"
    assert "started\n" in log_file.read_text()


def test_child_pids_reads_proc(tmp_path: Path) -> None:
    for pid, ppid, comm in ((10, 1, "init"), (11, 10, "docker buildx) x"), (12, 10, "docker")):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} ({comm}) S {ppid} 1 1 0\n")
    (tmp_path / "self").mkdir()
    (tmp_path / "13").mkdir()  # a process that ended while /proc was read: no stat file
    assert proc.child_pids(10, tmp_path) == [11, 12]
    assert proc.child_pids(99, tmp_path) == []
    assert [(p.pid, p.state, p.ppid, p.pgid) for p in proc.processes(tmp_path)] == [
        (10, "S", 1, 1),
        (11, "S", 10, 1),
        (12, "S", 10, 1),
    ]


def test_sigterm_interrupts_like_ctrl_c_and_restores_the_handler() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), proc.sigterm_interrupts():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before


# A stand-in for orchestrate: it starts one long command from a worker thread, as a build job
# does, and one from its main thread, then prints both PIDs and waits.
PARENT = """\
import pathlib, sys, threading, time
from orchestrator import proc
cmd = [sys.executable, "-c", "import time; print('started', flush=True); time.sleep(120)"]
run = proc.run_command
threading.Thread(target=run, args=(cmd,), kwargs={"log_file": LOG}, daemon=True).start()
threading.Thread(target=run, args=(cmd,), daemon=True).start()
time.sleep(120)
"""


@pytest.mark.skipif(proc._setpriv() is None, reason="no setpriv with --pdeathsig here")
def test_commands_end_when_orchestrate_is_killed(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            PARENT.replace("LOG", f"pathlib.Path({str(tmp_path / 'job.log')!r})"),
        ],
        cwd=Path(__file__).resolve().parents[2],
    )
    children: list[int] = []
    try:
        deadline = time.monotonic() + 30
        while len(proc.child_pids(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        children = proc.child_pids(parent.pid)
        assert len(children) == 2
        os.kill(parent.pid, signal.SIGKILL)  # no handler, no cleanup: as the OOM killer does
        parent.wait()
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in children)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in children:  # ours: never left running, whatever the outcome
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its reaper does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
