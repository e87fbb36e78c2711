"""The e-Arşiv internet-sale block: the carrier the parcel ships with and the dispatch date.

Pure functions, no I/O. The rules and their sources are in ``docs/ubl-tr.md`` ("Internet
sales: carrier and dispatch date"):

* the carrier is the company that carries *this* order: a carrier plugin's declared
  :class:`~kervan.roles.CarrierLegal` (the tenant's carrier connection when Kervan books), or
  the one a marketplace's cargo-provider name maps to (:func:`carrier_for`) when the
  marketplace books under its own contract. Its VKN, title and address are the carrier's own,
  never the seller's;
* the dispatch date (Gönderim Tarihi) is the day the goods are handed to that carrier. It may
  not be before the order, nor more than 7 days before the invoice (VUK art. 231/5: an
  invoice is issued within 7 days of delivery).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

from .domain import Address, InternetSale, PaymentMethod
from .errors import InvalidInputError
from .roles import CarrierLegal

#: VUK art. 231/5: an invoice is issued at the latest 7 days after the goods are delivered
INVOICE_DAYS_AFTER_DELIVERY = 7
#: words that name the service, not the company, in marketplace cargo-provider names
_NOISE = {"kargo", "cargo", "marketplace", "mp", "as", "a", "s"}


@lru_cache(maxsize=1024)  # the same carriers' names, folded for every order
def _key(name: str) -> str:
    """``name`` folded for matching: Turkish i/ı/İ alike, no accents, no service words."""
    folded = name.replace("İ", "i").replace("I", "ı").casefold().replace("ı", "i")
    folded = unicodedata.normalize("NFKD", folded)
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    words = [w for w in re.split(r"[^a-z0-9]+", folded) if w and w not in _NOISE]
    return " ".join(words)


def carrier_for(name: str | None, known: Iterable[CarrierLegal]) -> CarrierLegal | None:
    """The declared carrier whose title or an alias matches a marketplace's cargo-provider
    ``name`` ("Yurtiçi Kargo Marketplace" → Yurtiçi), or ``None``.

    A name matches when, service words aside ("kargo", "marketplace"), one name's words
    start the other's: "yurtici" matches "yurtici servisi", "mng" matches "mng yurtici ve
    yurtdisi tasimacilik". Two different carriers matching is ambiguous: ``None``.
    """
    if not name:
        return None
    wanted = _key(name)
    if not wanted:
        return None
    hits = []
    for carrier in known:
        for candidate in (carrier.name, *carrier.aliases):
            key = _key(candidate)
            if key and (
                key == wanted or key.startswith(wanted + " ") or wanted.startswith(key + " ")
            ):
                hits.append(carrier)
                break
    distinct = {c.tax_id: c for c in hits}
    return next(iter(distinct.values())) if len(distinct) == 1 else None


def carrier_address(carrier: CarrierLegal) -> Address:
    """The carrier's registered office as a UBL address (only the city may be known)."""
    return Address(lines=["-"], district=carrier.district or "-", city=carrier.city)


def dispatch_date_problem(dispatch: date, *, ordered: date, issued: date) -> str | None:
    """Why ``dispatch`` cannot be the Gönderim Tarihi of an invoice issued on ``issued`` for
    an order of ``ordered``, or ``None``."""
    if dispatch < ordered:
        return (
            f"dispatch date {dispatch.isoformat()} is before the order date {ordered.isoformat()}"
        )
    if dispatch < issued - timedelta(days=INVOICE_DAYS_AFTER_DELIVERY):
        return (
            f"dispatch date {dispatch.isoformat()} is more than {INVOICE_DAYS_AFTER_DELIVERY} "
            f"days before the invoice date {issued.isoformat()} (VUK art. 231/5)"
        )
    return None


def internet_sale(
    *,
    website: str,
    payment_method: PaymentMethod,
    payment_agent: str | None,
    paid: date,
    issued: date,
    carrier: CarrierLegal | None,
    dispatch: date | None,
) -> InternetSale:
    """The internet-sale block. Without ``carrier`` no carrier is named (never an empty
    one); ``dispatch`` defaults to the issue date (the invoice is made as the parcel leaves)."""
    dispatch = dispatch or issued
    problem = dispatch_date_problem(dispatch, ordered=paid, issued=issued)
    if problem:
        raise InvalidInputError(problem, errors=[{"loc": ["dispatch_date"], "msg": problem}])
    return InternetSale(
        website=website,
        payment_method=payment_method,
        payment_agent=payment_agent,
        payment_date=paid,
        carrier_name=carrier.name if carrier else None,
        carrier_tax_id=carrier.tax_id if carrier else None,
        carrier_address=carrier_address(carrier) if carrier else None,
        send_date=dispatch,
    )
