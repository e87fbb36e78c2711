"""One asyncio loop per process for all connector I/O.

Connector instances are cached per connection and hold httpx clients bound to the loop that
created them, so every coroutine that touches a connector must run on the same loop. Dramatiq
worker threads (and the scheduler) hand their coroutines to this loop and wait.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class EngineLoop:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="kervan-loop", daemon=True
        )
        self._thread.start()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 300) -> T:
        """Run ``coro`` on the engine loop from any other thread and wait for its result."""
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("EngineLoop.run called from the loop itself; await instead")
        if self._loop.is_closed() or not self._thread.is_alive():
            coro.close()  # never scheduled: no "coroutine was never awaited" at collection
            raise RuntimeError("the engine loop has stopped")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
