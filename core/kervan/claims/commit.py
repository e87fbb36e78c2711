"""A claim step's writes, committed with the claim in one transaction (CAS-checked).

The claim counterpart of :class:`kervan.engine.change.Change`: a step returns the claim's new
state and every write it implies; :func:`commit` applies them together, so a step retried
after a crash or a conflict applies once or not at all. Stock moves as keyed movements (a
replay moves nothing), blobs are written first under keys derived from the claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..domain import TimelineEntry
from ..engine.change import Movement, Updater, write_docs
from ..engine.records import OUTBOX
from ..engine.stock import apply_movements
from ..store.port import CasMismatch, DocumentNotFound, TenantStore
from .plan import next_due, state_of
from .record import CLAIM, ClaimRecord

Body = dict[str, Any]


@dataclass
class ClaimChange:
    rec: ClaimRecord
    docs: list[tuple[str, str, Body]] = field(default_factory=list)
    updates: list[tuple[str, str, Updater]] = field(default_factory=list)
    stock: list[Movement] = field(default_factory=list)
    blobs: list[tuple[str, bytes, str]] = field(default_factory=list)
    outbox: list[tuple[str, Body]] = field(default_factory=list)


def note(
    rec: ClaimRecord,
    now: datetime,
    step: str,
    outcome: str,
    message: str | None = None,
    *,
    actor: str = "engine",
    request_id: str | None = None,
    **data: Any,
) -> None:
    rec.timeline.append(
        TimelineEntry(
            at=now,
            step=step,
            outcome=outcome,
            actor=actor,
            message=message,
            request_id=request_id,
            data={k: v for k, v in data.items() if v is not None},
        )
    )


def settle(rec: ClaimRecord, now: datetime) -> None:
    """Set the state and next due time from the plan (before every save)."""
    rec.state = state_of(rec)
    rec.due_at = next_due(rec, now)


def commit(store: TenantStore, change: ClaimChange, cas: int | None, now: datetime) -> int:
    """Apply ``change`` with the claim, CAS-checked against ``cas`` (``None``: a new claim).
    Returns the claim's new CAS; raises :class:`CasMismatch` when it moved meanwhile."""
    rec = change.rec
    settle(rec, now)
    for key, data, content_type in change.blobs:
        store.put_blob(key, data, content_type)
    with store.transaction() as tx:
        write_docs(tx, change.docs, change.updates)
        for key, body in change.outbox:
            if tx.get(OUTBOX, key) is None:  # an event once written is the reader's
                tx.insert(OUTBOX, key, body)
        if change.stock:
            apply_movements(tx, change.stock, now)
        if cas is None:
            if tx.get(CLAIM, rec.key) is not None:
                raise CasMismatch(f"claim {rec.key} was opened meanwhile")
            return tx.insert(CLAIM, rec.key, rec.to_body()).cas
        try:
            return tx.replace(CLAIM, rec.key, rec.to_body(), cas=cas).cas
        except DocumentNotFound:
            raise CasMismatch(f"claim {rec.key} was removed meanwhile") from None
