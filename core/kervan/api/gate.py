"""Cheap rejection: the API key, the body size and the JSON depth are checked before a route
(and FastAPI's body parsing) ever runs.

:class:`Gate` is an ASGI middleware. For each HTTP request it

1. answers **413** at once when ``Content-Length`` is over the limit (nothing is read);
2. on a route that takes an API key (``x-roles`` not empty), checks the key from the headers
   *before the body is read*: no key or a bad key is **401**; an address with too many failed
   keys lately is **429** with ``Retry-After``; a key that already failed lately (the negative
   cache) is **401** without another argon2 check;
3. reads the body, counting as it streams (a chunked body has no ``Content-Length``), and
   answers **413** past the limit;
4. answers **400** for a JSON body nested deeper than the limit, then hands the body on.

Every answer is the error envelope. FastAPI's own ``max_body_size`` is not used: Starlette's
limiter answers its 413 in plain text, outside the envelope. The principal goes to the route
in ``request.state.principal`` (:func:`kervan.api.auth.principal` takes it from there).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import threading
import time
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from cachetools import TTLCache
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import KervanError
from ..tenancy import KeyRejected, NotAuthenticated, Principal, TenancyService
from . import errors


@dataclass(frozen=True)
class Limits:
    """What the gate allows; :meth:`from_env` reads the ``KERVAN_API_*`` variables."""

    #: the largest request body, in bytes (``KERVAN_API_MAX_BODY_BYTES``)
    max_body_bytes: int = 1024 * 1024
    #: the deepest nesting of arrays and objects in a JSON body (``KERVAN_API_MAX_JSON_DEPTH``)
    max_json_depth: int = 32
    #: failed API keys one client address may send per window (``KERVAN_API_KEY_FAILURES``)
    key_failures: int = 10
    #: the window, in seconds (``KERVAN_API_KEY_FAILURE_WINDOW_S``)
    key_failure_window_s: int = 60
    #: how long a failed key is remembered as bad (``KERVAN_API_BAD_KEY_TTL_S``)
    bad_key_ttl_s: int = 60
    #: how many bad keys are remembered at most (``KERVAN_API_BAD_KEY_CACHE``)
    bad_key_cache: int = 10_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        env = os.environ if env is None else env
        values: dict[str, int] = {}
        for name, var in _ENV.items():
            text = env.get(var, "").strip()
            if not text:
                continue
            try:
                values[name] = int(text)
            except ValueError:
                raise ValueError(f"{var} must be a whole number, not {text!r}") from None
            if values[name] < 1:
                raise ValueError(f"{var} must be at least 1")
        return cls(**values)


_ENV = {
    "max_body_bytes": "KERVAN_API_MAX_BODY_BYTES",
    "max_json_depth": "KERVAN_API_MAX_JSON_DEPTH",
    "key_failures": "KERVAN_API_KEY_FAILURES",
    "key_failure_window_s": "KERVAN_API_KEY_FAILURE_WINDOW_S",
    "bad_key_ttl_s": "KERVAN_API_BAD_KEY_TTL_S",
    "bad_key_cache": "KERVAN_API_BAD_KEY_CACHE",
}


class KeyThrottle:
    """Failed API keys, counted per client address (a moving window), and the keys already
    known bad (a bounded cache with a short lifetime, keyed by a BLAKE2 hash of the key: the
    key itself is never kept). In memory: each server process counts on its own."""

    def __init__(self, limits: Limits) -> None:
        self._rate = RateLimitItemPerSecond(limits.key_failures, limits.key_failure_window_s)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._bad: TTLCache[bytes, str] = TTLCache(limits.bad_key_cache, limits.bad_key_ttl_s)
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int | None:
        """Seconds until ``address`` may try another unknown key; ``None`` when it may now."""
        if self._limiter.test(self._rate, "api-key-failures", address):
            return None
        reset = self._limiter.get_window_stats(self._rate, "api-key-failures", address).reset_time
        return max(1, math.ceil(reset - time.time()))

    def known_bad(self, key: str) -> str | None:
        """Why ``key`` failed, if it failed lately."""
        with self._lock:
            return self._bad.get(_digest(key))

    def failed(self, address: str, key: str | None = None, why: str | None = None) -> None:
        """Count a failure for ``address``; remember ``key`` as bad when ``why`` is given."""
        self._limiter.hit(self._rate, "api-key-failures", address)
        if key is not None and why is not None:
            with self._lock:
                self._bad[_digest(key)] = why


def _digest(key: str) -> bytes:
    return hashlib.blake2b(key.encode("utf-8", "replace"), digest_size=16).digest()


# A JSON string, possessive so nothing backtracks; an unterminated one runs to the end, so
# hostile input is still one linear pass.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")  # +1 / -1 as signed bytes


def json_too_deep(body: bytes, limit: int) -> bool:
    """Whether ``body`` (JSON, maybe malformed) nests arrays/objects deeper than ``limit``.

    Brackets inside strings do not count. Runs at C speed (regex, translate, accumulate), so
    a body at the size limit is checked in milliseconds, and never recurses."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    steps = array("b", brackets.translate(_STEPS))
    return max(accumulate(steps), default=0) > limit


class Gate:
    """The ASGI middleware (see the module's docstring). ``router`` is the app's router,
    used to tell a route that takes an API key from one that does not."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        router: Router,
        tenancy: TenancyService,
        limits: Limits,
        throttle: KeyThrottle,
    ) -> None:
        self.app, self.router, self.tenancy = app, router, tenancy
        self.limits, self.throttle = limits, throttle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = _content_length(headers)
        if length is not None and length > self.limits.max_body_bytes:
            await self._too_large()(scope, receive, send)
            return
        if self._takes_key(scope):
            refused = await self._authenticate(scope, headers)
            if refused is not None:
                await refused(scope, receive, send)
                return
        body, refused = await self._read_body(receive)
        if refused is None and body and _is_json(headers):
            refused = self._too_deep(body)
        if refused is not None:
            await refused(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _takes_key(self, scope: Scope) -> bool:
        for route in self.router.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                extra = getattr(route, "openapi_extra", None) or {}
                return bool(extra.get("x-roles"))
        return False

    async def _authenticate(self, scope: Scope, headers: Headers) -> JSONResponse | None:
        """Put the caller's principal in the request state, or say why not."""
        key = _key_from(headers)
        if key is None:
            return errors.kervan_error(
                NotAuthenticated("send an API key as 'Authorization: Bearer <key>' or 'X-API-Key'")
            )
        found = self.tenancy.cached(key)  # a key verified lately passes even when throttled
        if found is None:
            address = (scope.get("client") or ("unknown", 0))[0]
            wait = self.throttle.retry_after(address)
            if wait is not None:
                return errors.envelope(
                    429,
                    "rate_limited",
                    f"too many failed API keys from this address; try again in {wait} s",
                    headers={"Retry-After": str(wait)},
                )
            why = self.throttle.known_bad(key)
            if why is not None:
                self.throttle.failed(address)
                return errors.kervan_error(KeyRejected(why))
            try:
                found = await run_in_threadpool(self.tenancy.authenticate, key)
            except NotAuthenticated as exc:
                remembered = exc.message if isinstance(exc, KeyRejected) else None
                self.throttle.failed(address, key, remembered)
                return errors.kervan_error(exc)
            except KervanError as exc:  # e.g. the store is unavailable: 503
                return errors.kervan_error(exc)
        _state(scope)["principal"] = found
        return None

    async def _read_body(self, receive: Receive) -> tuple[bytes, JSONResponse | None]:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return b"", errors.envelope(400, "bad_request", "the client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limits.max_body_bytes:
                return b"", self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), None

    def _too_deep(self, body: bytes) -> JSONResponse | None:
        depth = self.limits.max_json_depth
        if not json_too_deep(body, depth):
            return None
        return errors.envelope(
            400, "bad_request", f"the JSON body nests deeper than {depth} levels"
        )

    def _too_large(self) -> JSONResponse:
        return errors.envelope(
            413,
            "too_large",
            f"the request body is larger than {self.limits.max_body_bytes} bytes",
        )


def principal_of(state: Any) -> Principal | None:
    """The principal the gate found for this request, if it checked one."""
    found = getattr(state, "principal", None)
    return found if isinstance(found, Principal) else None


def _state(scope: Scope) -> dict[str, Any]:
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


def _key_from(headers: Headers) -> str | None:
    """The key as :func:`kervan.api.auth.principal` reads it: ``X-API-Key`` wins."""
    if headers.get("x-api-key"):
        return headers["x-api-key"]
    authorization = headers.get("authorization") or ""
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return None


def _content_length(headers: Headers) -> int | None:
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None


def _is_json(headers: Headers) -> bool:
    kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then the real one (for the
    disconnect a streaming response waits for)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
