"""Document numbers: 3-character series + 4-digit year + 9-digit sequence (GİB's 16 characters).

Guarantees (see ``docs/ubl-tr.md``): per (tenant, channel, series, year) the numbers are
sequential with no gap and no repeat, under concurrent issuers and crashes, because

* the sequence is a store counter (``docno:{series}:{year}``) incremented *inside* the same
  transaction that records which document owns the number; if that transaction does not
  commit (crash, error, conflict), the counter increment rolls back with it, so no number is
  ever consumed without an owner;
* the owner record is keyed by the document (e.g. kind ``invoice``, key the order id), so a
  retry after a crash finds the number already reserved and reuses it instead of taking a new
  one.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from .errors import InvalidInputError
from .store.port import TenantStore, Transaction, declare_kind

SERIES_PATTERN = re.compile(r"^[A-Z0-9]{3}$")
MAX_SEQUENCE = 999_999_999
#: the store document kind holding one reservation per owner document
RESERVATION_KIND = "docno"
declare_kind(RESERVATION_KIND, ("number", "owner_kind"))


def _check_series(series: str, year: int) -> None:
    if not SERIES_PATTERN.match(series):
        raise InvalidInputError(
            "a document series is 3 characters, A-Z or 0-9",
            errors=[{"loc": ["series"], "msg": "must match [A-Z0-9]{3}"}],
        )
    if not 2000 <= year <= 2099:
        raise InvalidInputError(
            "the year of a document number must be 20xx",
            errors=[{"loc": ["year"], "msg": "must be between 2000 and 2099"}],
        )


def format_number(series: str, year: int, seq: int) -> str:
    """``format_number("KRA", 2026, 1) == "KRA2026000000001"``."""
    _check_series(series, year)
    if not 1 <= seq <= MAX_SEQUENCE:
        raise InvalidInputError(
            f"sequence {seq} is outside 1..{MAX_SEQUENCE} for series {series}/{year}"
        )
    return f"{series}{year:04d}{seq:09d}"


def parse_number(number: str) -> tuple[str, int, int]:
    """The inverse of :func:`format_number`: ``(series, year, seq)``."""
    if not re.match(r"^[A-Z0-9]{3}20[0-9]{2}[0-9]{9}$", number):
        raise InvalidInputError("not a GİB document number (3 + 4 + 9 characters)")
    return number[:3], int(number[3:7]), int(number[7:])


class Channel(StrEnum):
    """Where a document goes, each with counters of its own: an e-Fatura series and an
    e-Arşiv series never share a counter (GİB sees each channel's series on its own)."""

    EFATURA = "efatura"  # e-Fatura: TEMELFATURA, TICARIFATURA, IHRACAT, ...
    EARSIV = "earsiv"  # e-Arşiv: EARSIVFATURA, micro export included
    EIRSALIYE = "eirsaliye"  # e-İrsaliye (despatch advices)
    VOUCHER = "voucher"  # expense vouchers (gider pusulası)


def counter_name(series: str, year: int, channel: Channel | str | None = None) -> str:
    """The store counter of ``series``/``year`` in ``channel`` (``None``: the counter of
    stores written before counters were kept per channel)."""
    if channel is None:
        return f"docno:{series}:{year}"
    return f"docno:{Channel(channel).value}:{series}:{year}"


def reserve_number(
    tx: Transaction, series: str, year: int, channel: Channel | str | None = None
) -> str:
    """Take the next number of ``series``/``year`` in ``channel`` inside the caller's
    transaction. A channel counter used for the first time continues from the counter this
    series had before counters were kept per channel, so an upgraded store never repeats a
    number it already gave."""
    _check_series(series, year)
    name = counter_name(series, year, channel)
    if channel is not None and tx.counter(name, delta=0) == 0:
        before = tx.counter(counter_name(series, year), delta=0)
        return format_number(series, year, tx.counter(name, delta=before + 1))
    return format_number(series, year, tx.counter(name))


def reservation_key(owner_kind: str, owner_key: str, series: str, year: int) -> str:
    # '|' rather than ':' because owner keys (order ids) contain ':' and stores refuse '::'
    return f"{owner_kind}|{owner_key}|{series}|{year}"


def next_number(
    store: TenantStore, series: str, year: int, *, owner_kind: str, owner_key: str
) -> str:
    """The number owned by (``owner_kind``, ``owner_key``) in ``series``/``year``.

    Idempotent: the first call reserves a number and records its owner in one transaction;
    every later call (a retry after a crash, a duplicate job) returns the same number.
    """
    _check_series(series, year)
    key = reservation_key(owner_kind, owner_key, series, year)
    existing = store.get(RESERVATION_KIND, key)
    if existing is not None:
        return str(existing.body["number"])
    with store.transaction() as tx:
        doc = tx.get(RESERVATION_KIND, key)
        if doc is not None:  # another worker won the race; its transaction committed first
            return str(doc.body["number"])
        number = reserve_number(tx, series, year)
        body: dict[str, Any] = {
            "number": number,
            "series": series,
            "year": year,
            "owner_kind": owner_kind,
            "owner_key": owner_key,
        }
        tx.insert(RESERVATION_KIND, key, body)
    return number


def sales_series(series: dict[str, str], profile: str, micro_export: bool) -> tuple[Channel, str]:
    """The channel and prefix of a sales invoice of ``profile`` under a tenant's ``series``
    settings (see :class:`kervan.domain.tenancy.TenantSettings`): an e-Arşiv document
    (EARSIVFATURA, micro export included) counts on the e-Arşiv channel, everything else on
    the e-Fatura channel; TEMELFATURA and TICARIFATURA take their own prefix when one is set."""
    if profile == "EARSIVFATURA":
        return Channel.EARSIV, series["micro_export" if micro_export else "earsiv"]
    if profile == "IHRACAT":
        return Channel.EFATURA, series["export"]
    return Channel.EFATURA, series.get(profile) or series["efatura"]
