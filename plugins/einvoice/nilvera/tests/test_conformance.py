"""Conformance: the Nilvera sandbox driven with raw HTTP, written from the public reference.

No Kervan connector or Nilvera client here: plain ``httpx`` requests against the sandbox's
ASGI app, checked against what the reference says Nilvera answers (../shared/reference/apis.md
section 7 and the notes on issue 18; Odoo's ``l10n_tr_nilvera*`` tests for the recorded
shapes). The UBL bodies come from ``kervan_ubltr`` (a UBL-TR document builder), only so that
an upload is a document GİB's rules accept.
"""

from __future__ import annotations

import base64
import uuid as uuidlib

import httpx
import kervan_ubltr
from conformance_support import UNREGISTERED, error_codes
from conformance_support import send_xml as _send
from kervan.domain import DocumentKind
from nilvera_testdata import BUYER_PK, BUYER_VKN, PERSON_BUYER, SELLER_VKN, make_invoice

# -- the registered-user check: production record shape ------------------------------------


async def test_check_tax_number_answers_the_production_record_shape(
    http: httpx.AsyncClient,
) -> None:
    # Odoo's recorded Check/TaxNumber record: DocumentType, Name, TaxNumber, Title and a
    # ``Type`` that is the account type ("OZEL"), not the alias kind.
    answer = await http.get(
        f"/general/GlobalCompany/Check/TaxNumber/{BUYER_VKN}",
        params={"globalUserType": "Invoice"},
    )
    assert answer.status_code == 200
    records = answer.json()
    assert isinstance(records, list) and records
    for record in records:
        assert {"DocumentType", "Name", "TaxNumber", "Title", "Type"} <= set(record)
        assert record["TaxNumber"] == BUYER_VKN
        assert record["DocumentType"] == "Invoice"
        assert record["Type"] == "OZEL"
        assert record["Name"].startswith("urn:mail:")
    assert BUYER_PK in {r["Name"] for r in records}


async def test_check_tax_number_of_an_unregistered_id_is_an_empty_list(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.get(f"/general/GlobalCompany/Check/TaxNumber/{UNREGISTERED}")
    assert answer.status_code == 200
    assert answer.json() == []


async def test_the_accounts_own_aliases_are_told_apart_by_their_names(
    http: httpx.AsyncClient,
) -> None:
    # The records do not say PK or GB; GİB's naming (…pk@ / …gb@) does.
    answer = await http.get(
        f"/general/GlobalCompany/GetGlobalCustomerInfo/{SELLER_VKN}",
        params={"globalUserType": "Invoice"},
    )
    assert answer.status_code == 200
    aliases = answer.json()["Aliases"]
    assert all(a.get("Type") not in ("PK", "GB") for a in aliases)
    locals_ = {a["Name"].removeprefix("urn:mail:").split("@")[0] for a in aliases}
    assert any(name.endswith("gb") for name in locals_)
    assert any(name.endswith("pk") for name in locals_)


async def test_customer_info_of_an_unregistered_id_invents_no_error_code(
    http: httpx.AsyncClient,
) -> None:
    # No public source shows a Nilvera error for this; Odoo's tests answer 200 with no
    # aliases. The sandbox must not make up a code (it used to answer 404 / 4004).
    answer = await http.get(
        f"/general/GlobalCompany/GetGlobalCustomerInfo/{UNREGISTERED}",
        params={"globalUserType": "Invoice"},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["Aliases"] == []
    assert "Errors" not in body


# -- paths are case-insensitive -------------------------------------------------------------


async def test_general_company_answers_in_lower_case(http: httpx.AsyncClient) -> None:
    upper = await http.get("/general/Company")
    lower = await http.get("/general/company")
    assert upper.status_code == lower.status_code == 200
    assert lower.json() == upper.json()
    assert lower.json()["TaxNumber"] == SELLER_VKN


async def test_einvoice_status_answers_on_odoos_lower_case_path(
    http: httpx.AsyncClient,
) -> None:
    invoice = make_invoice(DocumentKind.EFATURA)
    uuid = await _send(http, "einvoice", kervan_ubltr.build_valid(invoice), BUYER_PK)
    answer = await http.get(f"/einvoice/sale/{uuid}/Status")
    assert answer.status_code == 200
    assert answer.json()["InvoiceStatus"]["Code"] in {"succeed", "error", "waiting", "unknown"}


async def test_earchive_pdf_answers_on_odoos_lower_case_path(http: httpx.AsyncClient) -> None:
    invoice = make_invoice(DocumentKind.EARSIV, buyer=PERSON_BUYER)
    uuid = await _send(http, "earchive", kervan_ubltr.build_valid(invoice), None)
    answer = await http.get(f"/earchive/invoices/{uuid}/pdf")
    assert answer.status_code == 200
    # Nilvera answers the PDF base64-encoded inside a JSON string (Odoo's tests).
    assert base64.b64decode(answer.json()).startswith(b"%PDF-")


async def test_an_unknown_document_on_a_lower_case_path_is_nilveras_not_found(
    http: httpx.AsyncClient,
) -> None:
    # The route exists in any case; what is missing is the document, in the Errors[] shape.
    answer = await http.get(f"/einvoice/sale/{uuidlib.uuid4()}/status")
    assert answer.status_code == 404
    # developer.nilvera.com/hata-kodlari: 3003 "Belge Sistemde Bulunamadı" (not an invented 4004)
    assert error_codes(answer) == [3003]
