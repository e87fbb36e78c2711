"""The gider pusulası (expense voucher) for goods a private person returns. Pure, no I/O.

The rule (../shared/reference/apis-2.md §8; omerkalin.com.tr KDV circulars 981 and 1436): a
person who is not a taxpayer issues no invoice, so when they return goods the seller refunds the
VAT-inclusive price and documents it with a gider pusulası (VUK 234) that shows the VAT
separately, and deducts that VAT. A buyer registered for e-Fatura, or a company, issues its own
return (IADE) invoice instead (:func:`kervan.returns.return_invoice` builds that document's
shape), so :func:`expense_voucher` refuses them.

Amounts, with the same rounding as the sale's invoice (:mod:`kervan.invoicing`):

1. A returned line refunds what the buyer paid for those units: the order line's payable
   (after the discount the invoice shows) if the whole line comes back, else
   ``round(payable × units / quantity)`` half up to the kuruş.
2. Per VAT rate the net is ``round(Σrefund / (1 + rate))`` split over the lines by the largest
   remainder (:func:`kervan.invoicing.split_net`); each line's VAT is its refund minus its net,
   so ``net + VAT == refund`` on every line and every subtotal, and a whole-order return
   repeats the invoice's own split exactly.
3. Totals are plain sums of the lines. An export sale (micro or classic) was invoiced without
   VAT (KDV 11/1-a), so its refund carries none.

The voucher is not a GİB e-document: it has no UBL form and goes to no integrator. It is
numbered in its own series (the tenant's ``expense_voucher`` prefix on the voucher channel,
:class:`kervan.numbering.Channel`), printed by the document issuer (``render_pdf``) and signed
by both sides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from .domain import ExpenseVoucher, ExpenseVoucherLine, Order, OrderLine, Party, PartyKind, kurus
from .domain.documents import ExpenseVoucherVat
from .domain.money import ZERO
from .errors import InvalidInputError
from .invoicing import split_net

__all__ = ["RETURN_NOTE", "expense_voucher"]

#: the nature of the transaction (VUK 234: "işin mahiyeti"), printed on the voucher
RETURN_NOTE = "Satılan malın iadesi: bedeli KDV dahil olarak alıcıya geri ödenmiştir."


def _check_person(order: Order, registered: bool) -> None:
    buyer = order.buyer
    problem = None
    if registered:
        problem = "is registered for e-Fatura"
    elif buyer.kind is not PartyKind.PERSON:
        problem = "is a company"
    elif buyer.scheme == "VKN":
        problem = "is identified by a VKN (a taxpayer)"
    if problem:
        raise InvalidInputError(
            f"order {order.id}: the buyer {problem}, so it returns the goods with its own "
            "return (IADE) invoice; a gider pusulası is only for a private person who is not "
            "a taxpayer. Wait for the buyer's IADE (incoming documents) or record it by hand",
            errors=[{"loc": ["order", "buyer"], "msg": f"the buyer {problem}"}],
        )


def _picked(order: Order, lines: Mapping[str, Decimal]) -> list[tuple[OrderLine, Decimal]]:
    by_id = {x.line_id: x for x in order.lines}
    unknown = sorted(set(lines) - set(by_id))
    if unknown:
        raise InvalidInputError(
            f"order {order.id} has no lines {unknown}",
            errors=[{"loc": ["lines", x], "msg": "not a line of the order"} for x in unknown],
        )
    picked = []
    for line in order.lines:  # in the order's own line order, whatever the mapping's
        units = lines.get(line.line_id)
        if units is None:
            continue
        if not 0 < units <= line.quantity:
            raise InvalidInputError(
                f"order {order.id} line {line.line_id}: return more than 0 and at most "
                f"{line.quantity} units",
                errors=[{"loc": ["lines", line.line_id], "msg": "0 < units ≤ ordered"}],
            )
        picked.append((line, units))
    if not picked:
        raise InvalidInputError("a gider pusulası needs at least one returned line")
    return picked


def _refund(line: OrderLine, units: Decimal) -> Decimal:
    return line.payable if units == line.quantity else kurus(line.payable * units / line.quantity)


def _voucher_lines(
    order: Order, picked: list[tuple[OrderLine, Decimal]]
) -> list[ExpenseVoucherLine]:
    refunds = [_refund(line, units) for line, units in picked]
    rates = [Decimal(0) if order.is_export else line.vat_rate for line, _ in picked]
    groups: dict[Decimal, list[int]] = defaultdict(list)
    for i, rate in enumerate(rates):
        groups[rate].append(i)
    nets: dict[int, Decimal] = {}
    for rate, idx in groups.items():
        nets.update(zip(idx, split_net([refunds[i] for i in idx], rate), strict=True))
    return [
        ExpenseVoucherLine(
            name=line.name,
            quantity=units,
            unit_code=line.unit_code,
            unit_price=kurus(refunds[i] / units),
            amount=refunds[i],
            vat_rate=rates[i],
            net=nets[i],
            vat_amount=refunds[i] - nets[i],
            order_line_id=line.line_id,
            barcode=line.barcode,
        )
        for i, (line, units) in enumerate(picked)
    ]


def vat_subtotals(lines: list[ExpenseVoucherLine]) -> list[ExpenseVoucherVat]:
    """One subtotal per VAT rate, ascending, each the exact sum of its lines."""
    sums: dict[Decimal, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    for line in lines:
        if line.vat_rate is None or line.net is None or line.vat_amount is None:
            continue
        row = sums[line.vat_rate]
        row[0] += line.net
        row[1] += line.vat_amount
        row[2] += line.amount
    return [
        ExpenseVoucherVat(rate=rate, net=net, vat=vat, amount=amount)
        for rate, (net, vat, amount) in sorted(sums.items())
    ]


def expense_voucher(
    order: Order,
    lines: Mapping[str, Decimal],
    *,
    number: str,
    issued_at: datetime,
    seller: Party,
    claim_id: str | None = None,
    registered: bool = False,
) -> ExpenseVoucher:
    """The gider pusulası refunding ``lines`` (order line id → units returned) of ``order``.

    ``registered`` says the buyer is registered for e-Fatura (its sale was an e-Fatura): such
    a buyer, a company, or a VKN is refused with an :class:`InvalidInputError` (they issue an
    IADE). The person is the order's buyer with the order's invoice address when the buyer
    has none (VUK 234 wants the person's name and address). See the module docstring for the
    amounts.
    """
    _check_person(order, registered)
    voucher_lines = _voucher_lines(order, _picked(order, lines))
    person = order.buyer
    if person.address is None:
        person = person.model_copy(update={"address": order.invoice_address})
    subtotals = vat_subtotals(voucher_lines)
    return ExpenseVoucher(
        id=f"expense_voucher:{claim_id}" if claim_id else f"expense_voucher:{order.id}:{number}",
        tenant_id=order.tenant_id,
        claim_id=claim_id,
        order_id=order.id,
        order_number=order.order_number,
        number=number,
        issued_at=issued_at.replace(microsecond=0),
        seller=seller,
        person=person,
        lines=voucher_lines,
        vat_subtotals=subtotals,
        net_total=sum((x.net for x in subtotals), ZERO),
        vat_total=sum((x.vat for x in subtotals), ZERO),
        total=sum((x.amount for x in voucher_lines), ZERO),
        notes=[RETURN_NOTE],
    )
