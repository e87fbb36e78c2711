"""Helpers for the raw-HTTP conformance suites: no Kervan client, only ``httpx`` and UBL bodies.

The UBL comes from ``kervan_ubltr`` (a UBL-TR document builder), only so that an upload is a
document GİB's rules accept; every request and every check is written from Nilvera's published
API (its OpenAPI documents and developer.nilvera.com, see the sandbox's module docstring).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from kervan_nilvera.sandbox import DEMO_API_KEY, NilveraSandbox

AUTH = {"Authorization": f"Bearer {DEMO_API_KEY}"}
UNREGISTERED = "17291716060"


@asynccontextmanager
async def raw_client(sandbox: NilveraSandbox) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sandbox.asgi)
    async with httpx.AsyncClient(
        base_url="https://apitest.nilvera.com", transport=transport, headers=AUTH
    ) as client:
        yield client


async def send_xml(http: httpx.AsyncClient, channel: str, xml: bytes, alias: str | None) -> str:
    """``POST /{channel}/Send/Xml`` (multipart ``file``); the UUID Nilvera answers."""
    answer = await http.post(
        f"/{channel}/Send/Xml",
        params={"Alias": alias} if alias else None,
        files={"file": ("invoice.xml", xml, "application/xml")},
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["UUID"])


def error_codes(answer: httpx.Response) -> list[int]:
    """The ``Errors[].Code`` of a refusal (the documented error shape)."""
    body = answer.json()
    assert isinstance(body.get("Errors"), list) and body["Errors"], body
    for entry in body["Errors"]:
        assert {"Code", "Description", "Detail"} <= set(entry)
    return [int(e["Code"]) for e in body["Errors"]]
