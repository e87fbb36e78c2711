"""One store directory per ``kervan demo`` run: ``$KERVAN_HOME/demo/<run id>``.

Each run holds an exclusive lock on its directory's ``demo.lock`` for as long as it lives, so a
second demo never touches the store (and the API keys) of one still running. A directory whose
lock nobody holds belongs to a finished run: the newest few are kept, so a seller can still
look into the last run's store after stopping it, and older ones are deleted when the next demo
starts.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: fall back to the pid in the lock file
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = "demo.lock"
#: finished runs kept besides the new one
KEEP_FINISHED = 3


@dataclass
class RunDir:
    """A demo run's directory, locked until :meth:`release`."""

    path: Path
    _lock: IO[str] | None = field(default=None, repr=False)

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file drops the flock
            self._lock = None


def claim(base: Path, *, keep: int = KEEP_FINISHED) -> RunDir:
    """A new locked run directory under ``base``, after deleting finished runs beyond the
    newest ``keep``. Runs still going (their lock is held) are never touched."""
    base.mkdir(parents=True, exist_ok=True)
    prune(base, keep=keep)
    while True:
        run_id = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
        path = base / run_id
        try:
            path.mkdir()
        except FileExistsError:
            continue
        lock = _lock(path, own=True)
        assert lock is not None  # a directory made just now is nobody else's
        return RunDir(path, lock)


def prune(base: Path, *, keep: int = KEEP_FINISHED) -> list[Path]:
    """Delete the finished runs under ``base`` except the newest ``keep``; return them."""
    finished = []
    for path in sorted(base.iterdir(), reverse=True):  # run ids sort by start time
        if not (path / LOCK_FILE).is_file():
            continue  # not a run directory (or one being made this instant)
        lock = _lock(path)
        if lock is None:
            continue  # still running
        finished.append((path, lock))
    removed = []
    for path, _ in finished[keep:]:
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    for _, lock in finished:
        lock.close()
    return removed


def _lock(path: Path, *, own: bool = False) -> IO[str] | None:
    """The run's lock file, opened and locked; None if a live demo holds it. ``own`` writes
    this process's id into it (the run is ours from now on)."""
    handle = open(path / LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115 - held open
    if fcntl is not None:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return None
    else:  # pragma: no cover
        handle.seek(0)
        pid = handle.read().strip()
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            handle.close()
            return None
    if own:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
    return handle


def _alive(pid: int) -> bool:  # pragma: no cover - only without fcntl
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
