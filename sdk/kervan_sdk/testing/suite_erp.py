"""Standard tests for ERP sinks: every posting lands once, a reversal undoes the sale and its
payment, and products come in by their exact stock code (issue 21 item 4).

``ErpSinkContract`` runs for every ERP sink. The operations an ERP may not offer bring their
own suite when the connector overrides them (``factory.OPTIONAL_SUITES``): customers, payment
closings, reversals, returns, product pulls. Those read the ERP's state back through two sandbox
hooks, :meth:`~kervan_sdk.sandbox.Sandbox.erp_postings` (live documents per reference) and
:meth:`~kervan_sdk.sandbox.Sandbox.erp_seed_products` (the ERP's product list). A connector
that does not post expense vouchers must say so with ``UnsupportedOperationError`` every time.
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from kervan import ErpSink, RemoteRef
from kervan.domain import ExpenseVoucher, ExpenseVoucherLine, Invoice, ProductCard
from kervan.errors import RemoteUnavailableError, UnsupportedOperationError

from ..sandbox import ErpProduct, Fault
from .factories import make_invoice
from .harness import Harness, SuiteConfig


def invoice_for(kit: Harness) -> Invoice:
    """The plugin's test invoice (``document_factory`` or ``make_invoice()``)."""
    factory = kit.config.document_factory
    made: Any = factory() if factory is not None else make_invoice()
    doc = made[0] if isinstance(made, tuple) else made
    assert isinstance(doc, Invoice), "an ERP sink's document_factory must give an Invoice"
    return doc


def stocked_invoice(kit: Harness) -> Invoice:
    """The test invoice, with its products seeded in the ERP (an ERP refuses unknown items;
    a sandbox without ``erp_seed_products`` takes any)."""
    invoice = invoice_for(kit)
    products = [
        ErpProduct(
            stock_code=line.sku or f"KIT-{line.barcode}",
            name=line.name,
            barcodes=(line.barcode,),
            price=Decimal("100.00"),
            on_hand={},
        )
        for line in invoice.lines
        if line.barcode
    ]
    with contextlib.suppress(NotImplementedError):  # a toy ERP that takes any item
        kit.sandbox.erp_seed_products(products)
    return invoice


def live_postings(kit: Harness, reference: str, kind: str) -> int | None:
    """How many live ``kind`` documents the sandbox holds for ``reference``; ``None`` when
    it cannot say (a sandbox without ``erp_postings``)."""
    try:
        return kit.sandbox.erp_postings(reference).get(kind, 0)
    except NotImplementedError:
        return None


def same_answer(first: RemoteRef, again: RemoteRef) -> bool:
    return again.already_done or (
        again.remote_id is not None and again.remote_id == first.remote_id
    )


def make_voucher(invoice: Invoice) -> ExpenseVoucher:
    line = invoice.lines[0]
    amount = (line.line_extension + line.vat_amount).quantize(Decimal("0.01"))
    return ExpenseVoucher(
        id=f"gp-{invoice.id}",
        tenant_id=invoice.tenant_id,
        order_id=invoice.order_id,
        number=f"GP{invoice.issued_at.year}000000042",
        issued_at=invoice.issued_at + timedelta(days=9),
        seller=invoice.seller,
        person=invoice.buyer,
        lines=[
            ExpenseVoucherLine(
                name=line.name,
                quantity=line.quantity,
                unit_price=amount,
                amount=amount * line.quantity,
            )
        ],
        total=amount * line.quantity,
    )


async def pulled(connector: Any) -> list[ProductCard]:
    cards = [card async for card in connector.pull_products()]
    assert all(isinstance(card, ProductCard) for card in cards)
    return cards


class ErpSinkContract:
    """What the engine relies on when it posts to the ERP."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_erp_sink_is_idempotent_per_document(self, kit: Harness) -> None:
        invoice = stocked_invoice(kit)
        async with kit.connected() as connector:
            first = await connector.post_invoice(invoice)
            again = await connector.post_invoice(invoice)
        assert isinstance(first, RemoteRef) and isinstance(again, RemoteRef)
        assert again.already_done or again.remote_id == first.remote_id
        assert first.remote_id is not None or again.already_done
        assert live_postings(kit, invoice.uuid, "invoice") in (None, 1)

    @pytest.mark.asyncio
    async def test_erp_sink_is_idempotent_when_the_answer_is_lost(self, kit: Harness) -> None:
        invoice = stocked_invoice(kit)
        kit.sandbox.faults.add(Fault("timeout"))
        async with kit.connected() as connector:
            try:
                first: RemoteRef | None = await connector.post_invoice(invoice)
            except RemoteUnavailableError:
                first = None
            again = await connector.post_invoice(invoice)
            third = await connector.post_invoice(invoice)
        assert third.already_done or third.remote_id == again.remote_id
        if first is not None and first.remote_id:
            assert again.remote_id in (None, first.remote_id)
        assert live_postings(kit, invoice.uuid, "invoice") in (None, 1)

    @pytest.mark.asyncio
    async def test_erp_sink_posts_an_expense_voucher_once_or_says_it_cannot(
        self, kit: Harness
    ) -> None:
        voucher = make_voucher(invoice_for(kit))
        async with kit.connected() as connector:
            try:
                first = await connector.post_expense_voucher(voucher)
            except UnsupportedOperationError as unsupported:
                assert "expense" in str(unsupported).lower() or "voucher" in str(unsupported)
                with pytest.raises(UnsupportedOperationError):
                    await connector.post_expense_voucher(voucher)
                return
            again = await connector.post_expense_voucher(voucher)
        assert same_answer(first, again), "a voucher posted twice must answer the same"
        assert kit.sandbox.erp_postings(voucher.number).get("expense_voucher") == 1


class ErpCustomerContract:
    """``upsert_customer``: one card per party however often asked."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_erp_customer_upsert_is_idempotent(self, kit: Harness) -> None:
        party = invoice_for(kit).buyer
        async with kit.connected() as connector:
            first = await connector.upsert_customer(party)
            again = await connector.upsert_customer(party)
        assert first.remote_id, "upsert_customer must name the card sales are posted to"
        assert again.remote_id == first.remote_id
        assert kit.sandbox.erp_postings(party.tax_id).get("customer", 0) <= 1


class ErpPaymentContract:
    """``close_payment``: a settlement posted twice is one payment."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_erp_payment_closing_posted_twice_is_one_payment(self, kit: Harness) -> None:
        invoice = stocked_invoice(kit)
        amount, paid_on = invoice.totals.payable, invoice.issued_at.date() + timedelta(days=14)
        reference = f"payout-{invoice.id}"
        deductions = {"commission": Decimal("12.50")}
        async with kit.connected() as connector:
            await connector.post_invoice(invoice)
            first = await connector.close_payment(invoice, amount, paid_on, reference, deductions)
            again = await connector.close_payment(invoice, amount, paid_on, reference, deductions)
        assert same_answer(first, again)
        assert kit.sandbox.erp_postings(reference).get("payment") == 1
        assert kit.sandbox.erp_postings(invoice.uuid).get("invoice") == 1

    @pytest.mark.asyncio
    async def test_erp_payment_closing_survives_a_lost_answer(self, kit: Harness) -> None:
        invoice = stocked_invoice(kit)
        reference = f"payout-lost-{invoice.id}"
        async with kit.connected() as connector:
            await connector.post_invoice(invoice)
            kit.sandbox.faults.add(Fault("timeout"))  # the closing's first call, whatever it is
            with contextlib.suppress(RemoteUnavailableError):
                await connector.close_payment(
                    invoice, invoice.totals.payable, date(2026, 3, 1), reference
                )
            await connector.close_payment(
                invoice, invoice.totals.payable, date(2026, 3, 1), reference
            )
        assert not kit.sandbox.faults.pending(), "the injected timeout was never hit"
        assert kit.sandbox.erp_postings(reference).get("payment") == 1


class ErpReversalContract:
    """``reverse``: a cancelled order's invoice and payment are undone, once."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_erp_reversal_undoes_the_invoice_and_its_payment_once(self, kit: Harness) -> None:
        invoice = stocked_invoice(kit)
        reference = f"payout-rev-{invoice.id}"
        async with kit.connected() as connector:
            await connector.post_invoice(invoice)
            if type(connector).close_payment is not ErpSink.close_payment:
                await connector.close_payment(
                    invoice, invoice.totals.payable, date(2026, 3, 1), reference
                )
            first = await connector.reverse(invoice, "sipariş iptal edildi")
            again = await connector.reverse(invoice, "sipariş iptal edildi")
        assert isinstance(first, RemoteRef) and same_answer(first, again)
        assert kit.sandbox.erp_postings(invoice.uuid).get("invoice", 0) == 0
        assert kit.sandbox.erp_postings(reference).get("payment", 0) == 0

    @pytest.mark.asyncio
    async def test_erp_reversal_of_what_was_never_posted_is_already_done(
        self, kit: Harness
    ) -> None:
        invoice = stocked_invoice(kit)
        async with kit.connected() as connector:
            answer = await connector.reverse(invoice, "sipariş iptal edildi")
        assert answer.already_done


class ErpReturnContract:
    """``post_return``: a return posted twice is one return; a second claim is another."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_erp_return_is_posted_once_per_reference(self, kit: Harness) -> None:
        invoice = stocked_invoice(kit)
        line = invoice.lines[0]
        async with kit.connected() as connector:
            await connector.post_invoice(invoice)
            first = await connector.post_return(invoice, {line.id: Decimal(1)}, "claim-1", "01")
            again = await connector.post_return(invoice, {line.id: Decimal(1)}, "claim-1", "01")
        assert same_answer(first, again)
        assert kit.sandbox.erp_postings("claim-1").get("return") == 1


class ErpProductsContract:
    """``pull_products``: exact stock codes, every barcode on one card, passive kept."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_erp_products_come_one_card_per_exact_stock_code(self, kit: Harness) -> None:
        products = [
            ErpProduct(
                stock_code=f"kit-{i:03d}/a",
                name=f"Ürün {i}",
                barcodes=(f"86900000{i:05d}",),
                price=Decimal(f"{100 + i}.90"),
                on_hand={"D1": i},
            )
            for i in range(1, 24)
        ]
        products.append(
            ErpProduct(
                "KIT-TWO",
                "İki barkodlu",
                ("8690000099991", "8690000099992"),
                Decimal("59.90"),
                {"D1": 3},
            )
        )
        products.append(
            ErpProduct(
                "KIT-PASSIVE",
                "Pasif ürün",
                ("8690000099993",),
                Decimal("9.90"),
                {"D1": 0},
                active=False,
            )
        )
        kit.sandbox.erp_seed_products(products)
        async with kit.connected() as connector:
            cards = await pulled(connector)
        by_code = {card.sku: card for card in cards}
        assert len(by_code) == len(cards), "a stock code came more than once"
        assert set(by_code) == {p.stock_code for p in products}, "stock codes are not exact"
        assert sorted(by_code["KIT-TWO"].barcodes) == ["8690000099991", "8690000099992"]
        assert "KIT-PASSIVE" in by_code, "a passive product must still come (status not taken)"
        for product in products:
            card = by_code[product.stock_code]
            price = card.erp_price if card.erp_price is not None else card.sale_price
            assert price == product.price, f"{product.stock_code}: price {price}"
            if card.erp_on_hand is not None:
                assert sum(card.erp_on_hand.values()) == sum((product.on_hand or {}).values())

    @pytest.mark.asyncio
    async def test_erp_products_a_changed_stock_code_is_a_new_record(self, kit: Harness) -> None:
        before = ErpProduct("KIT-OLD", "Kupa", ("8690000077771",), Decimal("20.00"), {"D1": 1})
        kit.sandbox.erp_seed_products([before])
        async with kit.connected() as connector:
            (old,) = await pulled(connector)
            kit.sandbox.erp_seed_products([before._replace(stock_code="KIT-NEW")])
            (new,) = await pulled(connector)
        assert old.sku == "KIT-OLD" and new.sku == "KIT-NEW"
        if old.id or new.id:
            assert old.id != new.id, "a changed stock code must not keep the old card's id"
