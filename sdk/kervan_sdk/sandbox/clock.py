"""Clocks for sandboxes and tests: simulated time that sleeping advances instead of waiting."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

#: where a fresh simulated clock starts: a weekday morning, Istanbul business hours in UTC
DEFAULT_START = datetime(2026, 1, 15, 7, 0, tzinfo=UTC)


class SimClock:
    """Simulated time. ``await clock.sleep(s)`` advances the clock by ``s`` and returns at once.

    Pass ``clock.now`` and ``clock.sleep`` as ``ConnectorContext.clock`` / ``.sleep`` so retries,
    backoff and rate limits run on simulated time; ``sleeps`` records every wait so a test can
    assert a ``Retry-After`` was honoured without waiting for it.
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or DEFAULT_START
        if start.tzinfo is None:
            raise ValueError("SimClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        #: every ``sleep`` asked of this clock, in order
        self.sleeps: list[float] = []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.now().isoformat()}>"

    def now(self) -> datetime:
        """The current simulated time (UTC, timezone-aware)."""
        return self._now

    def __call__(self) -> datetime:
        return self.now()

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (never backwards)."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._now += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (timezone-aware)."""
        if when.tzinfo is None:
            raise ValueError("SimClock needs timezone-aware datetimes")
        self._now = when.astimezone(UTC)

    async def sleep(self, seconds: float) -> None:
        """Advance the clock by ``seconds`` instead of waiting; yields to the loop once."""
        seconds = max(0.0, float(seconds))
        self.sleeps.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)

    @property
    def slept(self) -> float:
        """Total simulated seconds slept."""
        return sum(self.sleeps)

    @property
    def real(self) -> bool:
        """Whether ``sleep`` really waits (sandboxes served on loopback use a wall clock)."""
        return False


class WallClock(SimClock):
    """Real time, plus any offset added with :meth:`advance` (for ``kervan sandbox run``)."""

    def __init__(self) -> None:
        super().__init__(datetime.now(UTC))
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._offset += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        self._offset = when - datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, float(seconds))
        self.sleeps.append(seconds)
        await asyncio.sleep(seconds)

    @property
    def real(self) -> bool:
        return True
