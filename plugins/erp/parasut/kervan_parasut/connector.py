"""``Parasut``: the ERP sink for a Paraşüt company.

What is posted, and how Paraşüt models it (sources in :mod:`kervan_parasut.sandbox`):

- a buyer → a customer contact (``POST /contacts``), found by tax number (or e-mail/name for a
  placeholder TCKN) before one is made; or one marketplace-level contact, per the settings;
- an invoice → a sales invoice (``POST /sales_invoices``) with its lines as details, the same
  series and number, line discounts as amounts; a return invoice (IADE) as ``item_type``
  refund. The total Paraşüt computes is checked against ours;
- a payment closing → a payment against that invoice (``POST /sales_invoices/{id}/payments``)
  into the configured cash/bank account; deductions are not recorded (Paraşüt's payment has
  no place for them);
- a reversal → each payment's transaction deleted (``DELETE /transactions/{id}``), then the
  invoice cancelled (``DELETE /sales_invoices/{id}/cancel``): it stays on file as cancelled;
- a return, and an expense voucher (gider pusulası) → a refund sales invoice on the buyer's
  contact;
- products ← ``GET /products``, one card per product code.

Every write looks for its earlier self first (:mod:`kervan_parasut.lookups`), and looks again
when a POST's answer was lost, so nothing is posted twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from kervan import CheckResult, ConnectorContext, ErpSink, RemoteRef
from kervan.domain import ExpenseVoucher, Invoice, Party, ProductCard
from kervan.errors import (
    InvalidResponseError,
    KervanError,
    RemoteRejectedError,
    RemoteUnavailableError,
)

from . import lookups, mapping
from .client import ParasutClient
from .settings import ParasutSettings

Resource = dict[str, Any]


class Parasut(ErpSink):
    key: ClassVar[str] = "parasut"
    display_name: ClassVar[str] = "Paraşüt"
    Settings: ClassVar[type[ParasutSettings]] = ParasutSettings
    sandbox: ClassVar[str | None] = "kervan_parasut.sandbox:ParasutSandbox"

    def __init__(self, settings: ParasutSettings, context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self.settings: ParasutSettings = settings
        self.client = ParasutClient(
            settings.base_url,
            settings.company_id,
            client_id=settings.client_id,
            client_secret=settings.client_secret.get_secret_value(),
            username=settings.username,
            password=settings.password.get_secret_value(),
            context=context,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def check(self) -> CheckResult:
        """Log in, then read the user's companies and the payment account: proves the OAuth
        client, the user, the company id and the account id together."""
        try:
            await self.client.auth.token(force=True)
            me = await self.client.me()
            companies = {
                str(r.get("id")) for r in me.get("included") or [] if r.get("type") == "companies"
            }
            if str(self.settings.company_id) not in companies:
                return CheckResult(
                    ok=False,
                    message=f"the Paraşüt user has no company {self.settings.company_id}; "
                    "check the company id in the web app's address",
                )
            await self.client.call("GET", f"accounts/{self.settings.payment_account_id}")
        except KervanError as exc:
            return CheckResult(ok=False, message=exc.message)
        return CheckResult(
            ok=True, message="Paraşüt answered", details={"companies": len(companies)}
        )

    # -- writing once ----------------------------------------------------------------------

    async def _create(
        self, path: str, document: Resource, find: Callable[[], Awaitable[Resource | None]]
    ) -> tuple[Resource, bool]:
        """POST ``document``; when the answer is lost, look for what it made before giving up.
        Returns the resource and whether it was there already."""
        try:
            answer = await self.client.call("POST", path, body=document)
        except RemoteUnavailableError:
            found = await find()
            if found is None:
                raise
            return found, True
        data = answer.get("data")
        if not isinstance(data, dict) or not data.get("id"):
            raise InvalidResponseError(f"parasut created {path} but sent no id", remote="parasut")
        return data, False

    @staticmethod
    def _ref(resource: Resource, already: bool) -> RemoteRef:
        return RemoteRef(remote_id=str(resource["id"]), already_done=already)

    # -- customers -------------------------------------------------------------------------

    async def upsert_customer(self, party: Party) -> RemoteRef:
        """The buyer's customer card, or the marketplace's card when the settings say so."""
        if self.settings.customer_cards == "marketplace":
            return await self._marketplace_contact()
        found = await lookups.find_contact(self.client, party)
        if found is not None:
            return self._ref(found, True)
        document = {"data": {"type": "contacts", "attributes": mapping.contact_attributes(party)}}
        created, already = await self._create(
            "contacts", document, lambda: lookups.find_contact(self.client, party)
        )
        return self._ref(created, already)

    async def _marketplace_contact(self) -> RemoteRef:
        name = self.settings.marketplace_contact_name or ""
        found = await lookups.find_named_contact(self.client, name)
        if found is not None:
            return self._ref(found, True)
        attributes: dict[str, Any] = {
            "name": name,
            "account_type": "customer",
            "contact_type": "company",
        }
        if self.settings.marketplace_tax_number:
            attributes["tax_number"] = self.settings.marketplace_tax_number
        created, already = await self._create(
            "contacts",
            {"data": {"type": "contacts", "attributes": attributes}},
            lambda: lookups.find_named_contact(self.client, name),
        )
        return self._ref(created, already)

    async def _contact_id(self, party: Party) -> str:
        ref = await self.upsert_customer(party)
        assert ref.remote_id is not None
        return ref.remote_id

    # -- invoices --------------------------------------------------------------------------

    async def post_invoice(self, invoice: Invoice) -> RemoteRef:
        """The sales invoice with its number, lines and discounts; once per invoice uuid."""
        found = await lookups.find_invoice(self.client, invoice)
        if found is not None:
            self._check_total(invoice, found)
            return self._ref(found, True)
        contact_id = await self._contact_id(invoice.buyer)
        document = mapping.invoice_document(invoice, contact_id)
        created, already = await self._create(
            "sales_invoices", document, lambda: lookups.find_invoice(self.client, invoice)
        )
        self._check_total(invoice, created)
        return self._ref(created, already)

    @staticmethod
    def _check_total(invoice: Invoice, resource: Resource) -> None:
        """Paraşüt computes the total itself; it must be the e-document's to the kuruş."""
        total = lookups.attributes(resource).get("net_total")
        if total is None or lookups.attributes(resource).get("item_type") == "cancelled":
            return
        theirs = mapping.decimal_of(total, "an invoice's net_total").quantize(Decimal("0.01"))
        if theirs != invoice.totals.tax_inclusive:
            raise RemoteRejectedError(
                f"Paraşüt totals invoice {invoice.number} (its id {resource.get('id')}) at "
                f"{theirs}, the e-document at {invoice.totals.tax_inclusive}: correct the "
                "invoice in Paraşüt by hand (its rounding differs from the e-document's)",
                remote="parasut",
            )

    async def _posted(self, invoice: Invoice) -> Resource:
        found = await lookups.find_invoice(self.client, invoice)
        if found is None:
            raise RemoteRejectedError(
                f"invoice {invoice.number} is not in Paraşüt yet: post the invoice first",
                remote="parasut",
            )
        return found

    # -- payments --------------------------------------------------------------------------

    async def close_payment(
        self,
        invoice: Invoice,
        amount: Decimal,
        paid_on: date,
        reference: str,
        deductions: Mapping[str, Decimal] | None = None,
    ) -> RemoteRef:
        """A payment of ``amount`` against the posted invoice into ``payment_account_id``;
        once per ``reference``. ``deductions`` are not recorded: Paraşüt's payment takes
        an account, a date, an amount and a description only."""
        remote = await self._posted(invoice)
        invoice_id = str(remote["id"])
        key = mapping.idempotency_key("payment", reference)

        async def find() -> Resource | None:
            _, payments = await lookups.invoice_with_payments(self.client, invoice_id)
            return next((p for p in payments if lookups.carries(p, key)), None)

        existing = await find()
        if existing is not None:
            return self._ref(existing, True)
        document = mapping.payment_document(
            amount, paid_on, self.settings.payment_account_id, reference
        )
        created, already = await self._create(
            f"sales_invoices/{invoice_id}/payments", document, find
        )
        return self._ref(created, already)

    # -- reversal --------------------------------------------------------------------------

    async def reverse(self, invoice: Invoice, reason: str) -> RemoteRef:
        """Delete the invoice's payments, then cancel it (it stays on file, cancelled).
        What was never posted, or is cancelled already, answers ``already_done``."""
        found = await lookups.find_invoice(self.client, invoice)
        if found is None:
            return RemoteRef(already_done=True)
        invoice_id = str(found["id"])
        current, payments = await lookups.invoice_with_payments(self.client, invoice_id)
        if lookups.attributes(current).get("item_type") == "cancelled":
            return RemoteRef(remote_id=invoice_id, already_done=True)
        for payment in payments:
            transaction = ((payment.get("relationships") or {}).get("transaction") or {}).get(
                "data"
            ) or {}
            if transaction.get("id"):
                await self.client.call("DELETE", f"transactions/{transaction['id']}")
        await self.client.call("DELETE", f"sales_invoices/{invoice_id}/cancel")
        return RemoteRef(remote_id=invoice_id)

    # -- returns and vouchers --------------------------------------------------------------

    async def post_return(
        self,
        invoice: Invoice,
        quantities: Mapping[int, Decimal],
        reference: str,
        reason: str = "",
    ) -> RemoteRef:
        """A refund sales invoice for the returned lines, on the invoice's contact; once per
        ``reference``."""
        await self._posted(invoice)
        contact_id = await self._contact_id(invoice.buyer)
        key = mapping.idempotency_key("return", reference)
        found = await lookups.find_refund(self.client, contact_id, key)
        if found is not None:
            return self._ref(found, True)
        today = mapping.local_date(self.context.clock())
        document = mapping.return_document(
            invoice, quantities, reference, reason, contact_id, today
        )
        created, already = await self._create(
            "sales_invoices", document, lambda: lookups.find_refund(self.client, contact_id, key)
        )
        return self._ref(created, already)

    async def post_expense_voucher(self, voucher: ExpenseVoucher) -> RemoteRef:
        """The gider pusulası as a refund sales invoice on the person's contact; once per
        voucher number."""
        person = voucher.person
        contact_id = await self._contact_id(person)
        key = mapping.idempotency_key("voucher", voucher.number)
        found = await lookups.find_refund(self.client, contact_id, key)
        if found is not None:
            return self._ref(found, True)
        document = mapping.voucher_document(voucher, contact_id)
        created, already = await self._create(
            "sales_invoices", document, lambda: lookups.find_refund(self.client, contact_id, key)
        )
        return self._ref(created, already)

    # -- products --------------------------------------------------------------------------

    async def pull_products(self) -> AsyncIterator[ProductCard]:
        """Every Paraşüt product as a card, one per product code (see ``product_card``)."""
        cards = []
        async for resource, _ in self.client.pages("products"):
            card = mapping.product_card(resource, self.context.tenant_id)
            if card is not None:
                cards.append(card)
        for card in mapping.merge_cards(cards):
            yield card
