"""Conformance: a sent document's status, details, GİB and customs checks, and GİB's later
rejections, in the shapes of Nilvera's e-Invoice / e-Archive OpenAPI (raw HTTP only)."""

from __future__ import annotations

import uuid as uuidlib

import httpx
import kervan_ubltr
import pytest
from conformance_support import error_codes, raw_client, send_xml
from kervan.domain import DocumentKind
from kervan_nilvera.sandbox import NilveraSandbox
from kervan_sdk.sandbox import SimClock
from nilvera_testdata import (
    BUYER_PK,
    BUYER_VKN,
    PERSON_BUYER,
    make_export_invoice,
    make_invoice,
)

ANSWER_CODES = {
    "unknown",
    "waitingForApproval",
    "approved",
    "rejected",
    "documentAnsweredAutomatically",
}
STATUS_CODES = {"unknown", "waiting", "succeed", "error"}
EXPORT_ALIAS = "urn:mail:ihracatpk@gtb.gov.tr"


async def _efatura(http: httpx.AsyncClient, **overrides: object) -> str:
    invoice = make_invoice(DocumentKind.EFATURA, **overrides)
    return await send_xml(http, "einvoice", kervan_ubltr.build_valid(invoice), BUYER_PK)


async def test_einvoice_status_has_the_openapi_status_response_shape(
    http: httpx.AsyncClient, sandbox: NilveraSandbox, clock: SimClock
) -> None:
    uuid = await _efatura(http)
    waiting = (await http.get(f"/einvoice/Sale/{uuid}/Status")).json()
    # StatusResponse: InvoiceProfile, IssueDate, Answer, InvoiceStatus, EnvelopeInfo
    assert set(waiting) == {
        "InvoiceProfile",
        "IssueDate",
        "Answer",
        "InvoiceStatus",
        "EnvelopeInfo",
    }
    assert waiting["InvoiceProfile"] == "TEMELFATURA"
    assert waiting["InvoiceStatus"]["Code"] == "waiting"
    assert set(waiting["InvoiceStatus"]) == {"Code", "Description", "DetailDescription"}
    assert set(waiting["Answer"]) == {"AnswerCode", "AnswerNote", "Description"}
    assert waiting["Answer"]["AnswerCode"] in ANSWER_CODES
    assert set(waiting["EnvelopeInfo"]) == {"UUID", "GIBCode", "GIBDescription", "CreatedDate"}
    assert isinstance(waiting["EnvelopeInfo"]["GIBCode"], int)
    clock.advance(sandbox.accept_after_s)
    done = (await http.get(f"/einvoice/Sale/{uuid}/Status")).json()
    assert done["InvoiceStatus"]["Code"] == "succeed"
    # GİB's envelope code 1300: BASARIYLA TAMAMLANDI
    assert done["EnvelopeInfo"]["GIBCode"] == 1300
    # a TEMELFATURA is never answered by its receiver
    assert done["Answer"]["AnswerCode"] == "unknown"


async def test_earchive_status_has_report_and_cancel_status(
    http: httpx.AsyncClient, sandbox: NilveraSandbox, clock: SimClock
) -> None:
    invoice = make_invoice(DocumentKind.EARSIV, buyer=PERSON_BUYER)
    uuid = await send_xml(http, "earchive", kervan_ubltr.build_valid(invoice), None)
    body = (await http.get(f"/earchive/Invoices/{uuid}/Status")).json()
    assert body["StatusCode"] in STATUS_CODES
    assert body["ReportStatus"] in {"NotReported", "Reported"}
    assert body["CancelStatus"] is False


async def test_sale_details_answer_the_invoices_figures(
    http: httpx.AsyncClient, sandbox: NilveraSandbox, clock: SimClock
) -> None:
    invoice = make_invoice(DocumentKind.EFATURA)
    uuid = await send_xml(http, "einvoice", kervan_ubltr.build_valid(invoice), BUYER_PK)
    answer = await http.get(f"/einvoice/Sale/{uuid}/Details")
    assert answer.status_code == 200
    body = answer.json()
    assert body["UUID"] == uuid
    assert body["InvoiceNumber"] == invoice.number
    assert body["InvoiceProfile"] == "TEMELFATURA"
    assert body["InvoiceType"] == "SATIS"
    assert body["CurrencyCode"] == "TRY"
    assert body["NumberOfItems"] == 1
    assert body["InvoiceAmount"] == pytest.approx(120.0)
    assert body["TaxAmount"] == pytest.approx(20.0)
    assert body["EnvelopeAlias"] == BUYER_PK
    assert body["AnswerCode"] in ANSWER_CODES
    assert {
        "UBLVersionID",
        "CustomizationID",
        "SendDate",
        "IssueDate",
        "EnvelopeUUID",
        "AdditionalDocumentCount",
    } <= set(body)


async def test_earchive_details_answer_on_the_invoices_path(http: httpx.AsyncClient) -> None:
    invoice = make_invoice(DocumentKind.EARSIV, buyer=PERSON_BUYER)
    uuid = await send_xml(http, "earchive", kervan_ubltr.build_valid(invoice), None)
    body = (await http.get(f"/earchive/invoices/{uuid}/details")).json()
    assert body["InvoiceNumber"] == invoice.number
    assert body["InvoiceProfile"] == "EARSIVFATURA"
    assert "ReportUUID" in body


async def test_check_from_gib_and_envelope_info_name_the_envelope(
    http: httpx.AsyncClient, sandbox: NilveraSandbox, clock: SimClock
) -> None:
    uuid = await _efatura(http)
    clock.advance(sandbox.accept_after_s)
    gib = (await http.get(f"/einvoice/Sale/{uuid}/CheckFromGib")).json()
    assert set(gib) == {
        "EnvelopeUUID",
        "EnvelopeGibCode",
        "EnvelopeDescription",
        "AnswerEnvelopeUUID",
        "AnswerEnvelopeGibCode",
        "AnswerEnvelopeDescription",
    }
    assert gib["EnvelopeGibCode"] == "1300"
    envelope = (await http.get(f"/einvoice/Sale/{uuid}/EnvelopeInfo")).json()
    assert envelope == {
        "GIBCode": "1300",
        "GIBDescription": gib["EnvelopeDescription"],
        "EnvelopeUUID": gib["EnvelopeUUID"],
    }


async def test_check_from_gtb_follows_an_export_through_customs(
    http: httpx.AsyncClient, sandbox: NilveraSandbox, clock: SimClock
) -> None:
    # GTB: the ministry of trade (customs). ExportResponse: GTB_REFNO, GTB_GCB_TESCILNO,
    # GTB_FIILI_IHRACAT_TARIHI, GTB_CEVAP_NOTU.
    invoice = make_export_invoice()
    uuid = await send_xml(http, "einvoice", kervan_ubltr.build_valid(invoice), EXPORT_ALIAS)
    clock.advance(sandbox.accept_after_s)
    pending = (await http.get(f"/einvoice/Sale/{uuid}/CheckFromGtb")).json()
    assert set(pending) == {
        "UUID",
        "GTB_REFNO",
        "GTB_GCB_TESCILNO",
        "GTB_FIILI_IHRACAT_TARIHI",
        "GTB_CEVAP_NOTU",
    }
    assert pending["GTB_REFNO"] and pending["GTB_GCB_TESCILNO"] is None
    sandbox.register_export(uuid, "26340100EX000123", "2026-01-20")
    closed = (await http.get(f"/einvoice/Sale/{uuid}/checkfromgtb")).json()
    assert closed["GTB_GCB_TESCILNO"] == "26340100EX000123"
    assert closed["GTB_FIILI_IHRACAT_TARIHI"] == "2026-01-20"


async def test_check_from_gtb_of_a_domestic_invoice_has_no_customs_record(
    http: httpx.AsyncClient,
) -> None:
    uuid = await _efatura(http)
    body = (await http.get(f"/einvoice/Sale/{uuid}/CheckFromGtb")).json()
    assert body["UUID"] == uuid
    assert body["GTB_REFNO"] is None and body["GTB_GCB_TESCILNO"] is None


async def test_details_of_an_unknown_document_is_nilveras_not_found(
    http: httpx.AsyncClient,
) -> None:
    for path in (
        "/einvoice/Sale/{}/Details",
        "/earchive/Invoices/{}/Details",
        "/einvoice/Sale/{}/CheckFromGtb",
        "/einvoice/Purchase/{}/Status",
    ):
        answer = await http.get(path.format(uuidlib.uuid4()))
        assert answer.status_code == 404, path
        assert error_codes(answer) == [3003]


# -- GİB rejects some accepted documents of its own accord ------------------------------------


async def test_gib_rejects_a_seeded_share_of_documents_on_the_sandbox_clock() -> None:
    clock = SimClock()
    box = NilveraSandbox(clock=clock, seed=7, gib_rejection_share=0.5)
    box.add_taxpayer(BUYER_VKN, "Alıcı Ltd. Şti.", pk=[BUYER_PK])
    async with raw_client(box) as http:
        uuids = [await _efatura(http) for _ in range(16)]
        # nobody asked for a rejection: while GİB works, every one waits
        first = [(await http.get(f"/einvoice/Sale/{u}/Status")).json() for u in uuids]
        assert {b["InvoiceStatus"]["Code"] for b in first} == {"waiting"}
        clock.advance(box.accept_after_s)
        after = [(await http.get(f"/einvoice/Sale/{u}/Status")).json() for u in uuids]
    codes = [b["InvoiceStatus"]["Code"] for b in after]
    assert "error" in codes and "succeed" in codes
    for body in after:
        if body["InvoiceStatus"]["Code"] == "error":
            # GİB's delivery failure codes (1210/1215/1230), its reason in DetailDescription
            assert body["EnvelopeInfo"]["GIBCode"] in {1210, 1215, 1230}
            assert body["InvoiceStatus"]["DetailDescription"]
