"""Whether a returned e-Arşiv may be cancelled instead of documented (kervan.returns)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kervan.domain import Address, DocumentKind, DocumentStatus, Order, OrderLine, Party, PartyKind
from kervan.invoicing import invoice_from_order
from kervan.returns import EARSIV_CANCEL_WINDOW_DAYS, earsiv_cancellable
from kervan.roles import Registration
from kervan.tax import decide

# 22:00 UTC on 4 May is 01:00 on 5 May in Türkiye: the invoice's date is 5 May
ISSUED = datetime(2026, 5, 4, 22, 0, tzinfo=UTC)
TR = Address(lines=["Atatürk Cad. 1"], district="Kadıköy", city="İstanbul", postal_code="34710")
SELLER = Party(kind=PartyKind.COMPANY, tax_id="4540536920", company_name="Satıcı A.Ş.", address=TR)
PERSON = Party(kind=PartyKind.PERSON, tax_id="17291716060", first_name="Ali", last_name="Veli")
COMPANY = Party(kind=PartyKind.COMPANY, tax_id="4540536920", company_name="Alıcı Ltd.")


def earsiv(buyer: Party = PERSON, status: DocumentStatus = DocumentStatus.ACCEPTED):
    order = Order(
        id="c:1",
        tenant_id="t",
        connection_id="c",
        source="trendyol",
        order_number="1001",
        package_id="1",
        lines=[
            OrderLine(
                line_id="L1",
                barcode="b1",
                name="Ürün",
                quantity=Decimal(1),
                unit_price=Decimal("100.00"),
                vat_rate=20,
            )
        ],
        buyer=buyer,
        shipping_address=TR,
        invoice_address=TR,
        ordered_at=ISSUED,
    )
    reg = Registration(tax_id=buyer.tax_id, registered=False, checked_at=ISSUED, source="t")
    invoice = invoice_from_order(
        order,
        decide(order, reg),
        seller=SELLER,
        number="KRA2026000000001",
        uuid="12345678-1234-1234-1234-123456789012",
        issued_at=ISSUED,
        sender_alias=None,
        website="https://www.trendyol.com",
    )
    assert invoice.kind is DocumentKind.EARSIV
    return invoice.model_copy(update={"status": status})


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 20), st.integers(0, 23 * 60 + 59))
def test_an_earsiv_may_be_cancelled_until_the_seventh_turkish_day_after_its_issue(days, minute):
    # midnight in Türkiye on the issue date (5 May), plus whole days and minutes
    now = datetime(2026, 5, 4, 21, 0, tzinfo=UTC) + timedelta(days=days, minutes=minute)
    reason = earsiv_cancellable(earsiv(), now)
    assert (reason is None) == (days <= EARSIV_CANCEL_WINDOW_DAYS)
    if reason:
        assert "2026-05-05" in reason and "gider pusulası" in reason


def test_the_window_is_the_tenants_to_set():
    now = ISSUED + timedelta(days=3)
    assert earsiv_cancellable(earsiv(), now, window_days=3) is None
    assert "2 days" in (earsiv_cancellable(earsiv(), now, window_days=2) or "")


def test_a_part_return_never_cancels_the_invoice():
    reason = earsiv_cancellable(earsiv(), ISSUED, returned_whole=False)
    assert reason and "part" in reason and "gider pusulası" in reason


def test_a_taxpayer_buyers_earsiv_needs_its_approval_so_kervan_does_not_cancel_it():
    reason = earsiv_cancellable(earsiv(COMPANY), ISSUED)
    assert reason and "526" in reason and "IADE" in reason


@pytest.mark.parametrize(
    ("status", "why"),
    [
        (DocumentStatus.CANCELLED, "already cancelled"),
        (DocumentStatus.REJECTED, "rejected"),
        (DocumentStatus.DRAFT, "never submitted"),
        (DocumentStatus.VOIDED, "never submitted"),
        (DocumentStatus.ISSUED, "on its way"),
    ],
)
def test_only_a_submitted_live_earsiv_is_cancelled(status, why):
    assert why in (earsiv_cancellable(earsiv(status=status), ISSUED) or "")
    assert earsiv_cancellable(earsiv(status=DocumentStatus.QUEUED), ISSUED) is None


def test_an_efatura_or_a_return_invoice_is_not_cancelled():
    efatura = earsiv().model_copy(update={"profile": "TEMELFATURA", "kind": DocumentKind.EFATURA})
    assert "IADE" in (earsiv_cancellable(efatura, ISSUED) or "")
    iade = earsiv().model_copy(update={"type_code": "IADE"})
    assert "return (IADE)" in (earsiv_cancellable(iade, ISSUED) or "")
