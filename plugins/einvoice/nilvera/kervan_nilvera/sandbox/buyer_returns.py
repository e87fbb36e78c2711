"""A registered buyer's return (IADE) invoice for one of the account's e-Fatura sales, as the
buyer's integrator would deliver it to the account's post box.

The buyer issues it (seller and buyer swap), typed ``IADE`` under TEMELFATURA, with a
``cac:BillingReference`` to our sale's number and date (apis.md §6.7; apis-2 §8). It is built by
the core's :func:`kervan.invoicing.return_invoice` from the sale as the sandbox stored it, so a
test needs only the sale's UUID.
"""

from __future__ import annotations

import uuid as uuidlib
from datetime import datetime
from decimal import Decimal

import kervan_ubltr
from kervan.domain import Invoice
from kervan.errors import InvalidInputError
from kervan.invoicing import return_invoice

#: the series the simulated buyer numbers its return invoices in
BUYER_SERIES = "IAD"


def buyer_return_xml(
    sale_xml: bytes,
    quantities: dict[int, Decimal] | None,
    *,
    ordinal: int,
    issued_at: datetime,
    uuid: str | None = None,
) -> tuple[bytes, str]:
    """(the IADE's UBL, its UUID) returning ``quantities`` (sale line id → units; default
    every line in full) of the sale whose UBL is ``sale_xml``."""
    sale = kervan_ubltr.parse(sale_xml)
    if not isinstance(sale, Invoice) or sale.profile not in ("TEMELFATURA", "TICARIFATURA"):
        raise InvalidInputError("a buyer returns an e-Fatura sale (TEMELFATURA / TICARIFATURA)")
    wanted = quantities or {line.id: line.quantity for line in sale.lines}
    number = f"{BUYER_SERIES}{issued_at.year}{ordinal:09d}"
    iade = return_invoice(
        sale, wanted, number=number, uuid=uuid or str(uuidlib.uuid4()), issued_at=issued_at
    )
    return kervan_ubltr.build_invoice(iade), iade.uuid
