"""Limits on what a remote may send: body size, JSON nesting depth, and how long a call may take.

A remote is not trusted to be reasonable. Without these, a 300 MB answer is buffered in full,
a server sending one byte a second holds a call for as long as it likes (a read timeout resets
on every byte), and an answer nested 200,000 levels deep makes Python's ``json`` raise
``RecursionError``. :class:`~kervan_sdk.http.ApiClient` applies :class:`Limits` to every call;
a connector whose remote sends big answers (a PDF archive, a full catalog) raises its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
from kervan.errors import ResponseLimitError

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one :class:`~kervan_sdk.http.ApiClient` accepts from its remote.

    ``max_response_bytes``: the largest body read (after content decoding, so a small gzip
    that inflates past it is cut too); reading stops at the cap. ``max_json_depth``: the
    deepest nesting of arrays and objects in a JSON answer. ``deadline``: wall-clock seconds
    one call may take, from the first connect to the last byte, retries and the waits between
    them included (``None``: no deadline; the per-read timeouts still apply).
    """

    max_response_bytes: int = 32 * MIB
    max_json_depth: int = 64
    deadline: float | None = 120.0

    def __post_init__(self) -> None:
        if self.max_response_bytes < 1 or self.max_json_depth < 1:
            raise ValueError("max_response_bytes and max_json_depth must be positive")
        if self.deadline is not None and self.deadline <= 0:
            raise ValueError("deadline must be positive (or None for none)")


DEFAULT_LIMITS = Limits()


async def read_capped(
    response: httpx.Response, cap: int, what: Callable[[], str], remote: str
) -> bytes:
    """Read a streamed ``response``'s body, stopping with :class:`ResponseLimitError` once it
    passes ``cap`` bytes (at once when ``Content-Length`` already says so). Closes the stream.

    ``what()`` names the call in the message ("trendyol's answer to GET /orders"); it is
    called only for a message (naming it redacts the path: not work for every answer)."""
    if response.is_closed and response.is_stream_consumed:  # read already (NetworkClient.fetch)
        body = response.content
        if len(body) > cap:
            await response.aclose()
            raise _too_large(what, remote, cap, response, f"it is {len(body):,} bytes")
        return body
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise _too_large(what, remote, cap, response, f"it declares {int(declared):,} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise _too_large(what, remote, cap, response, "reading stopped there")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        await response.aclose()


def _too_large(
    what: Callable[[], str], remote: str, cap: int, response: httpx.Response, how: str
) -> ResponseLimitError:
    return ResponseLimitError(
        f"{what()} is over the {cap:,}-byte limit on a response ({how}); if answers this big are "
        "expected, raise max_response_bytes in the connector's client Limits",
        remote=remote,
        status=response.status_code,
        detail={"limit": "size", "maximum": cap},
    )


# every byte but the quote and the four brackets, dropped by bytes.translate
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether the JSON in ``body`` nests arrays/objects deeper than ``limit``.

    Runs before ``json.loads`` (whose recursion a deep enough answer exhausts) at C speed for
    ordinary answers. Escaped backslashes, then escaped quotes, are taken out (inside a JSON
    string a backslash always starts an escape, so pairs read left to right are exactly the
    escapes); then only quotes and brackets are kept, and what lies between a pair of quotes,
    a string's brackets, dropped. An unterminated string hides the brackets after it, which
    ``json.loads`` never reaches either: it fails on the string first. The bracket run left
    is checked in windows of ``limit`` characters; only a window whose opening brackets could
    take the depth past the limit is walked one bracket at a time.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    if b"\\" in body:
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    # most strings hold no bracket: an empty pair of quotes goes at C speed
    structure = body.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in structure:
        structure = b"".join(structure.split(b'"')[::2])  # even pieces lie outside strings
    brackets = structure
    brackets = brackets.replace(b"{", b"[").replace(b"}", b"]")
    depth = 0
    for start in range(0, len(brackets), limit):
        window = brackets[start : start + limit]
        opening = window.count(b"[")
        if depth + opening > limit:
            for char in window:
                depth += 1 if char == 0x5B else -1
                if depth > limit:
                    return True
        else:
            depth += opening - (len(window) - opening)
    return False


def looks_like_json(body: bytes) -> bool:
    """Whether ``body`` starts like a JSON array or object (whatever the content type says)."""
    head = body[:64].lstrip()
    return head[:1] in (b"[", b"{")
