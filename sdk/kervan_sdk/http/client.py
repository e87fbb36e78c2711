"""``ApiClient``: the async HTTP client every connector builds its remote client on."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Container, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
from kervan import ConnectorContext
from kervan import __version__ as kervan_version
from kervan.errors import (
    DeadlineExceededError,
    InvalidResponseError,
    KervanError,
    RemoteUnavailableError,
    ResponseLimitError,
)

from .auth import BearerTokenAuth
from .errors import default_error, request_id_of
from .limits import DEFAULT_LIMITS, Limits, json_depth_exceeds, looks_like_json, read_capped
from .network import NetworkClient
from .ratelimit import RateLimit, RateLimiter
from .redaction import redact, redact_body, redact_headers
from .retry import RetryPolicy, parse_retry_after

log = logging.getLogger("kervan.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
# failures where the request provably never reached the remote: always safe to send again
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_RETRYABLE_TRANSPORT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)

Lookup = Callable[[], Awaitable[httpx.Response | None]]


@dataclass(frozen=True)
class HttpEvent:
    """What metrics hooks receive: one per attempt before sending, and one after."""

    remote: str
    method: str
    path: str
    rate_key: str
    attempt: int
    status: int | None = None
    elapsed: float | None = None
    error: str | None = None


Hook = Callable[[HttpEvent], None]


@dataclass(frozen=True)
class _Failure:
    """A failed attempt: the error to raise if we stop, and what retrying it would mean."""

    error: KervanError
    ambiguous: bool = False  # the remote may have acted on it
    retry_after: float | None = None
    retryable: bool = True


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ApiClient:
    """An async client for one remote, for one connection.

    Subclass it per remote (set ``remote_name``, override :meth:`map_error` to read the
    remote's error body) and add one method per endpoint. Transport, clock and sleep default to
    the ``context``'s, so tests route calls to an in-process sandbox and run retries and rate
    limits on simulated time. With no transport from either, calls go over the network
    through aiohttp (:class:`~kervan_sdk.http.network.NetworkTransport`: httpx's TLS,
    timeouts, pool limits, environment proxies and error types, at about half the CPU).

    Every call is bounded by :class:`~kervan_sdk.http.Limits` (``default_limits``, or
    ``limits=`` per client): the body is streamed and reading stops past
    ``max_response_bytes``; JSON nested deeper than ``max_json_depth`` is refused before it is
    parsed (both :class:`~kervan.errors.ResponseLimitError`); and the whole call, retries
    included, ends at ``deadline`` wall-clock seconds
    (:class:`~kervan.errors.DeadlineExceededError`). None of the three is retried in-process.
    """

    remote_name: ClassVar[str] = "remote"
    #: the header an ``idempotency_key`` travels in (remotes differ: ``X-Idempotency-Key``...)
    idempotency_header: ClassVar[str] = "Idempotency-Key"
    #: what this remote may send (size, JSON depth, deadline); a subclass or ``limits=`` raises it
    default_limits: ClassVar[Limits] = DEFAULT_LIMITS

    def __init__(
        self,
        base_url: str,
        *,
        context: ConnectorContext | None = None,
        auth: httpx.Auth | None = None,
        user_agent: str | None = None,
        timeout: httpx.Timeout = httpx.Timeout(30, connect=5),
        retry: RetryPolicy = RetryPolicy(),
        rate_limit: RateLimit | None = None,
        rate_limits: Mapping[str, RateLimit] | None = None,
        secrets: Iterable[str] = (),
        transport: httpx.AsyncBaseTransport | None = None,
        default_headers: Mapping[str, str] | None = None,
        on_request: Hook | None = None,
        on_response: Hook | None = None,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        rng: random.Random | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.context = context
        self.retry = retry
        self.limits = limits or self.default_limits
        self._clock = clock or (context.clock if context else _utcnow)
        self._sleep = sleep or (context.sleep if context else asyncio.sleep)
        self._rng = rng or random.Random()
        self._secrets: list[str] = [s for s in secrets if s]
        self._on_request = on_request
        self._on_response = on_response
        self.limiter = RateLimiter(rate_limit, rate_limits, self._clock, self._sleep)
        if isinstance(auth, BearerTokenAuth):
            auth.on_token(self.add_secret)  # tokens fetched later are secrets too
        headers = {
            "User-Agent": user_agent or self._default_user_agent(context),
            "Accept": "application/json",
            **(default_headers or {}),
        }
        # without a transport (real network use) requests go through aiohttp; see .network
        self._http = NetworkClient(
            base_url=base_url,
            auth=auth,
            timeout=timeout,
            transport=transport or (context.transport if context else None),
            headers=headers,
        )

    @staticmethod
    def _default_user_agent(context: ConnectorContext | None) -> str:
        base = context.user_agent if context and context.user_agent else "Kervan"
        return base if "/" in base else f"{base}/{kervan_version}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.remote_name} {self._http.base_url}>"

    # -- secrets ---------------------------------------------------------------------------

    def add_secret(self, secret: str | None) -> None:
        """Redact ``secret`` from everything this client logs or raises (e.g. a fresh token)."""
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(self._secrets)

    # -- errors ----------------------------------------------------------------------------

    def map_error(self, response: httpx.Response) -> KervanError:
        """The taxonomy error for a response that is not ok.

        Default: 401/403 → ``AuthError``; 409 → ``ConflictError``; 429 → ``RateLimitedError``
        with ``retry_after``; 5xx → ``RemoteUnavailableError``; other 4xx (404 included) →
        ``RemoteRejectedError`` with the remote's message. Override to read a remote's own
        error body (call ``super().map_error`` for what you don't special-case). Whatever you
        put in a message goes through :func:`redact` first.
        """
        return default_error(response, self.remote_name, self._secrets, self._clock())

    # -- requests --------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        content: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        idempotency_key: str | None = None,
        lookup_before_retry: Lookup | None = None,
        rate_key: str | None = None,
        ok: Container[int] | None = None,
    ) -> httpx.Response:
        """Send a request with rate limiting, retries and error mapping; return the response.

        ``idempotent`` defaults by method (GET/HEAD/PUT/DELETE/OPTIONS yes, POST/PATCH no). A
        call that is not idempotent is never sent again after an *ambiguous* failure (timeout
        or dropped connection after sending, 5xx) unless ``lookup_before_retry`` is given: it
        runs before each re-send, and a non-``None`` answer is returned instead of sending
        again. Failures where the request never left (connect errors, 429) are always retried.
        ``idempotency_key`` sends that key in :attr:`idempotency_header` and makes the call
        safe to re-send (for remotes that deduplicate by it). The request is rebuilt for each
        attempt: pass ``files`` as bytes, not open file objects, if it may be retried.
        """
        method = method.upper()
        if idempotency_key is not None:
            headers = {**(headers or {}), self.idempotency_header: idempotency_key}
            idempotent = True if idempotent is None else idempotent
        resend_safe = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        key = rate_key or f"{method} {path.split('?', 1)[0]}"
        build = {"params": params, "json": json, "data": data, "files": files}
        build |= {"content": content, "headers": headers}
        loop = asyncio.get_running_loop()
        deadline = self.limits.deadline
        ends_at = None if deadline is None else loop.time() + deadline
        for attempt in range(1, self.retry.max_attempts + 1):
            await self.limiter.acquire(key)
            outcome = await self._attempt(method, path, build, key, attempt, ok, ends_at)
            if isinstance(outcome, httpx.Response):
                return outcome
            blind_resend = outcome.ambiguous and not resend_safe
            if (
                not outcome.retryable
                or attempt == self.retry.max_attempts
                or (blind_resend and lookup_before_retry is None)
            ):
                raise outcome.error
            delay = self.retry.delay(attempt - 1, outcome.retry_after, self._rng)
            if ends_at is not None and loop.time() + delay >= ends_at:
                raise outcome.error  # waiting would end past the call's deadline
            await self._wait(delay, outcome.error, attempt, key)
            if blind_resend and lookup_before_retry is not None:
                found = await lookup_before_retry()
                if found is not None:
                    log.info(
                        "%s: found by lookup after an ambiguous failure", redact(key, self._secrets)
                    )
                    return found
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns/raises

    async def json(self, method: str, path: str, **kw: Any) -> Any:
        """:meth:`request`, then the body parsed as JSON (``None`` for an empty body).

        Raises :class:`~kervan.errors.InvalidResponseError` if the body is not JSON.
        """
        response = await self.request(method, path, **kw)
        if not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError:
            raise InvalidResponseError(
                f"{self.remote_name} answered {response.status_code} to {method.upper()} "
                f"{redact(path, self._secrets)} with a body that is not valid JSON",
                remote=self.remote_name,
                status=response.status_code,
                request_id=request_id_of(response),
            ) from None

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("POST", path, **kw)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- internals -------------------------------------------------------------------------

    @staticmethod
    def _is_ok(response: httpx.Response, ok: Container[int] | None) -> bool:
        if ok is None:
            return response.is_success
        return response.status_code in ok

    async def _attempt(
        self,
        method: str,
        path: str,
        build: dict[str, Any],
        key: str,
        attempt: int,
        ok: Container[int] | None,
        ends_at: float | None = None,
    ) -> httpx.Response | _Failure:
        """One send: the response if it is ok, else what went wrong and whether to retry."""
        try:
            response = await self._send(method, path, build, key, attempt, ends_at)
        except DeadlineExceededError as exc:  # the remote may have acted; the time is spent
            return _Failure(exc, ambiguous=True, retryable=False)
        except ResponseLimitError as exc:  # asking again would bring the same answer
            return _Failure(exc, retryable=False)
        except _RETRYABLE_TRANSPORT as exc:
            error = self._transport_error(exc, method, path)
            return _Failure(error, ambiguous=not isinstance(exc, _NEVER_SENT))
        except httpx.TransportError as exc:
            return _Failure(self._transport_error(exc, method, path), retryable=False)
        if self._is_ok(response, ok):
            return response
        mapped = self.map_error(response)
        if response.status_code not in self.retry.retry_statuses:
            return _Failure(mapped, retryable=False)
        retry_after = parse_retry_after(response.headers.get("retry-after"), self._clock())
        too_long = retry_after is not None and retry_after > self.retry.max_retry_after
        # a 429 means the remote did not act on the request; any 5xx might have
        return _Failure(
            mapped,
            ambiguous=response.status_code != 429,
            retry_after=retry_after,
            retryable=not too_long,
        )

    async def _send(
        self,
        method: str,
        path: str,
        build: dict[str, Any],
        key: str,
        attempt: int,
        ends_at: float | None = None,
    ) -> httpx.Response:
        request = self._http.build_request(method, path, **build)
        # the events are built only for a client that has a hook to hand them to
        event = None
        if self._on_request is not None or self._on_response is not None:
            event = HttpEvent(
                self.remote_name,
                method,
                redact(path, self._secrets),
                redact(key, self._secrets),
                attempt,
            )
            self._emit(self._on_request, event)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "→ %s %s headers=%s body=%s",
                method,
                redact(str(request.url), self._secrets),
                redact_headers(request.headers, self._secrets),
                self._loggable_body(request),
            )
        started = time.perf_counter()
        try:
            async with asyncio.timeout_at(ends_at):
                response = await self._receive(request, method, path)
        except TimeoutError:
            if event is not None:
                elapsed = time.perf_counter() - started
                self._emit(self._on_response, replace(event, elapsed=elapsed, error="Deadline"))
            raise self._deadline_error(method, path) from None
        except (httpx.TransportError, ResponseLimitError) as exc:
            if event is not None:
                elapsed = time.perf_counter() - started
                failed = replace(event, elapsed=elapsed, error=type(exc).__name__)
                self._emit(self._on_response, failed)
            raise
        elapsed = time.perf_counter() - started
        if event is not None:
            answered = replace(event, status=response.status_code, elapsed=elapsed)
            self._emit(self._on_response, answered)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "← %s %s %s in %.0f ms body=%s",
                response.status_code,
                method,
                redact(str(request.url), self._secrets),
                elapsed * 1000,
                redact_body(response.text, self._secrets),
            )
        return response

    async def _receive(self, request: httpx.Request, method: str, path: str) -> httpx.Response:
        """Send ``request`` and read its answer within :attr:`limits` (size, JSON depth)."""
        cap = self.limits.max_response_bytes
        # an answer that declared at most ``cap`` bytes may come back read (NetworkClient.fetch)
        response = await self._http.fetch(request, cap)

        def what() -> str:
            return f"{self.remote_name}'s answer to {method} {redact(path, self._secrets)}"

        body = await read_capped(response, cap, what, self.remote_name)
        # what Response.aread() would have set; the body was read here to stop at the cap
        response._content = body
        depth = self.limits.max_json_depth
        if looks_like_json(body) and json_depth_exceeds(body, depth):
            raise ResponseLimitError(
                f"{what()} is JSON nested deeper than {depth} levels; Kervan does not parse it",
                remote=self.remote_name,
                status=response.status_code,
                request_id=request_id_of(response),
                detail={"limit": "json_depth", "maximum": depth},
            )
        return response

    def _deadline_error(self, method: str, path: str) -> DeadlineExceededError:
        seconds = self.limits.deadline
        return DeadlineExceededError(
            redact(
                f"{self.remote_name} did not finish answering {method} {path} within the "
                f"{seconds:g} s deadline for a call",
                self._secrets,
            ),
            remote=self.remote_name,
            detail={"limit": "deadline", "maximum": seconds},
        )

    def _loggable_body(self, request: httpx.Request) -> str:
        content_type = request.headers.get("content-type", "")
        if "multipart" in content_type:
            return "<multipart>"
        try:
            return redact_body(request.content.decode("utf-8", "replace"), self._secrets)
        except httpx.RequestNotRead:
            return "<stream>"

    async def _wait(self, delay: float, error: KervanError, attempt: int, key: str) -> None:
        log.warning(
            "%s: %s (attempt %d/%d, %s); retrying in %.2fs",
            self.remote_name,
            type(error).__name__,
            attempt,
            self.retry.max_attempts,
            redact(key, self._secrets),
            delay,
        )
        await self._sleep(delay)

    def _transport_error(self, exc: httpx.TransportError, method: str, path: str) -> KervanError:
        reason = type(exc).__name__
        return RemoteUnavailableError(
            redact(f"{self.remote_name} did not answer {method} {path} ({reason})", self._secrets),
            remote=self.remote_name,
        )

    @staticmethod
    def _emit(hook: Hook | None, event: HttpEvent) -> None:
        if hook is None:
            return
        try:
            hook(event)
        except Exception:  # a broken metrics hook must not break the call
            log.exception("http metrics hook failed")
