"""Connections: enable a connector for the tenant, change it, test it, see its health.

Secret settings are write-only: responses carry ``"**set**"`` in their place, never a value.
A change to a destination field (``base_url``, ``endpoint``) must give every secret again, and
a destination outside the connector's hosts (or private, outside sandbox mode) is refused with
422 naming the field (see :mod:`kervan.connections`). What a connector answers (its errors, its
check result) is redacted at the connector boundary before it reaches these routes.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..domain import Connection, Health
from ..errors import KervanError
from ..roles import CheckResult
from .auth import ADMINS, OFFICE, caller, endpoint
from .loop import on_engine_loop
from .openapi import EXISTS
from .schemas import Absent, ValidOut, refuse_null

router = APIRouter()


class ConnectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    connector: str
    name: str | None = None
    settings: dict[str, Any]
    poll_interval_s: int = Field(default=60, ge=5)
    enabled: bool = True


class ConnectionPatch(BaseModel):
    """Only the fields sent change; ``name: null`` clears the name."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    settings: dict[str, Any] | Absent = None
    poll_interval_s: Annotated[int, Field(ge=5)] | Absent = None
    enabled: bool | Absent = None

    @model_validator(mode="after")
    def _no_nulls(self) -> ConnectionPatch:
        refuse_null(self, "settings", "poll_interval_s", "enabled")
        return self


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connector: str
    settings: dict[str, Any]


def _svc(request: Request) -> Any:
    return request.app.state.runtime.connections


@endpoint(router, "get", "/connections", OFFICE, response_model=list[Connection])
def list_connections(request: Request) -> list[Connection]:
    return list(_svc(request).list(caller(request).tenant))


@endpoint(
    router,
    "post",
    "/connections",
    ADMINS,
    response_model=Connection,
    status_code=201,
    responses=EXISTS,
)
def create_connection(request: Request, body: ConnectionIn) -> Connection:
    return _svc(request).create(
        caller(request).tenant,
        body.connector,
        body.id,
        body.settings,
        name=body.name,
        poll_interval_s=body.poll_interval_s,
        enabled=body.enabled,
    )


@endpoint(router, "post", "/connections/validate", ADMINS, response_model=ValidOut)
def validate_settings(request: Request, body: SettingsIn) -> dict[str, Any]:
    """Validate settings against the connector's model and the destination policy without
    saving (field errors, no values)."""
    _svc(request).validate(body.connector, body.settings)
    return {"valid": True}


@endpoint(router, "get", "/connections/{connection_id}", OFFICE, response_model=Connection)
def get_connection(request: Request, connection_id: str) -> Connection:
    return _svc(request).require(caller(request).tenant, connection_id)


@endpoint(router, "patch", "/connections/{connection_id}", ADMINS, response_model=Connection)
def update_connection(request: Request, connection_id: str, body: ConnectionPatch) -> Connection:
    changes = body.model_dump(exclude_unset=True, exclude={"settings"})
    return _svc(request).update(caller(request).tenant, connection_id, body.settings, **changes)


@endpoint(router, "delete", "/connections/{connection_id}", ADMINS, status_code=204)
def delete_connection(request: Request, connection_id: str) -> None:
    _svc(request).delete(caller(request).tenant, connection_id)


@endpoint(router, "post", "/connections/{connection_id}/check", ADMINS, response_model=CheckResult)
async def check_connection(request: Request, connection_id: str) -> dict[str, Any]:
    """Run the connector's live check (credentials, reachability) and keep what it learned."""
    rt = request.app.state.runtime
    tenant = caller(request).tenant
    svc = _svc(request)
    svc.require(tenant, connection_id)

    async def run() -> dict[str, Any]:
        # the connector is guarded: its error or result is redacted of its secrets already
        try:
            result = await rt.connectors.get(tenant, connection_id).check()
        except KervanError as exc:
            svc.record_failure(tenant, connection_id, exc.message)
            return {"ok": False, "message": exc.message}
        if result.ok:
            svc.record_success(tenant, connection_id)
            svc.update(tenant, connection_id, details=result.details)
        else:
            svc.record_failure(tenant, connection_id, result.message or "check failed")
        return result.model_dump(mode="json")

    return await on_engine_loop(request, run())


@endpoint(router, "get", "/connections/{connection_id}/health", OFFICE, response_model=Health)
def connection_health(request: Request, connection_id: str) -> Health:
    return _svc(request).require(caller(request).tenant, connection_id).health
