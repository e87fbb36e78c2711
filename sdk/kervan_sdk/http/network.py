"""The transport :class:`~kervan_sdk.http.ApiClient` uses for real network calls: aiohttp.

Why: on keep-alive requests over loopback, httpx's own transport (httpcore on anyio) costs
about twice the CPU per request of aiohttp's C-accelerated HTTP parser under the same httpx
client (``bench/http_client.py`` prints both). The httpx API above it (requests, responses,
auth flows, redirects, hooks) is unchanged; only the transport is swapped, through
`httpx-aiohttp <https://github.com/karpetrosyan/httpx-aiohttp>`_, by httpx's maintainer.

What stays as it was with httpx's transport (each one has a test in
``sdk/tests/test_http_network.py``):

- **TLS**: verification on, from the same ``ssl.SSLContext`` httpx builds
  (``httpx.create_ssl_context``: certifi's CA bundle, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``).
- **Timeouts**: httpx's ``connect``, ``read`` and ``pool`` become aiohttp's ``sock_connect``,
  ``sock_read`` and ``connect`` (aiohttp's ``connect`` covers waiting for a pooled
  connection). aiohttp has no write timeout (httpx-aiohttp's compatibility notes:
  https://karpetrosyan.github.io/httpx-aiohttp/compatibility/); a remote that stops reading
  our request is bounded by the read timeout and the call's deadline instead.
- **Connection pool**: ``httpx.Limits.max_connections`` and ``keepalive_expiry`` carry over.
- **Proxies from the environment** (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``,
  ``NO_PROXY``): httpx still reads them and mounts one transport per proxy; an ``http://``
  proxy is reached through aiohttp, any other kind (``socks5://``, ``https://``) keeps
  httpx's own transport, as aiohttp has no SOCKS support and its TLS-to-proxy is limited.
- **Redirects**: not followed by the transport; httpx's client decides, as before.
- **Errors**: the same ``httpx`` exception types as httpx's transport raises for the same
  failure, so :class:`~kervan_sdk.http.ApiClient` maps them to the same Kervan errors and
  retries exactly what it retried before. httpx-aiohttp's own mapping is not used as it
  stands: it turns a server that drops the connection, or resets it mid-answer, into
  ``httpx.ConnectTimeout`` (a request that was never sent), which would let a ``POST`` that
  reached the remote be sent again.

**The short way** (:meth:`NetworkClient.fetch`, what ``ApiClient`` calls). For a request with
no auth or Basic auth and no event hooks, through a :class:`NetworkTransport` (an
``ApiClient``'s usual case), httpx's client adds nothing but CPU: no auth flow to run, no
redirect to follow, a stream wrapper to time it. Such a request goes straight to the transport,
as built by httpx's ``build_request`` (so the same bytes go out), and an answer declaring a
``Content-Length`` within the caller's size cap and no ``Content-Encoding`` is read in one call
and handed back closed. Anything else (a token auth flow with its retry after a 401, a
compressed or chunked answer, one declaring more than the cap) takes httpx's way or comes back
streaming, as before. ``bench/http_client.py``: about a fifth less CPU per request.

The destination policy (:mod:`kervan.security.destinations`) is checked when a connection is
saved and when its connector is built, not at connect time, with either transport.
"""

from __future__ import annotations

import base64
import logging
import re
import ssl
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import httpx
from httpx._client import BoundAsyncStream, ClientState
from httpx_aiohttp import AiohttpTransport
from httpx_aiohttp.transport import AiohttpResponseStream

__all__ = ["NetworkClient", "NetworkTransport", "httpx_error"]

_httpx_log = logging.getLogger("httpx")
# what httpx's own transport reports of the answers it reads
_HTTP_11 = b"HTTP/1.1"


def _plain_relative(url: str) -> bool:
    if url.startswith("//") or _PLAIN_RELATIVE.fullmatch(url) is None:
        return False
    head = url.split("/", 1)[0].split("?", 1)[0]
    return ":" not in head  # "a:b/c" would be a URL with the scheme "a"


# aiohttp's errors → what httpx's own transport raises for the same failure. Looked up along
# the error's MRO, so the most specific entry wins (a certificate error is a connector error
# is an OSError...). Sources: aiohttp's exception hierarchy
# (https://docs.aiohttp.org/en/stable/client_reference.html#hierarchy-of-exceptions) and
# httpx's (https://www.python-httpx.org/exceptions/).
_HTTPX_ERROR: dict[type[BaseException], type[httpx.TransportError]] = {
    # the request never left: safe to send again
    aiohttp.ConnectionTimeoutError: httpx.ConnectTimeout,  # connect, or waiting for the pool
    aiohttp.ClientProxyConnectionError: httpx.ConnectError,
    aiohttp.ClientConnectorError: httpx.ConnectError,  # refused, DNS, TLS handshake/certificate
    aiohttp.ServerFingerprintMismatch: httpx.ConnectError,
    # the request may have reached the remote
    aiohttp.SocketTimeoutError: httpx.ReadTimeout,
    aiohttp.ServerTimeoutError: httpx.ReadTimeout,
    aiohttp.ServerDisconnectedError: httpx.RemoteProtocolError,
    aiohttp.ClientPayloadError: httpx.RemoteProtocolError,  # body cut short or malformed
    aiohttp.ClientHttpProxyError: httpx.ProxyError,
    aiohttp.ClientResponseError: httpx.RemoteProtocolError,  # bad status line, headers
    aiohttp.ClientOSError: httpx.ReadError,  # reset by peer, broken pipe
    aiohttp.ClientConnectionError: httpx.ReadError,
    aiohttp.InvalidURL: httpx.UnsupportedProtocol,
    aiohttp.ClientError: httpx.TransportError,
}


def httpx_error(exc: BaseException) -> BaseException:
    """The httpx exception httpx's own transport raises where aiohttp raised ``exc``.

    ``exc`` may be an aiohttp error, or httpx-aiohttp's (mis)translation of one (its
    ``__cause__`` is the aiohttp error); anything else is returned as it is.
    """
    cause = exc.__cause__ if isinstance(exc, httpx.TransportError) else exc
    if not isinstance(cause, aiohttp.ClientError):
        return exc
    for kind in type(cause).__mro__:
        mapped = _HTTPX_ERROR.get(kind)
        if mapped is not None:
            error = mapped(str(cause) or type(cause).__name__)
            error.__cause__ = cause
            return error
    return exc  # pragma: no cover - aiohttp.ClientError is in the table


class _Body(httpx.AsyncByteStream):
    """A response body read from aiohttp, its errors raised as httpx's would be."""

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except (aiohttp.ClientError, httpx.TransportError) as exc:
            error = httpx_error(exc)
            raise error from error.__cause__

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        except (aiohttp.ClientError, httpx.TransportError) as exc:
            error = httpx_error(exc)
            raise error from error.__cause__


_TIMEOUT_KEYS = ("connect", "read", "pool")


def _read_response(
    status: int,
    headers: Any,
    body: bytes,
    request: httpx.Request,
    extensions: dict[str, Any],
) -> httpx.Response:
    """The answer as ``httpx.Response.read()`` leaves a streamed one whose body had no
    ``Content-Encoding``: its ``content`` the body as received, closed, its stream consumed.
    (``httpx.Response(content=...)`` would get there by running the body through the decoder
    chain again, a fifth of a small request's CPU.)"""
    response = httpx.Response(
        status,
        headers=headers,
        stream=httpx.ByteStream(body),
        request=request,
        extensions=extensions,
    )
    response._content = body
    response._num_bytes_downloaded = len(body)
    response.is_stream_consumed = True
    response.is_closed = True
    return response


class NetworkTransport(AiohttpTransport):
    """httpx-aiohttp's transport with httpx's own error types (see the module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    def get_client(self) -> aiohttp.ClientSession:
        session = super().get_client()
        # aiohttp sends a GET/PUT/DELETE once more by itself when the server drops the
        # connection (ClientSession._request, "retry_persistent_connection"); httpx's
        # transport does not. Whether and when to send again is ApiClient's decision (its
        # RetryPolicy, a call marked ``idempotent=False``), so aiohttp's own is turned off.
        session._retry_connection = False
        return session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """httpx's transport call: the answer always streaming (httpx's client reads it)."""
        return await self.fetch(request, -1)

    async def fetch(self, request: httpx.Request, cap: int) -> httpx.Response:
        """Send ``request`` as httpx-aiohttp sends it; read the answer's body here when that
        is plain to do, with httpx's errors for aiohttp's (see the module doc).

        That is when the answer declares a ``Content-Length`` of at most ``cap`` bytes and no
        ``Content-Encoding``: the body is read in one call and the answer comes back closed,
        its ``content`` set. Any other answer (chunked, compressed, declaring more than
        ``cap``; every answer when ``cap`` is negative) comes back streaming, for the caller
        to read within its limits."""
        if not isinstance(self.client, aiohttp.ClientSession):
            self.client = self.get_client()
        data: bytes | httpx.AsyncByteStream | None
        try:
            data = request.content or None
        except httpx.RequestNotRead:  # a multipart upload: streamed, as httpx-aiohttp does
            assert isinstance(request.stream, httpx.AsyncByteStream)  # NetworkClient checks
            data = request.stream
            request.headers.pop("transfer-encoding", None)  # aiohttp frames it itself
        headers: Any = request.headers
        proxy_kwargs: dict[str, Any] = {}
        if self.proxy is not None:
            headers, proxy_kwargs = self._through_proxy(request)
        try:
            answer = await self.client.request(
                request.method,
                str(request.url),
                headers=headers,
                data=data,
                allow_redirects=False,
                auto_decompress=False,
                compress=False,
                timeout=self._timeout(request.extensions.get("timeout")),
                server_hostname=request.extensions.get("sni_hostname"),
                **proxy_kwargs,
            ).__aenter__()
            extensions: dict[str, Any] = {"http_version": _HTTP_11}
            if answer.reason:
                extensions["reason_phrase"] = answer.reason.encode()
            headers = answer.raw_headers
            length = answer.content_length
            if length is None or length > cap or answer.headers.get("Content-Encoding"):
                stream = _Body(AiohttpResponseStream(answer))
                return httpx.Response(
                    answer.status,
                    headers=headers,
                    stream=stream,
                    request=request,
                    extensions=extensions,
                )
            try:
                body = await answer.read()
            finally:
                answer.release()
        except (aiohttp.ClientError, httpx.TransportError) as exc:
            error = httpx_error(exc)
            raise error from error.__cause__
        return _read_response(answer.status, headers, body, request, extensions)

    def _timeout(self, given: dict[str, float | None] | None) -> aiohttp.ClientTimeout:
        """httpx's timeouts as aiohttp's (see the module doc), one object per distinct set."""
        key = (None, None, None) if not given else tuple(given.get(k) for k in _TIMEOUT_KEYS)
        timeout = self._timeouts.get(key)
        if timeout is None:
            connect, read, pool = key
            timeout = aiohttp.ClientTimeout(sock_connect=connect, sock_read=read, connect=pool)
            self._timeouts[key] = timeout
        return timeout

    def _through_proxy(self, request: httpx.Request) -> tuple[Any, dict[str, Any]]:
        """The headers and aiohttp arguments for ``request`` through ``self.proxy``.

        A proxy's credentials go in a ``Proxy-Authorization`` header, built as httpx builds it
        (``Basic``, UTF-8). aiohttp's ``proxy_auth`` is deprecated since 3.14 (and its
        ``BasicAuth`` encodes Latin-1), and its ``proxy_headers`` reach only the ``CONNECT`` of
        an https request. So a plain-http request carries the header itself, on a copy of its
        headers (the request, which errors may show, never holds the credential), and an https
        request's ``CONNECT`` gets it in ``proxy_headers``, over any such header given there."""
        proxy = self.proxy
        assert proxy is not None
        kwargs: dict[str, Any] = {"proxy": str(proxy.url), "proxy_headers": proxy.headers}
        if not proxy.auth:
            return request.headers, kwargs
        user, password = proxy.auth
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        credential = f"Basic {token}"
        if request.url.scheme == "https":
            given = {k: v for k, v in proxy.headers.items() if k.lower() != "proxy-authorization"}
            kwargs["proxy_headers"] = {**given, "Proxy-Authorization": credential}
            return request.headers, kwargs
        headers = [*request.headers.multi_items(), ("Proxy-Authorization", credential)]
        return headers, kwargs


# a relative URL httpx would merge onto the base by plain concatenation: an absolute path or
# a relative one, unreserved/sub-delim/percent characters only (RFC 3986 section 3.3-3.4), no
# "//" authority and no "scheme:" in front (checked apart)
_PLAIN_RELATIVE = re.compile(
    r"[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*)?"
)
_MERGED_URLS = 512  # per client: the paths a connector calls over and over (lists, tokens)


_SET_COOKIE = (b"set-cookie", b"set-cookie2")


class _Cookies(httpx.Cookies):
    """httpx's cookie jar, skipping the cookiejar machinery for an answer setting none.

    ``http.cookiejar`` only takes cookies from ``Set-Cookie``/``Set-Cookie2`` headers, so an
    answer without either leaves the jar as it was; building the urllib request/response
    shims httpx hands it costs about 80 µs per request otherwise."""

    def extract_cookies(self, response: httpx.Response) -> None:
        # httpx.Headers keeps (raw key, lowered key, value) triples; reading the lowered keys
        # saves decoding every header twice, as ``"set-cookie" in headers`` would
        if any(key in _SET_COOKIE for _, key, _ in response.headers._list):
            super().extract_cookies(response)


class NetworkClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` whose default transport, and ``http://`` proxy transports from
    the environment, are :class:`NetworkTransport`. A ``transport=`` given by the caller
    (a test's ``MockTransport``, an in-process sandbox's ASGI transport) is used as it is,
    and then, as with httpx, the environment's proxies are not read.

    Per request it does less than httpx's client, with the same result: a relative URL is
    joined to the base once parsed (httpx parses it, then the base again), and remembered
    per path; an answer without ``Set-Cookie`` skips the cookie jar; and :meth:`fetch`
    (what ``ApiClient`` calls) takes a request with no auth flow to run straight to the
    transport, reading a plain answer in one go."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cookies = _Cookies(self._cookies)
        self._merged: dict[str, httpx.URL] = {}
        self._prefix_of: httpx.URL | None = None
        self._prefix: str | None = None

    @property
    def cookies(self) -> httpx.Cookies:
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._cookies = _Cookies(cookies)

    async def fetch(self, request: httpx.Request, cap: int) -> httpx.Response:
        """``send(request, stream=True)``, the same answer for less CPU when it can be had so.

        When the request goes through a :class:`NetworkTransport` with no auth or httpx's
        ``BasicAuth`` and no event hooks (an ``ApiClient``'s usual case), the request is
        handed to :meth:`NetworkTransport.fetch` directly, past httpx's auth-flow, redirect
        and stream-wrapping machinery, which for such a request sends it as it is (redirects
        are not followed either way). An answer up to ``cap`` bytes with a ``Content-Length``
        and no ``Content-Encoding`` comes back read and closed; any other streaming, as from
        ``send``. Cookies are taken from the answer and its ``elapsed`` set, as ``send`` does.
        Any other request goes through ``send``."""
        auth = self._auth
        transport = self._transport_for_url(request.url)
        if (
            (auth is not None and type(auth) is not httpx.BasicAuth)
            or (auth is None and (request.url.username or request.url.password))
            or not isinstance(transport, NetworkTransport)
            or not isinstance(request.stream, httpx.AsyncByteStream)
            or self._event_hooks["request"]
            or self._event_hooks["response"]
            or self.is_closed
        ):
            return await self.send(request, stream=True)
        if auth is not None:
            request.headers["Authorization"] = auth._auth_header
        self._state = ClientState.OPENED
        started = time.perf_counter()
        response = await transport.fetch(request, cap)
        if response.is_closed:
            response.elapsed = timedelta(seconds=time.perf_counter() - started)
        else:  # as send() leaves it: elapsed is set when the stream is closed
            assert isinstance(response.stream, httpx.AsyncByteStream)
            response.stream = BoundAsyncStream(response.stream, response=response, start=started)
        self._cookies.extract_cookies(response)
        response.default_encoding = self._default_encoding
        if _httpx_log.isEnabledFor(logging.INFO):  # send()'s line, for whoever reads it
            _httpx_log.info(
                'HTTP Request: %s %s "%s %d %s"',
                request.method,
                request.url,
                response.http_version,
                response.status_code,
                response.reason_phrase,
            )
        return response

    def _merge_url(self, url: httpx.URL | str) -> httpx.URL:
        if not isinstance(url, str):
            return super()._merge_url(url)
        merged = self._merged.get(url)
        if merged is not None and self._prefix_of is self._base_url:
            return merged
        prefix = self._base_prefix()
        if prefix is None or not _plain_relative(url):
            return super()._merge_url(url)
        # what httpx builds: the base's path, then the URL's path without its leading "/"s
        merged = httpx.URL(prefix + url.lstrip("/"))
        if len(self._merged) >= _MERGED_URLS:
            self._merged.clear()
        self._merged[url] = merged
        return merged

    def _base_prefix(self) -> str | None:
        """The base URL as text ending in "/", or ``None`` when it has a query or fragment
        (httpx then joins in its own way); recomputed if ``base_url`` is set again."""
        base = self._base_url
        if self._prefix_of is not base:
            self._merged.clear()
            self._prefix_of = base
            text = str(base)
            if base.raw_path == b"/" and not text.endswith("/"):
                text += "/"  # "https://host" is kept without its path, which is "/"
            plain = base.query == b"" and base.fragment == "" and bool(base.host)
            self._prefix = text if plain and text.endswith("/") else None
        return self._prefix

    def _init_transport(
        self,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = httpx.Limits(max_connections=100, max_keepalive_connections=20),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> httpx.AsyncBaseTransport:
        if transport is not None:
            return transport
        if http2:  # aiohttp speaks HTTP/1.1 only
            return super()._init_transport(
                verify=verify,
                cert=cert,
                trust_env=trust_env,
                http1=http1,
                http2=http2,
                limits=limits,
            )
        return NetworkTransport(verify=verify, cert=cert, trust_env=trust_env, limits=limits)

    def _init_proxy_transport(
        self,
        proxy: httpx.Proxy,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = httpx.Limits(max_connections=100, max_keepalive_connections=20),
    ) -> httpx.AsyncBaseTransport:
        if http2 or proxy.url.scheme != "http":
            return super()._init_proxy_transport(
                proxy,
                verify=verify,
                cert=cert,
                trust_env=trust_env,
                http1=http1,
                http2=http2,
                limits=limits,
            )
        # a proxy's credentials go as a Proxy-Authorization header (NetworkTransport's
        # _through_proxy), not as aiohttp's deprecated ``proxy_auth``
        return NetworkTransport(
            verify=verify, cert=cert, trust_env=trust_env, limits=limits, proxy=proxy
        )
