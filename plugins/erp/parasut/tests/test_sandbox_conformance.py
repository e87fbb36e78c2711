"""The sandbox speaks Paraşüt's OAuth and JSON:API on the wire (raw HTTP, no connector)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from kervan_parasut.sandbox import (
    BANK_ACCOUNT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    COMPANY_ID,
    PASSWORD,
    TOKEN_SECONDS,
    USERNAME,
    ParasutSandbox,
)
from kervan_sdk.sandbox import ErpProduct

JSONAPI = "application/vnd.api+json"
API = f"/v4/{COMPANY_ID}"


def login_form(**overrides: str) -> dict[str, str]:
    return {
        "grant_type": "password",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "username": USERNAME,
        "password": PASSWORD,
        "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
        **overrides,
    }


class Wire:
    """A raw client with a token, advancing the sandbox clock a second per call so the
    rate limit never gets in the way of tests that are not about it."""

    def __init__(self, sandbox: ParasutSandbox, http: httpx.AsyncClient, token: str) -> None:
        self.sandbox, self.http, self.token = sandbox, http, token

    async def send(
        self, method: str, path: str, body: Any = None, *, params: Any = None, **headers: str
    ) -> httpx.Response:
        self.sandbox.clock.advance(1)
        head = {"Authorization": f"Bearer {self.token}", "Content-Type": JSONAPI, **headers}
        content = None if body is None else httpx.Request("POST", "/", json=body).content
        return await self.http.request(method, path, content=content, headers=head, params=params)

    async def contact(self, name: str = "Ayşe Yılmaz", **attrs: Any) -> str:
        body = {
            "data": {
                "type": "contacts",
                "attributes": {"name": name, "account_type": "customer", **attrs},
            }
        }
        answer = await self.send("POST", f"{API}/contacts", body)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["data"]["id"])

    async def invoice(self, contact_id: str, **attrs: Any) -> httpx.Response:
        detail = {
            "type": "sales_invoice_details",
            "attributes": {
                "quantity": "2",
                "unit_price": "100.00",
                "vat_rate": "20",
                "discount_type": "amount",
                "discount_value": "10.00",
            },
        }
        body = {
            "data": {
                "type": "sales_invoices",
                "attributes": {"item_type": "invoice", "issue_date": "2026-01-15", **attrs},
                "relationships": {
                    "contact": {"data": {"type": "contacts", "id": contact_id}},
                    "details": {"data": [detail]},
                },
            }
        }
        return await self.send("POST", f"{API}/sales_invoices", body)


@pytest.fixture
async def http(sandbox: ParasutSandbox) -> Any:
    async with sandbox.client() as client:
        yield client


@pytest.fixture
async def wire(sandbox: ParasutSandbox, http: httpx.AsyncClient) -> Wire:
    answer = await http.post("/oauth/token", data=login_form())
    return Wire(sandbox, http, answer.json()["access_token"])


def error_titles(response: httpx.Response) -> list[str]:
    errors = response.json()["errors"]
    assert all({"title", "detail"} <= set(e) for e in errors)
    return [e["title"] for e in errors]


async def test_password_grant_answers_an_expiring_token_with_a_refresh_token(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.post("/oauth/token", data=login_form())
    assert answer.status_code == 200
    body = answer.json()
    assert body["expires_in"] == TOKEN_SECONDS and body["token_type"].lower() == "bearer"
    assert body["access_token"] and body["refresh_token"]


async def test_wrong_password_is_invalid_grant_and_wrong_client_is_invalid_client(
    http: httpx.AsyncClient,
) -> None:
    wrong_user = await http.post("/oauth/token", data=login_form(password="nope"))
    wrong_client = await http.post("/oauth/token", data=login_form(client_secret="nope"))
    assert (wrong_user.status_code, wrong_user.json()["error"]) == (400, "invalid_grant")
    assert (wrong_client.status_code, wrong_client.json()["error"]) == (401, "invalid_client")


async def test_a_refresh_token_is_good_once(http: httpx.AsyncClient) -> None:
    first = (await http.post("/oauth/token", data=login_form())).json()
    refresh = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": first["refresh_token"],
    }
    renewed = await http.post("/oauth/token", data=refresh)
    again = await http.post("/oauth/token", data=refresh)
    assert renewed.status_code == 200 and renewed.json()["access_token"] != first["access_token"]
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_api_calls_need_a_live_bearer_token(
    sandbox: ParasutSandbox, http: httpx.AsyncClient, wire: Wire
) -> None:
    none = await http.get(f"{API}/contacts")
    ok = await wire.send("GET", f"{API}/contacts")
    sandbox.clock.advance(TOKEN_SECONDS)
    expired = await wire.send("GET", f"{API}/contacts")
    assert none.status_code == 401 and error_titles(none) == ["Unauthorized"]
    assert ok.status_code == 200
    assert expired.status_code == 401 and "expired" in expired.json()["errors"][0]["detail"]


async def test_me_lists_the_company_and_another_company_is_forbidden(wire: Wire) -> None:
    me = await wire.send("GET", "/v4/me")
    other = await wire.send("GET", "/v4/999/contacts")
    assert me.headers["content-type"].startswith(JSONAPI)
    assert {"id": str(COMPANY_ID), "type": "companies"} in me.json()["data"]["relationships"][
        "companies"
    ]["data"]
    assert other.status_code == 403


async def test_bodies_must_be_json_api_without_a_client_id_and_of_the_endpoints_type(
    wire: Wire,
) -> None:
    good = {"data": {"type": "contacts", "attributes": {"name": "A", "account_type": "customer"}}}
    as_text = await wire.send("POST", f"{API}/contacts", good, **{"Content-Type": "text/plain"})
    with_id = await wire.send("POST", f"{API}/contacts", {"data": {**good["data"], "id": "7"}})
    wrong_type = await wire.send(
        "POST", f"{API}/contacts", {"data": {**good["data"], "type": "products"}}
    )
    assert [as_text.status_code, with_id.status_code, wrong_type.status_code] == [415, 403, 409]


async def test_a_contact_needs_a_name_and_an_account_type(wire: Wire) -> None:
    body = {"data": {"type": "contacts", "attributes": {"account_type": "customer"}}}
    nameless = await wire.send("POST", f"{API}/contacts", body)
    body["data"]["attributes"] = {"name": "A", "account_type": "friend"}
    typeless = await wire.send("POST", f"{API}/contacts", body)
    assert nameless.status_code == 422
    assert nameless.json()["errors"][0]["source"]["pointer"] == "/data/attributes/name"
    assert typeless.status_code == 422 and "account_type" in typeless.text


async def test_contacts_filter_by_tax_number_and_page_with_meta(wire: Wire) -> None:
    for i in range(4):
        await wire.contact(f"Müşteri {i}", tax_number=f"1234567890{i}")
    found = await wire.send("GET", f"{API}/contacts", params={"filter[tax_number]": "12345678902"})
    paged = await wire.send("GET", f"{API}/contacts", params={"page[number]": 2, "page[size]": 3})
    too_big = await wire.send("GET", f"{API}/contacts", params={"page[size]": 26})
    unknown = await wire.send("GET", f"{API}/contacts", params={"filter[colour]": "red"})
    assert [r["attributes"]["name"] for r in found.json()["data"]] == ["Müşteri 2"]
    assert paged.json()["meta"] == {"current_page": 2, "total_pages": 2, "total_count": 4}
    assert len(paged.json()["data"]) == 1
    assert too_big.status_code == 400 and unknown.status_code == 400


async def test_a_sales_invoice_computes_its_totals_from_its_details(wire: Wire) -> None:
    contact = await wire.contact()
    answer = await wire.invoice(contact, invoice_series="KRV2026", invoice_id=1)
    assert answer.status_code == 201, answer.text
    attributes = answer.json()["data"]["attributes"]
    # 2 × 100 − 10 = 190 net; 20 % VAT = 38
    assert attributes["before_taxes_total"] == "190.00" and attributes["total_vat"] == "38.00"
    assert attributes["net_total"] == "228.00" and attributes["payment_status"] == "unpaid"


async def test_a_sales_invoice_needs_a_contact_details_and_an_int32_number(wire: Wire) -> None:
    contact = await wire.contact()
    no_contact = await wire.invoice("999999")
    big_number = await wire.invoice(contact, invoice_series="KRV", invoice_id=2026000000001)
    body = {
        "data": {
            "type": "sales_invoices",
            "attributes": {"item_type": "invoice", "issue_date": "2026-01-15"},
            "relationships": {"contact": {"data": {"type": "contacts", "id": contact}}},
        }
    }
    no_details = await wire.send("POST", f"{API}/sales_invoices", body)
    assert [no_contact.status_code, big_number.status_code, no_details.status_code] == [422] * 3


async def test_a_series_and_number_is_taken_until_its_invoice_is_cancelled(wire: Wire) -> None:
    contact = await wire.contact()
    first = await wire.invoice(contact, invoice_series="KRV2026", invoice_id=7)
    again = await wire.invoice(contact, invoice_series="KRV2026", invoice_id=7)
    cancelled = await wire.send(
        "DELETE", f"{API}/sales_invoices/{first.json()['data']['id']}/cancel"
    )
    after = await wire.invoice(contact, invoice_series="KRV2026", invoice_id=7)
    assert again.status_code == 422 and "taken" in again.text
    assert cancelled.json()["data"]["attributes"]["item_type"] == "cancelled"
    assert after.status_code == 201


async def test_invoices_filter_by_series_and_number_and_include_details(wire: Wire) -> None:
    contact = await wire.contact()
    await wire.invoice(contact, invoice_series="KRV2026", invoice_id=1)
    await wire.invoice(contact, invoice_series="KRV2026", invoice_id=2)
    params = {
        "filter[invoice_series]": "KRV2026",
        "filter[invoice_id]": "2",
        "include": "details,contact",
    }
    found = await wire.send("GET", f"{API}/sales_invoices", params=params)
    bad_include = await wire.send("GET", f"{API}/sales_invoices", params={"include": "owner"})
    body = found.json()
    assert [r["attributes"]["invoice_id"] for r in body["data"]] == [2]
    assert {r["type"] for r in body["included"]} == {"sales_invoice_details", "contacts"}
    assert bad_include.status_code == 400


async def test_payments_settle_an_invoice_and_must_go_before_it_is_cancelled(wire: Wire) -> None:
    contact = await wire.contact()
    invoice_id = (await wire.invoice(contact)).json()["data"]["id"]
    pay = f"{API}/sales_invoices/{invoice_id}/payments"

    def payment(amount: str) -> dict[str, Any]:
        attrs = {"account_id": int(BANK_ACCOUNT_ID), "date": "2026-01-20", "amount": amount}
        return {"data": {"type": "payments", "attributes": {**attrs, "description": "p1"}}}

    too_much = await wire.send("POST", pay, payment("228.01"))
    paid = await wire.send("POST", pay, payment("228.00"))
    refused = await wire.send("DELETE", f"{API}/sales_invoices/{invoice_id}/cancel")
    shown = await wire.send(
        "GET", f"{API}/sales_invoices/{invoice_id}", params={"include": "payments"}
    )
    transaction = paid.json()["data"]["relationships"]["transaction"]["data"]["id"]
    removed = await wire.send("DELETE", f"{API}/transactions/{transaction}")
    cancelled = await wire.send("DELETE", f"{API}/sales_invoices/{invoice_id}/cancel")
    assert too_much.status_code == 422 and paid.status_code == 201
    assert paid.json()["data"]["attributes"]["notes"] == "p1"
    assert shown.json()["data"]["attributes"]["payment_status"] == "paid"
    assert [r["type"] for r in shown.json()["included"]] == ["payments"]
    assert refused.status_code == 422 and removed.status_code == 204
    assert cancelled.status_code == 200


async def test_more_than_ten_calls_in_ten_seconds_get_a_json_api_429_with_retry_after(
    sandbox: ParasutSandbox, wire: Wire
) -> None:
    head = {"Authorization": f"Bearer {wire.token}"}
    answers = [await wire.http.get(f"{API}/contacts", headers=head) for _ in range(11)]
    assert [a.status_code for a in answers[:10]] == [200] * 10
    limited = answers[10]
    assert limited.status_code == 429 and error_titles(limited) == ["Too Many Requests"]
    sandbox.clock.advance(float(limited.headers["Retry-After"]))
    assert (await wire.http.get(f"{API}/contacts", headers=head)).status_code == 200


async def test_products_list_with_their_codes_and_barcodes(wire: Wire) -> None:
    wire.sandbox.erp_seed_products(
        [ErpProduct("A-1", "Kupa", ("1", "2"), Decimal("9.90"), {"D1": 2, "D2": 3})]
    )
    found = await wire.send("GET", f"{API}/products", params={"filter[code]": "A-1"})
    (product,) = found.json()["data"]
    assert product["attributes"]["barcode"] == "1,2"
    assert product["attributes"]["stock_count"] == "5"
