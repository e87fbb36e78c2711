"""Client-side rate limiting, one bucket per endpoint key, on the connector's clock."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

_SLACK = 1e-6


@dataclass(frozen=True)
class RateLimit:
    """At most ``requests`` calls in any window of ``per_seconds`` (Trendyol: ``RateLimit(50, 10)``)."""

    requests: int
    per_seconds: float

    def __post_init__(self) -> None:
        if self.requests < 1 or self.per_seconds <= 0:
            raise ValueError("a rate limit needs requests >= 1 and per_seconds > 0")


class TokenBucket:
    """A bucket of ``requests`` tokens; each token spent comes back ``per_seconds`` later.

    This is a token bucket whose refill is tied to when each token was spent rather than a
    steady drip, so no window of ``per_seconds`` ever sees more than ``requests`` calls. A plain
    drip-refill bucket lets a full burst plus a window's refill through (up to twice the limit
    in one window), which is exactly what earns a 429 from remotes that count per window.
    """

    def __init__(
        self,
        limit: RateLimit,
        clock: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]],
        *,
        strict: bool = True,
    ) -> None:
        """``strict`` (a client keeping under a remote's limit): a token comes back a
        microsecond late rather than a hair early. A remote enforcing its own limit
        (``strict=False``, the sandboxes) gives it back exactly when the window ends, so a
        client that waits out its ``Retry-After`` is let in."""
        self.limit = limit
        self._late = _SLACK if strict else 0.0
        self._clock = clock
        self._sleep = sleep
        self._spent: deque[float] = deque()
        self._lock = asyncio.Lock()

    def _now(self) -> float:
        return self._clock().timestamp()

    def wait_time(self) -> float:
        """Seconds until a token is free (0 when one is free now)."""
        now = self._now()
        # epoch seconds as floats are exact to about 0.2 µs only: a token comes back a slack
        # late rather than a hair early (which let two calls into one window)
        while self._spent and self._spent[0] + self.limit.per_seconds + self._late <= now:
            self._spent.popleft()
        if len(self._spent) < self.limit.requests:
            return 0.0
        # clocks tick in microseconds: the second slack keeps a wait that rounds down from
        # ending short of the first
        return self._spent[0] + self.limit.per_seconds - now + self._late + _SLACK

    def try_acquire(self) -> float:
        """Take a token if one is free now and return 0; else take none and return the wait."""
        wait = self.wait_time()
        if wait <= 0:
            self._spent.append(self._now())
            return 0.0
        return wait

    async def acquire(self) -> float:
        """Take a token, waiting (on the injected ``sleep``) until one is free; return the wait."""
        waited = 0.0
        async with self._lock:
            while (wait := self.wait_time()) > 0:
                waited += wait
                await self._sleep(wait)
            self._spent.append(self._now())
        return waited


class RateLimiter:
    """Buckets by key: ``overrides[key]`` when given, else ``default`` (or no limit at all)."""

    def __init__(
        self,
        default: RateLimit | None,
        overrides: Mapping[str, RateLimit] | None,
        clock: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self._default = default
        self._overrides = dict(overrides or {})
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, TokenBucket] = {}

    def bucket(self, key: str) -> TokenBucket | None:
        limit = self._overrides.get(key, self._default)
        if limit is None:
            return None
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(limit, self._clock, self._sleep)
        return bucket

    async def acquire(self, key: str) -> float:
        bucket = self.bucket(key)
        return 0.0 if bucket is None else await bucket.acquire()
