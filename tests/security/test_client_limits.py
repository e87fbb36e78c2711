"""Issue 17, finding 6: the SDK's HTTP client does not trust a remote to be reasonable.

A real socket server on loopback plays the hostile remote: it drips its answer one byte a
second, streams a body without end, declares a 300 MB body, or nests JSON 200,000 deep. Each
call ends in a Kervan error naming the remote and the limit, on time, without buffering the
flood, and is not retried in-process.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from kervan.errors import (
    DeadlineExceededError,
    KervanError,
    RemoteUnavailableError,
    ResponseLimitError,
)
from kervan_sdk.http import ApiClient, Limits, RetryPolicy

SECRET = "s3cr3t-api-key"
DEEP = b"[" * 200_000 + b"]" * 200_000


class Probe(ApiClient):
    remote_name = "probe"


@dataclass
class Remote:
    """A hostile HTTP/1.1 server on a real loopback socket."""

    url: str = ""
    requests: list[str] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        path = head.split(b" ", 2)[1].decode().split("?")[0]
        self.requests.append(path)
        self.sent[path] = 0
        try:
            await getattr(self, "_" + path.strip("/"))(writer, path)
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client hung up on us: what it should do
        finally:
            writer.close()

    async def _send(self, writer: asyncio.StreamWriter, path: str, data: bytes) -> None:
        writer.write(data)
        await writer.drain()
        self.sent[path] += len(data)

    async def _drip(self, writer: asyncio.StreamWriter, path: str) -> None:
        """A 60-byte JSON answer, one byte a second: each read is well inside a 5 s timeout."""
        await self._send(writer, path, b"HTTP/1.1 200 OK\r\nContent-Length: 60\r\n\r\n")
        for _ in range(60):
            await self._send(writer, path, b" ")
            await asyncio.sleep(1)

    async def _endless(self, writer: asyncio.StreamWriter, path: str) -> None:
        """A chunked body with no end (300 MB before it would stop)."""
        await self._send(writer, path, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 65536
        for _ in range(300 * 16):
            await self._send(writer, path, b"%x\r\n%s\r\n" % (len(chunk), chunk))
        await self._send(writer, path, b"0\r\n\r\n")

    async def _declared(self, writer: asyncio.StreamWriter, path: str) -> None:
        """Says 300 MB up front, then sends it slowly."""
        await self._send(writer, path, b"HTTP/1.1 200 OK\r\nContent-Length: 314572800\r\n\r\n")
        for _ in range(100):
            await self._send(writer, path, b"x" * 65536)
            await asyncio.sleep(0.05)

    async def _deep(self, writer: asyncio.StreamWriter, path: str) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        await self._send(writer, path, head + b"Content-Length: %d\r\n\r\n" % len(DEEP) + DEEP)


@pytest.fixture
async def remote() -> AsyncIterator[Remote]:
    found = Remote()
    server = await asyncio.start_server(found.handle, "127.0.0.1", 0)
    found.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server:
        yield found
        server.close()


def probe(url: str, limits: Limits, **kw: object) -> Probe:
    return Probe(
        url,
        limits=limits,
        timeout=httpx.Timeout(5, connect=2),
        secrets=[SECRET],
        **kw,  # type: ignore[arg-type]
    )


def names_the_limit(error: KervanError, limit: str) -> None:
    assert error.to_dict()["remote"] == "probe"
    assert error.detail["limit"] == limit
    assert "probe" in error.message
    assert SECRET not in str(error.to_dict())


async def test_a_remote_dripping_one_byte_a_second_is_cut_off_at_the_deadline(
    remote: Remote,
) -> None:
    async with probe(remote.url, Limits(deadline=1.5)) as client:
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError) as caught:
            await client.get(f"/drip?key={SECRET}")  # a GET: retries would be allowed
        elapsed = time.monotonic() - started
    # cut at the deadline, though no single read ever waited as long as the 5 s read timeout
    assert 1.4 <= elapsed < 3.0, elapsed
    assert remote.requests == ["/drip"], "a call past its deadline is not retried in-process"
    assert remote.sent["/drip"] < 45
    names_the_limit(caught.value, "deadline")
    assert "1.5 s deadline" in caught.value.message
    assert caught.value.retryable  # the engine tries again later, on its backoff


async def test_an_endless_body_is_cut_at_the_size_cap(remote: Remote) -> None:
    cap = 256 * 1024
    async with probe(remote.url, Limits(max_response_bytes=cap)) as client:
        with pytest.raises(ResponseLimitError, match="262,144-byte limit") as caught:
            await client.get("/endless")
    await asyncio.sleep(0.05)  # let the server notice the hang-up
    assert remote.requests == ["/endless"]
    # reading stopped at the cap: what was sent is that plus what the socket buffers held
    assert remote.sent["/endless"] < 16 * 1024 * 1024, remote.sent
    names_the_limit(caught.value, "size")
    assert caught.value.detail["maximum"] == cap


async def test_a_declared_oversize_body_is_refused_before_reading(remote: Remote) -> None:
    async with probe(remote.url, Limits(max_response_bytes=1024 * 1024)) as client:
        with pytest.raises(ResponseLimitError, match="declares 314,572,800 bytes") as caught:
            await client.get("/declared")
    assert remote.sent["/declared"] < 2 * 1024 * 1024
    names_the_limit(caught.value, "size")


async def test_a_gzip_bomb_is_measured_after_inflating() -> None:
    bomb = gzip.compress(b"0" * (8 * 1024 * 1024))  # 8 MB inflated, ~8 kB on the wire
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, content=bomb, headers={"Content-Encoding": "gzip"})
    )
    async with probe(
        "https://remote.example", Limits(max_response_bytes=1024 * 1024), transport=transport
    ) as client:
        with pytest.raises(ResponseLimitError) as caught:
            await client.get("/bomb")
    assert len(bomb) < 1024 * 1024
    names_the_limit(caught.value, "size")


async def test_deeply_nested_json_is_a_kervan_error_not_a_recursion_error(remote: Remote) -> None:
    async with probe(remote.url, Limits()) as client:
        with pytest.raises(ResponseLimitError, match="deeper than 64 levels") as caught:
            await client.json("GET", "/deep")
    assert remote.requests == ["/deep"], "not asked again: the answer would be the same"
    names_the_limit(caught.value, "json_depth")


async def test_json_at_the_depth_limit_still_parses() -> None:
    body = b"[" * 64 + b"1" + b"]" * 64
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    async with probe(
        "https://remote.example", Limits(max_json_depth=64), transport=transport
    ) as client:
        value = await client.json("GET", "/ok")
    for _ in range(63):
        value = value[0]
    assert value == [1]


async def test_no_backoff_wait_runs_past_the_deadline() -> None:
    """A 503 asking for a 30 s wait, with 1 s of deadline left: raise now, do not sleep."""
    calls: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        return httpx.Response(503, headers={"Retry-After": "30"})

    retry = RetryPolicy(max_attempts=5, base_delay=0.01, jitter=False)
    transport = httpx.MockTransport(answer)
    async with probe(
        "https://remote.example", Limits(deadline=1.0), transport=transport, retry=retry
    ) as client:
        started = time.monotonic()
        with pytest.raises(RemoteUnavailableError) as caught:
            await client.get("/busy")
    assert time.monotonic() - started < 0.9
    assert len(calls) == 1
    assert not isinstance(caught.value, DeadlineExceededError)  # the remote's own answer


def test_limits_are_per_connector() -> None:
    class BigFiles(ApiClient):
        remote_name = "archive"
        default_limits = Limits(max_response_bytes=200 * 1024 * 1024, deadline=600)

    assert BigFiles("https://a.example").limits.max_response_bytes == 200 * 1024 * 1024
    assert Probe("https://a.example").limits == Limits()
    assert Probe("https://a.example", limits=Limits(deadline=None)).limits.deadline is None
    with pytest.raises(ValueError):
        Limits(max_response_bytes=0)
