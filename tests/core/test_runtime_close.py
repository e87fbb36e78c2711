"""Shutting a runtime down closes the connectors it built, on the loop their clients use."""

from __future__ import annotations

import threading

from kervan.runtime import Runtime
from kervan.store import open_store


class Closes:
    def __init__(self, closed: list[str]) -> None:
        self.closed = closed

    async def aclose(self) -> None:
        self.closed.append(threading.current_thread().name)


class FailsToClose:
    async def aclose(self) -> None:
        raise RuntimeError("socket already gone")


def test_closing_the_runtime_closes_every_cached_connector(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("KERVAN_HOME", str(tmp_path))
    rt = Runtime.create(store=open_store(f"sqlite:///{tmp_path}/kervan.db"))
    closed: list[str] = []
    monkeypatch.setattr(rt.connections, "built", lambda: [FailsToClose(), Closes(closed)])
    rt.close()
    # on the engine loop's thread, and one failure does not keep the others open
    assert closed == ["kervan-loop"]
