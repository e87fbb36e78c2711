"""Retry policy: which failures are retried, and how long to wait between attempts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

DEFAULT_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How an :class:`~kervan_sdk.http.ApiClient` retries.

    ``max_attempts`` counts the first try (1 means never retry). The wait before attempt
    ``n + 1`` is ``min(max_delay, base_delay * 2**n)``, with *full jitter* (a uniform draw from
    zero to that bound) when ``jitter`` is on; a ``Retry-After`` the remote sends wins when it is
    longer. A ``Retry-After`` above ``max_retry_after`` is not waited for in-process: the call
    raises :class:`~kervan.errors.RateLimitedError` at once so the engine can reschedule it.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: bool = True
    retry_statuses: frozenset[int] = field(default=DEFAULT_RETRY_STATUSES)
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("delays must not be negative")

    def backoff(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``retry_number`` (0 for the first retry)."""
        bound = min(self.max_delay, self.base_delay * (2**retry_number))
        if not self.jitter:
            return bound
        return (rng or random).uniform(0, bound)

    def delay(
        self, retry_number: int, retry_after: float | None, rng: random.Random | None = None
    ) -> float:
        """The wait before the next attempt: backoff, or ``Retry-After`` when that is longer."""
        wait = self.backoff(retry_number, rng)
        if retry_after is not None and retry_after > wait:
            return retry_after
        return wait


NO_RETRY = RetryPolicy(max_attempts=1)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from ``now`` that a ``Retry-After`` header asks for (delta-seconds or HTTP date).

    Returns ``None`` for a missing or unparseable header; never a negative number.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    reference = now or datetime.now(UTC)
    return max(0.0, (when - reference).total_seconds())
