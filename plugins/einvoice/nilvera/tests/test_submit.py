"""The document issuer: submit e-Fatura, e-Arşiv, export and e-İrsaliye; statuses over time."""

from __future__ import annotations

import pytest
from kervan.domain import DocumentKind, DocumentStatus
from kervan.errors import InvalidInputError
from kervan_nilvera import Nilvera
from kervan_nilvera.mapping import DESPATCH_GIB_ALIAS, EXPORT_ALIAS
from kervan_nilvera.sandbox import NilveraSandbox
from kervan_sdk.sandbox import Fault, SimClock
from nilvera_testdata import (
    BUYER_PK,
    BUYER_VKN,
    COMPANY_BUYER,
    PERSON_BUYER,
    make_connector,
    make_despatch,
    make_export_invoice,
    make_invoice,
)

SEND = "/einvoice/Send/Xml"


async def test_efatura_goes_to_the_buyers_pk_alias_and_is_accepted_after_gib_answers(
    sandbox: NilveraSandbox, connector: Nilvera, clock: SimClock
) -> None:
    invoice = make_invoice(DocumentKind.EFATURA)
    sub = await connector.submit(invoice, connector.build_xml(invoice))
    assert sub.status is DocumentStatus.QUEUED
    assert sub.uuid == invoice.uuid
    assert sub.already_existed is False
    stored = sandbox.documents[invoice.uuid]
    assert stored.channel == "einvoice"
    assert stored.alias == BUYER_PK
    assert (await connector.status(DocumentKind.EFATURA, invoice.uuid)).status is (
        DocumentStatus.QUEUED
    )
    clock.advance(sandbox.accept_after_s)
    assert (await connector.status(DocumentKind.EFATURA, invoice.uuid)).status is (
        DocumentStatus.ACCEPTED
    )


async def test_gib_can_reject_a_queued_document_later(
    sandbox: NilveraSandbox, connector: Nilvera, clock: SimClock
) -> None:
    invoice = make_invoice(DocumentKind.EFATURA)
    await connector.submit(invoice, connector.build_xml(invoice))
    sandbox.reject_on_delivery(invoice.uuid, "GİB: alıcı posta kutusu kapalı")
    assert (await connector.status(DocumentKind.EFATURA, invoice.uuid)).status is (
        DocumentStatus.QUEUED
    )
    clock.advance(sandbox.accept_after_s + 1)
    final = await connector.status(DocumentKind.EFATURA, invoice.uuid)
    assert final.status is DocumentStatus.REJECTED
    assert final.detail == "GİB: alıcı posta kutusu kapalı"


async def test_earsiv_is_sent_without_alias_to_the_earchive_service(
    sandbox: NilveraSandbox, connector: Nilvera, clock: SimClock
) -> None:
    invoice = make_invoice(DocumentKind.EARSIV)
    sub = await connector.submit(invoice, connector.build_xml(invoice))
    assert sub.status is DocumentStatus.QUEUED
    assert sandbox.documents[invoice.uuid].channel == "earchive"
    assert sandbox.documents[invoice.uuid].alias is None
    assert sandbox.count("POST", "/earchive/Send/Xml") == 1
    clock.advance(sandbox.accept_after_s)
    assert (await connector.status(DocumentKind.EARSIV, invoice.uuid)).status is (
        DocumentStatus.ACCEPTED
    )


async def test_export_efatura_goes_to_the_customs_post_box(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    invoice = make_export_invoice()
    xml = connector.build_xml(invoice)
    sub = await connector.submit(invoice, xml)
    assert sub.status is DocumentStatus.QUEUED
    assert sandbox.documents[invoice.uuid].alias == EXPORT_ALIAS


async def test_despatch_goes_to_gibs_post_box_when_the_receiver_has_no_edespatch_alias(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    advice = make_despatch(PERSON_BUYER)
    sub = await connector.submit(advice, connector.build_xml(advice))
    assert sub.status is DocumentStatus.QUEUED
    assert sandbox.documents[advice.uuid].channel == "edespatch"
    assert sandbox.documents[advice.uuid].alias == DESPATCH_GIB_ALIAS
    status = await connector.status(DocumentKind.DESPATCH, advice.uuid)
    assert status.status is DocumentStatus.QUEUED


async def test_despatch_goes_to_the_receivers_edespatch_alias_when_registered(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    sandbox.add_taxpayer(
        BUYER_VKN, "Alıcı Ltd. Şti.", pk=[BUYER_PK], despatch_pk=["urn:mail:irsaliye@alici.com"]
    )
    advice = make_despatch(COMPANY_BUYER)
    await connector.submit(advice, connector.build_xml(advice))
    assert sandbox.documents[advice.uuid].alias == "urn:mail:irsaliye@alici.com"


async def test_efatura_without_the_buyers_alias_is_not_sent(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    invoice = make_invoice(DocumentKind.EFATURA, receiver_alias=None)
    with pytest.raises(InvalidInputError, match="receiver_alias"):
        await connector.submit(invoice, connector.build_xml(invoice))
    assert sandbox.count("POST", SEND) == 0


async def test_a_sender_alias_the_account_does_not_have_is_not_sent(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    invoice = make_invoice(DocumentKind.EFATURA, sender_alias="urn:mail:gb@someone-else.com")
    with pytest.raises(InvalidInputError, match="GB aliases"):
        await connector.submit(invoice, connector.build_xml(invoice))
    assert sandbox.document_count() == 0


async def test_invalid_ubl_is_rejected_with_nilveras_schema_error(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    invoice = make_invoice(DocumentKind.EFATURA)
    xml = connector.build_xml(invoice).replace(b"<cbc:UBLVersionID>2.1", b"<cbc:UBLVersionID>2.0")
    sub = await connector.submit(invoice, xml)
    assert sub.status is DocumentStatus.REJECTED
    assert "2015" in (sub.detail or "")
    assert sandbox.document_count() == 0
    async with sandbox.client() as http:
        raw = await http.post(
            SEND,
            params={"Alias": BUYER_PK},
            files={"file": ("x.xml", xml, "application/xml")},
            headers={"Authorization": "Bearer nilvera-sandbox-key"},
        )
    assert raw.status_code == 422
    error = raw.json()["Errors"][0]
    assert error["Code"] == 2015
    assert error["Description"] and error["Detail"]


async def test_an_earsiv_to_a_registered_efatura_user_is_refused(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    invoice = make_invoice(DocumentKind.EARSIV, buyer=COMPANY_BUYER)
    sub = await connector.submit(invoice, connector.build_xml(invoice))
    assert sub.status is DocumentStatus.REJECTED
    assert "2025" in (sub.detail or "")
    assert sandbox.document_count() == 0


async def test_an_efatura_to_an_alias_the_buyer_does_not_have_is_refused(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    from kervan.errors import RemoteRejectedError

    invoice = make_invoice(DocumentKind.EFATURA, receiver_alias="urn:mail:wrong@alici.com")
    with pytest.raises(RemoteRejectedError, match="3000"):
        await connector.submit(invoice, connector.build_xml(invoice))
    assert sandbox.document_count() == 0


async def test_an_unknown_series_is_defined_at_nilvera_then_sent_once(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    invoice = make_invoice(DocumentKind.EARSIV, series="WEB")
    sub = await connector.submit(invoice, connector.build_xml(invoice))
    assert sub.status is DocumentStatus.QUEUED
    assert [s["Name"] for s in sandbox.series["earchive"]] == ["KRA", "KRM", "WEB"]
    assert sandbox.count("POST", "/earchive/Send/Xml") == 2  # refused (3009), then accepted
    assert sandbox.document_count() == 1


async def test_status_of_a_document_nilvera_never_saw_is_an_error(connector: Nilvera) -> None:
    from kervan.errors import RemoteRejectedError

    with pytest.raises(RemoteRejectedError):
        await connector.status(DocumentKind.EFATURA, "7f3a4c1e-0000-4000-8000-000000000000")


async def test_submission_works_over_loopback_too(sandbox: NilveraSandbox, clock: SimClock) -> None:
    url = sandbox.serve()
    try:
        settings = {**sandbox.demo_settings(url)}
        from kervan import ConnectorContext
        from kervan_nilvera import NilveraSettings

        conn = Nilvera(
            NilveraSettings.parse(settings),
            ConnectorContext(tenant_id="t1", connection_id="c", clock=clock.now, sleep=clock.sleep),
        )
        invoice = make_invoice(DocumentKind.EARSIV)
        sub = await conn.submit(invoice, conn.build_xml(invoice))
        assert sub.status is DocumentStatus.QUEUED
        assert (await conn.fetch_pdf(DocumentKind.EARSIV, invoice.uuid)).startswith(b"%PDF")
        await conn.aclose()
    finally:
        sandbox.stop()


def test_make_connector_is_wired_to_the_sandbox(sandbox: NilveraSandbox, clock: SimClock) -> None:
    conn = make_connector(sandbox, clock)
    assert conn.client.remote_name == "nilvera"
    assert "nilvera-sandbox-key" not in repr(conn)


async def test_a_return_invoice_reversing_an_efatura_is_submitted_like_any_efatura(
    sandbox: NilveraSandbox, connector: Nilvera, clock: SimClock
) -> None:
    from kervan.domain import BillingReference

    original = make_invoice(DocumentKind.EFATURA)
    await connector.submit(original, connector.build_xml(original))
    clock.advance(sandbox.accept_after_s)
    reversal = make_invoice(
        DocumentKind.EFATURA,
        type_code="IADE",
        billing_reference=BillingReference(
            number=original.number, issue_date=original.issued_at.date()
        ),
    )
    sub = await connector.submit(reversal, connector.build_xml(reversal))
    assert sub.status is DocumentStatus.QUEUED
    assert sandbox.documents[reversal.uuid].envelope.type_code == "IADE"
    assert sandbox.documents[reversal.uuid].alias == BUYER_PK
    # the original stays accepted: GİB keeps it, the return offsets it
    assert (await connector.status(DocumentKind.EFATURA, original.uuid)).status is (
        DocumentStatus.ACCEPTED
    )


async def test_a_series_defined_meanwhile_by_someone_else_is_fine(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    invoice = make_invoice(DocumentKind.EARSIV, series="WEB")
    # Nilvera says 3009 once (the series was missing), then someone defines it first
    sandbox.faults.add(
        Fault(
            "status",
            path="/earchive/Send/Xml",
            status=404,
            body='{"Errors":[{"Code":3009,"Description":"Seri tanımlı değil","Detail":"WEB"}]}',
        )
    )
    sandbox.add_series("earchive", "WEB")
    sub = await connector.submit(invoice, connector.build_xml(invoice))
    assert sub.status is DocumentStatus.QUEUED
    assert sandbox.count("POST", "/earchive/Series") == 1  # answered 409, taken as done
    assert sandbox.document_count() == 1
