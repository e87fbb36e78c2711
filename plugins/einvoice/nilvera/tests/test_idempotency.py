"""Submission is idempotent by UUID: a lost answer never becomes a second document."""

from __future__ import annotations

import pytest
from kervan.domain import DocumentKind, DocumentStatus
from kervan.errors import RemoteUnavailableError
from kervan_nilvera import Nilvera
from kervan_nilvera.sandbox import NilveraSandbox
from kervan_sdk.sandbox import Fault, SimClock
from nilvera_testdata import make_invoice

SEND = "/einvoice/Send/Xml"
STATUS = "/einvoice/Sale/*/Status"


def lose_answers(sandbox: NilveraSandbox, path: str = SEND, times: int = 1) -> None:
    # "timeout": Nilvera stores the document, the answer never arrives. A tiny delay because
    # the SDK's middleware also applies the fault in-process (it waits for real).
    sandbox.faults.add(Fault("timeout", path=path, method="POST", times=times, delay=0.001))


async def test_a_lost_answer_is_resolved_by_looking_the_uuid_up_not_by_resending(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    invoice = make_invoice(DocumentKind.EFATURA)
    lose_answers(sandbox)
    sub = await connector.submit(invoice, connector.build_xml(invoice))
    assert sub.status is DocumentStatus.QUEUED
    assert sub.already_existed is True
    assert sandbox.document_count() == 1
    assert sandbox.count("POST", SEND) == 1  # sent once, never again
    assert sandbox.count("GET", STATUS) == 1  # the lookup that found it


async def test_a_timed_out_submission_retried_three_times_yields_exactly_one_document(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    invoice = make_invoice(DocumentKind.EFATURA)
    xml = connector.build_xml(invoice)
    lose_answers(sandbox, times=3)
    results = [await connector.submit(invoice, xml) for _ in range(3)]
    assert sandbox.document_count() == 1
    assert sandbox.document_count(invoice.uuid) == 1
    assert all(r.uuid == invoice.uuid for r in results)
    assert all(r.status is DocumentStatus.QUEUED for r in results)
    # every answer lost or refused as a duplicate: each call still reports the one document
    assert all(r.already_existed for r in results)
    assert len(sandbox.faults.fired) >= 3


async def test_a_resend_after_a_crash_is_answered_as_already_existing(
    sandbox: NilveraSandbox, connector: Nilvera, clock: SimClock
) -> None:
    invoice = make_invoice(DocumentKind.EARSIV)
    xml = connector.build_xml(invoice)
    first = await connector.submit(invoice, xml)
    clock.advance(sandbox.accept_after_s)
    again = await connector.submit(invoice, xml)  # the engine did not record the first answer
    assert first.already_existed is False
    assert again.already_existed is True
    assert again.status is DocumentStatus.ACCEPTED
    assert sandbox.document_count() == 1


async def test_a_timeout_before_nilvera_got_it_is_sent_again_once(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    invoice = make_invoice(DocumentKind.EFATURA)
    # latency beyond the read timeout: the request never reached the handler
    sandbox.faults.add(Fault("latency", path=SEND, method="POST", delay=31))
    sub = await connector.submit(invoice, connector.build_xml(invoice))
    assert sub.status is DocumentStatus.QUEUED
    assert sub.already_existed is False
    assert sandbox.document_count() == 1
    assert sandbox.count("GET", STATUS) == 1  # looked up (404) before the second send
    assert sandbox.count("POST", SEND) == 1  # only the second send reached Nilvera


async def test_when_the_lookup_itself_fails_nothing_is_resent(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    invoice = make_invoice(DocumentKind.EFATURA)
    lose_answers(sandbox)
    sandbox.faults.add(Fault("status", path=STATUS, status=503, times=20))
    with pytest.raises(RemoteUnavailableError):
        await connector.submit(invoice, connector.build_xml(invoice))
    assert sandbox.count("POST", SEND) == 1
    sandbox.faults.clear()
    # the engine retries later: the duplicate check answers, still one document
    sub = await connector.submit(invoice, connector.build_xml(invoice))
    assert sub.already_existed is True
    assert sandbox.document_count() == 1


async def test_a_5xx_on_send_is_treated_as_ambiguous_and_looked_up(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    invoice = make_invoice(DocumentKind.EARSIV)
    sandbox.faults.add(Fault("status", path="/earchive/Send/Xml", method="POST", status=502))
    sub = await connector.submit(invoice, connector.build_xml(invoice))
    # the 502 came from the gateway, before Nilvera: the lookup finds nothing, one resend
    assert sub.already_existed is False
    assert sandbox.document_count() == 1
    assert sandbox.count("GET", "/earchive/Invoices/*/Status") == 1
