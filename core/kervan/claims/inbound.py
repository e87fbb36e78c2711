"""Carrier return codes for a claim, and the inbound return parcel's movements on it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from ..engine.records import ORDER, OrderRecord
from ..errors import (
    InvalidInputError,
    NotFoundError,
)
from ..roles import Carrier, ReturnBooking, ReturnRequest
from .commit import note
from .record import (
    FINAL,
    ClaimRecord,
    ClaimState,
)
from .runner import ClaimRunner, _refuse


class ReturnCodes(ClaimRunner):
    async def book_return_code(
        self, tenant_id: str, key: str, *, by: str, connection_id: str | None = None
    ) -> ClaimRecord:
        """Ask the tenant's carrier (or ``connection_id``) for a return code the buyer gives
        at a branch to send the goods back unpaid; idempotent (the claim is the reference)."""
        ctx = self._ctx(tenant_id, by)
        rec = self.get(tenant_id, key)
        if rec.return_code:
            return rec
        if rec.state in FINAL:
            raise _refuse(
                key, f"claim {key} is {rec.state}: no return is expected", "book_return", rec.state
            )
        order_doc = ctx.store.get(ORDER, rec.order_id or "")
        if order_doc is None:
            raise NotFoundError(f"claim {key}: its order is not known to Kervan")
        order = OrderRecord.from_body(order_doc.body).order
        seller = ctx.tenant.seller
        if seller is None or seller.address is None:
            raise InvalidInputError(
                "the tenant's seller party has no address to receive returns at"
            )
        conn = connection_id or ctx.tenant.settings.default_carrier_connection
        carrier = ctx.connector(conn, Carrier, "carrier")
        booking = await carrier.book_return(
            ReturnRequest(
                reference=_reference(key),
                order_number=order.order_number,
                sender=order.buyer,
                sender_address=order.shipping_address,
                receiver=seller,
                receiver_address=seller.address,
                note=f"İade {order.order_number}",
            )
        )
        now = ctx.clock()

        def change(current: ClaimRecord) -> bool:
            if current.return_code:
                return False
            current.return_code = {**booking.model_dump(mode="json"), "connection_id": conn}
            note(
                current,
                now,
                "return_code",
                "ok",
                f"{carrier.key} return code {booking.code}",
                actor=carrier.key,
                request_id=booking.request_id,
            )
            return True

        out = self._update(tenant_id, key, change)
        ts = ctx.store
        for code_doc in self._codes(out):
            ts.upsert(*code_doc)
        return out

    async def track_inbound(self, tenant_id: str) -> list[str]:
        """Movements of return parcels sent with a carrier return code, noted on their claims
        (the returns desk sees what is coming); returns the claims that moved."""
        ctx = self._ctx(tenant_id)
        open_ones = [
            r for r in self.queue(tenant_id, [ClaimState.REQUESTED], limit=1000) if r.return_code
        ]
        by_conn: dict[str, list[ClaimRecord]] = {}
        for rec in open_ones:
            assert rec.return_code is not None
            by_conn.setdefault(rec.return_code["connection_id"], []).append(rec)
        moved = []
        for conn, recs in by_conn.items():
            carrier = ctx.connector(conn, Carrier, "carrier")
            bookings = [
                ReturnBooking.model_validate(
                    {k: v for k, v in (r.return_code or {}).items() if k != "connection_id"}
                )
                for r in recs
            ]
            events = await carrier.track_returns(bookings)
            now = ctx.clock()
            for rec, booking in zip(recs, bookings, strict=True):
                new = events.get(booking.code) or []
                seen = (rec.return_code or {}).get("events_seen", 0)
                if len(new) <= seen:
                    continue
                change = _inbound(new[-1], len(new), now, carrier.key)
                self._update(tenant_id, rec.key, change)
                moved.append(rec.key)
        return moved


def _inbound(latest: Any, count: int, now: datetime, actor: str) -> Any:
    """The claim change noting an inbound return parcel's latest movement (once per event)."""

    def change(current: ClaimRecord) -> bool:
        assert current.return_code is not None
        if current.return_code.get("events_seen", 0) >= count:
            return False
        current.return_code = {
            **current.return_code,
            "events_seen": count,
            "inbound": latest.status.value,
            "inbound_at": latest.at.isoformat(),
        }
        where = f" at {latest.location}" if latest.location else ""
        note(
            current,
            now,
            "inbound",
            "info",
            f"return parcel {latest.status.value}{where}",
            actor=actor,
        )
        return True

    return change


def _reference(key: str) -> str:
    """A carrier reference for a claim key (≤ 64 characters, what the carrier echoes)."""
    return key if len(key) <= 64 else hashlib.sha256(key.encode()).hexdigest()[:32]
