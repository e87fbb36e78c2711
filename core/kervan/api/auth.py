"""API keys → principals, and the role check every route declares.

A route says which roles may call it with :func:`allow`; the roles also go into the OpenAPI
spec as ``x-roles`` so a test can walk the spec and check every route against them. The key
itself is checked earlier, from the headers and before the body is read, by
:class:`kervan.api.gate.Gate`; :func:`principal` takes what the gate found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, Header, Request

from ..domain import Role
from ..errors import NotFoundError, PermissionDeniedError
from ..tenancy import NotAuthenticated, Principal
from .gate import principal_of

EVERYONE = tuple(Role)
ADMINS = (Role.TENANT_ADMIN,)
OFFICE = (Role.TENANT_ADMIN, Role.OPERATOR)
FLOOR = (
    Role.TENANT_ADMIN,
    Role.OPERATOR,
    Role.PICKER,
    Role.PACKER,
    Role.RETURNS_CLERK,
    Role.SUPERVISOR,
)
PLATFORM = (Role.PLATFORM_ADMIN,)


def _key_from(authorization: str | None, x_api_key: str | None) -> str:
    if x_api_key:
        return x_api_key
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    raise NotAuthenticated("send an API key as 'Authorization: Bearer <key>' or 'X-API-Key'")


def principal(
    request: Request, authorization: str | None = Header(None), x_api_key: str | None = Header(None)
) -> Principal:
    """The caller: checked by the gate already, or here (a route the gate does not know)."""
    checked = principal_of(request.state)
    if checked is not None:
        return checked
    found: Principal = request.app.state.runtime.tenancy.authenticate(
        _key_from(authorization, x_api_key)
    )
    return found


class Caller:
    """The authenticated caller and the tenant it acts on."""

    def __init__(self, who: Principal, tenant_id: str | None) -> None:
        self.principal, self.tenant_id = who, tenant_id

    @property
    def tenant(self) -> str:
        if self.tenant_id is None:
            raise PermissionDeniedError("a platform admin must name the tenant with X-Tenant-Id")
        return self.tenant_id


def allow(*roles: Role) -> Callable[..., Caller]:
    """A dependency: the caller must hold one of ``roles`` (platform admins hold all)."""

    def dependency(
        request: Request,
        who: Principal = Depends(principal),
        x_tenant_id: str | None = Header(None),
    ) -> Caller:
        who.require(*roles)
        if who.is_platform_admin:
            if (
                x_tenant_id is not None
                and request.app.state.runtime.tenancy.get_tenant(x_tenant_id) is None
            ):
                raise NotFoundError("X-Tenant-Id names no tenant")
            caller = Caller(who, x_tenant_id)
        elif x_tenant_id is not None and x_tenant_id != who.tenant_id:
            raise PermissionDeniedError("this key cannot act on that tenant")
        else:
            caller = Caller(who, who.tenant_id)
        request.state.caller = caller
        return caller

    return dependency


def endpoint(router: Any, method: str, path: str, roles: tuple[Role, ...], **kw: Any) -> Any:
    """Declare a route with its roles (checked, and published as ``x-roles`` in OpenAPI)."""
    return getattr(router, method)(
        path, dependencies=[Depends(allow(*roles))], openapi_extra=roles_extra(*roles), **kw
    )


def caller(request: Request) -> Caller:
    found: Caller = request.state.caller
    return found


def roles_extra(*roles: Role) -> dict[str, Any]:
    return {"x-roles": [r.value for r in roles]}
