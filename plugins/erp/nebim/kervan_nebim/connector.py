"""The Nebim V3 ERP sink: sales out (retail orders or invoices), payment closings, returns,
reversals; product cards, prices and stock in.

Idempotency: before each posting the connector asks the tenant's lookup query (a RunQuery the
README gives) for a document carrying Kervan's reference (``references``); one found is
answered ``already_done``. So a duplicate event, a lost answer or a crash between the post
and Kervan's commit never posts twice. The lookup's rows are Kervan's own contract (the
README's query gives them): ``Kind`` (order, invoice, return, payment, charge, customer),
``Number`` (V3's document number or customer code), ``DocumentNumber``, ``Description``,
``LineID``, ``LineDescription``, ``Qty1``, ``ClosedQty`` (cancelled or returned), ``Amount``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from kervan import CheckResult, ConnectorContext, ErpSink, RemoteRef
from kervan.domain import ExpenseVoucher, Invoice, Party, ProductCard
from kervan.errors import AuthError, InvalidInputError, KervanError, UnsupportedOperationError

from . import mapping
from .client import NebimClient
from .references import (
    criteria,
    deductions_number,
    payment_mark,
    payment_number,
    return_mark,
    reversal_mark,
    reversal_number,
    sale_number,
)
from .settings import NebimSettings

Rows = list[dict[str, Any]]


def open_lines(rows: Rows) -> dict[str, Decimal]:
    """LineID → quantity not yet cancelled or returned."""
    left: dict[str, Decimal] = {}
    for row in rows:
        if row.get("LineID"):
            qty = Decimal(str(row.get("Qty1") or 0)) - Decimal(str(row.get("ClosedQty") or 0))
            if qty > 0:
                left[str(row["LineID"])] = qty
    return left


class Nebim(ErpSink):
    key = "nebim"
    display_name = "Nebim V3"
    Settings = NebimSettings
    sandbox = "kervan_nebim.sandbox:NebimSandbox"
    settings: NebimSettings

    #: a gider pusulası has no documented Integrator model (ModelType 72 ExpenseSlip is listed
    #: in docs/02-model-type-list.md without a payload)
    EXPENSE_VOUCHER_UNSUPPORTED: ClassVar[str] = (
        "nebim does not support post_expense_voucher: the Integrator documents no model for a "
        "gider pusulası (ModelType 72 ExpenseSlip has no published payload); post it in V3"
    )

    def __init__(self, settings: NebimSettings, context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self.client = NebimClient(settings, context)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def check(self) -> CheckResult:
        """Connect, then GetUserInfo: Connect answers success even for wrong credentials."""
        try:
            await self.client.connect()
            info = await self.client.user_info()
        except KervanError as exc:
            return CheckResult(ok=False, message=str(exc))
        if not info.get("UserName"):
            return CheckResult(
                ok=False,
                message="nebim: GetUserInfo named no user; check the "
                "database, user group, user name and password",
            )
        details = {k: info.get(k) for k in ("DatabaseName", "UserName", "OfficeCode", "StoreCode")}
        return CheckResult(ok=True, message=f"connected as {info['UserName']}", details=details)

    # -- lookups --------------------------------------------------------------------------

    async def lookup(self, field: str, value: str, *kinds: str) -> Rows:
        rows = await self.client.run_query(self.settings.lookup_query, criteria(field, value))
        return [r for r in rows if not kinds or r.get("Kind") in kinds]

    async def customer_code(self, party: Party) -> str:
        ref = await self.upsert_customer(party)
        return ref.remote_id or self.settings.customer_code

    # -- role -----------------------------------------------------------------------------

    async def upsert_customer(self, party: Party) -> RemoteRef:
        """With ``create_customers`` off (the default) nothing is created: the answer is the
        customer sales are posted to. On: the retail card whose identity or tax number is the
        party's, else a new one (ModelType 3)."""
        if not self.settings.create_customers:
            return RemoteRef(remote_id=self.settings.customer_code, already_done=True)
        found = await self.lookup("TaxNumber", party.tax_id, "customer")
        if found:
            return RemoteRef(remote_id=str(found[0]["Number"]), already_done=True)
        answer = await self.client.post_model(mapping.retail_customer_model(party, self.settings))
        code = answer.get("CurrAccCode")
        if not code:
            raise AuthError(
                "nebim: the retail customer was not created (no CurrAccCode came "
                "back); check the user's rights",
                remote="nebim",
            )
        return RemoteRef(remote_id=str(code))

    async def post_invoice(self, invoice: Invoice) -> RemoteRef:
        number = sale_number(invoice)
        found = await self.lookup("DocumentNumber", number, "order", "invoice")
        if found:
            return RemoteRef(remote_id=str(found[0].get("Number") or number), already_done=True)
        customer = await self.customer_code(invoice.buyer)
        model = mapping.sale_model(invoice, self.settings, customer)
        answer = await self.client.post_model(model)
        remote = answer.get("OrderNumber") or answer.get("InvoiceNumber") or answer.get("HeaderID")
        return RemoteRef(remote_id=str(remote) if remote else number)

    async def close_payment(
        self,
        invoice: Invoice,
        amount: Decimal,
        paid_on: date,
        reference: str,
        deductions: Mapping[str, Decimal] | None = None,
    ) -> RemoteRef:
        """The payout as an incoming EFT (98) on the marketplace's account, its deductions as
        credits (92) there, each once per ``reference``."""
        s = self.settings
        if not s.settlement_account_code:
            raise InvalidInputError(
                "nebim: set settlement_account_code and bank_account_code to post payment "
                "closings (the marketplace's current account and the bank account it pays into)"
            )
        number = payment_number(reference)
        found = await self.lookup("DocumentNumber", number, "payment")
        if found:
            ref = RemoteRef(remote_id=number, already_done=True)
        else:
            await self.client.post_model(mapping.eft_model(invoice, amount, paid_on, number, s))
            ref = RemoteRef(remote_id=number)
        taken = {k: v for k, v in (deductions or {}).items() if v > 0}
        if s.record_deductions and taken:
            k_number = deductions_number(reference)
            if not await self.lookup("DocumentNumber", k_number, "charge"):
                model = mapping.charge_model(invoice, taken, paid_on, k_number, s, credit=True)
                await self.client.post_model(model)
        return ref

    async def reverse(self, invoice: Invoice, reason: str) -> RemoteRef:
        """A cancelled order's sale: an order's open lines are cancelled (34), an invoice is
        returned whole (ReturnInvoiceR); each payment closing and deduction is offset by a
        debit (92). Nothing posted: ``already_done``."""
        number = sale_number(invoice)
        sale = await self.lookup("DocumentNumber", number, "order", "invoice")
        did = await self._reverse_sale(invoice, sale)
        did |= await self._reverse_payments(invoice)
        remote = str(sale[0].get("Number")) if sale else None
        return RemoteRef(remote_id=remote, already_done=not did)

    async def _reverse_sale(self, invoice: Invoice, sale: Rows) -> bool:
        left = open_lines(sale)
        if not left:
            return False
        doc = str(sale[0]["Number"])
        if sale[0].get("Kind") == "order":
            await self.client.post_model(mapping.cancel_model(doc, left, self.settings))
            return True
        if await self.lookup("Description", reversal_mark(invoice), "return"):
            return False
        model = mapping.return_model(
            doc, left, self.context.clock().date(), reversal_mark(invoice), self.settings
        )
        await self.client.return_invoice(model)
        return True

    async def _reverse_payments(self, invoice: Invoice) -> bool:
        did = False
        for row in await self.lookup("Description", payment_mark(invoice), "payment", "charge"):
            paid = str(row.get("DocumentNumber") or "")
            amount = Decimal(str(row.get("Amount") or 0))  # a charge's credits; 0 for a debit
            r_number = reversal_number(paid)
            if amount <= 0 or await self.lookup("DocumentNumber", r_number, "charge"):
                continue
            model = mapping.charge_model(
                invoice,
                {f"iptal {paid}": amount},
                self.context.clock().date(),
                r_number,
                self.settings,
                credit=False,
            )
            await self.client.post_model(model)
            did = True
        return did

    async def post_return(
        self,
        invoice: Invoice,
        quantities: Mapping[int, Decimal],
        reference: str,
        reason: str = "",
    ) -> RemoteRef:
        """A retail return through ``InvoiceService/ReturnInvoiceR`` against the V3 invoice
        (an order not yet invoiced in V3 cannot be returned: Nebim returns invoices)."""
        mark = return_mark(reference)
        done = await self.lookup("Description", mark, "return")
        if done:
            return RemoteRef(remote_id=str(done[0].get("Number")), already_done=True)
        sale = await self.lookup("DocumentNumber", sale_number(invoice), "invoice")
        if not sale:
            raise InvalidInputError(
                f"nebim: no V3 invoice carries {sale_number(invoice)}; post the sale (and let V3 "
                "invoice the order) before its return"
            )
        by_ours = {str(r.get("LineDescription")): str(r["LineID"]) for r in sale if r.get("LineID")}
        lines: dict[str, Decimal] = {}
        for line_id, qty in quantities.items():
            nebim_line = by_ours.get(f"KRV:{line_id}")
            if nebim_line is None:
                raise InvalidInputError(f"nebim: invoice line {line_id} is not on the V3 invoice")
            lines[nebim_line] = Decimal(qty)
        model = mapping.return_model(
            str(sale[0]["Number"]), lines, self.context.clock().date(), mark, self.settings
        )
        if reason:
            for info in model["ReturnLineInfos"]:
                info["ReturnReasonCode"] = reason
        answer = await self.client.return_invoice(model)
        return RemoteRef(remote_id=str(answer.get("InvoiceNumber") or mark))

    async def post_expense_voucher(self, voucher: ExpenseVoucher) -> RemoteRef:
        raise UnsupportedOperationError(self.EXPENSE_VOUCHER_UNSUPPORTED)

    async def pull_products(self) -> AsyncIterator[ProductCard]:
        """Every product row (RunQuery ``product_query`` or RunProc ``product_proc``, paged by
        Skip/Take), one card per exact ItemCode."""
        rows: Rows = []
        skip, take = 0, self.settings.page_size
        while True:
            if self.settings.product_proc:
                page = await self.client.run_proc(
                    self.settings.product_proc, {"Skip": str(skip), "Take": str(take)}
                )
            else:
                page = await self.client.run_query(self.settings.product_query, "", skip, take)
            rows += page
            if len(page) < take:
                break
            skip += take
        for card in mapping.cards_from_rows(rows, self.context.tenant_id, self.settings):
            yield card
