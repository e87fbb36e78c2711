"""ApiClient over the network: aiohttp keeps every promise httpx's own transport made.

A real socket server on loopback plays the remote (and, for one test, a proxy). Every failure
is checked with both transports, the default (aiohttp, ``NetworkTransport``) and httpx's own,
and must end in the same Kervan error with the same message, retried or not the same way: a
dropped connection after a POST was sent must never look like a request that never left.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import socket
import ssl
import struct
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kervan.errors import RemoteRejectedError, RemoteUnavailableError, ResponseLimitError
from kervan_sdk.http import ApiClient, Limits, RetryPolicy, json_depth_exceeds
from kervan_sdk.http.network import NetworkClient, NetworkTransport, httpx_error

TRANSPORTS = ("network", "httpx")
OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'


class Probe(ApiClient):
    remote_name = "probe"


async def no_sleep(seconds: float) -> None:
    return None


def probe(url: str, transport: str, **kw) -> Probe:
    """A client on the transport under test (``network``: ApiClient's default)."""
    given = httpx.AsyncHTTPTransport() if transport == "httpx" else None
    kw.setdefault("retry", RetryPolicy(max_attempts=2))
    kw.setdefault("sleep", no_sleep)
    return Probe(url, transport=given, **kw)


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Remote:
    """An HTTP/1.1 server on a loopback socket whose answer per path is a coroutine."""

    handlers: dict[str, Handler]
    requests: list[bytes] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    connections: int = 0
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:  # keep-alive: one connection may carry many requests
                head = await reader.readuntil(b"\r\n\r\n")
                self.requests.append(head)
                length = _content_length(head)
                if length:
                    self.bodies.append(await reader.readexactly(length))
                target = head.split(b" ", 2)[1].decode()
                path = "/" + target.split("/", 3)[-1] if "://" in target else target
                await self.handlers[path.split("?")[0]](reader, writer)
                if writer.is_closing():
                    return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def count(self, path: str) -> int:
        return sum(1 for head in self.requests if head.split(b" ", 2)[1].endswith(path.encode()))


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[Remote]]]:
    servers: list[asyncio.Server] = []

    async def start(ssl_context: ssl.SSLContext | None = None, **handlers: Handler) -> Remote:
        remote = Remote({"/" + k.replace("_", "-"): h for k, h in handlers.items()})
        server = await asyncio.start_server(remote.handle, "127.0.0.1", 0, ssl=ssl_context)
        remote.port = server.sockets[0].getsockname()[1]
        servers.append(server)
        return remote

    yield start
    for server in servers:
        server.close()


async def answer_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(OK)
    await writer.drain()


async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()  # read the request, answer nothing


async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(30)


async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()  # RST, not FIN, before a byte of the answer


async def reset_midway(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{"a":')
    await writer.drain()
    await asyncio.sleep(0.05)
    await reset(reader, writer)


async def cut_short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"a":')
    await writer.drain()
    writer.close()


async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HELLO THERE\r\n\r\n")
    await writer.drain()
    writer.close()


async def redirect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 302 Found\r\nLocation: /ok\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()


async def big(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    writer.write(b"Transfer-Encoding: chunked\r\n\r\n")
    for _ in range(64):  # 64 KiB, no Content-Length: the cap is found while reading
        writer.write(b"400\r\n" + b" " * 1024 + b"\r\n")
    writer.write(b"0\r\n\r\n")
    await writer.drain()


# -- which transport ---------------------------------------------------------------------


def test_api_client_goes_over_aiohttp_unless_given_a_transport() -> None:
    assert isinstance(Probe("https://remote.example")._http._transport, NetworkTransport)
    mock = httpx.MockTransport(lambda request: httpx.Response(200))
    assert Probe("https://remote.example", transport=mock)._http._transport is mock


async def test_a_transport_from_the_context_still_wins(serve) -> None:
    from kervan import ConnectorContext

    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={"mocked": True})

    context = ConnectorContext("t", "c", transport=httpx.MockTransport(answer))
    client = Probe("https://remote.example", context=context)
    assert await client.json("GET", "/x") == {"mocked": True}
    assert seen == ["/x"]


def test_tls_verification_uses_the_context_httpx_builds() -> None:
    transport = Probe("https://remote.example")._http._transport
    assert isinstance(transport, NetworkTransport)
    assert transport.ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert transport.ssl_context.check_hostname


# -- the same answers, the same errors ---------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_answer_comes_back_and_the_connection_is_kept(serve, transport) -> None:
    remote = await serve(ok=answer_ok)
    async with probe(remote.url, transport) as client:
        for _ in range(5):
            assert await client.json("POST", "/ok", json={"n": 1}) == {"ok": True}
    assert remote.count("/ok") == 5
    assert remote.connections == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_refused_connection_is_retried_and_then_unavailable(transport) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nobody listens there
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = probe(f"http://127.0.0.1:{port}", transport, sleep=sleep)
    with pytest.raises(RemoteUnavailableError) as caught:
        await client.request("POST", "/x", json={})
    assert str(caught.value) == "probe did not answer POST /x (ConnectError)"
    assert len(sleeps) == 1  # never sent: a POST is safe to try again


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_connect_timeout_is_honoured_and_a_post_tried_again(transport) -> None:
    """A listener whose accept queue is full leaves a new connection unanswered (Linux drops
    the SYN), so connecting times out."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        await asyncio.sleep(0.1)
        sleeps: list[float] = []

        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)

        timeout = httpx.Timeout(5, connect=0.3)
        client = probe(f"http://127.0.0.1:{port}", transport, timeout=timeout, sleep=sleep)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            with pytest.raises(RemoteUnavailableError) as caught:
                await client.request("POST", "/x", json={})
        finally:
            for filler in fillers:
                filler.close()
    assert str(caught.value) == "probe did not answer POST /x (ConnectTimeout)"
    assert len(sleeps) == 1  # never sent: tried again
    assert loop.time() - started < 4


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_hang_up_after_a_post_is_not_resent(serve, transport) -> None:
    remote = await serve(hang_up=hang_up)
    with pytest.raises(RemoteUnavailableError) as caught:
        await probe(remote.url, transport).request("POST", "/hang-up", json={"invoice": 1})
    assert str(caught.value) == "probe did not answer POST /hang-up (RemoteProtocolError)"
    assert remote.count("/hang-up") == 1  # the remote may have acted on it


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_hang_up_after_a_get_is_retried(serve, transport) -> None:
    remote = await serve(hang_up=hang_up)
    with pytest.raises(RemoteUnavailableError, match=r"\(RemoteProtocolError\)"):
        await probe(remote.url, transport).request("GET", "/hang-up")
    assert remote.count("/hang-up") == 2


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_read_timeout_is_honoured_and_a_post_is_not_resent(serve, transport) -> None:
    remote = await serve(never_answer=never_answer)
    client = probe(remote.url, transport, timeout=httpx.Timeout(5, read=0.3))
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(RemoteUnavailableError) as caught:
        await client.request("POST", "/never-answer", json={})
    assert str(caught.value) == "probe did not answer POST /never-answer (ReadTimeout)"
    assert 0.25 < loop.time() - started < 3
    assert remote.count("/never-answer") == 1


@pytest.mark.parametrize(
    ("path", "handler", "reason"),
    [
        ("/reset", reset, "ReadError"),
        ("/cut-short", cut_short, "RemoteProtocolError"),
        ("/garbage", garbage, "RemoteProtocolError"),
    ],
)
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_broken_answer_is_the_same_error(serve, transport, path, handler, reason) -> None:
    remote = await serve(**{path.strip("/").replace("-", "_"): handler})
    with pytest.raises(RemoteUnavailableError) as caught:
        await probe(remote.url, transport).request("POST", path, json={})
    assert str(caught.value) == f"probe did not answer POST {path} ({reason})"
    assert remote.count(path) == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_reset_midway_through_the_body_is_unavailable_and_not_resent(
    serve, transport
) -> None:
    """httpx names this ReadError; aiohttp reports it as an incomplete body (ClientPayloadError,
    the reset only in its message), hence RemoteProtocolError. Both are the same Kervan error,
    retried the same way (the remote may have acted)."""
    remote = await serve(reset_midway=reset_midway)
    with pytest.raises(RemoteUnavailableError) as caught:
        await probe(remote.url, transport).request("POST", "/reset-midway", json={})
    assert str(caught.value) in {
        f"probe did not answer POST /reset-midway ({reason})"
        for reason in ("ReadError", "RemoteProtocolError")
    }
    assert remote.count("/reset-midway") == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_redirect_is_not_followed(serve, transport) -> None:
    remote = await serve(redirect=redirect, ok=answer_ok)
    with pytest.raises(RemoteRejectedError, match="probe answered 302"):
        await probe(remote.url, transport).request("GET", "/redirect")
    assert remote.count("/ok") == 0


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_size_cap_stops_a_chunked_answer(serve, transport) -> None:
    remote = await serve(big=big)
    client = probe(remote.url, transport, limits=Limits(max_response_bytes=10_000))
    with pytest.raises(ResponseLimitError, match="10,000-byte limit"):
        await client.request("GET", "/big")
    assert remote.count("/big") == 1  # a limit is not retried


# -- the short way: NetworkClient.fetch --------------------------------------------------


def answer_with(*headers: bytes, body: bytes = b'{"ok":true}') -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = b"HTTP/1.1 200 Fine\r\nContent-Type: application/json\r\n" + b"".join(headers)
        if not any(h.lower().startswith(b"transfer-encoding") for h in headers):
            head += b"Content-Length: %d\r\n" % len(body)
        writer.write(head + b"\r\n" + body)
        await writer.drain()

    return handle


async def test_fetch_sends_what_send_sends_and_answers_the_same(serve) -> None:
    """The short way and httpx's own way put the same bytes on the wire and give back the same
    answer; only the short way's comes back read."""
    remote = await serve(ok=answer_with(b"X-Request-Id: r-1\r\n"))
    async with NetworkClient(
        base_url=remote.url, auth=httpx.BasicAuth("user", "pass"), headers={"Accept": "a/b"}
    ) as client:
        sent = client.build_request("POST", "/ok", json={"n": "ç"}, headers={"X-One": "1"})
        by_fetch = await client.fetch(sent, 1000)
        again = client.build_request("POST", "/ok", json={"n": "ç"}, headers={"X-One": "1"})
        by_send = await client.send(again, stream=True)
        assert not by_send.is_closed
        await by_send.aread()
    first, second = remote.requests
    assert first == second
    assert b"authorization: Basic dXNlcjpwYXNz\r\n" in first  # user:pass
    assert by_fetch.is_closed and by_fetch.is_stream_consumed
    for name in ("status_code", "content", "text", "http_version", "reason_phrase", "url"):
        assert getattr(by_fetch, name) == getattr(by_send, name), name
    assert by_fetch.headers.multi_items() == by_send.headers.multi_items()
    assert by_fetch.json() == {"ok": True}
    assert by_fetch.request is sent
    assert by_fetch.elapsed.total_seconds() > 0
    assert by_fetch.reason_phrase == "Fine"


async def test_a_multipart_upload_goes_out_as_httpx_sends_it(serve) -> None:
    """A multipart body is a stream httpx has not read: both ways send the same bytes."""
    remote = await serve(upload=answer_ok)
    files = {"file": ("invoice.xml", "<Invoice>ç</Invoice>".encode() * 50, "text/xml")}
    for transport in TRANSPORTS:
        async with probe(remote.url, transport) as client:
            answer = await client.json("POST", "/upload", files=files, data={"a": "1"})
        assert answer == {"ok": True}
    first, second = (
        body.replace(body.split(b"\r\n", 1)[0], b"--boundary") for body in remote.bodies
    )  # each request has its own random boundary; the rest must be byte for byte the same
    assert first == second
    assert "<Invoice>ç</Invoice>".encode() * 50 in first


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_head_and_a_204_have_no_body_and_keep_the_connection(serve, transport) -> None:
    async def head_or_get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if remote.requests[-1].startswith(b"HEAD"):  # the length of the body a GET would get
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n")
        else:
            writer.write(OK)
        await writer.drain()

    async def no_content(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()

    remote = await serve(ok=head_or_get, gone=no_content)
    async with probe(remote.url, transport) as client:
        head = await client.request("HEAD", "/ok")
        assert head.content == b"" and head.headers["content-length"] == "11"
        assert (await client.request("DELETE", "/gone")).status_code == 204
        assert await client.json("GET", "/ok") == {"ok": True}
    assert remote.connections == 1


@pytest.mark.parametrize("how", ["gzip", "chunked", "over the cap"])
async def test_an_answer_the_short_way_does_not_read_comes_back_streaming(serve, how) -> None:
    import gzip

    body = b'{"items":[' + b",".join(b'"%d"' % i for i in range(300)) + b"]}"
    headers = {
        "gzip": (b"Content-Encoding: gzip\r\n",),
        "chunked": (b"Transfer-Encoding: chunked\r\n",),
        "over the cap": (),
    }[how]
    wire = gzip.compress(body) if how == "gzip" else body
    if how == "chunked":
        wire = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    remote = await serve(items=answer_with(*headers, body=wire))
    async with NetworkClient(base_url=remote.url) as client:
        response = await client.fetch(client.build_request("GET", "/items"), 100)
        assert not response.is_closed
        assert await response.aread() == body  # decoded as httpx decodes it
        assert response.elapsed.total_seconds() > 0


async def test_a_declared_length_over_the_cap_is_refused_before_the_body_is_read(serve) -> None:
    remote = await serve(items=answer_with(body=b"[" + b"1," * 6000 + b"1]"))
    async with probe(remote.url, "network", limits=Limits(max_response_bytes=10_000)) as client:
        with pytest.raises(ResponseLimitError, match="it declares 12,003 bytes"):
            await client.request("GET", "/items")


async def test_a_cookie_set_on_the_short_way_is_sent_back(serve) -> None:
    remote = await serve(login=answer_with(b"Set-Cookie: sid=abc; Path=/\r\n"), ok=answer_with())
    async with probe(remote.url, "network") as client:
        await client.request("POST", "/login")
        await client.request("GET", "/ok")
    assert b"cookie: sid=abc" in remote.requests[1].lower()
    assert b"cookie" not in remote.requests[0].lower()


async def test_a_token_auth_goes_httpx_way_and_is_fetched_again_after_a_401(serve) -> None:
    from kervan_sdk.http import BearerTokenAuth

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        fresh = b"Bearer t-2" in remote.requests[-1]
        writer.write(OK if fresh else b"HTTP/1.1 401 No\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    remote = await serve(ok=answer)
    tokens = iter(["t-1", "t-2"])

    async def provider() -> str:
        return next(tokens)

    auth = BearerTokenAuth(provider)
    async with probe(remote.url, "network", auth=auth) as client:
        assert await client.json("GET", "/ok") == {"ok": True}
    assert auth.fetches == 2 and remote.count("/ok") == 2


async def test_event_hooks_and_a_closed_client_are_honoured_on_the_short_way(serve) -> None:
    remote = await serve(ok=answer_ok)
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    client = NetworkClient(base_url=remote.url, event_hooks={"request": [hook]})
    response = await client.fetch(client.build_request("GET", "/ok"), 1000)
    await response.aread()
    assert seen == ["/ok"]
    await client.aclose()
    with pytest.raises(RuntimeError, match="client has been closed"):
        await client.fetch(client.build_request("GET", "/ok"), 1000)


# -- TLS ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory) -> tuple[Path, Path]:
    """A certificate for ``localhost`` that no public CA signed, and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
async def tls_remote(serve, self_signed) -> Remote:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*self_signed)
    return await serve(ssl_context=context, ok=answer_ok)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_untrusted_certificate_is_refused(tls_remote, transport) -> None:
    client = probe(f"https://localhost:{tls_remote.port}", transport)
    with pytest.raises(RemoteUnavailableError) as caught:
        await client.request("GET", "/ok")
    assert str(caught.value) == "probe did not answer GET /ok (ConnectError)"
    assert tls_remote.count("/ok") == 0  # nothing crossed an unverified channel


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_ssl_cert_file_is_the_ca_source_as_with_httpx(
    tls_remote, self_signed, transport, monkeypatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(self_signed[0]))
    client = probe(f"https://localhost:{tls_remote.port}", transport)
    assert await client.json("GET", "/ok") == {"ok": True}


# -- proxies from the environment --------------------------------------------------------


PROXY_CREDENTIAL = "Basic " + base64.b64encode("agent:pä:ss".encode()).decode()


async def test_an_http_proxy_from_the_environment_is_used(serve, monkeypatch) -> None:
    """The proxy's credentials go in the request's own Proxy-Authorization header, once, as
    httpx encodes them (UTF-8), without aiohttp's deprecated ``proxy_auth``; the request
    object the caller (and any error) sees does not hold them."""
    proxy = await serve(ok=answer_ok)
    monkeypatch.setenv("HTTP_PROXY", f"http://agent:p%C3%A4%3Ass@127.0.0.1:{proxy.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = Probe("http://remote.invalid")
    assert isinstance(client._http._transport_for_url(httpx.URL("http://x/")), NetworkTransport)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        answer = await client._http.get("http://remote.invalid/ok")
    assert answer.json() == {"ok": True}
    assert "proxy-authorization" not in answer.request.headers
    assert await client.json("GET", "/ok") == {"ok": True}
    for raw in proxy.requests:
        head = raw.decode()
        assert head.startswith("GET http://remote.invalid/ok HTTP/1.1")
        assert head.lower().count("proxy-authorization: ") == 1
        assert f"Proxy-Authorization: {PROXY_CREDENTIAL}\r\n" in head
    await client.aclose()


async def refuse_tunnel(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()


async def test_an_https_request_puts_the_proxy_credentials_on_its_connect(
    serve, monkeypatch
) -> None:
    """Through an http proxy an https request opens a tunnel: the credentials go on the
    ``CONNECT``, once, and the proxy's refusal comes back as an error naming no secret."""
    proxy = await serve()
    proxy.handlers["remote.invalid:443"] = refuse_tunnel
    monkeypatch.setenv("HTTPS_PROXY", f"http://agent:p%C3%A4%3Ass@127.0.0.1:{proxy.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = Probe("https://remote.invalid", retry=RetryPolicy(max_attempts=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        with pytest.raises(RemoteUnavailableError) as refused:
            await client.json("GET", "/ok")
    assert "pä" not in str(refused.value) and "agent" not in str(refused.value)
    [head] = [r.decode() for r in proxy.requests]
    assert head.startswith("CONNECT remote.invalid:443 HTTP/1.1")
    assert head.lower().count("proxy-authorization: ") == 1
    assert f"Proxy-Authorization: {PROXY_CREDENTIAL}\r\n" in head
    await client.aclose()


async def test_a_given_transport_ignores_the_environment_proxy(monkeypatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    mock = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    client = Probe("http://remote.invalid", transport=mock)
    assert client._http._transport_for_url(httpx.URL("http://remote.invalid/")) is mock


def test_a_socks_proxy_keeps_httpx_transport(monkeypatch) -> None:
    proxy = httpx.Proxy("socks5://127.0.0.1:9")
    client = NetworkClient()
    try:
        kept = client._init_proxy_transport(proxy)
    except ImportError:  # httpx needs socksio for SOCKS, with or without aiohttp
        return
    assert not isinstance(kept, NetworkTransport)


# -- the error table ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (aiohttp.ConnectionTimeoutError(), httpx.ConnectTimeout),
        (aiohttp.SocketTimeoutError(), httpx.ReadTimeout),
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError("cut"), httpx.RemoteProtocolError),
        (aiohttp.ClientOSError(104, "reset"), httpx.ReadError),
        (aiohttp.ClientConnectionError("closed"), httpx.ReadError),
        (aiohttp.InvalidURL("ftp://x"), httpx.UnsupportedProtocol),
    ],
)
def test_aiohttp_errors_become_httpx_own(raised, expected) -> None:
    mapped = httpx_error(raised)
    assert type(mapped) is expected
    assert mapped.__cause__ is raised
    # and the same when httpx-aiohttp translated it first (its ConnectTimeout for most)
    wrapped = httpx.ConnectTimeout("x")
    wrapped.__cause__ = raised
    assert type(httpx_error(wrapped)) is expected


def test_errors_that_are_not_aiohttp_pass_through() -> None:
    error = httpx.ReadTimeout("x")
    assert httpx_error(error) is error


# -- the per-request shortcuts give httpx's own result ------------------------------------

BASES = (
    "https://apigw.trendyol.com/integration",
    "http://127.0.0.1:8042",
    "https://api.example/v1/",
    "http://[::1]:8080/a%20b",
)
PATH_CHARS = "abz09-._~!$&'()*+,;=:@/%?#[] éA"


@given(
    base=st.sampled_from(BASES),
    path=st.text(alphabet=PATH_CHARS, max_size=24),
    twice=st.booleans(),
)
@settings(max_examples=400, deadline=None)
def test_a_joined_url_is_the_one_httpx_joins(base, path, twice) -> None:
    mock = httpx.MockTransport(lambda request: httpx.Response(200))
    ours = NetworkClient(base_url=base, transport=mock)  # given a transport: no TLS set-up
    theirs = httpx.AsyncClient(base_url=base, transport=mock)
    try:
        expected = theirs._merge_url(path)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        with pytest.raises(type(exc)):
            ours._merge_url(path)
        return
    got = ours._merge_url(path)
    if twice:
        got = ours._merge_url(path)  # from the per-path memory
    assert str(got) == str(expected)
    assert got.raw_path == expected.raw_path and got.host == expected.host


@pytest.mark.parametrize("base", BASES)
def test_a_plain_path_is_joined_without_httpx_parsing_it_twice(base) -> None:
    client = NetworkClient(base_url=base, transport=httpx.MockTransport(lambda r: None))
    joined = client._merge_url("/orders/1?page=2")
    assert client._merged == {"/orders/1?page=2": joined}  # the shortcut took it


def test_a_new_base_url_is_not_joined_from_memory() -> None:
    client = NetworkClient(base_url="https://one.example/a/")
    assert str(client._merge_url("/x")) == "https://one.example/a/x"
    client.base_url = "https://two.example/b"
    assert str(client._merge_url("/x")) == "https://two.example/b/x"


async def test_cookies_are_kept_as_httpx_keeps_them() -> None:
    sent: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("cookie"))
        if request.url.path == "/login":
            return httpx.Response(200, headers={"Set-Cookie": "sid=abc; Path=/"})
        return httpx.Response(200)

    async with NetworkClient(
        base_url="https://remote.example", transport=httpx.MockTransport(answer)
    ) as client:
        await client.get("/before")
        await client.get("/login")
        await client.get("/after")
        client.cookies = {"other": "1"}
        await client.get("/replaced")
    assert sent == [None, None, "sid=abc", "other=1"]


# -- the JSON depth check ----------------------------------------------------------------

JSON_TEXT = st.text(alphabet='[]{}"\\\\ab\n\u00e9', max_size=8)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | JSON_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(JSON_TEXT, inner, max_size=3),
    max_leaves=40,
)


def depth_of(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    return 0


@given(value=JSON_VALUES, limit=st.integers(min_value=1, max_value=6), ascii_only=st.booleans())
@settings(max_examples=500, deadline=None)
def test_the_depth_check_agrees_with_the_parsed_depth(value, limit, ascii_only) -> None:
    import json

    body = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert json_depth_exceeds(body, limit) == (depth_of(value) > limit)


def test_brackets_after_an_unterminated_string_are_not_counted_but_before_it_are() -> None:
    assert json_depth_exceeds(b"[" * 100 + b'"', 64)
    assert not json_depth_exceeds(b'["' + b"[" * 100, 64)


def test_the_proxy_urls_credential_is_the_one_proxy_authorization_on_a_connect() -> None:
    """A ``Proxy-Authorization`` also given among the proxy's headers (any case) is replaced,
    not sent beside the URL's; the proxy's other headers stay."""
    proxy = httpx.Proxy(
        "http://agent:p%C3%A4%3Ass@127.0.0.1:9",
        headers={"proxy-AUTHORIZATION": "Basic b2xkOm9sZA==", "X-Proxy-Tag": "k1"},
    )
    transport = NetworkTransport(proxy=proxy)
    headers, kwargs = transport._through_proxy(httpx.Request("GET", "https://remote.invalid/ok"))
    assert [k for k in kwargs["proxy_headers"] if k.lower() == "proxy-authorization"] == [
        "Proxy-Authorization"
    ]
    assert kwargs["proxy_headers"]["Proxy-Authorization"] == PROXY_CREDENTIAL
    assert kwargs["proxy_headers"]["x-proxy-tag"] == "k1"
    assert "proxy-authorization" not in httpx.Headers(headers)
