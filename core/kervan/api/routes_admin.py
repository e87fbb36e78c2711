"""Platform administration: tenants, users, API keys; plugins and connector schemas."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from ..domain import Party, Role, Tenant, TenantSettings, User
from ..errors import NotFoundError, PermissionDeniedError
from ..plugins.report import PluginReport
from .auth import ADMINS, EVERYONE, PLATFORM, caller, endpoint
from .openapi import EXISTS
from .schemas import ConnectorOut, KeyOut

router = APIRouter()


def _rt(request: Request) -> Any:
    return request.app.state.runtime


class TenantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    name: str = Field(min_length=1, max_length=200)
    seller: Party | None = None
    settings: TenantSettings = Field(default_factory=TenantSettings)


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[A-Za-z0-9_.@-]{1,100}$")
    name: str
    roles: list[Role] = Field(min_length=1)
    tenant_id: str | None = None


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: list[Role] | None = None


@endpoint(router, "get", "/tenants", PLATFORM, response_model=list[Tenant])
def list_tenants(request: Request) -> list[Tenant]:
    return list(_rt(request).tenancy.list_tenants())


@endpoint(
    router, "post", "/tenants", PLATFORM, response_model=Tenant, status_code=201, responses=EXISTS
)
def create_tenant(request: Request, body: TenantIn) -> Tenant:
    return _rt(request).tenancy.create_tenant(Tenant(**body.model_dump()))


@endpoint(router, "get", "/tenant", EVERYONE, response_model=Tenant)
def get_my_tenant(request: Request) -> Tenant:
    tenant = _rt(request).tenancy.get_tenant(caller(request).tenant)
    if tenant is None:
        raise NotFoundError("tenant not found")
    return tenant


@endpoint(router, "put", "/tenant/settings", ADMINS, response_model=Tenant)
def update_settings(request: Request, body: TenantSettings) -> Tenant:
    rt = _rt(request)
    tenant = rt.tenancy.get_tenant(caller(request).tenant)
    if tenant is None:
        raise NotFoundError("tenant not found")
    return rt.tenancy.update_tenant(tenant.model_copy(update={"settings": body}))


@endpoint(router, "get", "/users", ADMINS, response_model=list[User])
def list_users(request: Request) -> list[User]:
    return list(_rt(request).tenancy.list_users(caller(request).tenant))


@endpoint(router, "post", "/users", ADMINS, response_model=User, status_code=201, responses=EXISTS)
def create_user(request: Request, body: UserIn) -> User:
    c = caller(request)
    tenant_id = body.tenant_id if c.principal.is_platform_admin else c.tenant
    if Role.PLATFORM_ADMIN in body.roles and not c.principal.is_platform_admin:
        raise PermissionDeniedError("only a platform admin can create platform admins")
    if tenant_id is None and Role.PLATFORM_ADMIN not in body.roles:
        raise PermissionDeniedError("a tenant user needs a tenant_id")
    user = User(id=body.id, tenant_id=tenant_id, name=body.name, roles=body.roles)
    return _rt(request).tenancy.create_user(user)


def _own_user(request: Request, user_id: str) -> User:
    """User ``user_id`` of the caller's tenant (a platform admin names one with X-Tenant-Id,
    or none for the platform admins): ids are scoped per tenant, so nobody can look past it."""
    c = caller(request)
    tenant_id = c.tenant_id if c.principal.is_platform_admin else c.tenant
    user = _rt(request).tenancy.get_user(user_id, tenant_id)
    if user is None:
        raise NotFoundError(f"user {user_id!r} not found")
    return user


@endpoint(router, "post", "/users/{user_id}/keys", ADMINS, status_code=201, response_model=KeyOut)
def create_key(request: Request, user_id: str, body: KeyIn) -> dict[str, Any]:
    """Issue an API key. The plaintext key is in this response only; it is never stored."""
    plaintext, record = _rt(request).tenancy.create_api_key(_own_user(request, user_id), body.roles)
    return {"key": plaintext, "id": record.id, "roles": record.roles}


@endpoint(router, "delete", "/users/{user_id}/keys/{key_id}", ADMINS, status_code=204)
def revoke_key(request: Request, user_id: str, key_id: str) -> None:
    rt = _rt(request)
    user = _own_user(request, user_id)
    keys = {k.id for k in rt.tenancy.list_api_keys(user_id=user.id, tenant_id=user.tenant_id)}
    if key_id not in keys:
        raise NotFoundError(f"key {key_id!r} not found")
    rt.tenancy.revoke_api_key(key_id)


@endpoint(router, "get", "/plugins", EVERYONE, response_model=list[PluginReport])
def plugins(request: Request) -> list[PluginReport]:
    """The plugin load report: what loaded, what did not, and why."""
    return list(_rt(request).host.report)


@endpoint(router, "get", "/connectors", EVERYONE, response_model=list[ConnectorOut])
def connectors(request: Request) -> list[dict[str, Any]]:
    """Every connector with its roles and settings JSON schema (secrets are writeOnly)."""
    out = []
    for key, cls in sorted(_rt(request).host.connectors().items()):
        out.append(
            {
                "key": key,
                "display_name": cls.display_name,
                "roles": cls.roles(),
                "settings_version": cls.settings_version,
                "settings_schema": cls.Settings.model_json_schema(),
            }
        )
    return out
