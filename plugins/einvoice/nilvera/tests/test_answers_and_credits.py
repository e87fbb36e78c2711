"""The connector reads a buyer's TICARIFATURA answer and turns "no credits" into a clear error."""

from __future__ import annotations

import pytest
from kervan.domain import DocumentKind, DocumentStatus
from kervan.errors import RemoteRejectedError
from kervan_nilvera import Nilvera, mapping
from kervan_nilvera.sandbox import NilveraSandbox
from kervan_sdk.sandbox import SimClock
from nilvera_testdata import BUYER_VKN, make_invoice


@pytest.mark.parametrize(("said", "answer"), [("KABUL", "KABUL"), ("RED", "RED")])
async def test_the_buyers_answer_to_a_ticarifatura_reaches_the_engine(
    sandbox: NilveraSandbox, connector: Nilvera, clock: SimClock, said: str, answer: str
) -> None:
    sandbox.receiver_answers[BUYER_VKN] = said
    invoice = make_invoice(DocumentKind.EFATURA, profile="TICARIFATURA")
    await connector.submit(invoice, connector.build_xml(invoice))
    clock.advance(sandbox.accept_after_s)
    delivered = await connector.status(DocumentKind.EFATURA, invoice.uuid)
    assert delivered.status is DocumentStatus.ACCEPTED and delivered.answer is None
    clock.advance(sandbox.answer_after_s)
    answered = await connector.status(DocumentKind.EFATURA, invoice.uuid)
    assert answered.answer == answer


async def test_a_temelfatura_has_no_answer(
    sandbox: NilveraSandbox, connector: Nilvera, clock: SimClock
) -> None:
    invoice = make_invoice(DocumentKind.EFATURA)
    await connector.submit(invoice, connector.build_xml(invoice))
    clock.advance(sandbox.accept_after_s + sandbox.answer_after_s)
    assert (await connector.status(DocumentKind.EFATURA, invoice.uuid)).answer is None


def test_answer_codes_of_the_openapi_and_nothing_else_are_answers() -> None:
    def body(code: str) -> dict[str, object]:
        return {"Answer": {"AnswerCode": code, "AnswerNote": None, "Description": None}}

    assert mapping.parse_answer(body("approved")) == "KABUL"
    assert mapping.parse_answer(body("rejected")) == "RED"
    for code in ("unknown", "waitingForApproval", "documentAnsweredAutomatically"):
        assert mapping.parse_answer(body(code)) is None
    assert mapping.parse_answer({"Answer": None}) is None


async def test_no_credits_is_an_actionable_refusal_not_a_rejected_document(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    sandbox.set_credits(0)
    invoice = make_invoice(DocumentKind.EFATURA)
    with pytest.raises(RemoteRejectedError) as caught:
        await connector.submit(invoice, connector.build_xml(invoice))
    error = caught.value
    assert not error.retryable  # the same send fails until a person buys credits
    assert "credits" in error.message and "2000" in error.message
    assert error.detail["action"] == "top_up_credits"
    assert [e["code"] for e in error.detail["nilvera_errors"]] == [2000]
    # one attempt, no retry loop inside the connector
    assert sandbox.count("POST", "/einvoice/Send/Xml") == 1
    assert sandbox.document_count(invoice.uuid) == 0
    # once credits are bought, the same document goes
    sandbox.set_credits(10)
    sub = await connector.submit(invoice, connector.build_xml(invoice))
    assert sub.status is DocumentStatus.QUEUED
