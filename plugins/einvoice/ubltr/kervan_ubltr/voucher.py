"""The return expense voucher (gider pusulası) record, built from a claim.

When an individual (not a taxpayer) returns goods, the seller refunds the VAT-inclusive price
and documents the return with a gider pusulası that shows the VAT separately (reference
apis-2 §8). A VAT-registered buyer issues a return (IADE) invoice instead, so this refuses a
company buyer.

Amounts: each returned line refunds what the buyer actually paid for those units, i.e. the
order line's payable (after the seller's discount) pro rata to the returned quantity, rounded
half up to the kuruş; the claim's own unit price is used only when the order is not given.
The voucher's total is the exact sum of its lines. The PDF is rendered by
``kervan_ubltr.render``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from kervan.domain import (
    Claim,
    ClaimLine,
    ClaimLineStatus,
    ExpenseVoucher,
    ExpenseVoucherLine,
    Order,
    OrderLine,
    Party,
    PartyKind,
    kurus,
)
from kervan.domain.money import ZERO
from kervan.errors import InvalidInputError

HUNDRED = Decimal(100)


def _returned_lines(claim: Claim, line_ids: Iterable[str] | None) -> list[ClaimLine]:
    if line_ids is None:
        chosen = [x for x in claim.lines if x.status is ClaimLineStatus.ACCEPTED]
    else:
        wanted = set(line_ids)
        chosen = [x for x in claim.lines if x.id in wanted]
        unknown = wanted - {x.id for x in chosen}
        if unknown:
            raise InvalidInputError(f"claim {claim.id} has no lines {sorted(unknown)}")
    if not chosen:
        raise InvalidInputError(f"claim {claim.id} has no accepted lines to refund")
    return chosen


def _refund(line: ClaimLine, order_line: OrderLine | None) -> Decimal:
    if order_line is None:
        return kurus(line.unit_price * line.quantity)
    if line.quantity > order_line.quantity:
        raise InvalidInputError(
            f"claim line {line.id} returns {line.quantity}, the order line had "
            f"{order_line.quantity}"
        )
    return kurus(order_line.payable * line.quantity / order_line.quantity)


def _vat_notes(refunds: list[tuple[Decimal, Decimal]]) -> list[str]:
    by_rate: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for amount, rate in refunds:
        by_rate[rate] += amount
    notes = []
    for rate in sorted(by_rate):
        gross = by_rate[rate]
        vat = gross - kurus(gross / (1 + rate / HUNDRED))
        notes.append(f"KDV %{rate}: {vat} TL (KDV dahil tutar {gross} TL)")
    return notes


def _voucher_lines(
    claim: Claim, order: Order | None, line_ids: Iterable[str] | None
) -> tuple[list[ExpenseVoucherLine], list[tuple[Decimal, Decimal]]]:
    """The voucher lines, and (refund, VAT rate) pairs for the lines whose rate is known."""
    order_lines = {x.line_id: x for x in order.lines} if order else {}
    lines, refunds = [], []
    for line in _returned_lines(claim, line_ids):
        order_line = order_lines.get(line.order_line_id)
        if order and order_line is None:
            raise InvalidInputError(f"claim line {line.id} is not a line of order {order.id}")
        refund = _refund(line, order_line)
        lines.append(
            ExpenseVoucherLine(
                name=line.name,
                quantity=line.quantity,
                unit_price=kurus(refund / line.quantity),
                amount=refund,
            )
        )
        if order_line is not None:
            refunds.append((refund, order_line.vat_rate))
    return lines, refunds


def expense_voucher_from_claim(
    claim: Claim,
    *,
    seller: Party,
    number: str,
    issued_at: datetime,
    order: Order | None = None,
    person: Party | None = None,
    line_ids: Iterable[str] | None = None,
) -> ExpenseVoucher:
    """The gider pusulası record for the returned lines of ``claim``.

    ``line_ids`` picks claim lines (default: every ACCEPTED line). ``person`` defaults to the
    order's buyer. The notes show the VAT contained in the refund per rate (known only when
    ``order`` is given).
    """
    person = person or (order.buyer if order else None)
    if person is None:
        raise InvalidInputError("the person who returned the goods is needed (order or person)")
    if person.kind is not PartyKind.PERSON:
        raise InvalidInputError(
            "a company buyer returns goods with its own IADE invoice, not a gider pusulası"
        )
    lines, refunds = _voucher_lines(claim, order, line_ids)
    return ExpenseVoucher(
        id=f"expense_voucher:{claim.id}",
        tenant_id=claim.tenant_id,
        claim_id=claim.id,
        order_id=claim.order_id or (order.id if order else None),
        number=number,
        issued_at=issued_at,
        seller=seller,
        person=person,
        lines=lines,
        total=sum((x.amount for x in lines), ZERO),
        notes=[f"Sipariş {claim.order_number} iadesi", *_vat_notes(refunds)],
    )
