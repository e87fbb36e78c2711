"""Standard tests for document issuers (e-invoice integrators); ERP sinks: ``suite_erp``."""

from __future__ import annotations

from typing import Any, ClassVar, TypeAlias

import pytest
from kervan import Submission
from kervan.domain import DespatchAdvice, DocumentKind, DocumentStatus, Invoice
from kervan.errors import RemoteUnavailableError, UnsupportedOperationError

from ..sandbox import Fault
from .factories import make_invoice
from .harness import Harness, SuiteConfig

Document: TypeAlias = Invoice | DespatchAdvice


def document(kit: Harness, connector: Any) -> tuple[Document, bytes]:
    """The plugin's test document and its XML (built by the connector if not given)."""
    factory = kit.config.document_factory
    made: Any = factory() if factory is not None else make_invoice()
    if isinstance(made, tuple):
        return made[0], made[1]
    try:
        return made, connector.build_xml(made)
    except UnsupportedOperationError:
        pytest.fail("this issuer cannot build_xml: document_factory must return (document, xml)")


def kind_of(doc: Document) -> DocumentKind:
    return doc.kind if isinstance(doc, Invoice) else DocumentKind.DESPATCH


async def submit_until_answered(connector: Any, doc: Document, xml: bytes) -> Submission:
    for _ in range(2):
        try:
            return await connector.submit(doc, xml)
        except RemoteUnavailableError:
            continue
    return await connector.submit(doc, xml)


class DocumentIssuerContract:
    """What the engine relies on when it issues fiscal documents."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_document_issuer_is_idempotent_on_resubmission(self, kit: Harness) -> None:
        async with kit.connected() as connector:
            doc, xml = document(kit, connector)
            first = await connector.submit(doc, xml)
            again = await connector.submit(doc, xml)
        assert first.uuid == again.uuid == doc.uuid
        assert again.already_existed or again.remote_id == first.remote_id
        assert again.status not in (DocumentStatus.REJECTED,), "resubmission was rejected"

    @pytest.mark.asyncio
    async def test_document_issuer_is_idempotent_when_the_answer_is_lost(
        self, kit: Harness
    ) -> None:
        async with kit.connected() as connector:
            doc, xml = document(kit, connector)
            kit.sandbox.faults.add(Fault("timeout", method="POST"))
            first = await submit_until_answered(connector, doc, xml)
            status = await connector.status(kind_of(doc), doc.uuid)
        assert not kit.sandbox.faults.pending(), "the injected timeout was never hit"
        assert first.uuid == status.uuid == doc.uuid
        assert status.status in (DocumentStatus.QUEUED, DocumentStatus.ACCEPTED)

    @pytest.mark.asyncio
    async def test_document_issuer_reports_status(self, kit: Harness) -> None:
        async with kit.connected() as connector:
            doc, xml = document(kit, connector)
            await connector.submit(doc, xml)
            status = await connector.status(kind_of(doc), doc.uuid)
        assert isinstance(status, Submission) and status.uuid == doc.uuid
        assert status.status in (DocumentStatus.QUEUED, DocumentStatus.ACCEPTED)

    @pytest.mark.asyncio
    async def test_document_issuer_reports_cancellation(self, kit: Harness) -> None:
        async with kit.connected() as connector:
            doc, xml = document(kit, connector)
            await connector.submit(doc, xml)
            cancelled = await connector.cancel(kind_of(doc), doc.uuid, "sipariş iptal edildi")
            status = await connector.status(kind_of(doc), doc.uuid)
        ended = (DocumentStatus.CANCELLED, DocumentStatus.VOIDED)
        assert cancelled.status in ended and status.status in ended


# the ERP sink's suite lives in suite_erp (kept importable from here)
from .suite_erp import ErpSinkContract  # noqa: E402

__all__ = ["DocumentIssuerContract", "ErpSinkContract"]
