"""The pure translations: paths, statuses, registered-user records, error bodies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from kervan.domain import DocumentKind, DocumentStatus
from kervan.errors import InvalidInputError, InvalidResponseError
from kervan_nilvera import mapping
from kervan_nilvera.mapping import (
    EARCHIVE,
    EDESPATCH,
    EINVOICE,
    channel_of,
    document_path,
    parse_status,
    registration_from_check,
)

NOW = datetime(2026, 1, 15, 9, tzinfo=UTC)
VKN = "3297552117"


def record(**kw: object) -> dict[str, object]:
    return {
        "TaxNumber": VKN,
        "Title": "ALICI LTD",
        "Name": "urn:mail:pk@alici.com",
        "Type": "PK",
        **kw,
    }


def test_export_goes_through_einvoice_and_despatch_through_edespatch() -> None:
    assert channel_of(DocumentKind.EFATURA) == EINVOICE
    assert channel_of(DocumentKind.EXPORT) == EINVOICE
    assert channel_of(DocumentKind.EARSIV) == EARCHIVE
    assert channel_of(DocumentKind.DESPATCH) == EDESPATCH
    with pytest.raises(InvalidInputError):
        channel_of(DocumentKind.EXPENSE_VOUCHER)


def test_earchive_documents_live_under_invoices_others_under_sale() -> None:
    assert document_path(EINVOICE, "u-1", "Status") == "/einvoice/Sale/u-1/Status"
    assert document_path(EARCHIVE, "u-1", "pdf") == "/earchive/Invoices/u-1/pdf"
    assert document_path(EDESPATCH, "u-1", "Status") == "/edespatch/Sale/u-1/Status"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("waiting", DocumentStatus.QUEUED),
        ("unknown", DocumentStatus.QUEUED),
        ("succeed", DocumentStatus.ACCEPTED),
        ("error", DocumentStatus.REJECTED),
    ],
)
def test_einvoice_status_codes_map_onto_document_status(
    code: str, expected: DocumentStatus
) -> None:
    body = {"InvoiceStatus": {"Code": code, "Description": "d", "DetailDescription": "why"}}
    assert parse_status(EINVOICE, body) == (expected, "why")


def test_earchive_status_and_its_cancel_flag() -> None:
    assert parse_status(EARCHIVE, {"StatusCode": "succeed", "StatusDetail": "ok"})[0] is (
        DocumentStatus.ACCEPTED
    )
    cancelled = {"StatusCode": "succeed", "StatusDetail": "ok", "CancelStatus": True}
    assert parse_status(EARCHIVE, cancelled)[0] is DocumentStatus.CANCELLED


@pytest.mark.parametrize("body", [[], "succeed", {"InvoiceStatus": {"Code": "gone"}}, {}])
def test_an_unreadable_status_is_an_invalid_response(body: object) -> None:
    with pytest.raises(InvalidResponseError):
        parse_status(EINVOICE, body)


def test_an_empty_list_is_a_definite_not_registered() -> None:
    reg = registration_from_check(VKN, [], NOW)
    assert reg.registered is False
    assert reg.aliases == []
    assert reg.source == "nilvera"
    assert reg.checked_at == NOW


def test_records_give_registration_with_pk_and_gb_aliases() -> None:
    body = [record(), record(Name="urn:mail:gb@alici.com", Type="GB")]
    reg = registration_from_check(VKN, body, NOW)
    assert reg.registered is True
    assert reg.receiver_alias == "urn:mail:pk@alici.com"
    assert {(a.name, a.type) for a in reg.aliases} == {
        ("urn:mail:pk@alici.com", "PK"),
        ("urn:mail:gb@alici.com", "GB"),
    }
    assert reg.title == "ALICI LTD"


@pytest.mark.parametrize(
    "body",
    [
        {"Name": "x"},  # not a list
        [record(Name="")],  # no alias
        [record(), record(TaxNumber="4540536920")],  # another taxpayer mixed in
        [record(), record(Name="urn:mail:pk2@x", Title="BAŞKA A.Ş.")],  # conflicting titles
        [record(Type="GB")],  # registered but nowhere to send
        ["urn:mail:pk@alici.com"],  # records that are not objects
    ],
)
def test_ambiguous_answers_raise_and_never_say_not_registered(body: object) -> None:
    with pytest.raises(InvalidResponseError):
        registration_from_check(VKN, body, NOW)


def test_records_of_another_document_type_do_not_register() -> None:
    reg = registration_from_check(VKN, [record(DocumentType="DespatchAdvice")], NOW)
    assert reg.registered is False


def test_nilvera_error_body_is_read_into_issues() -> None:
    body = {"Errors": [{"Code": 2015, "Description": "Şema hatası", "Detail": "cbc:ID"}]}
    issues = mapping.issues_of(body)
    assert [(i.code, i.description, i.detail) for i in issues] == [(2015, "Şema hatası", "cbc:ID")]
    assert str(issues[0]) == "2015 Şema hatası: cbc:ID"
    assert mapping.issues_of({"message": "x"}) == []


def test_a_production_record_whose_type_is_the_account_type_is_a_registered_buyer() -> None:
    # Odoo's recorded Check/TaxNumber record: ``Type`` is "OZEL" (the account type), and the
    # alias name says nothing about PK/GB; such a record is a post box to send to.
    body = [
        {
            "DocumentType": "Invoice",
            "Name": "urn:mail:fatura@alici.com",
            "TaxNumber": VKN,
            "Title": "ALICI LTD",
            "Type": "OZEL",
        }
    ]
    reg = registration_from_check(VKN, body, NOW)
    assert reg.registered
    assert [(a.name, a.type) for a in reg.aliases] == [("urn:mail:fatura@alici.com", "PK")]


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"Name": "urn:mail:defaultgb@firma.com", "Type": "OZEL"}, "GB"),
        ({"Name": "urn:mail:defaultpk@firma.com", "Type": "KAMU"}, "PK"),
        ({"Name": "urn:mail:x@firma.com", "Type": "GB"}, "GB"),
        ({"Name": "urn:mail:defaultpk@firma.com", "AliasType": "GB"}, "GB"),
        ({"Name": "urn:mail:x@firma.com"}, "PK"),
    ],
)
def test_alias_kind_comes_from_what_identifies_the_alias(
    fields: dict[str, object], kind: str
) -> None:
    reg = registration_from_check(VKN, [record(**fields), record()], NOW)
    assert reg.aliases[0].type == kind
