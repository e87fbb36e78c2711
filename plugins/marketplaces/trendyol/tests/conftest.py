"""Fixtures: a seeded Trendyol sandbox and a connector talking to it on simulated time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from kervan import ConnectorContext
from kervan.domain import Order
from kervan_sdk.http import RetryPolicy
from kervan_trendyol import Trendyol, TrendyolSettings
from kervan_trendyol.client import TrendyolClient
from kervan_trendyol.sandbox import TrendyolSandbox

BASE = "http://trendyol.sandbox"


@pytest.fixture
def sandbox() -> TrendyolSandbox:
    sb = TrendyolSandbox(seed=1)
    sb.seed_random(12)
    return sb


def make_connector(sb: TrendyolSandbox, **overrides: Any) -> Trendyol:
    context = ConnectorContext(
        tenant_id="t1",
        connection_id="c1",
        transport=sb.transport(),
        clock=sb.clock.now,
        sleep=sb.clock.sleep,
    )
    settings = TrendyolSettings(**{**sb.demo_settings(BASE), **overrides})
    connector = Trendyol(settings, context)
    # deterministic backoff in tests (no jitter); the production default keeps jitter
    connector.client.retry = RetryPolicy(max_attempts=6, jitter=False)
    return connector


@pytest.fixture
async def trendyol(sandbox: TrendyolSandbox) -> AsyncIterator[Trendyol]:
    connector = make_connector(sandbox)
    yield connector
    await connector.aclose()


@pytest.fixture
def client(trendyol: Trendyol) -> TrendyolClient:
    return trendyol.client


async def fetch(connector: Trendyol, since: datetime | None = None) -> list[Order]:
    since = since or connector.context.clock() - timedelta(days=1)
    return [order async for order in connector.fetch_orders(since)]


def order_of(orders: list[Order], package_id: int | str) -> Order:
    return next(o for o in orders if o.package_id == str(package_id))
