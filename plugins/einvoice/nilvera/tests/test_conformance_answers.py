"""Conformance: TICARIFATURA answers (KABUL/RED), both ways, as Nilvera's e-Invoice OpenAPI has
them: the receiver's answer in ``Answer.AnswerCode`` of a sent invoice's status, and
``POST /einvoice/Purchase/SendAnswer {UUID, AnswerCode, RejectNote}`` for a received one.
Raw HTTP only."""

from __future__ import annotations

import uuid as uuidlib
from datetime import UTC, datetime, timedelta

import httpx
import kervan_ubltr
import pytest
from conformance_support import error_codes, raw_client, send_xml
from kervan.domain import DocumentKind
from kervan_nilvera.sandbox import NilveraSandbox
from kervan_sdk.sandbox import SimClock
from nilvera_testdata import BUYER_PK, BUYER_VKN, COMPANY_BUYER, SELLER, make_invoice

SEND_ANSWER = "/einvoice/Purchase/SendAnswer"


async def _commercial(http: httpx.AsyncClient) -> str:
    invoice = make_invoice(DocumentKind.EFATURA, profile="TICARIFATURA")
    return await send_xml(http, "einvoice", kervan_ubltr.build_valid(invoice), BUYER_PK)


async def _answer(http: httpx.AsyncClient, uuid: str) -> dict[str, object]:
    body = (await http.get(f"/einvoice/Sale/{uuid}/Status")).json()
    answer = body["Answer"]
    assert isinstance(answer, dict)
    return answer


# -- our TICARIFATURA: the buyer answers on the sandbox clock ----------------------------------


async def test_the_buyers_kabul_arrives_after_delivery(
    http: httpx.AsyncClient, sandbox: NilveraSandbox, clock: SimClock
) -> None:
    uuid = await _commercial(http)
    assert (await _answer(http, uuid))["AnswerCode"] == "waitingForApproval"
    clock.advance(sandbox.accept_after_s)
    # delivered, the buyer has not answered yet
    assert (await _answer(http, uuid))["AnswerCode"] == "waitingForApproval"
    clock.advance(sandbox.answer_after_s)
    assert (await _answer(http, uuid))["AnswerCode"] == "approved"
    details = (await http.get(f"/einvoice/Sale/{uuid}/Details")).json()
    assert details["AnswerCode"] == "approved"
    gib = (await http.get(f"/einvoice/Sale/{uuid}/CheckFromGib")).json()
    assert gib["AnswerEnvelopeUUID"] and gib["AnswerEnvelopeGibCode"]


async def test_a_buyers_red_is_rejected_with_a_note(
    http: httpx.AsyncClient, sandbox: NilveraSandbox, clock: SimClock
) -> None:
    sandbox.receiver_answers[BUYER_VKN] = "RED"
    uuid = await _commercial(http)
    clock.advance(sandbox.accept_after_s + sandbox.answer_after_s)
    answer = await _answer(http, uuid)
    assert answer["AnswerCode"] == "rejected"
    assert answer["AnswerNote"]


async def test_a_buyer_who_never_answers_leaves_it_waiting() -> None:
    clock = SimClock()
    box = NilveraSandbox(clock=clock, default_receiver_answer=None)
    box.add_taxpayer(BUYER_VKN, "Alıcı Ltd. Şti.", pk=[BUYER_PK])
    async with raw_client(box) as http:
        uuid = await _commercial(http)
        clock.advance(timedelta(days=30).total_seconds())
        assert (await _answer(http, uuid))["AnswerCode"] == "waitingForApproval"


# -- a TICARIFATURA we received: we answer it ---------------------------------------------------


@pytest.fixture
def received(sandbox: NilveraSandbox, clock: SimClock) -> tuple[str, str]:
    """(a received TICARIFATURA's UUID, a received TEMELFATURA's UUID)."""
    uuids = []
    for profile in ("TICARIFATURA", "TEMELFATURA"):
        sale = make_invoice(
            issued_at=datetime(2026, 1, 10, 9, 0, tzinfo=UTC),
            series="ALC",
            seller=COMPANY_BUYER,
            buyer=SELLER,
            profile=profile,
        )
        uuids.append(sandbox.receive_incoming(kervan_ubltr.build_invoice(sale)))
    return uuids[0], uuids[1]


async def test_answering_a_received_commercial_invoice(
    http: httpx.AsyncClient, received: tuple[str, str]
) -> None:
    commercial, _ = received
    status = (await http.get(f"/einvoice/Purchase/{commercial}/Status")).json()
    assert status["Answer"]["AnswerCode"] == "waitingForApproval"
    listed = await http.get("/einvoice/Purchase", params={"AnswerCode": "waitingForApproval"})
    assert [e["UUID"] for e in listed.json()["Content"]] == [commercial]
    sent = await http.post(
        SEND_ANSWER, json={"UUID": commercial, "AnswerCode": "rejected", "RejectNote": "eksik"}
    )
    assert sent.status_code == 200
    status = (await http.get(f"/einvoice/Purchase/{commercial}/Status")).json()
    assert status["Answer"]["AnswerCode"] == "rejected"
    assert status["Answer"]["AnswerNote"] == "eksik"
    entry = (await http.get("/einvoice/Purchase")).json()["Content"]
    assert {e["UUID"]: e["AnswerCode"] for e in entry}[commercial] == "rejected"
    details = (await http.get(f"/einvoice/Purchase/{commercial}/Details")).json()
    assert details["AnswerCode"] == "rejected"


async def test_an_invoice_is_answered_once(
    http: httpx.AsyncClient, received: tuple[str, str]
) -> None:
    commercial, _ = received
    first = await http.post(SEND_ANSWER, json={"UUID": commercial, "AnswerCode": "approved"})
    assert first.status_code == 200
    again = await http.post(SEND_ANSWER, json={"UUID": commercial, "AnswerCode": "rejected"})
    assert again.status_code == 409
    error_codes(again)


async def test_only_a_commercial_invoice_is_answered(
    http: httpx.AsyncClient, received: tuple[str, str]
) -> None:
    _, basic = received
    answer = await http.post(SEND_ANSWER, json={"UUID": basic, "AnswerCode": "approved"})
    assert answer.status_code == 422
    error_codes(answer)
    status = (await http.get(f"/einvoice/Purchase/{basic}/Status")).json()
    assert status["Answer"]["AnswerCode"] == "unknown"


async def test_the_answer_window_is_eight_days(
    http: httpx.AsyncClient, received: tuple[str, str], clock: SimClock
) -> None:
    commercial, _ = received
    clock.advance(timedelta(days=8, minutes=1).total_seconds())
    late = await http.post(SEND_ANSWER, json={"UUID": commercial, "AnswerCode": "approved"})
    assert late.status_code == 422
    error_codes(late)


async def test_send_answer_refuses_what_the_openapi_does_not_allow(
    http: httpx.AsyncClient, received: tuple[str, str]
) -> None:
    commercial, _ = received
    # AnswerCode is an enum; KABUL is our word, not Nilvera's
    bad = await http.post(SEND_ANSWER, json={"UUID": commercial, "AnswerCode": "KABUL"})
    assert bad.status_code == 400 and error_codes(bad) == [400]
    unknown = await http.post(
        SEND_ANSWER, json={"UUID": str(uuidlib.uuid4()), "AnswerCode": "approved"}
    )
    assert unknown.status_code == 404 and error_codes(unknown) == [3003]
    # paths are case-insensitive here too
    lower = await http.post(
        "/einvoice/purchase/sendanswer", json={"UUID": commercial, "AnswerCode": "approved"}
    )
    assert lower.status_code == 200


async def test_the_purchase_list_filters_by_the_documented_date_types(
    http: httpx.AsyncClient, received: tuple[str, str]
) -> None:
    # DateFilterType is IssueDate or EnvelopeDate (the OpenAPI's enum); Odoo sends CreatedDate
    envelope = await http.get(
        "/einvoice/Purchase",
        params={"DateFilterType": "EnvelopeDate", "StartDate": "2026-01-01T00:00:00"},
    )
    assert envelope.status_code == 200 and envelope.json()["TotalCount"] == 2
    entry = envelope.json()["Content"][0]
    assert {"EnvelopeUUID", "EnvelopeDate", "AnswerCode", "PayableAmount", "SenderName"} <= set(
        entry
    )
    odoo = await http.get("/einvoice/Purchase", params={"DateFilterType": "CreatedDate"})
    assert odoo.status_code == 200 and odoo.json()["TotalCount"] == 2
    invented = await http.get("/einvoice/Purchase", params={"DateFilterType": "SendDate"})
    assert invented.status_code == 400 and error_codes(invented) == [400]
