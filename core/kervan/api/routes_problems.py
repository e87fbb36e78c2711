"""Problems: remote records a connector could not map, kept raw in quarantine. List them,
look at one (with the record as the remote sent it), and replay one after a fix."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from ..engine import quarantine
from ..engine.replay import replay
from ..errors import NotFoundError
from ..problems import RecordKind
from .auth import OFFICE, caller, endpoint
from .loop import on_engine_loop
from .openapi import REMOTE
from .schemas import MAX_OFFSET

router = APIRouter()
MAX_PAGE = 500


class ProblemRow(BaseModel):
    """One quarantined record, without its raw form (``GET /v1/problems/{id}`` has it)."""

    id: str
    kind: RecordKind
    connection_id: str
    remote_id: str | None = Field(description="the record's id at the remote, when readable")
    reason: str = Field(description="why it could not be mapped (field names, not data)")
    via: str = Field(description="how it arrived: poll or webhook")
    status: Literal["open", "resolved"]
    first_seen: datetime
    last_seen: datetime
    times_seen: int = Field(description="how many fetches brought it")
    replays: int
    resolved_at: datetime | None
    resolution: str | None
    result_ids: list[str] = Field(description="what it became once resolved (order ids ...)")


class ProblemOut(ProblemRow):
    raw: dict[str, Any] = Field(description="the record exactly as the remote sent it")
    last_replay_at: datetime | None


class ProblemReplayOut(BaseModel):
    id: str
    resolved: bool
    reason: str | None = Field(description="why it still does not map (when not resolved)")
    result_ids: list[str] = Field(description="what it became (order ids), queued for work")


def _store(request: Request) -> Any:
    return request.app.state.runtime.store.tenant(caller(request).tenant)


@endpoint(router, "get", "/problems", OFFICE, response_model=list[ProblemRow])
def list_problems(
    request: Request,
    status: Literal["open", "resolved", "all"] = Query(
        "open", description="open (the default), resolved, or all"
    ),
    connection_id: str | None = None,
    kind: RecordKind | None = None,
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[dict[str, Any]]:
    """Records that could not be mapped, the most recently seen first."""
    found = quarantine.listing(
        _store(request),
        status=None if status == "all" else status,
        connection_id=connection_id,
        kind=kind,
        limit=limit,
        offset=offset,
    )
    return [p.model_dump(mode="json", exclude={"raw"}) for p in found]


@endpoint(router, "get", "/problems/{problem_id}", OFFICE, response_model=ProblemOut)
def get_problem(request: Request, problem_id: str) -> dict[str, Any]:
    """One problem with the raw record, to see what the remote sent."""
    found = quarantine.get(_store(request), problem_id)
    if found is None:
        raise NotFoundError(f"problem {problem_id!r} not found")
    return found.model_dump(mode="json")


@endpoint(
    router,
    "post",
    "/problems/{problem_id}/replay",
    OFFICE,
    response_model=ProblemReplayOut,
    responses=REMOTE,
)
async def replay_problem(request: Request, problem_id: str) -> dict[str, Any]:
    """Map the kept record again through its connection (after a fix to the plugin, or to
    what it depends on). When it maps, it is stored as a poll would store it, queued for
    work, and the problem is resolved; when it still does not, the problem stays open with
    the new reason."""
    rt = request.app.state.runtime
    c = caller(request)
    if quarantine.get(_store(request), problem_id) is None:
        raise NotFoundError(f"problem {problem_id!r} not found")
    outcome = await on_engine_loop(
        request, replay(rt.engine, c.tenant, problem_id, f"user:{c.principal.user_id}")
    )
    if outcome.resolved:
        rt.connections.record_problems(c.tenant, outcome.connection_id, outcome.open_problems)
        if rt.jobs is not None and outcome.kind is RecordKind.ORDER:
            for order_id in outcome.result_ids:
                rt.jobs.enqueue_order(c.tenant, order_id)
    return {
        "id": outcome.id,
        "resolved": outcome.resolved,
        "reason": outcome.reason,
        "result_ids": outcome.result_ids,
    }
