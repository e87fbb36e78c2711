"""Quarantine: remote records a connector could not map, kept raw until a fix or a later
good version settles them.

A connector yields a :class:`~kervan.RecordProblem` in place of a record it cannot map; the
engine keeps it here (kind ``problem``) with the reason and the connection, and goes on with
the rest of the page. One document per (connection, record kind, remote id) — or a hash of
the raw record when the remote id could not be read — so polling the same bad record again
counts ``times_seen`` instead of piling up copies. A later fetch that maps the same remote id
resolves the problem; so does a replay (:mod:`kervan.engine.replay`) after a fix.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterable, Iterable
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ..domain import Claim, Listing, Order
from ..problems import RecordKind, RecordProblem
from ..store.port import DocumentExists, Query, TenantStore, declare_kind
from .records import sortable

PROBLEM = "problem"
declare_kind(PROBLEM, ("connection_id", "kind", "status", "last_seen", "remote_id"))

Status = Literal["open", "resolved"]
OPEN: Status = "open"
RESOLVED: Status = "resolved"
#: remote ids that can stand in a key (and a URL path) as they are; others are hashed
_PLAIN_ID = re.compile(r"^[A-Za-z0-9._-]{1,120}$")

T = TypeVar("T")


class Problem(BaseModel):
    """A quarantined record, as stored and as the API shows it."""

    model_config = ConfigDict(extra="ignore")

    id: str
    kind: RecordKind
    connection_id: str
    remote_id: str | None = None
    reason: str
    raw: dict[str, Any]
    via: str = Field(description="how it arrived: poll or webhook")
    status: Status = OPEN
    first_seen: datetime
    last_seen: datetime
    times_seen: int = 1
    replays: int = 0
    last_replay_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str | None = Field(default=None, description="what settled it, and who")
    result_ids: list[str] = Field(
        default_factory=list, description="what the record became (order ids, claim ids ...)"
    )

    def to_body(self) -> dict[str, Any]:
        body = self.model_dump(mode="json")
        # index fields compare as strings: fixed-width timestamps
        body["first_seen"], body["last_seen"] = sortable(self.first_seen), sortable(self.last_seen)
        return body


def problem_key(connection_id: str, problem: RecordProblem) -> str:
    """Stable per (connection, kind, remote id), or per raw record when the id is unknown."""
    if problem.remote_id and _PLAIN_ID.match(problem.remote_id):
        ident = problem.remote_id
    else:
        basis = problem.remote_id or json.dumps(problem.raw, sort_keys=True, ensure_ascii=False)
        ident = "h" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]
    return f"{connection_id}:{problem.kind.value}:{ident}"


def keep(
    store: TenantStore, connection_id: str, problem: RecordProblem, now: datetime, via: str
) -> str:
    """Quarantine ``problem`` (or count it again, with its newest raw and reason, and open it
    again if it had been settled); return its id."""
    key = problem_key(connection_id, problem)
    fresh = Problem(
        id=key,
        kind=problem.kind,
        connection_id=connection_id,
        remote_id=problem.remote_id,
        reason=problem.reason,
        raw=problem.raw,
        via=via,
        first_seen=now,
        last_seen=now,
    )
    try:
        store.insert(PROBLEM, key, fresh.to_body())
        return key
    except DocumentExists:
        pass

    def seen_again(body: dict[str, Any]) -> dict[str, Any]:
        old = Problem.model_validate(body)
        return old.model_copy(
            update={
                "raw": problem.raw,
                "reason": problem.reason,
                "via": via,
                "last_seen": now,
                "times_seen": old.times_seen + 1,
                "status": OPEN,
                "resolved_at": None,
                "resolution": None,
            }
        ).to_body()

    store.update(PROBLEM, key, seen_again)
    return key


def resolve(
    store: TenantStore, key: str, now: datetime, resolution: str, result_ids: list[str]
) -> None:
    """Mark a problem settled: what settled it and what the record became."""

    def settle(body: dict[str, Any]) -> dict[str, Any] | None:
        if body.get("status") == RESOLVED:
            return None
        return {
            **body,
            "status": RESOLVED,
            "resolved_at": now.isoformat(),
            "resolution": resolution,
            "result_ids": result_ids,
        }

    store.update(PROBLEM, key, settle)


def get(store: TenantStore, key: str) -> Problem | None:
    doc = store.get(PROBLEM, key)
    return Problem.model_validate(doc.body) if doc else None


def listing(
    store: TenantStore,
    *,
    status: str | None = None,
    connection_id: str | None = None,
    kind: RecordKind | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Problem]:
    """Problems, the most recently seen first."""
    query = Query(PROBLEM, _where(status, connection_id, kind), None, "-last_seen", limit, offset)
    return [Problem.model_validate(d.body) for d in store.query(query)]


def count_open(store: TenantStore, connection_id: str | None = None) -> int:
    return store.count(Query(PROBLEM, _where(OPEN, connection_id, None)))


def _where(
    status: str | None, connection_id: str | None, kind: RecordKind | None
) -> dict[str, Any]:
    pairs = (("status", status), ("connection_id", connection_id), ("kind", kind))
    return {name: str(value) for name, value in pairs if value is not None}


def remote_ids_of(item: Order | Claim | Listing) -> list[str]:
    """The remote ids a good record answers for (what a problem's ``remote_id`` would be)."""
    if isinstance(item, Order):
        return [item.package_id]
    if isinstance(item, Claim):
        return [item.external_id]
    return item.remote_ids()


def result_id_of(item: Order | Claim | Listing) -> str:
    return item.id


class Sifter:
    """Sorts one fetch (a poll, a webhook payload): keeps its problems and resolves the open
    problems that one of its good records answers."""

    def __init__(
        self, store: TenantStore, connection_id: str, kind: RecordKind, now: datetime, via: str
    ) -> None:
        self.store, self.connection_id, self.now, self.via = store, connection_id, now, via
        #: remote id → problem id, of this connection's open problems of this kind
        self.open = {
            p.remote_id: p.id
            for p in _iter(store, Query(PROBLEM, _where(OPEN, connection_id, kind)))
            if p.remote_id
        }
        self.kept: list[str] = []

    def problem(self, problem: RecordProblem) -> str:
        key = keep(self.store, self.connection_id, problem, self.now, self.via)
        if problem.remote_id:
            self.open[problem.remote_id] = key
        self.kept.append(key)
        return key

    def good(self, item: Order | Claim | Listing) -> None:
        for remote_id in remote_ids_of(item):
            key = self.open.pop(remote_id, None)
            if key is not None:
                resolve(
                    self.store,
                    key,
                    self.now,
                    f"a later {self.via} brought a version that maps",
                    [result_id_of(item)],
                )


def _iter(store: TenantStore, query: Query) -> Iterable[Problem]:
    return (Problem.model_validate(d.body) for d in store.iter_query(query))


async def sift(
    store: TenantStore,
    connection_id: str,
    kind: RecordKind,
    items: AsyncIterable[T | RecordProblem],
    now: datetime,
    via: str = "poll",
) -> tuple[list[T], list[str]]:
    """What ``fetch_claims`` / ``fetch_listings`` yielded, sorted: the good records (for the
    caller to store) and the ids of the problems kept. An open problem whose remote id a good
    record carries is resolved."""
    sifter = Sifter(store, connection_id, kind, now, via)
    good: list[T] = []
    async for item in items:
        if isinstance(item, RecordProblem):
            sifter.problem(item)
            continue
        good.append(item)
        if isinstance(item, Order | Claim | Listing):
            sifter.good(item)
    return good, sifter.kept
