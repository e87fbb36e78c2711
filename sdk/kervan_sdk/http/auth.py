"""Authentication helpers for :class:`~kervan_sdk.http.ApiClient`.

Basic auth is ``httpx.BasicAuth`` (re-exported). Token flows (MNG, HepsiJet, most integrators)
use :class:`BearerTokenAuth`: a provider coroutine fetches a token; it is cached until shortly
before it expires and fetched again after a 401.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

BasicAuth = httpx.BasicAuth


@dataclass(frozen=True)
class Token:
    """An access token and when it stops being valid (``None``: until the remote says 401)."""

    value: str
    expires_at: datetime | None = None

    def __repr__(self) -> str:  # never the token itself
        return f"Token(expires_at={self.expires_at!r})"

    @classmethod
    def lasting(cls, value: str, seconds: float, now: datetime) -> Token:
        """A token valid for ``seconds`` from ``now`` (the usual ``expires_in`` answer)."""
        return cls(value, now + timedelta(seconds=seconds))


TokenProvider = Callable[[], Awaitable[Token | str]]


class BearerTokenAuth(httpx.Auth):
    """``Authorization: Bearer <token>`` with a cached token refreshed on expiry or a 401.

    ``provider`` is an async callable returning a :class:`Token` (or a bare string for tokens
    that never expire). The provider usually calls the remote's token endpoint through a client
    *without* this auth. A token is refreshed ``leeway`` seconds before it expires, and once
    after a 401 (a second 401 is returned to the caller and maps to ``AuthError``).
    """

    requires_response_body = False

    def __init__(
        self,
        provider: TokenProvider,
        *,
        clock: Callable[[], datetime] | None = None,
        leeway: float = 30.0,
        scheme: str = "Bearer",
        header: str = "Authorization",
    ) -> None:
        self._provider = provider
        self._clock = clock or (lambda: datetime.now(UTC))
        self._leeway = timedelta(seconds=leeway)
        self._scheme = scheme
        self._header = header
        self._token: Token | None = None
        self._lock = asyncio.Lock()
        #: how many times a token was fetched (useful in tests and metrics)
        self.fetches = 0
        self._listeners: list[Callable[[str], None]] = []

    def on_token(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(token)`` with every fresh token (``ApiClient`` uses it to redact)."""
        self._listeners.append(listener)

    def __repr__(self) -> str:
        return f"<BearerTokenAuth fetches={self.fetches}>"

    def _fresh(self, token: Token | None) -> bool:
        if token is None:
            return False
        return token.expires_at is None or self._clock() + self._leeway < token.expires_at

    async def token(self, *, force: bool = False) -> str:
        """The current token, fetching a new one if missing, expiring, or ``force``."""
        async with self._lock:
            if force or not self._fresh(self._token):
                got = await self._provider()
                self._token = Token(got) if isinstance(got, str) else got
                self.fetches += 1
                for listener in self._listeners:
                    listener(self._token.value)
            assert self._token is not None
            return self._token.value

    def invalidate(self) -> None:
        """Forget the cached token (the next request fetches one)."""
        self._token = None

    def _apply(self, request: httpx.Request, token: str) -> None:
        request.headers[self._header] = f"{self._scheme} {token}" if self._scheme else token

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        used = await self.token()
        self._apply(request, used)
        response = yield request
        if response.status_code == 401:
            # someone else may have refreshed meanwhile; only force when ours is the stale one
            current = self._token.value if self._token else None
            fresh = await self.token(force=current == used)
            self._apply(request, fresh)
            yield request

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("BearerTokenAuth works with httpx.AsyncClient only")
