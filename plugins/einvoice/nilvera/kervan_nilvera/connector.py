"""The Nilvera connector: document issuer and tax classifier for one tenant's account."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx
import kervan_ubltr
from kervan import (
    Alias,
    CheckResult,
    ConnectorContext,
    ConnectorSettings,
    DocumentIssuer,
    IncomingReturn,
    Registration,
    Submission,
    TaxClassifier,
)
from kervan.domain import (
    DespatchAdvice,
    DocumentKind,
    DocumentStatus,
    ExpenseVoucher,
    Invoice,
)
from kervan.errors import (
    AuthError,
    ConflictError,
    InvalidInputError,
    InvalidResponseError,
    KervanError,
    RemoteRejectedError,
)
from kervan_ubltr import render

from . import mapping
from .client import PURCHASE_PAGE_SIZE, NilveraClient
from .mapping import (
    DESPATCH_GIB_ALIAS,
    EARCHIVE,
    EDESPATCH,
    EINVOICE,
    EXPORT_ALIAS,
    REMOTE,
    USER_TYPE,
    channel_of,
)
from .settings import NilveraSettings

ISTANBUL = ZoneInfo("Europe/Istanbul")
#: a stop for a list that never ends (a remote repeating TotalPages wrongly): 100,000 documents
MAX_PURCHASE_PAGES = 1000


class Nilvera(TaxClassifier, DocumentIssuer):
    """Nilvera (GİB special integrator): e-Fatura, e-Arşiv, e-İrsaliye and the user lookup."""

    key: ClassVar[str] = "nilvera"
    display_name: ClassVar[str] = "Nilvera"
    requires_core: ClassVar[str] = ">=0.1,<0.2"
    Settings: ClassVar[type[ConnectorSettings]] = NilveraSettings
    #: 2: ``lookup_cache_ttl_s`` is gone (the engine alone keeps registry answers)
    settings_version: ClassVar[int] = 2
    sandbox: ClassVar[str | None] = "kervan_nilvera.sandbox:NilveraSandbox"

    settings: NilveraSettings

    def __init__(self, settings: ConnectorSettings, context: ConnectorContext) -> None:
        super().__init__(settings, context)
        assert isinstance(settings, NilveraSettings)
        self.client = NilveraClient(
            settings.base_url,
            settings.api_key.get_secret_value(),
            context=context,
            timeout=settings.timeout_s,
        )
        self._sender_aliases: list[str] | None = None
        #: lower-case UUID → service, for exports (IHRACAT e-Fatura or micro-export e-Arşiv)
        self._channels: dict[str, str] = {}
        #: ``PageSize`` asked of the received e-Fatura list
        self.purchase_page_size = PURCHASE_PAGE_SIZE

    @classmethod
    def migrate_settings(cls, old: dict[str, Any], from_version: int) -> dict[str, Any]:
        """Version 1 kept registry answers itself for ``lookup_cache_ttl_s``; the engine owns
        that rule now, so a connection stored with the field loads without it."""
        new = dict(old)
        if from_version < 2:
            new.pop("lookup_cache_ttl_s", None)
        return new

    async def aclose(self) -> None:
        await self.client.aclose()

    # ----------------------------------------------------------------------------------------
    # tax classifier

    async def lookup(self, tax_id: str) -> Registration:
        """Is ``tax_id`` a registered e-Fatura user? Asks Nilvera every time.

        The connector keeps no answer: the engine decides which answers may be reused (a
        positive one for a while, a negative one never). An outage raises
        ``RemoteUnavailableError`` and an ambiguous answer ``InvalidResponseError`` (both
        retryable): never "not registered".
        """
        return await self._lookup(tax_id, USER_TYPE[EINVOICE])

    async def _lookup(self, tax_id: str, user_type: str) -> Registration:
        tax_id = tax_id.strip()
        if not tax_id.isdigit() or len(tax_id) not in (10, 11):
            raise InvalidInputError("a tax id is 10 digits (VKN) or 11 digits (TCKN)")
        now = self.context.clock()
        try:
            body = await self.client.check_tax_number(tax_id, user_type)
        except RemoteRejectedError as exc:
            if exc.status == 404:
                # a 404 is not "not registered" (that is an empty list): it is an answer we
                # cannot trust either way, so the order waits
                raise InvalidResponseError(
                    "Nilvera answered 404 to the registered-user check", remote=REMOTE, status=404
                ) from exc
            raise
        return mapping.registration_from_check(tax_id, body, now, user_type)

    # ----------------------------------------------------------------------------------------
    # building and rendering (kervan-ubltr)

    def build_xml(self, document: Invoice | DespatchAdvice) -> bytes:
        """The UBL-TR XML through :func:`kervan_ubltr.build_valid`: validated in full, or, for
        a numbered invoice whose draft passed in full (its ``checked_digest`` still matches its
        content), GİB's XSD and exact checks on what numbering wrote."""
        return kervan_ubltr.build_valid(document)

    def render_pdf(self, document: Invoice | DespatchAdvice | ExpenseVoucher) -> bytes:
        if isinstance(document, Invoice):
            return render.render_invoice_pdf(document)
        if isinstance(document, DespatchAdvice):
            return render.render_despatch_pdf(document)
        return render.render_expense_voucher_pdf(document)

    # ----------------------------------------------------------------------------------------
    # submission

    async def submit(self, document: Invoice | DespatchAdvice, xml: bytes) -> Submission:
        """Send the UBL to Nilvera; idempotent by UUID.

        e-Fatura goes to the buyer's PK alias, export e-Fatura to GİB's customs post box,
        e-Arşiv without an alias, e-İrsaliye to the receiver's e-İrsaliye PK (or GİB's). A lost
        answer is resolved by looking the UUID up before sending again, and a resend Nilvera
        already has (409, code 1001/1004/1015) comes back as ``already_existed``. A document
        Nilvera refuses as invalid for GİB comes back ``REJECTED`` with Nilvera's reason.
        """
        kind = DocumentKind.DESPATCH if isinstance(document, DespatchAdvice) else document.kind
        channel = mapping.channel_for(kind, getattr(document, "profile", None))
        alias = await self._receiver_alias(document, channel)
        if channel == EINVOICE and isinstance(document, Invoice) and kind is DocumentKind.EFATURA:
            await self._check_sender_alias(document)
        self._channels[document.uuid.lower()] = channel
        try:
            return await self._send(channel, document.uuid, xml, alias, create_series=True)
        except RemoteRejectedError as exc:
            return self._rejected(document.uuid, exc)

    async def _send(
        self, channel: str, uuid: str, xml: bytes, alias: str | None, *, create_series: bool
    ) -> Submission:
        found: list[httpx.Response] = []

        async def lookup() -> httpx.Response | None:
            response = await self.client.status_response(channel, uuid)
            if response.status_code == 404:
                return None
            found.append(response)
            return response

        try:
            response = await self.client.send_xml(channel, uuid, xml, alias, lookup)
        except ConflictError as exc:
            if not _codes(exc) & mapping.ALREADY_EXISTS_CODES:
                raise
            return await self._existing(channel, uuid, "Nilvera already had this UUID")
        except RemoteRejectedError as exc:
            if create_series and mapping.SERIES_NOT_DEFINED in _codes(exc):
                await self.client.create_series(channel, mapping.series_of(xml))
                return await self._send(channel, uuid, xml, alias, create_series=False)
            raise
        if found:
            status, detail = mapping.parse_status(channel, _json_or_none(found[0]))
            return Submission(
                uuid=uuid,
                status=status,
                remote_id=uuid,
                detail=detail or "found by UUID after a lost answer; not sent twice",
                already_existed=True,
            )
        body = _json_or_none(response)
        number = body.get("InvoiceNumber") if isinstance(body, dict) else None
        remote_uuid = body.get("UUID") if isinstance(body, dict) else None
        if remote_uuid and str(remote_uuid).lower() != uuid.lower():
            raise InvalidResponseError(
                "Nilvera stored the document under another UUID", remote=REMOTE
            )
        return Submission(
            uuid=uuid,
            status=DocumentStatus.QUEUED,
            remote_id=uuid,
            request_id=response.headers.get("x-request-id"),
            detail=f"number {number}" if number else None,
        )

    async def _existing(self, channel: str, uuid: str, why: str) -> Submission:
        status, detail = mapping.parse_status(channel, await self.client.status(channel, uuid))
        return Submission(
            uuid=uuid, status=status, remote_id=uuid, detail=detail or why, already_existed=True
        )

    @staticmethod
    def _rejected(uuid: str, exc: RemoteRejectedError) -> Submission:
        if not isinstance(exc, AuthError) and _codes(exc) & mapping.CREDIT_CODES:
            raise _out_of_credits(exc) from exc
        if isinstance(exc, AuthError) or not _codes(exc) & mapping.DOCUMENT_REJECTION_CODES:
            raise exc
        return Submission(
            uuid=uuid,
            status=DocumentStatus.REJECTED,
            detail=exc.remote_message or exc.message,
            request_id=exc.request_id,
        )

    async def _receiver_alias(self, document: Invoice | DespatchAdvice, channel: str) -> str | None:
        if channel == EARCHIVE:
            return None
        if isinstance(document, DespatchAdvice):
            registration = await self._lookup(document.receiver.tax_id, USER_TYPE[EDESPATCH])
            return registration.receiver_alias or DESPATCH_GIB_ALIAS
        if document.kind is DocumentKind.EXPORT:
            return EXPORT_ALIAS
        if not document.receiver_alias:
            raise InvalidInputError(
                "an e-Fatura needs the buyer's PK alias (receiver_alias) from the lookup"
            )
        return document.receiver_alias

    async def _check_sender_alias(self, invoice: Invoice) -> None:
        # Nilvera's Send/Xml takes no sender alias: it sends from the account's GB alias. So a
        # document naming a GB alias the account does not have is stopped here, not sent.
        wanted = invoice.sender_alias or self.settings.default_sender_alias
        if not wanted:
            return
        if self._sender_aliases is None:
            await self._own_aliases()
        assert self._sender_aliases is not None
        if self._sender_aliases and wanted not in self._sender_aliases:
            raise InvalidInputError(
                f"sender alias {wanted} is not one of this Nilvera account's GB aliases "
                f"({', '.join(self._sender_aliases) or 'none'})"
            )

    # ----------------------------------------------------------------------------------------
    # status, cancel, downloads

    async def _locate(self, kind: DocumentKind, uuid: str) -> str:
        """The service holding ``uuid``: fixed by kind, except an export, which is an e-Fatura
        (IHRACAT) or, for micro export, an e-Arşiv; asked once, then remembered."""
        if kind is not DocumentKind.EXPORT:
            return channel_of(kind)
        known = self._channels.get(uuid.lower())
        if known is None:
            found = await self.client.status_response(EINVOICE, uuid)
            known = EINVOICE if found.status_code == 200 else EARCHIVE
            self._channels[uuid.lower()] = known
        return known

    async def status(self, kind: DocumentKind, uuid: str) -> Submission:
        channel = await self._locate(kind, uuid)
        body = await self.client.status(channel, uuid)
        status, detail = mapping.parse_status(channel, body)
        answer = mapping.parse_answer(body) if channel == EINVOICE else None
        return Submission(uuid=uuid, status=status, remote_id=uuid, detail=detail, answer=answer)

    async def cancel(self, kind: DocumentKind, uuid: str, reason: str) -> Submission:
        """Cancel an e-Arşiv within ``earchive_cancel_window_days`` of its issue date.

        An e-Fatura (or export, or e-İrsaliye) already sent is not cancelled through the
        integrator: GİB delivered it to the receiver, and it is reversed by a return (IADE)
        invoice the engine issues. That raises ``RemoteRejectedError`` saying so.
        """
        if await self._locate(kind, uuid) != EARCHIVE:
            raise RemoteRejectedError(
                f"a submitted {kind.value} document cannot be cancelled through Nilvera; "
                "reverse it with a return (IADE) invoice",
                remote=REMOTE,
            )
        current = await self.status(DocumentKind.EARSIV, uuid)
        if current.status is DocumentStatus.CANCELLED:
            return current.model_copy(update={"already_existed": True})
        if current.status is DocumentStatus.REJECTED:
            raise RemoteRejectedError(
                "this e-Arşiv was rejected, so there is nothing to cancel", remote=REMOTE
            )
        issued = await self._issue_date(uuid)
        today = self.context.clock().astimezone(ISTANBUL).date()
        window = self.settings.earchive_cancel_window_days
        if (today - issued).days > window:
            raise RemoteRejectedError(
                f"the e-Arşiv cancel window ({window} days from {issued.isoformat()}) has passed; "
                "the buyer's return is documented instead",
                remote=REMOTE,
            )
        await self.client.cancel(EARCHIVE, uuid)
        return Submission(
            uuid=uuid, status=DocumentStatus.CANCELLED, remote_id=uuid, detail=reason or None
        )

    async def _issue_date(self, uuid: str) -> date:
        return mapping.issue_date_of(await self.client.download(EARCHIVE, uuid, "xml"))

    async def fetch_pdf(self, kind: DocumentKind, uuid: str) -> bytes:
        return await self.client.download(await self._locate(kind, uuid), uuid, "pdf")

    async def fetch_html(self, kind: DocumentKind, uuid: str) -> str:
        channel = await self._locate(kind, uuid)
        return (await self.client.download(channel, uuid, "html")).decode("utf-8")

    async def document_url(self, kind: DocumentKind, uuid: str) -> str | None:
        template = self.settings.public_pdf_url_template
        if not template or kind not in (DocumentKind.EARSIV, DocumentKind.EXPORT):
            return None
        if await self._locate(kind, uuid) != EARCHIVE:
            return None
        return template.format(uuid=uuid)

    # ----------------------------------------------------------------------------------------
    # received return (IADE) invoices

    async def incoming_returns(self, since: date) -> list[IncomingReturn]:
        """The return (IADE, TEVKIFATIADE) invoices this account received, issued on or after
        ``since``, oldest first, each with the invoice numbers it refers to.

        Reads every page of ``GET /einvoice/Purchase`` from ``since`` to now (until
        ``TotalPages``, or a short page when the answer gives no count), skips entries the list
        already shows are not returns or are older, and reads the others' UBL from
        ``GET /einvoice/Purchase/{uuid}/xml`` with the hardened parser. One unreadable entry
        or XML is logged and skipped, never the page; an outage or refused key raises (the
        caller retries), so a return is never reported missing because Nilvera was down.
        """
        log = self.context.logger
        start = f"{since.isoformat()}T00:00:00"
        end = self.context.clock().astimezone(ISTANBUL).strftime("%Y-%m-%dT%H:%M:%S")
        found: dict[str, IncomingReturn] = {}
        seen: set[str] = set()
        page = 1
        while True:
            body = await self.client.purchases(
                page, start=start, end=end, page_size=self.purchase_page_size
            )
            listing = mapping.purchase_page(body)
            for why in listing.skipped:
                log.warning("nilvera: received e-Fatura list page %d: %s; skipped", page, why)
            for entry in listing.entries:
                key = entry.uuid.lower()
                if key in seen or not mapping.worth_fetching(entry, since):
                    continue
                seen.add(key)
                found_return = await self._incoming_return(entry.uuid)
                if found_return is not None and found_return.issued_on >= since:
                    found[key] = found_return
            if listing.total_pages is not None:
                done = page >= listing.total_pages
            else:
                done = listing.size < (listing.page_size or self.purchase_page_size)
            if done or listing.size == 0:
                break
            page += 1
            if page > MAX_PURCHASE_PAGES:
                raise InvalidResponseError(
                    f"Nilvera's received e-Fatura list goes on past {MAX_PURCHASE_PAGES} pages",
                    remote=REMOTE,
                )
        return sorted(found.values(), key=lambda r: (r.issued_on, r.number))

    async def _incoming_return(self, uuid: str) -> IncomingReturn | None:
        """One received document as a return, or ``None`` (not a return, or unreadable:
        logged with the UUID and the reason, never the document's content)."""
        try:
            xml = await self.client.purchase_xml(uuid)
            return mapping.incoming_return_from_xml(xml, uuid)
        except mapping.NotAReturn:
            return None
        except InvalidResponseError as exc:
            reason = exc.message
        except RemoteRejectedError as exc:
            if isinstance(exc, AuthError) or exc.status != 404:
                raise
            reason = "Nilvera answered 404 for its XML"
        self.context.logger.warning("nilvera: received e-Fatura %s skipped: %s", uuid, reason)
        return None

    # ----------------------------------------------------------------------------------------
    # company set-up

    async def _own_aliases(self) -> tuple[dict[str, Any], list[Alias]]:
        company = await self.client.company()
        tax_id = str(company.get("TaxNumber") or "")
        if not tax_id:
            raise InvalidResponseError("Nilvera company info has no TaxNumber", remote=REMOTE)
        body = await self.client.customer_info(tax_id, USER_TYPE[EINVOICE])
        aliases = mapping.aliases_from_customer_info(body)
        self._sender_aliases = [a.name for a in aliases if a.type == "GB"]
        return company, aliases

    async def company_info(self) -> dict[str, Any]:
        """The account's company, its own aliases (GB: send from, PK: receive at) and series."""
        company, aliases = await self._own_aliases()
        series = {}
        for kind, channel in (("efatura", EINVOICE), ("earsiv", EARCHIVE), ("despatch", EDESPATCH)):
            series[kind] = mapping.series_names(await self.client.series(channel))
        sender = [a.name for a in aliases if a.type == "GB"]
        return {
            "tax_id": str(company["TaxNumber"]),
            "title": company.get("Name"),
            "tax_office": company.get("TaxOffice"),
            "sender_aliases": sender,
            "receiver_aliases": [a.name for a in aliases if a.type == "PK"],
            "default_sender_alias": self.settings.default_sender_alias
            or (sender[0] if sender else None),
            "series": series,
        }

    async def check(self) -> CheckResult:
        try:
            info = await self.company_info()
        except AuthError as exc:
            return CheckResult(ok=False, message=f"Nilvera refused the API key: {exc.message}")
        except KervanError as exc:
            return CheckResult(ok=False, message=f"Nilvera could not be asked: {exc.message}")
        wanted = self.settings.default_sender_alias
        sender, receiver = info["sender_aliases"], info["receiver_aliases"]
        if not sender and not receiver:
            return CheckResult(
                ok=False,
                message="the account is not a registered e-Fatura user (no alias): "
                "it cannot send e-Fatura",
                details=info,
            )
        if wanted and sender and wanted not in sender:
            return CheckResult(
                ok=False,
                message=f"default_sender_alias {wanted} is not one of the account's GB aliases",
                details=info,
            )
        message = f"connected as {info['title']} ({info['tax_id']})"
        if not sender:
            # Nilvera's production records do not always say which alias is the GB one (their
            # ``Type`` is the account type); Send/Xml sends from the account's GB regardless.
            message += "; Nilvera did not name a GB alias, it sends from the account's own"
        return CheckResult(ok=True, message=message, details=info)


def _out_of_credits(exc: RemoteRejectedError) -> RemoteRejectedError:
    """Nilvera refused a send for the account's credits (2000/2075/2078): nothing was sent and
    the document is fine. Not retryable: the same send fails until a person tops up the
    account, then retries the order."""
    codes = _codes(exc) & mapping.CREDIT_CODES
    why = "its credit package has expired" if 2075 in codes else "it has no credits left"
    return RemoteRejectedError(
        f"Nilvera refused to send the document because {why} (code "
        f"{', '.join(str(c) for c in sorted(codes))}); nothing was sent. Buy credits (kontör) "
        "for the Nilvera account, then retry the order.",
        remote=REMOTE,
        status=exc.status,
        request_id=exc.request_id,
        remote_message=exc.remote_message,
        detail={**exc.detail, "action": "top_up_credits"},
    )


def _codes(exc: KervanError) -> set[int]:
    return {e["code"] for e in exc.detail.get("nilvera_errors", []) if e.get("code") is not None}


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


__all__ = ["Nilvera", "NilveraSettings"]
