"""GİB's full rules run once per invoice content: the draft is checked and records its
content's digest; numbering keeps it, so the invoice that leaves reaches the issuer marked as
checked; an invoice built again (after a rejection) is checked again and marked anew."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from kervan.domain import Invoice

from .fakes import FakeEInvoice, company, order
from .test_lifecycle_fakes import record, run_all


@dataclass(frozen=True)
class Built:
    number: str | None
    uuid: str
    marked: bool  # carries a mark
    mark_holds: bool  # ... equal to its content's digest


@pytest.fixture
def built(monkeypatch) -> list[Built]:
    """What the issuer was asked to build, in order."""
    seen: list[Built] = []
    real = FakeEInvoice.build_xml

    def build_xml(self, document):
        if isinstance(document, Invoice):
            mark = document.checked_digest
            seen.append(
                Built(
                    document.number,
                    document.uuid,
                    mark is not None,
                    mark == document.content_digest(),
                )
            )
        return real(self, document)

    monkeypatch.setattr(FakeEInvoice, "build_xml", build_xml)
    return seen


async def test_an_e_arsiv_leaves_marked_as_checked_by_its_draft(engine, world, store, built):
    world.packages["c1"] = order("c1")
    await run_all(engine)
    assert world.calls["submit"] == 1
    draft, leaving = built
    assert not draft.marked  # the draft is checked in full
    assert leaving.marked and leaving.mark_holds  # the mark survived numbering and the store
    assert leaving.uuid == draft.uuid and leaving.number


async def test_an_e_fatura_leaves_after_pickup_marked_as_checked(engine, world, store, built):
    world.registered["3297552117"] = "urn:mail:defaultpk@ornek.com.tr"
    world.packages["c2"] = order("c2", company())
    await run_all(engine)
    assert [b.marked for b in built] == [False]  # the draft waits for the carrier
    world.picked_up.update(world.shipments)
    await engine.track("t1", "cargo")
    await engine.advance("t1", "ty:c2")
    assert world.calls["submit"] == 1
    assert built[-1].marked and built[-1].mark_holds and built[-1].number


async def test_an_invoice_built_again_after_a_rejection_is_checked_again(
    engine, world, store, built
):
    world.reject_submit = "Alıcı VKN hatalı"
    world.packages["c3"] = order("c3")
    await run_all(engine)
    world.reject_submit = None  # a person fixed the cause and retries the order
    await engine.retry("t1", "ty:c3", "user:ayse")
    for oid in engine.due_orders("t1"):
        await engine.advance("t1", oid)
    assert record(store, "ty:c3").flags.invoice_submitted
    first_draft, rejected, renewed_check, renewed = built
    assert not first_draft.marked and rejected.mark_holds
    # the renewal is built from the order again, under the same number: checked in full
    assert not renewed_check.marked and renewed_check.number == rejected.number
    assert renewed_check.uuid != rejected.uuid
    assert renewed.uuid == renewed_check.uuid and renewed.mark_holds
