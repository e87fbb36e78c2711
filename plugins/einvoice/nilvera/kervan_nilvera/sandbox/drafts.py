"""The model and draft flow: ``Send/Model``, ``Draft/Create``, the draft list and ``ConfirmAndSend``.

Paths and bodies from Nilvera's e-Invoice and e-Archive OpenAPI documents (montarist/nilvera-api
``docs/einvoice.swagger.json``, ``docs/earchive.swagger.json``; the same flow in PyPI
``nilvera-client`` 1.1.1 and ../shared/reference/apis.md §7 "Drafts"):

- ``POST /einvoice/Send/Model`` ``{EInvoice, CustomerAlias}`` and ``POST /earchive/Send/Model``
  ``{ArchiveInvoice}`` answer ``SendResponse {UUID, InvoiceNumber}``;
- ``POST /…/Draft/Create`` (same bodies) keeps a draft and answers ``{UUID, InvoiceNumber}``;
  the number is given when the draft is confirmed *(uncertain: the list's ``InvoiceNumber`` is
  nullable, nothing says when Nilvera numbers a draft)*;
- ``GET /…/Draft`` lists drafts (``Page``, ``PageSize``; ``DraftInvoiceResponsePagination``),
  ``GET /…/Draft/{UUID}/model`` answers the model, ``DELETE /…/Draft`` takes a UUID list and
  answers ``true``;
- ``POST /einvoice/Draft/ConfirmAndSend`` takes ``[{Alias, UUID}]`` and answers a list of
  strings; ``POST /earchive/Draft/ConfirmAndSend`` takes ``["uuid", …]`` and answers a string
  (the UUIDs sent, *uncertain*: the OpenAPI types them only as strings).

A confirmed draft or a sent model becomes the UBL it stands for (:mod:`.model`) and goes the way
an uploaded XML goes: the same alias, series, schema and credit checks, the same statuses.
``InvoiceSerieOrNumber`` is a 3-character series (Nilvera gives the next number, refusing an
undefined series with 3009), a full 16-character number, or empty (the default series).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from kervan.domain import Invoice

from ..mapping import EARCHIVE, EINVOICE
from .model import MODEL_KEY, build_model_xml, invoice_from_model, model_of, new_uuid
from .state import ISTANBUL, Refusal, bad_request, list_int, local_iso, not_found

if TYPE_CHECKING:
    from . import NilveraSandbox


@dataclass
class Draft:
    channel: str
    uuid: str
    body: dict[str, Any]
    alias: str | None
    created_at: datetime
    #: the invoice the model stands for, numbered only when confirmed
    invoice: Invoice

    def list_entry(self) -> dict[str, Any]:
        inv = self.invoice
        return {
            "UUID": self.uuid,
            "TaxNumber": inv.seller.tax_id,
            "InvoiceNumber": None,
            "InvoiceProfile": inv.profile,
            "InvoiceType": inv.type_code,
            "IssueDate": local_iso(inv.issued_at),
            "CreatedDate": local_iso(self.created_at),
            "CurrencyCode": inv.currency,
            "PayableAmount": float(inv.totals.payable),
            "ReceiverName": inv.buyer.display_name,
            "ReceiverTaxNumber": inv.buyer.tax_id,
            "ReceiverAlias": self.alias,
        }


def _series_or_number(body: dict[str, Any], channel: str) -> str:
    info = body.get(MODEL_KEY[channel], {}).get("InvoiceInfo") or {}
    return str(info.get("InvoiceSerieOrNumber") or "").strip()


def routes(sandbox: NilveraSandbox, app: FastAPI) -> None:
    for channel in (EINVOICE, EARCHIVE):
        _channel_routes(sandbox, app, channel)


def _channel_routes(sb: NilveraSandbox, app: FastAPI, channel: str) -> None:
    def build(body: Any, number: str | None, uuid: str) -> Invoice:
        return invoice_from_model(
            channel, body, seller=sb.seller_party(), number=number, uuid=uuid, now=sb.clock.now()
        )

    def number_for(body: dict[str, Any], invoice: Invoice) -> str:
        given = _series_or_number(body, channel)
        if len(given) == 16:
            return given
        if given and len(given) != 3:
            raise Refusal(422, 2065, "Fatura seri alanı boş olamaz", given)
        year = invoice.issued_at.astimezone(ISTANBUL).year
        return sb.next_number(channel, given or sb.default_series(channel), year)

    async def send(invoice: Invoice, body: dict[str, Any], alias: str | None) -> dict[str, Any]:
        numbered = invoice.model_copy(update={"number": number_for(body, invoice)})
        xml = build_model_xml(numbered)
        doc = await sb._receive(channel, xml, alias, source="model")
        return {"UUID": doc.uuid, "InvoiceNumber": doc.envelope.number}

    def alias_of(body: dict[str, Any]) -> str | None:
        if channel == EARCHIVE:
            return None
        return str(body["CustomerAlias"]) if body.get("CustomerAlias") else None

    @app.post(f"/{channel}/Send/Model", name=f"{channel}_send_model")
    async def send_model(request: Request) -> dict[str, Any]:
        body = await _json(request)
        uuid = new_uuid((body.get(MODEL_KEY[channel]) or {}).get("InvoiceInfo", {}).get("UUID"))
        return await send(build(body, None, uuid), body, alias_of(body))

    @app.post(f"/{channel}/Draft/Create", name=f"{channel}_draft_create")
    async def create_draft(request: Request) -> dict[str, Any]:
        body = await _json(request)
        uuid = new_uuid((body.get(MODEL_KEY[channel]) or {}).get("InvoiceInfo", {}).get("UUID"))
        if uuid in sb.drafts or uuid in sb.documents:
            raise Refusal(409, 1001, "Nilvera UUID (ETTN) sistemde kayıtlıdır", uuid)
        invoice = build(body, None, uuid)
        sb.drafts[uuid] = Draft(channel, uuid, body, alias_of(body), sb.clock.now(), invoice)
        return {"UUID": uuid, "InvoiceNumber": None}

    @app.get(f"/{channel}/Draft", name=f"{channel}_drafts")
    async def list_drafts(request: Request) -> dict[str, Any]:
        query = request.query_params
        page = list_int("Page", query.get("Page"), 1, 1, 1_000_000)
        size = list_int("PageSize", query.get("PageSize"), 50, 1, 100)
        mine = sorted(
            (d for d in sb.drafts.values() if d.channel == channel),
            key=lambda d: (d.created_at, d.uuid),
        )
        first = (page - 1) * size
        return {
            "Page": page,
            "PageSize": size,
            "TotalCount": len(mine),
            "TotalPages": math.ceil(len(mine) / size),
            "Content": [d.list_entry() for d in mine[first : first + size]],
        }

    @app.delete(f"/{channel}/Draft", name=f"{channel}_drafts_delete")
    async def delete_drafts(request: Request) -> bool:
        uuids = [_draft(sb, channel, u).uuid for u in await _uuid_list(request)]
        for uuid in uuids:
            del sb.drafts[uuid]
        return True

    @app.get(f"/{channel}/Draft/{{uuid}}/model", name=f"{channel}_draft_model")
    async def draft_model(uuid: str) -> dict[str, Any]:
        return model_of(channel, _draft(sb, channel, uuid).invoice)

    @app.post(f"/{channel}/Draft/ConfirmAndSend", name=f"{channel}_draft_send")
    async def confirm_and_send(request: Request) -> Any:
        try:
            items = await request.json()
        except ValueError:
            raise bad_request("body", "Geçerli bir JSON listesi olmalıdır") from None
        if not isinstance(items, list) or not items:
            raise bad_request("body", "En az bir taslak olmalıdır")
        chosen: list[tuple[Draft, str | None]] = []
        for item in items:
            if channel == EINVOICE:
                if not isinstance(item, dict):
                    raise bad_request("body", "her öğe {Alias, UUID} olmalıdır")
                draft = _draft(sb, channel, str(item.get("UUID") or ""))
                chosen.append((draft, str(item.get("Alias") or "") or draft.alias))
            else:
                chosen.append((_draft(sb, channel, str(item)), None))
        sent = []
        for draft, alias in chosen:
            await send(draft.invoice, draft.body, alias)
            del sb.drafts[draft.uuid]
            sent.append(draft.uuid)
        return sent if channel == EINVOICE else ",".join(sent)


def _draft(sb: NilveraSandbox, channel: str, uuid: str) -> Draft:
    draft = sb.drafts.get(uuid.lower())
    if draft is None or draft.channel != channel:
        raise not_found(uuid)
    return draft


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise bad_request("body", "Geçerli bir JSON nesnesi olmalıdır") from None
    if not isinstance(body, dict):
        raise bad_request("body", "Geçerli bir JSON nesnesi olmalıdır")
    return body


async def _uuid_list(request: Request) -> list[str]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, list) or not all(isinstance(u, str) for u in body):
        raise bad_request("body", "UUID listesi olmalıdır")
    return body
