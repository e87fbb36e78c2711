"""An operator chooses the PK alias for a registered buyer with several and no default one.

The classify step holds such an order and lists the choices in ``resolutions.alias`` (status
``needed``, with the order's ship-by date, so the queue is worked most urgent first). The
choice is recorded with who made it and why, and the order is classified again at once; the
decision uses the chosen alias only while the registry still lists it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..domain import OrderState
from ..errors import InvalidInputError, StateConflictError
from ..store.port import Query, TenantStore
from .records import ORDER, OrderRecord

if TYPE_CHECKING:
    from .engine import Engine


def needs_choice(rec: OrderRecord) -> bool:
    return (rec.resolutions.get("alias") or {}).get("status") == "needed"


def queue(store: TenantStore) -> list[dict[str, Any]]:
    """Orders waiting for an alias choice, the earliest ship-by date first."""
    out = []
    for doc in store.iter_query(Query(ORDER, {"state": OrderState.ON_HOLD.value})):
        rec = OrderRecord.from_body(doc.body)
        if rec.order.state is not OrderState.ON_HOLD or not needs_choice(rec):
            continue
        item = rec.resolutions["alias"]
        out.append(
            {
                "order_id": rec.order.id,
                "order_number": rec.order.order_number,
                "buyer": rec.order.buyer.display_name,
                "buyer_tax_id": rec.order.buyer.tax_id,
                "choices": item.get("choices", []),
                "ship_by": item.get("ship_by"),
                "since": item.get("since"),
            }
        )
    return sorted(out, key=lambda x: (x["ship_by"] is None, x["ship_by"] or "", x["order_id"]))


def choose(rec: OrderRecord, alias: str, note: str, actor: str, at: str) -> None:
    """Record the choice on ``rec`` (raises when the order does not wait for one, or the
    alias is not among the choices) and make it due now."""
    if rec.order.state is not OrderState.ON_HOLD or not needs_choice(rec):
        raise StateConflictError(
            f"order {rec.order.id} does not wait for an alias choice",
            order_id=rec.order.id,
            action="alias",
            state=rec.order.state.value,
        )
    choices = rec.resolutions["alias"].get("choices", [])
    if alias not in choices:
        raise InvalidInputError(
            f"{alias!r} is not one of the buyer's PK aliases: {', '.join(choices)}",
            errors=[{"loc": ["alias"], "msg": "not one of the choices"}],
        )
    rec.resolutions["alias"] = {
        "status": "chosen",
        "alias": alias,
        "choices": choices,
        "by": actor,
        "at": at,
        "note": note,
    }


async def choose_alias(
    engine: Engine, tenant_id: str, order_id: str, alias: str, note: str, actor: str
) -> OrderState | None:
    """An operator's choice, recorded CAS-safe with a timeline entry; then the order goes on."""
    ctx = engine.context(tenant_id, actor)

    def change(body: dict[str, Any]) -> dict[str, Any]:
        rec = OrderRecord.from_body(body)
        now = ctx.clock()
        choose(rec, alias, note, actor, now.isoformat())
        rec.due_at, rec.waiting_for, rec.attempts = now, None, 0
        ctx.note(rec, "classify", "info", f"PK alias {alias} chosen: {note}", alias=alias)
        return rec.to_body()

    ctx.store.update(ORDER, order_id, change)
    return await engine.advance(tenant_id, order_id)
