"""One run of ``kervan demo --exit --export DIR`` (the main job, as a user runs it: a process
of its own on a fresh home) shared by the tests that check what it prints and exports; each
demo run costs tens of seconds, and the default run's output does not change between them."""

from __future__ import annotations

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
def default_demo(tmp_path_factory) -> DemoRun:
    """The demo with its default options, exported once for the whole session."""
    root = tmp_path_factory.mktemp("default-demo")
    return run_demo(root / "home", root / "out")
