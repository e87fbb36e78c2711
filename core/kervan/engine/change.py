"""What a step returns: the order's new state and every write that state implies.

A step asks the remote, then returns a :class:`Change`. It never writes to the store itself;
:meth:`StepContext.commit <kervan.engine.context.StepContext.commit>` applies the whole change in
one store transaction guarded by the order's CAS. So a step that is retried after a crash or
a conflict can never apply twice: either its change was committed with the order (and the
plan no longer asks for the step), or nothing of it was.

Stock moves as keyed :class:`Movement` entries: each one is recorded as a ``stock_move``
document keyed by (order, step, product), and one already recorded is skipped, so even a
change applied twice could not move stock twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import KervanError
from ..store.port import CasMismatch, DocumentNotFound, Transaction
from .records import OrderRecord

Body = dict[str, Any]
#: a read-modify-write inside the commit's transaction; ``None`` means "leave it as it is"
Updater = Callable[[Body], Body | None]


class StockShortage(CasMismatch):
    """A reservation no longer fits what is available (another order took the units since
    the step looked): the engine plans again from the store, and the step then holds."""

    code = "stock_shortage"


@dataclass(frozen=True)
class Movement:
    """One change to a product's stock figures, for a reason, keyed so it applies once.

    ``on_hand`` and ``reserved`` are deltas. Available to sell is ``on_hand − reserved``; a
    movement with ``must_fit`` (a reservation) is refused when it would take more than that.
    """

    product_id: str
    reason: str
    on_hand: int = 0
    reserved: int = 0
    must_fit: bool = False
    #: what the movement belongs to (an order id, a count's id): with ``reason`` and the
    #: product, the movement's identity
    ref: str = ""
    #: the warehouse whose shelf moves; ``None``: units leave from the main warehouse first,
    #: then the fullest, and arrive at the main one
    warehouse: str | None = None
    #: a change to the safety stock (units never offered to a channel)
    safety: int = 0
    note: str | None = None

    @property
    def key(self) -> str:
        base = f"{self.ref}:{self.reason}:{self.product_id}"
        return base if self.warehouse is None else f"{base}@{self.warehouse}"


@dataclass
class NewInvoice:
    """A sales invoice numbered inside the commit, from the counter of ``channel``/``series``/
    ``year``, so no number is ever taken without its document (``build`` makes the invoice
    body for a number). An invoice that already has a number keeps it."""

    key: str
    series: str
    year: int
    build: Callable[[str], Body]
    channel: str | None = None


@dataclass
class Change:
    """The order's new state (``rec``) and the writes it implies, committed together."""

    rec: OrderRecord
    #: documents written whole: ``(kind, key, body)``
    docs: list[tuple[str, str, Body]] = field(default_factory=list)
    #: documents changed from what the transaction reads: ``(kind, key, updater)``
    updates: list[tuple[str, str, Updater]] = field(default_factory=list)
    removes: list[tuple[str, str]] = field(default_factory=list)
    stock: list[Movement] = field(default_factory=list)
    #: ``(key, data, content type)``, under keys derived from the document they belong to:
    #: written in the transaction where the store can, else before it (a retry then rewrites
    #: the same bytes, and nothing points at a blob before its transaction commits)
    blobs: list[tuple[str, bytes, str]] = field(default_factory=list)
    #: events for ERP sinks and other readers of the outbox: ``(key, body)``
    outbox: list[tuple[str, Body]] = field(default_factory=list)
    invoice: NewInvoice | None = None
    #: the step failed part way: commit what it did, then record the failure
    error: KervanError | None = None
    #: the next step acts outside on the strength of this commit (it notes a remote call is
    #: about to start): it must survive a power cut, not only a crash (a commit that numbers
    #: an invoice always does: see :meth:`kervan.store.port.Transaction.require_durable`)
    durable: bool = False

    @property
    def only_order(self) -> bool:
        return not (
            self.docs
            or self.updates
            or self.removes
            or self.stock
            or self.outbox
            or self.invoice
            or self.blobs
            or self.durable
        )


def write_docs(
    tx: Transaction,
    docs: list[tuple[str, str, Body]],
    updates: list[tuple[str, str, Updater]],
) -> None:
    """Write whole documents and apply read-modify-write updates inside ``tx`` (an update
    whose document is gone fails the transaction: the step planned on what is no more)."""
    for kind, key, body in docs:
        tx.upsert(kind, key, body)
    for kind, key, updater in updates:
        doc = tx.get(kind, key)
        if doc is None:
            raise DocumentNotFound(f"{kind} {key} not found")
        new = updater(dict(doc.body))
        if new is not None:
            tx.replace(kind, key, new)
