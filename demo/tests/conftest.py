"""One run of ``kervan demo --exit --export DIR`` (the main job, as a user runs it: a process
of its own on a fresh home) shared by the tests that check what it prints and exports; each
demo run costs tens of seconds, and the default run's output does not change between them."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

KERVAN = str(Path(sys.executable).parent / "kervan")


@dataclass(frozen=True)
class DemoRun:
    stdout: str
    summary: dict
    out: Path


def run_demo(home: Path, out: Path, *extra: str) -> DemoRun:
    env = {**os.environ, "KERVAN_HOME": str(home)}
    for name in ("KERVAN_STORE_URL", "KERVAN_BROKER_URL"):
        env.pop(name, None)
    proc = subprocess.run(
        [KERVAN, "demo", "--exit", "--export", str(out), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return DemoRun(proc.stdout, json.loads((out / "summary.json").read_text()), out)


@pytest.fixture(scope="session")
def default_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The demo with its default options, exported once for the whole run: under xdist the
    first worker to ask runs it in the run's shared temporary folder (the parent of each
    worker's own), holding a lock; a worker asking later reads what that run left."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    root = base / "default-demo"
    root.mkdir(exist_ok=True)
    with open(base / "default-demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stdout = root / "stdout.txt"  # written last: the run before it finished
        if stdout.exists():
            out = root / "out"
            return DemoRun(stdout.read_text(), json.loads((out / "summary.json").read_text()), out)
        run = run_demo(root / "home", root / "out")
        stdout.write_text(run.stdout)
        return run
