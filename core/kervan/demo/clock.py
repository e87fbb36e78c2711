"""A wall clock for sandboxes served by the demo.

The core may not import ``kervan_sdk`` (the boundary test holds it to that), so the demo hands
sandboxes this duck-typed clock: real time plus an offset the demo moves forward, with the
same surface as ``kervan_sdk.sandbox.WallClock`` (now, advance, set, sleep, real, sleeps).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta


class DemoClock:
    def __init__(self) -> None:
        self._offset = timedelta(0)
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def __call__(self) -> datetime:
        return self.now()

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._offset += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        self._offset = when - datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(max(0.0, seconds))
        await asyncio.sleep(max(0.0, seconds))

    @property
    def slept(self) -> float:
        return sum(self.sleeps)

    @property
    def real(self) -> bool:
        return True
