"""Cheap rejection: the API key, the body size and the JSON depth are checked before a route
(and FastAPI's body parsing) ever runs.

:class:`Gate` is an ASGI middleware. For each HTTP request it

1. answers **413** at once when ``Content-Length`` is over the limit (nothing is read); a
   route that takes files declares its own, larger limit as ``x-max-body-bytes``
   (:func:`larger_bodies`);
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

import asyncio
import hashlib
import math
import os
import re
import threading
import time
from array import array
from collections.abc import Callable, Mapping
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
    #: how long a throttled address waits for its 429, in ms (``KERVAN_API_THROTTLED_WAIT_MS``):
    #: a client that waits for each answer (as HTTP/1.1 on one connection does) can then send
    #: only a request a second per connection, so a flood costs the server next to nothing
    throttled_wait_ms: int = 1000

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
            least = 0 if name == "throttled_wait_ms" else 1
            if values[name] < least:
                raise ValueError(f"{var} must be at least {least}")
        return cls(**values)


_ENV = {
    "max_body_bytes": "KERVAN_API_MAX_BODY_BYTES",
    "max_json_depth": "KERVAN_API_MAX_JSON_DEPTH",
    "key_failures": "KERVAN_API_KEY_FAILURES",
    "key_failure_window_s": "KERVAN_API_KEY_FAILURE_WINDOW_S",
    "bad_key_ttl_s": "KERVAN_API_BAD_KEY_TTL_S",
    "bad_key_cache": "KERVAN_API_BAD_KEY_CACHE",
    "throttled_wait_ms": "KERVAN_API_THROTTLED_WAIT_MS",
}


class KeyThrottle:
    """Failed API keys, counted per client address (a moving window), and the keys already
    known bad (a bounded cache with a short lifetime, keyed by a BLAKE2 hash of the key: the
    key itself is never kept). In memory: each server process counts on its own."""

    def __init__(self, limits: Limits) -> None:
        self._rate = RateLimitItemPerSecond(limits.key_failures, limits.key_failure_window_s)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._bad: TTLCache[bytes, str] = TTLCache(limits.bad_key_cache, limits.bad_key_ttl_s)
        #: keys of each address being checked right now: they count against its budget, or
        #: 16 concurrent bogus keys would all start their argon2 before the first one failed
        self._checking: dict[str, int] = {}
        self._lock = threading.Lock()

    def begin(self, address: str) -> int | None:
        """Start checking a key from ``address``: ``None`` when it may (then call
        :meth:`end`), else the seconds it must wait (its failures and checks in flight have
        used up the window's budget)."""
        with self._lock:
            stats = self._limiter.get_window_stats(self._rate, _FAILURES, address)
            checking = self._checking.get(address, 0)
            if stats.remaining - checking > 0:
                self._checking[address] = checking + 1
                return None
        if stats.remaining > 0:  # only checks in flight: they end within moments
            return 1
        return max(1, math.ceil(stats.reset_time - time.time()))

    def end(self, address: str) -> None:
        with self._lock:
            left = self._checking.pop(address, 1) - 1
            if left > 0:
                self._checking[address] = left

    def known_bad(self, key: str) -> str | None:
        """Why ``key`` failed, if it failed lately."""
        with self._lock:
            return self._bad.get(_digest(key))

    def failed(self, address: str, key: str | None = None, why: str | None = None) -> None:
        """Count a failure for ``address``; remember ``key`` as bad when ``why`` is given."""
        self._limiter.hit(self._rate, _FAILURES, address)
        if key is not None and why is not None:
            with self._lock:
                self._bad[_digest(key)] = why


_FAILURES = "api-key-failures"


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
    """The ASGI middleware (see the module's docstring). ``openapi`` gives the app's OpenAPI
    document: an operation whose ``x-roles`` is not empty takes an API key (the document is
    FastAPI's public view of its routes; its router's own structure is private and changes).
    A route the document does not show is not gated; a key it needs is still checked by its
    dependency, only after the body."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        openapi: Callable[[], dict[str, Any]],
        tenancy: TenancyService,
        limits: Limits,
        throttle: KeyThrottle,
        uploads: Callable[[], list[tuple[re.Pattern[str], frozenset[str], int]]] = list,
    ) -> None:
        self.app, self.openapi, self.tenancy = app, openapi, tenancy
        self.uploads = uploads
        self.limits, self.throttle = limits, throttle
        self._keyed: list[tuple[re.Pattern[str], frozenset[str]]] | None = None
        self._larger: list[tuple[re.Pattern[str], frozenset[str], int]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = _content_length(headers)
        limit = self._max_body(scope)
        if length is not None and length > limit:
            await self._too_large(limit)(scope, receive, send)
            return
        if self._takes_key(scope):
            refused = await self._authenticate(scope, headers)
            if refused is not None:
                await refused(scope, receive, send)
                return
        body, refused = await self._read_body(receive, limit)
        if refused is None and body and _is_json(headers):
            refused = self._too_deep(body)
        if refused is not None:
            await refused(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _takes_key(self, scope: Scope) -> bool:
        if self._keyed is None:
            self._keyed = keyed_operations(self.openapi())
        path, method = _path(scope), scope["method"]
        return any(method in methods and pattern.match(path) for pattern, methods in self._keyed)

    def _max_body(self, scope: Scope) -> int:
        """The body limit of the operation asked for: its ``x-max-body-bytes`` when it has a
        larger one (a file upload), else the server's."""
        if self._larger is None:
            self._larger = self.uploads()
        path, method = _path(scope), scope["method"]
        found = [
            n for pattern, methods, n in self._larger if method in methods and pattern.match(path)
        ]
        return max([self.limits.max_body_bytes, *found])

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
            wait = self.throttle.begin(address)
            if wait is not None:
                await asyncio.sleep(min(wait * 1000, self.limits.throttled_wait_ms) / 1000)
                return errors.envelope(
                    429,
                    "rate_limited",
                    f"too many failed API keys from this address; try again in {wait} s",
                    headers={"Retry-After": str(wait)},
                )
            try:
                found = await self._check(address, key)
            except KervanError as exc:  # 401; or 503 when the store is unavailable
                return errors.kervan_error(exc)
            finally:
                self.throttle.end(address)
        _state(scope)["principal"] = found
        return None

    async def _check(self, address: str, key: str) -> Principal:
        why = self.throttle.known_bad(key)
        if why is not None:
            self.throttle.failed(address)
            raise KeyRejected(why)
        try:
            found: Principal = await run_in_threadpool(self.tenancy.authenticate, key)
        except NotAuthenticated as exc:
            remembered = exc.message if isinstance(exc, KeyRejected) else None
            self.throttle.failed(address, key, remembered)
            raise
        return found

    async def _read_body(self, receive: Receive, limit: int) -> tuple[bytes, JSONResponse | None]:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return b"", errors.envelope(400, "bad_request", "the client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return b"", self._too_large(limit)
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

    def _too_large(self, limit: int) -> JSONResponse:
        return errors.envelope(413, "too_large", f"the request body is larger than {limit} bytes")


def keyed_operations(spec: dict[str, Any]) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """``(path pattern, methods)`` of every operation in ``spec`` that takes an API key."""
    out = []
    for template, item in spec.get("paths", {}).items():
        methods = frozenset(
            method.upper()
            for method, op in item.items()
            if isinstance(op, dict) and op.get("x-roles")
        )
        if methods:
            out.append((_template(template), methods))
    return out


def larger_bodies(
    prefix: str, routers: list[Any]
) -> list[tuple[re.Pattern[str], frozenset[str], int]]:
    """``(path pattern, methods, bytes)`` of every route of ``routers`` (mounted under
    ``prefix``) that declares its own body limit: ``x-max-body-bytes`` in its
    ``openapi_extra``, so the spec publishes it too. Read from the routes, not the spec: the
    size check comes first, and building the spec costs a second that an oversized request
    must not wait for."""
    out = []
    for router in routers:
        for route in router.routes:
            extra = getattr(route, "openapi_extra", None) or {}
            limit = extra.get("x-max-body-bytes")
            if isinstance(limit, int):
                pattern = _template(prefix + route.path)
                out.append((pattern, frozenset(route.methods or ()), limit))
    return out


def _template(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


def _path(scope: Scope) -> str:
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path


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
