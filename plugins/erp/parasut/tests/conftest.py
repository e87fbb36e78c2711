from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from kervan_parasut import Parasut, ParasutSettings
from kervan_parasut.sandbox import ParasutSandbox
from kervan_sdk.sandbox import SimClock
from kervan_sdk.testing import context_for

BASE = "http://parasut.sandbox.test"


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def sandbox(clock: SimClock) -> ParasutSandbox:
    return ParasutSandbox(clock=clock)


@pytest.fixture
def settings(sandbox: ParasutSandbox) -> dict[str, Any]:
    return sandbox.demo_settings(BASE)


@pytest.fixture
async def connect(
    sandbox: ParasutSandbox, settings: dict[str, Any]
) -> AsyncIterator[Callable[..., Parasut]]:
    """Build connectors on the sandbox (``connect(customer_cards="marketplace", ...)``)."""
    made: list[Parasut] = []

    def build(**overrides: Any) -> Parasut:
        parsed = ParasutSettings.parse({**settings, **overrides})
        assert isinstance(parsed, ParasutSettings)
        connector = Parasut(parsed, context_for(sandbox, tenant_id="t1"))
        made.append(connector)
        return connector

    yield build
    for connector in made:
        await connector.aclose()
