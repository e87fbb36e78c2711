from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from kervan import ConnectorContext
from kervan.domain import DocumentKind, Invoice
from kervan_nebim import Nebim, NebimSettings
from kervan_nebim.sandbox import NebimSandbox
from kervan_sdk.sandbox import ErpProduct, SimClock
from kervan_sdk.testing import make_invoice

BASE = "http://nebim.sandbox:801"


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def sandbox(clock: SimClock) -> NebimSandbox:
    return NebimSandbox(clock=clock)


@pytest.fixture
def context(sandbox: NebimSandbox, clock: SimClock) -> ConnectorContext:
    return ConnectorContext(
        tenant_id="t1",
        connection_id="nebim",
        transport=sandbox.transport(),
        clock=clock.now,
        sleep=clock.sleep,
    )


def stock(sandbox: NebimSandbox, invoice: Invoice) -> Invoice:
    """Add the invoice's items to V3's products (it refuses barcodes it does not know)."""
    known = {b for p in sandbox.ledger.products for b in p.barcodes}
    added = [
        ErpProduct(f"ITEM-{ln.barcode}", ln.name, (ln.barcode,))
        for ln in invoice.lines
        if ln.barcode and ln.barcode not in known
    ]
    sandbox.erp_seed_products(sandbox.ledger.products + added)
    return invoice


@pytest.fixture(name="stock_on")
def stock_on_fixture() -> Callable[..., Invoice]:
    """``stock_on(sandbox, seed=...)``: a ``make_invoice`` whose items that sandbox knows."""

    def made(sandbox: NebimSandbox, **kw: Any) -> Invoice:
        return stock(sandbox, make_invoice(**kw))

    return made


@pytest.fixture
def stocked(sandbox: NebimSandbox) -> Callable[..., Invoice]:
    """``stocked(seed=..., kind=...)``: a ``make_invoice`` whose items V3 knows."""

    def made(**kw: Any) -> Invoice:
        return stock(sandbox, make_invoice(**kw))

    return made


@pytest.fixture
def invoice(sandbox: NebimSandbox) -> Invoice:
    return stock(sandbox, make_invoice(seed=3))


@pytest.fixture
def efatura(sandbox: NebimSandbox) -> Invoice:
    made = make_invoice(seed=4, kind=DocumentKind.EFATURA)
    return stock(sandbox, made)


@pytest.fixture
async def connect(
    sandbox: NebimSandbox, context: ConnectorContext
) -> AsyncIterator[Callable[..., Nebim]]:
    """Build connectors on the sandbox (demo settings, with overrides); closed afterwards."""
    made: list[Nebim] = []

    def build(**overrides: Any) -> Nebim:
        raw = sandbox.demo_settings(BASE) | overrides
        connector = Nebim(NebimSettings.parse(raw), context)
        made.append(connector)
        return connector

    yield build
    for connector in made:
        await connector.aclose()
