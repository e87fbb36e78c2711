"""Two demos on one KERVAN_HOME each keep their own store, port and keys; a finished run's
directory is cleaned up later, a running one never."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from kervan_demo import rundirs

KERVAN = str(Path(sys.executable).parent / "kervan")


class RunningDemo:
    """``kervan demo`` (no --exit) as its own process; what it printed once it serves."""

    def __init__(self, home: Path) -> None:
        env = {**os.environ, "KERVAN_HOME": str(home)}
        for name in ("KERVAN_STORE_URL", "KERVAN_BROKER_URL", "KERVAN_SECRET_KEY"):
            env.pop(name, None)
        self.proc = subprocess.Popen(
            [KERVAN, "demo"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []
        self.serving = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            if line.startswith("Ctrl-C to stop"):
                self.serving.set()

    def wait_serving(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.serving.wait(0.5):
            text = "".join(self.output)[-3000:]
            assert self.proc.poll() is None, f"the demo exited early:\n{text}"
            assert time.monotonic() < deadline, f"the demo did not start serving:\n{text}"

    def printed(self, pattern: str) -> str:
        found = re.search(pattern, "".join(self.output), re.MULTILINE)
        assert found, f"{pattern!r} not in:\n{''.join(self.output)[-3000:]}"
        return found.group(1)

    @property
    def url(self) -> str:
        return self.printed(r"^API: (http://127\.0\.0\.1:\d+/v1)")

    @property
    def key(self) -> str:
        return self.printed(r"^demo API key \(tenant 'demo'\): (\S+)")

    @property
    def home(self) -> str:
        return self.printed(r"^to reach it from another shell, use KERVAN_HOME=(\S+)")

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def _get(url: str, key: str) -> httpx.Response:
    return httpx.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def _admin_key(home: str) -> str:
    env = {**os.environ, "KERVAN_HOME": home}
    env.pop("KERVAN_STORE_URL", None)
    env.pop("KERVAN_SECRET_KEY", None)
    proc = subprocess.run(
        [KERVAN, "admin", "create-key"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_two_concurrent_demos_both_keep_answering_with_their_own_keys(tmp_path):
    home = tmp_path / "home"
    first, second = RunningDemo(home), RunningDemo(home)
    try:
        first.wait_serving(240)
        second.wait_serving(240)
        # each run its own store, port and key
        assert first.home != second.home
        assert {Path(first.home).parent, Path(second.home).parent} == {home / "demo"}
        assert first.url != second.url
        for demo in (first, second):
            assert _get(f"{demo.url}/tenant", demo.key).json()["id"] == "demo"
            assert _get(f"{demo.url}/orders", demo.key).status_code == 200
        # a key is only good for its own demo
        assert _get(f"{first.url}/tenant", second.key).status_code == 401
        assert _get(f"{second.url}/tenant", first.key).status_code == 401
        # the KERVAN_HOME a demo printed reaches its store: a platform-admin key made there
        # works on that demo's API (and not on the other's)
        admin = _admin_key(first.home)
        assert _get(f"{first.url}/tenants", admin).status_code == 200
        assert _get(f"{second.url}/tenants", admin).status_code == 401
        # and after all that, the first keys still work
        for demo in (first, second):
            assert _get(f"{demo.url}/tenant", demo.key).status_code == 200
    finally:
        codes = first.stop(), second.stop(signal.SIGTERM)
    assert codes == (0, 0), "".join(first.output[-20:] + second.output[-20:])
    for demo in (first, second):
        assert "Traceback" not in "".join(demo.output)
        assert demo.output[-1] == f"demo stopped; its store stays in {demo.home}\n"
    # both stores stay for a look afterwards (finished runs are pruned beyond the newest few)
    assert (Path(first.home) / "kervan.db").is_file()
    assert (Path(second.home) / "kervan.db").is_file()


def test_each_run_gets_a_directory_of_its_own(tmp_path):
    a, b = rundirs.claim(tmp_path), rundirs.claim(tmp_path)
    try:
        assert a.path != b.path and a.path.parent == b.path.parent == tmp_path
        assert (a.path / rundirs.LOCK_FILE).read_text() == str(os.getpid())
    finally:
        a.release()
        b.release()


def test_pruning_keeps_running_demos_and_the_newest_finished_ones(tmp_path):
    finished = []
    for _ in range(5):
        run = rundirs.claim(tmp_path, keep=100)
        run.release()
        finished.append(run.path)
        time.sleep(0.01)
    running = rundirs.claim(tmp_path, keep=100)  # the oldest-looking name must not matter
    oldest_running = tmp_path / "00000000-000000-0000"
    oldest_running.mkdir()
    held = rundirs._lock(oldest_running, own=True)
    try:
        removed = rundirs.prune(tmp_path, keep=2)
        assert sorted(removed) == sorted(finished)[:3]
        left = sorted(p for p in tmp_path.iterdir())
        assert left == sorted([oldest_running, *sorted(finished)[3:], running.path])
    finally:
        running.release()
        if held is not None:
            held.close()


def test_a_directory_that_is_not_a_run_is_left_alone(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "kervan.db").write_text("an old demo's store")
    run = rundirs.claim(tmp_path, keep=0)
    run.release()
    assert rundirs.prune(tmp_path, keep=0) == [run.path]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kervan.db", "notes"]
