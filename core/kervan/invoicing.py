"""Invoice money: from VAT-inclusive order lines to an :class:`Invoice` whose sums add up.

Pure arithmetic, no I/O. Rounding method (documented in ``docs/ubl-tr.md`` section 2, whose
steps 1, 2 and 2b are steps 2, 3 and 3b here):

1. A line's payable ``P = round(unit_price × qty) − discount`` is what the buyer paid (VAT
   included). It is never changed: the invoice total equals the order total to the kuruş.
2. Per VAT rate ``r``, the group's taxable amount is ``T = round(ΣP / (1 + r))`` and its VAT
   is ``ΣP − T``. Rounding once per rate keeps ``|VAT − T·r|`` under a kuruş.
3. ``T`` is split over the group's lines by the largest-remainder method: each line gets
   ``P/(1 + r)`` rounded down to the kuruş, and the kuruş left over go to the lines with the
   largest remainders (ties: the earlier line). Each line's VAT is ``P − line_extension``, so
   ``line_extension + vat == P`` on every line and every line's VAT is within one kuruş of
   ``line_extension × r`` (GİB's tolerance).
   3b. A line whose VAT comes to 0 carries code 351 in a subtotal of its own. Where that
   leaves the rate's VAT-bearing subtotal more than a kuruş from its taxable × rate (only
   with several lines too small for VAT), kuruş move between a line's net and VAT until both
   subtotals add up (:func:`balance_subtotals`); ``T`` then differs from step 2's by those
   kuruş.
4. The line discount, VAT-exclusive, is ``round(discount / (1 + r))``; the VAT-exclusive unit
   price is ``(line_extension + discount) / qty`` kept to 8 decimals (GİB accepts more
   decimals on prices), so ``round(qty × unit_price) − discount == line_extension``.
5. Document totals are plain sums of the lines, so they equal the sums exactly.

All rounding is ROUND_HALF_UP at kuruş (:func:`kervan.domain.kurus`) except step 3's floor.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from . import vat
from .domain import (
    FOREIGN_PLACEHOLDER,
    DocumentKind,
    DocumentStatus,
    ExportTerms,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Party,
    PaymentMethod,
    ProductCard,
    TaxSubtotal,
    Totals,
    kurus,
)
from .domain.money import KURUS, ZERO
from .errors import InvalidInputError
from .exports import export_problems, gtip_of
from .internet_sale import carrier_for, internet_sale
from .roles import CarrierLegal
from .tax import (
    EARSIV_PROFILE,
    EXPORT_EXEMPTION_REASON,
    Decision,
)

__all__ = [
    "balance_subtotals",
    "build_lines",
    "carrier_for",
    "export_problems",
    "invoice_from_order",
    "order_problems",
    "split_net",
    "subtotals",
    "totals_of",
    "turkish_date",
]

HUNDRED = Decimal(100)
#: GİB dates are Turkish local dates (UTC+3 all year since 2016)
TURKEY = timezone(timedelta(hours=3))
PRICE_PLACES = Decimal("0.00000001")
RATE_PLACES = Decimal("0.000001")
#: exemption code for a 0% line on a taxed (SATIS) invoice: "KDV – İstisna Olmayan Diğer"
ZERO_RATE_CODE = "351"
ZERO_RATE_REASON = "KDV - İstisna olmayan diğer"


def turkish_date(moment: datetime) -> date:
    """The calendar date in Turkey at ``moment`` (a naive datetime counts as Turkish)."""
    return moment.date() if moment.tzinfo is None else moment.astimezone(TURKEY).date()


def _floor_kurus(value: Decimal) -> Decimal:
    return value.quantize(KURUS, rounding=ROUND_DOWN)


def split_net(payables: Sequence[Decimal], rate: Decimal) -> list[Decimal]:
    """VAT-exclusive amounts for VAT-inclusive ``payables`` taxed at ``rate`` percent.

    The result sums to ``round(Σpayables / (1 + rate))`` exactly (largest remainder).
    """
    factor = 1 + rate / HUNDRED
    exact = [p / factor for p in payables]
    target = kurus(sum(payables, ZERO) / factor)
    floors = [_floor_kurus(x) for x in exact]
    left = int((target - sum(floors, ZERO)) / KURUS)
    # largest remainders first; the stable sort keeps earlier lines first on ties
    order = sorted(range(len(exact)), key=lambda i: floors[i] - exact[i])
    for i in order[:left]:
        floors[i] += KURUS
    return floors


def balance_subtotals(
    payables: Sequence[Decimal], nets: Sequence[Decimal], rate: Decimal
) -> list[Decimal]:
    """Step 3b of the rounding (module docstring): ``nets`` from :func:`split_net` for one
    rate's VAT-inclusive ``payables``, moved a kuruş at a time where the rate's two subtotals
    would not each add up to the kuruş.

    A line whose VAT rounds to 0 goes, with code 351, to a subtotal of its own; the rate's
    VAT then rests on the other lines. When a group has several lines too small for VAT, the
    largest-remainder split can leave that VAT-bearing subtotal's VAT more than a kuruş from
    its taxable × rate (seven 0.01 TL lines and a 0.03 TL one at 20 %: 0.02 VAT on 0.02), or
    the 351 subtotal holds so much taxable that its 0 VAT is more than a kuruş off (many
    lines under 0.50 TL at 1 %). A kuruş is then moved between a line's net and its VAT:

    - from the 351 subtotal's largest line to its VAT (it bears a kuruş, and leaves it),
      while that subtotal does not add up;
    - between the net and VAT of a VAT-bearing line, in the direction that closes the gap,
      while the VAT-bearing subtotal does not add up: on the line that stays closest to its
      own net × rate (the first such line on a tie). A line whose VAT reaches 0 joins the
      351 subtotal only if that one still adds up.

    Every line stays within a kuruş of its own net × rate. Nothing moves when both
    subtotals add up, as they do for every order but such edge cases; when no move helps,
    the nets are left as they are and :func:`check_arithmetic` says what does not add up."""
    out = list(nets)
    if rate <= 0:
        return out
    share = rate / HUNDRED

    def gap() -> Decimal:  # the VAT-bearing subtotal's VAT minus its taxable × rate
        taxable = sum((n for p, n in zip(payables, out, strict=True) if p != n), ZERO)
        vat = sum((p - n for p, n in zip(payables, out, strict=True) if p != n), ZERO)
        return vat - kurus(taxable * share)

    def exempt_fits(extra: Decimal) -> bool:  # the 351 subtotal with ``extra`` more taxable
        taxable = sum((n for p, n in zip(payables, out, strict=True) if p == n), ZERO)
        return kurus((taxable + extra) * share) <= KURUS

    def within(net: Decimal, vat: Decimal) -> bool:  # a line's own tolerance
        return net >= 0 and vat >= 0 and abs(kurus(net * share) - vat) <= KURUS

    for _ in range(4 * len(out) + 4):
        if not exempt_fits(ZERO):  # too much taxable without VAT: the largest line bears a kuruş
            exempt = [i for i, (p, n) in enumerate(zip(payables, out, strict=True)) if p == n]
            movable = [i for i in exempt if within(out[i] - KURUS, KURUS)]
            if not movable:
                break
            out[max(movable, key=lambda i: (payables[i], -i))] -= KURUS
            continue
        off = gap()
        if abs(off) <= KURUS:
            break
        step = KURUS if off > 0 else -KURUS  # +: a kuruş of VAT becomes net
        move, best = None, None
        for i, (payable, net) in enumerate(zip(payables, out, strict=True)):
            vat = payable - net
            if vat == 0:
                continue  # a line of the 351 subtotal
            if not within(net + step, vat - step) or (vat == step and not exempt_fits(payable)):
                continue  # it would leave its own tolerance, or overfill the 351 subtotal
            miss = abs(kurus((net + step) * share) - (vat - step))
            if best is None or miss < best:
                move, best = i, miss
        if move is None:
            break
        out[move] += step
    return out


def _line_rate(line: OrderLine, decision: Decision) -> Decimal:
    # an exempt sale (export) carries no VAT whatever rate the marketplace reported
    return Decimal(0) if decision.exemption_code else line.vat_rate


def _exemption(vat: Decimal, decision: Decision) -> tuple[str | None, str | None]:
    if decision.exemption_code:
        return decision.exemption_code, EXPORT_EXEMPTION_REASON
    # GİB wants a reason on every 0 VAT subtotal: a 0% rate, or a line too small to carry VAT
    if vat == 0:
        return ZERO_RATE_CODE, ZERO_RATE_REASON
    return None, None


def build_lines(
    order: Order, decision: Decision, cards: Mapping[str, ProductCard] | None = None
) -> list[InvoiceLine]:
    """Invoice lines for ``order`` (see the module docstring for the rounding); an export
    line takes its GTİP from the order line, else from its product card in ``cards``
    (barcode → card)."""
    groups: dict[Decimal, list[int]] = defaultdict(list)
    for i, line in enumerate(order.lines):
        groups[_line_rate(line, decision)].append(i)
    nets: dict[int, Decimal] = {}
    for rate, idx in groups.items():
        payables = [order.lines[i].payable for i in idx]
        balanced = balance_subtotals(payables, split_net(payables, rate), rate)
        nets.update(zip(idx, balanced, strict=True))
    out = []
    for i, line in enumerate(order.lines):
        if decision.kind is DocumentKind.EXPORT:
            line = line.model_copy(
                update={"hs_code": gtip_of(line, (cards or {}).get(line.barcode))}
            )
        rate = _line_rate(line, decision)
        out.append(_invoice_line(i + 1, line, rate, nets[i], decision))
    return out


def _invoice_line(
    no: int, line: OrderLine, rate: Decimal, net: Decimal, decision: Decision
) -> InvoiceLine:
    factor = 1 + rate / HUNDRED
    discount = kurus(line.discount / factor)
    unit_price = ((net + discount) / line.quantity).quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)
    vat = line.payable - net
    code, reason = _exemption(vat, decision)
    return InvoiceLine(
        id=no,
        name=line.name,
        quantity=line.quantity,
        unit_code=line.unit_code,
        unit_price=unit_price,
        discount=discount,
        line_extension=net,
        vat_rate=rate,
        vat_amount=vat,
        exemption_code=code,
        exemption_reason=reason,
        barcode=line.barcode,
        sku=line.sku,
        hs_code=line.hs_code,
        order_line_id=line.line_id,
    )


def subtotals(lines: Sequence[InvoiceLine]) -> list[TaxSubtotal]:
    """One VAT subtotal per (rate, exemption code), in ascending rate order."""
    taxable: dict[tuple[Decimal, str | None], Decimal] = defaultdict(lambda: ZERO)
    tax: dict[tuple[Decimal, str | None], Decimal] = defaultdict(lambda: ZERO)
    reasons: dict[tuple[Decimal, str | None], str | None] = {}
    for line in lines:
        key = (line.vat_rate, line.exemption_code)
        taxable[key] += line.line_extension
        tax[key] += line.vat_amount
        reasons[key] = line.exemption_reason
    return [
        TaxSubtotal(
            rate=key[0],
            taxable_amount=taxable[key],
            tax_amount=tax[key],
            exemption_code=key[1],
            exemption_reason=reasons[key],
        )
        for key in sorted(taxable, key=lambda k: (k[0], k[1] or ""))
    ]


def totals_of(lines: Sequence[InvoiceLine]) -> Totals:
    """Document totals as exact sums of the lines (no document-level allowance)."""
    net = sum((x.line_extension for x in lines), ZERO)
    vat = sum((x.vat_amount for x in lines), ZERO)
    return Totals(
        line_extension=net,
        allowance_total=ZERO,
        tax_exclusive=net,
        tax_total=vat,
        tax_inclusive=net + vat,
        payable=net + vat,
    )


def _buyer(order: Order, decision: Decision) -> Party:
    address = order.invoice_address
    # UBL has no phone on an address: the invoice carries it as the party's phone
    phone = order.buyer.phone or address.phone
    update = {"address": address.model_copy(update={"phone": None}), "phone": phone}
    buyer = order.buyer.model_copy(update=update)
    problem = _buyer_problem(order)
    if problem:
        raise InvalidInputError(
            problem,
            errors=[
                {"loc": ["buyer", "first_name"], "msg": "required with a TCKN"},
                {"loc": ["buyer", "last_name"], "msg": "required with a TCKN"},
            ],
        )
    # GİB: a foreign buyer on an e-Arşiv invoice is written with the VKN placeholder
    if decision.kind is DocumentKind.EXPORT and not order.invoice_address.is_domestic:
        buyer = buyer.model_copy(update={"tax_id": FOREIGN_PLACEHOLDER})
    return buyer


def _buyer_problem(order: Order) -> str | None:
    """A party invoiced under a TCKN is a person to GİB (``Person/FirstName`` and
    ``FamilyName``): a sole trader's trade name goes to ``PartyName`` and cannot stand in for
    the person's names (splitting "Ayşe Yılmaz Ticaret" at a space names nobody)."""
    buyer = order.buyer
    if buyer.scheme != "TCKN" or (buyer.first_name and buyer.last_name):
        return None
    return (
        f"order {order.id}: the buyer is invoiced under a TCKN (a sole trader) with the trade "
        f"name {buyer.company_name!r} but without the person's first and last name, which GİB "
        "requires for a TCKN; the order source must give the buyer's first and last name"
    )


def _check_decision(order: Order, decision: Decision, exchange_rate: Decimal | None) -> None:
    if decision.hold or decision.kind is None or not decision.profile:
        raise InvalidInputError(f"order {order.id} is on hold: {decision.reason}")
    if order.currency != "TRY" and not exchange_rate:
        raise InvalidInputError(
            f"order {order.id} is in {order.currency}: an exchange rate is required",
            errors=[{"loc": ["exchange_rate"], "msg": "required for a non-TRY invoice"}],
        )


def _rate_problems(order: Order, decision: Decision, day: date) -> list[str]:
    problems = []
    for pos, line in enumerate(order.lines, start=1):
        where = f"line {pos} (barcode {line.barcode})"
        found = vat.rate_problem(
            _line_rate(line, decision), decision.exemption_code, day, where=where
        )
        if found:
            problems.append(found)
    return problems


def order_problems(
    order: Order,
    decision: Decision,
    *,
    issued_at: datetime,
    cards: Mapping[str, ProductCard] | None = None,
    exchange_rates: Mapping[str, Decimal] | None = None,
    carrier: CarrierLegal | None = None,
    gross_kg: Decimal | None = None,
    strict: bool = True,
) -> list[str]:
    """Why ``order`` cannot be invoiced under ``decision`` at ``issued_at``: each message a
    reason to hold the order before a number is taken (empty: go ahead).

    * VAT: every line's rate is valid on the issue date (:mod:`kervan.vat`), 0 % only exempt;
    * exports: a GTİP on every line, from the line or its product card (``cards``: barcode →
      card), and a micro export within the ETGB limits (:mod:`kervan.exports`);
      ``exchange_rates`` are the tenant's (TRY per unit), used to value it in EUR;
    * a TCKN buyer has a person's first and last name;
    * an e-Arşiv names the carrier the order ships with (``carrier``, with its VKN).

    ``strict=False`` drops what is only unknown (a product weight, a EUR rate, the carrier)
    and keeps what is shown wrong: :func:`invoice_from_order` refuses those.
    """
    day = turkish_date(issued_at)
    problems = _rate_problems(order, decision, day)
    problems += export_problems(
        order,
        issued_on=day,
        cards=cards,
        exchange_rates=exchange_rates,
        gross_kg=gross_kg,
        strict=strict,
    )
    buyer = _buyer_problem(order)
    if buyer:
        problems.append(buyer)
    if strict and decision.profile == EARSIV_PROFILE and carrier is None:
        problems.append(
            f"no carrier identity for this e-Arşiv internet sale (cargo provider "
            f"{order.cargo_provider or 'not given'}): GİB wants the carrier's VKN and title; "
            "ship with a carrier whose plugin declares legal_party"
        )
    return problems


def invoice_from_order(
    order: Order,
    decision: Decision,
    *,
    seller: Party,
    number: str,
    uuid: str,
    issued_at: datetime,
    sender_alias: str | None,
    website: str,
    carrier: CarrierLegal | None = None,
    dispatch_date: date | None = None,
    cards: Mapping[str, ProductCard] | None = None,
    exchange_rates: Mapping[str, Decimal] | None = None,
    carrier_name: str | None = None,
    payment_method: PaymentMethod = PaymentMethod.PAYMENT_AGENT,
    payment_agent: str | None = None,
    exchange_rate: Decimal | None = None,
    notes: Sequence[str] = (),
) -> Invoice:
    """The sales invoice for ``order`` under ``decision`` (which must not be a hold).

    ``carrier`` is the company the parcel ships with (e-Arşiv ``CarrierParty``; without one no
    carrier is written), ``dispatch_date`` the day it is handed to that carrier (default: the
    issue date). ``cards`` (barcode → product card) supply a GTİP an export line lacks and the
    weights for the ETGB limit; ``exchange_rates`` (the tenant's, TRY per unit) value a micro
    export in EUR. ``carrier_name`` is ignored (a name without a VKN names no carrier).

    Raises :class:`InvalidInputError` for a held decision, a non-TRY order without
    ``exchange_rate``, and for each :func:`order_problems` finding except a missing carrier.
    """
    del carrier_name  # kept for callers not yet passing ``carrier``
    _check_decision(order, decision, exchange_rate)
    assert decision.kind is not None and decision.profile is not None
    rates = exchange_rates if exchange_rates is not None else _rates(order, exchange_rate)
    problems = order_problems(
        order,
        decision,
        issued_at=issued_at,
        cards=cards,
        exchange_rates=rates,
        carrier=carrier,
        strict=False,
    )
    if problems:
        raise InvalidInputError(
            f"order {order.id}: " + "; ".join(problems), errors=_problem_locs(order, problems)
        )
    # UBL-TR writes IssueTime to the second and the exchange rate to 6 decimals
    issued_at = issued_at.replace(microsecond=0)
    if order.currency == "TRY":
        exchange_rate = None
    elif exchange_rate is not None:
        exchange_rate = exchange_rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
    lines = build_lines(order, decision, cards)
    internet = None
    if decision.profile == EARSIV_PROFILE:  # every e-Arşiv we issue is an internet sale
        internet = internet_sale(
            website=website,
            payment_method=payment_method,
            payment_agent=payment_agent or order.source,
            paid=turkish_date(order.ordered_at),
            issued=turkish_date(issued_at),
            carrier=carrier,
            dispatch=dispatch_date,
        )
    export = decision.kind is DocumentKind.EXPORT
    return Invoice(
        id=f"invoice:{order.id}",
        tenant_id=order.tenant_id,
        order_id=order.id,
        uuid=uuid,
        number=number,
        kind=decision.kind,
        profile=decision.profile,
        type_code=decision.type_code or "SATIS",
        issued_at=issued_at,
        currency=order.currency,
        exchange_rate=exchange_rate,
        seller=seller,
        buyer=_buyer(order, decision),
        sender_alias=sender_alias,
        receiver_alias=decision.receiver_alias,
        order_number=order.order_number,
        order_date=turkish_date(order.ordered_at),
        lines=lines,
        tax_subtotals=subtotals(lines),
        totals=totals_of(lines),
        notes=list(notes),
        internet_sale=internet,
        export_terms=ExportTerms(delivery_address=order.shipping_address) if export else None,
    )


def _problem_locs(order: Order, problems: list[str]) -> list[dict[str, object]]:
    locs: list[dict[str, object]] = [{"loc": ["order"], "msg": p} for p in problems]
    if _buyer_problem(order) in problems:
        locs += [
            {"loc": ["buyer", "first_name"], "msg": "required with a TCKN"},
            {"loc": ["buyer", "last_name"], "msg": "required with a TCKN"},
        ]
    return locs


def _rates(order: Order, exchange_rate: Decimal | None) -> dict[str, Decimal]:
    """The order's own rate (TRY per unit) as the only known rate, for the ETGB value check."""
    return {order.currency: exchange_rate} if exchange_rate and order.currency != "TRY" else {}


def __getattr__(name: str) -> object:
    """``check_arithmetic`` and ``return_invoice`` live in their own modules
    (:mod:`kervan.invoice_checks`, :mod:`kervan.returns`) and stay importable from here."""
    if name == "check_arithmetic":
        from .invoice_checks import check_arithmetic

        return check_arithmetic
    if name == "return_invoice":
        from .returns import return_invoice

        return return_invoice
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def numbered(invoice: Invoice, number: str, issued_at: datetime) -> Invoice:
    """``invoice`` as numbering leaves it: the number, the issue time, the status, and an
    internet-sale send date before the issue date moved up to it. Nothing else changes, and
    all of these are outside :meth:`~kervan.domain.Invoice.content_digest`, so a draft's
    ``checked_digest`` stays valid."""
    update: dict[str, Any] = {
        "number": number,
        "issued_at": issued_at,
        "status": DocumentStatus.ISSUED,
    }
    sale = invoice.internet_sale
    if sale is not None and sale.send_date and sale.send_date < issued_at.date():
        update["internet_sale"] = sale.model_copy(update={"send_date": issued_at.date()})
    return invoice.model_copy(update=update)
