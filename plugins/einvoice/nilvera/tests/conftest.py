"""Fixtures: a sandbox on simulated time and a connector wired into it."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import httpx
from conformance_support import raw_client
from kervan_nilvera import Nilvera
from kervan_nilvera.sandbox import NilveraSandbox
from kervan_sdk.sandbox import SimClock
from nilvera_testdata import BUYER_PK, BUYER_VKN, make_connector


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def sandbox(clock: SimClock) -> NilveraSandbox:
    box = NilveraSandbox(clock=clock)
    box.add_taxpayer(BUYER_VKN, "Alıcı Ltd. Şti.", pk=[BUYER_PK])
    return box


@pytest.fixture
async def connector(sandbox: NilveraSandbox, clock: SimClock) -> AsyncIterator[Nilvera]:
    conn = make_connector(sandbox, clock)
    yield conn
    await conn.aclose()


@pytest.fixture
async def http(sandbox: NilveraSandbox) -> AsyncIterator[httpx.AsyncClient]:
    """Raw HTTP to the sandbox (the conformance suites): no Kervan client in between."""
    async with raw_client(sandbox) as client:
        yield client
