"""Conformance: the JSON model and the draft flow of Nilvera's e-Invoice / e-Archive OpenAPI
(``Send/Model``, ``Draft/Create``, ``GET``/``DELETE /…/Draft``, ``Draft/{UUID}/model``,
``Draft/ConfirmAndSend``). Raw HTTP only; the bodies are written from the OpenAPI's
``EInvoiceDto`` / ``ArchiveInvoiceDto``."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

import httpx
from conformance_support import error_codes
from kervan_nilvera.sandbox import NilveraSandbox
from kervan_sdk.sandbox import SimClock
from nilvera_testdata import BUYER_PK, BUYER_VKN, PERSON_TCKN

LINE = {
    "Name": "Kahve fincanı",
    "Quantity": 2,
    "UnitType": "C62",
    "Price": 50,
    "AllowanceTotal": 0,
    "KDVPercent": 20,
    "KDVTotal": 20,
}


def einvoice(series: str = "KRV", profile: str = "TEMELFATURA") -> dict[str, Any]:
    return {
        "EInvoice": {
            "InvoiceInfo": {
                "UUID": str(uuidlib.uuid4()),
                "InvoiceType": "SATIS",
                "InvoiceProfile": profile,
                "InvoiceSerieOrNumber": series,
                "IssueDate": "2026-01-15T10:00:00",
                "CurrencyCode": "TRY",
            },
            "CustomerInfo": {
                "TaxNumber": BUYER_VKN,
                "Name": "Alıcı Ltd. Şti.",
                "TaxOffice": "Beşiktaş",
                "Address": "Barbaros Blv. 5",
                "District": "Beşiktaş",
                "City": "İstanbul",
                "Country": "Türkiye",
            },
            "InvoiceLines": [LINE],
            "Notes": ["model ile gönderildi"],
        },
        "CustomerAlias": BUYER_PK,
    }


def earchive() -> dict[str, Any]:
    return {
        "ArchiveInvoice": {
            "InvoiceInfo": {
                "UUID": str(uuidlib.uuid4()),
                "InvoiceType": "SATIS",
                "InvoiceProfile": "EARSIVFATURA",
                "InvoiceSerieOrNumber": "KRA",
                "IssueDate": "2026-01-15T10:00:00",
            },
            "CustomerInfo": {
                "TaxNumber": PERSON_TCKN,
                "Name": "Ayşe Yılmaz",
                "Address": "Atatürk Cd. 7",
                "District": "Çankaya",
                "City": "Ankara",
            },
            "InvoiceLines": [LINE],
        }
    }


async def test_send_model_numbers_the_invoice_in_its_series(
    http: httpx.AsyncClient, sandbox: NilveraSandbox, clock: SimClock
) -> None:
    body = einvoice()
    answer = await http.post("/einvoice/Send/Model", json=body)
    assert answer.status_code == 200, answer.text
    sent = answer.json()
    assert sent["UUID"] == body["EInvoice"]["InvoiceInfo"]["UUID"]
    assert len(sent["InvoiceNumber"]) == 16 and sent["InvoiceNumber"].startswith("KRV2026")
    second = (await http.post("/einvoice/Send/Model", json=einvoice())).json()
    assert int(second["InvoiceNumber"][7:]) == int(sent["InvoiceNumber"][7:]) + 1
    clock.advance(sandbox.accept_after_s)
    status = (await http.get(f"/einvoice/Sale/{sent['UUID']}/Status")).json()
    assert status["InvoiceStatus"]["Code"] == "succeed"
    details = (await http.get(f"/einvoice/Sale/{sent['UUID']}/Details")).json()
    assert details["InvoiceAmount"] == 120.0 and details["TaxAmount"] == 20.0
    xml = (await http.get(f"/einvoice/Sale/{sent['UUID']}/xml")).json()
    assert sent["InvoiceNumber"] in xml


async def test_send_model_refuses_an_undefined_series_with_3009(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.post("/einvoice/Send/Model", json=einvoice(series="ZZZ"))
    assert answer.status_code == 404 and error_codes(answer) == [3009]


async def test_send_model_without_a_customer_is_a_schema_error(http: httpx.AsyncClient) -> None:
    body = einvoice()
    del body["EInvoice"]["CustomerInfo"]
    answer = await http.post("/einvoice/Send/Model", json=body)
    assert answer.status_code == 422 and error_codes(answer) == [2015]


async def test_an_earchive_model_to_a_registered_buyer_is_refused_with_2025(
    http: httpx.AsyncClient,
) -> None:
    body = earchive()
    body["ArchiveInvoice"]["CustomerInfo"].update(TaxNumber=BUYER_VKN, Name="Alıcı Ltd. Şti.")
    answer = await http.post("/earchive/Send/Model", json=body)
    assert answer.status_code == 422 and error_codes(answer) == [2025]


async def test_a_draft_is_listed_then_confirmed_and_sent(
    http: httpx.AsyncClient, sandbox: NilveraSandbox, clock: SimClock
) -> None:
    body = einvoice()
    created = await http.post("/einvoice/Draft/Create", json=body)
    assert created.status_code == 200, created.text
    uuid = created.json()["UUID"]
    listing = (await http.get("/einvoice/Draft")).json()
    assert {"Page", "PageSize", "TotalCount", "TotalPages", "Content"} <= set(listing)
    assert [d["UUID"] for d in listing["Content"]] == [uuid]
    assert listing["Content"][0]["ReceiverTaxNumber"] == BUYER_VKN
    model = (await http.get(f"/einvoice/Draft/{uuid}/model")).json()
    assert model["EInvoice"]["CustomerInfo"]["TaxNumber"] == BUYER_VKN
    # a draft is not sent: no status yet
    assert (await http.get(f"/einvoice/Sale/{uuid}/Status")).status_code == 404
    sent = await http.post(
        "/einvoice/Draft/ConfirmAndSend", json=[{"Alias": BUYER_PK, "UUID": uuid}]
    )
    assert sent.status_code == 200 and sent.json() == [uuid]
    assert (await http.get("/einvoice/Draft")).json()["TotalCount"] == 0
    status = (await http.get(f"/einvoice/Sale/{uuid}/Status")).json()
    assert status["InvoiceStatus"]["Code"] == "waiting"


async def test_an_earchive_draft_is_confirmed_by_uuid(http: httpx.AsyncClient) -> None:
    uuid = (await http.post("/earchive/Draft/Create", json=earchive())).json()["UUID"]
    sent = await http.post("/earchive/Draft/ConfirmAndSend", json=[uuid])
    assert sent.status_code == 200
    status = (await http.get(f"/earchive/Invoices/{uuid}/Status")).json()
    assert status["StatusCode"] == "waiting"


async def test_drafts_are_deleted_by_uuid_list(http: httpx.AsyncClient) -> None:
    uuid = (await http.post("/einvoice/Draft/Create", json=einvoice())).json()["UUID"]
    deleted = await http.request("DELETE", "/einvoice/Draft", json=[uuid])
    assert deleted.status_code == 200 and deleted.json() is True
    gone = await http.post(
        "/einvoice/Draft/ConfirmAndSend", json=[{"Alias": BUYER_PK, "UUID": uuid}]
    )
    assert gone.status_code == 404 and error_codes(gone) == [3003]


async def test_a_draft_uuid_is_taken_once(http: httpx.AsyncClient) -> None:
    body = einvoice()
    assert (await http.post("/einvoice/Draft/Create", json=body)).status_code == 200
    again = await http.post("/einvoice/Draft/Create", json=body)
    assert again.status_code == 409 and error_codes(again) == [1001]


async def test_a_model_spends_a_credit_and_none_left_refuses_it(
    http: httpx.AsyncClient, sandbox: NilveraSandbox
) -> None:
    sandbox.set_credits(0)
    refused = await http.post("/einvoice/Send/Model", json=einvoice())
    assert refused.status_code == 422 and error_codes(refused) == [2000]
