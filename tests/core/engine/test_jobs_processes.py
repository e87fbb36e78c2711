"""Engine processes behind the embedded broker (``start_jobs(processes=N)``): the serving
process keeps the broker and the worker threads; the engine work runs in spawned children."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_process_fakes import FussyError, fake_engine, work_log
from kervan.errors import RateLimitedError
from kervan.jobs.crossing import ForeignError, ForeignKervanError, pack, unpack
from kervan.jobs.deadletters import list_dead
from kervan.jobs.processes import EngineProcessLost, ProcessesRefused
from kervan.runtime import Runtime


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("processes")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KERVAN_HOME", str(home))
        patch.delenv("KERVAN_BROKER_URL", raising=False)
        patch.delenv("KERVAN_STORE_URL", raising=False)
        yield home


@pytest.fixture
def home(shared_home, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("KERVAN_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def rt(shared_home):
    """One runtime with two engine processes for the module (a child takes seconds to start:
    it imports Kervan and its plugins)."""
    runtime = Runtime.create(store_url=f"sqlite:///{shared_home}/k.db")
    runtime.start_jobs(
        scheduler=False,
        processes=2,
        process_setup=functools.partial(fake_engine, str(shared_home)),
    )
    yield runtime
    runtime.close()


def _wait_for(path: Path, timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} did not appear within {timeout_s} s")


def test_order_jobs_run_in_both_engine_processes(rt, shared_home):
    jobs = rt.jobs
    children = set(jobs.processes.pids)
    assert len(children) == 2 and os.getpid() not in children
    for i in range(24):
        assert jobs.enqueue_order("t1", f"slow-{i}")
    jobs.join()
    done = {o: p for o, p in work_log(shared_home).items() if o.startswith("slow-")}
    assert sorted(done) == sorted(f"slow-{i}" for i in range(24))
    assert set(done.values()) == children  # two different processes did engine work


def test_a_job_whose_engine_process_is_killed_runs_again_and_completes(rt, shared_home):
    jobs = rt.jobs
    jobs.enqueue_order("t1", "kill-1")
    victim = int(_wait_for(shared_home / "victim"))
    assert victim in jobs.processes.pids
    os.kill(victim, signal.SIGKILL)
    jobs.join()
    assert work_log(shared_home)["kill-1"] != victim
    assert list_dead(rt.store, "t1") == []
    deadline = time.monotonic() + 60  # the dead child's place is taken
    while len(jobs.processes.pids) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(jobs.processes.pids) == 2 and victim not in jobs.processes.pids


def test_an_error_crosses_back_with_its_class_and_fields(rt):
    with pytest.raises(FussyError, match="order fussy-1 is fussy") as raised:
        rt.jobs.processes.run("process_order", ("t1", "fussy-1"), lambda ids: None)
    assert (raised.value.order_id, raised.value.shelf) == ("fussy-1", 7)
    assert any("raised in engine process" in note for note in raised.value.__notes__)
    # through the queue: not retryable, so straight to the dead letters, named as itself
    rt.jobs.enqueue_order("t1", "fussy-2")
    rt.jobs.join()
    (dead,) = list_dead(rt.store, "t1")
    assert dead["error"] == "FussyError: order fussy-2 is fussy"
    assert dead["retries"] == 0


def test_pack_keeps_retry_fields_and_stands_in_for_what_cannot_cross():
    back = unpack(pack(RateLimitedError("slow down", retry_after=12.5, remote="trendyol")))
    assert isinstance(back, RateLimitedError) and back.retryable
    assert (back.retry_after, back.remote, back.message) == (12.5, "trendyol", "slow down")

    class Local(RateLimitedError):  # no module-level name: cannot be pickled by reference
        pass

    stand_in = unpack(pack(Local("local")))
    assert isinstance(stand_in, ForeignKervanError)
    assert stand_in.retryable and stand_in.code == "rate_limited"
    assert stand_in.type_name.endswith("Local")
    other = unpack(pack(type("Odd", (Exception,), {})("odd")))
    assert isinstance(other, ForeignError) and str(other) == "Odd: odd"


def test_an_in_memory_store_is_refused(home):
    runtime = Runtime.create(store_url="sqlite:///:memory:")
    try:
        with pytest.raises(ProcessesRefused, match="in-memory store"):
            runtime.start_jobs(scheduler=False, processes=2)
        assert runtime.jobs is None
    finally:
        runtime.close()


def test_in_process_overrides_are_refused_without_a_setup_hook(home):
    runtime = Runtime.create(store_url=f"sqlite:///{home}/k.db")
    runtime.connectors.overrides["ty"] = {"clock": time.time}
    try:
        with pytest.raises(ProcessesRefused, match="ty have in-process overrides"):
            runtime.start_jobs(scheduler=False, processes=2)
    finally:
        runtime.close()


def test_a_lost_engine_process_is_a_retryable_error():
    assert EngineProcessLost("gone").retryable


SERVING = """
import os, sys, time
from kervan.runtime import Runtime
rt = Runtime.create(store_url=f"sqlite:///{sys.argv[1]}/k.db")
rt.start_jobs(scheduler=False, processes=2)
print(" ".join(map(str, rt.jobs.processes.pids)), flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # exited; only waiting for whoever adopted it to reap it


def test_engine_processes_exit_when_the_serving_process_is_killed(home):
    serving = subprocess.Popen(
        [sys.executable, "-c", SERVING, str(home)], stdout=subprocess.PIPE, text=True
    )
    try:
        pids = [int(p) for p in serving.stdout.readline().split()]
        assert len(pids) == 2 and all(not _gone(p) for p in pids)
    finally:
        serving.kill()
        serving.wait()
    deadline = time.monotonic() + 15
    while not all(_gone(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(_gone(p) for p in pids)
