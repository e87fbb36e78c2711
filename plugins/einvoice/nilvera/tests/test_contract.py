"""Role promises the SDK's contract kit (``test_contract_kit.py``) does not cover yet: the tax
classifier role, and the issuer contract for e-Fatura and e-İrsaliye besides the kit's e-Arşiv.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from kervan import CheckResult, Registration, Submission
from kervan.domain import DocumentKind, DocumentStatus
from kervan.errors import InvalidInputError, KervanError, RemoteUnavailableError
from kervan_nilvera import Nilvera
from kervan_nilvera.sandbox import NilveraSandbox
from kervan_sdk.sandbox import Fault, SimClock
from nilvera_testdata import BUYER_VKN, PERSON_TCKN, make_connector, make_despatch, make_invoice

DOCUMENTS = {
    "efatura": lambda: make_invoice(DocumentKind.EFATURA),
    "earsiv": lambda: make_invoice(DocumentKind.EARSIV),
    "despatch": make_despatch,
}


# -- connector ---------------------------------------------------------------------------------


def test_contract_settings_reject_unknown_keys_and_keep_secrets_write_only() -> None:
    with pytest.raises(InvalidInputError):
        Nilvera.Settings.parse({"api_key": "k", "unknown": 1})
    assert Nilvera.Settings.secret_fields() == ["api_key"]
    assert Nilvera.Settings.model_json_schema()["properties"]["api_key"]["writeOnly"] is True


async def test_contract_check_passes_against_the_sandbox(connector: Nilvera) -> None:
    result = await connector.check()
    assert isinstance(result, CheckResult) and result.ok


async def test_contract_check_fails_with_bad_settings_without_raising(
    sandbox: NilveraSandbox, clock: SimClock
) -> None:
    conn = make_connector(sandbox, clock, api_key="bad")
    result = await conn.check()
    assert result.ok is False and "bad" not in result.message
    await conn.aclose()


def test_contract_repr_never_shows_settings(connector: Nilvera) -> None:
    assert "nilvera-sandbox-key" not in repr(connector)


def test_contract_sandbox_is_named_by_module_and_class() -> None:
    module, _, name = (Nilvera.sandbox or "").partition(":")
    cls = getattr(__import__(module, fromlist=[name]), name)
    assert issubclass(cls, NilveraSandbox) and cls.name == "nilvera"


# -- tax classifier ----------------------------------------------------------------------------


@pytest.mark.parametrize(("tax_id", "registered"), [(BUYER_VKN, True), (PERSON_TCKN, False)])
async def test_contract_lookup_answers_with_evidence(
    connector: Nilvera, clock: SimClock, tax_id: str, registered: bool
) -> None:
    reg = await connector.lookup(tax_id)
    assert isinstance(reg, Registration)
    assert reg.tax_id == tax_id and reg.registered is registered
    assert isinstance(reg.checked_at, datetime) and reg.checked_at.tzinfo is not None
    assert reg.checked_at == clock.now()
    assert reg.source == "nilvera"
    assert (reg.receiver_alias is not None) is registered


@pytest.mark.parametrize("fault", ["timeout", "status", "malformed"])
async def test_contract_lookup_never_answers_no_when_the_remote_fails(
    sandbox: NilveraSandbox, connector: Nilvera, fault: str
) -> None:
    kw = {"status": 503} if fault == "status" else {"delay": 0.001}
    sandbox.faults.add(Fault(fault, path="/general/*", times=100, **kw))  # type: ignore[arg-type]
    with pytest.raises(KervanError) as caught:
        await connector.lookup(PERSON_TCKN)
    assert caught.value.retryable
    if fault != "malformed":
        assert isinstance(caught.value, RemoteUnavailableError)


# -- document issuer ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(DOCUMENTS))
async def test_contract_submit_is_idempotent_by_uuid_and_status_follows(
    sandbox: NilveraSandbox, connector: Nilvera, clock: SimClock, kind: str
) -> None:
    document = DOCUMENTS[kind]()
    xml = connector.build_xml(document)
    assert xml.startswith(b"<?xml")
    first = await connector.submit(document, xml)
    second = await connector.submit(document, xml)
    assert isinstance(first, Submission) and first.uuid == document.uuid
    assert first.status is DocumentStatus.QUEUED and not first.already_existed
    assert second.uuid == document.uuid and second.already_existed
    assert sandbox.document_count() == 1
    doc_kind = DocumentKind.DESPATCH if kind == "despatch" else DocumentKind(kind)
    clock.advance(sandbox.accept_after_s)
    assert (await connector.status(doc_kind, document.uuid)).status is DocumentStatus.ACCEPTED
    assert (await connector.fetch_pdf(doc_kind, document.uuid)).startswith(b"%PDF")
    assert "<html" in (await connector.fetch_html(doc_kind, document.uuid)).lower()


def test_contract_build_xml_refuses_an_invalid_document_naming_the_rule(
    connector: Nilvera,
) -> None:
    invoice = make_invoice(DocumentKind.EFATURA)
    broken = invoice.model_copy(update={"profile": "NOSUCHPROFILE"})
    with pytest.raises(InvalidInputError) as caught:
        connector.build_xml(broken)
    assert caught.value.errors or caught.value.message


def test_contract_render_pdf_works_offline(sandbox: NilveraSandbox, connector: Nilvera) -> None:
    assert connector.render_pdf(make_invoice(DocumentKind.EFATURA)).startswith(b"%PDF")
    assert sandbox.count() == 0
