"""Cancel (e-Arşiv within the window; e-Fatura is reversed by a return), PDF, HTML, links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from kervan.domain import DocumentKind, DocumentStatus
from kervan.errors import RemoteRejectedError
from kervan_nilvera import Nilvera
from kervan_nilvera.sandbox import NilveraSandbox
from kervan_sdk.sandbox import SimClock
from nilvera_testdata import (
    FOREIGN_BUYER,
    make_connector,
    make_despatch,
    make_export_invoice,
    make_invoice,
)

CANCEL = "/earchive/Invoices/*/Cancel"


async def submitted(connector: Nilvera, kind: DocumentKind = DocumentKind.EARSIV) -> str:
    invoice = make_invoice(kind)
    await connector.submit(invoice, connector.build_xml(invoice))
    return invoice.uuid


async def test_an_earsiv_is_cancelled_within_the_window(
    sandbox: NilveraSandbox, connector: Nilvera, clock: SimClock
) -> None:
    uuid = await submitted(connector)
    clock.advance(3 * 86400)
    sub = await connector.cancel(DocumentKind.EARSIV, uuid, "order cancelled by the buyer")
    assert sub.status is DocumentStatus.CANCELLED
    assert sandbox.documents[uuid].cancelled_at is not None
    assert (await connector.status(DocumentKind.EARSIV, uuid)).status is DocumentStatus.CANCELLED


async def test_cancelling_twice_is_harmless(sandbox: NilveraSandbox, connector: Nilvera) -> None:
    uuid = await submitted(connector)
    await connector.cancel(DocumentKind.EARSIV, uuid, "x")
    again = await connector.cancel(DocumentKind.EARSIV, uuid, "x")
    assert again.status is DocumentStatus.CANCELLED
    assert again.already_existed is True
    assert sandbox.count("PUT", CANCEL) == 1


async def test_past_the_window_cancel_is_refused_before_asking_nilvera(
    sandbox: NilveraSandbox, connector: Nilvera, clock: SimClock
) -> None:
    uuid = await submitted(connector)  # issued on the 15th
    clock.advance(8 * 86400)
    with pytest.raises(RemoteRejectedError, match="7 days"):
        await connector.cancel(DocumentKind.EARSIV, uuid, "too late")
    assert sandbox.count("PUT", CANCEL) == 0
    assert sandbox.documents[uuid].cancelled_at is None


async def test_the_window_is_configurable(sandbox: NilveraSandbox, clock: SimClock) -> None:
    sandbox.cancel_window_days = 8
    conn = make_connector(sandbox, clock, earchive_cancel_window_days=8)
    uuid = await submitted(conn)
    clock.advance(8 * 86400)
    assert (await conn.cancel(DocumentKind.EARSIV, uuid, "ok")).status is DocumentStatus.CANCELLED
    await conn.aclose()


async def test_the_sandbox_enforces_its_own_window_too(
    sandbox: NilveraSandbox, clock: SimClock
) -> None:
    # a connector configured more loosely than the integrator gets Nilvera's refusal
    conn = make_connector(sandbox, clock, earchive_cancel_window_days=30)
    uuid = await submitted(conn)
    clock.advance(timedelta(days=10).total_seconds())
    with pytest.raises(RemoteRejectedError, match="4011"):
        await conn.cancel(DocumentKind.EARSIV, uuid, "late")
    await conn.aclose()


async def test_a_rejected_earsiv_has_nothing_to_cancel(
    sandbox: NilveraSandbox, connector: Nilvera, clock: SimClock
) -> None:
    uuid = await submitted(connector)
    sandbox.reject_on_delivery(uuid)
    clock.advance(sandbox.accept_after_s)
    with pytest.raises(RemoteRejectedError, match="rejected"):
        await connector.cancel(DocumentKind.EARSIV, uuid, "x")


@pytest.mark.parametrize("kind", [DocumentKind.EFATURA, DocumentKind.DESPATCH])
async def test_a_sent_efatura_is_reversed_by_a_return_invoice_not_cancelled(
    sandbox: NilveraSandbox, connector: Nilvera, kind: DocumentKind
) -> None:
    with pytest.raises(RemoteRejectedError, match="return \\(IADE\\) invoice"):
        await connector.cancel(kind, "7f3a4c1e-0000-4000-8000-000000000000", "cancelled")
    assert sandbox.count("PUT") == 0


async def test_an_ihracat_export_is_reversed_not_cancelled(
    sandbox: NilveraSandbox, clock: SimClock
) -> None:
    conn = make_connector(sandbox, clock)
    invoice = make_export_invoice()
    await conn.submit(invoice, conn.build_xml(invoice))
    fresh = make_connector(sandbox, clock)  # a rebuilt connector finds where the UUID lives
    with pytest.raises(RemoteRejectedError, match="return \\(IADE\\) invoice"):
        await fresh.cancel(DocumentKind.EXPORT, invoice.uuid, "cancelled")
    assert await fresh.document_url(DocumentKind.EXPORT, invoice.uuid) is None
    assert sandbox.count("PUT") == 0
    await conn.aclose()
    await fresh.aclose()


async def test_a_micro_export_is_an_earsiv_cancellable_and_linkable(
    sandbox: NilveraSandbox, clock: SimClock
) -> None:
    conn = make_connector(sandbox, clock)
    invoice = make_invoice(
        DocumentKind.EXPORT, series="KRE", buyer=FOREIGN_BUYER, receiver_alias=None
    )
    assert invoice.profile == "EARSIVFATURA"
    sub = await conn.submit(invoice, conn.build_xml(invoice))
    assert sub.status is DocumentStatus.QUEUED
    assert sandbox.documents[invoice.uuid].channel == "earchive"
    fresh = make_connector(sandbox, clock)
    url = await fresh.document_url(DocumentKind.EXPORT, invoice.uuid)
    assert url is not None and invoice.uuid in url
    assert (await fresh.fetch_pdf(DocumentKind.EXPORT, invoice.uuid)).startswith(b"%PDF")
    cancelled = await fresh.cancel(DocumentKind.EXPORT, invoice.uuid, "order cancelled")
    assert cancelled.status is DocumentStatus.CANCELLED
    await conn.aclose()
    await fresh.aclose()


async def test_pdf_and_html_come_from_nilvera(connector: Nilvera) -> None:
    uuid = await submitted(connector, DocumentKind.EFATURA)
    pdf = await connector.fetch_pdf(DocumentKind.EFATURA, uuid)
    assert pdf.startswith(b"%PDF")
    html = await connector.fetch_html(DocumentKind.EFATURA, uuid)
    assert "<html" in html.lower()
    earsiv = await submitted(connector)
    assert (await connector.fetch_pdf(DocumentKind.EARSIV, earsiv)).startswith(b"%PDF")


async def test_despatch_pdf_comes_from_the_edespatch_service(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    advice = make_despatch()
    await connector.submit(advice, connector.build_xml(advice))
    assert (await connector.fetch_pdf(DocumentKind.DESPATCH, advice.uuid)).startswith(b"%PDF")
    assert sandbox.count("GET", "/edespatch/Sale/*/pdf") == 1


async def test_document_url_is_a_public_earsiv_pdf_link_that_works(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    uuid = await submitted(connector)
    url = await connector.document_url(DocumentKind.EARSIV, uuid)
    assert url == f"https://apitest.nilvera.com/public/earchive/{uuid}.pdf"
    assert await connector.document_url(DocumentKind.EFATURA, uuid) is None
    async with sandbox.client() as http:  # no API key: the marketplace can fetch it
        response = await http.get(f"/public/earchive/{uuid}.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


async def test_without_a_link_template_there_is_no_url(
    sandbox: NilveraSandbox, clock: SimClock
) -> None:
    conn = make_connector(sandbox, clock, public_pdf_url_template=None)
    assert await conn.document_url(DocumentKind.EARSIV, "u") is None
    await conn.aclose()


def test_render_pdf_is_local_for_documents_nilvera_has_not_seen(connector: Nilvera) -> None:
    assert connector.render_pdf(make_invoice(DocumentKind.EARSIV)).startswith(b"%PDF")
    assert connector.render_pdf(make_despatch()).startswith(b"%PDF")


def test_render_pdf_prints_a_gider_pusulasi_the_engine_built(connector: Nilvera) -> None:
    """The engine renders its gider pusulası through DocumentIssuer.render_pdf."""
    from datetime import UTC, datetime
    from decimal import Decimal

    import pypdfium2
    from kervan.domain import Order, OrderLine
    from kervan.vouchers import expense_voucher
    from nilvera_testdata import ADDRESS, PERSON_BUYER, SELLER

    order = Order(
        id="o1",
        tenant_id="t1",
        connection_id="ty",
        source="trendyol",
        order_number="555",
        package_id="1",
        lines=[
            OrderLine(
                line_id="L1",
                barcode="b1",
                name="Kupa",
                quantity=Decimal(1),
                unit_price=Decimal("120.00"),
                vat_rate=20,
            )
        ],
        buyer=PERSON_BUYER,
        shipping_address=ADDRESS,
        invoice_address=ADDRESS,
        ordered_at=datetime(2026, 1, 10, tzinfo=UTC),
    )
    voucher = expense_voucher(
        order,
        {"L1": Decimal(1)},
        number="KRG2026000000001",
        issued_at=datetime(2026, 1, 20, tzinfo=UTC),
        seller=SELLER,
    )
    pdf = pypdfium2.PdfDocument(connector.render_pdf(voucher))
    text = " ".join(pdf[0].get_textpage().get_text_range().split())
    assert "GİDER PUSULASI" in text and "KRG2026000000001" in text
    assert "KDV (%20) 20,00 TL" in text and "Toplam Tutar 120,00 TL" in text
