"""A stand-in for Nilvera's REST API: its paths, bearer auth, payloads and ``Errors[]`` shape.

It keeps GİB's registered-user list (taxpayers with PK/GB aliases), the account's company,
aliases, series and credits, and every document it receives (by UUID). Every uploaded UBL is
checked as Nilvera does (scenario, alias, series, duplicate UUID) and validated against GİB's
rules with :func:`kervan_ubltr.validate` (GİB's XSD and schematron; Kervan's own stricter
arithmetic is not Nilvera's to check); an invalid one is refused with 422 / code 2015. Accepted
documents wait and then succeed or fail on the sandbox's simulated clock: GİB rejects a seeded
share of them of its own accord (``gib_rejection_share``), or one a test names
(:meth:`NilveraSandbox.reject_on_delivery`); a receiver answers a TICARIFATURA
``answer_after_s`` after delivery (``receiver_answers``, else ``default_receiver_answer``).

Sources for the conformance rules (issue 18; ../shared/reference/apis.md section 7). "The
OpenAPI" below is Nilvera's own e-Invoice / e-Archive / General OpenAPI 3 documents as published
with the TypeScript client montarist/nilvera-api (``docs/einvoice.swagger.json``,
``docs/earchive.swagger.json``, ``docs/general.swagger.json``; their error links point at
developer.nilvera.com/hata-kodlari).

- ``Check/TaxNumber`` answers one record per alias in the production shape ``{TaxNumber,
  Title, FirstCreatedTime, CreationTime, DocumentType, Name, Type}`` whose ``Type`` is the
  account type (``"OZEL"``), not PK/GB: odoo/odoo
  ``addons/l10n_tr_nilvera_einvoice/tests/test_tr_nilvera_mocked_requests.py`` (recorded
  records). The alias kind is only in the name (GİB's ``…pk@`` / ``…gb@`` convention).
- ``GetGlobalCustomerInfo?globalUserType=…`` answers ``{"Aliases": [...]}``, an empty list when
  the tax id has no alias of that type: an Odoo ``l10n_tr_nilvera_einvoice`` test of the
  Invoice/DespatchAdvice alias sync (code index, unattributed copy; Odoo's
  ``l10n_tr_nilvera/models/res_partner.py`` treats any non-200 as a failure). Nilvera's answer
  for a wholly unknown tax id is not published; the sandbox answers the same empty list
  *(uncertain)* instead of an invented error code.
- Paths are case-insensitive: Odoo calls ``/einvoice/sale/{uuid}/Status`` and
  ``/earchive/invoices/{uuid}/pdf`` (same Odoo test file) while other clients spell
  ``/einvoice/Sale``, ``/earchive/Invoices``, ``/general/Company`` (``done6666/nilvera-sdk-php``).
- Errors: ``{"Errors": [{"Code", "Description", "Detail"}]}``; a 400 carries ``Message``
  ``GECERSIZ ISTEK`` and ``Code`` 400 with the field as ``Description``, a 404 ``Message``
  ``HATALI ISTEK`` (developer.nilvera.com/hata-kodlari samples). A document that is not there is
  ``3003 Belge Sistemde Bulunamadı`` (that page's 404 table). Codes 1000/1001/1015 (409),
  2000/2015/2024/2025/2054/2063/2065/2075 (422), 3000/3009/3030 (404): Odoo
  ``l10n_tr_nilvera/const.py``. The refusals with no public code are in
  :data:`.state.SANDBOX_CODES`, marked as the sandbox's own.
- A sent e-Fatura's status is the OpenAPI's ``StatusResponse``: ``{InvoiceProfile, IssueDate,
  Answer{AnswerCode, AnswerNote, Description}, InvoiceStatus{Code, Description,
  DetailDescription}, EnvelopeInfo{UUID, GIBCode, GIBDescription, CreatedDate}}``; ``Code`` is
  ``unknown|waiting|succeed|error``, ``AnswerCode`` ``unknown|waitingForApproval|approved|
  rejected|documentAnsweredAutomatically``. An e-Arşiv's is ``{StatusCode, StatusDetail,
  ReportStatus (NotReported|Reported), CancelStatus}``. ``GIBCode`` is GİB's envelope code:
  1100 processing, 1300 done, 1210/1215/1230 the delivery failures GİB rejects an accepted
  document with (GİB's codes as montarist/nilvera-api ``src/constants/enums/error-codes.ts``
  lists them). A TEMELFATURA's ``AnswerCode`` is ``unknown`` *(uncertain)*.
- ``GET /einvoice/Sale/{UUID}/Details`` (``SaleInvoiceDetailResponse``), ``/earchive/Invoices/
  {UUID}/Details`` (``EArchiveInvoiceDetailResponse``), ``/einvoice/Purchase/{UUID}/Details``;
  ``GET /einvoice/Sale|Purchase/{UUID}/CheckFromGib`` (the envelope and, once answered, the
  answer's envelope); ``GET /einvoice/Sale/{UUID}/EnvelopeInfo`` (``{GIBCode, GIBDescription,
  EnvelopeUUID}``, strings); ``GET /einvoice/Sale/{UUID}/CheckFromGtb``: customs' (GTB, the
  trade ministry) record of an export, ``ExportResponse {UUID, GTB_REFNO, GTB_GCB_TESCILNO,
  GTB_FIILI_IHRACAT_TARIHI, GTB_CEVAP_NOTU}`` (all from the OpenAPI; the reference's
  "CheckFromGib" for e-Arşiv reports is a different endpoint).
- Received invoices: ``GET /einvoice/Purchase`` answers ``PurchaseInvoiceResponsePagination``;
  ``DateFilterType`` is ``IssueDate`` or ``EnvelopeDate`` (the OpenAPI's enum) or
  ``CreatedDate`` (what Odoo's ``_l10n_tr_nilvera_get_documents`` sends in production: taken as
  the reception time, like ``EnvelopeDate``); anything else is 400. ``AnswerCode`` filters. ``POST /einvoice/Purchase/SendAnswer {UUID, AnswerCode, RejectNote}`` answers a
  received TICARIFATURA with ``approved`` or ``rejected`` (OpenAPI; 200 with a string, 409 when
  answered already, 422 for business rules); GİB allows it within 8 days of receipt, once, and
  only for a TICARIFATURA (GİB's e-Fatura guide; the codes for these refusals are the
  sandbox's own). ``GET /einvoice/Purchase/{UUID}/Status`` answers the ``StatusResponse``.
- Credits: ``GET /general/Credits`` (OpenAPI ``CreditResponse`` list); each accepted document
  spends one credit *(uncertain)*; none left refuses a send with 422 / 2000, an expired package
  with 422 / 2075 (Odoo ``const.py``); a refused document spends nothing. See :mod:`.credits`.
- The model and draft flow: :mod:`.drafts` and :mod:`.model`.
"""

from __future__ import annotations

import asyncio
import base64
import math
import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import kervan_ubltr
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from kervan.domain import Address, DespatchAdvice, Party, PartyKind
from kervan.errors import InvalidInputError
from kervan.scenario import Scenario
from kervan.xml import parse_untrusted
from kervan_sdk.sandbox import Sandbox, SimClock
from kervan_ubltr import render

from ..mapping import EARCHIVE, EDESPATCH, EINVOICE, UBL_INVOICE
from . import drafts
from .buyer_returns import buyer_return_xml
from .credits import Credits
from .state import (
    ANSWER_CODES,
    ANSWER_OF,
    ANSWER_WINDOW,
    GIB_DELIVERY_FAILURES,
    ISTANBUL,
    SANDBOX_CODES,
    Envelope,
    IncomingDocument,
    Refusal,
    Registry,
    StoredDocument,
    bad_request,
    cancel_window_passed,
    check_channel_rules,
    envelope_uuid,
    list_date,
    list_int,
    local_iso,
    not_found,
    read_envelope,
)

DEMO_API_KEY = "nilvera-sandbox-key"


class _Gate:
    """Nilvera's gateway: outages (503) and bearer auth (401) before any route.

    A plain ASGI middleware: ``@app.middleware("http")`` would run every request through an
    extra task and memory streams."""

    def __init__(self, app: Any, sandbox: NilveraSandbox) -> None:
        self.app, self.sandbox = app, sandbox

    def _canonical(self, path: str) -> str:
        """Nilvera's paths are case-insensitive (Odoo calls ``/einvoice/sale/{uuid}/Status``
        and ``/earchive/invoices/{uuid}/pdf``): the first route whose literal segments match
        ignoring case gives the path its spelling; parameters keep theirs."""
        parts = path.split("/")
        folded = [p.casefold() for p in parts]
        for route in self.sandbox.app.routes:
            template = getattr(route, "path", None)
            if not isinstance(template, str):
                continue
            segments = template.split("/")
            if len(segments) != len(parts):
                continue
            if all(
                t.startswith("{") or t.casefold() == f
                for t, f in zip(segments, folded, strict=True)
            ):
                return "/".join(
                    p if t.startswith("{") else t for t, p in zip(segments, parts, strict=True)
                )
        return path

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            canonical = self._canonical(scope.get("path", ""))
            if canonical != scope.get("path"):
                scope = {**scope, "path": canonical, "raw_path": canonical.encode("utf-8")}
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/public/"):
            await self.app(scope, receive, send)
            return
        sb = self.sandbox
        refusal: Response | None = None
        if sb._outage or (sb._lookup_outage and path.startswith("/general/GlobalCompany")):
            body = {"Errors": [{"Code": 503, "Description": "Service Unavailable"}]}
            refusal = JSONResponse(body, 503)
        else:
            auth = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
            token = auth.decode("latin-1")
            if not token.startswith("Bearer ") or token[7:] not in sb.api_keys:
                refusal = Response(status_code=401)
        if refusal is not None:
            await refusal(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _gib_rules(xml: bytes) -> kervan_ubltr.ValidationReport:
    """GİB's XSD and schematron, as Nilvera checks an upload."""
    return kervan_ubltr.validate(xml, arithmetic=False)


def _answer(code: str, answer: tuple[str, str, datetime] | None) -> dict[str, Any]:
    """The ``Answer`` object of a status: ``{AnswerCode, AnswerNote, Description}``."""
    text = {
        "unknown": None,
        "waitingForApproval": "Yanıt bekleniyor",
        "approved": "Kabul edildi",
        "rejected": "Reddedildi",
    }.get(code)
    return {"AnswerCode": code, "AnswerNote": answer[1] if answer else None, "Description": text}


def _gib_check(
    uuid: str, code: int, text: str, answer: tuple[str, str, datetime] | None
) -> dict[str, Any]:
    """``…CheckFromGibResponse``: the document's GİB envelope and, once answered, the
    answer's (an application response travels in an envelope of its own)."""
    answered = answer is not None and answer[0] in ("approved", "rejected")
    return {
        "EnvelopeUUID": envelope_uuid(uuid),
        "EnvelopeGibCode": str(code),
        "EnvelopeDescription": text,
        "AnswerEnvelopeUUID": envelope_uuid(f"answer:{uuid}") if answered else None,
        "AnswerEnvelopeGibCode": "1300" if answered else None,
        "AnswerEnvelopeDescription": "BASARIYLA TAMAMLANDI" if answered else None,
    }


def _detail_fields(env: Envelope, received_at: datetime) -> dict[str, Any]:
    return {
        "UUID": env.uuid,
        "InvoiceType": env.type_code,
        "InvoiceProfile": env.profile,
        "InvoiceNumber": env.number,
        "UBLVersionID": env.ubl_version,
        "CustomizationID": env.customization,
        "SendDate": local_iso(received_at),
        "IssueDate": env.issue_date.isoformat() if env.issue_date else None,
        "CurrencyCode": env.currency,
        "NumberOfItems": env.line_count,
        "InvoiceAmount": env.payable,
        "TaxAmount": env.tax_total,
        "AdditionalDocumentCount": env.additional_documents,
    }


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise bad_request("body", "Geçerli bir JSON nesnesi olmalıdır") from None
    if not isinstance(body, dict):
        raise bad_request("body", "Geçerli bir JSON nesnesi olmalıdır")
    return body


#: ``GET /einvoice/Purchase`` paging: the default and largest ``PageSize`` (a third-party
#: client caps it at 100; Nilvera's own limit is not documented in our sources)
PURCHASE_PAGE_SIZE = 50
PURCHASE_MAX_PAGE_SIZE = 100

DEFAULT_SERIES = {EINVOICE: ["KRV", "KRE"], EARCHIVE: ["KRA", "KRM"], EDESPATCH: ["KRI"]}
_SEGMENT = {EINVOICE: "Sale", EARCHIVE: "Invoices", EDESPATCH: "Sale"}


class NilveraSandbox(Sandbox):
    """Nilvera for one account (one tenant), on simulated time."""

    name: ClassVar[str] = "nilvera"

    def __init__(
        self,
        *,
        clock: SimClock | None = None,
        seed: int = 0,
        api_key: str = DEMO_API_KEY,
        accept_after_s: float = 120.0,
        cancel_window_days: int = 7,
        gib_rejection_share: float = 0.02,
        answer_after_s: float = 4 * 3600.0,
        default_receiver_answer: str | None = "KABUL",
        credits: int = 100_000,
    ) -> None:
        if not 0.0 <= gib_rejection_share <= 1.0:
            raise ValueError("gib_rejection_share is a share of documents, between 0 and 1")
        if default_receiver_answer not in (None, "KABUL", "RED"):
            raise ValueError("default_receiver_answer is KABUL, RED or None (never answers)")
        self.api_keys = {api_key}
        self.accept_after_s = accept_after_s
        self.cancel_window_days = cancel_window_days
        #: share of accepted e-Fatura / e-İrsaliye documents GİB later rejects (seeded draws)
        self.gib_rejection_share = gib_rejection_share
        self._gib_draws = random.Random(f"{seed}:gib-rejections")
        #: how long after GİB's delivery a receiver answers a TICARIFATURA
        self.answer_after_s = answer_after_s
        #: what a receiver not named in ``receiver_answers`` answers (None: it never does)
        self.default_receiver_answer = default_receiver_answer
        #: the account's credit package (``GET /general/Credits``); one credit per document
        self.credits = Credits(total=credits)
        #: drafts (``/…/Draft/Create``) by lower-case UUID
        self.drafts: dict[str, drafts.Draft] = {}
        #: the next ordinal per (channel, series, year) for numbers Nilvera assigns to models
        self.ordinals: dict[tuple[str, str, int], int] = {}
        self.registry = Registry()
        self.company: dict[str, Any] = {}
        self.series: dict[str, list[dict[str, Any]]] = {}
        #: every document received, by lower-case UUID
        self.documents: dict[str, StoredDocument] = {}
        #: e-Fatura documents other taxpayers sent to the account, by lower-case UUID
        self.incoming: dict[str, IncomingDocument] = {}
        #: how receivers answer a TICARIFATURA ``answer_after_s`` after GİB delivered it:
        #: tax id → KABUL or RED (others answer ``default_receiver_answer``)
        self.receiver_answers: dict[str, str] = {}
        self._outage = False
        self._lookup_outage = False
        #: how many IADEs :meth:`deliver_buyer_return` has made (their numbers' ordinal)
        self._buyer_returns = 0
        super().__init__(clock=clock, seed=seed)
        self.set_company("4540536920", "Kervan Demo Ticaret A.Ş.", tax_office="Kadıköy")
        for channel, names in DEFAULT_SERIES.items():
            for name in names:
                self.add_series(channel, name)

    # -- set-up ------------------------------------------------------------------------------

    def set_company(
        self,
        tax_id: str,
        title: str,
        *,
        tax_office: str = "",
        gb: str = "urn:mail:defaultgb@kervan.demo",
        pk: str = "urn:mail:defaultpk@kervan.demo",
        city: str = "İstanbul",
        district: str = "Kadıköy",
    ) -> None:
        """The account's own company; it is a registered user with one GB and one PK alias."""
        old = self.company.get("TaxNumber")
        if old and old != tax_id:
            self.registry.taxpayers.pop(old, None)
        self.company = {
            "TaxNumber": tax_id,
            "Name": title,
            "TaxOffice": tax_office,
            "Address": "",
            "District": district,
            "City": city,
            "Country": "Türkiye",
            "PostalCode": "",
            "PhoneNumber": "",
            "Email": "",
        }
        self.registry.taxpayers.pop(tax_id, None)
        self.registry.add(tax_id, title, pk=[pk], gb=[gb], despatch_pk=[pk])

    def add_taxpayer(
        self,
        tax_id: str,
        title: str,
        *,
        pk: list[str] | tuple[str, ...],
        gb: list[str] | tuple[str, ...] = (),
        despatch_pk: list[str] | tuple[str, ...] = (),
    ) -> None:
        """Register an e-Fatura user (and e-İrsaliye user when ``despatch_pk`` is given)."""
        self.registry.add(
            tax_id, title, pk=pk, gb=gb, despatch_pk=despatch_pk, registered_at=self.clock.now()
        )

    def seller_party(self) -> Party:
        """The account's company as the seller of a model it sends."""
        c = self.company
        return Party(
            kind=PartyKind.PERSON if len(c["TaxNumber"]) == 11 else PartyKind.COMPANY,
            tax_id=c["TaxNumber"],
            company_name=c["Name"],
            first_name=c["Name"].rpartition(" ")[0] or c["Name"],
            last_name=c["Name"].rpartition(" ")[2],
            tax_office=c["TaxOffice"] or None,
            address=Address(
                lines=[c["Address"] or "-"], district=c["District"] or "-", city=c["City"] or "-"
            ),
        )

    def default_series(self, channel: str) -> str:
        entries = [e for e in self.series.get(channel, []) if e["IsActive"]]
        chosen = next((e for e in entries if e["IsDefault"]), entries[0] if entries else None)
        if chosen is None:
            raise Refusal(422, 2065, "Fatura seri alanı boş olamaz", "no active series")
        return str(chosen["Name"])

    def add_series(self, channel: str, name: str, *, default: bool = False) -> None:
        entries = self.series.setdefault(channel, [])
        if not any(e["Name"] == name for e in entries):
            entries.append({"Name": name, "IsActive": True, "IsDefault": default, "Details": []})

    def seed_scenario(self, scenario: Scenario) -> None:
        """The seller becomes the account; ``scenario.registered`` buyers become e-Fatura users."""
        seller = scenario.seller
        gb, pk = scenario.seller_aliases
        address = seller.address
        self.set_company(
            seller.tax_id,
            seller.display_name,
            tax_office=seller.tax_office or "",
            gb=gb,
            pk=pk,
            city=address.city if address else "İstanbul",
            district=address.district if address else "Kadıköy",
        )
        titles = {o.buyer.tax_id: o.buyer.display_name for o in scenario.orders}
        for tax_id, alias in scenario.registered.items():
            self.add_taxpayer(tax_id, titles.get(tax_id, f"Mükellef {tax_id}"), pk=[alias])

    def demo_settings(self, base_url: str) -> dict[str, Any]:
        """Connection settings for the ``nilvera`` connector pointed at this sandbox."""
        return {
            "api_key": next(iter(self.api_keys)),
            "base_url": base_url,
            "public_pdf_url_template": base_url.rstrip("/") + "/public/earchive/{uuid}.pdf",
        }

    # -- test and demo controls -----------------------------------------------------------------

    def outage(self, on: bool = True, *, lookup_only: bool = False) -> None:
        """Answer 503 to everything (or only the registered-user lookups) until switched off."""
        if lookup_only:
            self._lookup_outage = on
        else:
            self._outage = on

    def reject_on_delivery(
        self, uuid: str, reason: str = "GİB: alıcıya iletilemedi", *, gib_code: int = 1230
    ) -> None:
        """Make GİB reject a received document once its waiting time is over."""
        doc = self.documents[uuid.lower()]
        doc.rejection, doc.gib_code = reason, gib_code

    def set_credits(self, remaining: int, *, expires_at: datetime | None = None) -> None:
        """Leave the account ``remaining`` credits (0: the next send is refused, code 2000);
        ``expires_at`` in the past makes every send fail with code 2075."""
        self.credits.total = self.credits.used + remaining
        self.credits.expires_at = expires_at

    def register_export(self, uuid: str, gcb_no: str, exported_on: str) -> None:
        """Customs (GTB) closes an IHRACAT e-Fatura: its GCB registration and export date, as
        ``GET /einvoice/Sale/{UUID}/CheckFromGtb`` then answers them."""
        self.documents[uuid.lower()].customs = (gcb_no, exported_on)

    def _spontaneous_rejection(self, doc: StoredDocument) -> None:
        """GİB rejects a seeded share of the e-Fatura / e-İrsaliye documents Nilvera accepted
        (the receiver's post box fails, …): one draw per accepted document from a stream of
        its own seeded with ``seed``, so the same run of documents meets the same rejections."""
        if doc.channel == EARCHIVE or not self.gib_rejection_share:
            return
        if self._gib_draws.random() < self.gib_rejection_share:
            code = self._gib_draws.choice(sorted(GIB_DELIVERY_FAILURES))
            doc.rejection = f"GİB {code}: {GIB_DELIVERY_FAILURES[code]}"
            doc.gib_code = code

    def _receiver_answer(self, doc: StoredDocument) -> tuple[str, str, datetime] | None:
        """The receiver's answer to a delivered TICARIFATURA, once ``answer_after_s`` passed
        (fixed the first time it is seen, so it never changes afterwards)."""
        if doc.answer is None and doc.envelope.profile == "TICARIFATURA":
            now = self.clock.now()
            if doc.code(now, self.accept_after_s) != "succeed":
                return None
            delivered = doc.delivered_at(self.accept_after_s)
            arrives = delivered + timedelta(seconds=self.answer_after_s)
            said = self.receiver_answers.get(
                doc.envelope.customer_tax_id, self.default_receiver_answer
            )
            if said and now >= arrives and arrives <= delivered + ANSWER_WINDOW:
                note = "Alıcı faturayı reddetti" if said == "RED" else ""
                doc.answer = (ANSWER_OF[said], note, arrives)
        return doc.answer

    def receive_incoming(self, xml: bytes) -> str:
        """Deliver an e-Fatura another taxpayer sent to this account (a buyer's IADE, a
        supplier's SATIS); it is listed by ``GET /einvoice/Purchase``. Returns its UUID.

        Read with the core's hardened parser; refused (``InvalidInputError``) unless it is a
        UBL Invoice with a UUID, number, issue date and the sender's VKN/TCKN, addressed to the
        account's own tax id, and not already received.
        """
        root = parse_untrusted(xml, source="the incoming document")
        if root.tag != f"{{{UBL_INVOICE}}}Invoice":
            raise InvalidInputError("an incoming e-Fatura must be a UBL Invoice document")
        envelope = read_envelope(xml)
        missing = [
            name
            for name, value in (
                ("cbc:UUID", envelope.uuid),
                ("cbc:ID", envelope.number),
                ("cbc:IssueDate", envelope.issue_date),
                ("the sender's VKN/TCKN", envelope.supplier_tax_id),
            )
            if not value
        ]
        if missing:
            raise InvalidInputError(f"the incoming e-Fatura has no {', '.join(missing)}")
        if envelope.customer_tax_id != self.company["TaxNumber"]:
            raise InvalidInputError(
                f"the incoming e-Fatura is addressed to {envelope.customer_tax_id or 'nobody'}, "
                f"not to this account ({self.company['TaxNumber']})"
            )
        if envelope.uuid in self.incoming:
            raise InvalidInputError(f"e-Fatura {envelope.uuid} was received already")
        self.incoming[envelope.uuid] = IncomingDocument(envelope, xml, self.clock.now())
        return envelope.uuid

    def deliver_buyer_return(
        self,
        sale_uuid: str,
        quantities: dict[int, Decimal] | None = None,
        *,
        issued_at: datetime | None = None,
        uuid: str | None = None,
    ) -> str:
        """The registered buyer of the e-Fatura ``sale_uuid`` (sent through this sandbox)
        returns ``quantities`` of it (sale line id → units; default all): its IADE, with a
        ``cac:BillingReference`` to the sale, arrives in the account's incoming box (listed by
        ``GET /einvoice/Purchase``, found by the connector's ``incoming_returns``). Returns the
        IADE's UUID. See :mod:`.buyer_returns`."""
        sale = self.documents.get(sale_uuid.lower())
        if sale is None or sale.channel != EINVOICE:
            raise InvalidInputError(
                f"{sale_uuid} is not an e-Fatura sent through this sandbox: only a registered "
                "buyer issues a return invoice (a person's e-Arşiv gets a gider pusulası)"
            )
        self._buyer_returns += 1
        xml, _ = buyer_return_xml(
            sale.xml,
            quantities,
            ordinal=self._buyer_returns,
            issued_at=issued_at or self.clock.now(),
            uuid=uuid,
        )
        return self.receive_incoming(xml)

    def document_count(self, uuid: str | None = None) -> int:
        if uuid is None:
            return len(self.documents)
        return int(uuid.lower() in self.documents)

    def status_code(self, uuid: str) -> str:
        return self.documents[uuid.lower()].code(self.clock.now(), self.accept_after_s)

    # -- routes ---------------------------------------------------------------------------------

    def routes(self, app: FastAPI) -> None:
        app.add_middleware(_Gate, sandbox=self)

        @app.exception_handler(Refusal)
        async def refused(request: Request, refusal: Refusal) -> JSONResponse:
            return JSONResponse(refusal.body(), refusal.status)

        self._general_routes(app)
        for channel in (EINVOICE, EARCHIVE, EDESPATCH):
            self._channel_routes(app, channel)
        self._purchase_routes(app)
        drafts.routes(self, app)

        @app.get("/public/earchive/{name}")
        async def public_pdf(name: str) -> Response:
            doc = self._document(EARCHIVE, name.removesuffix(".pdf"))
            return Response(self._pdf(doc), media_type="application/pdf")

    def _general_routes(self, app: FastAPI) -> None:
        @app.get("/general/Company")
        async def company() -> dict[str, Any]:
            return self.company

        @app.get("/general/Credits")
        async def credits() -> list[dict[str, Any]]:
            return [self.credits.entry(self.company["TaxNumber"])]

        @app.get("/general/GlobalCompany/Check/TaxNumber/{tax_id}")
        async def check(tax_id: str, globalUserType: str = "Invoice") -> list[dict[str, Any]]:
            return self.registry.records(tax_id, globalUserType)

        @app.get("/general/GlobalCompany/GetGlobalCustomerInfo/{tax_id}")
        async def customer_info(tax_id: str, globalUserType: str = "Invoice") -> dict[str, Any]:
            # An unregistered tax id (or one with no alias for this document type) answers 200
            # with an empty alias list, as Odoo's tests mock it; no public source shows a
            # Nilvera error code for it. *(uncertain, see the package docstring)*
            records = self.registry.records(tax_id, globalUserType)
            known = self.registry.taxpayers.get(tax_id)
            return {
                "TaxNumber": tax_id,
                "Title": known.title if known else None,
                "Aliases": [
                    {k: r[k] for k in ("Name", "Type", "DocumentType", "CreationTime")}
                    for r in records
                ],
            }

    def _channel_routes(self, app: FastAPI, channel: str) -> None:
        segment = _SEGMENT[channel]

        @app.get(f"/{channel}/Series", name=f"{channel}_series")
        async def list_series() -> list[dict[str, Any]]:
            return self.series.get(channel, [])

        @app.post(f"/{channel}/Series", name=f"{channel}_add_series")
        async def add_series(request: Request) -> dict[str, Any]:
            body = await request.json()
            name = str(body.get("Name") or "")
            if len(name) != 3 or not name.isalnum() or not name.isupper():
                raise Refusal(
                    422, 2065, "Fatura seri alanı boş olamaz", "Name must be 3 characters"
                )
            if any(e["Name"] == name for e in self.series.get(channel, [])):
                raise Refusal(409, 1015, "Kayıt daha önce eklenmiş", name)
            self.add_series(channel, name, default=bool(body.get("IsDefault")))
            return {"Name": name}

        @app.post(f"/{channel}/Send/Xml", name=f"{channel}_send_xml")
        async def send_xml(request: Request, Alias: str | None = None) -> dict[str, Any]:
            form = await request.form()
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise Refusal(
                    400, 2015, "Şema/Şematron hatası", "multipart field 'file' is required"
                )
            xml = await upload.read()
            doc = await self._receive(channel, xml, Alias)
            return {"UUID": doc.uuid, "InvoiceNumber": doc.envelope.number}

        @app.get(f"/{channel}/{segment}/{{uuid}}/Status", name=f"{channel}_status")
        async def status(uuid: str) -> dict[str, Any]:
            return self._status_body(channel, self._document(channel, uuid))

        @app.get(f"/{channel}/{segment}/{{uuid}}/Details", name=f"{channel}_details")
        async def details(uuid: str) -> dict[str, Any]:
            return self._details(channel, self._document(channel, uuid))

        if channel == EINVOICE:

            @app.get(f"/{channel}/{segment}/{{uuid}}/CheckFromGib", name=f"{channel}_gib")
            async def check_from_gib(uuid: str) -> dict[str, Any]:
                doc = self._document(channel, uuid)
                code, text = doc.gib(self.clock.now(), self.accept_after_s)
                answer = self._receiver_answer(doc)
                return _gib_check(doc.uuid, code, text, answer)

            @app.get(f"/{channel}/{segment}/{{uuid}}/EnvelopeInfo", name=f"{channel}_envelope")
            async def envelope_info(uuid: str) -> dict[str, Any]:
                doc = self._document(channel, uuid)
                code, text = doc.gib(self.clock.now(), self.accept_after_s)
                return {
                    "GIBCode": str(code),
                    "GIBDescription": text,
                    "EnvelopeUUID": envelope_uuid(doc.uuid),
                }

            @app.get(f"/{channel}/{segment}/{{uuid}}/CheckFromGtb", name=f"{channel}_gtb")
            async def check_from_gtb(uuid: str) -> dict[str, Any]:
                return self._customs(self._document(channel, uuid))

        @app.get(f"/{channel}/{segment}/{{uuid}}/{{what}}", name=f"{channel}_download")
        async def download(uuid: str, what: str) -> Any:
            doc = self._document(channel, uuid)
            what = what.lower()
            if what == "pdf":
                return base64.b64encode(self._pdf(doc)).decode("ascii")
            if what == "html":
                return self._html(doc)
            if what == "xml":
                return doc.xml.decode("utf-8")
            raise Refusal(404, 3030, "API bulunamadı", what)

        if channel == EARCHIVE:

            @app.put(f"/{channel}/{segment}/{{uuid}}/Cancel", name=f"{channel}_cancel")
            async def cancel(uuid: str) -> Any:
                self._cancel(self._document(channel, uuid))
                return True

    def _purchase_routes(self, app: FastAPI) -> None:
        @app.get("/einvoice/Purchase")
        async def purchases(request: Request) -> dict[str, Any]:
            """The received e-Fatura list: filtered by issue date (or by ``CreatedDate``, the
            reception time, with ``DateFilterType=CreatedDate``), oldest received first."""
            query = request.query_params
            page = list_int("Page", query.get("Page"), 1, 1, 1_000_000)
            size = list_int(
                "PageSize", query.get("PageSize"), PURCHASE_PAGE_SIZE, 1, PURCHASE_MAX_PAGE_SIZE
            )
            start = list_date("StartDate", query.get("StartDate"))
            end = list_date("EndDate", query.get("EndDate"))
            # the OpenAPI's enum is IssueDate | EnvelopeDate; Odoo's production code sends
            # CreatedDate (the reception time, as EnvelopeDate here), so it is taken too
            by = query.get("DateFilterType") or "IssueDate"
            if by not in ("IssueDate", "EnvelopeDate", "CreatedDate"):
                raise bad_request("DateFilterType", f"{by!r} is not IssueDate or EnvelopeDate")
            answers = query.getlist("AnswerCode")
            if unknown := [a for a in answers if a not in ANSWER_CODES]:
                raise bad_request("AnswerCode", f"{unknown[0]!r} is not an AnswerCode")
            chosen = []
            for doc in sorted(self.incoming.values(), key=lambda d: (d.received_at, d.uuid)):
                if answers and doc.answer_code() not in answers:
                    continue
                if by in ("EnvelopeDate", "CreatedDate"):
                    when = doc.received_at
                else:
                    issued = doc.envelope.issue_date
                    assert issued is not None  # receive_incoming refuses a document without
                    when = datetime.combine(issued, time(), ISTANBUL)
                if (start is None or when >= start) and (end is None or when <= end):
                    chosen.append(doc)
            first = (page - 1) * size
            return {
                "Page": page,
                "PageSize": size,
                "TotalCount": len(chosen),
                "TotalPages": math.ceil(len(chosen) / size),
                "Content": [
                    d.list_entry(self.company["TaxNumber"]) for d in chosen[first : first + size]
                ],
            }

        @app.post("/einvoice/Purchase/SendAnswer")
        async def send_answer(request: Request) -> str:
            """The account answers a received TICARIFATURA (KABUL: ``approved``, RED:
            ``rejected``) within GİB's 8 days; once only."""
            body = await _json_object(request)
            doc = self._incoming(str(body.get("UUID") or ""))
            code = body.get("AnswerCode")
            if code not in ANSWER_CODES:
                raise bad_request("AnswerCode", f"{code!r} is not an AnswerCode")
            if code not in ("approved", "rejected"):
                raise bad_request("AnswerCode", "an answer is approved or rejected")
            if doc.envelope.profile != "TICARIFATURA":
                raise Refusal(422, 4030, SANDBOX_CODES[4030], doc.envelope.profile)
            if doc.answer is not None:
                raise Refusal(409, 4031, SANDBOX_CODES[4031], doc.answer[0])
            now = self.clock.now()
            if now > doc.received_at + ANSWER_WINDOW:
                raise Refusal(422, 4032, SANDBOX_CODES[4032], local_iso(doc.received_at) or "")
            doc.answer = (str(code), str(body.get("RejectNote") or ""), now)
            return doc.uuid

        @app.get("/einvoice/Purchase/{uuid}/Status")
        async def purchase_status(uuid: str) -> dict[str, Any]:
            doc = self._incoming(uuid)
            env = doc.envelope
            return {
                "InvoiceProfile": env.profile,
                "IssueDate": f"{env.issue_date.isoformat()}T00:00:00" if env.issue_date else None,
                "Answer": _answer(doc.answer_code(), doc.answer),
                "InvoiceStatus": {
                    "Code": "succeed",
                    "Description": "Başarıyla alındı",
                    "DetailDescription": "Başarıyla alındı",
                },
                "EnvelopeInfo": {
                    "UUID": envelope_uuid(doc.uuid),
                    "GIBCode": 1300,
                    "GIBDescription": "BASARIYLA TAMAMLANDI",
                    "CreatedDate": local_iso(doc.received_at),
                },
            }

        @app.get("/einvoice/Purchase/{uuid}/Details")
        async def purchase_details(uuid: str) -> dict[str, Any]:
            doc = self._incoming(uuid)
            return {
                **_detail_fields(doc.envelope, doc.received_at),
                "EnvelopeUUID": envelope_uuid(doc.uuid),
                "AnswerCode": doc.answer_code(),
            }

        @app.get("/einvoice/Purchase/{uuid}/CheckFromGib")
        async def purchase_check_from_gib(uuid: str) -> dict[str, Any]:
            doc = self._incoming(uuid)
            return _gib_check(doc.uuid, 1300, "BASARIYLA TAMAMLANDI", doc.answer)

        @app.get("/einvoice/Purchase/{uuid}/{what}")
        async def purchase_download(uuid: str, what: str) -> Any:
            doc = self._incoming(uuid)
            what = what.lower()
            if what == "xml":
                return doc.xml.decode("utf-8", errors="replace")
            if what == "pdf":
                return base64.b64encode(self._pdf(doc)).decode("ascii")
            if what == "html":
                return self._html(doc)
            raise Refusal(404, 3030, "API bulunamadı", what)

    # -- behaviour ----------------------------------------------------------------------------

    async def _receive(
        self, channel: str, xml: bytes, alias: str | None, *, source: str = "xml"
    ) -> StoredDocument:
        envelope: Envelope = read_envelope(xml)
        self._refuse_duplicate(envelope)
        if envelope.supplier_tax_id != self.company["TaxNumber"]:
            raise Refusal(
                409, 1000, "Gönderilen VKN/TCKN firmayla eşleşmiyor", envelope.supplier_tax_id
            )
        series = envelope.number[:3]
        if not any(e["Name"] == series and e["IsActive"] for e in self.series.get(channel, [])):
            raise Refusal(404, 3009, "Belgenin serisi tanımlı değil", series)
        check_channel_rules(channel, envelope, alias, self.registry)
        # what GİB's rules say (as Nilvera checks), not Kervan's stricter arithmetic; off the
        # event loop, so a sandbox served in-process does not stall its caller's other work
        report = await asyncio.to_thread(_gib_rules, xml)
        if not report.ok:
            detail = "; ".join(f"{i.rule}: {i.message}" for i in report.errors[:10])
            raise Refusal(422, 2015, "Şema/Şematron hatası", detail)
        self._refuse_duplicate(envelope)  # the same UUID may have arrived meanwhile
        # a valid document costs a credit; none left (or the package expired) refuses it
        self.credits.spend(self.clock.now())
        doc = StoredDocument(
            channel, envelope, alias, xml, received_at=self.clock.now(), source=source
        )
        self._spontaneous_rejection(doc)
        self.documents[doc.uuid] = doc
        return doc

    def next_number(self, channel: str, series: str, year: int) -> str:
        """The next GİB number in ``series`` for ``year`` (what Nilvera assigns a model sent
        with a 3-character ``InvoiceSerieOrNumber``); the series must be defined (3009)."""
        entries = self.series.get(channel, [])
        entry = next((e for e in entries if e["Name"] == series and e["IsActive"]), None)
        if entry is None:
            raise Refusal(404, 3009, "Seri Firmaya Tanımlı Değil", series)
        prefix = f"{series}{year}"
        used = [
            int(d.envelope.number[7:])
            for d in self.documents.values()
            if d.channel == channel
            and d.envelope.number.startswith(prefix)
            and d.envelope.number[7:].isdigit()
        ]
        key = (channel, series, year)
        ordinal = max([self.ordinals.get(key, 0), *used]) + 1
        self.ordinals[key] = ordinal
        details = [d for d in entry["Details"] if d.get("Year") != year]
        entry["Details"] = [*details, {"Year": year, "OrdinalNumber": ordinal}]
        return f"{prefix}{ordinal:09d}"

    def _refuse_duplicate(self, envelope: Envelope) -> None:
        if envelope.uuid in self.documents:
            raise Refusal(409, 1001, "Nilvera UUID (ETTN) sistemde kayıtlıdır", envelope.uuid)

    def _document(self, channel: str, uuid: str) -> StoredDocument:
        doc = self.documents.get(uuid.lower())
        if doc is None or doc.channel != channel:
            raise not_found(uuid)
        return doc

    def _incoming(self, uuid: str) -> IncomingDocument:
        doc = self.incoming.get(uuid.lower())
        if doc is None:
            raise not_found(uuid)
        return doc

    def _status_body(self, channel: str, doc: StoredDocument) -> dict[str, Any]:
        """``StatusResponse`` of Nilvera's OpenAPI: e-Fatura ``{InvoiceProfile, IssueDate,
        Answer{AnswerCode, AnswerNote, Description}, InvoiceStatus{Code, Description,
        DetailDescription}, EnvelopeInfo{UUID, GIBCode, GIBDescription, CreatedDate}}``;
        e-Arşiv ``{StatusCode, StatusDetail, ReportStatus, CancelStatus}``."""
        now = self.clock.now()
        code = doc.code(now, self.accept_after_s)
        description = {
            "waiting": "GİB'e gönderilmek üzere kuyrukta",
            "succeed": "Başarıyla iletildi",
            "error": "Hata",
        }[code]
        detail = doc.rejection if code == "error" else description
        if channel == EARCHIVE:
            issued = doc.envelope.issue_date
            reported = issued is not None and now.astimezone(ISTANBUL).date() > issued
            return {
                "UUID": doc.uuid,
                "InvoiceNumber": doc.envelope.number,
                "StatusCode": code,
                "StatusDetail": detail,
                "ReportStatus": "Reported" if reported and code == "succeed" else "NotReported",
                "CancelStatus": doc.cancelled_at is not None,
            }
        status = {"Code": code, "Description": description, "DetailDescription": detail}
        if channel == EDESPATCH:
            # no e-Despatch OpenAPI is published; Odoo's e-Dispatch module reads this shape
            # (odoo/odoo addons/l10n_tr_nilvera_edispatch/models/stock_picking.py)
            return {"DespatchStatus": status}
        gib_code, gib_text = doc.gib(now, self.accept_after_s)
        issued = doc.envelope.issue_date
        self._receiver_answer(doc)
        return {
            "InvoiceProfile": doc.envelope.profile,
            "IssueDate": f"{issued.isoformat()}T00:00:00" if issued else None,
            "Answer": _answer(doc.answer_code(), doc.answer),
            "InvoiceStatus": status,
            "EnvelopeInfo": {
                "UUID": envelope_uuid(doc.uuid),
                "GIBCode": gib_code,
                "GIBDescription": gib_text,
                "CreatedDate": local_iso(doc.received_at),
            },
        }

    def _details(self, channel: str, doc: StoredDocument) -> dict[str, Any]:
        """``SaleInvoiceDetailResponse`` / ``EArchiveInvoiceDetailResponse``."""
        body = _detail_fields(doc.envelope, doc.received_at)
        if channel == EARCHIVE:
            return {**body, "ReportUUID": None}
        self._receiver_answer(doc)
        return {
            **body,
            "EnvelopeUUID": envelope_uuid(doc.uuid),
            "EnvelopeAlias": doc.alias,
            "AnswerCode": doc.answer_code(),
        }

    def _customs(self, doc: StoredDocument) -> dict[str, Any]:
        """``ExportResponse``: customs' (GTB's) record of an IHRACAT e-Fatura: a reference once
        GİB delivered it to customs, the GCB registration and export date once customs closed
        it (:meth:`register_export`). Any other e-Fatura has no customs record: every field but
        the UUID is null *(uncertain: Nilvera's answer for a non-export is not published)*."""
        delivered = doc.code(self.clock.now(), self.accept_after_s) == "succeed"
        export = doc.envelope.profile == "IHRACAT" and delivered
        gcb, exported_on = doc.customs or (None, None)
        return {
            "UUID": doc.uuid,
            "GTB_REFNO": f"GTB{doc.uuid.replace('-', '')[:14].upper()}" if export else None,
            "GTB_GCB_TESCILNO": gcb if export else None,
            "GTB_FIILI_IHRACAT_TARIHI": exported_on if export else None,
            "GTB_CEVAP_NOTU": ("Kapandı" if gcb else "Beklemede") if export else None,
        }

    def _cancel(self, doc: StoredDocument) -> None:
        now: datetime = self.clock.now()
        if doc.cancelled_at is not None:
            raise Refusal(422, 4010, SANDBOX_CODES[4010], doc.uuid)
        if doc.code(now, self.accept_after_s) == "error":
            raise Refusal(422, 4012, SANDBOX_CODES[4012], doc.uuid)
        if cancel_window_passed(doc.envelope.issue_date, now, self.cancel_window_days):
            raise Refusal(422, 4011, SANDBOX_CODES[4011], f"{self.cancel_window_days} days")
        doc.cancelled_at = now

    def _pdf(self, doc: StoredDocument | IncomingDocument) -> bytes:
        parsed = kervan_ubltr.parse(doc.xml)
        if isinstance(parsed, DespatchAdvice):
            return render.render_despatch_pdf(parsed)
        return render.render_invoice_pdf(parsed)

    def _html(self, doc: StoredDocument | IncomingDocument) -> str:
        parsed = kervan_ubltr.parse(doc.xml)
        if isinstance(parsed, DespatchAdvice):
            return render.render_despatch_html(parsed)
        return render.render_invoice_html(parsed)


__all__ = ["DEMO_API_KEY", "NilveraSandbox"]
