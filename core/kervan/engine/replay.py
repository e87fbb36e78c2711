"""Replay a quarantined record: map its raw form again through the connector and, when it maps
now (a fixed plugin, a relaxed rule), store it as a fetch would and mark the problem resolved.
A replay that still fails keeps the problem open with the new reason."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError, StateConflictError, UnsupportedOperationError
from ..problems import RecordKind, describe
from ..roles import OrderSource
from ..store.port import TenantStore
from . import quarantine
from .ingest import IngestResult, _store_one

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger("kervan.engine")

#: how a kind of record is mapped again from its raw form
MAPPERS: dict[RecordKind, Callable[[OrderSource, dict[str, Any]], Any]] = {
    RecordKind.ORDER: lambda source, raw: source.map_order(raw),
    RecordKind.CLAIM: lambda source, raw: source.map_claim(raw),
    RecordKind.LISTING: lambda source, raw: source.map_listings(raw),
}

Acceptor = Callable[[TenantStore, Any, datetime], list[str]]
"""Stores what a replayed record mapped to, as a fetch would; returns the ids it stored or
changed."""


def accept_order(store: TenantStore, order: Any, now: datetime) -> list[str]:
    result = IngestResult()
    _store_one(store, order, now, result)
    return [*result.new, *result.updated] or [order.id]


#: record kind → how its mapped form is stored. Claims and listings have no store yet: the
#: returns and catalog work registers theirs here (``ACCEPTORS[RecordKind.CLAIM] = ...``)
ACCEPTORS: dict[RecordKind, Acceptor] = {RecordKind.ORDER: accept_order}


@dataclass
class ReplayOutcome:
    id: str
    kind: RecordKind
    connection_id: str
    resolved: bool
    reason: str | None = None
    #: what the record became, when it mapped (order ids for an order)
    result_ids: list[str] = field(default_factory=list)
    #: the connection's open problems after the replay (for its health)
    open_problems: int = 0


async def replay(engine: Engine, tenant_id: str, problem_id: str, actor: str) -> ReplayOutcome:
    """Map a quarantined record again through its connection's connector."""
    ctx = engine.context(tenant_id, actor)
    problem = quarantine.get(ctx.store, problem_id)
    if problem is None:
        raise NotFoundError(f"problem {problem_id!r} not found")
    if problem.status == quarantine.RESOLVED:
        raise StateConflictError(
            f"problem {problem_id} is already resolved ({problem.resolution})",
            order_id=next(iter(problem.result_ids), ""),
            action="replay",
            state=quarantine.RESOLVED,
        )
    accept = ACCEPTORS.get(problem.kind)
    if accept is None:
        raise UnsupportedOperationError(
            f"{problem.kind} records are not stored by this version of Kervan yet; "
            "the problem is kept until they are"
        )
    source = ctx.connector(problem.connection_id, OrderSource, "order source")
    now = engine.clock()
    try:
        mapped = MAPPERS[problem.kind](source, problem.raw)
    except UnsupportedOperationError:
        raise
    except Exception as exc:  # any mapping fault is this record's, not the caller's
        reason = describe(exc)
        log.info("problem %s still does not map: %s", problem_id, reason)
        ctx.store.update(quarantine.PROBLEM, problem_id, _failed(now, reason))
        return ReplayOutcome(
            problem_id,
            problem.kind,
            problem.connection_id,
            resolved=False,
            reason=reason,
            open_problems=quarantine.count_open(ctx.store, problem.connection_id),
        )
    stored = accept(ctx.store, mapped, now)
    ctx.store.update(quarantine.PROBLEM, problem_id, _counted(now))
    quarantine.resolve(ctx.store, problem_id, now, f"replayed by {actor}", stored)
    return ReplayOutcome(
        problem_id,
        problem.kind,
        problem.connection_id,
        resolved=True,
        result_ids=stored,
        open_problems=quarantine.count_open(ctx.store, problem.connection_id),
    )


def _counted(now: datetime) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "replays": body.get("replays", 0) + 1, "last_replay_at": now.isoformat()}

    return change


def _failed(now: datetime, reason: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(body: dict[str, Any]) -> dict[str, Any]:
        return {**_counted(now)(body), "reason": reason[:1000]}

    return change
