"""Conformance: the account's credits (``GET /general/Credits``, ``CreditResponse`` of Nilvera's
General OpenAPI) and the refusal when they run out (422, code 2000; 2075 for an expired package;
Odoo ``l10n_tr_nilvera/const.py``). Raw HTTP only."""

from __future__ import annotations

from datetime import timedelta

import httpx
import kervan_ubltr
from conformance_support import error_codes, send_xml
from kervan.domain import DocumentKind
from kervan_nilvera.sandbox import NilveraSandbox
from kervan_sdk.sandbox import SimClock
from nilvera_testdata import BUYER_PK, PERSON_BUYER, make_invoice


async def _credits(http: httpx.AsyncClient) -> dict[str, object]:
    answer = await http.get("/general/Credits")
    assert answer.status_code == 200
    body = answer.json()
    assert isinstance(body, list) and len(body) == 1
    entry = body[0]
    assert {
        "Name",
        "ModuleID",
        "TaxNumber",
        "TotalCredit",
        "UsedCredit",
        "RemainingCredit",
        "UsePercentage",
        "DurationType",
        "EndDate",
        "IsControl",
    } <= set(entry)
    assert entry["DurationType"] in {"Indefinite", "Year", "Month"}
    return dict(entry)


async def _upload(http: httpx.AsyncClient) -> httpx.Response:
    invoice = make_invoice(DocumentKind.EFATURA)
    return await http.post(
        "/einvoice/Send/Xml",
        params={"Alias": BUYER_PK},
        files={"file": ("i.xml", kervan_ubltr.build_valid(invoice), "application/xml")},
    )


async def test_each_sent_document_spends_a_credit(http: httpx.AsyncClient) -> None:
    before = await _credits(http)
    assert before["RemainingCredit"] == before["TotalCredit"] - before["UsedCredit"]  # type: ignore[operator]
    invoice = make_invoice(DocumentKind.EARSIV, buyer=PERSON_BUYER)
    await send_xml(http, "earchive", kervan_ubltr.build_valid(invoice), None)
    assert (await _upload(http)).status_code == 200
    after = await _credits(http)
    assert after["UsedCredit"] == before["UsedCredit"] + 2  # type: ignore[operator]
    assert after["RemainingCredit"] == before["RemainingCredit"] - 2  # type: ignore[operator]


async def test_a_refused_document_spends_nothing(http: httpx.AsyncClient) -> None:
    before = await _credits(http)
    bad = await http.post(
        "/einvoice/Send/Xml",
        params={"Alias": BUYER_PK},
        files={"file": ("i.xml", b"<Invoice/>", "application/xml")},
    )
    assert bad.status_code in (400, 404, 409, 422)
    assert (await _credits(http))["UsedCredit"] == before["UsedCredit"]


async def test_no_credits_left_refuses_the_send_with_2000(
    http: httpx.AsyncClient, sandbox: NilveraSandbox
) -> None:
    sandbox.set_credits(1)
    assert (await _upload(http)).status_code == 200
    assert (await _credits(http))["RemainingCredit"] == 0
    refused = await _upload(http)
    assert refused.status_code == 422
    assert error_codes(refused) == [2000]
    # nothing was stored: the document can be sent again once credits are bought
    assert sandbox.document_count() == 1
    sandbox.set_credits(5)
    assert (await _upload(http)).status_code == 200


async def test_an_expired_package_refuses_the_send_with_2075(
    http: httpx.AsyncClient, sandbox: NilveraSandbox, clock: SimClock
) -> None:
    sandbox.set_credits(10, expires_at=clock.now() + timedelta(days=1))
    assert (await _credits(http))["DurationType"] != "Indefinite"
    clock.advance(timedelta(days=2).total_seconds())
    refused = await _upload(http)
    assert refused.status_code == 422 and error_codes(refused) == [2075]
